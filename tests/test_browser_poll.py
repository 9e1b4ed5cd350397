"""A class played in chromium across two replicas behind `deploy/serve.py`: one presenter (1920x1080, Chinese
and English), eight students in their own browser contexts. Oracles: the votes this test casts (counted here),
the question as written (which choice is right), each page's own heading and the presenter chart's plotted data."""
import json
import re
import time

import pytest

from conftest import ROOT
from gconv.i18n import use
from gconv.lesson import STEPS, question
from test_deploy import Deployment

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TEXT = {lang: json.loads((ROOT / "assets" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")}
SHOTS = ROOT / "screenshots"

VOTES_JS = """() => {
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const title = ((el.layout || {}).title || {}).text || '';
    if (title.includes(TITLE)) return {x: el.data[0].x, y: el.data[0].y, colour: el.data[0].marker.color};
  }
  return null;
}"""


def presenter_chart(page, title: str):
    return page.evaluate(VOTES_JS.replace("TITLE", json.dumps(title)))


def wait_for_counts(page, title: str, counts: list[int], timeout: float = 60) -> dict:
    deadline, seen = time.time() + timeout, None
    while time.time() < deadline:
        seen = presenter_chart(page, title)
        if seen and list(seen["y"]) == counts:
            return seen
        page.wait_for_timeout(500)
    raise AssertionError(f"the presenter's chart shows {seen}, not {counts}")


def right_place(step: int, code: str) -> int:
    use("en")
    return [c.correct for c in question(step, STEPS[step - 1][1], 1, room=code).choices].index(True)


def vote(page, place: int, lang: str) -> None:
    page.locator("[data-testid='stRadioOption']").nth(place).click()
    page.get_by_role("button", name=TEXT[lang]["lesson.check"]).click()
    page.get_by_text(TEXT[lang]["poll.recorded"]).first.wait_for(timeout=60_000)


def test_a_class_follows_votes_and_reveals_across_two_replicas(tmp_path):
    from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium, ensure_cjk_fonts
    from playwright.sync_api import sync_playwright

    ensure_chromium()
    ensure_cjk_fonts()
    SHOTS.mkdir(exist_ok=True)
    deployment = Deployment(tmp_path, 2)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            teacher = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            teacher.goto(deployment.url + "/lesson?step=2&present=1")
            teacher.get_by_role("button", name=TEXT["en"]["poll.start"]).click()
            heading = teacher.get_by_text(re.compile(r"^Class [A-Z]{4}$")).first
            heading.wait_for(timeout=60_000)
            code = heading.inner_text().split()[-1]
            qr = teacher.locator("img[src*='/media/']")  # the QR code, served by the app itself
            qr.first.wait_for(timeout=30_000)
            assert qr.count() == 1
            link = teacher.get_by_text(re.compile(r"\?class=" + code)).first.inner_text()
            assert link.startswith(deployment.url) and f"class={code}" in link and "step=2" in link

            students = []
            for i in range(8):
                lang = "zh" if i % 2 else "en"
                context = browser.new_context(viewport={"width": 1300, "height": 950})
                page = context.new_page()
                page.goto(link + ("&lang=zh" if lang == "zh" else ""))
                students.append({"page": page, "context": context, "lang": lang})
            for s in students:
                s["page"].get_by_text(TEXT[s["lang"]]["lesson.step.group"]).first.wait_for(timeout=120_000)
                s["replica"] = next(c["value"] for c in s["context"].cookies() if c["name"] == "GCONV_REPLICA")
            assert {s["replica"] for s in students} == {"r0", "r1"}, [s["replica"] for s in students]

            for step, key in ((3, "lesson.step.sparsity"), (4, "lesson.step.shuffle")):  # two step changes
                teacher.get_by_role("button", name=TEXT["en"]["lesson.next"]).click()
                teacher.get_by_text(TEXT["en"][key]).first.wait_for(timeout=60_000)
                for s in students:  # no reload: each page's watcher moves it
                    s["page"].get_by_text(TEXT[s["lang"]][key]).first.wait_for(timeout=30_000)
                    assert f"step={step}" in s["page"].evaluate("location.href")

            right = right_place(4, code)
            places = [right, right, right, (right + 1) % 3, (right + 2) % 3, right, (right + 1) % 3, right]
            for s, place in zip(students, places):
                vote(s["page"], place, s["lang"])
                assert s["page"].get_by_text(TEXT[s["lang"]]["lesson.right"]).count() == 0  # no verdict yet
            title = TEXT["en"]["poll.chart_title"].split("{n}")[0]
            chart = wait_for_counts(teacher, title, [places.count(i) for i in range(3)])
            assert len(set(chart["colour"])) == 1  # no bar marked before the reveal
            teacher.evaluate("() => { window.scrollTo(0, 0); document.querySelectorAll('[data-testid=stMain], "
                             "[data-testid=stAppViewContainer]').forEach(e => e.scrollTo(0, 0)); }")
            teacher.wait_for_timeout(500)
            teacher.screenshot(path=SHOTS / "poll-presenter-votes.png")
            # one projector screen: the question's choices, the class's chart, "Vote again", the step's figure and
            # the QR code are all on it, unscrolled
            for part in (teacher.locator(".js-plotly-plot").first, teacher.locator(".js-plotly-plot").nth(1), qr,
                         teacher.get_by_role("button", name=TEXT["en"]["poll.vote_again"]),
                         teacher.get_by_text(re.compile(r"^C\.$")).first):
                box = part.bounding_box()
                assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1080 and box["x"] + box["width"] <= 1920

            places[3] = right  # one student changes its answer: the counts follow
            vote(students[3]["page"], right, students[3]["lang"])
            wait_for_counts(teacher, title, [places.count(i) for i in range(3)])

            teacher.get_by_role("button", name=TEXT["en"]["poll.vote_again"]).click()
            wait_for_counts(teacher, title, [0, 0, 0])
            for s in students[:4]:  # a new round on their screens: they vote again
                s["page"].get_by_text(TEXT[s["lang"]]["poll.recorded"]).first.wait_for(state="detached",
                                                                                      timeout=30_000)
            for s in students[:4]:
                vote(s["page"], right, s["lang"])
            wait_for_counts(teacher, title, [4 if i == right else 0 for i in range(3)])

            teacher.get_by_role("button", name=TEXT["en"]["lesson.reveal"]).click()
            deadline = time.time() + 30
            while time.time() < deadline:
                chart = presenter_chart(teacher, title)
                if chart and str(chart["x"][right]).startswith("✓"):
                    break
                teacher.wait_for_timeout(500)
            assert str(chart["x"][right]).startswith("✓"), chart["x"]
            assert [c == chart["colour"][right] for c in chart["colour"]].count(True) == 1
            for s in students[:4]:  # the students see the verdict once revealed
                s["page"].get_by_text(TEXT[s["lang"]]["lesson.right"]).first.wait_for(timeout=30_000)
            teacher.screenshot(path=SHOTS / "poll-presenter-revealed.png")
            students[1]["page"].screenshot(path=SHOTS / "poll-student-zh.png", full_page=True)
            for page in [teacher] + [s["page"] for s in students]:
                assert page.locator("[data-testid='stException']").count() == 0
            browser.close()
    finally:
        deployment.stop()
