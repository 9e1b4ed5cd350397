"""The two language files: the same keys, the same placeholders, the note's Chinese terms, and every key the code
uses. Oracle for the terms: the list in issue [classroom], taken from the seed note (../shared/seed/)."""
import json
import re

import numpy as np

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

    wanted = {f"page.{url or 'home'}" for _, _, url in PAGES} | {f"home.page.{url}" for _, _, url in PAGES[1:]}
    wanted |= {f"conn.view.{v}" for v in VIEWS} | {f"kind{s}.{k.value}" for k in Kind for s in ("", "_short")}
    wanted |= {f"preset.{k}" for k in PRESETS}
    from gconv.timing import RUNS

    wanted |= {f"timing.run.{k}" for k in RUNS}
    wanted |= {f"gdc.{kind}.{d}" for d in DATASETS for kind in ("dataset", "describe")} | {f"gdc.region.{r}" for r in REGIONS} | {f"lesson.{kind}.{k}" for k, *_ in STEPS for kind in ("step", "text")}
    assert not wanted - set(FILES["en"]), sorted(wanted - set(FILES["en"]))


def test_figures_follow_the_language():
    # Every text a figure shows comes from the language files: no English word is left in the Chinese figures.
    from gconv.plots.connectivity import bipartite, mask_figure, shuffle_figure
    from gconv.plots.cost import group_sweep_figure, separable_figure
    from gconv.plots.numbers import numbers_figure
    from gconv.plots.story import story_figures
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
                separable_figure(spec), *story_figures(np.ones((4, 4))).values()]
        for fig in figs:
            text = json.dumps(json.loads(fig.to_json()), ensure_ascii=False)
            shown = re.findall(r'"(?:name|text|title|prefix|label|hovertemplate)": "([^"]*)"', text)
            words = [s for s in shown if re.search(r"\b(?:kernel|kernels|inputs?|outputs?|group|groups|reads|channel|"
                                                   r"weight mask|padding|play|pause|params|count|standard|depthwise|pointwise|current|each|"
                                                   r"blocks|shuffle|learned|mean|row|column|separable)\b", s, re.I)]
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


# --- what the library says: keys and fields, said in the reader's language ------------------------------------

ERRORS = ("GConvError", "SpecError", "ONNXError", "BudgetError")


def said_as_literal(source: str) -> list[str]:
    """Raises of the error family, and progress reports, whose text is an English literal rather than a Said."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            text = node.args[-1] if name == "progress" else node.args[0]
            if (name in ERRORS or name == "progress") and (isinstance(text, ast.JoinedStr) or isinstance(getattr(text, "value", None), str)):
                found.append(f"line {node.lineno}: {name}")
    return found


def test_the_library_says_keys_not_english_sentences():
    # The CLI may stay English (issue [classroom]); everything else the library tells a user goes through a key.
    assert said_as_literal('raise SpecError(f"G={G} is bad")\nprogress(0.5, "round 1")') == \
        ["line 1: SpecError", "line 2: progress"]  # the check itself can fail
    assert said_as_literal('raise SpecError(say("err.empty_stack"))\nprogress(0.5, say("timing.progress.done"))') == []
    files = [*(ROOT / "gconv").rglob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]
    found = {str(p.relative_to(ROOT)): said_as_literal(p.read_text(encoding="utf-8")) for p in files if p.name != "cli.py"}
    assert not {k: v for k, v in found.items() if v}


ENGLISH = re.compile(r"\b(?:must|valid|unknown|not|the|is|are|of|and|with|than|file|model|layer|case|round|done|"
                     r"measuring|faster|speed|paper|noisy|blocks|another|would|output|kernel|channel|group)\b", re.I)


def _says():
    """One of each kind of text the library says, as the user meets it."""
    from gconv import ConvSpec
    from gconv.inspector.onnx_reader import read_onnx
    from gconv.lesson import check, question
    from gconv.parse import parse_spec
    from gconv.timing.cases import LABELS
    from gconv.timing.noise import settle
    from gconv.timing.replicate import EXPERIMENTS, findings

    def error(make):
        try:
            make()
        except GConvError as e:
            return e
        raise AssertionError("no error")

    flip = iter(range(10**6))
    rows = [{"setting": "g=1", "relative_speed": 1.0, "paper_gpu": 1.0, "paper_arm": 1.0, "unstable": False},
            {"setting": "g=4", "relative_speed": 0.5, "paper_gpu": 0.42, "paper_arm": 0.82, "unstable": True},
            {"setting": "g=8", "relative_speed": 0.66, "paper_gpu": 0.26, "paper_arm": 0.70, "unstable": False}]
    return [error(lambda: ConvSpec(C=8, N=8, G=3, K=3, H=6, W=6)),
            error(lambda: ConvSpec(C=8, N=8, G=1, K=9, H=6, W=6)),
            error(lambda: parse_spec({"C": "abc"})), error(lambda: parse_spec({"Q": "1"})),
            error(lambda: read_onnx(b"")), error(lambda: read_onnx(b"PK\x03\x04zip")),
            error(lambda: read_onnx(b"\x08\x07" + b"x" * 100)),
            error(lambda: check(question(1, ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6)), "many")),
            *LABELS.values(), *(title for title, _ in EXPERIMENTS.values()), *findings(rows),
            settle(["noisy"], lambda case: [1.0, 2.0][next(flip) % 2])["noisy"].note]


def test_what_the_library_says_reads_in_chinese_and_stays_english_for_the_cli():
    says = _says()
    english = [str(s) for s in says]
    assert "G=3 must divide C=8 and N=8; valid G: 1, 2, 4, 8" in english  # the CLI's English is unchanged
    i18n.use("zh")
    try:
        chinese = [str(s) for s in says]
    finally:
        i18n.use("en")
    assert "G=3 必须整除 C=8 和 N=8；有效的 G：1, 2, 4, 8" in chinese
    for text in chinese:
        assert re.search(r"[\u4e00-\u9fff]", text) and not ENGLISH.search(text), text
    assert [str(s) for s in says] == english  # back in English once the run's language is English again


def test_a_said_error_crosses_the_worker_pipe_and_is_said_where_it_is_shown():
    import pickle

    from gconv import SpecError
    from gconv.i18n import Joined, say

    e = pickle.loads(pickle.dumps(SpecError(say("err.must_divide", G=3, C=8, N=8, groups="1, 2, 4, 8"))))
    joined = Joined(say("finding.join"), (say("timing.progress.done"), say("timing.progress.done")))
    i18n.use("zh")
    try:
        assert str(e).startswith("G=3 必须整除") and f"{joined}" == "完成；完成"
    finally:
        i18n.use("en")
    assert str(e).startswith("G=3 must divide") and f"{joined:>12}" == "  done; done"
