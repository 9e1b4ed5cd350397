"""Geometry for plotly's 3-D traces: many rectangles or boxes as one mesh3d, many segments as one line path.

Every helper takes arrays with any leading shape (frames, items); the last axis is the items of one trace, so
all the animation frames of a trace are built in one numpy call and share their triangles.

>>> g = rects(np.zeros((2, 1)), np.ones((2, 1)), np.zeros((2, 1)), np.ones((2, 1)), np.zeros(1))
>>> g["x"].shape, g["i"].tolist(), g["j"].tolist(), g["k"].tolist()
((2, 4), [0, 0], [1, 2], [2, 3])
"""
from __future__ import annotations

import base64

import numpy as np

_BOX_FACES = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5],
                       [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]], dtype=np.int64)
_BOX_EDGES = np.array([(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6),
                       (3, 7)])


def rects(x0, x1, z0, z1, y) -> dict:
    """Rectangles standing in the x–z plane at depth y: x, y, z of shape (..., 4·items) and the two triangles
    of each as i, j, k (the same for every leading index)."""
    x0, x1, z0, z1, y = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (x0, x1, z0, z1, y)))
    xs = np.stack([x0, x1, x1, x0], -1).reshape(*x0.shape[:-1], -1)
    zs = np.stack([z0, z0, z1, z1], -1).reshape(*x0.shape[:-1], -1)
    ys = np.repeat(y, 4, axis=-1)
    base = 4 * np.arange(x0.shape[-1])
    return dict(x=xs, y=ys, z=zs, i=np.concatenate([base, base]), j=np.concatenate([base + 1, base + 2]),
                k=np.concatenate([base + 2, base + 3]))


def corners(x0, x1, y0, y1, z0, z1) -> np.ndarray:
    """(..., boxes, 8, 3) corners of boxes: the y0 face counter-clockwise, then the y1 face."""
    x0, x1, y0, y1, z0, z1 = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (x0, x1, y0, y1, z0, z1)))
    face = [(x0, z0), (x1, z0), (x1, z1), (x0, z1)]
    return np.stack([np.stack([x, y, z], -1) for y in (y0, y1) for x, z in face], -2)


def boxes(c: np.ndarray) -> dict:
    """Closed boxes from corners (..., boxes, 8, 3) as mesh3d arrays: x, y, z (..., 8·boxes)."""
    count = c.shape[-3]
    faces = (_BOX_FACES[None] + 8 * np.arange(count)[:, None, None]).reshape(-1, 3)
    flat = c.reshape(*c.shape[:-3], -1, 3)
    return dict(x=flat[..., 0], y=flat[..., 1], z=flat[..., 2], i=faces[:, 0], j=faces[:, 1], k=faces[:, 2])


def outline(c: np.ndarray) -> dict:
    """The 12 edges of each box (corners (..., boxes, 8, 3)) as one line path, NaN between segments (plotly
    draws NaN as a gap)."""
    a, b = c[..., _BOX_EDGES[:, 0], :], c[..., _BOX_EDGES[:, 1], :]
    seg = np.stack([a, b, np.full_like(a, np.nan)], -2).reshape(*c.shape[:-3], -1, 3)
    return dict(x=seg[..., 0], y=seg[..., 1], z=seg[..., 2])


def grid(xs: np.ndarray, zs: np.ndarray, depths) -> dict:
    """Cell borders on planes at each depth: vertical lines at xs, horizontal at zs, as one line path."""
    xs, zs = np.asarray(xs, np.float64), np.asarray(zs, np.float64)
    vertical = np.stack([np.stack([xs, np.full_like(xs, zs[0])], -1), np.stack([xs, np.full_like(xs, zs[-1])], -1)], 1)
    horizontal = np.stack([np.stack([np.full_like(zs, xs[0]), zs], -1), np.stack([np.full_like(zs, xs[-1]), zs], -1)],
                          1)
    seg = np.concatenate([vertical, horizontal])
    plane = np.concatenate([seg, np.full((len(seg), 1, 2), np.nan)], 1).reshape(-1, 2)
    depths = np.asarray(depths, np.float64)
    return dict(x=np.tile(plane[:, 0], len(depths)), z=np.tile(plane[:, 1], len(depths)),
                y=np.repeat(depths, len(plane)))


def join(parts: list[dict]) -> dict:
    """Several geometries as one: points concatenated, triangle indices shifted, NaN between line paths."""
    out, offset = {}, 0
    for p in parts:
        for key, v in p.items():
            v = np.asarray(v)
            if key in "ijk":
                v = v + offset
            elif "i" not in p and out.get(key):
                out[key].append(np.array([np.nan]))  # a line path: break it between parts
            out.setdefault(key, []).append(v)
        offset += np.asarray(p["x"]).shape[-1]
    return {k: np.concatenate(v, -1) for k, v in out.items()}


def typed(values) -> dict:
    """An array as plotly's typed-array spec (little-endian binary in base64): float32 coordinates or the
    smallest unsigned indices. Plotly passes it through without validating or copying, and the browser gets a
    quarter of the bytes of JSON text."""
    v = np.asarray(values)
    if v.dtype.kind in "iub":
        dtype = "u2" if v.size == 0 or v.max() < 2 ** 16 else "u4"
    else:
        dtype = "f4"
    return {"dtype": dtype, "bdata": base64.b64encode(np.ascontiguousarray(v, "<" + dtype).tobytes()).decode()}
