"""The app's navigation: the page list and one run of the app (controls, page, URL).

Streamlit routes a deep link on a freshly started server through its legacy `pages/` mechanism, which runs
the page file alone, before any st.navigation call. Each page therefore hands such a run back to main()
through page(), so the sidebar and the URL state are there whichever way the page was reached.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from gconv.i18n import t

from . import classroom, notices, sidebar, state, url

# Served by the app itself: a material icon as page_icon makes every browser fetch its favicon from Google's servers
FAVICON = Path(__file__).resolve().parents[2] / "assets" / "favicon.png"
PAGES = [
    # (file, icon, url_path); a page's title is page.<url_path or home> in the language files
    ("pages/home.py", ":material/home:", ""),
    ("pages/lesson.py", ":material/school:", "lesson"),
    ("pages/connectivity.py", ":material/hub:", "connectivity"),
    ("pages/cost.py", ":material/calculate:", "cost"),
    ("pages/gdc.py", ":material/center_focus_strong:", "gdc"),
    ("pages/timing.py", ":material/timer:", "timing"),
    ("pages/inspect.py", ":material/account_tree:", "inspect"),
]
OWN_LAYER = {"gdc"}  # pages that train their own network: the sidebar's layer is not theirs
_run = threading.local()  # each session's script runs in its own thread


def routed() -> bool:
    """True while main() is running the current page."""
    return getattr(_run, "depth", 0) > 0


def main() -> None:
    """One run of the app: navigation, shared sidebar controls, the chosen page, then the URL."""
    classroom.language()  # first: the tab's title and the page titles are in the reader's language
    st.set_page_config(page_title=t("app.title"), page_icon=str(FAVICON), layout="wide")
    # Our own links replace Streamlit's menu: its page switch drops the query string, ours carry the layer.
    page = st.navigation([st.Page(f, title=t(f"page.{u or 'home'}"), icon=i, url_path=u or None, default=not u)
                          for f, i, u in PAGES], position="hidden")
    presenting = classroom.presenting()
    menu, layer_box = st.sidebar.container(), st.sidebar.container()  # filled after the page, in this order
    _run.depth = getattr(_run, "depth", 0) + 1
    try:
        state.set_current_page(page.url_path)
        sidebar.resolve()
        if presenting:
            classroom.presenter_style()
        classroom.link_problems()
        notices.show_problems()
        page.run()
        # After the page: a page that sets the layer (the lesson's step) is shown with it in this same run
        spec = sidebar.layer_controls(layer_box, used=page.url_path not in OWN_LAYER)
        with menu:
            classroom.language_control(st)
            for f, icon, path in PAGES:
                st.page_link(f, label=t(f"page.{path or 'home'}"), icon=icon, query_params=url.link_params(spec))
            st.divider()
        url.write_url()
    finally:
        _run.depth -= 1


def page(render: Callable[[], None]) -> None:
    """Run a page's render function, or the whole app if Streamlit ran the page file on its own."""
    if routed():
        render()
    else:
        main()
