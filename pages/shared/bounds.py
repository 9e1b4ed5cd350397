"""Bounds on what the app accepts, and repair of a layer typed out of bounds or invalid.

The app's policy only (the library has no upper bounds); every rule it applies is gconv's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gconv import cost
from gconv.errors import SpecError
from gconv.gdc.datasets import EPOCHS, IMAGE_SIZES, WIDTHS
from gconv.i18n import t
from gconv.parse import DEFAULTS, FIELDS, format_pair, parse_field
from gconv.spec import ConvSpec, as_pair, fit_group, largest_kernel, largest_multiplier, out_size

# Inclusive bounds per field for the interactive app (the library itself has no upper bounds).
LIMITS: dict[str, tuple[int, int]] = {
    "C": (1, 4096), "N": (1, 4096), "G": (1, 4096), "K": (1, 256),
    "H": (1, 1024), "W": (1, 1024), "stride": (1, 16), "padding": (0, 128), "dilation": (1, 16),
}


def _indices(field: str) -> tuple[int, int]:
    """The indices 0 … largest−1 of a field's largest value."""
    return 0, LIMITS[field][1] - 1


# Every other number a page takes from its link or a control, with the range both accept (inclusive)
PAGE_LIMITS: dict[str, tuple[int, int]] = {
    "n": _indices("N"),  # a kernel's index (clamped again to the layer's N)
    "i": _indices("H"), "j": _indices("W"),  # an output position (clamped again to Ho, Wo)
    "layers": (2, 4),  # stacked layers in the reachability view
    "batch": (1, 4096),  # the cost page's batch
    "tbatch": (1, 256), "threads": (1, 256),  # a timing's batch and CPU threads (threads clamped to the cores)
    "rbatch": (1, 64),  # the replication's batch
    "width": (min(WIDTHS), max(WIDTHS)), "epochs": EPOCHS, "seed": (0, 999),  # a GDC run (the library allows more seeds)
    "map": (1, max(IMAGE_SIZES.values())), "epoch": (0, EPOCHS[1]), "channel": (0, max(WIDTHS) - 1),
    "layer": (0, 100_000), "reach_from": (0, 100_000), "reach_to": (0, 100_000),  # a network's layer row
}
# The first layer a student sees: small enough that every edge, label and number is drawn (presets keep the
# papers' real sizes).
DEFAULT_SPEC = ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1)


@dataclass
class Repaired:
    """A valid spec built from untrusted values, and a readable note for every value that was changed."""

    spec: ConvSpec
    problems: list[str] = field(default_factory=list)


def clamp(name: str, value: int, problems: list[str]) -> int:
    """value within LIMITS[name]; a note in problems if it had to move."""
    lo, hi = LIMITS[name]
    if lo <= value <= hi:
        return value
    fixed = min(max(value, lo), hi)
    problems.append(t("bounds.clamped", name=name, value=value, lo=lo, hi=hi, fixed=fixed))
    return fixed


def _clamp_field(name: str, value, problems: list[str]):
    if isinstance(value, bool) or name not in LIMITS:
        return value
    if isinstance(value, tuple):
        h, w = (clamp(name, v, problems) for v in value)
        return h if h == w else (h, w)
    return clamp(name, value, problems)


def _fit_kernel(fields: dict, problems: list[str]) -> None:
    """Shrink K (per axis) until the kernel fits the padded input, noting the SpecError text."""
    k, s, p, d = (as_pair(fields[n]) for n in ("K", "stride", "padding", "dilation"))
    size = (fields["H"], fields["W"])
    if all(out_size(*a) >= 1 for a in zip(size, k, s, p, d)):
        return
    try:
        ConvSpec(**fields)
    except SpecError as e:
        problems.append(str(e))
    fitted = tuple(max(1, min(ki, largest_kernel(n, pi, di))) for n, ki, pi, di in zip(size, k, p, d))
    fields["K"] = fitted[0] if fitted[0] == fitted[1] else fitted
    problems.append(t("bounds.kernel_fits", K=format_pair(fields["K"])))


def repair(values: Mapping[str, str], base: ConvSpec = DEFAULT_SPEC) -> Repaired:
    """A valid spec from text values (URL query, form): missing C, N, G, K, H, W come from base, missing
    stride, padding, dilation, bias from nn.Conv2d's defaults; bad fields keep that value, out-of-range
    values are clamped, G snaps to the nearest valid divisor, and a kernel too large shrinks to fit.

    >>> r = repair({"C": "64", "N": "128", "G": "3", "K": "3", "H": "56", "W": "56"})
    >>> r.spec.G, r.problems[0]
    (4, 'G=3 must divide C=64 and N=128; valid G: 1, 2, 4, 8, 16, 32, 64; showing G=4')
    """
    problems: list[str] = []
    fields = {name: getattr(base, name) for name in FIELDS}
    if any(name in values for name in FIELDS):
        fields.update(DEFAULTS)  # a link that names a layer gets nn.Conv2d's defaults for what it omits
    for name in FIELDS:
        if name not in values:
            continue
        try:
            fields[name] = parse_field(name, values[name])
        except SpecError as e:
            problems.append(t("bounds.keeping", error=e, name=name, value=fields[name]))
    return repair_fields(fields, problems)


def repair_fields(fields: dict, problems: list[str] | None = None) -> Repaired:
    """A valid spec from typed field values (ints, pairs, bool) by the same rules as repair."""
    problems = [] if problems is None else problems
    fields = {name: _clamp_field(name, fields[name], problems) for name in FIELDS}
    fields["G"], note = fit_group(fields["G"], fields["C"], fields["N"])
    if note is not None:
        problems.append(str(note))
    _fit_kernel(fields, problems)
    return Repaired(ConvSpec(**fields), problems)


# The live equivalence check runs three convs, one of them dense (G times the MACs): keep it interactive.
LIVE_MAX_MACS = 20_000_000
LIVE_MAX_BYTES = 64 * 2**20


def live_spec(spec: ConvSpec) -> ConvSpec | None:
    """spec with H, W cropped so the dense equivalent fits the live budget; None if even 1 output pixel won't."""
    return cost.crop_to_budget(spec, LIVE_MAX_MACS, LIVE_MAX_BYTES)


def multiplier_limit(C: int) -> int:
    """The largest depth multiplier m whose N = m·C stays within the app's N bound."""
    return largest_multiplier(C, LIMITS["N"][1])
