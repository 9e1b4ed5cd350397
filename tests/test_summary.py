"""gconv.summary: the inspector in one call from a notebook or a script (issue [debug]), and reachability between
any two layers.

Oracles: torch autograd (which input channels of a layer each output channel of a later one depends on),
FlopCounterMode (a conv's FLOPs are 2·MACs), the ONNX path (the same network exported and read as a file), and
AlexNet's conv4 → conv5 (Krizhevsky et al. 2012: each half of conv5 reads one half of conv4's inputs).
"""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

import gconv
from conftest import ROOT
from gconv import GConvError
from gconv.inspector.onnx_reader import read_onnx
from zoo_style import GroupedStack, ShuffleV1Stack, autograd_reach, export, key


def test_one_call_gives_report_flow_and_findings_consequence_first():
    s = gconv.summary(ShuffleV1Stack(shuffle="view"), input_size=(1, 3, 8, 8))
    assert [f.topic for f in s.findings][0] == "no-shuffle"
    assert s.layer("units.1.g1.0").G == 4 and s.layer("units.1.g1.0").C == 16
    frame = s.to_pandas()
    assert list(frame["layer"]) == [layer.name for layer in s.report.layers] and frame["MACs"].sum() == \
        s.report.total_macs
    text = str(s)
    assert "total MACs" in text and "never mix" in text and "(groups apart)" in text


def test_counts_agree_with_the_onnx_path_and_flop_counter():
    net = ShuffleV1Stack()
    s = gconv.summary(net, input_size=(1, 3, 16, 16))
    onnx_report = read_onnx(export(net, (1, 3, 16, 16)))
    assert [key(a)[1:] for a in s.report.layers] == [key(b)[1:] for b in onnx_report.layers]  # names differ
    with FlopCounterMode(display=False) as counter:
        net.eval()(torch.zeros(1, 3, 16, 16))
    conv_flops = counter.get_flop_counts()["Global"][torch.ops.aten.convolution]
    assert conv_flops == 2 * s.report.total_macs


def test_reach_between_two_layers_matches_autograd():
    net = GroupedStack(transpose=False)
    s = gconv.summary(net, input_size=(1, 24, 8, 8))
    reach = s.reach("convs.0", "convs.2")  # convs.0 reads the graph input; the stack's output is convs.2's, ReLU'd
    assert reach.shape == (24, 24) and (reach == autograd_reach(net, (1, 24, 8, 8))).all()
    assert (reach.sum(axis=1) == 8).all()  # a shuffle without its transpose: each output sees one group of 8


def test_the_dummy_input_follows_the_model_dtype():
    net = GroupedStack().to(torch.float64)
    s = gconv.summary(net, input_size=(1, 24, 8, 8))
    assert s.report.total_macs == gconv.summary(GroupedStack(), input_size=(1, 24, 8, 8)).report.total_macs


