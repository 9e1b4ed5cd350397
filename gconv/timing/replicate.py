"""ShuffleNet V2's guideline experiments (Ma et al., ECCV 2018, Sec. 2) replayed on this machine.

G1 (Table 1): equal channel widths minimise memory access cost: 10 blocks of two 1×1 convs c1→c2→c1 at
fixed FLOPs. G2 (Table 2): excessive group convolution increases it: 10 stacked 1×1 group convs c→c at fixed
FLOPs. Both on a 56×56 input. The paper does not state the batch size for these tables; the default is 1.
Rows are measured together in interleaved rounds, as every timing here.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .worker import run_held
from .options import varies_groups
from .. import cost
from ..equivalence import native_conv
from ..errors import GConvError
from ..spec import ConvSpec
from .cases import DTYPES, random_tensor
from .harness import TimingConfig, environment, measure_cases, measurement_settings, resolve_device
from ..i18n import Joined, Said, plain, say
from ..text import outside

SIZE, DEPTH = 56, 10  # a 56×56 input through 10 layers (G2) or 10 blocks (G1), as in Sec. 2


@dataclass(frozen=True)
class PaperRow:
    """One row of the paper's table: the setting, the widths it used on GPU and ARM, and its speeds."""

    label: str  # "g=2" or "1:6"
    g: int
    widths: tuple[int, int]  # (c1, c2) measured here: the paper's GPU widths, FLOPs within 2% of row 1
    gpu_widths: tuple[int, int]
    arm_widths: tuple[int, int]
    gpu: float  # GTX 1080Ti, batches/s
    arm: float  # Snapdragon 810, images/s


EXPERIMENTS = {
    "shufflenet-g2": (say("exp.shufflenet-g2"), [
        PaperRow("g=1", 1, (128, 128), (128, 128), (64, 64), 2451, 40.0),
        PaperRow("g=2", 2, (180, 180), (180, 180), (90, 90), 1725, 35.0),
        PaperRow("g=4", 4, (256, 256), (256, 256), (128, 128), 1026, 32.9),
        PaperRow("g=8", 8, (360, 360), (360, 360), (180, 180), 634, 27.8)]),
    "shufflenet-g1": (say("exp.shufflenet-g1"), [
        PaperRow("1:1", 1, (128, 128), (128, 128), (32, 32), 1480, 76.2),
        PaperRow("1:2", 1, (90, 180), (90, 180), (22, 44), 1296, 72.9),
        PaperRow("1:6", 1, (52, 312), (52, 312), (13, 78), 876, 69.1),
        # the paper's (36, 432) has 5% fewer FLOPs than row 1; (37, 444) keeps the ratio within 0.3%
        PaperRow("1:12", 1, (37, 444), (36, 432), (9, 108), 748, 57.6)]),
}


def layers(name: str, row: PaperRow) -> list[ConvSpec]:
    """The convs one row runs, in order: 10 group convs c→c (G2), or 10 blocks c1→c2→c1 (G1)."""
    c1, c2 = row.widths
    if varies_groups(name):
        return [ConvSpec(C=c1, N=c1, G=row.g, K=1, H=SIZE, W=SIZE)] * DEPTH
    up, down = ConvSpec(C=c1, N=c2, G=1, K=1, H=SIZE, W=SIZE), ConvSpec(C=c2, N=c1, G=1, K=1, H=SIZE, W=SIZE)
    return [up, down] * DEPTH


def _experiment(name: str):
    if name not in EXPERIMENTS:
        raise GConvError(say("err.experiment", name=outside(name, 32, quote=True), valid=", ".join(EXPERIMENTS)))
    return EXPERIMENTS[name]


@dataclass(frozen=True)
class Replication:
    """One experiment measured here, row by row beside the paper's figures, and what agrees and what not."""

    name: str
    title: Said
    config: TimingConfig
    rows: list[dict]
    environment: dict
    findings: list[Said]
    waited: float = 0.0

    def as_dict(self) -> dict:
        """JSON: rows with g (or c1, c2), flops, mac, median_ms, relative_speed, paper_gpu, paper_arm; the paper's
        absolute figures; the environment; the findings."""
        _, paper = _experiment(self.name)
        return plain({"experiment": self.name, "title": self.title, "batch": self.config.batch,
                "batch_note": say("exp.batch_note"),
                "environment": self.environment, "rows": self.rows, "findings": self.findings,
                "paper": {"source": "Ma et al., ShuffleNet V2, ECCV 2018, Tables 1 and 2",
                          "gpu": {"device": "GTX 1080Ti", "unit": "batches/s", "values": [r.gpu for r in paper]},
                          "arm": {"device": "Snapdragon 810", "unit": "images/s", "values": [r.arm for r in paper]}}})


