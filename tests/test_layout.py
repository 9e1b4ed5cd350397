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


def test_readme_example_output_is_real():
    # The README's library example, run now, prints exactly the block pasted under it.
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == printed


def test_quick_start_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, re.S)
    assert [c.strip() for c in commands] == [
        "python -m pip install -r requirements.txt && python -m streamlit run app.py",
        "python -m pip install -r requirements-dev.txt && python -m pytest"]
    assert "requirements-dev.txt && python -m pytest" in (ROOT / ".ci" / "run").read_text()
