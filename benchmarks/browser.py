"""A freshly started `streamlit run app.py` on loopback and Debian's chromium for Playwright: shared by the
browser tests and the load script."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def ensure_chromium() -> None:
    """Install Debian's chromium where it is missing (the test fails, never skips, if that is impossible)."""
    if os.path.exists(CHROMIUM):
        return
    apt = shutil.which("apt-get")
    assert apt, "chromium is missing and apt-get is not available to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update"], check=True, env=env, capture_output=True, timeout=600)
    subprocess.run([apt, "install", "-y", "--no-install-recommends", "chromium"], check=True, env=env,
                   capture_output=True, timeout=900)
    assert os.path.exists(CHROMIUM)


def ensure_cjk_fonts() -> None:
    """Install Noto CJK where no Chinese font exists, so screenshots of the zh pages show characters, not boxes
    (the test fails, never skips, if that is impossible)."""
    fc = shutil.which("fc-list")
    if fc and subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout.strip():
        return
    apt = shutil.which("apt-get")
    assert apt, "no Chinese font, and apt-get is not available to install fonts-noto-cjk"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "install", "-y", "--no-install-recommends", "fonts-noto-cjk"], check=True, env=env,
                   capture_output=True, timeout=900)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A fresh `streamlit run app.py` (or another script) on loopback."""

    def __init__(self, *extra: str, log_dir: Path | None = None, script: Path = ROOT / "app.py"):
        self.port = free_port()
        if log_dir is not None:
            log_dir.mkdir(exist_ok=True)
        self.log = open(log_dir / f"server-{self.port}.log", "w") if log_dir else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", *extra],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