def measure_replication(name: str, config: TimingConfig, progress: Callable[[float, str], None] | None = None
                        ) -> Replication:
    """Measure an experiment in this process (the caller holds the device)."""
    title, paper = _experiment(name)
    device = resolve_device(config.device)
    steps = {}
    for row in paper:
        specs = layers(name, row)
        x = random_tensor((config.batch, specs[0].C, SIZE, SIZE), config, device, False)
        weights = [torch.randn(*s.weight_shape, device=device, dtype=DTYPES[config.dtype]) for s in specs]

        def step(x=x, weights=weights, specs=specs):
            with torch.no_grad():
                y = x
                for w, s in zip(weights, specs):
                    y = native_conv(y, w, None, s)
                return y
        steps[row.label] = step
    with measurement_settings(config, device) as used:
        timings = measure_cases(steps, config, device, progress, used)
        env = environment(config, used)
    first = timings[paper[0].label].median
    rows = []
    for row in paper:
        specs, timing = layers(name, row), timings[row.label]
        key = {"g": row.g, "c": row.widths[0]} if varies_groups(name) else {"c1": row.widths[0], "c2": row.widths[1]}
        widths = f"c={row.widths[0]}" if varies_groups(name) else f"{row.widths[0]}, {row.widths[1]}"
        rows.append({"setting": row.label, **key, "widths": widths, "flops": config.batch * sum(cost.flops(s) for s in specs),
                     "mac": cost.memory_access_cost(specs[0]), "median_ms": timing.median * 1e3, "spread": timing.spread,
                     "unstable": timing.unstable, "note": timing.note, "relative_speed": first / timing.median,
                     "paper_gpu": row.gpu / paper[0].gpu, "paper_arm": row.arm / paper[0].arm,
                     "paper_widths_gpu": list(row.gpu_widths), "paper_widths_arm": list(row.arm_widths)})
    return Replication(name, title, config, rows, {**env, "process": f"pid {os.getpid()}"}, findings(rows))


def findings(rows: list[dict]) -> list[Said]:
    """Plain statements of where this machine agrees with the paper, row by row and in trend."""
    out = []
    first, last = rows[0]["setting"], rows[-1]["setting"]
    for r in rows[1:]:
        here, gpu, arm = r["relative_speed"], r["paper_gpu"], r["paper_arm"]
        nearer = "ARM" if abs(here - arm) < abs(here - gpu) else "GPU"
        out.append(say("finding.row", setting=r["setting"], here=f"{here:.2f}", first=first, gpu=f"{gpu:.2f}",
                       arm=f"{arm:.2f}", nearer=nearer))
    speeds = [r["relative_speed"] for r in rows]
    faster = [say("finding.faster", later=b["setting"], earlier=a["setting"],
                  percent=f"{b['relative_speed'] / a['relative_speed'] - 1:.0%}")
              for a, b in zip(rows, rows[1:]) if b["relative_speed"] > a["relative_speed"] * 1.02]
    if speeds[-1] < 0.95 and faster:
        out.append(say("finding.holds_though", last=last, speed=f"{speeds[-1]:.2f}", first=first,
                       faster=Joined(say("finding.join"), tuple(faster))))
    elif speeds[-1] < 0.95:
        out.append(say("finding.holds", last=last, speed=f"{speeds[-1]:.2f}", first=first))
    else:
        out.append(say("finding.fails", last=last, speed=f"{speeds[-1]:.2f}", first=first,
                       speeds=", ".join(f"{v:.2f}" for v in speeds)))
    unstable = [r["setting"] for r in rows if r["unstable"]]
    if unstable:
        out.append(say("finding.noisy", rows=", ".join(unstable)))
    return out


def replicate(name: str, config: TimingConfig, progress: Callable[[float, str], None] | None = None,
              on_wait: Callable[[], None] | None = None, isolated: bool = False) -> Replication:
    """Wait for the device, then measure the experiment: in the timing worker when isolated (the app), else here."""
    _experiment(name)
    return run_held(say("job.replication"), measure_replication, name, config, on_wait=on_wait, isolated=isolated,
                    progress=progress)
