"""The cost ledger of one layer: every quantity with its formula, the formula with numbers, and the value."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from . import cost
from .spec import ConvSpec, valid_groups


@dataclass(frozen=True)
class Row:
    """One line of the ledger."""

    quantity: str
    formula: str  # symbolic
    substituted: str  # the same formula with this layer's numbers
    value: float | int
    unit: str
    ops: str = ""  # "MAC" or "FLOP" for operation counts, "" otherwise


def n(x: int | float) -> str:
    """A number with thousands separators: n(1234567) == '1,234,567'; floats to 4 significant digits."""
    return f"{x:,}" if isinstance(x, int) else f"{x:,.4g}"


def _k(spec: ConvSpec) -> str:
    kh, kw = spec.kernel_size
    return f"{kh}·{kw}"


def rows(spec: ConvSpec, dtype: str = "fp32", batch: int = 1) -> list[Row]:
    """All ledger rows for spec with a dtype and a batch size (per-sample and per-batch operations)."""
    C, N, G = spec.C, spec.N, spec.G
    Ho, Wo = spec.out_hw
    per_kernel = f"({n(C)}/{n(G)})·{_k(spec)}"
    b = cost.dtype_bytes(dtype)
    macs, flops = cost.macs(spec), cost.flops(spec)
    dense = spec.dense()
    return [
        Row("weights", "N·(C/G)·Kh·Kw", f"{n(N)}·{per_kernel}", cost.weight_params(spec), "params"),
        Row("bias", "N if bias else 0", n(cost.bias_params(spec)), cost.bias_params(spec), "params"),
        Row("params", "weights + bias", f"{n(cost.weight_params(spec))} + {n(cost.bias_params(spec))}",
            cost.params(spec), "params"),
        Row("nonzero weights per kernel", "(C/G)·Kh·Kw", per_kernel,
            spec.in_per_group * spec.kernel_size[0] * spec.kernel_size[1], "weights"),
        Row("zeros per kernel, seen as dense", "(C − C/G)·Kh·Kw", f"({n(C)} − {n(spec.in_per_group)})·{_k(spec)}",
            (C - spec.in_per_group) * spec.kernel_size[0] * spec.kernel_size[1], "weights"),
        Row("output size", "Ho×Wo = ⌊(H + 2p − d(K−1) − 1)/s⌋ + 1", f"{Ho}×{Wo}", Ho * Wo, "positions"),
        Row("MACs per sample", "N·Ho·Wo·(C/G)·Kh·Kw", f"{n(N)}·{Ho}·{Wo}·{per_kernel}", macs, "MACs", "MAC"),
        Row("FLOPs per sample", "2·MACs", f"2·{n(macs)}", flops, "FLOPs", "FLOP"),
        Row(f"MACs per batch of {batch}", "batch·MACs", f"{batch}·{n(macs)}", batch * macs, "MACs", "MAC"),
        Row(f"FLOPs per batch of {batch}", "2·batch·MACs", f"2·{batch}·{n(macs)}", batch * flops, "FLOPs",
            "FLOP"),
        Row("weight bytes", f"params·{b} B ({dtype})", f"{n(cost.params(spec))}·{b}",
            cost.weight_bytes(spec, dtype), "bytes"),
        Row("input bytes", "batch·C·H·W·bytes", f"{batch}·{n(C)}·{spec.H}·{spec.W}·{b}",
            cost.input_bytes(spec, dtype, batch), "bytes"),
        Row("output bytes", "batch·N·Ho·Wo·bytes", f"{batch}·{n(N)}·{Ho}·{Wo}·{b}",
            cost.output_bytes(spec, dtype, batch), "bytes"),
        Row("minimum bytes moved", "input + weights + output",
            f"{n(cost.input_bytes(spec, dtype, batch))} + {n(cost.weight_bytes(spec, dtype))} + "
            f"{n(cost.output_bytes(spec, dtype, batch))}", cost.min_bytes(spec, dtype, batch), "bytes"),
        Row("arithmetic intensity", "batch·FLOPs / minimum bytes",
            f"{n(batch * flops)} / {n(cost.min_bytes(spec, dtype, batch))}",
            cost.intensity(spec, dtype, batch), "FLOP/byte", "FLOP"),
        Row("dense (G=1) params", "N·C·Kh·Kw (+N)",
            f"{n(N)}·{n(C)}·{_k(spec)}" + (f" + {n(N)}" if spec.bias else ""), cost.params(dense), "params"),
        Row("dense (G=1) MACs per sample", "N·Ho·Wo·C·Kh·Kw", f"{n(N)}·{Ho}·{Wo}·{n(C)}·{_k(spec)}",
            cost.macs(dense), "MACs", "MAC"),
        Row("weights / dense weights", "1/G", f"1/{n(G)}", cost.dense_ratio(spec), "ratio"),
    ]


def visible(all_rows: list[Row], ops: str) -> list[Row]:
    """Rows for an ops toggle of "MAC" or "FLOP": drops the other unit's operation counts."""
    other = "FLOP" if ops == "MAC" else "MAC"
    return [r for r in all_rows if r.ops != other or r.unit == "FLOP/byte"]


def to_csv(all_rows: list[Row]) -> str:
    """The ledger as CSV text: quantity, formula, substituted, value, unit (values unformatted)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["quantity", "formula", "substituted", "value", "unit"])
    for r in all_rows:
        writer.writerow([r.quantity, r.formula, r.substituted, r.value, r.unit])
    return buf.getvalue()


def group_sweep(spec: ConvSpec) -> list[dict]:
    """Params and MACs of spec at every valid G (same C, N, K, H, W, stride, padding, dilation, bias)."""
    out = []
    for g in valid_groups(spec.C, spec.N):
        s = spec.replace(G=g)
        out.append({"G": g, "kind": s.kind.value, "params": cost.params(s), "macs": cost.macs(s),
                    "flops": cost.flops(s)})
    return out