@pytest.mark.parametrize("call, words", [
    (lambda net: gconv.summary(net, input_size=(3, 8, 8)), "four positive whole numbers"),
    (lambda net: gconv.summary(net, input_size=(1, 5, 8, 8)), "forward failed on inputs of shape (1, 5, 8, 8)"),
    (lambda net: gconv.summary(net, input_size=(1, 24, 8, 8)).reach("convs.0", "nope"), "no layer 'nope'"),
])
def test_bad_input_is_a_gconv_error(call, words):
    with pytest.raises(GConvError, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(GroupedStack())


def test_the_notebook_view_escapes_names():
    net = nn.Sequential()
    net.add_module("<b>bold</b>", nn.Conv2d(3, 4, 1))
    page = gconv.summary(net, input_size=(1, 3, 4, 4))._repr_html_()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page and "<table>" in page


@pytest.mark.slow  # a CLI process of its own
def test_the_cli_traces_reach_between_two_layers():
    out = subprocess.run([sys.executable, "-m", "gconv", "inspect", "alexnet", "--reach", "conv4", "conv5", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    reach = json.loads(out.stdout)["reach"]
    matrix = np.array(reach["matrix"], bool)
    assert matrix.shape == (256, 384) and set(reach["sees"]) == {192}
    assert matrix[:128, :192].all() and not matrix[:128, 192:].any()  # conv5's first half reads conv4's first half


def test_the_meta_device_counts_without_allocating_and_says_why_the_flow_is_missing():
    # Oracle: the same model on the CPU; nothing allocated on meta (its parameters have no storage)
    with torch.device("meta"):
        big = nn.Sequential(nn.Conv2d(3, 512, 3), nn.Conv2d(512, 512, 3, groups=4), nn.Conv2d(512, 64, 1))
    s = gconv.summary(big, input_size=(1, 3, 32, 32))
    small = gconv.summary(nn.Sequential(nn.Conv2d(3, 512, 3), nn.Conv2d(512, 512, 3, groups=4),
                                        nn.Conv2d(512, 64, 1)), input_size=(1, 3, 32, 32), device="cpu")
    assert s.report.total_macs == small.report.total_macs and s.report.total_params == small.report.total_params
    assert s.flow is None and "meta device" in str(s.flow_error) and "channel flow not traced" in str(s)


def test_a_convspec_in_a_notebook_cell_shows_its_connectivity_and_cost():
    # Oracle: the group rule: N kernels each read C/G inputs, so the diagram fills N·C/G cells
    spec = gconv.ConvSpec(C=8, N=8, G=2, K=3, H=8, W=8)
    page = spec._repr_html_()
    assert page.count("<rect") == 1 + 8 * 4 and f"{gconv.params(spec):,} params" in page and "2·MACs" in page


@pytest.mark.slow  # a CLI process of its own
def test_the_cli_names_a_model_in_the_users_own_file(tmp_path):
    # path/to/file.py:factory runs the user's code; --input sets the input. Oracle: the same module via summary.
    (tmp_path / "mynet.py").write_text("import torch.nn as nn\n\ndef build():\n    return nn.Sequential("
                                       "nn.Conv2d(3, 16, 3), nn.Conv2d(16, 16, 1, groups=4), "
                                       "nn.Conv2d(16, 16, 1, groups=4))\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "gconv", "inspect", *a], cwd=ROOT, capture_output=True,
                                    text=True, timeout=300)  # noqa: E731
    out = run(f"{tmp_path / 'mynet.py'}:build", "--input", "1,3,16,16", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["total_macs"] == 3 * 16 * 9 * 14 * 14 + 2 * 16 * 4 * 14 * 14  # by hand: dense 3×3, two G=4 1×1
    assert got["diagnostics"][0]["topic"] == "no-shuffle"
    for args, words in [((f"{tmp_path / 'mynet.py'}:nope",), "no factory 'nope'; valid: a function or class of it"),
                        ((f"{tmp_path / 'mynet.py'}:build", "--input", "1,5"), "four positive whole numbers"),
                        (("torchvision:no_such_net",), "torchvision"), (("timm:no_such_net",), "timm")]:
        out = run(*args)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, out.stderr


@pytest.mark.slow  # a CLI process of its own
def test_the_cli_traces_reach_in_a_file_in_the_reader_process(tmp_path):
    # Oracle: torch autograd on the exported module (a shuffle without its transpose: one group of 8 of 24)
    net = GroupedStack(transpose=False)
    path = tmp_path / "stack.onnx"
    path.write_bytes(export(net, (1, 24, 8, 8)))
    out = subprocess.run([sys.executable, "-m", "gconv", "inspect", str(path), "--reach", "/convs.0/Conv",
                          "/convs.2/Conv", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    matrix = np.array(json.loads(out.stdout)["reach"]["matrix"], bool)
    assert (matrix == autograd_reach(net, (1, 24, 8, 8))).all()
    bad = subprocess.run([sys.executable, "-m", "gconv", "inspect", str(path), "--reach", "/convs.0/Conv", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no layer 'nope'" in bad.stderr


@pytest.mark.parametrize("make, size", [
    (lambda: ShuffleV1Stack(C=32, units=2), (1, 3, 16, 16)),
    (lambda: nn.Sequential(nn.Conv2d(3, 24, 3, stride=2, padding=1), nn.Conv2d(24, 24, 3, padding=2, dilation=2,
                                                                              groups=24),
                           nn.Conv2d(24, 48, 1, groups=3), nn.Conv2d(48, 96, (1, 5), padding=(0, 2), groups=6)),
     (1, 3, 20, 28)),
])
def test_conv_counts_agree_with_torchinfo(make, size):
    # Oracle: torchinfo's mult-adds per conv, which also count one add per output element for a bias
    import torchinfo

    net = make().eval()
    ours = gconv.summary(net, input_size=size)
    theirs = torchinfo.summary(net, input_size=size, verbose=0)
    convs = [info for info in theirs.summary_list if isinstance(info.module, nn.Conv2d)]
    bias_adds = [layer.N * layer.out_hw[0] * layer.out_hw[1] if info.module.bias is not None else 0
                 for layer, info in zip(ours.report.layers, convs)]
    assert [layer.macs + b for layer, b in zip(ours.report.layers, bias_adds)] == [info.macs for info in convs]
    assert any(bias_adds)  # the convention differs where there is a bias, and only there
