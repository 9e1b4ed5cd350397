"""The 3-D sliding view, read back from the figure itself and checked against torch.

Oracles: torch autograd on nn.Conv2d (which input cells an output reads), the group rule c // (C/G) == n // (N/G)
written out here, and plain arithmetic on the layer (padding area, output size).
"""
import json

import numpy as np
import plotly.io as pio
import pytest
import torch
import torch.nn as nn

from apptest import array
from gconv import ConvSpec
from gconv.plots.tensor3d import MAX_FRAMES, MAX_SIDE, MAX_SLICES, pick_channels, plan, tensor_figure

# (spec, n, i, j): small layers drawn whole, every kind of sliding
SMALL = {
    "default grouped": (ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1), 5, 2, 3),
    "standard": (ConvSpec(C=4, N=4, G=1, K=3, H=5, W=5, padding=1), 0, 0, 0),
    "depthwise dilated": (ConvSpec(C=4, N=4, G=4, K=3, H=7, W=7, padding=2, dilation=2), 2, 3, 1),
    "strided, padded, m=2": (ConvSpec(C=3, N=6, G=3, K=3, H=7, W=7, stride=2, padding=1), 4, 1, 2),
    "rectangular, asymmetric": (ConvSpec(C=4, N=2, G=2, K=(3, 2), H=6, W=5, stride=(1, 2), padding=(1, 0),
                                         dilation=(2, 1)), 1, 0, 1),
    "GDC K=H=W": (ConvSpec(C=4, N=4, G=4, K=5, H=5, W=5), 3, 0, 0),
    "padding wider than the kernel": (ConvSpec(C=2, N=2, G=1, K=1, H=2, W=2, padding=2), 1, 0, 0),
}


def figure(spec, n, i, j) -> dict:
    return json.loads(pio.to_json(tensor_figure(plan(spec, n, i, j), i, j), validate=False))


def trace(fig: dict, name_start: str) -> tuple[int, dict]:
    return next((k, t) for k, t in enumerate(fig["data"]) if (t.get("name") or "").startswith(name_start))


def channel_of_depth(fig: dict) -> dict:
    """Input channel at each slice depth, read from the channel numbers the figure writes left of the input."""
    labels = fig["data"][-1]
    xs, ys = array(labels["x"]), array(labels["y"])
    left = xs.min()
    return {round(float(y), 3): int(t) for x, y, t in zip(xs, ys, labels["text"]) if x == left and t.isdigit()}


def lit_cells(fig: dict, frame: dict, view) -> set:
    """(channel, row, column) of every lit input cell in one frame, decoded from its rectangles."""
    k, lit = trace(fig, "cells read")
    data = frame["data"][frame["traces"].index(k)]
    xs, zs, ys = (array(v).reshape(-1, 4) for v in (data["x"], data["z"], lit["y"]))
    depth = channel_of_depth(fig)
    cells = set()
    for x, z, y in zip(xs, zs, ys):
        c = depth[round(float(y[0]) + 0.03, 3)]
        cols = range(int(round(x.min())) + view.cols.start, int(round(x.max())) + view.cols.start)
        rows = range(view.rows.start - int(round(z.max())), view.rows.start - int(round(z.min())))
        cells |= {(c, r, s) for r in rows for s in cols}
    return cells


def read_by_torch(spec: ConvSpec, n: int, a: int, b: int) -> set:
    """Oracle: the input cells with a nonzero gradient of y[n, a, b] through nn.Conv2d with all-one weights."""
    conv = nn.Conv2d(spec.C, spec.N, spec.kernel_size, stride=spec.stride_hw, padding=spec.padding_hw,
                     dilation=spec.dilation_hw, groups=spec.G, bias=False)
    nn.init.ones_(conv.weight)
    x = torch.ones(1, spec.C, spec.H, spec.W, requires_grad=True)
    conv(x)[0, n, a, b].backward()
    return {tuple(map(int, idx)) for idx in torch.nonzero(x.grad[0])}


