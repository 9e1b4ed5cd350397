"""Channel flow traced through real graphs (issue [graph]): shuffles with and without their transpose, ResNeXt
blocks, ShuffleNet V2 units, pixel shuffles, normalizations, and the zoo's networks.

Modules from zoo_style.py. Oracle: torch autograd (which input channels each output channel depends on), and for
AlexNet the paper (Krizhevsky et al. 2012: conv4 and conv5 split over two GPUs with nothing between them).
"""
import warnings

import pytest
import torch
import torch.nn as nn

from gconv.inspector.diagnose import diagnose
from gconv.inspector.flow import channel_reach, trace
from gconv.inspector.hooks import model_flow
from gconv.inspector.onnx_reader import read_graph, read_onnx, report_nodes
from zoo_style import Bottleneck, GroupedStack, InvertedResidual, autograd_reach, export, flow_of


def test_a_correct_shuffle_mixes_fully_after_two_grouped_layers():
    graph, flow = flow_of(GroupedStack(transpose=True), (1, 24, 8, 8))
    assert [m.G for m in flow.rows] == [3, 3, 3]
    assert all(m.mixes and m.share == 1.0 for m in flow.rows[1:]) and not flow.apart()
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(GroupedStack(transpose=True), (1, 24, 8, 8))).all() and reach.all()


def test_a_shuffle_without_its_transpose_is_flagged_as_never_mixing():
    net = GroupedStack(transpose=False)
    graph, flow = flow_of(net, (1, 24, 8, 8))
    assert [(m.share, m.sees) for m in flow.rows[1:]] == [(pytest.approx(1 / 3), 8)] * 2
    (run,) = flow.apart()
    assert [m.row for m in run] == [1, 2] and run[0].reference_row == 0
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, (1, 24, 8, 8))).all() and reach.mean() == pytest.approx(1 / 3)
    report = read_onnx(export(net, (1, 24, 8, 8)))
    (finding,) = [f for f in diagnose(report, flow) if f.topic == "no-shuffle"]
    assert finding.rows == (0, 1, 2) and "never mix" in finding.message and "8 of the 24" in finding.message
    # the same from the torch module directly, its rows named as the module names its layers
    direct = model_flow(net, (8, 8), channels=24)
    assert [(m.row, m.share, m.sees, m.reference) for m in direct.rows] == [
        (0, pytest.approx(1 / 3), 8, ""), (1, pytest.approx(1 / 3), 8, "convs.0"), (2, pytest.approx(1 / 3), 8, "convs.1")]


def test_a_resnext_block_mixes():
    net = nn.Sequential(Bottleneck(), Bottleneck(), Bottleneck())
    graph, flow = flow_of(net, (1, 64, 8, 8))
    assert [m.G for m in flow.rows] == [8, 8, 8]
    assert all(m.mixes for m in flow.rows[1:]) and not flow.apart()
    assert [m.mixes for m in model_flow(net, (8, 8), channels=64).rows] == [m.mixes for m in flow.rows]
    assert flow.rows[1].reference == flow.rows[0].name  # the previous grouped conv, through dense 1×1s and the sum


@pytest.mark.parametrize("transpose", [True, False])
def test_a_shufflenet_v2_unit_is_traced_through_both_branches(transpose):
    # stride-1 units: chunk into halves, one half through the branch, concatenate, shuffle
    net = nn.Sequential(*[InvertedResidual(16, 16, 1, transpose) for _ in range(3)])
    graph, flow = flow_of(net, (1, 16, 8, 8))
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, (1, 16, 8, 8))).all()
    assert not reach.all() and reach.any(axis=1).all()  # some channels kept apart, none cut off


def test_the_default_exporters_graph_traces_the_same(tmp_path):
    net = GroupedStack(transpose=False).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 24, 8, 8),), str(tmp_path / "s.onnx"), dynamo=True, verbose=False)
    graph = read_graph((tmp_path / "s.onnx").read_bytes())
    flow = trace(graph, report_nodes(graph))
    assert [(m.row, m.share, m.sees) for m in flow.rows[1:]] == [(1, pytest.approx(1 / 3), 8), (2, pytest.approx(1 / 3), 8)]
    assert (channel_reach(graph, graph.inputs[0], graph.outputs[0]) == autograd_reach(net, (1, 24, 8, 8))).all()


