"""Memos shared by all sessions: bounded, thread-safe, each key computed once whoever asks first. A memo named in
DISK also lives on disk, shared by every app process of the machine (several behind one address) and kept
across restarts."""
from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import streamlit as st


class Memo:
    """LRU of at most max_entries results; concurrent calls for one key wait for the first caller's result.

    >>> m = Memo(max_entries=2)
    >>> m.get_or_compute("a", lambda: 1), m.get_or_compute("a", lambda: 2), m.peek("b")
    (1, 1, None)
    """

    def __init__(self, max_entries: int = 32):
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._inflight: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.computed = 0  # how many times a value was actually computed

    def peek(self, key: Hashable):
        """The stored value, or None (does not compute)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            return None

    def busy(self, key: Hashable) -> bool:
        """True while some caller is computing key."""
        with self._lock:
            return key in self._inflight

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]):
        """The value for key, computing it at most once across threads."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            key_lock = self._inflight.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:  # a caller that waited finds the first caller's value here
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
                with self._lock:
                    self.computed += 1
                    self._put(key, value)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
        return value

    def _put(self, key: Hashable, value) -> None:
        self._values[key] = value
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)


class DiskMemo(Memo):
    """A Memo whose values are also kept on disk (diskcache: SQLite and files, safe for concurrent processes,
    bounded in bytes, least recently used first out), so every app process on the machine reuses a result any
    of them computed, after a restart too. A key is computed once across processes: a file lock per key, which
    the kernel releases if its holder dies (a replica killed mid-training leaves nothing locked).

    >>> import tempfile; m = DiskMemo(2, tempfile.mkdtemp())
    >>> m.get_or_compute(("a", 1), lambda: [1]), DiskMemo(2, m.directory).peek(("a", 1))
    ([1], [1])
    """

    VERSION = 1  # part of every key: a change to what is stored makes old entries unreachable, not wrong

    def __init__(self, max_entries: int, directory, size_limit: int = 512 * 2**20):
        import diskcache

        super().__init__(max_entries)
        self.directory = str(directory)
        self._disk = diskcache.Cache(self.directory, size_limit=size_limit, eviction_policy="least-recently-used")

    def _key(self, key: Hashable) -> str:
        return f"v{self.VERSION} {key!r}"

    def _key_lock(self, key: str):
        import hashlib

        from filelock import FileLock

        folder = Path(self.directory) / "locks"
        folder.mkdir(exist_ok=True)
        return FileLock(str(folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".lock")), thread_local=False)

    def _read(self, key: str):
        try:
            return self._disk.get(key)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):  # written by other code
            self._disk.delete(key)
            return None

    def peek(self, key: Hashable):
        value = super().peek(key)
        if value is None:
            value = self._read(self._key(key))
            if value is not None:
                with self._lock:
                    self._put(key, value)
        return value

    def busy(self, key: Hashable) -> bool:
        """True while some caller, in this process or another, is computing key."""
        if super().busy(key):
            return True
        from filelock import Timeout

        lock = self._key_lock(self._key(key))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]):
        name = self._key(key)

        def shared():
            value = self._read(name)
            if value is None:
                with self._key_lock(name):
                    value = self._read(name)  # computed by another process while this one waited
                    if value is None:
                        value = compute()
                        self._disk.set(name, value)
            return value
        return super().get_or_compute(key, shared)


# Every shared memo, by name, with its bound: one name is one memo (a second size cannot split it in two).
SIZES = {
    "gdc-trainings": 32,  # GDCConfig -> GDCResult (a few MB each)
    "gdc-datasets": 8,
    "gdc-size-demo": 32,
    "inspect-zoo": 16,  # zoo model name -> gconv.summary: layers, flow, findings, and its graph (dims only) for reach
    "inspect-onnx": 8,  # sha256 of the upload -> its Summary, read in the bounded reader
    "inspect-onnx-reach": 32,  # (sha256 of the upload, row a, row b) -> reach matrix, traced in the reader
    "peaks": 16,  # (device, dtype, threads) -> measured peaks
    "dtypes": 8,  # device -> supported dtypes
}
# The memos every app process shares on disk (gconv.machine.state_dir() / "cache" / name), with their byte bound
DISK = {
    "gdc-trainings": 512 * 2**20,  # a training is a minute of CPU: one replica's result serves the others
}


@st.cache_resource
def _registry() -> dict[str, Memo]:
    from gconv.machine import state_dir

    return {name: DiskMemo(size, state_dir() / "cache" / name, DISK[name]) if name in DISK else Memo(size)
            for name, size in SIZES.items()}


def shared_memo(name: str) -> Memo:
    """The process's memo called name (one of SIZES), used by every session."""
    return _registry()[name]
