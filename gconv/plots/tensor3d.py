"""The 3-D view: input channel slices coloured by group, kernel n's C/G×Kh×Kw block on its own group, and the
output, with one animation frame per kernel position.

Few traces, one per role (input cells, padding, cells read, kernel, output cells, output cell, link, labels);
the frames restyle only the moving ones. Large layers are drawn as a readable window: `plan` says what is
drawn and `View.left_out` says what was not.

>>> from gconv.spec import ConvSpec
>>> v = plan(ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1), n=5, i=0, j=0)
>>> v.inputs, v.kernel_inputs, len(v.positions), v.rows
((0, 1, 2, 3, 4, 5, 6, 7), (4, 5, 6, 7), 36, range(-1, 7))
"""
from __future__ import annotations

from dataclasses import dataclass
from math import isqrt

import numpy as np
import plotly.graph_objects as go

from ..connectivity import channel_groups, group_of, inputs_of
from ..spec import ConvSpec
from ..i18n import t
from ..terms import receptive_fields
from .mesh3d import boxes, corners, grid, join, outline, rects, typed
from .style import group_colour

MAX_SLICES = 16  # channel slices drawn per tensor: more stop reading as slices
MAX_SIDE = 40  # input rows (and columns) drawn, padding included: more stop reading as cells
MAX_FRAMES = 100  # kernel positions animated (a 10×10 window of the output)
MAX_LIT = 3_000  # lit rectangles over all frames (dilated kernels light one per tap): keeps the figure small
# Okabe & Ito's yellow: no group has it (see style.PALETTE), so the cells read stand out on every slice.
READ, OUT_CELL, GHOST, OTHER_OUT, GRID = "#F0E442", "#222222", "#9a9a9a", "#cfcfcf", "rgba(90,90,90,0.55)"
SLICE_STEP = 1.6  # depth between two drawn slices; a skipped run of channels takes one more step


@dataclass(frozen=True)
class View:
    """What the 3-D view draws of a layer: channel slices, the input window (padding included, so rows and
    columns may be negative or ≥ H, W) and the output positions the kernel steps over, in frame order."""

    spec: ConvSpec
    n: int
    inputs: tuple[int, ...]  # input channels drawn, ascending
    kernel_inputs: tuple[int, ...]  # of those, the ones kernel n reads
    outputs: tuple[int, ...]  # output channels drawn, n among them
    rows: range  # input rows drawn; < 0 or ≥ H are padding
    cols: range
    out_rows: range  # output positions the frames step over
    out_cols: range

    @property
    def positions(self) -> list[tuple[int, int]]:
        """The output positions, one frame each, row by row."""
        return [(a, b) for a in self.out_rows for b in self.out_cols]

    def left_out(self) -> list[str]:
        """Plain sentences for every part of the layer that is not drawn (empty when all of it is)."""
        s, notes = self.spec, []
        if len(self.inputs) < s.C:
            notes.append(t("fig3.out_inputs", shown=len(self.inputs), C=s.C))
        if len(self.kernel_inputs) < s.in_per_group:
            notes.append(t("fig3.out_kernel", shown=len(self.kernel_inputs), n=self.n, cg=s.in_per_group))
        if len(self.outputs) < s.N:
            notes.append(t("fig3.out_outputs", shown=len(self.outputs), N=s.N))
        (ph, pw), (ho, wo) = s.padding_hw, s.out_hw
        if len(self.rows) < s.H + 2 * ph or len(self.cols) < s.W + 2 * pw:
            inside = [r for r in self.rows if 0 <= r < s.H], [c for c in self.cols if 0 <= c < s.W]
            notes.append(t("fig3.out_window", r0=inside[0][0], r1=inside[0][-1], c0=inside[1][0], c1=inside[1][-1],
                           H=s.H, W=s.W) if all(inside) else t("fig3.out_window_padding", H=s.H, W=s.W))
        if len(self.out_rows) * len(self.out_cols) < ho * wo:
            notes.append(t("fig3.out_positions", shown=len(self.out_rows) * len(self.out_cols), total=ho * wo,
                           r0=self.out_rows.start, r1=self.out_rows.stop - 1, c0=self.out_cols.start,
                           c1=self.out_cols.stop - 1))
        return notes


