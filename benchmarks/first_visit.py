"""A student's first visit: time to the first chart of each page against a bare one-chart Streamlit page.

Run: python benchmarks/first_visit.py [--quick]   (--quick: one load per page, to check the script still works)
Both servers are started and warmed first; then each load is a new browser context (no cached bundle, no
session), measured from navigation to the first Plotly chart drawn.
Prints the median of 5 per page and its ratio to the bare page, in one run (issue [animate] 6: goal ≤ 1.3×).
"""
import argparse
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
st.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])))
'''
CHART = ".js-plotly-plot .main-svg"
PAGES = [("connectivity", "/connectivity", CHART), ("cost", "/cost", CHART), ("home", "/", CHART)]


def load(browser, url: str, ready: str) -> float:
    """Seconds from navigation to `ready` in a new context (a first visit)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=120_000)
    took = time.perf_counter() - start
    context.close()
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 1 if args.quick else 5
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        bare_script = Path(tmp) / "bare.py"
        bare_script.write_text(BARE)
        app, bare = Server(), Server(script=bare_script)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                targets = [("bare one-chart page", bare.url + "/", CHART)] + [
                    (name, app.url + path, ready) for name, path, ready in PAGES]
                for _, url, ready in targets:  # warm servers: imports done, caches filled
                    load(browser, url, ready)
                times = {name: [] for name, _, _ in targets}
                for _ in range(repeats):  # interleaved, so drift hits every page alike
                    for name, url, ready in targets:
                        times[name].append(load(browser, url, ready))
                browser.close()
        finally:
            app.stop()
            bare.stop()
    base = statistics.median(times["bare one-chart page"])
    print(f"first visit, warm servers, new browser context per load, median of {repeats}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<20} {median:5.2f} s  ({median / base:4.2f}× the bare page)")


if __name__ == "__main__":
    main()
