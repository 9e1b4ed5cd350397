"""The session's keys and its canonical layer: what every other shared module reads and writes.

Canonical values live apart from widget keys because Streamlit drops a widget's key when it is not drawn.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from gconv import ConvSpec, i18n
from gconv.parse import FIELDS

from .bounds import DEFAULT_SPEC

# Session-state keys (widget keys are "w_<field>" for the layer and "wp_<url key>" for page values).
LAYER = "_layer"  # canonical layer fields: ints, (h, w) pairs, bias bool
PAGE_VALUES = "_page_values"  # {page: {url key: canonical value}}
CURRENT_PAGE = "_current_page"  # the url path of the page this run draws
URL_AT_START = "_url_at_start"  # query params as the session's first run saw them
URL_OUT = "_url_out"  # what this run will write to the URL
PROBLEMS = "_problems"  # the link's problems, shown once
LAYER_IN_URL = "_layer_in_url"  # the layer fields as this session last wrote them to the URL
SPEC = "spec"  # the valid layer this run shows
FIX_NOTES = "_fix_notes"  # why the controls' layer had to be repaired
RECTANGULAR = "_rect"  # the (h, w) controls are shown
GROUP_NOTE = "_group_note"  # why this run's G was moved to a valid one (said in the sidebar)
FORM_OPEN = "_form_open"  # the sidebar's layer form is open (edit=1 in the link)
LANG = "_lang"  # this session's language: en or zh
PRESENT = "_present"  # presenter mode (pages/shared/classroom.py)
LANG_PROBLEM = "_lang_problem"  # a link's unknown language, said once (pages/shared/classroom.py)
PRESENT_PROBLEM = "_present_problem"  # a link's bad presenter flag, said once (pages/shared/classroom.py)


def session():
    """This browser session's state (Streamlit's session_state)."""
    return st.session_state


def load_spec(spec: ConvSpec) -> None:
    """Make spec the current layer (a preset button, a row of the model inspector, a lesson step on arrival)."""
    session()[LAYER] = {name: getattr(spec, name) for name in FIELDS}
    session()[SPEC] = spec  # a valid layer: the rest of this run shows it, the sidebar too (drawn after the page)


def current_spec() -> ConvSpec:
    """This run's layer (set by sidebar.resolve, which the router calls before the page, or by load_spec)."""
    return session().get(SPEC, DEFAULT_SPEC)


def set_current_page(name: str) -> None:
    """Name the page this run draws (the router does): page values are kept per page."""
    session()[CURRENT_PAGE] = name


def fragment(run_every: float) -> Callable:
    """st.fragment for this app: a fragment's rerun runs only its function, not the router that sets the language,
    so the function first takes up the session's language (a Chinese teacher's live chart stays Chinese)."""
    def wrap(fn: Callable) -> Callable:
        @st.fragment(run_every=run_every)
        @functools.wraps(fn)
        def run(*args, **kwargs):
            i18n.use(session().get(LANG, i18n.DEFAULT))
            return fn(*args, **kwargs)
        return run
    return wrap