def test_zoo_flows_match_the_reference_networks():
    # AlexNet (Krizhevsky et al. 2012): conv4 and conv5 are both split in two with nothing between them, so each
    # GPU's half never sees the other's; conv3 is dense, so conv4 sees all of conv2's input.
    from gconv.inspector.summary import of_zoo

    flow = of_zoo("alexnet").flow
    assert [(m.name, m.reference, m.mixes) for m in flow.rows] == [("conv2", "", True), ("conv4", "conv2", True),
                                                                   ("conv5", "conv4", False)]
    assert flow.rows[2].sees == 192 and [[m.name for m in run] for run in flow.apart()] == [["conv5"]]
    resnext = of_zoo("resnext50_32x4d").flow
    assert not resnext.apart() and len(resnext.rows) == 16


@pytest.mark.parametrize("mode", ["pixel_shuffle", "pixel_unshuffle"])
def test_pixel_shuffles_are_traced_channel_by_channel(mode):
    # DepthToSpace / SpaceToDepth move channels into positions and back; oracle: autograd.
    op = nn.PixelShuffle(2) if mode == "pixel_shuffle" else nn.PixelUnshuffle(2)
    net = nn.Sequential(nn.Conv2d(16, 16, 1, groups=4), op)
    graph, _ = flow_of(net, (1, 16, 8, 8))
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, (1, 16, 8, 8))).all() and not reach.all()


@pytest.mark.parametrize("norm", ["group", "instance", "batch"])
def test_normalizations_couple_what_their_statistics_span(norm):
    # GroupNorm's statistics span each group of channels, InstanceNorm's one channel, BatchNorm (eval) none.
    # Oracle: autograd.
    layer = {"group": nn.GroupNorm(2, 8), "instance": nn.InstanceNorm2d(8, affine=True), "batch": nn.BatchNorm2d(8)}
    net = nn.Sequential(nn.Conv2d(8, 8, 1, groups=4), layer[norm])
    graph, _ = flow_of(net, (1, 8, 6, 6))
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, (1, 8, 6, 6))).all()
    assert reach.sum(axis=1).tolist() == [4 if norm == "group" else 2] * 8


class BackToBack(nn.Module):
    """Two grouped convs with nothing between them, or a BatchNorm (which the exporter folds into the first)."""

    def __init__(self, norm: bool = False):
        super().__init__()
        self.a = nn.Conv2d(16, 16, 1, groups=4)
        self.norm = nn.BatchNorm2d(16) if norm else nn.Identity()
        self.b = nn.Conv2d(16, 16, 3, padding=1, groups=4)

    def forward(self, x):
        return self.b(self.norm(self.a(x)))


@pytest.mark.parametrize("norm", [False, True], ids=["back-to-back", "conv-bn-conv"])
def test_back_to_back_grouped_convs_reference_the_one_before(norm):
    # Issue [debug]: the first conv was given the second as its reference, and "3 in a row" was said of 2 convs.
    # Oracle: torch autograd: each output of b sees 4 of the 16 inputs of a (and of the graph input).
    net = BackToBack(norm)
    graph, flow = flow_of(net, (1, 16, 6, 6))
    assert [(m.reference, m.reference_row) for m in flow.rows] == [("", None), ("/a/Conv", 0)]
    assert [m.sees for m in flow.rows] == [4, 4]
    assert autograd_reach(net, (1, 16, 6, 6)).sum(axis=1).min() == 4
    report = read_onnx(export(net, (1, 16, 6, 6)))
    (finding,) = [f for f in diagnose(report, flow) if f.topic == "no-shuffle"]
    assert finding.rows == (0, 1) and finding.message.startswith("/a/Conv → /b/Conv: 2 grouped convs in a row")


def test_a_bug_in_a_rule_surfaces_and_only_the_named_signal_means_assumed(monkeypatch):
    # A rule that breaks is a bug: it raises, instead of quietly turning the op into "mixes everything"
    import gconv.inspector.channels as channels

    graph = read_graph(export(InvertedResidual(24, 24, 1), (1, 24, 8, 8)))  # chunk: Split or Slice, by picked
    nodes = [n for n in graph.nodes if n.op_type in ("Conv", "Gemm", "MatMul")]
    monkeypatch.setattr(channels, "picked", lambda *a, **k: {}["a bug"])
    with pytest.raises(KeyError, match="a bug"):
        trace(graph, nodes)

    def untraceable(*a, **k):
        raise channels.Untraceable

    monkeypatch.setattr(channels, "picked", untraceable)
    flow = trace(graph, nodes)
    split = next(n for n in graph.nodes if n.op_type in ("Split", "Slice"))
    assert f"{split.op_type} ({split.name})" in flow.assumed  # named, with its node
