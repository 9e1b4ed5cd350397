"""The shared memo: bounded, and each key computed once however many threads ask at the same time."""
import threading
import time

from gconv.memo import Memo


def test_concurrent_callers_compute_once():
    memo, calls, results = Memo(4), [], []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return 42

    threads = [threading.Thread(target=lambda: results.append(memo.get_or_compute("k", slow))) for _ in range(30)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    assert memo.busy("k")
    for t in threads:
        t.join()
    assert results == [42] * 30 and len(calls) == 1 and memo.computed == 1 and not memo.busy("k")


def test_bounded_lru():
    memo = Memo(max_entries=2)
    for k in "abc":
        memo.get_or_compute(k, lambda k=k: k.upper())
    assert len(memo) == 2 and memo.peek("a") is None and memo.peek("c") == "C"


def test_failure_is_not_stored():
    memo = Memo(2)
    try:
        memo.get_or_compute("x", lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    assert memo.peek("x") is None and not memo.busy("x")
    assert memo.get_or_compute("x", lambda: 5) == 5
