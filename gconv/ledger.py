"""The cost ledger of one layer: every quantity with its formula, the formula with numbers, and the value."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from . import cost
from .fmt import number
from .i18n import t
from .spec import ConvSpec, valid_groups


@dataclass(frozen=True)
class Row:
    """One line of the ledger (key names it in the language files: ledger.<key>)."""

    key: str
    quantity: str
    formula: str  # symbolic
    substituted: str  # the same formula with this layer's numbers
    value: float | int
    unit: str
    ops: str = ""  # "MAC" or "FLOP" for operation counts, "" otherwise


# The rows whose formula has words (ledger.f.<key> says it in each language); the others are symbols only
WORDED = ("bias", "params", "macs_batch", "flops_batch", "weight_bytes", "input_bytes", "output_bytes", "min_bytes",
          "intensity")


def _k(spec: ConvSpec) -> str:
    """Kh·Kw as written in a substituted formula."""
    kh, kw = spec.kernel_size
    return f"{kh}·{kw}"


def rows(spec: ConvSpec, dtype: str = "fp32", batch: int = 1) -> list[Row]:
    """All ledger rows for spec with a dtype and a batch size (per-sample and per-batch operations)."""
    C, N, G = spec.C, spec.N, spec.G
    Ho, Wo = spec.out_hw
    per_kernel = f"({number(C)}/{number(G)})·{_k(spec)}"
    b = cost.dtype_bytes(dtype)
    macs, flops = cost.macs(spec), cost.flops(spec)
    sparsity = cost.kernel_sparsity(spec)
    dense = spec.dense()
    return [
        Row("weights", "weights", "N·(C/G)·Kh·Kw", f"{number(N)}·{per_kernel}", cost.weight_params(spec), "params"),
        Row("bias", "bias", "N if bias else 0", number(cost.bias_params(spec)), cost.bias_params(spec), "params"),
        Row("params", "params", "weights + bias", f"{number(cost.weight_params(spec))} + {number(cost.bias_params(spec))}",
            cost.params(spec), "params"),
        Row("nonzero", "nonzero weights per kernel", "(C/G)·Kh·Kw", per_kernel, sparsity.nonzero, "weights"),
        Row("zeros", "zeros per kernel, seen as dense", "(C − C/G)·Kh·Kw", f"({number(C)} − {number(spec.in_per_group)})·{_k(spec)}",
            sparsity.zeros, "weights"),
        Row("output_size", "output size", "Ho×Wo = ⌊(H + 2p − d(K−1) − 1)/s⌋ + 1", f"{Ho}×{Wo}", Ho * Wo, "positions"),
        Row("macs", "MACs per sample", "N·Ho·Wo·(C/G)·Kh·Kw", f"{number(N)}·{Ho}·{Wo}·{per_kernel}", macs, "MACs", "MAC"),
        Row("flops", "FLOPs per sample", "2·MACs", f"2·{number(macs)}", flops, "FLOPs", "FLOP"),
        Row("macs_batch", f"MACs per batch of {batch}", "batch·MACs", f"{batch}·{number(macs)}", batch * macs, "MACs", "MAC"),
        Row("flops_batch", f"FLOPs per batch of {batch}", "2·batch·MACs", f"2·{batch}·{number(macs)}", batch * flops, "FLOPs",
            "FLOP"),
        Row("weight_bytes", "weight bytes", f"params·{b} B ({dtype})", f"{number(cost.params(spec))}·{b}",
            cost.weight_bytes(spec, dtype), "bytes"),
        Row("input_bytes", "input bytes", "batch·C·H·W·bytes", f"{batch}·{number(C)}·{spec.H}·{spec.W}·{b}",
            cost.input_bytes(spec, dtype, batch), "bytes"),
        Row("output_bytes", "output bytes", "batch·N·Ho·Wo·bytes", f"{batch}·{number(N)}·{Ho}·{Wo}·{b}",
            cost.output_bytes(spec, dtype, batch), "bytes"),
        Row("min_bytes", "minimum bytes moved", "input + weights + output",
            f"{number(cost.input_bytes(spec, dtype, batch))} + {number(cost.weight_bytes(spec, dtype))} + "
            f"{number(cost.output_bytes(spec, dtype, batch))}", cost.min_bytes(spec, dtype, batch), "bytes"),
        Row("intensity", "arithmetic intensity", "batch·FLOPs / minimum bytes",
            f"{number(batch * flops)} / {number(cost.min_bytes(spec, dtype, batch))}",
            cost.intensity(spec, dtype, batch), "FLOP/byte", "FLOP"),
        Row("dense_params", "dense (G=1) params", "N·C·Kh·Kw (+N)",
            f"{number(N)}·{number(C)}·{_k(spec)}" + (f" + {number(N)}" if spec.bias else ""), cost.params(dense), "params"),
        Row("dense_macs", "dense (G=1) MACs per sample", "N·Ho·Wo·C·Kh·Kw", f"{number(N)}·{Ho}·{Wo}·{number(C)}·{_k(spec)}",
            cost.macs(dense), "MACs", "MAC"),
        Row("dense_ratio", "weights / dense weights", "1/G", f"1/{number(G)}", cost.dense_ratio(spec), "ratio"),
    ]


def visible(all_rows: list[Row], ops: str) -> list[Row]:
    """Rows for an ops toggle of "MAC" or "FLOP": drops the other unit's operation counts."""
    other = "FLOP" if ops == "MAC" else "MAC"
    return [r for r in all_rows if r.ops != other or r.unit == "FLOP/byte"]


def label(r: Row, batch: int = 1) -> str:
    """The row's quantity in this run's language."""
    return t(f"ledger.{r.key}", batch=batch)


def formula(r: Row, dtype: str = "fp32") -> str:
    """The row's symbolic formula in this run's language (most are only symbols)."""
    if r.key in WORDED:
        return t(f"ledger.f.{r.key}", dtype=dtype, bytes=cost.dtype_bytes(dtype))
    return r.formula


def unit(r: Row) -> str:
    return t(f"unit.{r.unit}")


def to_csv(all_rows: list[Row], dtype: str = "fp32", batch: int = 1) -> str:
    """The ledger as CSV text: quantity, formula, substituted, value, unit (values unformatted), headers and
    names in this run's language."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([t(f"ledger.col.{c}") for c in ("quantity", "formula", "substituted", "value", "unit")])
    for r in all_rows:
        writer.writerow([label(r, batch), formula(r, dtype), r.substituted, r.value, unit(r)])
    return buf.getvalue()


def group_sweep(spec: ConvSpec) -> list[dict]:
    """Params and MACs of spec at every valid G (same C, N, K, H, W, stride, padding, dilation, bias)."""
    out = []
    for g in valid_groups(spec.C, spec.N):
        s = spec.replace(G=g)
        out.append({"G": g, "kind": s.kind.value, "params": cost.params(s), "macs": cost.macs(s),
                    "flops": cost.flops(s)})
    return out
