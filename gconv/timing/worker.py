"""The timing worker: one process, started once and reused, that runs measurements one at a time.

Timings measured in a thread of the app's server shared the cores with its other sessions' work and corrupted
sweeps by up to 12×. In the worker, nothing of the server runs: the server thread waits on a pipe (no CPU)
and draws progress only when the worker reports one between rounds, after which the worker leaves the
browser a quiet moment before its next timed block. torch's process-wide settings change only in the worker.

Only the jobs named in JOBS run there; what travels on the pipe is the app's own values (specs, configs,
results), never anything a user uploaded.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable

from .. import errors

QUIET_AFTER_PROGRESS = 0.05  # seconds the worker waits after reporting progress, so the browser draws it then


class WorkerError(RuntimeError):
    """A job failed in the worker with an error that is not a GConvError: a bug, with the worker's traceback."""


def _jobs() -> dict[str, Callable]:
    from .replicate import measure_replication
    from .runs import measure_run

    return {"measure_run": measure_run, "measure_replication": measure_replication}


def _serve(conn) -> None:
    """The worker's loop: receive a job, run it with progress sent back, send its result or its error."""
    jobs = _jobs()
    while True:
        try:
            name, args, kwargs = conn.recv()
        except EOFError:
            return  # the server went away

        def progress(fraction: float, text: str) -> None:
            conn.send(("progress", fraction, text))
            time.sleep(QUIET_AFTER_PROGRESS)

        try:
            result = jobs[name](*args, progress=progress, **kwargs)
        except errors.GConvError as e:
            conn.send(("refused", type(e).__name__, e.args[0] if e.args else str(e)))  # a Said stays one
        except Exception:  # noqa: BLE001 - sent back whole, to surface in the server as a bug
            conn.send(("failed", traceback.format_exc()))
        else:
            conn.send(("done", result))


class Worker:
    """The server's handle on the worker process: call(job, ...) runs it there and returns its result."""

    def __init__(self):
        self._lock = threading.Lock()  # one job at a time on the pipe
        self._process = None
        self._conn = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, once started."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        # spawn, not fork: forking a threaded server that has loaded torch can deadlock the child
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="gconv-timing-worker", daemon=True)
        self._process.start()
        child.close()
        self._conn = parent

    def call(self, job: str, *args, progress: Callable[[float, str], None] | None = None, **kwargs):
        """Run a job (a name in JOBS) in the worker with these arguments; progress gets its reports."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            self._conn.send((job, args, kwargs))
            while True:
                try:
                    message = self._conn.recv()
                except (EOFError, OSError):
                    self._process = None
                    raise WorkerError("the timing worker process stopped during the job") from None
                if message[0] == "progress":
                    if progress:
                        progress(message[1], message[2])
                elif message[0] == "done":
                    return message[1]
                elif message[0] == "refused":
                    raise getattr(errors, message[1], errors.GConvError)(message[2])
                else:
                    raise WorkerError(message[1])

    def stop(self) -> None:
        """End the worker process (a later call starts a fresh one)."""
        with self._lock:
            if self._process is not None:
                self._conn.close()
                self._process.join(5)
                if self._process.is_alive():
                    self._process.kill()
                self._process = None


WORKER = Worker()
