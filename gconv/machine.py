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
from pathlib import Path


def state_dir() -> Path:
    """Where this machine's app processes share state: the device lock and the on-disk caches. $GCONV_STATE, or
    ~/.cache/gconv (every process started by one user on one machine finds the same folder)."""
    return Path(os.environ.get("GCONV_STATE") or Path.home() / ".cache" / "gconv")


class DeviceLock:
    """One heavy job at a time on this machine, across every process that shares state_dir() (several app
    processes behind one address), and within a process across its sessions; it knows how many jobs are waiting.

    Two layers: a condition for this process's threads (which also counts them, for the waiting message), then a
    file lock (fcntl.flock, through filelock) that the kernel releases if its holder dies, so a replica killed
    mid-training never leaves the device locked."""

    def __init__(self, path: str | os.PathLike | None = None):
        self._cond = threading.Condition()
        self._held = False
        self._waiting = 0
        self._path = path  # the lock file; None: state_dir() / "device.lock", decided at first use
        self._file = None
        self.holder = ""  # what holds it now (a Said: "a timing run", "a GDC training"), for the waiting message

    def _file_lock(self):
        from filelock import FileLock

        if self._file is None:
            path = Path(self._path) if self._path else state_dir() / "device.lock"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = FileLock(str(path), thread_local=False)  # this process's holder is one thread at a time
        return self._file

    def _holder_file(self) -> Path:
        return Path(self._file_lock().lock_file + ".holder")

    def locked(self) -> bool:
        """True while some job holds the device (in this process)."""
        with self._cond:
            return self._held

    @property
    def waiting(self) -> int:
        """Jobs of this process queued for the device right now."""
        with self._cond:
            return self._waiting

    def acquire(self, on_wait: Callable[[], None] | None = None, what: object = "") -> float:
        """Take the device and return the seconds waited; on_wait is called once if another job holds it (in this
        process or another)."""
        from filelock import Timeout

        start = time.perf_counter()
        told = False
        with self._cond:
            queued = self._held
            if queued:
                self._waiting += 1
                self._cond.notify_all()
            else:
                self._held, self.holder = True, what
        if queued:
            try:
                if on_wait:
                    told = True
                    on_wait()  # outside the condition: it may draw UI
                with self._cond:
                    self._cond.wait_for(lambda: not self._held)
                    self._held, self.holder = True, what
            finally:
                with self._cond:
                    self._waiting -= 1
        lock = self._file_lock()
        try:
            try:
                lock.acquire(timeout=0)
            except Timeout:  # another process holds it
                queued = True
                if on_wait and not told:
                    self.holder = self._other_holder()
                    on_wait()
                    self.holder = what
                lock.acquire()
        except BaseException:
            self._release_here()
            raise
        self._holder_file().write_text(getattr(what, "key", ""))
        return time.perf_counter() - start if queued else 0.0

    def _other_holder(self):
        """What another process said it holds the device for (a Said), or "" when it did not say."""
        from .i18n import Said

        try:
            key = self._holder_file().read_text().strip()
        except OSError:
            return ""
        return Said(key) if key.startswith("job.") else ""

    def release(self) -> None:
        self._file_lock().release()
        self._release_here()

    def _release_here(self) -> None:
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
        """Block until at least count jobs of this process are queued (a holder that wants to hand over); False
        on timeout."""
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
