"""Figures of what a layer costs: params and operations over every valid G, separable vs standard."""
from __future__ import annotations

import plotly.graph_objects as go

from ..cost import in_ops, macs, params, separable
from ..i18n import t
from ..ledger import group_sweep
from ..spec import ConvSpec
from .style import PALETTE, base_layout, built_once


def group_sweep_figure(spec: ConvSpec, ops: str = "MAC") -> go.Figure:
    """Params and MACs (or FLOPs) per sample at every valid G for spec's C, N, K; log y; current G marked."""
    sweep = group_sweep(spec)
    key, label = ("macs", t("ledger.macs")) if ops == "MAC" else ("flops", t("ledger.flops"))
    gs = [r["G"] for r in sweep]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=gs, y=[r["params"] for r in sweep], name=t("ledger.params"), mode="lines+markers",
                             marker=dict(color=PALETTE[0], size=9, symbol="circle"), line=dict(color=PALETTE[0]),
                             hovertemplate="G=%{x}: %{y:,} " + t("unit.params") + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=gs, y=[r[key] for r in sweep], name=label, mode="lines+markers",
                             marker=dict(color=PALETTE[1], size=9, symbol="diamond"), line=dict(color=PALETTE[1]),
                             hovertemplate=t("figc.ops_hover", ops=ops) + "<extra></extra>"))
    now = next(r for r in sweep if r["G"] == spec.G)
    fig.add_trace(go.Scatter(x=[spec.G, spec.G], y=[now["params"], now[key]], mode="markers+text",
                             name=t("figc.current", G=spec.G), text=[f"G={spec.G}", ""], textposition="top center",
                             marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color=PALETTE[5], width=3)),
                             hoverinfo="skip"))
    base_layout(fig, t("figc.sweep_title", ops=ops, C=f"{spec.C:,}", N=f"{spec.N:,}", K=spec.K), height=440)
    fig.update_xaxes(type="log", title=t("figc.groups_axis"), tickvals=gs, ticktext=[str(g) for g in gs])
    fig.update_yaxes(type="log", title=t("figc.count_axis"), tickformat=",")
    fig.update_layout(legend=dict(orientation="h", y=-0.25))
    return fig


@built_once
def separable_figure(spec: ConvSpec, ops: str = "MAC") -> go.Figure:
    """Standard K×K conv beside K×K depthwise + 1×1 pointwise: params and MACs (or FLOPs), stacked bars."""
    s = separable(spec)
    cats = [t("ledger.params"), t("cost.ops_per_sample", ops=ops)]

    def bar(layer: ConvSpec) -> list[int]:
        return [params(layer), in_ops(macs(layer), ops)]

    fig = go.Figure()
    fig.add_trace(go.Bar(name=t("figc.standard"), x=cats, y=bar(s.standard), offsetgroup="standard",
                         marker_color=PALETTE[0], texttemplate="%{y:,}", textposition="outside"))
    fig.add_trace(go.Bar(name=t("figc.depthwise"), x=cats, y=bar(s.depthwise), offsetgroup="separable",
                         marker_color=PALETTE[2]))
    fig.add_trace(go.Bar(name=t("figc.pointwise"), x=cats, y=bar(s.pointwise), offsetgroup="separable",
                         base=bar(s.depthwise), marker_color=PALETTE[1]))
    base_layout(fig, t("figc.separable_title", ratio=f"{s.ratio:.3f}", ops=ops, N=spec.N, area=spec.kernel_area),
                height=400)
    fig.update_yaxes(type="log", title=t("figc.count_axis"), tickformat=",")
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.2))
    return fig
