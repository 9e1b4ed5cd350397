"""One timing run, as the page and the CLI start it: its budget checked first, then measured under the device lock,
in this process (the CLI) or in the timing worker process (the app, so that nothing of the server competes).

Kinds of run: "layer" (every case of the layer), "groups" (the native grouped conv at every valid G) and
"batch" (the native grouped conv over batch sizes, stopping before the batch that would break the budgets).
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from .worker import run_held
from .options import RUNS
from ..errors import GConvError
from ..spec import ConvSpec
from .cases import check_budget, group_items, layer_items, sweep_batch, sweep_groups, time_layer
from .harness import TimingConfig, environment, measurement_settings, peaks_for, resolve_device
from .roofline import Peaks
from ..i18n import plain, say
from ..text import outside

Progress = Callable[[float, str], None]


def check_run(kind: str, spec: ConvSpec, config: TimingConfig) -> None:
    """Refuse a run over budget before anything is allocated (BudgetError), for the cases it times together."""
    if kind == "groups":
        check_budget(group_items(spec, config))
    elif kind == "batch":  # the sweep stops by itself before the first batch that does not fit
        check_budget(layer_items(spec, replace(config, batch=1), ("grouped",)))
    elif kind == "layer":
        check_budget(layer_items(spec, config))
    else:
        raise GConvError(say("err.timing_run", kind=outside(kind, 32, quote=True), valid=", ".join(RUNS)))


@dataclass(frozen=True)
class TimingRun:
    """What one run measured, and with what: the rows, the environment, the peaks, the wait for the device."""

    kind: str
    spec: ConvSpec
    config: TimingConfig
    rows: list[dict]
    environment: dict
    peaks: list[Peaks]
    waited: float = 0.0  # seconds queued behind another job

    @property
    def unstable(self) -> list[dict]:
        """The rows whose spread stayed above the noise threshold."""
        return [r for r in self.rows if r["unstable"]]

    def as_dict(self) -> dict:
        """Plain JSON-able values: the CLI's --json and the page's download."""
        return plain({"kind": self.kind, "spec": self.spec.as_dict(), "environment": self.environment,
                      "peaks": [{"flops": p.flops, "bandwidth": p.bandwidth, "source": p.source} for p in self.peaks],
                      "rows": self.rows})

    def to_csv(self) -> str:
        """The rows as CSV, one column per row key."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(self.rows[0]) if self.rows else [])
        writer.writeheader()
        writer.writerows(plain(self.rows))
        return buf.getvalue()


def measure_run(kind: str, spec: ConvSpec, config: TimingConfig, progress: Progress | None = None,
                peaks: list[Peaks] | None = None) -> TimingRun:
    """Measure a run in this process (no lock: the caller holds the device). Peaks are measured unless given."""
    device = resolve_device(config.device)
    check_run(kind, spec, config)
    sweep = {"layer": time_layer, "groups": sweep_groups, "batch": sweep_batch}[kind]
    with measurement_settings(config, device) as used:
        if peaks is None:
            if progress:
                progress(0.0, say("timing.progress.peaks"))
            peaks = peaks_for(device, config.dtype, config.threads)
        rows = sweep(spec, config, peaks=peaks[0], progress=progress, used=used)
        env = environment(config, used)
    return TimingRun(kind, spec, config, rows, {**env, "process": f"pid {os.getpid()}"}, peaks)


def run(kind: str, spec: ConvSpec, config: TimingConfig, progress: Progress | None = None,
        on_wait: Callable[[], None] | None = None, peaks: list[Peaks] | None = None,
        isolated: bool = False) -> TimingRun:
    """Check the budget, wait for the device, then measure: in the timing worker process when isolated (the app),
    else here (the CLI, a process of its own already)."""
    check_run(kind, spec, config)
    return run_held(say("job.timing"), measure_run, kind, spec, config, on_wait=on_wait, isolated=isolated,
                    progress=progress, peaks=peaks)
