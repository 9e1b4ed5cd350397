"""Shared look of the figures: a colour-blind-safe group palette and a theme-neutral layout."""
from __future__ import annotations

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
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and trace.type in ("scatter", "heatmap"):
            trace.textfont.size = max(16, (trace.textfont.size or 12) + 6)
    return fig
