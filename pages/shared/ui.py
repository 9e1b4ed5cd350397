"""Streamlit glue shared by every page: the layer controls, URL state, presets and the share link.

State flows one way per run: URL (first run of a session only) -> canonical values in session_state
-> widgets seeded from them -> callbacks write widget changes back -> URL written at the end of the run.
Canonical values live apart from widget keys because Streamlit drops a widget's key when it is not drawn.
Page-level values are namespaced per page (page_value / set_page_value), so two pages never share a key.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st

from gconv import ConvSpec, GConvError, SpecError, i18n, valid_groups
from gconv.i18n import say, t
from gconv.parse import FIELDS, PAIR_FIELDS, parse_bool, parse_int, to_text
from gconv.presets import PRESETS, find
from gconv.spec import fit_group
from gconv.text import markdown, outside

from gconv.spec import with_multiplier

from .bounds import DEFAULT_SPEC, LIMITS, multiplier_limit, repair, repair_fields

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
LANG = "_lang"  # this session's language: en or zh
PRESENT = "_present"  # presenter mode (pages/shared/classroom.py)
LINK_NOTES = "_link_notes"  # this run's notes on ignored link values
SHOWN_PROBLEMS = "_shown_problems"  # the link's problems this run showed
PAIR_LABELS = {"K": "ui.kernel", "stride": "ui.stride", "padding": "ui.padding", "dilation": "ui.dilation"}


def _state():
    return st.session_state


def _start_session() -> None:
    """Read the URL on a session's first run, and again whenever its layer is not the one we wrote last
    (a link inside the app, such as the model inspector's, or the browser's back button)."""
    ss = _state()
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


def load_spec(spec: ConvSpec) -> None:
    """Make spec the current layer (a preset button, a row of the model inspector)."""
    _state()[LAYER] = {name: getattr(spec, name) for name in FIELDS}


def _sync(field: str, widget_key: str) -> None:
    _state()[LAYER][field] = _state()[widget_key]


def _number(container, label: str, field: str, lo: int, hi: int, help: str | None = None,
            part: int | None = None) -> int:
    """A number input bound to one canonical field (or one side of an (h, w) pair)."""
    ss = _state()
    key = f"w_{field}" if part is None else f"w_{field}_{'hw'[part]}"
    value = ss[LAYER][field]
    if part is not None:
        value = value[part] if isinstance(value, tuple) else value
    ss[key] = int(min(max(value, lo), hi))

    def on_change():
        if part is None:
            ss[LAYER][field] = ss[key]
        else:
            pair = list(ss[LAYER][field] if isinstance(ss[LAYER][field], tuple) else (ss[LAYER][field],) * 2)
            pair[part] = ss[key]
            ss[LAYER][field] = pair[0] if pair[0] == pair[1] else tuple(pair)

    return container.number_input(label, min_value=lo, max_value=hi, step=1, key=key, help=help,
                                  on_change=on_change)


def _group_label(g: int, C: int) -> str:
    if g == 1:
        return t("ui.G_standard")
    if g == C:
        return t("ui.G_depthwise", G=g)
    return str(g)


def _rectangular() -> bool:
    return any(isinstance(_state()[LAYER][f], tuple) for f in PAIR_FIELDS)


def _set_rectangular() -> None:
    ss = _state()
    ss[RECTANGULAR] = ss["w_rect"]
    if not ss[RECTANGULAR]:  # back to square: keep the height side of every pair
        for f in PAIR_FIELDS:
            v = ss[LAYER][f]
            ss[LAYER][f] = v[0] if isinstance(v, tuple) else v


def layer_controls() -> ConvSpec:
    """Draw the sidebar controls and return the layer they describe (repaired to a valid one if needed)."""
    _start_session()
    ss = _state()
    side = st.sidebar
    side.markdown(f"### {t('ui.layer')}")
    _presets(side)
    c1, c2 = side.columns(2)
    _number(c1, t("ui.C"), "C", *LIMITS["C"], help=t("ui.C_help"))
    _number(c2, t("ui.N"), "N", *LIMITS["N"], help=t("ui.N_help"))
    layer = ss[LAYER]
    groups = valid_groups(layer["C"], layer["N"])
    layer["G"], note = fit_group(layer["G"], layer["C"], layer["N"])
    if note is not None:
        side.caption(str(note))
    ss["w_G"] = layer["G"]
    if len(groups) > 1:
        side.select_slider(t("ui.G"), options=groups, key="w_G", on_change=_sync, args=("G", "w_G"),
                           format_func=lambda g: _group_label(g, layer["C"]),
                           help=t("ui.G_help"))
    else:
        side.caption(t("ui.G_only_one", C=layer["C"], N=layer["N"]))
    # Callbacks have already written this run's widget changes, so the layer is final from here on.
    fixed = repair_fields(dict(layer))
    if fixed.spec.kind.is_depthwise:
        ss["w_m"] = fixed.spec.multiplier

        def set_multiplier():
            ss[LAYER] = with_multiplier(ss[LAYER], ss["w_m"])

        side.number_input(t("ui.multiplier"), min_value=1, max_value=multiplier_limit(fixed.spec.C),
                          key="w_m", on_change=set_multiplier, help=t("ui.multiplier_help"))
    ss[RECTANGULAR] = ss.get(RECTANGULAR, False) or _rectangular()  # a link or preset with pairs turns it on
    ss["w_rect"] = ss[RECTANGULAR]
    side.toggle(t("ui.rectangular"), key="w_rect", on_change=_set_rectangular)
    _pair_inputs(side, "K", ss[RECTANGULAR])
    c1, c2 = side.columns(2)
    _number(c1, t("ui.H"), "H", *LIMITS["H"])
    _number(c2, t("ui.W"), "W", *LIMITS["W"])
    for f in ("stride", "padding", "dilation"):
        _pair_inputs(side, f, ss[RECTANGULAR])
    ss["w_bias"] = bool(layer["bias"])
    side.checkbox(t("ui.bias"), key="w_bias", on_change=_sync, args=("bias", "w_bias"))
    spec = fixed.spec
    ss[FIX_NOTES] = fixed.problems
    ss[SPEC] = spec
    ss[URL_OUT] = to_text(spec)
    return spec


def _pair_inputs(container, field: str, rect: bool) -> None:
    lo, hi = LIMITS[field]
    if rect:
        c1, c2 = container.columns(2)
        _number(c1, f"{t(PAIR_LABELS[field])} h", field, lo, hi, part=0)
        _number(c2, f"{t(PAIR_LABELS[field])} w", field, lo, hi, part=1)
    else:
        _number(container, t(PAIR_LABELS[field]), field, lo, hi, part=0 if isinstance(
            _state()[LAYER][field], tuple) else None)


def _load_preset() -> None:
    key = _state().get("w_preset")
    if key in PRESETS:
        load_spec(PRESETS[key].spec)


def _presets(container) -> None:
    current = find(_valid_spec()) if _valid_layer() else None
    _state()["w_preset"] = current.key if current else None
    container.pills(t("ui.presets"), options=list(PRESETS), format_func=lambda k: t(f"preset.{k}"), key="w_preset",
                    on_change=_load_preset, help=t("ui.presets_help"))


def _valid_spec() -> ConvSpec:
    return ConvSpec(**_state()[LAYER])


def _valid_layer() -> bool:
    try:
        _valid_spec()
        return True
    except SpecError:
        return False


def show_problems() -> None:
    """The URL's and the controls' problems, as readable messages above the page (never a traceback)."""
    ss = _state()
    for p in ss.get(PROBLEMS, []):
        st.warning(markdown(p), icon=":material/warning:")  # a link's values are outside text
    notes = ss.get(FIX_NOTES, [])
    if notes:
        st.error(markdown(t("ui.not_valid") + " " + " ".join(notes[:1]) + (
            "\n\n" + t("ui.nearest_valid") + " " + "; ".join(notes[1:]) if len(notes) > 1 else "")),
            icon=":material/block:")
    ss[SHOWN_PROBLEMS] = ss.get(PROBLEMS, [])
    ss[PROBLEMS] = []  # a link's problems are shown once


def device_wait_note(slot) -> Callable[[], None]:
    """An on_wait callback for gconv.machine.DEVICE: says in slot which job holds the device while this one queues."""
    from gconv.machine import DEVICE

    return lambda: slot.info(t("ui.device_wait", holder=DEVICE.holder or t("job.any"), waiting=DEVICE.waiting),
                             icon=":material/hourglass_empty:")


def current_spec() -> ConvSpec:
    """The layer the sidebar describes (set by layer_controls in app.py)."""
    return _state().get(SPEC, DEFAULT_SPEC)


def set_current_page(name: str) -> None:
    """Name the page this run draws (the router does): page values are kept per page."""
    _state()[CURRENT_PAGE] = name


def _page_store() -> dict:
    ss = _state()
    _start_session()
    return ss[PAGE_VALUES].setdefault(ss.get(CURRENT_PAGE, ""), {})


def page_value(key: str, default, parse: Callable[[str], object] | None = None):
    """This page's value for key: seeded once from the URL by parse (which raises GConvError), else default.

    Without parse the value never comes from the URL (results, click counters).
    """
    store = _page_store()
    if key not in store:
        url = _state().get(URL_AT_START, {})
        text = url.pop(key, None) if parse is not None else None
        store[key] = default
        if text is not None:
            try:
                store[key] = parse(text)
            except GConvError as e:
                note = t("ui.link_ignored", field=key, text=outside(text, 32, quote=True), error=e)
                st.warning(markdown(note), icon=":material/warning:")
                _state().setdefault(LINK_NOTES, []).append(note)
    return store[key]


def rerun_keeping_notes() -> None:
    """st.rerun(), with this run's link notes shown again on the next run (a rerun would wipe them)."""
    ss = _state()
    ss[PROBLEMS] = [*ss.get(PROBLEMS, []), *ss.pop(SHOWN_PROBLEMS, []), *ss.pop(LINK_NOTES, [])]
    st.rerun()


