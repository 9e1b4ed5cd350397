"""Capacity of `deploy/serve.py`: K students open the teacher's link at once, with R = 1 and R = 2 replicas behind
HAProxy, in one run. Prints first loads per second per replica, the slowest student's wait, and the replicas' CPU
per student (read from /proc), and turns the CPU into "a lecture of N students on P cores needs R replicas".

On one machine the students' chromium shares the cores with the replicas, so the waits here are an upper bound:
in a lecture the browsers run on the students' own machines.

Run: python benchmarks/capacity.py [--students 20] [--quick]   (--quick: 2 students)
"""
import argparse
import json
import math
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium, free_port  # noqa: E402
from benchmarks.first_load_cpu import CHART, cpu_seconds  # noqa: E402

LINK = "/lesson?step=2&lang=zh"


def deployment(replicas: int, logs: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    out = open(logs / "serve.out", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--replicas", str(replicas), "--port",
                             str(port), "--host", "127.0.0.1", "--logs", str(logs)], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while "behind http" not in (logs / "serve.out").read_text():
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit((logs / "serve.out").read_text())
        time.sleep(0.3)
    return proc, port


def wave(browser, url: str, students: int, pids: list[int], proxy: int) -> tuple[float, float, float]:
    """(seconds until every student has the chart: the slowest wait, replicas' CPU seconds, HAProxy's CPU seconds)
    for one wave."""
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(students)]
    pages = [c.new_page() for c in contexts]
    before, proxy_before = sum(cpu_seconds(p) for p in pids), cpu_seconds(proxy)
    start = time.perf_counter()
    for page in pages:
        page.goto(url, wait_until="commit")
    waits = []
    for page in pages:
        page.locator(CHART).first.wait_for(timeout=600_000)
        waits.append(time.perf_counter() - start)
    time.sleep(1.0)
    cpu, proxy_cpu = sum(cpu_seconds(p) for p in pids) - before, cpu_seconds(proxy) - proxy_before
    for c in contexts:
        c.close()
    return max(waits), cpu, proxy_cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    students = 2 if args.quick else args.students
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    per_student = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for replicas in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                proc, port = deployment(replicas, Path(tmp))
                try:
                    pids = [r["pid"] for r in json.loads((Path(tmp) / "replicas.json").read_text())]
                    proxy = int(subprocess.run(["pgrep", "-f", f"{tmp}/haproxy.cfg"], capture_output=True,
                                               text=True).stdout.split()[0])
                    url = f"http://127.0.0.1:{port}{LINK}"
                    wave(browser, url, replicas, pids, proxy)  # warm every replica and the proxy's bundle cache
                    slowest, cpu, proxy_cpu = wave(browser, url, students, pids, proxy)
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(60)
            per_student.append(cpu / students)
            print(f"R={replicas}  {students} students at once: {students / slowest / replicas:5.2f} first loads/s per "
                  f"replica, slowest wait {slowest:5.1f} s, replicas' CPU {cpu / students * 1000:4.0f} ms per student, "
                  f"HAProxy's {proxy_cpu / students * 1000:3.0f} ms")
        browser.close()
    cpu = min(per_student)
    print(f"a lecture of N students on P cores (browsers on the students' machines; a core left to HAProxy): "
          f"one replica serves about {1 / cpu:.1f} first loads/s per core; R = min(P - 1, ceil(N x {cpu:.2f} s / the wait you accept))")
    for n, wait in ((30, 10), (200, 10), (200, 30)):
        print(f"  N={n:<4} everyone in within {wait:>2} s: R = {math.ceil(n * cpu / wait)} (with P >= R + 1 cores)")


if __name__ == "__main__":
    main()
