"""The class's answers as bars, for the teacher's screen: one bar per choice (or the most common numbers, then
'other'), each as tall as its count; the right bar is marked only after the reveal."""
from __future__ import annotations

import plotly.graph_objects as go

from ..i18n import t
from ..poll import Tally
from .style import PALETTE, base_layout

NEUTRAL = PALETTE[0]
RIGHT = PALETTE[2]
DIM = PALETTE[6]


def votes_figure(tally: Tally, revealed: bool, height: int = 380) -> go.Figure:
    """Bars of tally; after the reveal the right bar is green and ticked, the others grey."""
    labels = list(tally.labels) + ([t("poll.other")] if tally.other else [])
    counts = list(tally.counts) + ([tally.other] if tally.other else [])
    colours = [NEUTRAL] * len(labels)
    if revealed:
        colours = [RIGHT if i == tally.right else DIM for i in range(len(labels))]
        if tally.right is not None:
            labels[tally.right] = f"✓ {labels[tally.right]}"
    fig = go.Figure(go.Bar(x=labels, y=counts, marker_color=colours, text=counts, textposition="outside",
                           hovertemplate="%{x}: %{y} " + t("poll.votes") + "<extra></extra>"))
    fig = base_layout(fig, t("poll.chart_title", n=tally.answered), height=height)
    top = max(counts, default=0)
    fig.update_yaxes(title=t("poll.votes"), rangemode="tozero", dtick=max(1, top // 5 or 1), range=[0, max(1, top) * 1.2])
    fig.update_xaxes(type="category", title=t("poll.choice"), tickfont_size=20)  # the letters a teacher says
    return fig
