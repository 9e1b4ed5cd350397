"""The device lock across real processes (issue [lecture] 2): one measurement or training at a time on a machine,
whichever app process starts it, and a holder that dies releases it.

Oracle: the order of events the processes write to one shared log (no two holds overlap), and the kernel's own
release of a dead process's flock.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOLD = """
import os, sys, time
from gconv.i18n import say
from gconv.machine import DEVICE
log = sys.argv[1]
def note(what):
    with open(log, "a") as f:
        f.write(f"{what} {os.getpid()}\\n")
note("ready")
with DEVICE.hold(lambda: note("waits-behind " + str(DEVICE.holder.key if DEVICE.holder else "")), say("job.training")):
    note("start")
    time.sleep(float(sys.argv[2]))
    note("end")
"""


def _spawn(log: Path, hold: float, state: Path) -> subprocess.Popen:
    env = dict(os.environ, GCONV_STATE=str(state), PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", HOLD, str(log), str(hold)], env=env, cwd=ROOT)


def _events(log: Path) -> list[tuple[str, int]]:
    return [(line.split()[0], int(line.split()[-1])) for line in log.read_text().splitlines()]


def _wait_for(log: Path, what: str, count: int = 1, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and sum(e == what for e, _ in _events(log)) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"no {what!r} in {log.read_text() if log.exists() else ''}")


def test_three_processes_hold_the_device_one_at_a_time(tmp_path):
    log = tmp_path / "log"
    procs = [_spawn(log, 0.3, tmp_path) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    holds = [(e, pid) for e, pid in _events(log) if e in ("start", "end")]
    assert len(holds) == 6
    for i in range(0, 6, 2):  # start, end of one process, then the next: never two starts in a row
        assert holds[i][0] == "start" and holds[i + 1] == ("end", holds[i][1])
    waits = [e for e, _ in _events(log) if e == "waits-behind"]
    assert waits  # at least one process was told that it waits, and behind what (another process's training)
    assert all(line.endswith("job.training") or "waits-behind job.training" in line
               for line in log.read_text().splitlines() if line.startswith("waits-behind"))


def test_a_holder_killed_mid_hold_releases_the_device(tmp_path):
    log = tmp_path / "log"
    first = _spawn(log, 600, tmp_path)
    _wait_for(log, "start")
    second = _spawn(log, 0.1, tmp_path)
    _wait_for(log, "waits-behind")
    first.send_signal(signal.SIGKILL)  # as a replica lost mid-training: no finally, no release
    first.wait(timeout=60)
    assert second.wait(timeout=120) == 0
    assert [e for e, pid in _events(log) if pid == second.pid][-2:] == ["start", "end"]


COMPUTE = """
import os, sys, time
sys.path.insert(0, os.getcwd())
from pages.shared.memo import DiskMemo
memo = DiskMemo(4, sys.argv[1])
def compute():
    with open(sys.argv[2], "a") as f:
        f.write(f"computed {os.getpid()}\\n")
    time.sleep(0.5)
    return {"result": 42, "by": os.getpid()}
print(memo.get_or_compute(("training", 1), compute)["by"])
"""


def test_a_result_is_computed_once_by_one_process_and_read_by_the_others(tmp_path):
    # Four app processes ask for the same training at once: one computes it, three read it from disk.
    cache, log = tmp_path / "cache", tmp_path / "log"
    procs = [subprocess.Popen([sys.executable, "-c", COMPUTE, str(cache), str(log)], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE) for _ in range(4)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    computed = log.read_text().split()
    assert len(computed) == 2 and {o[0] for o in outs} == {computed[1]}  # one author, everyone got its result
    # after a restart (a new process): read, not computed again
    again = subprocess.run([sys.executable, "-c", COMPUTE, str(cache), str(log)], cwd=ROOT, text=True,
                           capture_output=True, timeout=120)
    assert again.stdout.split() == [computed[1]] and len(log.read_text().split()) == 2


def test_the_disk_memo_is_bounded_and_forgets_entries_it_cannot_read(tmp_path):
    from pages.shared.memo import DiskMemo

    memo = DiskMemo(2, tmp_path, size_limit=2**20)  # 1 MiB on disk
    for i in range(16):  # 16 values of 256 KiB: 4 MiB written, the least recently used culled as it goes
        memo.get_or_compute(i, lambda: bytes(256 * 1024))
        assert memo._disk.volume() <= 2**20 + 256 * 1024
    assert DiskMemo(2, tmp_path).peek(0) is None
    memo._disk.set(memo._key("broken"), {"a": 1})  # then spoiled: what other code wrote, unreadable here
    memo._disk._sql("UPDATE Cache SET value = ? WHERE key = ?", (b"\x80\x05not a pickle", memo._key("broken")))
    assert DiskMemo(2, tmp_path).peek("broken") is None and memo._key("broken") not in memo._disk
