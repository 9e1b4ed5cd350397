"""The library installs (issue [debug]): a wheel built from this checkout, installed into a fresh virtual environment,
works from a directory with no checkout on the path, language files and stored runs included.

Oracle: the installed package's own answers (its file lives in the venv, its Chinese text is the language file's).
"""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_wheel_installs_into_a_fresh_venv_and_works_from_anywhere(tmp_path):
    wheels, venv, work = tmp_path / "wheels", tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, timeout=600, cwd=tmp_path)
    (wheel,) = wheels.glob("gconv-*.whl")
    # the system's packages (numpy, torch, pip, a recent setuptools: nothing downloads here), not this checkout
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, timeout=600)
    code = ("import gconv, gconv.i18n as i, torch.nn as nn\n"
            "print(gconv.__file__)\n"
            "i.use('zh'); print(i.t('lang.name'))\n"
            "from gconv.plots.story import GDC_RUN; print(GDC_RUN.is_file())\n"
            "s = gconv.summary(nn.Sequential(nn.Conv2d(8, 8, 1, groups=4), nn.Conv2d(8, 8, 1, groups=4)),"
            " input_size=(1, 8, 4, 4))\n"
            "print(s.findings[0].topic, s.report.total_macs)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(python), "-c", code], cwd=work, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    where, zh, stored, finding = out.stdout.splitlines()
    assert where.startswith(str(venv)) and zh == "中文" and stored == "True"
    assert finding == "no-shuffle 512"  # two 8→8 1×1 convs of G=4 on 4×4: 2 · 8 · 2 · 16 MACs


def test_an_editable_install_works_from_anywhere(tmp_path):
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", "-e", str(ROOT)],
                   check=True, timeout=600, cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([str(python), "-c", "import gconv, gconv.i18n as i; i.use('zh'); print(gconv.__file__); "
                          "print(i.t('lang.name'))"], cwd=work, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    where, zh = out.stdout.splitlines()
    assert where.startswith(str(ROOT)) and zh == "中文"  # the checkout itself, edits seen at once
