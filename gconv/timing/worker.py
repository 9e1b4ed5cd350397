"""The timing worker: one process, started once and reused, that runs measurements one at a time.

Timings measured in a thread of the app's server shared the cores with its other sessions' work and corrupted
sweeps by up to 12×. In the worker, nothing of the server runs: the server thread waits on a pipe (no CPU)
and draws progress only when the worker reports one between rounds, after which the worker leaves the
browser a quiet moment before its next timed block. torch's process-wide settings change only in the worker.

A job is a module-level function of gconv, pickled by reference (its module and name, never code), with the
app's own values as arguments (specs, configs) and a picklable result; nothing a user uploaded travels there.
run_held is the one way the app and the CLI run a job: hold the device, run here or in the worker, note the wait.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace

from .. import errors
from ..i18n import Said
from ..machine import DEVICE

QUIET_AFTER_PROGRESS = 0.05  # seconds the worker waits after reporting progress, so the browser draws it then


class WorkerError(RuntimeError):
    """A job failed in the worker with an error that is not a GConvError: a bug, with the worker's traceback."""


def _serve(conn) -> None:
    """The worker's loop: receive a job, run it with progress sent back, send its result or its error."""
    while True:
        try:
            job, args, kwargs = conn.recv()
        except EOFError:
            return  # the server went away

        def progress(fraction: float, text: str) -> None:
            conn.send(("progress", fraction, text))
            time.sleep(QUIET_AFTER_PROGRESS)

        try:
            result = job(*args, progress=progress, **kwargs)
        except errors.GConvError as e:
            conn.send(("refused", type(e).__name__, e.args[0] if e.args else str(e)))  # a Said stays one
        except Exception:  # noqa: BLE001 - sent back whole, to surface in the server as a bug
            conn.send(("failed", traceback.format_exc()))
        else:
            try:
                conn.send(("done", result))
            except Exception:  # noqa: BLE001 - a result that cannot be pickled is the job's bug, said as that
                conn.send(("failed", traceback.format_exc()))


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

    def call(self, job: Callable, *args, progress: Callable[[float, str], None] | None = None, **kwargs):
        """Run job (a module-level function taking progress=) in the worker with these arguments; progress gets
        its reports. A job that cannot be pickled by reference raises here, before anything is sent."""
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


def run_held(what: Said, job: Callable, *args, on_wait: Callable[[], None] | None = None, isolated: bool = False,
             progress: Callable[[float, str], None] | None = None, **kwargs):
    """Hold the device (queued behind any other measurement, on_wait told), run job here or, when isolated (the
    app), in the worker, and return its result (a dataclass with a waited field) with the seconds waited."""
    with DEVICE.hold(on_wait, what=what) as waited:
        if isolated:
            result = WORKER.call(job, *args, progress=progress, **kwargs)
        else:
            result = job(*args, progress=progress, **kwargs)
    return replace(result, waited=waited)
