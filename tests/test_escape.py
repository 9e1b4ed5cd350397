"""Text from a file or a link is text (issue [escape]): no upload and no link puts a live link, an image, markup or a
spreadsheet formula on a page.

Oracles: CommonMark's rules (a link or an image needs an unescaped `](`; a bare URL autolinks only when written
plainly), Plotly's pseudo-HTML (it draws <a>, <b>, <br>, <img> written as tags, and shows &lt; as <), OWASP's rule
for CSV injection (a cell starting with = + - @ is a formula), and the names themselves: each must appear as written.
"""
import html
import json
import re

import pytest

from apptest import PAGES, run_app, shown
from gconv.text import CLOSE, OPEN, csv_cell, markdown, outside, plotly
from hostile import FORMULA_NAME, HOSTILE_NAMES, HTML_NAME, LONG_NAME, MARKDOWN_NAME, hostile_names_file

MARKUP = [MARKDOWN_NAME, HTML_NAME, FORMULA_NAME]
TEXT_ELEMENTS = ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader")


def markdown_sources(at) -> list[str]:
    return [e.value for kind in TEXT_ELEMENTS for e in at.get(kind)]


def live_markdown(source: str) -> list[str]:
    """The constructs of a Markdown source that would render as a link, an image, HTML or a directive."""
    found = re.findall(r"(?<!\\)\]\((?![?/#])", source) + re.findall(r"(?<!\\)!\[", source)  # our links: ?, /, #
    found += re.findall(r"(?<![\\\w])(?:https?:(?!\\)//|www\.(?=\w))", source)  # GFM autolinks: https://, www.
    found += re.findall(r"(?<!\\)<(?:a|img|b|https?:)", source)
    found += re.findall(r"(?<!\\):red\[", source)
    return found


def figure_texts(at) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


def assert_no_live_outside_text(at) -> None:
    sources = markdown_sources(at)
    everything = " ".join(sources) + figure_texts(at) + " ".join(
        str(o) for s in at.get("selectbox") for o in s.options)
    assert OPEN not in everything and CLOSE not in everything, "a sink showed marked text without escaping it"
    for source in sources:
        assert not live_markdown(source), (live_markdown(source), source)
    figures = figure_texts(at)
    for tag in ("<a href", "<img", "<b>bold", "<br><img"):
        assert tag not in figures, tag


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_hostile_node_names_are_text_in_every_view_of_the_inspector(lang):
    at = run_app("pages/inspect.py", source="onnx", lang=lang)
    at.get("file_uploader")[0].set_value((MARKDOWN_NAME + ".onnx", hostile_names_file(),
                                          "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert_no_live_outside_text(at)
    seen = " ".join(shown(s) for s in markdown_sources(at))
    for name in HOSTILE_NAMES:  # as written: in the diagnostics and the layer line
        assert name in seen, name
    figures = json.loads("[" + ",".join(c.proto.spec for c in at.get("plotly_chart")) + "]")
    hovered = [html.unescape(str(row[0])) for fig in figures for trace in fig["data"]
               for row in trace.get("customdata") or [] if isinstance(row, list)]
    assert set(HOSTILE_NAMES) <= set(hovered)  # the figures' hover text, as written once Plotly decodes it
    assert html.unescape(figures[0]["layout"]["title"]["text"]).startswith(MARKDOWN_NAME)  # the file's name
    options = at.selectbox(key="wp_layer").options
    assert any(MARKDOWN_NAME in o for o in options) and any(HTML_NAME in o for o in options)
    cells = list(at.dataframe[0].value.iloc[:, 1])
    assert cells == [MARKDOWN_NAME, HTML_NAME, "'" + FORMULA_NAME]  # no formula in the table's CSV download
    # the links into Connectivity and Cost (and the sidebar's) carry the layer's fields only, as numbers
    links = [link.proto.query_string for link in at.get("page_link")]
    assert links and all(re.fullmatch(r"([a-zA-Z]+=[0-9a-z,x]+&?)+", q) for q in links), links


def test_a_very_long_name_is_shortened_with_an_ellipsis():
    name = outside(LONG_NAME)
    assert len(name) == 120 and name.endswith("…") and LONG_NAME.startswith(name[:-1])
    assert outside(LONG_NAME, 18, tail=True) == "…" + LONG_NAME[-17:]


LINK = {"md": MARKDOWN_NAME, "html": HTML_NAME, "formula": FORMULA_NAME}
PARAMS = ["C", "N", "G", "K", "H", "W", "stride", "padding", "dilation", "bias", "lang", "present", "n", "layers",
          "shuffle", "ops", "dtype", "batch", "dataset", "region", "width", "map", "epochs", "seed", "device",
          "tdtype", "layout", "tbatch", "direction", "threads", "runtime", "source", "model", "layer", "step",
          "reply", "experiment"]


@pytest.mark.parametrize("kind", ["md", pytest.param("html", marks=pytest.mark.slow),
                                  pytest.param("formula", marks=pytest.mark.slow)])
@pytest.mark.parametrize("page", PAGES)
def test_a_hostile_link_is_text_on_every_page(page, kind):
    at = run_app(page, **{p: LINK[kind] for p in PARAMS})
    assert_no_live_outside_text(at)
    notes = " ".join(shown(w.value) for w in at.warning)
    assert LINK[kind][:30] in notes  # the repaired-link notice quotes the value as written (shortened)


def test_escaping_rules():
    # CommonMark: an escaped punctuation character is literal; Plotly: &lt; is drawn as <; OWASP: formula prefixes
    assert markdown(outside("a_b*c")) == r"a\_b\*c"
    assert plotly(outside("<b>x</b> & y")) == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert markdown("**ours** " + markdown.__module__) == "**ours** gconv.text"  # our own Markdown is untouched
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "x=1", 5)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "x=1", 5]
    assert outside("a\nb\x00c" + OPEN) == "a b c "
