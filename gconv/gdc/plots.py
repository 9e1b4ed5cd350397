"""Figures of the GDC vs GAP lab: learning curves, learned weight maps, sample images with their region."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import t
from ..plots.style import PALETTE, base_layout
from .datasets import Dataset
from .training import GDCResult

HEADS = (("gdc", "GDC", PALETTE[0]), ("gap", "GAP", PALETTE[1]))


def _class_name(name: str) -> str:
    """A class's name in this run's language (digits stay digits)."""
    return name if name.isdigit() else t("gdc.class." + name.replace(" ", "_"))


def curves_figure(result: GDCResult) -> go.Figure:
    """Accuracy and loss per epoch for both heads; test solid, train dotted; epoch 0 is before training."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t("figg.accuracy"), t("figg.loss")))
    epochs = list(range(len(result.gdc.test_acc)))
    for key, name, colour in HEADS:
        run = getattr(result, key)
        for col, metric in ((1, "acc"), (2, "loss")):
            for split, dash in (("test", "solid"), ("train", "dot")):
                fig.add_trace(go.Scatter(x=epochs, y=getattr(run, f"{split}_{metric}"), mode="lines+markers",
                                         name=f"{name} {t(f'figg.{split}')}", legendgroup=f"{name}{split}",
                                         showlegend=col == 1, line=dict(color=colour, dash=dash),
                                         marker=dict(symbol="circle" if key == "gdc" else "diamond")), row=1, col=col)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title=t("figg.epoch"), dtick=max(1, len(epochs) // 10))
    base_layout(fig, t("figg.curves_title", dataset=t(f"gdc.dataset.{result.config.dataset}"),
                       gdc=f"{result.gdc.test_acc[-1]:.1%}", gap=f"{result.gap.test_acc[-1]:.1%}"), height=360)
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return fig


def _outline(region: np.ndarray) -> tuple[list, list]:
    """The boundary of a boolean map (cells ≥ half inside) as line segments between cells, NaN-separated."""
    inside = region >= 0.5
    xs, ys = [], []
    H, W = inside.shape
    for i in range(H):
        for j in range(W):
            if not inside[i, j]:
                continue
            for di, dj, seg in ((-1, 0, ((j - .5, i - .5), (j + .5, i - .5))), (1, 0, ((j - .5, i + .5), (j + .5, i + .5))),
                                (0, -1, ((j - .5, i - .5), (j - .5, i + .5))), (0, 1, ((j + .5, i - .5), (j + .5, i + .5)))):
                ni, nj = i + di, j + dj
                if not (0 <= ni < H and 0 <= nj < W and inside[ni, nj]):
                    (x0, y0), (x1, y1) = seg
                    xs += [x0, x1, None]
                    ys += [y0, y1, None]
    return xs, ys


def weight_maps_figure(result: GDCResult, epoch: int, channel: int) -> go.Figure:
    """Four M×M maps on one diverging colour scale: mean |w| over channels, w[channel], GAP's uniform 1/(M·M),
    and mean-over-channels w − 1/(M·M) (how far the GDC moved from GAP). The region is outlined when known."""
    w = result.gdc_weights[epoch]
    M = w.shape[-1]
    uniform = np.full((M, M), 1.0 / (M * M))
    maps = [np.abs(w).mean(0), w[channel], uniform, w.mean(0) - uniform]
    titles = [t("figg.mean_abs", C=w.shape[0]), t("figg.channel", c=channel), t("figg.gap_cell", cells=M * M),
              t("figg.gdc_minus_gap")]
    bound = float(max(np.abs(m).max() for m in maps)) or 1.0
    fig = make_subplots(rows=1, cols=4, subplot_titles=titles, horizontal_spacing=0.03)
    for i, z in enumerate(maps, start=1):
        fig.add_trace(go.Heatmap(z=z, coloraxis="coloraxis", hovertemplate=t("figg.cell_hover") + "<extra></extra>"),
                      row=1, col=i)
        if result.region is not None:
            xs, ys = _outline(result.region)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#222", width=2, dash="dot"),
                                     hoverinfo="skip", showlegend=False, name=t("figg.region")), row=1, col=i)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i if i > 1 else ''}", showticklabels=False,
                         row=1, col=i)
        fig.update_xaxes(showticklabels=False, constrain="domain", row=1, col=i)
    base_layout(fig, t("figg.maps_title_region" if result.region is not None else "figg.maps_title", epoch=epoch),
                height=330)
    fig.update_layout(coloraxis=dict(colorscale="RdBu", cmid=0, cmin=-bound, cmax=bound,
                                     colorbar=dict(title=t("figg.weight"), thickness=12)))
    return fig


def samples_figure(data: Dataset, count: int = 8) -> go.Figure:
    """The first `count` test images with their class, the informative region outlined when known."""
    idx = []
    for c in range(len(data.classes)):  # alternate classes so both are seen
        idx += list(np.flatnonzero(data.y_test == c)[: max(1, count // len(data.classes))])
    idx = sorted(idx)[:count]
    fig = make_subplots(rows=1, cols=len(idx), subplot_titles=[_class_name(data.classes[data.y_test[i]]) for i in idx],
                        horizontal_spacing=0.01)
    for k, i in enumerate(idx, start=1):
        fig.add_trace(go.Heatmap(z=data.x_test[i, 0], colorscale="gray", showscale=False, zmin=0, zmax=1,
                                 hoverinfo="skip"), row=1, col=k)
        if data.region is not None:
            xs, ys = _outline(data.region.astype(float))
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=PALETTE[1], width=2),
                                     hoverinfo="skip", showlegend=False), row=1, col=k)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{k if k > 1 else ''}", visible=False, row=1, col=k)
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=k)
    fig.update_annotations(font_size=10)
    base_layout(fig, t("figg.samples_region" if data.region is not None else "figg.samples"), height=230)
    return fig
