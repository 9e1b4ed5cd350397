"""Untrusted ONNX files read in a bounded process: parsing, shape inference and the channel flow never run in the
caller's process.

A 665-byte file (one Conv, then `Range(0, 10**11, 1)`) made onnx's own shape inference allocate until the kernel
killed the server, and onnx's C++ never asks our guards first. So every file is read by a reader process under
hard limits: address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU) and a wall clock that the caller enforces by
killing it. The process is started once and reused (importing onnx costs more than reading most files), and is
restarted after a file broke a limit. One file at a time: a caller behind another is told it waits, and the
queue is bounded, so a burst of uploads cannot pile up threads without end.

What travels to the reader is a file's path; what comes back is the report and the flow (gconv's own values) or
the GConvError that says why not, in the caller's language (a Said crosses the pipe as its key).
"""
from __future__ import annotations

import math
import mmap
import os
import resource
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .. import errors
from ..errors import ONNXError
from ..i18n import say
from .onnx_reader import MAX_BYTES

MiB = 2**20
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds gconv/, for the reader's imports
SETUP = ""  # Python the reader process runs before its first file: how a test plants a bug or a smaller budget there


@dataclass(frozen=True)
class Limits:
    """What one reader process may use for one file."""

    memory: int = 2048 * MiB  # address space of the reader process (RLIMIT_AS), the file and onnx included
    cpu: int = 60  # CPU seconds per file (RLIMIT_CPU, raised by this much before each file)
    wall: float = 90.0  # seconds the caller waits before it kills the reader
    max_bytes: int = MAX_BYTES  # the largest file read (also the upload limit in .streamlit/config.toml)
    queue: int = 16  # callers waiting at once; one more is told to try again

    def describe(self) -> dict:
        """The limits as the fields of the messages that name them."""
        return {"memory": f"{self.memory // MiB:,}", "cpu": self.cpu, "wall": f"{self.wall:g}",
                "limit": f"{self.max_bytes // MiB:,}"}


WEB = Limits()  # an upload to a shared server


def local_limits(size: int) -> Limits:
    """Limits for a file on the user's own machine (the CLI, a notebook): any size (the file is mapped, which
    takes address space but no memory beyond what is read: never a weight's bytes), and more time for large
    graphs."""
    return Limits(memory=WEB.memory + size, cpu=600, wall=900.0, max_bytes=2**62, queue=64)


class WorkerError(RuntimeError):
    """The reader failed with an error that is not a GConvError: a bug, with the reader's traceback."""


def inspect_file(path: str, name: str, max_bytes: int, reach: tuple[int, int] | None = None):
    """(report, flow or the GConvError saying why the flow is missing) for the ONNX file at path; what the
    reader process runs, and what runs in-process for a trusted file (a zoo export). With reach=(row a, row b):
    the bool matrix of which input channels of layer a each output channel of layer b can depend on, instead."""
    from .flow import channel_reach, trace
    from .onnx_reader import read_graph, read_onnx, report_nodes

    size = os.path.getsize(path)
    if size > max_bytes:
        raise ONNXError(say("err.onnx_size", size=f"{size / MiB:,.1f}", limit=f"{max_bytes // MiB:,}"))
    with open(path, "rb") as f:  # mapped, not read: the pages of the weights' bytes are never touched (slim.py)
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            graph = read_graph(data, max_bytes)
        finally:
            if size:
                data.close()
    if reach is not None:
        nodes = report_nodes(graph)
        a, b = reach
        if not (0 <= a < len(nodes) and 0 <= b < len(nodes)):
            raise ONNXError(say("err.reach_rows", a=a, b=b, count=len(nodes) - 1))
        return channel_reach(graph, nodes[a].input[0], nodes[b].output[0])
    report = read_onnx(b"", name, graph)
    try:
        return report, trace(graph, report_nodes(graph))
    except errors.GConvError as e:  # the layers still show; the flow says why it is missing
        return report, e


