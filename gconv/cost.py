"""Exact cost model of one conv layer: parameters, MACs, FLOPs, bytes moved, arithmetic intensity.

Conventions (the same as torch.utils.flop_counter): one MAC is one multiply-add; FLOPs = 2·MACs;
MACs include the products with zero padding; the bias add is not a MAC and is not counted in FLOPs.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .errors import GConvError
from .spec import ConvSpec, Pair, as_pair
from .i18n import say
from .text import outside

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "tf32": 4, "fp64": 8, "int8": 1}  # in the order the app offers


def dtype_bytes(dtype: str | int) -> int:
    """Bytes per element of a dtype name (fp32, fp16, bf16, ...) or a torch dtype; an int is taken as is."""
    if isinstance(dtype, int):
        return dtype
    name = str(dtype).replace("torch.", "")
    aliases = {"float32": "fp32", "float": "fp32", "float16": "fp16", "half": "fp16",
               "bfloat16": "bf16", "float64": "fp64", "double": "fp64"}
    name = aliases.get(name, name)
    if name not in DTYPE_BYTES:
        raise GConvError(say("err.dtype", dtype=outside(dtype, 32, quote=True), valid=", ".join(DTYPE_BYTES)))
    return DTYPE_BYTES[name]


def weight_params(spec: ConvSpec) -> int:
    """Weights only, N·(C/G)·Kh·Kw: the numel of nn.Conv2d(...).weight."""
    return prod(spec.weight_shape)


def bias_params(spec: ConvSpec) -> int:
    """N if the layer has a bias, else 0."""
    return spec.N if spec.bias else 0


def params(spec: ConvSpec) -> int:
    """Learnable parameters: weights N·(C/G)·Kh·Kw plus N bias when bias=True (no BatchNorm)."""
    return weight_params(spec) + bias_params(spec)


def macs(spec: ConvSpec, out_hw: Pair | None = None) -> int:
    """Multiply-accumulates for one sample: N·Ho·Wo·(C/G)·Kh·Kw (padding products included, bias not).

    out_hw replaces spec.out_hw for a layer whose output size was observed rather than derived (a graph's
    SAME or asymmetric padding, which a ConvSpec's symmetric padding cannot express).
    """
    return weight_params(spec) * prod(spec.out_hw if out_hw is None else out_hw)


def flops(spec: ConvSpec) -> int:
    """Floating-point operations for one sample: 2·MACs (bias adds not counted, as FlopCounterMode)."""
    return in_ops(macs(spec), "FLOP")


OPS_PER_MAC = {"MAC": 1, "FLOP": 2}  # FLOPs = 2·MACs: a multiply-add is one MAC and two FLOPs


def in_ops(mac_count: int, ops: str) -> int:
    """A count of MACs expressed in ops, "MAC" or "FLOP": in_ops(10, "FLOP") == 20."""
    if ops not in OPS_PER_MAC:
        raise GConvError(say("err.ops", ops=outside(ops, 32, quote=True), valid=", ".join(OPS_PER_MAC)))
    return OPS_PER_MAC[ops] * mac_count


@dataclass(frozen=True)
class KernelSparsity:
    """One kernel seen as a dense C×Kh×Kw kernel: the weights it has, and the structural zeros of other groups."""

    nonzero: int  # (C/G)·Kh·Kw
    zeros: int  # (C − C/G)·Kh·Kw

    @property
    def kept(self) -> float:
        """Share of the dense kernel that is real weights: exactly 1/G."""
        return self.nonzero / (self.nonzero + self.zeros)


def kernel_sparsity(spec: ConvSpec) -> KernelSparsity:
    """Nonzero and zero weights per kernel when the grouped layer is written as a dense one.

    >>> kernel_sparsity(ConvSpec(C=64, N=64, G=4, K=3, H=8, W=8))
    KernelSparsity(nonzero=144, zeros=432)
    """
    return KernelSparsity(spec.in_per_group * spec.kernel_area, (spec.C - spec.in_per_group) * spec.kernel_area)


def weight_bytes(spec: ConvSpec, dtype="fp32") -> int:
    """Bytes of all parameters (weights and bias) in dtype."""
    return params(spec) * dtype_bytes(dtype)


def input_bytes(spec: ConvSpec, dtype="fp32", batch: int = 1) -> int:
    """Bytes of the input activation, batch·C·H·W elements."""
    return batch * prod(spec.in_shape) * dtype_bytes(dtype)


def output_bytes(spec: ConvSpec, dtype="fp32", batch: int = 1) -> int:
    """Bytes of the output activation, batch·N·Ho·Wo elements."""
    return batch * prod(spec.out_shape) * dtype_bytes(dtype)


def activation_bytes(spec: ConvSpec, dtype="fp32", batch: int = 1) -> int:
    """Bytes of the input plus the output activation for a batch."""
    return input_bytes(spec, dtype, batch) + output_bytes(spec, dtype, batch)


def min_bytes(spec: ConvSpec, dtype="fp32", batch: int = 1) -> int:
    """Minimum DRAM traffic of one forward pass: read input and parameters once, write output once."""
    return activation_bytes(spec, dtype, batch) + weight_bytes(spec, dtype)


def memory_access_cost(spec: ConvSpec) -> int:
    """ShuffleNet V2's memory access cost (Ma et al. 2018, Eq. 1–2), in elements, not multiply-accumulates:
    input, output and weights each touched once; for a 1×1 conv hw(c1 + c2) + c1·c2/g.

    >>> memory_access_cost(ConvSpec(C=128, N=128, G=1, K=1, H=56, W=56)) == 56 * 56 * 256 + 128 * 128
    True
    """
    return min_bytes(spec, dtype=1)


def intensity(spec: ConvSpec, dtype="fp32", batch: int = 1) -> float:
    """Arithmetic intensity in FLOP/byte: batch·FLOPs over min_bytes (the roofline's x axis)."""
    return batch * flops(spec) / min_bytes(spec, dtype, batch)


def dense_ratio(spec: ConvSpec) -> float:
    """Weights (and MACs) of this layer over the same layer with G = 1: exactly 1/G."""
    return weight_params(spec) / weight_params(spec.dense())


@dataclass(frozen=True)
class Separable:
    """A standard K×K conv beside its depthwise-separable replacement (K×K depthwise, then 1×1 pointwise)."""

    standard: ConvSpec
    depthwise: ConvSpec
    pointwise: ConvSpec

    @property
    def params(self) -> tuple[int, int]:
        """(standard, depthwise + pointwise) parameters, bias as in the specs."""
        return params(self.standard), params(self.depthwise) + params(self.pointwise)

    @property
    def macs(self) -> tuple[int, int]:
        """(standard, depthwise + pointwise) MACs per sample."""
        return macs(self.standard), macs(self.depthwise) + macs(self.pointwise)

    @property
    def ratio(self) -> float:
        """Separable MACs over standard MACs; equals 1/N + 1/(Kh·Kw)."""
        standard, separable = self.macs
        return separable / standard

    @property
    def times_cheaper(self) -> float:
        """How many times fewer MACs the separable pair needs: 1 / ratio."""
        return 1 / self.ratio

    def ops(self, ops: str) -> tuple[int, int]:
        """(standard, depthwise + pointwise) operations per sample in ops, "MAC" or "FLOP"."""
        return tuple(in_ops(m, ops) for m in self.macs)


def separable(spec: ConvSpec) -> Separable:
    """Depthwise separable version of spec's layer as a standard conv (G ignored, stride on the depthwise).

    >>> s = separable(ConvSpec(C=32, N=64, G=1, K=3, H=112, W=112, padding=1))
    >>> round(s.ratio, 6) == round(1 / 64 + 1 / 9, 6)
    True
    """
    standard = spec.dense()
    depthwise = spec.replace(N=spec.C, G=spec.C)
    Ho, Wo = depthwise.out_hw
    pointwise = ConvSpec(C=spec.C, N=spec.N, G=1, K=1, H=Ho, W=Wo, bias=spec.bias)
    return Separable(standard, depthwise, pointwise)


def separable_ratio(N: int, K: int | tuple[int, int]) -> float:
    """The closed form 1/N + 1/(Kh·Kw) of separable over standard MACs (and weights, no bias)."""
    kh, kw = as_pair(K)
    return 1 / N + 1 / (kh * kw)


@dataclass(frozen=True)
class Pooling:
    """Cost of one global pooling head over a C×H×W map (output C×1×1)."""

    name: str
    params: int  # learned weights
    macs: int  # multiply-adds
    adds: int  # plain additions (no multiply)


def gdc_layer(C: int, H: int, W: int) -> ConvSpec:
    """The global depthwise conv over a C×H×W map: G = C, kernel H×W, no padding, output C×1×1."""
    return ConvSpec(C=C, N=C, G=C, K=(H, W), H=H, W=W)


def gap_cost(C: int, H: int, W: int) -> Pooling:
    """Global average pooling: 0 params; C·H·W adds (H·W−1 sums and one 1/(H·W) scale per channel)."""
    return Pooling("GAP", params=0, macs=0, adds=C * H * W)


def gap_bytes(C: int, H: int, W: int, dtype: str = "fp32", batch: int = 1) -> int:
    """Bytes global average pooling moves at least: it reads the C×H×W map and writes C means, per sample."""
    return batch * (C * H * W + C) * dtype_bytes(dtype)


def gdc_cost(C: int, H: int, W: int) -> Pooling:
    """Global depthwise conv (kernel H×W, G=C, no bias): C·H·W weights and C·H·W MACs."""
    spec = gdc_layer(C, H, W)
    return Pooling("GDC", params=params(spec), macs=macs(spec), adds=0)


def summary(spec: ConvSpec, dtype="fp32", batch: int = 1) -> dict:
    """Everything the CLI and the cost page show for one layer, as plain JSON-able values."""
    return {
        "kind": spec.kind.value,
        "kind_label": spec.kind_label,
        "weight_shape": list(spec.weight_shape),
        "input_shape": list(spec.in_shape),
        "output_shape": list(spec.out_shape),
        "params": params(spec),
        "weight_params": weight_params(spec),
        "bias_params": bias_params(spec),
        "macs": macs(spec),
        "flops": flops(spec),
        "dtype": dtype,
        "batch": batch,
        "weight_bytes": weight_bytes(spec, dtype),
        "activation_bytes": activation_bytes(spec, dtype, batch),
        "min_bytes": min_bytes(spec, dtype, batch),
        "intensity_flop_per_byte": intensity(spec, dtype, batch),
        "dense_ratio": dense_ratio(spec),
        "nonzero_per_kernel": kernel_sparsity(spec).nonzero,
        "zeros_per_kernel_if_dense": kernel_sparsity(spec).zeros,
    }


def crop_to_budget(spec: ConvSpec, max_macs: int, max_bytes: int) -> ConvSpec | None:
    """spec with H and W cropped (doubling from the smallest map with an output) until its dense equivalent (G=1)
    would pass max_macs or max_bytes (weights + activations); spec itself if it fits, None if not even one
    output pixel does.

    >>> crop_to_budget(ConvSpec(C=64, N=64, G=64, K=3, H=224, W=224, padding=1), 20_000_000, 2**26).in_hw
    (16, 16)

    (1, 2, 4, 8, 16, then 32: dense 64·64·9·16·16 = 9.4 M MACs fits, 64·64·9·32·32 = 37.7 M does not.)
    """
    def fits(s: ConvSpec) -> bool:
        dense = s.dense()
        return macs(dense) <= max_macs and weight_bytes(dense) + activation_bytes(dense) <= max_bytes

    if fits(spec):
        return spec
    h, w = (max(1, d * (k - 1) + 1 - 2 * p)
            for k, p, d in zip(spec.kernel_size, spec.padding_hw, spec.dilation_hw))
    best = None
    while h <= spec.H and w <= spec.W:
        candidate = spec.replace(H=h, W=w)
        if not fits(candidate):
            break
        best = candidate
        h, w = min(spec.H, h * 2), min(spec.W, w * 2)
        if (h, w) == best.in_hw:
            break
    return best
