"""ConvSpec validation and derived geometry; oracle: torch.nn.Conv2d on the meta device."""
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from gconv import ConvSpec, GConvError, Kind, SpecError, valid_groups
from gconv.spec import divisors
from strategies import valid_specs


def torch_output(C, N, G, K, H, W, stride, padding, dilation):
    """Output shape of a real CPU nn.Conv2d forward, or None if torch rejects the layer or it is empty.

    (The meta device skips some of the CPU kernel's checks, such as K=0, so it is no oracle here.)
    """
    try:
        m = nn.Conv2d(C, N, K, stride=stride, padding=padding, dilation=dilation, groups=G)
        y = m(torch.zeros(1, C, H, W))
    except (ValueError, RuntimeError, ZeroDivisionError):
        return None
    return None if y.numel() == 0 else tuple(y.shape[1:])


@settings(max_examples=250, deadline=None)
@given(valid_specs())
def test_geometry_matches_torch(spec):
    out = torch_output(spec.C, spec.N, spec.G, spec.K, spec.H, spec.W, spec.stride, spec.padding, spec.dilation)
    assert out == spec.out_shape
    m = nn.Conv2d(spec.C, spec.N, spec.K, groups=spec.G, device="meta")
    assert tuple(m.weight.shape) == spec.weight_shape


small = st.integers(-1, 9)


@settings(max_examples=400, deadline=None)
@given(C=small, N=small, G=small, K=small, H=small, W=small, stride=st.integers(-1, 3),
       padding=st.integers(-1, 3), dilation=st.integers(-1, 3))
def test_rejects_exactly_what_torch_rejects(C, N, G, K, H, W, stride, padding, dilation):
    # C, N, G, H, W <= 0 are also rejected by us: torch builds some of them but the output is empty.
    expected = None
    if min(C, N, G, H, W) >= 1:
        expected = torch_output(C, N, G, K, H, W, stride, padding, dilation)
    try:
        spec = ConvSpec(C=C, N=N, G=G, K=K, H=H, W=W, stride=stride, padding=padding, dilation=dilation)
    except SpecError as e:
        assert expected is None, f"rejected a layer torch accepts: {e}"
        assert str(e)
    else:
        assert expected == spec.out_shape


@pytest.mark.parametrize("kwargs, words", [
    (dict(C=64, N=128, G=3), "G=3 must divide C=64 and N=128; valid G: 1, 2, 4, 8, 16, 32, 64"),
    (dict(C=64, N=96, G=5), "valid G: 1, 2, 4, 8, 16, 32"),
    (dict(K=9, H=5, W=5), "padding ≥ 2"),
    (dict(K=0), "K=0 must be ≥ 1"),
    (dict(stride=0), "stride=0 must be ≥ 1"),
    (dict(padding=-1), "padding=-1 must be ≥ 0"),
    (dict(dilation=(1, 0)), "dilation[1]=0 must be ≥ 1"),
    (dict(C=2.5), "C=2.5 must be a whole number"),
    (dict(C=True), "not a bool"),
    (dict(K=(3, 3, 3)), "(h, w) pair"),
    (dict(bias="yes"), "True or False"),
])
def test_messages_name_problem_and_valid_values(kwargs, words):
    base = dict(C=64, N=128, G=4, K=3, H=56, W=56)
    with pytest.raises(SpecError, match=None) as info:
        ConvSpec(**{**base, **kwargs})
    assert words in str(info.value)
    assert isinstance(info.value, GConvError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("C, N, expected", [
    (64, 128, [1, 2, 4, 8, 16, 32, 64]),
    (96, 256, [1, 2, 4, 8, 16, 32]),
    (1, 5, [1]),
    (12, 18, [1, 2, 3, 6]),
])
def test_valid_groups(C, N, expected):
    assert valid_groups(C, N) == expected


def test_divisors_brute_force():
    for n in range(1, 300):
        assert divisors(n) == [d for d in range(1, n + 1) if n % d == 0]


@pytest.mark.parametrize("kwargs, kind, m", [
    (dict(C=64, N=64, G=1, K=3, H=8, W=8), Kind.STANDARD, None),
    (dict(C=64, N=32, G=1, K=1, H=8, W=8), Kind.POINTWISE, None),
    (dict(C=96, N=256, G=2, K=5, H=27, W=27, padding=2), Kind.GROUPED, None),  # AlexNet conv2
    (dict(C=240, N=240, G=3, K=1, H=28, W=28), Kind.GROUPED, None),  # ShuffleNet grouped 1×1
    (dict(C=32, N=32, G=32, K=3, H=112, W=112, padding=1), Kind.DEPTHWISE, 1),  # MobileNet
    (dict(C=32, N=64, G=32, K=3, H=16, W=16, padding=1), Kind.DEPTHWISE_MULTIPLIER, 2),
    (dict(C=512, N=512, G=512, K=7, H=7, W=7), Kind.GDC, 1),  # MobileFaceNet GDC
    (dict(C=512, N=512, G=512, K=(7, 6), H=7, W=6), Kind.GDC, 1),  # MobileFaceNet at 112×96
    (dict(C=512, N=512, G=512, K=7, H=7, W=7, padding=1), Kind.DEPTHWISE, 1),  # padded: 3×3 output
    (dict(C=1, N=1, G=1, K=3, H=3, W=3), Kind.STANDARD, 1),
])
def test_kind(kwargs, kind, m):
    spec = ConvSpec(**kwargs)
    assert spec.kind is kind
    assert spec.multiplier == m
    if kind is Kind.GDC:
        assert spec.out_hw == (1, 1)


def test_rectangular_fields_and_replace():
    spec = ConvSpec(C=8, N=8, G=2, K=(7, 6), H=7, W=6, stride=(1, 2), padding=[0, 1])
    assert spec.padding == (0, 1) and spec.kernel_size == (7, 6)
    assert ConvSpec(C=8, N=8, G=2, K=(3, 3), H=7, W=6) == ConvSpec(C=8, N=8, G=2, K=3, H=7, W=6)
    assert spec.out_hw == (1, 2)  # W: (6 + 2·1 − 6) // 2 + 1
    assert spec.dense().G == 1
    with pytest.raises(SpecError):
        spec.replace(G=3)
    with pytest.raises(Exception):
        spec.C = 4  # frozen


def test_torch_repr_builds_the_same_layer():
    spec = ConvSpec(C=8, N=12, G=4, K=(3, 2), H=9, W=9, stride=2, padding=(1, 0), dilation=2, bias=True)
    m = eval(spec.torch_repr(), {"nn": nn})
    assert tuple(m.weight.shape) == spec.weight_shape
    assert m(torch.zeros(1, *spec.in_shape)).shape[1:] == spec.out_shape


def test_the_last_kernel_and_position_are_torchs_last_indices():
    # Oracle: the shape of nn.Conv2d's output (its last channel and last row and column)
    spec = ConvSpec(C=6, N=9, G=3, K=(3, 2), H=7, W=10, stride=(2, 3), padding=1, dilation=(1, 2))
    conv = nn.Conv2d(6, 9, (3, 2), stride=(2, 3), padding=1, dilation=(1, 2), groups=3)
    n, h, w = conv(torch.zeros(1, 6, 7, 10)).shape[1:]
    assert spec.last_kernel == n - 1 and spec.last_position == (h - 1, w - 1)
    assert spec.kernel_shape == tuple(conv.weight.shape[1:])