def set_page_value(key: str, value) -> None:
    """Set this page's value for key (a click on a chart, a fitted value, a result)."""
    _page_store()[key] = value


def bound_widget(widget: Callable, label: str, key: str, default, parse: Callable[[str], object],
                 to_url: Callable[[object], str] = str, fit: Callable | None = None, **kwargs):
    """A widget whose value lives in the URL under key (seeded from it, written back each run).

    fit maps a stored value into the widget's current range (a max that depends on other controls).
    """
    ss = _state()
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


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    """A URL parser for an int in [lo, hi]."""
    def parse(text: str) -> int:
        v = parse_int("value", text)
        if not lo <= v <= hi:
            raise GConvError(say("err.between", lo=lo, hi=hi))
        return v
    return parse


def one_of(options) -> Callable[[str], object]:
    """A URL parser for one of a fixed set of text options."""
    def parse(text: str):
        if text not in options:
            raise GConvError(say("err.one_of", valid=", ".join(map(str, options))))
        return text
    return parse


def flag(text: str) -> bool:
    """A URL parser for a yes/no value."""
    return parse_bool("value", text)


def link_had(*keys: str) -> bool:
    """True when the session's first link held all of keys (call before page_value consumes them)."""
    url = _state().get(URL_AT_START, {})
    return all(k in url for k in keys)


