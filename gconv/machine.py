"""This machine's shared compute: one lock for work that must not overlap (timings, trainings), and torch's
process-wide settings changed only inside a guard that every user of them shares.

torch's thread count, cudnn.benchmark and the TF32 flags belong to the whole process: a session thread that
changes them changes them for every other session. torch_settings() serialises such changes and restores them.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class DeviceLock:
    """One heavy job at a time on this machine, for the whole process; it knows how many jobs are waiting."""

    def __init__(self):
        self._cond = threading.Condition()
        self._held = False
        self._waiting = 0
        self.holder = ""  # what holds it now (a Said: "a timing run", "a GDC training"), for the waiting message

    def locked(self) -> bool:
        """True while some job holds the device."""
        with self._cond:
            return self._held

    @property
    def waiting(self) -> int:
        """Jobs queued for the device right now."""
        with self._cond:
            return self._waiting

    def acquire(self, on_wait: Callable[[], None] | None = None, what: object = "") -> float:
        """Take the device and return the seconds waited; on_wait is called once if another job holds it."""
        with self._cond:
            if not self._held:
                self._held, self.holder = True, what
                return 0.0
            self._waiting += 1
            self._cond.notify_all()
        start = time.perf_counter()
        try:
            if on_wait:
                on_wait()  # outside the condition: it may draw UI
            with self._cond:
                self._cond.wait_for(lambda: not self._held)
                self._held, self.holder = True, what
        finally:
            with self._cond:
                self._waiting -= 1
        return time.perf_counter() - start

    def release(self) -> None:
        with self._cond:
            self._held, self.holder = False, ""
            self._cond.notify_all()

    @contextmanager
    def hold(self, on_wait: Callable[[], None] | None = None, what: object = "") -> Iterator[float]:
        """with DEVICE.hold(on_wait, say("job.timing")) as waited: ... (waited: seconds spent queued)."""
        waited = self.acquire(on_wait, what)
        try:
            yield waited
        finally:
            self.release()

    def wait_for_waiters(self, count: int = 1, timeout: float | None = None) -> bool:
        """Block until at least count jobs are queued (a holder that wants to hand over); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout)


DEVICE = DeviceLock()  # timings and trainings take it, so a measurement never shares the machine with them
_SETTINGS = threading.RLock()


@contextmanager
def torch_settings(threads: int | None = None, cudnn_benchmark: bool | None = None,
                   tf32: bool | None = None) -> Iterator[dict]:
    """Set torch's process-wide settings for a block and restore them after; None leaves one as it is.

    Yields what the block runs with: {"threads", "cudnn_benchmark", "tf32_matmul", "tf32_cudnn"}. Holders are
    serialised, so no other thread changes these under the block.
    """
    import torch

    with _SETTINGS:
        old = (torch.get_num_threads(), torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32,
               torch.backends.cudnn.allow_tf32)
        try:
            if threads:
                torch.set_num_threads(threads)
            if cudnn_benchmark is not None:
                torch.backends.cudnn.benchmark = cudnn_benchmark
            if tf32 is not None:
                torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
            yield {"threads": torch.get_num_threads(), "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
                   "tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
                   "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32)}
        finally:
            torch.set_num_threads(old[0])
            torch.backends.cudnn.benchmark = old[1]
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old[2], old[3]


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null for a block (the profiler's USDT lines).

    Python's own sys.stderr is flushed first and works again after; the block must not need stderr itself.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _busy_ticks() -> tuple[int, int] | None:
    """(CPU ticks busy on the whole machine, ticks of this process) from /proc; None where there is no /proc."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, int(own[11]) + int(own[12])


def others_busy(window: float = 0.1) -> float | None:
    """Cores' worth of CPU that other processes used over a short window (0.5 = half a core); None off Linux."""
    first = _busy_ticks()
    if first is None:
        return None
    time.sleep(window)
    second = _busy_ticks()
    ticks = os.sysconf("SC_CLK_TCK") * window
    return max(0.0, ((second[0] - first[0]) - (second[1] - first[1])) / ticks)


def wait_for_quiet(threshold: float = 0.25, max_wait: float = 0.5, window: float = 0.1) -> float:
    """Wait, at most max_wait seconds, until other processes use under threshold cores (a browser finishing
    drawing the last results, say); returns the seconds waited. Call between timed blocks, never inside one."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        busy = others_busy(window)
        if busy is None or busy < threshold:
            break
    return time.perf_counter() - start
