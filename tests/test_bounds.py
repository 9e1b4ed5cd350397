"""The app's bounds: repair of untrusted layers, the nearest valid G, the live check's crop; torch as the oracle."""
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from gconv import ConvSpec
from gconv.parse import to_text
from gconv.spec import nearest_group
from pages.shared.bounds import LIMITS, LIVE_MAX_MACS, live_spec, repair, repair_fields
from strategies import valid_specs


def torch_output_hw(spec: ConvSpec) -> tuple[int, int]:
    """Oracle: the output size nn.Conv2d computes, on the meta device (nothing allocated)."""
    x = torch.empty(1, spec.C, spec.H, spec.W, device="meta")
    w = torch.empty(*spec.weight_shape, device="meta")
    y = F.conv2d(x, w, stride=spec.stride_hw, padding=spec.padding_hw, dilation=spec.dilation_hw, groups=spec.G)
    return tuple(y.shape[-2:])


@pytest.mark.parametrize("G, C, N, expected", [
    (3, 64, 128, 4),  # |log 3 − log 4| < |log 3 − log 2|
    (6, 64, 64, 8),  # log 6 is nearer log 8 than log 4
    (0, 12, 18, 1),  # nonsense G snaps to the smallest
    (5000, 96, 256, 32),  # above every divisor: the largest common one
    (3, 12, 18, 3),  # already valid
])
def test_nearest_group_table(G, C, N, expected):
    assert nearest_group(G, C, N) == expected


@settings(max_examples=200, deadline=None)
@given(G=st.integers(1, 600), C=st.integers(1, 512), N=st.integers(1, 512))
def test_nearest_group_against_brute_force(G, C, N):
    g = nearest_group(G, C, N)
    assert C % g == 0 and N % g == 0
    divisors = [d for d in range(1, min(C, N) + 1) if C % d == 0 and N % d == 0]
    best = min(abs(math.log(d) - math.log(G)) for d in divisors)
    assert abs(math.log(g) - math.log(G)) == pytest.approx(best)


@settings(max_examples=60, deadline=None)
@given(spec=valid_specs())
def test_repair_keeps_a_valid_layer(spec):
    r = repair(to_text(spec))
    assert r.spec == spec and r.problems == []


def torch_accepts(fields: dict) -> bool:
    """Oracle: nn.Conv2d's own checks (groups divide, the kernel fits) on the meta device."""
    try:
        if fields["C"] % fields["G"] or fields["N"] % fields["G"]:
            return False  # nn.Conv2d's constructor refuses these
        x = torch.empty(1, fields["C"], fields["H"], fields["W"], device="meta")
        w = torch.empty(fields["N"], fields["C"] // fields["G"], fields["K"], fields["K"], device="meta")
        F.conv2d(x, w, stride=fields["stride"], padding=fields["padding"], dilation=fields["dilation"],
                 groups=fields["G"])
        return True
    except (RuntimeError, ZeroDivisionError, ValueError):
        return False


@settings(max_examples=150, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["C", "N", "G", "K", "H", "W", "stride", "padding", "dilation"]),
                              st.integers(-5, 6000).map(str), min_size=1))
def test_repair_always_gives_a_layer_torch_runs(values):
    r = repair(values)
    s = r.spec
    assert torch_output_hw(s) == s.out_hw  # torch accepts it and agrees on its output
    for name in ("C", "N", "G", "H", "W"):
        lo, hi = LIMITS[name]
        assert lo <= getattr(s, name) <= hi
    # What the link asked for: the default layer, nn.Conv2d's defaults, then the link's values.
    asked = {"C": 8, "N": 8, "G": 2, "K": 3, "H": 6, "W": 6, "stride": 1, "padding": 0, "dilation": 1,
             **{k: int(v) for k, v in values.items()}}
    in_bounds = all(LIMITS[k][0] <= v <= LIMITS[k][1] for k, v in asked.items())
    if in_bounds and torch_accepts(asked):
        assert r.problems == [] and to_text(s) == {**{k: str(v) for k, v in asked.items()}, "bias": "false"}
    else:
        assert r.problems  # every change is said


def test_repair_shrinks_a_kernel_to_the_largest_that_fits():
    r = repair({"C": "8", "N": "8", "G": "2", "K": "9", "H": "5", "W": "7", "dilation": "2"})
    kh, kw = r.spec.kernel_size
    assert (kh, kw) == (3, 4)  # dilation 2: spans 5 and 7
    x = torch.empty(1, 8, 5, 7, device="meta")
    F.conv2d(x, torch.empty(8, 4, kh, kw, device="meta"), dilation=2, groups=2)  # torch runs it...
    for bigger in ((kh + 1, kw), (kh, kw + 1)):  # ...and refuses one tap more on either axis
        with pytest.raises(RuntimeError):
            F.conv2d(x, torch.empty(8, 4, *bigger, device="meta"), dilation=2, groups=2)
    assert any("the output would be empty" in p for p in r.problems)


def test_repair_fields_snaps_g_and_says_so():
    r = repair_fields({"C": 24, "N": 128, "G": 16, "K": 3, "H": 8, "W": 8, "stride": 1, "padding": 1,
                       "dilation": 1, "bias": False})
    assert r.spec.G == 8 and "valid G: 1, 2, 4, 8; showing G=8" in r.problems[0]


@pytest.mark.parametrize("spec", [
    ConvSpec(C=8, N=8, G=4, K=3, H=6, W=6, padding=1),
    ConvSpec(C=512, N=512, G=512, K=3, H=112, W=112, padding=1),
    ConvSpec(C=2048, N=2048, G=2, K=3, H=64, W=64, padding=1),
    ConvSpec(C=4096, N=4096, G=4096, K=7, H=7, W=7),
])
def test_live_spec_fits_the_budget_by_torchs_count(spec):
    live = live_spec(spec)
    if live is None:
        # even the smallest map the kernel fits is over budget for the dense equivalent
        smallest = spec.replace(H=spec.kernel_size[0], W=spec.kernel_size[1], padding=0)
        with FlopCounterMode(display=False) as counter:
            F.conv2d(torch.empty(1, spec.C, *smallest.in_hw, device="meta"),
                     torch.empty(spec.N, spec.C, *spec.kernel_size, device="meta"))
        assert counter.get_total_flops() / 2 > LIVE_MAX_MACS
        return
    assert (live.C, live.N, live.G, live.K) == (spec.C, spec.N, spec.G, spec.K)
    assert live.H <= spec.H and live.W <= spec.W
    with FlopCounterMode(display=False) as counter:  # the dense conv the live check runs, counted by torch
        F.conv2d(torch.empty(1, live.C, live.H, live.W, device="meta"),
                 torch.empty(live.N, live.C, *live.kernel_size, device="meta"), padding=live.padding_hw)
    assert counter.get_total_flops() / 2 <= LIVE_MAX_MACS
    if live == spec:
        return
    doubled = live.replace(H=min(spec.H, 2 * live.H), W=min(spec.W, 2 * live.W))
    with FlopCounterMode(display=False) as counter:  # one doubling more would not have fitted
        F.conv2d(torch.empty(1, doubled.C, doubled.H, doubled.W, device="meta"),
                 torch.empty(doubled.N, doubled.C, *doubled.kernel_size, device="meta"), padding=doubled.padding_hw)
    assert counter.get_total_flops() / 2 > LIVE_MAX_MACS or doubled == live
