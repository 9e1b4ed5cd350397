"""The home page's seven pictures, each against its own oracle, and the GDC picture against a fresh training.

Oracles: the group rule written out here, torch's nn.ChannelShuffle, torch's FlopCounterMode on a standard conv
and its depthwise + pointwise replacement, and the GDC lab's own training rerun with the stored config.
"""
import json

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from conftest import ROOT
from gconv.plots.story import SEPARABLE_K, story_figures

ASSET = ROOT / "assets" / "gdc_faces_aligned.json"


@pytest.fixture(scope="module")
def figures():
    return story_figures(np.array(json.loads(ASSET.read_text())["relative_weights"]), "caption")


def edges_drawn(fig) -> set:
    """(input row, kernel row) of every edge line of a bipartite figure, as fractions of the height."""
    out = set()
    for t in fig.data:
        if (t.name or "").startswith("group") and t.mode == "lines":
            ys = np.asarray(t.y, float).reshape(-1, 3)
            out |= {(round(y[0], 6), round(y[1], 6)) for y in ys}
    return out


@pytest.mark.parametrize("key, C, N, G", [("conv", 4, 4, 1), ("group", 8, 8, 2), ("depthwise", 6, 6, 6)])
def test_connectivity_pictures_draw_exactly_the_group_rule(figures, key, C, N, G):
    drawn = edges_drawn(figures[key])
    expected = {(round((c + 0.5) / C, 6), round((n + 0.5) / N, 6)) for n in range(N) for c in range(C)
                if c // (C // G) == n // (N // G)}  # output n reads input c when they share a group
    assert drawn == expected


def test_mask_picture_is_block_diagonal_with_one_over_g_kept(figures):
    z = np.asarray(figures["sparsity"].data[0].z, float)
    assert z.shape == (8, 8)
    n, c = np.indices(z.shape)
    assert (z.astype(bool) == (n // 4 == c // 4)).all() and z.astype(bool).mean() == 1 / 2  # AlexNet: G=2


def test_shuffle_picture_is_torchs_channel_shuffle(figures):
    C, G = 16, 4  # the lesson's shuffle step: ShuffleNet's reshape–transpose over 4 groups
    moved = nn.ChannelShuffle(G)(torch.arange(float(C)).reshape(1, C, 1, 1)).flatten()
    arrives = {}
    for t in figures["shuffle"].data:
        if t.mode == "lines":
            for y0, y1, _ in np.asarray(t.y, float).reshape(-1, 3):
                arrives[round(y1 * C - 0.5)] = round(y0 * C - 0.5)
    assert arrives == {i: int(moved[i]) for i in range(C)}


def test_separable_picture_matches_torchs_flop_count(figures):
    curve = figures["separable"].data[0]
    ns, ratio = np.asarray(curve.x), np.asarray(curve.y, float)
    assert ratio == pytest.approx(1 / ns + 1 / SEPARABLE_K ** 2, rel=1e-12)  # MobileNets (Howard 2017), eq. 5
    x = torch.zeros(1, 16, 10, 10)
    for n in (int(ns[0]), int(ns[len(ns) // 3]), int(ns[-1])):  # the same ratio from torch's own FLOP count, C=16
        with FlopCounterMode(display=False) as dense:
            nn.Conv2d(16, n, SEPARABLE_K, padding=1, bias=False)(x)
        with FlopCounterMode(display=False) as sep:
            nn.Conv2d(16, n, 1, bias=False)(nn.Conv2d(16, 16, SEPARABLE_K, padding=1, groups=16, bias=False)(x))
        assert ratio[list(ns).index(n)] == pytest.approx(sep.get_total_flops() / dense.get_total_flops(), rel=1e-9)


def test_gdc_picture_sets_gap_uniform_beside_the_learned_weights(figures):
    gap, gdc = (np.asarray(t.z, float) for t in figures["gdc"].data)
    stored = np.array(json.loads(ASSET.read_text())["relative_weights"])
    assert (gap == 1).all() and gap.shape == stored.shape  # GAP: the same 1/(H·W) at every position
    assert gdc == pytest.approx(stored) and gdc.mean() == pytest.approx(1, abs=1e-3)
    assert gdc.std() > 0.2  # a learned pooling does not weigh every position the same


@pytest.mark.slow
def test_gdc_picture_is_what_the_lab_learns():
    from gconv.gdc import GDCConfig, train

    stored = json.loads(ASSET.read_text())
    result = train(GDCConfig(**stored["config"]))
    assert result.gdc.test_acc[-1] == pytest.approx(stored["gdc_test_acc"], abs=0.05)
    assert result.gap.test_acc[-1] == pytest.approx(stored["gap_test_acc"], abs=0.05)
    fresh = result.relative_weights().ravel()
    assert np.corrcoef(fresh, np.ravel(stored["relative_weights"]))[0, 1] > 0.95
