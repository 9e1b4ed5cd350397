"""Real browser: `streamlit run app.py` on a free port, Debian's chromium driven by Playwright.

Every page is opened by deep link as the first request of a freshly started server (Streamlit's legacy
pages/ routing takes that request), a control is moved, the chart must follow, and a screenshot of each
page goes to screenshots/ (git-ignored).
"""
import json
import re
import time
import urllib.request

import pytest

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, Server, ensure_chromium, ensure_cjk_fonts
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "screenshots"


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    ensure_cjk_fonts()
    SHOTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def server():
    s = Server(log_dir=SHOTS)
    yield s
    s.stop()


def chart_title(page, index: int = 0) -> str:
    return page.locator(".js-plotly-plot").nth(index).locator(".gtitle").first.text_content(timeout=60_000)


def wait_for_chart_title(page, contains: str, index: int = 0, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    title = ""
    while time.time() < deadline:
        try:
            title = chart_title(page, index)
        except Exception:  # the chart is being replaced by a rerun
            title = ""
        if contains in title:
            return title
        time.sleep(0.2)
    raise AssertionError(f"chart title never contained {contains!r}; last: {title!r}")


def wait_for_url(page, *parts: str, timeout: float = 30) -> None:
    """The query string is written at the end of a rerun, after the page has drawn."""
    deadline = time.time() + timeout
    href = ""
    while time.time() < deadline:
        href = page.evaluate("location.href")  # Playwright's page.url misses history.replaceState updates
        if all(p in href for p in parts):
            return
        time.sleep(0.2)
    raise AssertionError(f"URL never held {parts}: {href}")


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot, [data-testid='stButton']", timeout=90_000)
    return page


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.text_content()


def test_connectivity_deep_link_fresh_server(browser, server):
    page = open_page(browser, f"{server.url}/connectivity?C=8&N=8&G=2&K=3&H=8&W=8")
    wait_for_chart_title(page, "8 inputs → 8 kernels of 4×3×3 in G=2 groups")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("group conv: C=8 → N=8, G=2, K=3×3, 8×8 → 6×6").wait_for(timeout=30_000)  # the sidebar came
    assert page.get_by_label("C (inputs)", exact=True).count() == 0  # its form closed on a first visit...
    sidebar.get_by_text("Change the layer").click()  # ...until the reader opens it
    assert page.get_by_label("C (inputs)", exact=True).input_value(timeout=30_000) == "8"
    wait_for_url(page, "edit=1")
    no_exception(page)
    page.screenshot(path=SHOTS / "connectivity-C8.png", full_page=True)
    # Click kernel 6: its marker sits at x = 0.70, y = 6.5/8 in data coordinates.
    x, y = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(0.70), r.top + ya._offset + ya.l2p(6.5 / 8)];
    }""")
    page.mouse.click(x, y)
    page.get_by_text("reads input channels 4–7").wait_for(timeout=60_000)
    wait_for_url(page, "n=6")
    set_number(page, "C (inputs)", 16)
    wait_for_chart_title(page, "16 inputs → 8 kernels of 8×3×3 in G=2 groups")
    wait_for_url(page, "C=16")
    # The share link reproduces this view (polled: the URL and the sidebar box arrive as separate deltas).
    page.wait_for_function("want => [...document.querySelectorAll(\"[data-testid='stSidebar'] a\")]"
                           ".some(a => a.href.includes(want) && a.textContent.includes(want))",
                           arg=f"{server.url}/connectivity?C=16&N=8&G=2", timeout=30_000)
    no_exception(page)
    page.close()


def test_connectivity_large_layer_aggregates(browser, server):
    page = open_page(browser, f"{server.url}/connectivity?C=512&N=512&G=8&K=3&H=14&W=14&padding=1&n=100")
    wait_for_chart_title(page, "group blocks")
    no_exception(page)
    page.screenshot(path=SHOTS / "connectivity-C512.png", full_page=True)
    page.close()


def slider_text(page) -> str:
    return page.evaluate("() => [...document.querySelectorAll('text')].map(t => t.textContent)"
                         ".find(t => t.startsWith('output position')) || ''")


def test_sliding_view_plays_in_webgl_fresh_server(browser, server):
    # A depthwise, dilated, padded layer: the cases the 3-D view must draw with holes and ghost cells.
    errors = []
    page = open_page(browser, f"{server.url}/connectivity?C=8&N=8&G=8&K=3&H=8&W=8&padding=2&dilation=2&n=3&i=1&j=1"
                     "&edit=1")  # the sidebar's layer form open (its G slider is used below)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.get_by_role("radio", name="The kernel sliding, in 3-D").click()  # as a student would
    page.wait_for_selector(".gl-container canvas", timeout=90_000)  # plotly drew the scene with WebGL
    wait_for_url(page, "view=sliding", "n=3", "i=1")
    chart = page.locator("[data-testid='stPlotlyChart']").first
    assert "WebGL" not in chart.inner_text()  # no "WebGL is not supported"
    assert slider_text(page) == "output position (i, j) = (1,1)"
    chart.scroll_into_view_if_needed()
    chart.screenshot(path=SHOTS / "sliding-depthwise-dilated.png")
    page.locator(".updatemenu-button").first.click()  # ▶ play
    page.wait_for_function("() => { const t = [...document.querySelectorAll('text')].map(t => t.textContent)"
                           ".find(t => t.startsWith('output position')); return t && !t.endsWith('(1,1)'); }",
                           timeout=30_000)
    # Paused is a state of Plotly's own: no animation frame scheduled and no frames queued. While it plays the
    # state is not there (which shows the check reads the right fields); after pause, wait for it, and then the
    # position shown must be the one it stopped at.
    stopped = ("() => [...document.querySelectorAll('.js-plotly-plot')].every(gd => !gd._transitionData"
               " || (!gd._transitionData._animationRaf && !(gd._transitionData._frameQueue || []).length))")
    assert not page.evaluate(stopped)
    page.locator(".updatemenu-button").nth(1).click()  # pause
    page.wait_for_function(stopped, timeout=30_000)
    moved = slider_text(page)
    page.wait_for_function(stopped, timeout=30_000)
    assert slider_text(page) == moved  # paused: it stays
    # G down to 1 in the sidebar: the same view turns standard, and the scene is drawn (an empty trace once
    # blanked it there).
    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")
    wait_for_chart_title(page, "Kernel 3 (8×3×3, group 0)")
    page.locator(".legendtext", has_text="cells read").first.wait_for(timeout=30_000)
    # Plotly rejects a paused animation's promise with no reason when the figure is replaced; its own buttons do
    # not catch it, so it surfaces as "undefined" (also at G=2 → 4, with no empty trace). Anything else fails.
    assert not [e for e in errors if e != "undefined"], errors
    no_exception(page)
    page.close()


def test_lesson_by_link_in_chinese_then_presenter_fresh_server(browser, server):
    # A teacher's link: step 2, in Chinese. Keys: one wrong reply, its misconception, then Next by the → key.
    zh = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))
    page = open_page(browser, f"{server.url}/lesson?step=2&lang=zh")
    page.get_by_text(zh["lesson.step.group"]).first.wait_for(timeout=60_000)
    assert page.get_by_text(zh["lang.name"]).count() and page.get_by_text(zh["ui.layer"]).count()  # sidebar in zh
    page.get_by_text("输入通道 0 到 7").click()  # output 5 of 8 in G=2 reads 4–7: this reply is a standard conv's
    page.get_by_role("button", name=zh["lesson.check"]).click()
    page.get_by_text(zh["lesson.wrong"], exact=False).first.wait_for(timeout=30_000)
    page.screenshot(path=SHOTS / "lesson-zh-step2.png", full_page=True)
    page.keyboard.press("ArrowRight")  # Next
    page.get_by_text(zh["lesson.step.sparsity"]).first.wait_for(timeout=30_000)
    wait_for_url(page, "step=3", "lang=zh", "K=5")  # the step set its own layer
    no_exception(page)
    page.goto(f"{server.url}/lesson?step=5&present=1")
    page.get_by_text("5. Depthwise convolution").first.wait_for(timeout=60_000)
    page.locator("[data-testid='stSidebar']").wait_for(state="hidden", timeout=30_000)  # a projector: no controls
    page.screenshot(path=SHOTS / "lesson-present-step5.png")
    no_exception(page)
    page.close()


def test_cost_deep_link_fresh_server(browser, server):
    page = open_page(browser, f"{server.url}/cost?C=64&N=128&G=4&K=3&H=56&W=56&padding=1&ops=FLOP&edit=1")
    wait_for_chart_title(page, "Params and FLOPs over every valid G")
    page.get_by_text("FLOPs per sample").first.wait_for()
    no_exception(page)
    set_number(page, "N (outputs)", 256)
    wait_for_chart_title(page, "N=256")
    wait_for_url(page, "N=256")
    page.screenshot(path=SHOTS / "cost.png", full_page=True)
    # Warm server now: time deep links until their first chart is drawn, as a student whose browser has
    # opened the app before (cached static files) and as a first-time visitor (fresh browser context).
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    first = context.new_page()
    first.goto(f"{server.url}/cost?C=8")
    wait_for_chart_title(first, "C=8")
    links = [("cost", "cost?C=32&N=32&G=32&K=3&H=112&W=112&padding=1", "C=32"),
             ("connectivity", "connectivity?C=32&N=32&G=32&K=3&H=112&W=112&padding=1", "32 inputs")]
    opened = [first]
    for name, link, title in links:
        for label, make in (("returning browser", context.new_page), ("fresh browser", lambda: browser.new_page(
                viewport={"width": 1400, "height": 1100}))):
            start = time.perf_counter()
            p = make()
            p.goto(f"{server.url}/{link}")
            wait_for_chart_title(p, title)
            print(f"warm server, {label}: deep link to /{name} shows its first chart after "
                  f"{time.perf_counter() - start:.2f} s")
            opened.append(p)
    for p in opened + [page]:
        p.close()
    context.close()


def test_home_deep_link_fresh_server(browser, server):
    page = open_page(browser, f"{server.url}/?C=96&N=256&G=2&K=5&H=27&W=27&padding=2")
    page.get_by_text("1. Convolution").wait_for()
    page.locator("[data-testid='stSidebar']").get_by_text("group conv: C=96 → N=256, G=2, K=5×5").wait_for()
    no_exception(page)
    page.screenshot(path=SHOTS / "home.png", full_page=True)
    page.get_by_role("button", name="Load: MobileNet depthwise 3×3").click()
    wait_for_chart_title(page, "32 inputs → 32 kernels of 1×3×3 in G=32 groups")
    wait_for_url(page, "/connectivity", "G=32")
    page.close()


def test_dark_theme_screenshot(browser):
    s = Server("--theme.base", "dark", log_dir=SHOTS)
    try:
        page = open_page(browser, f"{s.url}/connectivity?C=12&N=12&G=3&K=3&H=8&W=8&padding=1&n=4")
        wait_for_chart_title(page, "12 inputs")
        no_exception(page)
        page.screenshot(path=SHOTS / "connectivity-dark.png", full_page=True)
        page.close()
    finally:
        s.stop()


def test_gdc_lab_deep_link_fresh_server(browser, server):
    page = open_page(browser, f"{server.url}/gdc?dataset=synthetic&epochs=3&seed=1")
    page.get_by_role("button", name="Train both heads").click()
    wait_for_chart_title(page, "GDC vs GAP on synthetic", timeout=120)
    wait_for_chart_title(page, "after epoch 3", index=1)
    no_exception(page)
    page.screenshot(path=SHOTS / "gdc.png", full_page=True)
    # Move a control: one fewer epoch is a new run; the figures follow once it is trained.
    box = page.get_by_label("epochs", exact=True)
    box.fill("2")
    box.press("Enter")
    page.get_by_role("button", name="Train both heads").click()
    wait_for_chart_title(page, "after epoch 2", index=1, timeout=120)
    wait_for_url(page, "epochs=2")
    no_exception(page)
    page.close()


def spread_cells(page) -> list[str]:
    """The results table's spread column, as drawn."""
    return page.evaluate("""() => {
        const table = document.querySelector('[data-testid="stTable"] table');
        const head = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
        const col = head.indexOf('spread (IQR/median)');
        return [...table.querySelectorAll('tbody tr')].map(tr => {
            const cells = [...tr.querySelectorAll('th, td')].map(td => td.innerText.trim());
            return cells[col + cells.length - head.length];
        });
    }""")


