"""No English on a Chinese page, in a real browser: every page opened by link with ?lang=zh (the inspector's upload
view too), its text as drawn and its figures' texts read for English words (oracle: tests/zhscan.py). The AppTest
half, with every view and button, is tests/test_zh_scan.py."""
import json
import re

import pytest

from conftest import ROOT
from test_browser import SHOTS, browser, no_exception, server  # noqa: F401 - the fixtures, shared

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# What a reader sees: the tab's title, the page's text less icons (a material icon is a word drawn by a ligature)
# and less Streamlit's own "Skip to main content" (shown only to a keyboard's focus; its frontend has no other
# language), and each figure's data and layout
SEEN = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll('[data-testid="stIconMaterial"], [translate="no"][role="img"], '
        + '[data-testid="stSkipToContent"], style, script')
        .forEach(el => el.remove());
    document.documentElement.appendChild(body);  // innerText needs a rendered node
    const text = body.innerText;
    body.remove();
    return [document.title, text, ...Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(el => JSON.stringify({data: el.data, layout: el.layout}))];
}"""


def test_every_page_in_chinese(browser, server):
    # Each page by link with ?lang=zh: its title in Chinese, the sidebar in Chinese, no exception (a key missing
    # from zh.json would raise), and no English word in what the reader sees: the tab's title, the page's text and
    # every figure's texts (oracle: tests/zhscan.py). Screenshots go to screenshots/ to be looked at.
    from zhscan import english, figure_texts

    zh = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    found = {}
    for url, title in [("", "home.title"), ("lesson", "lesson.title"), ("connectivity", "page.connectivity"),
                       ("cost", "page.cost"), ("gdc", "page.gdc"), ("timing", "page.timing"),
                       ("inspect", "page.inspect"), ("inspect?source=onnx&", "page.inspect")]:  # + the uploader
        page.goto(f"{server.url}/{url}{'' if '?' in url else '?'}lang=zh")
        page.locator("h1", has_text=zh[title]).first.wait_for(timeout=90_000)
        page.get_by_text(zh["ui.layer"], exact=True).first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        no_exception(page)
        title, text, *figures = page.evaluate(SEEN)
        for seen in [title, text, *(s for f in figures for s in figure_texts(json.loads(f)))]:
            found.update({word: f"{url or 'home'}: {seen[:160]}" for word in english(seen)})
        page.screenshot(path=SHOTS / f"zh-{url.replace('?', '-').replace('=', '-').strip('&') or 'home'}.png")
    page.close()
    assert not found, "\n".join(f"{word}: {seen!r}" for word, seen in found.items())


def test_a_chinese_class_stays_chinese_when_its_live_chart_refreshes(browser, server):
    # The teacher's chart is a fragment that reruns on its own every 2 s, without the router that sets the language.
    # A student's vote reaches the teacher's page only through such a rerun: once the count shows it, the page is
    # read for English words (oracle: tests/zhscan.py).
    from zhscan import english, figure_texts

    zh = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))
    teacher = browser.new_page(viewport={"width": 1920, "height": 1080})
    teacher.goto(f"{server.url}/lesson?step=3&present=1&lang=zh")
    teacher.get_by_role("button", name=zh["poll.start"]).click()
    teacher.get_by_text(zh["poll.join_at"]).first.wait_for(timeout=60_000)
    code = re.search(r"class=([A-Z]+)", teacher.evaluate("location.href")).group(1)
    student = browser.new_page(viewport={"width": 1200, "height": 900})
    student.goto(f"{server.url}/lesson?class={code}&lang=zh")
    student.locator("[data-testid='stRadioOption']").first.click()
    student.get_by_role("button", name=zh["lesson.check"]).click()
    student.get_by_text(zh["poll.recorded"]).first.wait_for(timeout=60_000)
    teacher.get_by_text(zh["poll.answered"].format(n=1, students=1)).first.wait_for(timeout=60_000)
    no_exception(teacher)
    title, text, *figures = teacher.evaluate(SEEN)
    found = {word: seen[:160] for seen in [title, text, *(s for f in figures for s in figure_texts(json.loads(f)))]
             for word in english(seen)}
    teacher.screenshot(path=SHOTS / "zh-class-teacher.png")
    teacher.close(), student.close()
    assert not found, found
