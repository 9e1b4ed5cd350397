"""One 2-D convolution layer: its validated geometry and what kind of conv it is."""
from __future__ import annotations

import dataclasses
import math
import operator
from dataclasses import dataclass
from enum import Enum

from .errors import SpecError
from .i18n import Said, say
from .text import outside

Pair = tuple[int, int]


class Kind(str, Enum):
    """What a layer is, from its channels, groups and kernel (LINEAR only for a network's dense layers)."""

    STANDARD = "standard"
    POINTWISE = "pointwise"
    GROUPED = "grouped"
    DEPTHWISE = "depthwise"
    DEPTHWISE_MULTIPLIER = "depthwise-multiplier"
    GDC = "gdc"
    LINEAR = "linear"

    def __str__(self) -> str:
        return self.value

    def __hash__(self) -> int:  # as its value, so {Kind.GDC: ...}["gdc"] finds it (Enum hashes the name)
        return hash(self.value)

    @property
    def is_depthwise(self) -> bool:
        """True for G = C layers (depthwise, with a multiplier, or global)."""
        return self in (Kind.DEPTHWISE, Kind.DEPTHWISE_MULTIPLIER, Kind.GDC)


def divisors(n: int) -> list[int]:
    """All positive divisors of n, ascending: divisors(12) == [1, 2, 3, 4, 6, 12]."""
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def divides(G: int, C: int, N: int) -> bool:
    """The group rule: G splits both the C inputs and the N outputs into equal groups (what nn.Conv2d accepts)."""
    return G >= 1 and C % G == 0 and N % G == 0


def valid_groups(C: int, N: int) -> list[int]:
    """Every G that divides both C and N (the groups nn.Conv2d accepts): valid_groups(64, 128)[-1] == 64."""
    return [g for g in divisors(C) if divides(g, C, N)]


def group_problem(G: int, C: int, N: int) -> Said | None:
    """What is wrong with G for C and N, and the valid G; None when G divides both."""
    if divides(G, C, N):
        return None
    return say("err.must_divide", G=G, C=C, N=N, groups=", ".join(map(str, valid_groups(C, N))))


def fit_group(G: int, C: int, N: int) -> tuple[int, Said | None]:
    """G, or the nearest valid G with a note of what was wrong and what is shown instead (the app's repair).

    >>> G, note = fit_group(3, 64, 128); G, str(note)
    (4, 'G=3 must divide C=64 and N=128; valid G: 1, 2, 4, 8, 16, 32, 64; showing G=4')
    """
    problem = group_problem(G, C, N)
    if problem is None:
        return G, None
    shown = nearest_group(G, C, N)
    return shown, say("err.group_shown", error=problem, shown=shown)


def nearest_group(G: int, C: int, N: int) -> int:
    """The valid G (dividing C and N) nearest to G on a log scale, ties to the smaller: nearest_group(3, 64, 128) == 4."""
    return min(valid_groups(C, N), key=lambda g: (abs(math.log(g) - math.log(max(G, 1))), g))


def with_multiplier(fields: dict, m: int) -> dict:
    """Layer fields with N = m·C, a depthwise layer's depth multiplier m."""
    return {**fields, "N": m * fields["C"]}


def largest_multiplier(C: int, n_max: int) -> int:
    """The largest depth multiplier m with N = m·C ≤ n_max (at least 1)."""
    return max(1, n_max // C)


def kind_of(C: int, N: int, G: int, kernel: Pair, in_hw: Pair, padding: Pair) -> Kind:
    """The kind rule: G = C is depthwise (GDC when the unpadded kernel covers the whole map), 1 < G grouped,
    else pointwise for 1×1 or standard. A padding it cannot tell (ONNX SAME_*) is passed as negative.

    >>> kind_of(512, 512, 512, (7, 7), (7, 7), (0, 0)).value, kind_of(64, 128, 64, (3, 3), (8, 8), (1, 1)).value
    ('gdc', 'depthwise-multiplier')
    """
    if G == C and C > 1:
        if tuple(kernel) == tuple(in_hw) and tuple(padding) == (0, 0):
            return Kind.GDC
        return Kind.DEPTHWISE if N == C else Kind.DEPTHWISE_MULTIPLIER
    if G > 1:
        return Kind.GROUPED
    return Kind.POINTWISE if tuple(kernel) == (1, 1) else Kind.STANDARD


def _int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool):
        raise SpecError(say("err.int_not_bool", name=name, value=outside(repr(value), 32), minimum=minimum))
    try:
        v = operator.index(value)
    except TypeError:
        raise SpecError(say("err.int", name=name, value=outside(repr(value), 32), minimum=minimum)) from None
    if v < minimum:
        raise SpecError(say("err.at_least", name=name, value=v, minimum=minimum))
    return v