def pick_channels(total: int, groups: int, focus: int, budget: int) -> tuple[int, ...]:
    """Up to `budget` of `total` channels in `groups` equal groups: a run of focus's own group around focus, then
    channels of the nearest other groups, so that every group drawn shows its colour.

    >>> pick_channels(64, 4, 17, 8)
    (0, 1, 16, 17, 18, 19, 32, 48)
    """
    size = total // groups
    g = focus // size
    own = min(size, budget if groups == 1 else max(1, budget // 2))
    start = min(max(focus - own // 2, g * size), (g + 1) * size - own)
    chosen = list(range(start, start + own))
    others = sorted((h for h in range(groups) if h != g), key=lambda h: (abs(h - g), h))
    for left, h in enumerate(others):
        room = budget - len(chosen)
        if room <= 0:
            break
        take = min(size, -(-room // (len(others) - left)))  # the room shared out, nearest groups first
        chosen += range(h * size, h * size + take)
    return tuple(sorted(chosen))


def _window(length: int, size: int, centre: int) -> range:
    start = min(max(centre - size // 2, 0), length - size)
    return range(start, start + size)


def plan(spec: ConvSpec, n: int, i: int, j: int) -> View:
    """Choose what to draw for kernel n at output (i, j): every position when the layer is small, else windows
    around (i, j) sized by MAX_FRAMES, MAX_LIT and MAX_SIDE."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = spec.kernel_size, spec.stride_hw, spec.padding_hw, spec.dilation_hw
    ho, wo = spec.out_hw
    lit_per_frame = min(spec.in_per_group, MAX_SLICES) * (kh * kw if max(dh, dw) > 1 else 1)
    frames = max(1, min(MAX_FRAMES, MAX_LIT // lit_per_frame))
    # The input window a run of m positions needs, kept within MAX_SIDE (a kernel wider than that still shows).
    fits = lambda m, s, k, d: m == 1 or (m - 1) * s + (k - 1) * d + 1 <= MAX_SIDE  # noqa: E731
    rows_m = min(ho, max(1, isqrt(frames)))
    while not fits(rows_m, sh, kh, dh):
        rows_m -= 1
    cols_m = min(wo, max(1, frames // rows_m))
    while not fits(cols_m, sw, kw, dw):
        cols_m -= 1
    out_rows, out_cols = _window(ho, rows_m, i), _window(wo, cols_m, j)

    def span(out: range, stride: int, pad: int, kernel: int, dil: int, size: int, outputs: int) -> range:
        lo = out.start * stride - pad
        hi = (out.stop - 1) * stride - pad + (kernel - 1) * dil
        if out.start == 0:
            lo = -pad  # the whole border is drawn when the window starts at the edge
        if out.stop == outputs:  # the window ends at the last output position (spec.out_hw)
            hi = max(hi, min(size - 1 + pad, lo + MAX_SIDE - 1))  # rows the stride never reaches, up to the cap
        return range(lo, hi + 1)

    rows, cols = span(out_rows, sh, ph, kh, dh, spec.H, ho), span(out_cols, sw, pw, kw, dw, spec.W, wo)
    reads = inputs_of(spec, n)
    inputs = pick_channels(spec.C, spec.G, reads.start + min(len(reads), MAX_SLICES) // 2, MAX_SLICES)
    outputs = pick_channels(spec.N, spec.G, n, MAX_SLICES)
    return View(spec, n, inputs, tuple(c for c in inputs if c in reads), outputs, rows, cols, out_rows, out_cols)


def _depths(channels: tuple[int, ...]) -> np.ndarray:
    """Depth of each drawn slice: one step apart, two across a run of channels that is not drawn."""
    skips = np.diff(np.asarray(channels), prepend=channels[0]) > 1
    return (np.arange(len(channels)) + np.cumsum(skips)) * SLICE_STEP


def _encode(geometry: dict) -> dict:
    return {k: typed(v) for k, v in geometry.items()}


def _mesh(name: str, colour: str, opacity: float, geometry: dict, legend: bool = True, **extra) -> dict:
    # Flat, fully ambient light keeps the palette's colours true from every angle.
    hidden = not np.asarray(geometry["x"]).size
    if hidden:
        # An empty role keeps its place (the traces stay the same as G or the padding moves), hidden, with one
        # triangle of no area: plotly.js cannot draw, nor update to, a mesh3d without vertices, and one such
        # trace blanks the whole scene.
        geometry = dict(x=np.zeros(3), y=np.zeros(3), z=np.zeros(3), i=[0], j=[1], k=[2])
        extra = {k: [colour] if k == "facecolor" else v for k, v in extra.items()}
    trace = dict(type="mesh3d", name=name, color=colour, opacity=opacity, flatshading=True, hoverinfo="skip",
                 lighting=dict(ambient=1.0, diffuse=0.0, specular=0.0, fresnel=0.0), showlegend=legend and not hidden,
                 visible=not hidden, **_encode(geometry), **extra)
    return trace


def _lines(name: str, colour: str, width: float, geometry: dict, dash: str = "solid") -> dict:
    return dict(type="scatter3d", mode="lines", name=name, line=dict(color=colour, width=width, dash=dash),
                hoverinfo="skip", showlegend=False, connectgaps=False, **_encode(geometry))


class _Place:
    """Where things sit: x is the column, z minus the row (row 0 on top), y the slice depth; the output block
    stands to the right of the input block, centred on it."""

    def __init__(self, view: View):
        self.view = view
        self.in_depth = dict(zip(view.inputs, _depths(view.inputs)))
        self.out_depth = dict(zip(view.outputs, _depths(view.outputs)))
        self.out_x = len(view.cols) + 3.0
        self.out_drop = 0.5 * (len(view.rows) - len(view.out_rows))

    def row_z(self, r):
        """Bottom edge of input row r (the first drawn row's top edge is z = 0)."""
        return -(np.asarray(r, np.float64) - self.view.rows.start) - 1.0

    def col_x(self, c):
        return np.asarray(c, np.float64) - self.view.cols.start

    def out_z(self, a):
        return -(np.asarray(a, np.float64) - self.view.out_rows.start) - 1.0 - self.out_drop

    def out_col_x(self, b):
        return self.out_x + np.asarray(b, np.float64) - self.view.out_cols.start


def _static(view: View, at: _Place) -> list[dict]:
    """Input slices (inside in group colour, padding grey), the output slices, and the cell grid on all."""
    spec = view.spec
    rows, cols = view.rows, view.cols
    r0, r1 = max(rows.start, 0), min(rows.stop, spec.H)  # the drawn part of the real input
    c0, c1 = max(cols.start, 0), min(cols.stop, spec.W)
    in_depths = list(at.in_depth.values())
    in_groups = channel_groups(spec.C, spec.G)
    traces = []
    # Kernel n's slices stand out; the others stay faint, so slices in front never hide the kernel behind them.
    # Every role keeps its trace even when empty (no other group at G=1, no padding), so moving G or the
    # padding restyles the same traces and the legend stays put.
    for name, channels, opacity in ((t("fig3.own_slices"), view.kernel_inputs, 0.4),
                                    (t("fig3.other_slices"), [c for c in view.inputs
                                                                    if c not in view.kernel_inputs], 0.12)):
        colours = [group_colour(int(in_groups[c])) for c in channels]
        traces.append(_mesh(name, colours[0] if colours else GHOST, opacity,
                            rects(at.col_x(c0), at.col_x(c1), at.row_z(r1 - 1), at.row_z(r0 - 1),
                                  [at.in_depth[c] for c in channels]), facecolor=colours + colours))
    top, bottom, left, right = at.row_z(rows.start - 1), at.row_z(rows.stop - 1), at.col_x(cols.start), \
        at.col_x(cols.stop)
    inner_bottom, inner_top = at.row_z(r1 - 1), at.row_z(r0 - 1)
    ring = [(left, right, inner_top, top), (left, right, bottom, inner_bottom),
            (left, at.col_x(c0), inner_bottom, inner_top), (at.col_x(c1), right, inner_bottom, inner_top)]
    ring = [r for r in ring if r[1] > r[0] and r[3] > r[2]]
    traces.append(_mesh(t("fig3.padding"), GHOST, 0.1, join([rects(*r, in_depths if ring else []) for r in
                                                             ring or [(0, 0, 0, 0)]])))
    ox0, ox1 = at.out_col_x(view.out_cols.start), at.out_col_x(view.out_cols.stop)
    oz0, oz1 = at.out_z(view.out_rows.stop - 1), at.out_z(view.out_rows.start - 1)
    others = [at.out_depth[o] for o in view.outputs if o != view.n]
    traces.append(_mesh(t("fig3.other_outputs"), OTHER_OUT, 0.2, rects(ox0, ox1, oz0, oz1, others)))
    traces.append(_mesh(t("fig3.output_channel", n=view.n), group_colour(group_of(spec, view.n)), 0.55,
                        rects(ox0, ox1, oz0, oz1, [at.out_depth[view.n]])))
    cells = join([grid(at.col_x(np.arange(cols.start, cols.stop + 1)), at.row_z(np.arange(rows.start - 1, rows.stop)),
                       in_depths),
                  grid(at.out_col_x(np.arange(view.out_cols.start, view.out_cols.stop + 1)),
                       at.out_z(np.arange(view.out_rows.start - 1, view.out_rows.stop)), list(at.out_depth.values()))])
    traces.append(_lines(t("fig3.grid"), GRID, 1.5, cells))
    return traces


def _labels(view: View, at: _Place) -> dict:
    """Tensor names and sizes, channel numbers in their group's colour, and ⋯ where channels are not drawn."""
    spec = view.spec
    ho, wo = spec.out_hw
    in_groups = channel_groups(spec.C, spec.G)
    top_out = float(at.out_z(view.out_rows.start)) + 1.0
    xs, ys, zs, text, colours = [], [], [], [], []

    def put(x, y, z, label, colour="#555555"):
        xs.append(float(x)), ys.append(float(y)), zs.append(float(z)), text.append(label), colours.append(colour)

    # Names under the blocks: above them the channel numbers run back in depth.
    put(len(view.cols) / 2, 0, float(at.row_z(view.rows.stop - 1)) - 1.0,
        f"<b>{t('fig.input')}</b> {spec.C}×{spec.H}×{spec.W}")
    put(at.out_x + len(view.out_cols) / 2, 0, float(at.out_z(view.out_rows.stop - 1)) - 1.0,
        f"<b>{t('fig.output')}</b> {spec.N}×{ho}×{wo}")
    for c in view.inputs:
        put(-0.7, at.in_depth[c], 0.6, str(c), group_colour(int(in_groups[c])))
    for o in view.outputs:
        put(at.out_x + len(view.out_cols) + 0.7, at.out_depth[o], top_out + 0.6, str(o),
            group_colour(group_of(spec, o)))
    for depths, channels, x, z in ((at.in_depth, view.inputs, -0.7, 0.6),
                                   (at.out_depth, view.outputs, at.out_x + len(view.out_cols) + 0.7, top_out + 0.6)):
        for prev, nxt in zip(channels, channels[1:]):
            if nxt - prev > 1:
                put(x, (depths[prev] + depths[nxt]) / 2, z, "⋯")
    return dict(type="scatter3d", mode="text", x=xs, y=ys, z=zs, text=text, textfont=dict(color=colours, size=12),
                hoverinfo="skip", showlegend=False)


def _moving(view: View, at: _Place) -> list[dict]:
    """Geometry of what moves, for every position of the view at once (leading axis: frame): the cells read, the
    kernel, its outline, the output cell, the link between them. An undilated kernel reads one rectangle per
    slice; a dilated one reads single cells with holes between them."""
    spec = view.spec
    pos, inside = receptive_fields(spec, view.out_rows, view.out_cols)  # (P, taps, 2), (P, taps)
    r, c = pos[..., 0], pos[..., 1]
    depths = np.array([at.in_depth[ch] for ch in view.kernel_inputs], np.float64)
    if max(spec.dilation_hw) == 1:  # the taps tile one rectangle: draw it whole
        blocks = np.stack([r.min(1), c.min(1), r.max(1), c.max(1)], -1)[:, None]  # (P, 1, 4): top, left, bottom, right
        big = np.iinfo(np.int64).max
        reads = np.stack([np.where(inside, r, big).min(1), np.where(inside, c, big).min(1),
                          np.where(inside, r, -big).max(1), np.where(inside, c, -big).max(1)], -1)[:, None]
        empty = ~inside.any(1)[:, None]
        reads = np.where(empty[..., None], blocks, reads)
    else:
        blocks = np.concatenate([pos, pos], -1)  # (P, taps, 4)
        reads, empty = blocks, ~inside
    # A tap on the padding lights nothing: its rectangle has no area, so every frame has the same triangles and
    # the frames carry only the moved x and z.
    rx0, rx1 = at.col_x(reads[..., 1]), at.col_x(reads[..., 3] + 1)
    rz0, rz1 = at.row_z(reads[..., 2]), at.row_z(reads[..., 0] - 1)
    rx1, rz1 = np.where(empty, rx0, rx1), np.where(empty, rz0, rz1)
    per_slice = lambda a: np.tile(a, (1, len(depths)))  # noqa: E731  (P, slices · rectangles)
    lit = rects(per_slice(rx0), per_slice(rx1), per_slice(rz0), per_slice(rz1),
                np.repeat(depths - 0.03, reads.shape[1]))  # just in front of its slice, so the slice does not hide it
    x0, z0 = at.col_x(blocks[..., 1]), at.row_z(blocks[..., 2])
    x1, z1 = at.col_x(blocks[..., 3] + 1), at.row_z(blocks[..., 0] - 1)
    y0, y1 = depths.min() - 0.35, depths.max() + 0.35
    kernel = corners(x0, x1, y0, y1, z0, z1)
    hull = corners(x0.min(1, keepdims=True), x1.max(1, keepdims=True), y0, y1, z0.min(1, keepdims=True),
                   z1.max(1, keepdims=True))
    a, b = (m.ravel() for m in np.meshgrid(np.asarray(view.out_rows), np.asarray(view.out_cols), indexing="ij"))
    ox, oz, oy = at.out_col_x(b)[:, None], at.out_z(a)[:, None], at.out_depth[view.n]
    cell = corners(ox, ox + 1, oy - 0.3, oy + 0.3, oz, oz + 1)
    centre = hull.reshape(len(a), -1, 3).mean(1)
    link = dict(x=np.stack([centre[:, 0], ox[:, 0] + 0.5], 1), y=np.stack([centre[:, 1], np.full(len(a), oy)], 1),
                z=np.stack([centre[:, 2], oz[:, 0] + 0.5], 1))
    return [lit, boxes(kernel), outline(hull), boxes(cell), link]


def _frame(geometry: dict, f: int) -> dict:
    """Frame f of a batched geometry: its x, y, z, and the shared triangles."""
    return {k: v[f] if k in "xyz" else v for k, v in geometry.items()}


def tensor_figure(view: View, i: int, j: int, height: int = 620) -> go.Figure:
    """The 3-D figure of `view` with the kernel at output (i, j), and one frame per position of the view."""
    spec = view.spec
    at = _Place(view)
    g = group_of(spec, view.n)
    (kh, kw) = spec.kernel_size
    static = _static(view, at)
    geometry = _moving(view, at)
    here = view.positions.index((i, j)) if (i, j) in view.positions else 0
    lit, kernel, edges, cell, link = (_frame(geo, here) for geo in geometry)
    moving = [
        _mesh(t("fig3.cells_read"), READ, 1.0, lit),
        _mesh(t("fig3.kernel", n=view.n, shape=f"{spec.in_per_group}×{kh}×{kw}"), group_colour(g), 0.15, kernel),
        _lines(t("fig3.outline"), group_colour(g), 6, edges),
        _mesh(f"y[{view.n}, i, j]", OUT_CELL, 1.0, cell),
        _lines(t("fig3.link"), OUT_CELL, 3, link, dash="dash"),
    ]
    data = static + moving + [_labels(view, at)]
    indices = list(range(len(static), len(static) + len(moving)))
    # Only x and z move: depths and triangles are the same in every frame (see _moving).
    # Play runs through the frames in their order, so they start here and wrap around: ▶ continues from (i, j).
    order = [*range(here, len(view.positions)), *range(here)]
    frames = [dict(name=f"{a},{b}", traces=indices,
                   data=[dict(type=t["type"], **_encode(
                       dict(x=geo["x"][f], z=geo["z"][f]))) for t, geo in zip(moving, geometry)])
              for f, (a, b) in ((f, view.positions[f]) for f in order)]
    steps = [dict(method="animate", label=f"({a},{b})",
                  args=[[f"{a},{b}"], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                           transition=dict(duration=0))]) for a, b in view.positions]
    play = dict(type="buttons", showactive=False, direction="left", x=0, y=0.02, xanchor="left", yanchor="top",
                pad=dict(t=30, r=10),
                buttons=[dict(label=t("fig3.play"), method="animate",
                              args=[None, dict(frame=dict(duration=350, redraw=True), fromcurrent=True,
                                               transition=dict(duration=0), mode="immediate")]),
                         dict(label=t("fig3.pause"), method="animate",
                              args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])])
    slider = dict(active=here, steps=steps, x=0.2, len=0.8, y=0.02, yanchor="top", pad=dict(t=0),
                  currentvalue=dict(prefix=t("fig3.position"), font=dict(size=13)))
    hidden = dict(visible=False, showgrid=False, zeroline=False, showticklabels=False, title="")
    layout = dict(
        height=height, margin=dict(l=0, r=0, t=60, b=90), paper_bgcolor="rgba(0,0,0,0)",
        title=dict(x=0, xanchor="left", text=t("fig3.title", n=view.n, shape=f"{spec.in_per_group}×{kh}×{kw}", g=g,
                                               cg=spec.in_per_group, stride=spec.stride_hw, padding=spec.padding_hw,
                                               dilation=spec.dilation_hw)),
        scene=dict(xaxis=hidden, yaxis=hidden, zaxis=hidden, aspectmode="data", uirevision="tensor3d",
                   domain=dict(x=[0, 0.8], y=[0.08, 1]),
                   camera=dict(eye=dict(x=-1.1, y=-1.7, z=0.8), up=dict(x=0, y=0, z=1))),
        legend=dict(x=1, xanchor="right", y=0.95, yanchor="top", font=dict(size=11)),
        uirevision="tensor3d", updatemenus=[play], sliders=[slider])
    return go.Figure(dict(data=data, layout=layout, frames=frames), _validate=False)
