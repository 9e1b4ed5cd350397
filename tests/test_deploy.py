"""Several app processes behind one address (issue [lecture]): deploy/serve.py's arguments, a replica that crashes on
start, and a replica lost mid-lesson (a real browser: twelve students and a training, a replica killed with
SIGKILL, every page back on a live replica at the same step, language and layer without a reload).

Oracles: the exit status and message of the command; the students' pages as drawn (their step heading, the
sidebar's values, the link), and the WebSocket each page opened after the kill.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

SERVE = [sys.executable, str(ROOT / "deploy" / "serve.py")]


def serve(*args, env=None, timeout=60):
    return subprocess.run([*SERVE, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args, says", [
    (["--replicas", "x"], "--replicas 'x'; valid: a whole number from 0 to 32"),
    (["--replicas", "33"], "valid: a whole number from 0 to 32"),
    (["--replicas", "0"], "--replicas 0; valid: at least 1 replica here, or --backend"),
    (["--port", "0"], "--port '0'; valid: a whole number from 1 to 65535"),
    (["--port", "70000"], "valid: a whole number from 1 to 65535"),
    (["--port", "http"], "valid: a whole number from 1 to 65535"),
    (["--backend", "nohost"], "--backend 'nohost'; valid: HOST:PORT"),
])
def test_bad_arguments_get_a_clear_message(args, says):
    r = serve(*args)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr


def test_a_port_in_use_gets_a_clear_message():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = serve("--port", str(port), "--host", "127.0.0.1")
    assert r.returncode == 2 and f"port {port} is already in use" in r.stderr and "valid: a free port" in r.stderr


def test_a_missing_haproxy_that_cannot_be_installed_gets_a_clear_message(tmp_path):
    # no haproxy where it is looked for, and no apt-get on the PATH to install it
    r = serve("--port", "1", env={"GCONV_HAPROXY": str(tmp_path / "haproxy"), "PATH": str(tmp_path)})
    assert r.returncode == 2, r.stderr
    assert "HAProxy is missing and there is no apt-get to install it" in r.stderr


@pytest.mark.slow
def test_a_replica_that_crashes_on_start_is_reported_with_its_log(tmp_path):
    # every replica gets an option streamlit refuses: each exits at once, and the first is reported with its log
    from benchmarks.browser import free_port

    r = serve("--replicas", "2", "--port", str(free_port()), "--host", "127.0.0.1", "--logs", str(tmp_path),
              "--", "--server.noSuchOption", "1", timeout=300)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(r"replica r\d \(port \d+\) exited with status \d+ while starting; its log", r.stderr)
    assert "noSuchOption" in r.stderr  # the replica's own words, from its log
    for replica in json.loads((tmp_path / "replicas.json").read_text()):  # nothing it started is left running
        assert not Path(f"/proc/{replica['pid']}").exists() or "zombie" in Path(
            f"/proc/{replica['pid']}/status").read_text()


class Deployment:
    """`python deploy/serve.py --replicas 2` on a free port, its roster read from its logs folder."""

    def __init__(self, logs: Path, replicas: int = 2, *extra: str):
        from benchmarks.browser import free_port

        self.port, self.logs = free_port(), logs
        logs.mkdir(exist_ok=True)
        self.out = open(logs / "serve.out", "w")
        self.proc = subprocess.Popen([*SERVE, "--replicas", str(replicas), "--port", str(self.port), "--host",
                                      "127.0.0.1", "--logs", str(logs), *extra], cwd=ROOT, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 300
        while "behind http" not in (logs / "serve.out").read_text():
            assert self.proc.poll() is None and time.time() < deadline, (logs / "serve.out").read_text()
            time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pid(self, name: str) -> int:
        return next(r["pid"] for r in json.loads((self.logs / "replicas.json").read_text()) if r["name"] == name)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)  # as Ctrl-C: serve.py stops what it started
        self.proc.wait(60)
        self.out.close()


# (path and query, the step heading's key or a page title, what the sidebar's C box must hold)
STUDENTS = [
    ("/lesson?step=1&lang=en", "lesson.step.conv", None),
    ("/lesson?step=2&lang=zh", "lesson.step.group", None),
    ("/lesson?step=3&lang=en", "lesson.step.sparsity", None),
    ("/lesson?step=4&lang=zh&C=12&N=12&G=3&K=3", "lesson.step.shuffle", "12"),
    ("/lesson?step=5&lang=en", "lesson.step.depthwise", None),
    ("/lesson?step=6&lang=zh", "lesson.step.separable", None),
    ("/lesson?step=2&lang=en&C=24&N=24&G=6&K=3", "lesson.step.group", "24"),
    ("/lesson?step=3&lang=zh&C=16&N=32&G=4&K=5", "lesson.step.sparsity", "16"),
    ("/lesson?step=7&lang=en", "lesson.step.gdc", None),
    ("/lesson?step=1&lang=zh", "lesson.step.conv", None),
    ("/connectivity?C=20&N=20&G=5&K=3&H=8&W=8&lang=zh", "page.connectivity", "20"),
    ("/lesson?step=4&lang=en", "lesson.step.shuffle", None),
]


@pytest.mark.slow
@pytest.mark.browser
def test_a_replica_lost_mid_lesson_loses_nobodys_place(tmp_path):
    from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    ensure_chromium()
    text = {lang: json.loads((ROOT / "assets" / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")}
    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    deployment = Deployment(tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            seats = []
            for link, key, C in STUDENTS + [("/gdc?dataset=synthetic&epochs=12&seed=7&lang=en", "page.gdc", None)]:
                context = browser.new_context(viewport={"width": 1300, "height": 950})  # a student's own browser
                page = context.new_page()
                sockets = []
                page.on("websocket", lambda ws, sockets=sockets: sockets.append(ws))
                page.goto(deployment.url + link)
                lang = "zh" if "lang=zh" in link else "en"
                seats.append({"link": link, "heading": text[lang][key], "C": C, "page": page, "context": context,
                              "sockets": sockets, "lang": lang})
            for seat in seats:
                seat["page"].get_by_text(seat["heading"]).first.wait_for(timeout=180_000)
                seat["replica"] = next(c["value"] for c in seat["context"].cookies() if c["name"] == "GCONV_REPLICA")
            trainee = seats[-1]
            trainee["page"].get_by_role("button", name=text["en"]["gdc.train"]).click()
            trainee["page"].locator("[data-testid='stProgress']").first.wait_for(timeout=60_000)  # it runs
            lost = trainee["replica"]
            affected = [s for s in seats if s["replica"] == lost]
            assert len(affected) >= 2, [s["replica"] for s in seats]  # the training and at least one student
            before = {id(s): len(s["sockets"]) for s in seats}
            os.kill(deployment.pid(lost), signal.SIGKILL)  # no goodbye: sockets drop, the training dies with it
            for seat in affected:  # each page opens a new WebSocket to a live replica by itself, and is redrawn
                page = seat["page"]
                deadline = time.time() + 120
                while len(seat["sockets"]) <= before[id(seat)] and time.time() < deadline:
                    page.wait_for_timeout(250)
                assert len(seat["sockets"]) > before[id(seat)], f"{seat['link']} never reconnected"
            for seat in seats:
                page = seat["page"]
                page.get_by_text(seat["heading"]).first.wait_for(timeout=60_000)
                href = page.evaluate("location.href")
                for part in seat["link"].split("?")[1].split("&"):  # English is the default: its link leaves it out
                    assert part == "lang=en" or part in href.split("?")[1].split("&"), (part, href)
                # the language: the heading waited for above is in it; the same step and layer: the link
                if seat["C"]:  # the sidebar's line says the layer (its form is closed on a first visit)
                    sidebar = page.locator("[data-testid='stSidebar']")
                    sidebar.get_by_text(f"C={seat['C']} → N=", exact=False).wait_for(timeout=30_000)
                assert page.locator("[data-testid='stException']").count() == 0, seat["link"]
            for seat in affected:  # and it answers: the step moves on (a click while reconnecting is pressed again)
                if "/lesson" not in seat["link"]:
                    continue
                step = int(re.search(r"step=(\d)", seat["link"]).group(1))
                forward = step < 7
                target = f"step={step + 1 if forward else step - 1}"
                deadline = time.time() + 90
                while target not in seat["page"].evaluate("location.href") and time.time() < deadline:
                    seat["page"].keyboard.press("ArrowRight" if forward else "ArrowLeft")
                    seat["page"].wait_for_timeout(1500)
                assert target in seat["page"].evaluate("location.href"), seat["link"]
            # the training that died with its replica is pressed again (once: a press during a run restarts it),
            # and completes
            page = trainee["page"]
            for _ in range(3):
                page.get_by_role("button", name=text["en"]["gdc.train"]).first.click()
                try:
                    page.locator("[data-testid='stProgress']").first.wait_for(timeout=30_000)
                    break
                except PlaywrightTimeout:  # the press was lost while the page reconnected
                    continue
            page.locator(".js-plotly-plot .gtitle", has_text="GDC vs GAP on synthetic").first.wait_for(timeout=300_000)
            assert page.locator(".js-plotly-plot .gtitle", has_text="GDC vs GAP on synthetic").count()
            assert page.locator("[data-testid='stException']").count() == 0
            page.screenshot(path=shots / "deploy-training-after-failover.png", full_page=True)
            seats[3]["page"].screenshot(path=shots / "deploy-lesson-after-failover.png")
            browser.close()
        log = (tmp_path / "serve.out").read_text()
        assert f"replica {lost} exited with status -9; starting it again" in log
    finally:
        deployment.stop()
    assert deployment.proc.returncode == 0
    assert not subprocess.run(["pgrep", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True).stdout


@pytest.mark.slow
@pytest.mark.browser
def test_a_proxy_in_front_of_another_hosts_proxy_keeps_a_student_on_one_replica(tmp_path):
    # Two layers, as across hosts: a front proxy (--replicas 0 --backend) before a host's own serve.py. Each
    # layer sets its own cookie, and the lesson answers its keys through both.
    from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, ensure_chromium
    from playwright.sync_api import sync_playwright

    ensure_chromium()
    host = Deployment(tmp_path / "host", 1)
    front = None
    try:
        front = Deployment(tmp_path / "front", 0, "--backend", f"127.0.0.1:{host.port}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(front.url + "/lesson?step=1")
            page.get_by_text("1. Convolution").first.wait_for(timeout=120_000)
            deadline = time.time() + 60
            while "step=2" not in page.evaluate("location.href") and time.time() < deadline:
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(1500)
            page.get_by_text("2. Group convolution").first.wait_for(timeout=60_000)
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            assert cookies.get("GCONV_HOST") == "b0" and cookies.get("GCONV_REPLICA") == "r0", cookies
            browser.close()
    finally:
        if front:
            front.stop()
        host.stop()


@pytest.mark.slow
def test_the_proxy_serves_streamlits_bundle_from_its_cache(tmp_path):
    # Oracle: the files in Streamlit's own static folder, and HTTP's Age header, which only a cache adds (Starlette
    # never sends it). A first visit fetches ~100 such files; from the proxy's cache they cost a replica nothing.
    import urllib.request

    import streamlit

    static = Path(streamlit.__file__).parent / "static"
    deployment = Deployment(tmp_path, 1)
    try:
        html = urllib.request.urlopen(deployment.url + "/", timeout=30).read().decode()
        bundle = re.search(r'src="\.?(/static/js/[^"]+\.js)"', html).group(1)
        answers = []
        for _ in range(3):
            with urllib.request.urlopen(deployment.url + bundle, timeout=30) as r:
                answers.append((r.headers.get("Age"), r.read()))
        assert answers[0][0] is None  # the first comes from the replica
        assert all(age is not None for age, _ in answers[1:]), [a for a, _ in answers]
        assert all(body == (static / bundle.lstrip("/")).read_bytes() for _, body in answers)
        # the page itself and the health check are never cached: each is a replica's answer
        for path in ("/", "/_stcore/health"):
            for _ in range(2):
                with urllib.request.urlopen(deployment.url + path, timeout=30) as r:
                    assert r.headers.get("Age") is None, path
    finally:
        deployment.stop()
