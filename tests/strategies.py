"""Hypothesis strategies for conv layer specs, shared by the test modules."""
from hypothesis import strategies as st

from gconv import ConvSpec


@st.composite
def pairs(draw, lo, hi):
    """An int or an (h, w) pair, each in [lo, hi]."""
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def _hw(v, i):
    return v if isinstance(v, int) else v[i]


@st.composite
def valid_specs(draw, max_channels=48, max_size=20):
    """A valid ConvSpec: G divides C and N, and the kernel fits the padded input."""
    G = draw(st.integers(1, 8))
    C = G * draw(st.integers(1, max_channels // G if max_channels >= G else 1))
    N = G * draw(st.integers(1, max(1, max_channels // G)))
    K = draw(pairs(1, 5))
    stride = draw(pairs(1, 3))
    dilation = draw(pairs(1, 3))
    padding = draw(pairs(0, 3))
    sizes = []
    for i in range(2):
        span = _hw(dilation, i) * (_hw(K, i) - 1) + 1
        low = max(1, span - 2 * _hw(padding, i))
        sizes.append(draw(st.integers(low, max(low, max_size))))
    return ConvSpec(C=C, N=N, G=G, K=K, H=sizes[0], W=sizes[1], stride=stride, padding=padding,
                    dilation=dilation, bias=draw(st.booleans()))
