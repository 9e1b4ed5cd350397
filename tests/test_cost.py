"""Cost model against independent oracles: nn.Conv2d parameter counts, FlopCounterMode, closed forms."""
import math

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from torch.utils.flop_counter import FlopCounterMode

from gconv import ConvSpec, GConvError, cost
from strategies import valid_specs


def torch_layer(spec, device="meta"):
    return nn.Conv2d(spec.C, spec.N, spec.K, stride=spec.stride, padding=spec.padding,
                     dilation=spec.dilation, groups=spec.G, bias=spec.bias, device=device)


def counted_flops(spec, batch=1):
    """FLOPs of one forward pass as torch.utils.flop_counter counts them (2 per MAC, bias not counted)."""
    layer = torch_layer(spec)
    x = torch.empty(batch, *spec.in_shape, device="meta")
    with FlopCounterMode(display=False) as counter:
        layer(x)
    return counter.get_total_flops()


@settings(max_examples=250, deadline=None)
@given(valid_specs(max_channels=64, max_size=24))
def test_params_and_flops_match_torch(spec):
    layer = torch_layer(spec)
    assert cost.params(spec) == sum(p.numel() for p in layer.parameters())
    assert cost.weight_params(spec) == layer.weight.numel()
    assert cost.flops(spec) == counted_flops(spec)
    assert cost.flops(spec) == 2 * cost.macs(spec)


def test_flops_scale_with_batch():
    spec = ConvSpec(C=16, N=32, G=4, K=3, H=10, W=12, stride=2, padding=1)
    assert counted_flops(spec, batch=5) == 5 * cost.flops(spec)


@pytest.mark.parametrize("G", [1, 2, 4, 8, 16, 32, 64])
def test_dense_ratio_is_one_over_G(G):
    spec = ConvSpec(C=64, N=128, G=G, K=3, H=14, W=14, padding=1)
    assert cost.dense_ratio(spec) == pytest.approx(1 / G, rel=1e-12)
    assert cost.macs(spec) * G == cost.macs(spec.dense())


def test_bytes_and_intensity_by_hand():
    # Hand count: input 2·3·4·5, output 2·6·4·5 (padding 1 keeps 4×5), weights 6·3·3·3 + 6 bias; fp16.
    spec = ConvSpec(C=3, N=6, G=1, K=3, H=4, W=5, padding=1, bias=True)
    assert cost.input_bytes(spec, "fp16", 2) == 2 * 3 * 4 * 5 * 2
    assert cost.output_bytes(spec, "fp16", 2) == 2 * 6 * 4 * 5 * 2
    assert cost.weight_bytes(spec, "fp16") == (6 * 3 * 3 * 3 + 6) * 2
    total = (2 * 3 * 20 + 2 * 6 * 20 + 6 * 27 + 6) * 2
    assert cost.min_bytes(spec, "fp16", 2) == total
    assert cost.intensity(spec, "fp16", 2) == pytest.approx(2 * 2 * (6 * 27 * 20) / total, rel=1e-12)


@pytest.mark.parametrize("name, size", [("fp32", 4), ("float16", 2), (torch.bfloat16, 2), ("fp64", 8)])
def test_dtype_bytes_matches_torch(name, size):
    assert cost.dtype_bytes(name) == size
    if not isinstance(name, str) or name.startswith("float"):
        dtype = name if not isinstance(name, str) else getattr(torch, name)
        assert torch.empty(0, dtype=dtype).element_size() == size


def test_unknown_dtype():
    with pytest.raises(GConvError, match="valid: fp32, .*fp64"):
        cost.dtype_bytes("fp12")


@settings(max_examples=100, deadline=None)
@given(valid_specs(max_channels=64))
def test_separable_ratio_closed_form(spec):
    # MobileNet paper, section 3.1: separable / standard = 1/N + 1/D_K².
    s = cost.separable(spec)
    assert s.ratio == pytest.approx(cost.separable_ratio(spec.N, spec.kernel_size), rel=1e-9)
    if not spec.bias:
        std, sep = s.params
        assert sep / std == pytest.approx(s.ratio, rel=1e-9)
    assert s.depthwise.G == spec.C and s.pointwise.kernel_size == (1, 1)
    assert s.pointwise.in_hw == s.depthwise.out_hw == spec.out_hw


def test_mobilenet_paper_example():
    # MobileNet (Howard et al. 2017), section 3.1: 3×3 separable costs 8 to 9 times less than standard.
    s = cost.separable(ConvSpec(C=512, N=512, G=1, K=3, H=14, W=14, padding=1))
    std, sep = s.macs
    assert 8 < std / sep < 9


@pytest.mark.parametrize("C, H, W", [(512, 7, 7), (512, 7, 6), (1, 1, 1), (64, 25, 25)])
def test_gap_vs_gdc(C, H, W):
    gap, gdc = cost.gap_cost(C, H, W), cost.gdc_cost(C, H, W)
    assert gap.params == 0 and gap.adds == C * H * W
    layer = nn.Conv2d(C, C, (H, W), groups=C, bias=False, device="meta")
    assert gdc.params == layer.weight.numel() == C * H * W
    assert gdc.macs == C * H * W


def test_mobilefacenet_gdc_params():
    # MobileFaceNet (Chen et al. 2018), Table 1: linear GDC 7×7×512 → 1×1×512, 512·49 = 25,088 weights.
    assert cost.gdc_cost(512, 7, 7).params == 25_088


def test_summary_structured_sparsity():
    spec = ConvSpec(C=64, N=128, G=4, K=3, H=8, W=8, padding=1)
    s = cost.summary(spec)
    assert s["nonzero_per_kernel"] == 16 * 9
    assert s["zeros_per_kernel_if_dense"] == (64 - 16) * 9
    assert s["nonzero_per_kernel"] + s["zeros_per_kernel_if_dense"] == math.prod(spec.dense().weight_shape[1:])
