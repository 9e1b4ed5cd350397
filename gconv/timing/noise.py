"""Noise caught, not hidden: interleaved rounds of blocks across cases, re-measured while the spread is high.

Each round times one block of every case, in a rotating order, so that drift (a turbo clock, another process,
a browser drawing) hits all cases alike instead of one. A case whose spread (IQR/median of its last `rounds`
blocks) stays above the threshold is measured again, in rounds of the noisy cases only, up to max_rounds; one
still noisy then is marked unstable with the reason.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from ..i18n import say

NOISE_THRESHOLD = 0.10  # IQR/median above this re-measures, and finally marks a row unstable
ROUNDS = 6  # blocks per case that the statistics use (the last ones)
MAX_ROUNDS = 15  # blocks per case at most, re-measures included


@dataclass(frozen=True)
class Stats:
    """One case's seconds per call over its judged blocks: median, IQR, spread, and whether it settled."""

    median: float
    iqr: float
    blocks: int  # blocks measured in all, re-measures included
    unstable: bool
    note: object  # why a row is unstable (a Said), or "" when it settled

    @property
    def spread(self) -> float:
        """IQR/median of the judged blocks: 0.05 means the middle half of the blocks lie within 5%."""
        return self.iqr / self.median if self.median > 0 else float("inf")


def stats(samples: list[float]) -> tuple[float, float]:
    """(median, IQR) of per-call times, as torch.utils.benchmark's Measurement computes them."""
    q25, q50, q75 = np.percentile(np.asarray(samples, dtype=float), [25, 50, 75])
    return float(q50), float(q75 - q25)


def settle(cases: list[Hashable], block: Callable[[Hashable], float], rounds: int = ROUNDS,
           max_rounds: int = MAX_ROUNDS, threshold: float = NOISE_THRESHOLD,
           on_round: Callable[[int, int, list], None] | None = None) -> dict[Hashable, Stats]:
    """Measure every case in interleaved rounds; block(case) times one block and returns seconds per call.

    on_round(round, planned, cases) is called between rounds, never inside a block: the place for progress.

    >>> s = settle(["a", "b"], lambda case: {"a": 1.0, "b": 2.0}[case])
    >>> s["a"].median, s["b"].median, s["a"].blocks, s["a"].unstable
    (1.0, 2.0, 6, False)
    """
    samples: dict[Hashable, list[float]] = {c: [] for c in cases}
    todo, done = list(cases), 0
    while todo:
        if on_round:
            on_round(done, max(rounds, done + 1), todo)
        shift = done % len(todo)
        for case in todo[shift:] + todo[:shift]:  # rotate, so no case is always first after a pause
            samples[case].append(block(case))
        done += 1
        if done < rounds:
            continue
        noisy = [c for c in todo if _spread(samples[c][-rounds:]) > threshold]
        todo = noisy if done < max_rounds else []
    out = {}
    for case, times in samples.items():
        settled = Stats(*stats(times[-rounds:]), blocks=len(times), unstable=False, note="")
        if settled.spread > threshold:
            settled = Stats(settled.median, settled.iqr, settled.blocks, True,
                            say("timing.note.unstable", spread=f"{settled.spread:.0%}", blocks=len(times),
                                threshold=f"{threshold:.0%}"))
        out[case] = settled
    return out


def _spread(times: list[float]) -> float:
    return Stats(*stats(times), blocks=len(times), unstable=False, note="").spread
