"""Bounded resources: memory after many different requests, bounded caches, nothing that runs user input."""
import re

import pytest

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from pages.shared.memo import Memo

APP = str(ROOT / "app.py")


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def request(page: str, i: int) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    C = 8 * (1 + i % 64)
    at.query_params.update({"C": str(C), "N": str(C * (1 + i % 3)), "G": str(2 ** (i % 4)), "K": str(1 + 2 * (i % 3)),
                            "H": str(8 + i % 50), "W": str(8 + i % 50), "padding": "1", "n": str(i)})
    at.switch_page(page)
    at.run()
    assert not at.exception


@pytest.mark.slow
def test_memory_stays_bounded_over_200_requests():
    pages = ["pages/connectivity.py", "pages/cost.py"]
    for i in range(40):  # warm up: imports, torch, caches filling
        request(pages[i % 2], i)
    warm = rss_mib()
    for i in range(40, 200):
        request(pages[i % 2], i)
    grown = rss_mib() - warm
    print(f"\nRSS after 40 requests {warm:.0f} MiB, after 200: {warm + grown:.0f} MiB (+{grown:.0f})")
    assert grown < 150, f"resident memory grew {grown:.0f} MiB over 160 different requests"


def test_memos_are_bounded():
    memo = Memo(max_entries=16)
    for i in range(1000):
        memo.get_or_compute(i, lambda i=i: bytearray(1024))
    assert len(memo) == 16


def test_no_code_path_runs_or_unpickles_user_data():
    # The app and the library never unpickle, torch.load, eval or exec anything (tests may eval their own text).
    forbidden = re.compile(r"(\b(pickle\.loads?|torch\.load|joblib\.load|np\.load|numpy\.load)|(?<![.\w])(eval|exec))"
                           r"\s*\(")
    for folder in ("gconv", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not forbidden.search(path.read_text()), path
    reader = ROOT / "gconv" / "inspector" / "onnx_reader.py"
    assert "load_model_from_string" in reader.read_text()  # protobuf parse only


def test_upload_limit_and_localhost_binding():
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(r'^address = "127\.0\.0\.1"', config, re.M)
    limit = int(re.search(r"^maxUploadSize = (\d+)", config, re.M).group(1))
    from gconv.inspector.onnx_reader import MAX_BYTES
    assert limit * 2**20 == MAX_BYTES  # the server and the parser refuse at the same size
    assert "--server.address 0.0.0.0" in (ROOT / "README.md").read_text()
