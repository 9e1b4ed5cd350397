"""The sidebar's layer, said in one line, and its form: presets, C, N, G (only the valid ones), the depth
multiplier, kernel, map, stride, padding, dilation (square or per axis) and bias, each bound to the session's
canonical layer."""
from __future__ import annotations

import streamlit as st

from gconv import ConvSpec, GConvError, SpecError, valid_groups
from gconv.i18n import t
from gconv.parse import PAIR_FIELDS, flag, to_text
from gconv.presets import PRESETS, find
from gconv.spec import fit_group, with_multiplier
from gconv.text import markdown, outside

from .bounds import LIMITS, multiplier_limit, repair_fields
from .state import (FIX_NOTES, FORM_OPEN, GROUP_NOTE, LAYER, PROBLEMS, RECTANGULAR, SPEC, URL_AT_START, URL_OUT,
                    load_spec, session)
from .url import start_session

PAIR_LABELS = {"K": "ui.kernel", "stride": "ui.stride", "padding": "ui.padding", "dilation": "ui.dilation"}


def _sync(field: str, widget_key: str) -> None:
    session()[LAYER][field] = session()[widget_key]


def _number(container, label: str, field: str, lo: int, hi: int, help: str | None = None,
            part: int | None = None) -> int:
    """A number input bound to one canonical field (or one side of an (h, w) pair)."""
    ss = session()
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
    return any(isinstance(session()[LAYER][f], tuple) for f in PAIR_FIELDS)


def _set_rectangular() -> None:
    ss = session()
    ss[RECTANGULAR] = ss["w_rect"]
    if not ss[RECTANGULAR]:  # back to square: keep the height side of every pair
        for f in PAIR_FIELDS:
            v = ss[LAYER][f]
            ss[LAYER][f] = v[0] if isinstance(v, tuple) else v


def _fixed():
    """(why G moved, or None; the canonical layer repaired): G is moved in the canonical layer itself."""
    layer = session()[LAYER]
    layer["G"], note = fit_group(layer["G"], layer["C"], layer["N"])
    return note, repair_fields(dict(layer))


def resolve() -> ConvSpec:
    """This run's layer, repaired to a valid one if needed: set before the page runs, which reads it."""
    start_session()
    ss = session()
    # Callbacks have already written this run's widget changes, so the layer is final from here on.
    ss[GROUP_NOTE], fixed = _fixed()
    form_open()  # a bad edit= in the link is said with the link's other problems
    ss[FIX_NOTES] = fixed.problems
    ss[SPEC] = fixed.spec
    ss[URL_OUT] = to_text(fixed.spec)
    return fixed.spec


def layer_controls(where, used: bool = True) -> ConvSpec:
    """The sidebar's layer in where: a line that says it and a form to change it; return the layer they describe.
    A page that does not read the layer (used=False) says so above them.

    Drawn after the page (resolve() came before it), so a page that sets the layer, such as a lesson step on
    arrival, shows it in the same run rather than in a second one. The form sits in an expander that runs only
    while open: a student's first visit then loads none of the number-input, slider, toggle and help-icon code
    it needs (about a quarter of the page's files). Once opened it stays open for the session and in the link
    (edit=1).
    """
    ss = session()
    note, fixed = _fixed()  # again: the page may have set a new layer
    note = note or ss.pop(GROUP_NOTE, None)
    spec = fixed.spec
    where.markdown(f"### {t('ui.layer')}")
    if not used:
        where.caption(t("ui.layer_unused"))
    if note is not None:
        where.caption(str(note))
    where.caption(markdown(spec.summary))
    ss["w_form"] = form_open()
    box = where.expander(t("ui.edit_layer"), key="w_form", on_change=_set_form_open)
    if box.open:
        _form(box, spec)
    ss[SPEC] = spec
    ss.setdefault(URL_OUT, {}).update(to_text(spec))
    return spec