def link_had_layer() -> bool:
    """True when the session's first link named a layer."""
    url = _state().get(URL_AT_START, {})
    return any(k in url for k in FIELDS)


def keep_in_url(key: str, value) -> None:
    """Write a page value that has no widget of its own to the URL at the end of the run."""
    _state().setdefault(URL_OUT, {})[key] = str(value)


def link_params(spec: ConvSpec) -> dict:
    """What every in-app link carries: the layer, and the language when it is not the default."""
    lang = _state().get(LANG, i18n.DEFAULT)
    return {**to_text(spec), **({"lang": lang} if lang != i18n.DEFAULT else {})}


def write_url() -> None:
    """Write this run's state to the query string (only when it changed) and show the share link."""
    ss = _state()
    out = {k: str(v) for k, v in ss.get(URL_OUT, {}).items()}
    if ss.get(LANG, i18n.DEFAULT) != i18n.DEFAULT:
        out["lang"] = ss[LANG]
    if ss.get(PRESENT):
        out["present"] = "1"
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


def table(rows: list[dict], where=None) -> None:
    """A small table as Markdown: st.table would load the Arrow bundle (about 1 MB of script) on first visit."""
    if not rows:
        return
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    head = list(rows[0])
    lines = ["| " + " | ".join(map(cell, head)) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k in head) + " |" for r in rows]
    (where or st).markdown("\n".join(lines))
