"""Server CPU per student on a first visit, K students at once, against a bare page in the same run (issue
[lecture] 1: goal at most 1.3x the bare page for the lesson, Home and Connectivity).

A bare Streamlit page with one radio and one chart, and the app, each on a fresh warmed server. For each page, K new
browser contexts (K students, no cached bundle, no session) open it at the same moment; the server process's CPU
time (utime + stime, /proc/PID/stat) is read before and after all K have drawn their chart, and divided by K.
Also prints the slowest student's wait, navigation to chart.

Run: python benchmarks/first_load_cpu.py [--students 20] [--rounds 3] [--quick]   (--quick: 2 students, 1 round,
no separate warm-up: a smoke test of the script)
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, Server, ensure_chromium  # noqa: E402

BARE = '''import plotly.graph_objects as go
import streamlit as st

st.title("A bare page")
choice = st.radio("Pick one", ["a", "b", "c"])
st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])))
'''
CHART = ".js-plotly-plot .main-svg"
PAGES = [("lesson", "/lesson?step=2&lang=zh"), ("home", "/"), ("connectivity", "/connectivity")]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wave(browser, url: str, students: int, pid: int) -> tuple[float, float]:
    """(server CPU seconds per student, slowest student's wait) for students first visits at once."""
    contexts = [browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(students)]
    pages = [c.new_page() for c in contexts]
    time.sleep(0.5)
    before = cpu_seconds(pid)
    start = time.perf_counter()
    for page in pages:  # all navigations start before any is waited for
        page.goto(url, wait_until="commit")
    waits = []
    for page in pages:
        page.locator(CHART).first.wait_for(timeout=300_000)
        waits.append(time.perf_counter() - start)
    time.sleep(1.0)  # the last reruns' tail (query string writes, session bookkeeping)
    used = cpu_seconds(pid) - before
    for c in contexts:
        c.close()
    return used / students, max(waits)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    students, rounds = (2, 1) if args.quick else (args.students, args.rounds)
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE)
        app, bare = Server(), Server(script=bare_script)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                targets = [("bare page", bare, "/")] + [(name, app, path) for name, path in PAGES]
                for _, server, path in targets if not args.quick else []:  # warm: imports done, caches filled
                    wave(browser, server.url + path, 1, server.proc.pid)
                cpu = {name: [] for name, _, _ in targets}
                slowest = {name: [] for name, _, _ in targets}
                for _ in range(rounds):  # interleaved, so drift hits every page alike
                    for name, server, path in targets:
                        c, w = wave(browser, server.url + path, students, server.proc.pid)
                        cpu[name].append(c)
                        slowest[name].append(w)
                browser.close()
        finally:
            app.stop()
            bare.stop()
    base = statistics.median(cpu["bare page"])
    print(f"server CPU per student on a first visit, {students} students at once, median of {rounds}:")
    for name in cpu:
        c = statistics.median(cpu[name])
        print(f"  {name:<13} {c * 1000:6.0f} ms CPU per student  ({c / base:4.2f}x the bare page)  "
              f"slowest wait {statistics.median(slowest[name]):5.1f} s")


if __name__ == "__main__":
    main()
