"""The sidebar's layer form: presets, C, N, G (only the valid ones), the depth multiplier, kernel, map, stride,
padding, dilation (square or per axis) and bias, each bound to the session's canonical layer."""
from __future__ import annotations

import streamlit as st

from gconv import ConvSpec, SpecError, valid_groups
from gconv.i18n import t
from gconv.parse import PAIR_FIELDS, to_text
from gconv.presets import PRESETS, find
from gconv.spec import fit_group, with_multiplier

from .bounds import LIMITS, multiplier_limit, repair_fields
from .state import FIX_NOTES, LAYER, RECTANGULAR, SPEC, URL_OUT, load_spec, session
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


def layer_controls(used: bool = True) -> ConvSpec:
    """Draw the sidebar controls and return the layer they describe (repaired to a valid one if needed); a page
    that does not read the layer (used=False) says so above them, and they stay for the next page."""
    start_session()
    ss = session()
    side = st.sidebar
    side.markdown(f"### {t('ui.layer')}")
    if not used:
        side.caption(t("ui.layer_unused"))
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
