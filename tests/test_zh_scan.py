"""No English on a Chinese page. Oracle: tests/zhscan.py's reading of every visible text (elements, tables, the
figures' titles, axes, legends and hovers) against a short allowlist of units, op, model and library names.

Every page is opened in Chinese in each of its views (the URL values the page offers), and every selectbox, toggle
and button in its main area is used in turn, as a student would. The browser half is in test_browser_zh.py."""
import json

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1.element_tree import Selectbox

from apptest import run_app
from conftest import ROOT
from gconv.gdc.datasets import DATASETS
from gconv.i18n import use
from gconv.inspector import zoo
from gconv.lesson import STEPS
from gconv.timing.replicate import EXPERIMENTS
from zhscan import apptest_texts, english, figure_texts

# Each page's views, as links (every view lives in the URL); the values come from where the page takes them
VIEWS = {
    "pages/home.py": [{}],
    "pages/lesson.py": [{"step": s} for s in range(1, len(STEPS) + 1)] + [{"step": 4, "present": 1}],
    "pages/connectivity.py": [{"view": "groups"}, {"view": "sliding"}, {"shuffle": "true", "layers": 3},
                              {"G": 8, "C": 8, "N": 16}, {"G": 1}],
    "pages/cost.py": [{"ops": "MAC", "dtype": "fp32"}, {"ops": "FLOP", "dtype": "int8", "batch": 4}],
    "pages/gdc.py": [{"dataset": d} for d in DATASETS],
    "pages/timing.py": [{"experiment": e} for e in EXPERIMENTS] + [{"direction": "forward+backward", "layout": "channels_last"}],
    "pages/inspect.py": [{"model": m} for m in zoo.NAMES] + [{"source": "onnx"}],
}
# Pages whose buttons say something new in each view (a lesson step's own question and answer); elsewhere a button's
# results read the same in every view, so they are pressed in the first
PRESS_EVERY_VIEW = {"pages/lesson.py"}
SKIPPED_BUTTONS = {"leave_present", "start_class"}  # they leave the view under test (covered by the poll tests)


def english_in(at, where: str, found: dict) -> None:
    assert not at.exception, (where, [e.value for e in at.exception])
    for text in apptest_texts(at):
        for word in english(text):
            found.setdefault(word, f"{where}: {text[:160]}")


class _Picked(Selectbox):
    """A selectbox whose next state is the option shown at one place, as the browser sends it (AppTest's own
    select_index passes a shown option through format_func again, which fails for a mapped option)."""

    shown_option = ""

    @property
    def _widget_state(self) -> WidgetState:
        state = WidgetState()
        state.id = self.id
        state.string_value = self.shown_option
        return state


def pick(widget: Selectbox, i: int) -> None:
    widget.__class__ = _Picked
    widget.shown_option = widget.options[i]


def use_everything(at, where: str, found: dict, press: bool = True) -> None:
    """Each selectbox (first, middle, last choice), toggle and checkbox, then (press) each enabled button, in the
    main area."""
    for kind in ("selectbox", "toggle", "checkbox"):
        for key in [w.key for w in getattr(at.main, kind) if w.key]:
            widget = next((w for w in getattr(at.main, kind) if w.key == key), None)
            if widget is None or widget.disabled:
                continue
            if kind == "selectbox":
                n = len(widget.options)
                for i in sorted({0, n // 2, n - 1}):
                    pick(next(w for w in at.main.selectbox if w.key == key), i)
                    at.run()
                    english_in(at, f"{where} {key}#{i}", found)
            else:
                widget.set_value(not widget.value).run()
                english_in(at, f"{where} {key}", found)
    for key in [b.key for b in at.main.button if press and b.key and b.key not in SKIPPED_BUTTONS]:
        button = next((b for b in at.main.button if b.key == key), None)
        if button is not None and not button.disabled:
            button.click().run()
            english_in(at, f"{where} press {key}", found)


def test_the_scanner_finds_english_and_passes_chinese_with_its_names():
    assert english("N=%{x}: %{y:.3f}× the MACs<extra></extra>") == ["the"]
    assert english("每个卷积核 4×3×3，MACs 与 FLOPs，ShuffleNet V2，`nn.Conv2d(8, 8, groups=2)`") == []
    assert english("batch 大小") == ["batch"] and english("view") == ["view"]
    figure = {"data": [{"type": "bar", "x": ["A", "separable"], "y": {"bdata": "AAAA", "dtype": "f4"},
                        "hovertemplate": "%{y} 个<extra></extra>", "marker": {"color": "#123456"}}],
              "layout": {"title": {"text": "Time vs groups", "xanchor": "left"}, "template": {"x": "English"}}}
    assert sorted(w for text in figure_texts(figure) for w in english(text)) == ["Time", "groups", "separable"]


def test_every_chinese_text_in_the_language_file_is_chinese():
    zh = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))
    assert {key: english(text) for key, text in zh.items() if english(text)} == {}


@pytest.mark.parametrize("page", list(VIEWS))
def test_a_page_opened_in_chinese_shows_no_english(page):
    found: dict = {}
    at = run_app(page, lang="zh", edit=1)  # with the sidebar's layer form open
    english_in(at, "first", found)
    if page == "pages/home.py":  # the sidebar is the same on every page: its controls once
        for key in ("w_rect", "w_bias"):
            widget = next(w for w in [*at.sidebar.toggle, *at.sidebar.checkbox] if w.key == key)
            widget.set_value(not widget.value).run()
            english_in(at, key, found)
    assert found == {}


@pytest.mark.slow  # every view, selectbox and button of every page: ~2 minutes
@pytest.mark.parametrize("page", list(VIEWS))
def test_every_view_and_button_in_chinese_shows_no_english(page):
    found: dict = {}
    use("zh")  # AppTest formats a widget's options in the test's own context: the page's language there too
    for i, params in enumerate(VIEWS[page]):
        at = run_app(page, lang="zh", **params)
        where = "&".join(f"{k}={v}" for k, v in params.items()) or "first"
        english_in(at, where, found)
        use_everything(at, where, found, press=i == 0 or page in PRESS_EVERY_VIEW)
    assert found == {}