def _pair(name: str, value, minimum: int) -> int | Pair:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise SpecError(say("err.pair", name=name, value=outside(repr(value), 32), minimum=minimum))
        h, w = _int(f"{name}[0]", value[0], minimum), _int(f"{name}[1]", value[1], minimum)
        return h if h == w else (h, w)  # one canonical form, so ConvSpec(K=(3, 3)) == ConvSpec(K=3)
    return _int(name, value, minimum)


def as_pair(value: int | Pair) -> Pair:
    """(h, w) from an int or a pair: as_pair(3) == (3, 3)."""
    return tuple(value) if isinstance(value, tuple) else (value, value)


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis, as nn.Conv2d computes it (may be ≤ 0 for a kernel that does not fit).

    >>> out_size(56, 3, 2, 1, 1), out_size(5, 9, 1, 0, 1)
    (28, -3)
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def in_size(out: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The smallest input length whose output length is out (exact for stride 1): out_size's inverse.

    >>> in_size(28, 3, 2, 1, 1), out_size(in_size(28, 3, 2, 1, 1), 3, 2, 1, 1)
    (55, 28)
    """
    return (out - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1


def largest_kernel(size: int, padding: int, dilation: int) -> int:
    """The largest kernel whose dilated span fits size plus both paddings: largest_kernel(5, 0, 1) == 5."""
    return (size + 2 * padding - 1) // dilation + 1


@dataclass(frozen=True)
class ConvSpec:
    """One Conv2d layer. K, stride, padding, dilation take an int or an (h, w) pair (equal pairs become ints).

    >>> s = ConvSpec(C=64, N=128, G=4, K=3, H=56, W=56, padding=1)
    >>> s.weight_shape, s.out_hw, str(s.kind)
    ((128, 16, 3, 3), (56, 56), 'grouped')
    >>> ConvSpec(C=512, N=512, G=512, K=7, H=7, W=7).kind.value
    'gdc'
    """

    C: int  # input channels
    N: int  # output channels (= number of kernels)
    G: int  # groups; must divide C and N
    K: int | Pair  # kernel size
    H: int  # input height
    W: int  # input width
    stride: int | Pair = 1
    padding: int | Pair = 0
    dilation: int | Pair = 1
    bias: bool = False

    def __post_init__(self):
        for name in ("C", "N", "G", "H", "W"):
            object.__setattr__(self, name, _int(name, getattr(self, name), 1))
        for name, minimum in (("K", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
            object.__setattr__(self, name, _pair(name, getattr(self, name), minimum))
        if not isinstance(self.bias, bool):
            raise SpecError(say("err.bias", value=outside(repr(self.bias), 32)))
        problem = group_problem(self.G, self.C, self.N)
        if problem is not None:
            raise SpecError(problem)
        for axis, size, k, s, p, d in zip("HW", self.in_hw, self.kernel_size, self.stride_hw,
                                          self.padding_hw, self.dilation_hw):
            if out_size(size, k, s, p, d) < 1:
                span = d * (k - 1) + 1
                need_p = -(-(span - size) // 2)
                raise SpecError(say("err.empty_output", k=k, d=d, span=span, axis=axis, size=size, pad2=2 * p,
                                    need_padding=need_p, largest=largest_kernel(size, p, d), need_size=span - 2 * p))

    # --- geometry -------------------------------------------------------------------------------
    @property
    def kernel_size(self) -> Pair:
        """(Kh, Kw)."""
        return as_pair(self.K)

    @property
    def stride_hw(self) -> Pair:
        return as_pair(self.stride)

    @property
    def padding_hw(self) -> Pair:
        return as_pair(self.padding)

    @property
    def dilation_hw(self) -> Pair:
        return as_pair(self.dilation)

    @property
    def kernel_area(self) -> int:
        """Kh·Kw, the taps of one kernel per input channel."""
        kh, kw = self.kernel_size
        return kh * kw

    @property
    def in_hw(self) -> Pair:
        return (self.H, self.W)

    @property
    def out_hw(self) -> Pair:
        """(Ho, Wo), the output map size per sample."""
        return tuple(out_size(*a) for a in zip(self.in_hw, self.kernel_size, self.stride_hw,
                                                 self.padding_hw, self.dilation_hw))

    @property
    def in_per_group(self) -> int:
        """C/G: input channels each kernel reads."""
        return self.C // self.G

    @property
    def out_per_group(self) -> int:
        """N/G: kernels (output channels) in each group."""
        return self.N // self.G

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """(N, C/G, Kh, Kw), the shape of nn.Conv2d(...).weight."""
        return (self.N, self.in_per_group, *self.kernel_size)

    @property
    def in_shape(self) -> tuple[int, int, int]:
        return (self.C, self.H, self.W)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return (self.N, *self.out_hw)

    @property
    def kernel_shape(self) -> tuple[int, int, int]:
        """(C/G, Kh, Kw), one kernel's shape: the weight_shape of each of the N kernels."""
        return self.weight_shape[1:]

    @property
    def last_kernel(self) -> int:
        """The last kernel's index, N − 1 (kernels and channels are numbered from 0)."""
        return self.N - 1

    @property
    def last_position(self) -> Pair:
        """The last output position, (Ho − 1, Wo − 1)."""
        return tuple(size - 1 for size in self.out_hw)

    # --- kind -----------------------------------------------------------------------------------
    @property
    def multiplier(self) -> int | None:
        """Depth multiplier m = N/C when G = C (depthwise), else None."""
        return self.N // self.C if self.G == self.C else None

    @property
    def kind(self) -> Kind:
        """standard, pointwise, grouped, depthwise, depthwise-multiplier or gdc (the rule is kind_of)."""
        return kind_of(self.C, self.N, self.G, self.kernel_size, self.in_hw, self.padding_hw)

    @property
    def kind_label(self) -> str:
        """A human label for kind, with the multiplier where there is one."""
        from .i18n import t  # the label in this run's language (English outside the app)

        label = t(f"kind.{self.kind.value}")
        if self.kind is Kind.DEPTHWISE_MULTIPLIER or (self.kind is Kind.GDC and self.N != self.C):
            label += f" (m={self.multiplier})"
        return label

    @property
    def summary(self) -> str:
        """One line for a reader, in this run's language: kind, channels, groups, kernel, map in and out, then any
        stride, padding, dilation or bias that is not the default.

        >>> ConvSpec(C=64, N=128, G=4, K=3, H=56, W=56, padding=1).summary
        'group conv: C=64 → N=128, G=4, K=3×3, 56×56 → 56×56, padding 1'
        """
        from .i18n import t

        def pair(p: Pair) -> str:
            return f"{p[0]}×{p[1]}"

        line = t("spec.summary", kind=self.kind_label, C=self.C, N=self.N, G=self.G, K=pair(self.kernel_size),
                 map_in=pair(self.in_hw), map_out=pair(self.out_hw))
        for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
            value = getattr(self, name)
            if as_pair(value) != (default, default):
                line += t(f"spec.summary_{name}", value=value if isinstance(value, int) else pair(value))
        return line + (t("spec.summary_bias") if self.bias else "")

    # --- variants -------------------------------------------------------------------------------
    def replace(self, **changes) -> "ConvSpec":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def dense(self) -> "ConvSpec":
        """The same layer with G = 1."""
        return self.replace(G=1)

    def _repr_html_(self) -> str:
        """In a notebook cell: the layer, its connectivity diagram and its cost line."""
        from . import connectivity, cost

        return (f"<div><code>{self.torch_repr()}</code> on {self.H}×{self.W}: {cost.params(self):,} params, "
                f"{cost.macs(self):,} MACs ({cost.flops(self):,} FLOPs = 2·MACs), 1/{self.G} of a dense layer's "
                f"weights<br>{connectivity.svg(self)}</div>")

    def torch_repr(self) -> str:
        """The nn.Conv2d(...) line that builds this layer."""
        def fmt(v):
            return str(v) if isinstance(v, int) else f"({v[0]}, {v[1]})"
        return (f"nn.Conv2d({self.C}, {self.N}, kernel_size={fmt(self.K)}, stride={fmt(self.stride)}, "
                f"padding={fmt(self.padding)}, dilation={fmt(self.dilation)}, groups={self.G}, "
                f"bias={self.bias})")

    def as_dict(self) -> dict:
        """Fields as plain values (pairs as lists), for JSON."""
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
