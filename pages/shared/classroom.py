"""The classroom's switches: the language (?lang=en|zh, and the sidebar's switch) and presenter mode
(?present=1: no sidebar, large type, one lesson step per screen). Both come from the session's first link and
stay in the links the app writes."""
from __future__ import annotations

import streamlit as st

from gconv import GConvError, i18n
from gconv.parse import parse_bool
from gconv.text import outside

from .state import LANG, LANG_PROBLEM, PRESENT, PRESENT_PROBLEM, PROBLEMS, session

def language() -> str:
    """This session's language: the link's ?lang= on its first run (an unknown one is said and ignored), then the
    sidebar's choice. Set for this run before anything is drawn."""
    ss = session()
    if LANG not in ss:
        text = st.query_params.get("lang")
        ss[LANG] = text if text in i18n.LANGUAGES else i18n.DEFAULT
        if text is not None and text not in i18n.LANGUAGES:
            ss[LANG_PROBLEM] = i18n.t("ui.link_ignored", field="lang", text=outside(text, 16, quote=True),
                                         error=i18n.t("err.one_of", valid=", ".join(i18n.LANGUAGES)))
    i18n.use(ss[LANG])
    return ss[LANG]


def language_control(where) -> None:
    """The language switch (at the top of the sidebar)."""
    ss = session()
    ss["w_lang"] = ss[LANG]

    def on_change():
        ss[LANG] = ss["w_lang"] or ss[LANG]

    where.segmented_control(i18n.t("lang.label"), options=list(i18n.LANGUAGES), key="w_lang", on_change=on_change,
                            format_func=lambda lang: i18n.strings(lang)["lang.name"], required=True,
                            label_visibility="collapsed")


def link_problems() -> None:
    """The link's bad language or presenter flag, put with its other problems (said above the page)."""
    ss = session()
    for key in (LANG_PROBLEM, PRESENT_PROBLEM):
        problem = ss.pop(key, None)
        if problem:
            ss.setdefault(PROBLEMS, []).append(problem)



PRESENTER_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {max-width: 100% !important; padding: 1.5rem 3rem !important;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li, [data-testid="stAlert"] p,
[data-testid="stWidgetLabel"] p, [role="radiogroup"] label p {font-size: 1.9rem !important; line-height: 1.45 !important;}
h1 {font-size: 3.4rem !important;} h2, h3 {font-size: 2.6rem !important;}
[data-testid="stBaseButton-secondary"] p, [data-testid="stBaseButton-primary"] p {font-size: 1.8rem !important;}
[data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"] {min-height: 4rem; padding: 0.6rem 2rem;}
</style>"""


def presenting() -> bool:
    """Presenter mode, from the link's ?present=1 on the session's first run (kept in the link from then on)."""
    ss = session()
    if PRESENT not in ss:
        text = st.query_params.get("present")
        try:
            ss[PRESENT] = parse_bool("present", text) if text is not None else False
        except GConvError as e:
            ss[PRESENT] = False
            ss[PRESENT_PROBLEM] = i18n.t("ui.link", note=e)
    return ss[PRESENT]


def presenter_style() -> None:
    """Large type and figures, no sidebar: one lesson step fills a projector."""
    st.html(PRESENTER_CSS)


def leave_presenter() -> None:
    session()[PRESENT] = False


def enter_presenter() -> None:
    session()[PRESENT] = True


