"""The shared memo: bounded, and each key computed once however many threads ask at the same time."""
import threading

from pages.shared.memo import Memo


def test_concurrent_callers_compute_once():
    memo, calls, results, asked = Memo(4), [], [], []
    computing, everyone_asked, release = threading.Event(), threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        computing.set()
        assert release.wait(60)  # the main thread holds the computation open
        return 42

    def caller():
        asked.append(1)
        if len(asked) == 30:
            everyone_asked.set()
        results.append(memo.get_or_compute("k", slow))

    threads = [threading.Thread(target=caller) for _ in range(30)]
    for t in threads:
        t.start()
    assert computing.wait(60)
    assert memo.busy("k")  # one caller computes while the others ask
    assert everyone_asked.wait(60)
    release.set()
    for t in threads:
        t.join(60)
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