def _limit(kind: int, soft: int) -> None:
    _, hard = resource.getrlimit(kind)
    resource.setrlimit(kind, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _main(limits: Limits) -> None:
    """The reader process: limits first, then one file at a time from stdin, each under a fresh CPU allowance;
    answers go to stdout, and anything else printed goes to stderr."""
    _limit(resource.RLIMIT_AS, limits.memory)
    import onnx  # noqa: F401 - imported now, so that warm() pays for it and no file's CPU allowance does

    from . import flow, onnx_reader  # noqa: F401
    recv, conn = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    while True:
        try:
            path, name, reach = recv.recv()
        except EOFError:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        _limit(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime) + limits.cpu)
        try:
            conn.send(("done", inspect_file(path, name, limits.max_bytes, reach)))
        except MemoryError:
            conn.send(("memory",))
        except errors.GConvError as e:
            conn.send(("refused", type(e).__name__, e.args[0] if e.args else str(e)))  # a Said stays one
        except Exception:  # noqa: BLE001 - sent back whole, to surface in the caller as a bug
            conn.send(("failed", traceback.format_exc()))


class Reader:
    """The caller's handle on one reader process: read(path, name) returns (report, flow) or raises GConvError."""

    def __init__(self, limits: Limits = WEB):
        self.limits = limits
        self._lock = threading.Lock()  # one file at a time on the pipe
        self._count = threading.Lock()
        self._waiting = 0
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        # A fresh interpreter, not multiprocessing: spawn re-runs the caller's __main__ (a notebook, a script
        # without a main guard), and fork of a threaded server that has loaded torch can deadlock the child.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",  # one file, one core: the server keeps the rest
               # glibc keeps up to 256 MiB of freed memory for the next file instead of handing it back and faulting
               # it in again (2-3× faster on a 90 MB export); the address-space limit still bounds the total
               "MALLOC_MMAP_THRESHOLD_": str(256 * MiB), "MALLOC_TRIM_THRESHOLD_": str(256 * MiB)}
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"{SETUP}\nfrom gconv.inspector.bounded import Limits, _main; _main({self.limits!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)
        self._send = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._recv = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()  # the connections hold their own copies
        self._process.stdout.close()

    def _end(self) -> int | None:
        """Kill the reader (a later file starts a fresh one); its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        code = process.wait(5)
        self._send.close()
        self._recv.close()
        return code

    def warm(self) -> None:
        """Start the reader process now if it is not running, so that the first file does not wait for it."""
        if self._lock.acquire(blocking=False):
            try:
                if self._process is None or self._process.poll() is not None:
                    self._start()
            finally:
                self._lock.release()

    def read(self, path: str, name: str, on_wait: Callable[[int], None] | None = None,
             reach: tuple[int, int] | None = None):
        """The file's (report, flow or GConvError) read in the reader process (with reach=(row a, row b): the reach
        matrix between those layers); on_wait(ahead) is called first when another file is being read."""
        with self._count:
            if self._waiting >= self.limits.queue:
                raise ONNXError(say("err.reader_busy", waiting=self._waiting))
            ahead = self._waiting
            self._waiting += 1
        try:
            if not self._lock.acquire(blocking=False):
                if on_wait is not None:
                    on_wait(ahead)
                self._lock.acquire()
            try:
                return self._read(path, name, reach)
            finally:
                self._lock.release()
        finally:
            with self._count:
                self._waiting -= 1

    def _read(self, path: str, name: str, reach=None):
        fields = self.limits.describe()
        if self._process is None or self._process.poll() is not None:
            self._start()
        try:
            self._send.send((path, name, reach))
            ready = self._recv.poll(self.limits.wall)
            message = self._recv.recv() if ready else None
        except (EOFError, OSError):
            message = ()
        if message is None:
            self._end()
            raise ONNXError(say("err.reader_wall", **fields))
        if message == ():  # the reader died: CPU limit (SIGXCPU), or memory the kernel would not give
            code = self._end()
            if code == -signal.SIGXCPU:
                raise ONNXError(say("err.reader_cpu", **fields))
            raise ONNXError(say("err.reader_died", code=code, **fields))
        if message[0] == "done":
            return message[1]
        if message[0] == "memory":
            self._end()  # a process that hit its limit may hold on to odd state: the next file gets a fresh one
            raise ONNXError(say("err.reader_memory", **fields))
        if message[0] == "refused":
            raise getattr(errors, message[1], errors.GConvError)(message[2])
        raise WorkerError(message[1])

    def stop(self) -> None:
        """End the reader process (a later file starts a fresh one)."""
        with self._lock:
            self._end()


_readers: dict[Limits, Reader] = {}
_readers_lock = threading.Lock()


def reader(limits: Limits = WEB) -> Reader:
    """The shared reader for these limits, one per process."""
    with _readers_lock:
        return _readers.setdefault(limits, Reader(limits))
