"""The two language files: the same keys, the same placeholders, the note's Chinese terms, and every key the code
uses. Oracle for the terms: the list in issue [classroom], taken from the seed note (../shared/seed/)."""
import json
import re

import pytest

from conftest import ROOT
from gconv import GConvError, i18n

FILES = {lang: json.loads((ROOT / "assets" / f"{lang}.json").read_text(encoding="utf-8")) for lang in i18n.LANGUAGES}


def test_both_languages_have_the_same_keys_and_placeholders():
    en, zh = FILES["en"], FILES["zh"]
    assert set(en) == set(zh)
    for key in en:
        assert i18n.placeholders(en[key]) == i18n.placeholders(zh[key]), key
        assert zh[key].strip(), key
        assert "key" not in i18n.placeholders(en[key]), key  # t(key, **fields) takes its key by that name


def test_chinese_uses_the_notes_terms():
    text = " ".join(FILES["zh"].values())
    for term in ["分组卷积", "深度卷积", "逐通道卷积", "逐点卷积", "深度可分离卷积", "全局深度卷积", "GDC", "全局平均池化",
                 "GAP", "通道混洗", "结构化稀疏", "参数量", "计算量"]:
        assert term in text, term


def test_every_key_the_code_names_exists():
    prefixes = "|".join(sorted({k.split(".")[0] for k in FILES["en"]}))
    used = set()
    for path in [*(ROOT / "gconv").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]:
        used |= set(re.findall(rf"""["']((?:{prefixes})\.[a-z_.-]*[a-z_-])["']""", path.read_text(encoding="utf-8")))
    assert used and not used - set(FILES["en"]), sorted(used - set(FILES["en"]))


def test_language_is_per_run_and_unknown_ones_are_refused():
    i18n.use("zh")
    assert i18n.t("lesson.progress", step=2, steps=7) == "第 2 步，共 7 步"
    i18n.use("en")
    assert i18n.t("lesson.progress", step=2, steps=7) == "Step 2 of 7"
    with pytest.raises(GConvError, match="valid: en, zh"):
        i18n.use("fr")
    assert i18n.current() == "en"


def test_keys_built_from_names_exist():
    from gconv.gdc.datasets import DATASETS, REGIONS
    from gconv.lesson import STEPS
    from gconv.presets import PRESETS
    from gconv.spec import Kind
    from pages.connectivity import VIEWS
    from pages.shared.router import PAGES

    wanted = {f"page.{url or 'home'}" for _, _, _, url in PAGES} | {f"home.page.{url}" for _, _, _, url in PAGES[1:]}
    wanted |= {f"conn.view.{v}" for v in VIEWS} | {f"kind{s}.{k.value}" for k in Kind for s in ("", "_short")}
    wanted |= {f"preset.{k}" for k in PRESETS}
    from gconv.timing import RUNS

    wanted |= {f"timing.run.{k}" for k in RUNS}
    wanted |= {f"gdc.{kind}.{d}" for d in DATASETS for kind in ("dataset", "describe")} | {f"gdc.region.{r}" for r in REGIONS} | {f"lesson.{kind}.{k}" for k, _ in STEPS for kind in ("step", "text")}
    assert not wanted - set(FILES["en"]), sorted(wanted - set(FILES["en"]))


def test_figures_follow_the_language():
    # Every text a figure shows comes from the language files: no English word is left in the Chinese figures.
    from gconv.plots.connectivity import bipartite, mask_figure, shuffle_figure
    from gconv.plots.cost import group_sweep_figure, separable_figure
    from gconv.plots.numbers import numbers_figure
    from gconv.plots.tensor3d import plan, tensor_figure
    from gconv.spec import ConvSpec
    from gconv.terms import cell_terms, sample_values

    spec = ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1)
    x, w, b = sample_values(spec)
    i18n.use("zh")
    try:
        figs = [bipartite(spec, selected=5), bipartite(ConvSpec(C=512, N=512, G=8, K=3, H=8, W=8), selected=3),
                mask_figure(spec), shuffle_figure(12, 3), tensor_figure(plan(spec, 5, 1, 1), 1, 1),
                numbers_figure(spec, x, w, cell_terms(spec, x, w, b, 5, 1, 1)), group_sweep_figure(spec, "FLOP"),
                separable_figure(spec)]
        for fig in figs:
            text = json.dumps(json.loads(fig.to_json()), ensure_ascii=False)
            shown = re.findall(r'"(?:name|text|title|prefix|label|hovertemplate)": "([^"]*)"', text)
            words = [s for s in shown if re.search(r"\b(?:kernel|kernels|inputs?|outputs?|group|groups|reads|channel|"
                                                   r"weight mask|padding|play|pause|params|count|standard|depthwise|pointwise|current)\b", s)]
            assert not words, words[:5]
    finally:
        i18n.use("en")


def test_gdc_lab_figures_and_rows_follow_the_language():
    from gconv.gdc.datasets import build
    from gconv.gdc.input_size import as_rows, attempts
    from gconv.gdc.plots import curves_figure, samples_figure, weight_maps_figure
    from gconv.gdc.training import GDCConfig, train

    result = train(GDCConfig(epochs=1, width=4, map_size=6))
    i18n.use("zh")
    try:
        figs = [curves_figure(result), weight_maps_figure(result, 1, 0), samples_figure(build("synthetic"))]
        for fig in figs:
            text = json.dumps(json.loads(fig.to_json()), ensure_ascii=False)
            shown = re.findall(r'"(?:name|text|title)": "([^"]*)"', text)
            assert not [s for s in shown if re.search(r"\b(?:accuracy|loss|epoch|channel|weights?|test|train|"
                                                     r"images?|region|cross|square)\b", s)], shown
        rows = as_rows(attempts(result))
        assert list(rows[0]) == [FILES["zh"]["size.col.approach"], FILES["zh"]["size.col.accuracy"],
                                 FILES["zh"]["size.col.what"]]
    finally:
        i18n.use("en")
