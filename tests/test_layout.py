"""The design card's rules, checked on the tree: gconv never imports streamlit; import gconv stays light."""
import re
import subprocess
import sys

from conftest import ROOT


def test_gconv_never_imports_streamlit():
    for path in (ROOT / "gconv").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.M), path


def test_import_gconv_does_not_load_torch():
    code = "import sys, gconv; gconv.ConvSpec(C=4, N=4, G=2, K=3, H=8, W=8); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_layout():
    for name in ("app.py", "pages", "gconv", "assets", "tests", "requirements.txt", "README.md", ".ci/run"):
        assert (ROOT / name).exists(), name
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().split()


def test_pages_without_torch_do_not_import_it():
    # Home and cost need no torch: a deep link there must not pay its import (the connectivity page
    # imports it inside the cached equivalence function only).
    code = ("import sys; sys.path.insert(0, '.'); import pages.shared.router, pages.shared.ui, gconv.plots.cost, "
            "gconv.plots.connectivity, gconv.ledger, gconv.limits, gconv.presets; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    for page in ("home.py", "cost.py", "connectivity.py"):
        text = (ROOT / "pages" / page).read_text()
        assert not re.search(r"^(import|from)\s+torch", text, re.M), page
