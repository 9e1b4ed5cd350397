"""One timing run, as the page and the CLI start it: its budget checked first, then measured under the device lock.

Kinds of run: "layer" (every case of the layer), "groups" (the native grouped conv at every valid G) and
"batch" (the native grouped conv over batch sizes, stopping before the first batch over the budgets).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..errors import GConvError
from ..spec import ConvSpec
from .cases import check_budget, sweep_batch, sweep_groups, time_layer
from .harness import DEVICE, TimingConfig, environment, peaks_for, resolve_device
from .roofline import Peaks

RUNS = {"layer": "Time this layer", "groups": "Sweep every G", "batch": "Sweep batch size"}
Progress = Callable[[float, str], None]
PeaksSource = Callable[[str, str, "int | None"], list[Peaks]]


def check_run(kind: str, spec: ConvSpec, config: TimingConfig) -> None:
    """Refuse a run over budget before anything is allocated (BudgetError), by what the run times.

    groups: the dense layer (G=1) is the sweep's heaviest point; batch: only batch 1 must fit, since the
    sweep stops by itself before the first batch that does not; layer: every case at the config's batch.
    """
    if kind == "groups":
        check_budget(spec.dense(), config, ("grouped",))
    elif kind == "batch":
        check_budget(spec, replace(config, batch=1), ("grouped",))
    elif kind == "layer":
        check_budget(spec, config)
    else:
        raise GConvError(f"unknown timing run {str(kind)[:32]!r}; valid: {', '.join(RUNS)}")


@dataclass(frozen=True)
class TimingRun:
    """What one run measured, and with what: the rows, the environment, the peaks, the wait for the device."""

    kind: str
    spec: ConvSpec
    config: TimingConfig
    rows: list[dict]
    environment: dict
    peaks: list[Peaks]
    waited: float = 0.0  # seconds queued behind another run

    def as_dict(self) -> dict:
        """Plain JSON-able values: the CLI's --json and the page's download."""
        return {"kind": self.kind, "spec": self.spec.as_dict(), "environment": self.environment,
                "peaks": [{"flops": p.flops, "bandwidth": p.bandwidth, "source": p.source} for p in self.peaks],
                "rows": self.rows}

    def to_csv(self) -> str:
        """The rows as CSV, one column per row key."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(self.rows[0]) if self.rows else [])
        writer.writeheader()
        writer.writerows(self.rows)
        return buf.getvalue()


def run(kind: str, spec: ConvSpec, config: TimingConfig, progress: Progress | None = None,
        on_wait: Callable[[], None] | None = None, peaks: PeaksSource = peaks_for) -> TimingRun:
    """Check the budget, wait for the device, measure the peaks (peaks may be a memo of peaks_for), then time."""
    device = resolve_device(config.device)
    check_run(kind, spec, config)
    sweep = {"layer": time_layer, "groups": sweep_groups, "batch": sweep_batch}[kind]
    with DEVICE.hold(on_wait) as waited:
        if progress:
            progress(0.0, "measuring peak FLOP/s and bandwidth…")
        measured = peaks(device, config.dtype, config.threads)
        rows = sweep(spec, config, peaks=measured[0], progress=progress)
    return TimingRun(kind, spec, config, rows, environment(config), measured, waited)