def form_open() -> bool:
    """The layer form is open: from the session's first link (edit=1; a bad value is said and ignored), then
    the reader's own opening and closing."""
    ss = session()
    if FORM_OPEN not in ss:
        text = ss.get(URL_AT_START, {}).pop("edit", None)
        ss[FORM_OPEN] = False
        if text is not None:
            try:
                ss[FORM_OPEN] = flag(text)
            except GConvError as e:
                said = t("ui.link_ignored", field="edit", text=outside(text, 16, quote=True), error=e)
                ss.setdefault(PROBLEMS, []).append(said)
    return ss[FORM_OPEN]


def _set_form_open() -> None:
    session()[FORM_OPEN] = bool(session()["w_form"])


def _form(box, shown: ConvSpec) -> None:
    """Presets, C, N, G (only the valid ones), the depth multiplier, kernel, map, stride, padding, dilation
    (square or per axis) and bias, each bound to the session's canonical layer."""
    ss = session()
    layer = ss[LAYER]
    _presets(box)
    c1, c2 = box.columns(2)
    _number(c1, t("ui.C"), "C", *LIMITS["C"], help=t("ui.C_help"))
    _number(c2, t("ui.N"), "N", *LIMITS["N"], help=t("ui.N_help"))
    groups = valid_groups(layer["C"], layer["N"])
    ss["w_G"] = layer["G"]
    if len(groups) > 1:
        box.select_slider(t("ui.G"), options=groups, key="w_G", on_change=_sync, args=("G", "w_G"),
                          format_func=lambda g: _group_label(g, layer["C"]),
                          help=t("ui.G_help"))
    else:
        box.caption(t("ui.G_only_one", C=layer["C"], N=layer["N"]))
    if shown.kind.is_depthwise:
        ss["w_m"] = shown.multiplier

        def set_multiplier():
            ss[LAYER] = with_multiplier(ss[LAYER], ss["w_m"])

        box.number_input(t("ui.multiplier"), min_value=1, max_value=multiplier_limit(shown.C),
                         key="w_m", on_change=set_multiplier, help=t("ui.multiplier_help"))
    ss[RECTANGULAR] = ss.get(RECTANGULAR, False) or _rectangular()  # a link or preset with pairs turns it on
    ss["w_rect"] = ss[RECTANGULAR]
    box.toggle(t("ui.rectangular"), key="w_rect", on_change=_set_rectangular)
    _pair_inputs(box, "K", ss[RECTANGULAR])
    c1, c2 = box.columns(2)
    _number(c1, t("ui.H"), "H", *LIMITS["H"])
    _number(c2, t("ui.W"), "W", *LIMITS["W"])
    for f in ("stride", "padding", "dilation"):
        _pair_inputs(box, f, ss[RECTANGULAR])
    ss["w_bias"] = bool(layer["bias"])
    box.checkbox(t("ui.bias"), key="w_bias", on_change=_sync, args=("bias", "w_bias"))


def _pair_inputs(container, field: str, rect: bool) -> None:
    lo, hi = LIMITS[field]
    if rect:
        c1, c2 = container.columns(2)
        _number(c1, f"{t(PAIR_LABELS[field])} h", field, lo, hi, part=0)
        _number(c2, f"{t(PAIR_LABELS[field])} w", field, lo, hi, part=1)
    else:
        _number(container, t(PAIR_LABELS[field]), field, lo, hi, part=0 if isinstance(
            session()[LAYER][field], tuple) else None)


def _load_preset() -> None:
    key = session().get("w_preset")
    if key in PRESETS:
        load_spec(PRESETS[key].spec)


def _presets(container) -> None:
    current = find(_valid_spec()) if _valid_layer() else None
    session()["w_preset"] = current.key if current else None
    container.pills(t("ui.presets"), options=list(PRESETS), format_func=lambda k: t(f"preset.{k}"), key="w_preset",
                    on_change=_load_preset, help=t("ui.presets_help"))


def _valid_spec() -> ConvSpec:
    return ConvSpec(**session()[LAYER])


def _valid_layer() -> bool:
    try:
        _valid_spec()
        return True
    except SpecError:
        return False
