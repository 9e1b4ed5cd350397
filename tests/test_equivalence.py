"""Grouped conv computed three ways, and GDC/GAP identities, agree within 1e-5 in fp32."""
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gconv import ConvSpec, equivalence as eq
from strategies import valid_specs

TOL = 1e-5  # fp32, outputs O(1) because weights are scaled by 1/sqrt(fan_in)


@settings(max_examples=200, deadline=None)
@given(valid_specs(max_channels=32, max_size=16), st.integers(1, 3))
def test_three_ways_agree(spec, batch):
    e = eq.three_ways(spec, batch=batch, seed=batch)
    assert e.split_vs_native < TOL
    assert e.dense_vs_native < TOL
    assert e.output_shape == (batch, *spec.out_shape)


def test_block_diagonal_zeros_outside_group():
    spec = ConvSpec(C=6, N=4, G=2, K=3, H=3, W=3)
    _, w, _ = eq.random_inputs(spec)
    dense = eq.block_diagonal(w, spec.G)
    assert dense.shape == (4, 6, 3, 3)
    assert (dense[:2, 3:] == 0).all() and (dense[2:, :3] == 0).all()
    assert torch.equal(dense[:2, :3], w[:2]) and torch.equal(dense[2:, 3:], w[2:])


def test_a_wrong_expansion_is_caught():
    # The check can fail: a weight expanded to the wrong block differs from the native conv.
    spec = ConvSpec(C=4, N=4, G=2, K=1, H=2, W=2)
    x, w, _ = eq.random_inputs(spec)
    wrong = eq.block_diagonal(w, spec.G).flip(1)
    native = F.conv2d(x, w, groups=2)
    assert (F.conv2d(x, wrong) - native).abs().max() > 1e-3


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 64), st.integers(1, 12), st.integers(1, 12), st.integers(0, 10))
def test_gdc_and_gap_identities(C, H, W, seed):
    d = eq.gdc_equivalence(C, H, W, seed=seed)
    assert d["conv_vs_sum"] < TOL
    assert d["gap_vs_uniform_gdc"] < TOL


def test_gdc_is_the_spec_kind_output():
    spec = ConvSpec(C=8, N=8, G=8, K=(7, 6), H=7, W=6)
    x = torch.randn(2, 8, 7, 6)
    w = torch.randn(8, 7, 6)
    assert eq.gdc_conv(x, w).shape == (2, 8)
    assert spec.out_hw == (1, 1)
    assert torch.allclose(eq.gap(x), x.mean((-2, -1)), atol=TOL)
