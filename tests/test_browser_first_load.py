"""A student's first visit in chromium fetches few files beyond a bare Streamlit page's (issue [lecture] 1: a
cheaper first load). Every file is ~2.8 ms of server CPU; a widget type brings its own."""
import re

import pytest

from benchmarks.browser import Server
from test_browser import browser, server  # noqa: F401 - the fixtures, shared

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# Frontend code a first visit must not fetch (issue [lecture] 1, a cheaper first load): the layer form's number
# boxes, slider and toggle, st.metric (with its chart loader) and the HTML renderer of unsafe_allow_html
HEAVY_FILES = ("NumberInput", "useTextField", "Slider", "moment", "Checkbox", "Metric", "loadVegaEmbed", "rehype-raw")


def _files_fetched(browser, url: str, ready: str) -> set[str]:
    """The static and media files a fresh browser fetches to show url, without their content hashes."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=90_000)
    page.wait_for_load_state("networkidle")
    context.close()
    return {re.sub(r"\.[\w-]{8}\.", ".", u.split("?")[0].rsplit("/", 1)[1]) for u in fetched
            if "/static/" in u or "/media/" in u}


def test_a_first_visit_fetches_few_files_beyond_a_bare_page(browser, server, tmp_path):
    # Oracle: a bare Streamlit page (one radio, one chart) on its own server: the files any Streamlit page fetches.
    from benchmarks.first_load_cpu import BARE, CHART

    script = tmp_path / "bare.py"
    script.write_text(BARE)
    bare = Server(script=script)
    try:
        base = _files_fetched(browser, bare.url, CHART)
    finally:
        bare.stop()
    for link in ("/lesson?step=2&lang=zh", "/", "/connectivity"):
        extra = _files_fetched(browser, server.url + link, CHART) - base
        # today: the favicon, PageLink (our menu), ButtonGroup (the language switch), Button, and on Connectivity
        # the equivalence check's spinner and the code font of its nn.Conv2d line
        assert len(extra) <= 8, (link, sorted(extra))
        assert not [f for f in extra if f.startswith(HEAVY_FILES)], (link, sorted(extra))
    # ...and the form, once opened, brings its files (the check above can see them)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(server.url + "/?edit=1")
    page.get_by_label("C (inputs)", exact=True).wait_for(timeout=90_000)
    assert any("NumberInput" in u for u in fetched)
    context.close()
