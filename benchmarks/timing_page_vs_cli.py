"""Does the Timings page measure what the hardware does? The page's numbers against a CLI run made right after.

Run: python benchmarks/timing_page_vs_cli.py [--quick] [--no-training]
A fresh server and headless chromium (on the same cores, as a classroom laptop would have them). On the Timings
page: "Time this layer", then "Sweep every G", then "Sweep batch size", each pressed while the previous results'
charts are on screen, and the last two while a GDC training runs in a second session. After each page run, the
CLI times the same layer with the same settings (`python -m gconv bench ... --json`), twice. Prints page/CLI per
case, per G and per batch (the goal: within 1.25×), CLI/CLI (how much this machine drifts between two runs of
the same command), the curve's shape (each row over the run's first row, page against CLI), and how many rows
either side marked unstable.
--quick: a small layer and 0.05 s per measurement, to check the script still works.
"""
import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, Server, ensure_chromium  # noqa: E402

LAYER = dict(C=64, N=64, G=8, K=3, H=28, W=28, padding=1)  # the layer
QUICK = dict(C=16, N=16, G=4, K=3, H=12, W=12, padding=1)
SWEEPS = {"layer": ("Time this layer", None), "groups": ("Sweep every G", "groups"),
          "batch": ("Sweep batch size", "batch")}


def page_rows(page) -> list[dict]:
    """The results table the page shows: case, G, batch, median ms, spread."""
    return page.evaluate("""() => {
        const table = [...document.querySelectorAll('[data-testid="stTable"] table')][0];
        const head = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
        return [...table.querySelectorAll('tbody tr')].map(tr => {
            const cells = [...tr.querySelectorAll('th, td')].map(td => td.innerText.trim());
            const off = cells.length - head.length;  // a leading index cell, when drawn
            return Object.fromEntries(head.map((h, i) => [h, cells[i + off]]).filter(([h]) => h));
        });
    }""")


def cli_rows(layer: dict, sweep: str | None, batch: int, runtime: float) -> list[dict]:
    args = [sys.executable, "-m", "gconv", "bench", *[f"{k}={v}" for k, v in layer.items()], "--batch", str(batch),
            "--threads", "2", "--device", "cpu", "--min-run-time", str(runtime), "--json"]
    if sweep:
        args += ["--sweep", sweep]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=900, check=True)
    return json.loads(out.stdout)["rows"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-training", action="store_true", help="no GDC training in a second session")
    args = parser.parse_args()
    layer, runtime, batch = (QUICK, 0.05, 2) if args.quick else (LAYER, 0.2, 8)
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    server = Server()
    query = "&".join(f"{k}={v}" for k, v in layer.items()) + f"&runtime={runtime}&tbatch={batch}&threads=2"
    ratios, baselines, shapes, unstable = [], [], [], [0, 0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"{server.url}/timing?{query}")
            page.get_by_role("button", name="Time this layer").wait_for(timeout=120_000)
            other = browser.new_page(viewport={"width": 1200, "height": 900})
            for i, (kind, (label, sweep)) in enumerate(SWEEPS.items()):
                training = i and not args.no_training
                if training:  # a class mate trains a GDC head in another session meanwhile
                    other.goto(f"{server.url}/gdc?epochs={2 if args.quick else 6}&width=16&seed={100 + i}")
                    other.get_by_role("button", name="Train both heads").click()
                start = time.perf_counter()
                page.get_by_role("button", name=label).click()
                # the run empties the results first and shows its progress bar there: wait for that, then for the
                # new results (a quick look could otherwise read the last run's table)
                page.locator("[data-testid='stProgress']").first.wait_for(timeout=600_000)
                page.get_by_text("Measured in the timing worker").first.wait_for(timeout=600_000)
                page.locator("[data-testid='stTable'] table").first.wait_for(timeout=600_000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                       timeout=600_000)
                shown = page_rows(page)
                took = time.perf_counter() - start
                if training:  # the training may have queued behind the measurement: let it finish before the CLI
                    other.get_by_text("GDC test accuracy").first.wait_for(timeout=600_000)
                    other.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                            timeout=600_000)
                    time.sleep(2)
                cli = cli_rows(layer, sweep, batch, runtime)
                # the machine's own run-to-run variation (--quick checks the script works: one CLI run is enough)
                again = cli if args.quick else cli_rows(layer, sweep, batch, runtime)
                print(f"\n{label} (page {took:.1f} s, then the CLI twice)")
                first_page, first_cli = None, None
                for row, ref, ref2 in zip(shown, cli, again):
                    ms = float(row["median ms"].replace(",", ""))
                    first_page, first_cli = first_page or ms, first_cli or ref["median_ms"]
                    ratio, baseline = ms / ref["median_ms"], ref2["median_ms"] / ref["median_ms"]
                    shape = (ms / first_page) / (ref["median_ms"] / first_cli)  # the curve, not the level
                    ratios.append(ratio)
                    baselines.append(baseline)
                    shapes.append(shape)
                    unstable[0] += "unstable" in row["spread (IQR/median)"]
                    unstable[1] += ref["unstable"]
                    print(f"  {ref['case'][:30]:<30} G={ref['G']:<3} batch={ref['batch']:<3} page {ms:8.4f} ms  CLI "
                          f"{ref['median_ms']:8.4f} / {ref2['median_ms']:8.4f} ms  page/CLI {ratio:5.2f}  CLI/CLI "
                          f"{baseline:5.2f}  shape {shape:5.2f}  spread {row['spread (IQR/median)']}")
            browser.close()
    finally:
        server.stop()
    def worst(values):
        return max(values, key=lambda r: abs(math.log(r)))

    within = sum(1 / 1.25 <= r <= 1.25 for r in ratios)
    print(f"\n{len(ratios)} rows: page/CLI from {min(ratios):.2f} to {max(ratios):.2f} (worst {worst(ratios):.2f}×, "
          f"{within} of {len(ratios)} within 1.25×); CLI/CLI back to back from {min(baselines):.2f} to "
          f"{max(baselines):.2f} (worst {worst(baselines):.2f}×: this machine's own drift); curve shape page vs "
          f"CLI worst {worst(shapes):.2f}×; unstable rows: page {unstable[0]}, CLI {unstable[1]}")


if __name__ == "__main__":
    main()
