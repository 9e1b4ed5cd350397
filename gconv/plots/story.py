"""The home page's seven pictures: one small live figure per story step, built by the same figure builders as the
pages, on layers small enough to read at a glance.

>>> figures = story_figures(np.ones((4, 4)))
>>> list(figures)[:3], figures["separable"].layout.height
(['conv', 'group', 'sparsity'], 230)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..cost import separable_ratio
from ..i18n import ASSETS, t
from ..lesson import STEPS
from .connectivity import bipartite, mask_figure, shuffle_figure
from .style import PALETTE, base_layout, built_once

HEIGHT = 230
GDC_RUN = ASSETS / "gdc_faces_aligned.json"  # what the GDC lab learned on aligned vs swapped faces
SEPARABLE_K = 3
SEPARABLE_N = np.unique(np.geomspace(1, 1024, 64).astype(int))


@dataclass(frozen=True)
class LearnedGDC:
    """A GDC the lab trained: its |weights| over their mean (M, M), and both heads' test accuracies."""

    relative: np.ndarray
    gdc_acc: float
    gap_acc: float
    config: dict  # the settings it was trained with (GDCConfig's fields)


def learned_gdc(path: Path = GDC_RUN) -> LearnedGDC:
    """The stored run the GDC pictures show (made by `python -m gconv gdc --dataset faces-aligned
    --save-weights FILE`; a test retrains it)."""
    run = json.loads(path.read_text())
    return LearnedGDC(np.array(run["relative_weights"]), run["gdc_test_acc"], run["gap_test_acc"], run["config"])


def _mini(fig: go.Figure, title: str) -> go.Figure:
    """A picture: short title, no legend, no tick labels, small margins, fixed height."""
    fig.update_layout(title=dict(text=title, x=0, xanchor="left", font=dict(size=13)), height=HEIGHT,
                      margin=dict(l=4, r=4, t=fig.layout.margin.t if fig.layout.margin.t == 60 else 34, b=4),
                      showlegend=False)
    return fig


def separable_ratio_figure() -> go.Figure:
    """Depthwise separable over standard MACs against N, for a 3×3 kernel: 1/N + 1/K², floored at 1/K²."""
    ratio = [separable_ratio(int(n), SEPARABLE_K) for n in SEPARABLE_N]
    fig = go.Figure(go.Scatter(x=SEPARABLE_N, y=ratio, mode="lines", line=dict(color=PALETTE[2], width=3),
                               hovertemplate=t("story.separable_hover") + "<extra></extra>"))
    floor = 1 / SEPARABLE_K ** 2
    fig.add_hline(y=floor, line=dict(color=PALETTE[0], dash="dash"),
                  annotation=dict(text=f"1/K² = 1/{SEPARABLE_K ** 2}", font=dict(size=11)))
    base_layout(fig, "")
    fig.update_xaxes(type="log", title=dict(text=t("story.separable_x"), font=dict(size=11)))
    fig.update_yaxes(range=[0, 1.05], title=dict(text=t("story.separable_y"), font=dict(size=11)))
    return _mini(fig, t("story.separable", K2=SEPARABLE_K ** 2, K=SEPARABLE_K))


@built_once
def gdc_vs_gap_figure(relative: np.ndarray, caption: str = "") -> go.Figure:
    """GAP's weights (1/(H·W) everywhere) beside a GDC's learned |weights|, both over their mean."""
    h, w = relative.shape
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06,
                        subplot_titles=[t("story.gap", cells=h * w), t("story.gdc")])
    top = float(max(2.0, relative.max()))
    for col, z in ((1, np.ones_like(relative)), (2, relative)):
        fig.add_trace(go.Heatmap(z=z, zmin=0, zmax=top, colorscale="Viridis", showscale=col == 2, xgap=1, ygap=1,
                                 colorbar=dict(thickness=8, len=0.9, title=dict(text=t("story.over_mean"), side="right")),
                                 hovertemplate=t("story.hover") + "<extra></extra>"),
                      row=1, col=col)
    fig.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor="x")
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_annotations(font_size=11)
    base_layout(fig, "")
    fig.update_layout(margin=dict(t=60))
    return _mini(fig, caption)


def story_figures(gdc_relative: np.ndarray, gdc_caption: str = "") -> dict[str, go.Figure]:
    """The seven pictures, keyed by the step's name (gconv.lesson.STEPS), each drawing that step's layer.
    gdc_relative: a GDC's learned |weights| over their mean (M, M)."""
    layer = {step.name: step.layer for step in STEPS}
    conv, group, sparse, shuffle, dw = (layer[k] for k in ("conv", "group", "sparsity", "shuffle", "depthwise"))
    return {
        "conv": _mini(bipartite(conv), t("story.standard", N=conv.N, C=conv.C)),
        "group": _mini(bipartite(group), t("story.grouped", G=group.G, per=group.in_per_group)),
        "sparsity": _mini(mask_figure(sparse).update_xaxes(showticklabels=False, title=None)
                          .update_yaxes(showticklabels=False, title=None), t("story.mask")),
        "shuffle": _mini(shuffle_figure(shuffle.C, shuffle.G), t("story.shuffle", channels=shuffle.C, groups=shuffle.G)),
        "depthwise": _mini(bipartite(dw), t("story.depthwise", C=dw.C)),
        "separable": separable_ratio_figure(),
        "gdc": gdc_vs_gap_figure(gdc_relative, gdc_caption),
    }
