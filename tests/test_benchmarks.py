"""Every benchmark script still runs: each in its --quick mode, checked for the line it exists to print.

The numbers are not asserted (they are wall-clock times); the scripts' own targets are for a person to read.
"""
import re
import subprocess
import sys

import pytest

from conftest import ROOT

# (script, a pattern its output must match)
QUICK = [
    ("mask_4096.py", r"mask C=N=256 G=256 +median +[\d.]+ ms"),
    ("tensor3d_build.py", r"grouped G=8 +\d+ traces +100 frames +built in median +[\d.]+ ms"),
    ("connectivity_page.py", r"C = N = 64, G = 64 +all figures built and encoded: median +[\d.]+ ms"),
    ("gdc_training.py", r"seed 0: both heads trained in +[\d.]+ s .* GDC [\d.]+%, GAP [\d.]+%"),
    ("inspect_speed.py", r"mobilefacenet +[\d.]+ s .* 220,965,376 MACs"),  # MobileFaceNets sec. 3.2: 221M MAdds
    ("inspect_speed.py", r"mobilefacenet +onnx in-process +[\d.]+ s +reader +[\d.]+ s +ratio +[\d.]+"),
    ("inspect_memory.py", r"gconv reader +peak +[\d,]+ MiB +[\d.]+x the file(.*\n)*.*gconv.summary +peak beyond"),
    ("summary_speed.py", r"shufflenet-style x4 +torchinfo +[\d.]+ s +counts +[\d.]+ s \([\d.]+x\) +counts\+flow"),
    ("timing_vs_torch_timer.py", r"groups=2, bias=False\) +gconv +[\d.]+ ms +Timer +[\d.]+ ms +ratio +[\d.]+"),
    ("gpu_timing_check.py", r"=== groups, \w+ channels_last .*\n(.*\n)*grouped conv \(native, groups=G\) +16 "
                            r"(.*\n)*=== replicate shufflenet-g1(.*\n)*1:12 +37, 444"),
]


def quick(script: str) -> str:
    """Run benchmarks/script --quick; it must exit 0. Returns what it printed."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick"], capture_output=True,
                         text=True, cwd=ROOT, timeout=900)
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-2000:])
    return out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("script, pattern", QUICK, ids=[q[0] for q in QUICK])
def test_benchmark_quick_mode(script, pattern):
    printed = quick(script)
    assert re.search(pattern, printed), printed[-2000:]


def test_every_benchmark_has_a_quick_mode_and_a_test():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("*.py")} - {"browser.py"}
    assert scripts == {q[0] for q in QUICK} | {"load.py", "timing_page_vs_cli.py", "first_visit.py", "first_load_cpu.py", "capacity.py"}
    for name in scripts:
        assert "--quick" in (ROOT / "benchmarks" / name).read_text(), name
    assert "from test" not in (ROOT / "benchmarks" / "load.py").read_text()  # benchmarks never import tests


@pytest.mark.slow
@pytest.mark.browser
def test_load_script_quick_mode():
    printed = quick("load.py")
    assert "2 concurrent sessions" in printed and "server still up: True" in printed
    assert re.search(r"errors: 0\b", printed)


@pytest.mark.slow
@pytest.mark.browser
def test_timing_page_vs_cli_quick_mode():
    printed = quick("timing_page_vs_cli.py")
    for label in ("Time this layer", "Sweep every G", "Sweep batch size"):
        assert f"{label} (page" in printed
    assert re.search(r"\d+ rows: page/CLI from [\d.]+ to [\d.]+", printed), printed[-2000:]


@pytest.mark.slow
@pytest.mark.browser
def test_first_visit_quick_mode():
    printed = quick("first_visit.py")
    for name in ("bare one-chart page", "connectivity", "cost", "home"):
        assert re.search(rf"{name} +[\d.]+ s +\([\d.]+× the bare page\)", printed), printed


@pytest.mark.slow
@pytest.mark.browser
def test_first_load_cpu_quick_mode():
    printed = quick("first_load_cpu.py")
    for name in ("bare page", "lesson", "home", "connectivity"):
        assert re.search(rf"{name} +\d+ ms CPU per student +\([\d.]+x the bare page\) +slowest wait", printed), printed


@pytest.mark.slow
@pytest.mark.browser
def test_capacity_quick_mode():
    printed = quick("capacity.py")
    assert re.search(r"R=1 +\d+ students at once: +[\d.]+ first loads/s per replica, slowest wait +[\d.]+ s", printed)
    assert re.search(r"R=2 +\d+ students at once: +[\d.]+ first loads/s per replica", printed), printed
