"""Shared look of the figures: a colour-blind-safe group palette and a theme-neutral layout."""
from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict

import numpy as np
import plotly.graph_objects as go

from ..text import plotly

# Okabe & Ito (2008) colour-blind-safe qualitative palette, without its yellow (unreadable as text on white)
# and with grey for black (unreadable on dark themes).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"]
ZERO = "rgba(128,128,128,0.10)"


def group_colour(g: int) -> str:
    """Colour of group g (the palette repeats after 7 groups; labels and hover carry the group number)."""
    return PALETTE[g % len(PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    """'#0072B2', 0.5 -> 'rgba(0,114,178,0.5)'."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def base_layout(fig: go.Figure, title: str, height: int = 480) -> go.Figure:
    """Transparent background and neutral fonts so the figure reads in light and dark themes."""
    fig.update_layout(title=dict(text=plotly(title), x=0, xanchor="left"), height=height,  # outside text escaped
                      margin=dict(l=10, r=10, t=60, b=10), paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", hovermode="closest")
    return fig


def projector(fig: go.Figure, height: int = 720) -> go.Figure:
    """The same figure for a projector: taller, with every text larger (titles, axes, legend, in-figure labels)."""
    fig.update_layout(height=height, font=dict(size=18), title_font_size=24, legend_font_size=18)
    fig.update_annotations(font_size=20)
    fig.update_xaxes(tickfont_size=16)
    fig.update_yaxes(tickfont_size=16)
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and trace.type in ("scatter", "heatmap"):
            trace.textfont.size = max(16, (trace.textfont.size or 12) + 6)
    return fig


class Wire(go.Figure):
    """A finished figure kept in plotly's wire form, encoded once: to_dict() hands that form back as it is.

    st.plotly_chart calls to_dict() on every run, which re-encodes every array of the figure: on Home's seven
    pictures that was half of a first visit's script. A Wire is only for drawing: it holds no traces or layout to
    read or change (ask the builder itself for a figure to work with).

    >>> w = Wire(go.Figure(go.Scatter(y=[1, 3, 2])))
    >>> w.to_dict()["data"][0]["y"] is w.to_dict()["data"][0]["y"], len(w.data)
    (True, 0)
    """

    def __init__(self, fig: go.Figure | dict):
        super().__init__()
        self._wire = fig if isinstance(fig, dict) else fig.to_dict()

    def to_dict(self) -> dict:
        return self._wire

    def to_plotly_json(self) -> dict:
        return self._wire


_BUILT: OrderedDict = OrderedDict()  # (form, builder, language, arguments) -> plain dicts (form "figure") or a Wire
_BUILT_LOCK = threading.Lock()
BUILT_MAX = 512  # figures kept: a few MB, and a lecture needs a handful (one per step and language)


def _key_part(value):
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_key_part(v) for v in value)
    hash(value)  # anything else must be hashable: a ConvSpec, a number, a string
    return value


def _remember(key: tuple, make):
    """The stored value for key, made by make() on a miss (outside the lock: a build is slow), newest kept last and
    the oldest dropped past BUILT_MAX."""
    with _BUILT_LOCK:
        stored = _BUILT.get(key)
        if stored is not None:
            _BUILT.move_to_end(key)
            return stored
    stored = make()
    with _BUILT_LOCK:
        _BUILT[key] = stored
        while len(_BUILT) > BUILT_MAX:
            _BUILT.popitem(last=False)
    return stored


def _plain(fig: go.Figure) -> dict:
    """The figure's own data and layout dicts, numpy arrays kept (to_dict() would encode them as base64)."""
    return {"data": copy.deepcopy(fig._data), "layout": copy.deepcopy(fig._layout)}


def built_once(builder):
    """A figure builder whose figures are built once per arguments and language, by whoever asks first.

    A class opening one link asks for the same figures thirty times; plotly's validation makes building one tens
    of ms, while a stored figure comes back as a new go.Figure from its plain dict unvalidated (it was validated
    when built) in about 2 ms. Each caller gets its own figure, free to change (projector() does).
    builder.wire(...) gives the same figure as a Wire, encoded once per arguments and language: for drawing only."""
    def key(form: str, args: tuple, kwargs: dict) -> tuple:
        from ..i18n import current

        return form, builder.__qualname__, current(), _key_part(args), _key_part(tuple(sorted(kwargs.items())))

    @functools.wraps(builder)
    def build(*args, **kwargs):
        stored = _remember(key("figure", args, kwargs), lambda: _plain(builder(*args, **kwargs)))
        # a copy for each caller; _validate is plotly's own switch: the dicts are what a validated figure holds
        return go.Figure(copy.deepcopy(stored), _validate=False)

    def wire(*args, **kwargs) -> Wire:
        return _remember(key("wire", args, kwargs), lambda: Wire(build(*args, **kwargs)))

    build.wire = wire
    return build
