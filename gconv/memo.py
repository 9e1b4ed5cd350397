"""A bounded, thread-safe memo that computes each key once even when many callers ask at the same time."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


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
