"""Process-wide memos shared by all sessions: bounded, thread-safe, each key computed once whoever asks first."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
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
                    self._values[key] = value
                    while len(self._values) > self.max_entries:
                        self._values.popitem(last=False)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._values)


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


@st.cache_resource
def _registry() -> dict[str, Memo]:
    return {name: Memo(size) for name, size in SIZES.items()}


def shared_memo(name: str) -> Memo:
    """The process's memo called name (one of SIZES), used by every session."""
    return _registry()[name]