def test_timing_deep_link_fresh_server(browser, server):
    page = open_page(browser, f"{server.url}/timing?C=32&N=64&G=4&K=3&H=16&W=16&padding=1&runtime=0.05&tbatch=4")
    page.get_by_role("button", name="Time this layer").click()
    page.get_by_text("GDC as (x*w).sum").first.wait_for(timeout=120_000)
    wait_for_chart_title(page, "Roofline")
    # A sweep after a layer timing: the layer's charts leave the page before the sweep measures...
    page.get_by_role("button", name="Sweep every G").click()
    drawn = page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stProgress\"]') ? "
        "1 + document.querySelectorAll('.js-plotly-plot').length : 0", timeout=120_000).json_value()
    assert drawn == 1, f"{drawn - 1} charts of the last run were still on the page while the sweep measured"
    wait_for_chart_title(page, "Time vs groups", timeout=120)
    wait_for_chart_title(page, "Roofline", index=1)
    # ...it is measured in the timing worker, a child process of the server, not in the server's threads...
    caption = page.get_by_text("Measured in the timing worker").first.text_content()
    worker = int(re.search(r"pid (\d+)", caption).group(1))
    with open(f"/proc/{worker}/stat") as f:
        parent = int(f.read().rsplit(")", 1)[1].split()[1])
    assert worker != server.proc.pid and parent == server.proc.pid
    # ...and every row says how noisy it was; exactly those over 10% are marked unstable.
    cells = spread_cells(page)
    assert len(cells) == 6  # G = 1, 2, 4, 8, 16, 32
    for cell in cells:
        spread = int(re.match(r"(\d+)%", cell).group(1))
        if spread != 10:  # "10%" is rounded: it can be either side of the threshold
            assert ("unstable" in cell) == (spread > 10), cell
    no_exception(page)
    page.screenshot(path=SHOTS / "timing.png", full_page=True)
    set_number(page, "batch size", 2)  # move a control, run again: the table follows
    wait_for_url(page, "tbatch=2")
    page.get_by_role("button", name="Time this layer").click()
    page.get_by_text("GDC as (x*w).sum").first.wait_for(timeout=120_000)
    no_exception(page)
    page.close()