@pytest.mark.parametrize("case", SMALL, ids=list(SMALL))
def test_every_frame_lights_exactly_the_cells_torch_reads(case):
    spec, n, i, j = SMALL[case]
    view = plan(spec, n, i, j)
    fig = figure(spec, n, i, j)
    ho, wo = spec.out_hw
    assert len(fig["frames"]) == ho * wo  # small layers: every output position is a frame
    assert {f["name"] for f in fig["frames"]} == {f"{a},{b}" for a in range(ho) for b in range(wo)}
    assert fig["frames"][0]["name"] == f"{i},{j}"  # ▶ starts from the chosen position
    for frame in fig["frames"]:
        a, b = map(int, frame["name"].split(","))
        assert lit_cells(fig, frame, view) == read_by_torch(spec, n, a, b), frame["name"]


@pytest.mark.parametrize("G", [1, 2, 4, 8])
def test_g_slider_moves_only_the_kernel_from_standard_to_depthwise(G):
    spec, n = ConvSpec(C=8, N=8, G=G, K=3, H=6, W=6, padding=1), 5
    fig = figure(spec, n, 1, 1)
    depth = channel_of_depth(fig)
    _, kernel = trace(fig, f"kernel {n}:")
    ys = array(kernel["y"])
    spanned = {c for y, c in depth.items() if ys.min() < y < ys.max()}
    assert spanned == {c for c in range(8) if c // (8 // G) == n // (8 // G)}  # the group rule, written out
    assert kernel["name"] == f"kernel {n}: {8 // G}×3×3"
    # Nothing else changes with G: the same slices, positions, camera and kept view.
    base = figure(ConvSpec(C=8, N=8, G=1, K=3, H=6, W=6, padding=1), n, 1, 1)
    assert depth == channel_of_depth(base)
    assert [f["name"] for f in fig["frames"]] == [f["name"] for f in base["frames"]]
    assert fig["layout"]["scene"]["camera"] == base["layout"]["scene"]["camera"]
    assert fig["layout"]["uirevision"] == base["layout"]["uirevision"] == fig["layout"]["scene"]["uirevision"]
    roles = lambda f: [(t["type"], (t.get("name") or "").split(":")[0]) for t in f["data"]]  # noqa: E731
    assert roles(fig) == roles(base)  # the same traces in the same order: only their contents move


def test_dilated_kernel_has_holes_and_padding_is_ghost_cells():
    spec = ConvSpec(C=4, N=4, G=4, K=3, H=7, W=7, padding=2, dilation=2)
    fig = figure(spec, 2, 3, 3)
    _, kernel = trace(fig, "kernel 2:")
    xs, zs = array(kernel["x"]).reshape(-1, 8), array(kernel["z"]).reshape(-1, 8)
    assert len(xs) == 9  # one box per tap
    assert (np.ptp(xs, 1) == 1).all() and (np.ptp(zs, 1) == 1).all()  # each one cell wide
    assert sorted({float(x.min()) for x in xs}) == [3.0, 5.0, 7.0]  # two cells apart: a hole between taps
    _, ghost = trace(fig, "padding")
    gx, gz = array(ghost["x"]).reshape(-1, 4), array(ghost["z"]).reshape(-1, 4)
    area = (np.ptp(gx, 1) * np.ptp(gz, 1)).sum() / 4  # four slices drawn
    assert area == (7 + 2 * 2) ** 2 - 7 * 7  # the padded ring around each slice
    _, none = trace(figure(ConvSpec(C=2, N=2, G=1, K=3, H=5, W=5), 0, 0, 0), "padding")
    assert none["visible"] is False  # no padding: nothing drawn there


def test_output_cell_steps_over_the_output():
    spec = ConvSpec(C=3, N=6, G=3, K=3, H=7, W=7, stride=2, padding=1)  # 4×4 output
    fig = figure(spec, 4, 0, 0)
    k, _ = trace(fig, "y[4, i, j]")
    centres = {}
    for frame in fig["frames"]:
        d = frame["data"][frame["traces"].index(k)]
        centres[frame["name"]] = (array(d["x"]).mean(), array(d["z"]).mean())
    x00, z00 = centres["0,0"]
    for name, (x, z) in centres.items():
        a, b = map(int, name.split(","))
        assert (x - x00, z00 - z) == pytest.approx((b, a))  # one cell right per column, one down per row


LARGE = [  # (spec, n, i, j): too large to draw whole
    (ConvSpec(C=64, N=64, G=8, K=3, H=32, W=32, padding=1), 20, 12, 7),
    (ConvSpec(C=64, N=64, G=1, K=3, H=32, W=32, padding=1), 63, 31, 31),
    (ConvSpec(C=64, N=64, G=64, K=32, H=32, W=32), 40, 0, 0),
    (ConvSpec(C=4096, N=4096, G=4096, K=3, H=1024, W=1024, stride=16, padding=128, dilation=16), 4000, 40, 3),
    (ConvSpec(C=512, N=1024, G=4, K=(1, 7), H=1, W=512, padding=(0, 3)), 700, 0, 300),
]


@pytest.mark.parametrize("spec, n, i, j", LARGE, ids=lambda v: str(v) if isinstance(v, ConvSpec) else None)
def test_large_layers_draw_a_window_and_say_what_is_left_out(spec, n, i, j):
    view = plan(spec, n, i, j)
    fig = figure(spec, n, i, j)
    assert len(fig["data"]) <= 12  # one trace per role, not one per cell
    assert (i, j) in view.positions and len(fig["frames"]) == len(view.positions) <= MAX_FRAMES
    assert len(view.inputs) <= MAX_SLICES and len(view.outputs) <= MAX_SLICES and n in view.outputs
    kh, kw = spec.kernel_size
    assert len(view.rows) <= max(MAX_SIDE, (kh - 1) * spec.dilation_hw[0] + 1)
    assert len(view.cols) <= max(MAX_SIDE, (kw - 1) * spec.dilation_hw[1] + 1)
    reads = range(n // spec.out_per_group * spec.in_per_group, (n // spec.out_per_group + 1) * spec.in_per_group)
    assert set(view.kernel_inputs) == set(view.inputs) & set(reads) and view.kernel_inputs
    said = " ".join(view.left_out())
    assert f"{len(view.inputs)} of {spec.C} input channels" in said
    assert len(pio.to_json(tensor_figure(view, i, j), validate=False)) < 1_000_000  # stays light for the browser
    lit = lit_cells(fig, fig["frames"][0], view)  # the first frame is (i, j): torch agrees on what is drawn
    drawn = {(c, r, s) for c, r, s in read_by_torch(spec, n, i, j) if c in view.inputs} if spec.C * spec.H * \
        spec.W <= 2 ** 22 else lit
    assert lit == drawn


@pytest.mark.parametrize("total, groups, focus, budget", [(64, 4, 17, 8), (64, 64, 40, 16), (8, 2, 5, 16),
                                                          (4096, 1, 4000, 16), (12, 3, 11, 5)])
def test_pick_channels_keeps_the_focus_group_and_shows_its_neighbours(total, groups, focus, budget):
    chosen = pick_channels(total, groups, focus, budget)
    size = total // groups
    assert len(chosen) == min(total, budget) and list(chosen) == sorted(set(chosen))
    assert focus in chosen
    own = [c for c in chosen if c // size == focus // size]
    assert own == list(range(own[0], own[-1] + 1))  # one contiguous run of the focus's own group
    if groups > 1 and budget > size:
        assert len({c // size for c in chosen}) > 1  # other groups show their colour too


@pytest.mark.parametrize("case", SMALL, ids=list(SMALL))
def test_no_visible_trace_is_empty(case):
    # plotly.js cannot draw, nor update to, a mesh3d without vertices: one such trace blanks the whole scene (seen
    # at G=1, where no other group exists, and without padding). Empty roles are kept, hidden.
    spec, n, i, j = SMALL[case]
    for fig in (figure(spec, n, i, j), figure(ConvSpec(C=4, N=4, G=1, K=1, H=3, W=3), 0, 0, 0)):
        for t in fig["data"]:
            if t["type"] == "mesh3d":
                assert array(t["x"]).size >= 3 and array(t["i"]).size >= 1, t["name"]
