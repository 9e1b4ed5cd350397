"""Every view lives in the URL: the layer and each page's values are read from the session's first link, kept
per page, and written back at the end of every run, with the share link.

State flows one way per run: URL (a session's first run, or a link that changes the layer) -> canonical values
in session state -> widgets seeded from them -> callbacks write widget changes back -> URL written at the end.
Page values are namespaced per page (page_value / set_page_value), so two pages never share a key.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st

from gconv import ConvSpec, GConvError, i18n
from gconv.i18n import t
from gconv.parse import FIELDS, to_text
from gconv.text import markdown, outside

from .bounds import repair
from .state import (CURRENT_PAGE, FORM_OPEN, LANG, LAYER, LAYER_IN_URL, PAGE_VALUES, PRESENT, PROBLEMS,
                    URL_AT_START, URL_OUT, session)


def start_session() -> None:
    """Read the URL on a session's first run, and again whenever its layer is not the one we wrote last
    (a link inside the app, such as the model inspector's, or the browser's back button)."""
    ss = session()
    layer_text = {k: st.query_params.get(k) for k in FIELDS if k in st.query_params}
    if LAYER in ss and (not layer_text or layer_text == ss.get(LAYER_IN_URL)):
        return
    if LAYER not in ss:
        ss[URL_AT_START] = {k: st.query_params.get(k) for k in st.query_params.keys()}
        ss[PAGE_VALUES] = {}
    repaired = repair(layer_text)
    ss[LAYER] = {name: getattr(repaired.spec, name) for name in FIELDS}
    ss[LAYER_IN_URL] = layer_text
    ss[PROBLEMS] = [t("ui.link", note=p) for p in repaired.problems]


def _page_store() -> dict:
    ss = session()
    start_session()
    return ss[PAGE_VALUES].setdefault(ss.get(CURRENT_PAGE, ""), {})


def page_value(key: str, default, parse: Callable[[str], object] | None = None):
    """This page's value for key: seeded once from the URL by parse (which raises GConvError), else default.

    Without parse the value never comes from the URL (results, click counters). A link value parse refuses is
    said above the page and the default is kept.
    """
    store = _page_store()
    if key not in store:
        url = session().get(URL_AT_START, {})
        text = url.pop(key, None) if parse is not None else None
        store[key] = default
        if text is not None:
            try:
                store[key] = parse(text)
            except GConvError as e:
                st.warning(markdown(t("ui.link_ignored", field=key, text=outside(text, 32, quote=True), error=e)),
                           icon=":material/warning:")
    return store[key]


def set_page_value(key: str, value) -> None:
    """Set this page's value for key (a click on a chart, a fitted value, a result)."""
    _page_store()[key] = value


def bound_widget(widget: Callable, label: str, key: str, default, parse: Callable[[str], object],
                 to_url: Callable[[object], str] = str, fit: Callable | None = None, **kwargs):
    """A widget whose value lives in the URL under key (seeded from it, written back each run).

    fit maps a stored value into the widget's current range (a max that depends on other controls).
    """
    ss = session()
    value = page_value(key, default, parse)
    if fit is not None:
        value = fit(value)
        set_page_value(key, value)
    wkey = f"wp_{key}"
    ss[wkey] = value
    store = _page_store()  # bound now: the callback runs before the next run names its page

    def on_change():
        store[key] = ss[wkey]

    out = widget(label, key=wkey, on_change=on_change, **kwargs)
    ss.setdefault(URL_OUT, {})[key] = to_url(out)
    return out


def link_had(*keys: str) -> bool:
    """True when the session's first link held all of keys (call before page_value consumes them)."""
    url = session().get(URL_AT_START, {})
    return all(k in url for k in keys)


def link_had_layer() -> bool:
    """True when the session's first link named a layer."""
    url = session().get(URL_AT_START, {})
    return any(k in url for k in FIELDS)


def keep_in_url(key: str, value) -> None:
    """Write a page value that has no widget of its own to the URL at the end of the run."""
    session().setdefault(URL_OUT, {})[key] = str(value)


def link_params(spec: ConvSpec) -> dict:
    """What every in-app link carries: the layer, and the language when it is not the default."""
    lang = session().get(LANG, i18n.DEFAULT)
    return {**to_text(spec), **({"lang": lang} if lang != i18n.DEFAULT else {})}


def write_url() -> None:
    """Write this run's state to the query string (on every run) and show the share link in the sidebar."""
    ss = session()
    out = {k: str(v) for k, v in ss.get(URL_OUT, {}).items()}
    if ss.get(LANG, i18n.DEFAULT) != i18n.DEFAULT:
        out["lang"] = ss[LANG]
    if ss.get(PRESENT):
        out["present"] = "1"
    if ss.get(FORM_OPEN):
        out["edit"] = "1"
    # Written on every run, not only on change: a page switch clears the browser's query string while the
    # server-side copy still matches, so a compare-then-write would leave the new page without its state.
    st.query_params.from_dict(out)
    ss[LAYER_IN_URL] = {k: out[k] for k in FIELDS if k in out}
    ss[URL_OUT] = {}
    base = st.context.url or ""  # None without a browser (AppTest)
    link = f"{base}?{urlencode(out)}"
    st.sidebar.markdown(f"### {t('ui.share')}")
    # A plain link, not st.code: the code box pulls in a 1.5 MB syntax highlighter on a student's first visit.
    st.sidebar.markdown(f"[{link}]({link})")
    st.sidebar.caption(t("ui.share_help"))