def test_inspector_deep_link_opens_layer(browser, server):
    page = open_page(browser, f"{server.url}/inspect?model=alexnet&layer=1")
    wait_for_chart_title(page, "alexnet: where the parameters and the MACs go")
    no_exception(page)
    page.screenshot(path=SHOTS / "inspect.png", full_page=True)
    page.get_by_role("link", name="Open in Connectivity").click()
    # AlexNet conv2: 96 → 256 in two groups of 48 inputs, 5×5 kernels (the two GPUs of 2012)
    wait_for_chart_title(page, "96 inputs → 256 kernels of 48×5×5 in G=2 groups")
    wait_for_url(page, "/connectivity", "C=96", "N=256", "G=2", "K=5")
    page.locator("[data-testid='stSidebar']").get_by_text("group conv: C=96 → N=256, G=2, K=5×5").wait_for()
    no_exception(page)
    page.close()


def test_channel_flow_point_opens_its_layer(browser, server):
    # AlexNet's conv5 (Krizhevsky et al. 2012): 384 → 256 in two groups, 3×3, reading conv4's halves apart.
    page = open_page(browser, f"{server.url}/inspect?model=alexnet")
    page.get_by_text("Channel flow through the graph").first.wait_for(timeout=90_000)
    wait_for_chart_title(page, "Channel flow", index=2)
    no_exception(page)
    page.locator(".js-plotly-plot").nth(2).scroll_into_view_if_needed()
    x, y = page.evaluate("""() => {
        const gd = document.querySelectorAll('.js-plotly-plot')[2];
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        const apart = gd.data.find(t => t.name === 'groups stay apart');
        return [r.left + xa._offset + xa.l2p(apart.x[0]), r.top + ya._offset + ya.l2p(apart.y[0])];
    }""")
    page.mouse.click(x, y)
    wait_for_chart_title(page, "384 inputs → 256 kernels of 192×3×3 in G=2 groups")
    wait_for_url(page, "/connectivity", "C=384", "N=256", "G=2", "K=3")
    no_exception(page)
    page.close()


def test_hostile_upload_keeps_server_up(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{server.url}/inspect?source=onnx")
    page.get_by_text("torch.onnx.export").first.wait_for(timeout=90_000)
    for i, (content, words) in enumerate(((bytes(range(256)) * 64, "not a valid ONNX file"),
                                          (b"PK\x03\x04" + b"\0" * 512, "zip archive"))):
        junk = tmp_path / f"model{i}.onnx"
        junk.write_bytes(content)
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(junk))
        page.get_by_text(words).first.wait_for(timeout=60_000)
        no_exception(page)
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as r:
        assert r.status == 200  # the server is still up
    page.close()

