"""python -m gconv spec: output checked against nn.Conv2d and the closed forms, in a real subprocess."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch.nn as nn

from conftest import ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "gconv", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


ARGS = ["spec", "C=64", "N=128", "G=4", "K=3", "H=56", "W=56", "padding=1"]


def test_spec_table():
    r = run(*ARGS)
    assert r.returncode == 0, r.stderr
    # Oracles: nn.Conv2d(64, 128, 3, groups=4).weight.numel() = 18,432; MACs = 18,432·56·56.
    assert nn.Conv2d(64, 128, 3, groups=4, bias=False).weight.numel() == 18_432
    for words in ("group conv", "128 × 16 × 3 × 3", "128 × 56 × 56", "18,432", f"{18_432 * 56 * 56:,}",
                  f"{2 * 18_432 * 56 * 56:,}", "0.25"):
        assert words in r.stdout, words


def test_spec_json():
    r = run(*ARGS, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "grouped" and d["weight_shape"] == [128, 16, 3, 3] and d["output_shape"] == [128, 56, 56]
    assert d["params"] == 18_432 and d["flops"] == 2 * d["macs"] == 2 * 18_432 * 56 * 56
    assert d["dense_ratio"] == 0.25
    # min bytes = (64·56·56 + 128·56·56 + 18,432)·4 for fp32, batch 1
    assert d["min_bytes"] == (64 * 56 * 56 + 128 * 56 * 56 + 18_432) * 4
    assert abs(d["intensity_flop_per_byte"] - d["flops"] / d["min_bytes"]) < 1e-9


def test_bad_spec_exits_2_with_message():
    r = run("spec", "C=64", "N=128", "G=3", "K=3", "H=56", "W=56")
    assert r.returncode == 2
    assert "G=3 must divide C=64 and N=128; valid G: 1, 2, 4, 8, 16, 32, 64" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("spec", "C=oops")
    assert r.returncode == 2 and "not a whole number" in r.stderr


@pytest.mark.slow
def test_gdc_cli():
    r = run("gdc", "--dataset", "synthetic", "--epochs", "2", "--seed", "1", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert 0 <= d["gdc_test_acc"] <= 1 and 0 <= d["gap_test_acc"] <= 1 and d["concentration"] > 0
    assert d["config"]["epochs"] == 2 and d["seconds"] > 0
    r = run("gdc", "--dataset", "digits", "--epochs", "1")
    assert r.returncode == 0 and "GDC test accuracy" in r.stdout and "wall time" in r.stdout
    r = run("gdc", "--dataset", "digits", "--map-size", "5")
    assert r.returncode == 2 and "valid: 2, 4, 8" in r.stderr


def test_gdc_cli_saves_the_learned_weights(tmp_path):
    # The home page's GDC picture is made this way: the map is the head's |weights| over their mean.
    out = tmp_path / "w.json"
    r = run("gdc", "--dataset", "synthetic", "--epochs", "1", "--save-weights", str(out))
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    w = np.array(d["relative_weights"])
    assert w.shape == (d["config"]["map_size"],) * 2 and w.mean() == pytest.approx(1, abs=1e-3) and (w >= 0).all()


@pytest.mark.slow
def test_inspect_cli():
    r = run("inspect", "alexnet")
    assert r.returncode == 0, r.stderr
    assert "conv2" in r.stdout and "grouped" in r.stdout and "60,965,224" in r.stdout  # Caffe bvlc_alexnet
    # Krizhevsky et al. 2012: conv5 reads conv4's two halves apart (one per GPU), 192 of 384 channels each
    assert "conv5" in r.stdout and "each output sees ≥ 192 of 384  (groups apart)" in r.stdout
    r = run("inspect", "mobilefacenet", "--json")
    d = json.loads(r.stdout)
    assert d["by_kind"]["gdc"]["layers"] == 1 and any(f["topic"] == "fixed-input" for f in d["diagnostics"])
    r = run("inspect", "nosuch")
    assert r.returncode == 2 and "valid: alexnet" in r.stderr


def test_inspect_cli_prints_the_layers_when_the_flow_cannot_be_traced(monkeypatch, capsys):
    from gconv import cli
    from gconv.inspector import flow

    monkeypatch.setattr(flow, "MAX_CELLS", 1)
    assert cli.main(["inspect", "mobilenet_v1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    # 28 layers: Howard et al. 2017 count MobileNet as 28 layers (depthwise and pointwise apart, with the FC)
    assert len(d["layers"]) == 28 and "reference channels" in d["channel_flow_error"] and d["channel_flow"] == []


def test_inspect_cli_onnx(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    r = run("inspect", str(bad))
    assert r.returncode == 2 and "not" in r.stderr and "Traceback" not in r.stderr
