"""A classroom on loopback: 30 concurrent browser sessions against a freshly started `streamlit run app.py`.

Run: python benchmarks/load.py [--sessions 30] [--quick]   (--quick: 2 sessions, to check the script still works)
Each session (a Playwright page in Debian's chromium): opens a preset by deep link, changes a control, runs the
same short GDC training as everyone else (the shared memo trains it once), and runs a timing (the process-wide
lock serialises them; waiting sessions are told). Reports errors (must be 0), p50/p95 seconds to a finished rerun
per step, how many sessions saw the "device busy" message, and the server's peak resident memory.
Traffic goes only to 127.0.0.1; every wait is bounded, so the script always stops by itself.
"""
import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, Server, ensure_chromium  # noqa: E402

STEP_TIMEOUT = 240_000  # ms: a step that takes longer counts as an error


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def settled(page) -> None:
    """Wait until the app's rerun has finished (Streamlit's running indicator gone)."""
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=STEP_TIMEOUT)


async def session(i: int, browser, url: str, timings: dict, errors: list, busy: list) -> None:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT)  # 30 tabs and the server share 2 cores: slow is latency, not an error
    page.set_default_navigation_timeout(STEP_TIMEOUT)
    page.on("pageerror", lambda e: errors.append(f"session {i}: page error {e}"))
    try:
        async def step(name, action, done):
            start = time.perf_counter()
            await action()
            await done()
            await settled(page)
            if await page.locator("[data-testid='stException']").count():
                errors.append(f"session {i}: exception after {name}")
            timings.setdefault(name, []).append(time.perf_counter() - start)

        presets = ["resnext", "mobilenet_dw", "alexnet_conv2", "shufflenet_1x1"]
        from gconv.parse import to_text
        from gconv.presets import PRESETS
        query = "&".join(f"{k}={v}" for k, v in to_text(PRESETS[presets[i % 4]].spec).items())

        await step("open preset", lambda: page.goto(f"{url}/connectivity?{query}&edit=1"),  # the layer form open
                   lambda: page.wait_for_selector(".js-plotly-plot", timeout=STEP_TIMEOUT))

        async def change():
            box = page.get_by_label("H (height)", exact=True)
            await box.fill(str(20 + i))
            await box.press("Enter")
        await step("change a control", change,
                   lambda: page.wait_for_function(f"() => location.search.includes('H={20 + i}')",
                                                  timeout=STEP_TIMEOUT))
        await step("open GDC lab", lambda: page.goto(f"{url}/gdc?epochs=2&width=8&map=6&seed=11"),
                   lambda: page.get_by_text("Global average pooling").first.wait_for(timeout=STEP_TIMEOUT))

        async def train():
            button = page.get_by_role("button", name="Train both heads")
            result = page.get_by_text("GDC test accuracy").first
            await button.or_(result).first.wait_for(timeout=STEP_TIMEOUT)
            if await button.count():  # nobody trained this setup yet (or it is training right now)
                await button.click()
        await step("GDC training (shared)", train,
                   lambda: page.get_by_text("GDC test accuracy").first.wait_for(timeout=STEP_TIMEOUT))
        await step("open timings", lambda: page.goto(f"{url}/timing?C=32&N=32&G=4&K=3&H=16&W=16&padding=1"
                                                     f"&runtime=0.05&tbatch=2"),
                   lambda: page.get_by_role("button", name="Time this layer").wait_for(timeout=STEP_TIMEOUT))

        async def time_it():
            await page.get_by_role("button", name="Time this layer").click()
        await step("timing run (serialised)", time_it,
                   lambda: page.get_by_text("GDC as (x*w).sum").first.wait_for(timeout=STEP_TIMEOUT))
        if await page.get_by_text("another timing run").count():
            busy.append(i)
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        errors.append(f"session {i}: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
    finally:
        await context.close()


async def main_async(sessions: int) -> int:
    from playwright.async_api import async_playwright

    ensure_chromium()
    running = Server()  # a fresh server, healthy before the sessions start
    server, url = running.proc, running.url
    peak = [0.0]
    stop = asyncio.Event()

    async def watch_memory():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_mib(server.pid)[0])
            except (FileNotFoundError, ProcessLookupError):
                return
            await asyncio.sleep(0.5)

    try:
        timings, errors, busy = {}, [], []
        cpu0 = cpu_seconds(server.pid)
        watcher = asyncio.create_task(watch_memory())
        start = time.perf_counter()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            await asyncio.gather(*(session(i, browser, url, timings, errors, busy) for i in range(sessions)))
            await browser.close()
        wall = time.perf_counter() - start
        stop.set()
        await watcher
        alive = server.poll() is None
        _, hwm = rss_mib(server.pid) if alive else (0, 0)
        server_cpu = cpu_seconds(server.pid) - cpu0 if alive else float("nan")
    finally:
        running.stop()
    print(f"{sessions} concurrent sessions on 127.0.0.1 in {wall:.1f} s; server still up: {alive}")
    for name, values in timings.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
        print(f"  {name:<26} n={len(values):>3}  p50 {statistics.median(values):6.2f} s  p95 {p95:6.2f} s")
    print(f"  sessions told the device was busy: {len(busy)}")
    print(f"  server CPU time {server_cpu:,.1f} s of {wall:,.1f} s wall on {__import__('os').cpu_count()} cores "
          "(the rest went to the 30 browser tabs on the same machine)")
    print(f"  server peak resident memory: {max(peak[0], hwm):,.0f} MiB (sampled peak {peak[0]:,.0f} MiB)")
    print(f"  errors: {len(errors)}")
    for e in errors[:20]:
        print(f"    {e}")
    return 1 if errors or not alive else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="2 sessions: checks that the script still works")
    args = parser.parse_args()
    sys.exit(asyncio.run(main_async(2 if args.quick else args.sessions)))


if __name__ == "__main__":
    main()
