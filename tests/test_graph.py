"""Real graphs in the inspector (issue [graph]): shapes the graph computes itself, the default exporter's external
weights, and channel flow traced through the graph.

The modules are written the way the big model zoos write them: torchvision's ShuffleNet V2 channel_shuffle
(x.size(), view, transpose, contiguous, view) and its chunk(2, dim=1), flatten, ResNeXt's bottleneck. Oracles:
the torch model itself through forward hooks (inspect_model: nn.Conv2d's own fields and the output sizes it
produced), and torch autograd for which input channels each output channel depends on.
"""
import io
import warnings

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn

from gconv import ONNXError
from gconv.inspector.diagnose import diagnose
from gconv.inspector.flow import channel_reach, trace
from gconv.inspector.hooks import inspect_model, model_flow
from gconv.inspector.onnx_reader import read_graph, read_onnx, report_nodes


def channel_shuffle(x, groups: int, transpose: bool = True):
    """torchvision.models.shufflenetv2.channel_shuffle; transpose=False is the bug: view then view is the identity."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    if transpose:
        x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class InvertedResidual(nn.Module):
    """torchvision's ShuffleNet V2 unit: stride 1 splits the channels with chunk, stride 2 runs two branches."""

    def __init__(self, inp: int, oup: int, stride: int, transpose: bool = True):
        super().__init__()
        self.stride, self.transpose = stride, transpose
        f = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(inp, inp, 3, stride, 1, bias=False, groups=inp), nn.BatchNorm2d(inp),
                                         nn.Conv2d(inp, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True),
            nn.Conv2d(f, f, 3, stride, 1, bias=False, groups=f), nn.BatchNorm2d(f),
            nn.Conv2d(f, f, 1, bias=False), nn.BatchNorm2d(f), nn.ReLU(inplace=True))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2, self.transpose)


class ShuffleNetV2(nn.Module):
    """A small ShuffleNet V2 as torchvision writes it: stem, max-pool, stages of units, conv5, mean, fc."""

    def __init__(self, widths=(24, 48, 96), repeats=(3, 2), classes=10):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, inp = [], widths[0]
        for oup, r in zip(widths[1:], repeats):
            stages += [InvertedResidual(inp, oup, 2)] + [InvertedResidual(oup, oup, 1) for _ in range(r - 1)]
            inp = oup
        self.stages = nn.Sequential(*stages)
        self.conv5 = nn.Sequential(nn.Conv2d(inp, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


class GroupedStack(nn.Module):
    """ShuffleNet V1's idea: grouped 1×1 convs with a channel shuffle between them, then a pooled flatten head."""

    def __init__(self, C: int = 24, g: int = 3, layers: int = 3, transpose: bool = True):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(C, C, 1, groups=g, bias=False) for _ in range(layers))
        self.g, self.transpose = g, transpose

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))
            if i < len(self.convs) - 1:
                x = channel_shuffle(x, self.g, self.transpose)
        return x


class Bottleneck(nn.Module):
    """torchvision's ResNeXt bottleneck: dense 1×1, grouped 3×3, dense 1×1, plus the identity."""

    def __init__(self, C: int = 64, width: int = 32, groups: int = 8):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(C, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, C, 1, bias=False),
                                  nn.BatchNorm2d(C))

    def forward(self, x):
        return torch.relu(self.body(x) + x)


def export(model: nn.Module, shape, **kwargs) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(*shape),), buf, dynamo=False, **kwargs)
    return buf.getvalue()


def key(layer):
    return (layer.op, layer.C, layer.N, layer.G, tuple(layer.kernel), tuple(layer.stride), tuple(layer.padding),
            tuple(layer.in_hw), tuple(layer.out_hw), layer.kind, layer.macs)


def assert_exact(report, model, size, channels: int = 3):
    """Oracle: the torch model's own layers and the sizes it produced (forward hooks)."""
    ref = inspect_model(model, size, channels=channels)
    assert [key(a) for a in report.layers] == [key(b) for b in ref.layers]
    assert report.total_macs == ref.total_macs and report.input_size == size


def test_shapes_the_graph_computes_itself_resolve_exactly():
    torch.manual_seed(0)
    net = ShuffleNetV2()
    data = export(net, (1, 3, 64, 64))
    # the hard case: onnx's own inference leaves convs after the first chunk/shuffle without shapes
    inferred = onnx.shape_inference.infer_shapes(onnx.load_model_from_string(data), data_prop=True)
    known = {v.name for v in inferred.graph.value_info if all(d.HasField("dim_value")
                                                               for d in v.type.tensor_type.shape.dim)}
    convs = [n for n in inferred.graph.node if n.op_type == "Conv"]
    assert sum(n.input[0] not in known and n.input[0] != "input.1" for n in convs) > 5
    assert_exact(read_onnx(data), net, (64, 64))


def test_a_dynamic_batch_axis_counts_as_one():
    net = ShuffleNetV2()
    data = export(net, (2, 3, 64, 64), input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    assert_exact(read_onnx(data), net, (64, 64))


def test_a_dynamic_image_size_is_still_refused_with_the_reason():
    data = export(ShuffleNetV2(), (1, 3, 64, 64), input_names=["x"], dynamic_axes={"x": {2: "h", 3: "w"}})
    with pytest.raises(ONNXError, match="fixed input size"):
        read_onnx(data)


def test_the_default_exporter_with_external_weights_opens_from_the_onnx_alone(tmp_path, capsys):
    from gconv import cli

    net = ShuffleNetV2().eval()
    path, inline = tmp_path / "v2.onnx", tmp_path / "v2_inline.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), str(path), dynamo=True, verbose=False)
        torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), str(inline), dynamo=True, external_data=False,
                          verbose=False)
    data_file = tmp_path / "v2.onnx.data"
    assert data_file.exists()  # the default writes the weights beside the graph
    model = onnx.load_model_from_string(path.read_bytes())
    assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    data_file.unlink()  # an upload carries the .onnx alone
    external, together = read_onnx(path.read_bytes()), read_onnx(inline.read_bytes())
    assert_exact(external, net, (64, 64))
    assert [key(a) for a in external.layers] == [key(b) for b in together.layers]
    assert external.total_params == together.total_params  # the dims are in the .onnx; the values are not needed
    capsys.readouterr()
    assert cli.main(["inspect", str(path), "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out)["total_macs"] == inspect_model(net, (64, 64)).total_macs


def test_a_shape_that_needs_external_values_says_so():
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, 8, 4, 4])
    shape.ClearField("int64_data")
    shape.data_location = TensorProto.EXTERNAL
    shape.external_data.add(key="location", value="weights.data")
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 4, 3, 3], np.zeros(288, np.float32))
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"]), helper.make_node("Conv", ["r", "w"], ["y"], group=2)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 128])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [shape, w])
    with pytest.raises(ONNXError, match="external file") as e:
        read_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    assert "'shape'" in str(e.value)


# --- channel flow -----------------------------------------------------------------------------------------------

def autograd_reach(model: nn.Module, shape) -> np.ndarray:
    """Oracle: (output channel, input channel) pairs with a nonzero gradient, from torch autograd. Positive weights
    and inputs keep every ReLU open, so a gradient is zero only where the structure has no path."""
    import copy

    torch.manual_seed(1)
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.uniform_(0.1, 1.0)
    x = torch.rand(*shape).add_(0.1).requires_grad_(True)
    y = model(x)
    out = np.zeros((y.shape[1], x.shape[1]), bool)
    for n in range(y.shape[1]):  # random weights per position: a normalized channel's plain sum is a constant
        (g,) = torch.autograd.grad((y[:, n] * torch.rand_like(y[:, n])).sum(), x, retain_graph=True)
        out[n] = (g.abs().sum(dim=(0, 2, 3)) > 0).numpy()
    return out


def flow_of(model: nn.Module, shape):
    graph = read_graph(export(model, shape))
    return graph, trace(graph, report_nodes(graph))


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
    from gconv.inspector.hooks import zoo_flow

    flow = zoo_flow("alexnet")
    assert [(m.name, m.reference, m.mixes) for m in flow.rows] == [("conv2", "", True), ("conv4", "conv2", True),
                                                                   ("conv5", "conv4", False)]
    assert flow.rows[2].sees == 192 and [[m.name for m in run] for run in flow.apart()] == [["conv5"]]
    assert not zoo_flow("resnext50_32x4d").apart() and len(zoo_flow("resnext50_32x4d").rows) == 16


# --- the shape-arithmetic evaluator, op by op, against onnx's own reference evaluator ----------------------------

I64 = np.int64
EVALUATOR_CASES = [  # (op, inputs, attributes)
    ("Gather", [np.array([1, 24, 56, 56], I64), np.array(1, I64)], {"axis": 0}),
    ("Gather", [np.array([1, 24, 56, 56], I64), np.array([0, 2], I64)], {"axis": 0}),
    ("Slice", [np.array([1, 24, 56, 56], I64), np.array([1], I64), np.array([3], I64)], {}),
    ("Slice", [np.arange(10, dtype=I64), np.array([-1], I64), np.array([-100], I64), np.array([0], I64),
               np.array([-2], I64)], {}),
    ("Concat", [np.array([1], I64), np.array([2, 12], I64), np.array([56], I64)], {"axis": 0}),
    ("Unsqueeze", [np.array(7, I64), np.array([0], I64)], {}),
    ("Squeeze", [np.array([[7]], I64), np.array([0, 1], I64)], {}),
    ("Add", [np.array([24], I64), np.array([1], I64)], {}),
    ("Sub", [np.array([24], I64), np.array([30], I64)], {}),
    ("Mul", [np.array([12], I64), np.array([2], I64)], {}),
    ("Div", [np.array([25, -25, 7], I64), np.array([2, 2, -2], I64)], {}),  # integer Div truncates toward zero
    ("Div", [np.array([25.0], np.float32), np.array([2.0], np.float32)], {}),
    ("Reshape", [np.arange(6, dtype=I64), np.array([2, -1], I64)], {}),
    ("Reshape", [np.arange(6, dtype=I64).reshape(2, 3), np.array([0, 3], I64)], {}),
    ("Transpose", [np.arange(6, dtype=I64).reshape(1, 2, 3)], {"perm": [2, 0, 1]}),
    ("Expand", [np.array([[1], [2]], I64), np.array([2, 3], I64)], {}),
    ("Cast", [np.array([2.7, -2.7], np.float32)], {"to": onnx.TensorProto.INT64}),
    ("Floor", [np.array([2.5, -2.5], np.float32)], {}),
    ("Range", [np.array(0, I64), np.array(10, I64), np.array(3, I64)], {}),
    ("ConstantOfShape", [np.array([2, 3], I64)], {"value": onnx.helper.make_tensor("v", onnx.TensorProto.INT64, [1], [5])}),
    ("Equal", [np.array([1, 2], I64), np.array([1, 3], I64)], {}),
    ("Where", [np.array([True, False]), np.array([1, 2], I64), np.array([3, 4], I64)], {}),
    ("ReduceProd", [np.array([2, 3, 4], I64)], {"keepdims": 0}),
]


@pytest.mark.parametrize("op,inputs,attrs", EVALUATOR_CASES, ids=[c[0] for c in EVALUATOR_CASES])
def test_shape_arithmetic_matches_onnx_reference(op, inputs, attrs):
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    from gconv.inspector.graph import evaluate

    names = [f"i{k}" for k in range(len(inputs))]
    node = helper.make_node(op, names, ["out"], **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype),
                                                                          v.shape) for n, v in zip(names, inputs)],
                              [helper.make_tensor_value_info("out", onnx.TensorProto.UNDEFINED, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    (expected,) = ReferenceEvaluator(model).run(None, dict(zip(names, inputs)))
    (got,) = evaluate(node, inputs, {}, 18)
    assert got.shape == expected.shape and (got == expected).all() and got.dtype == expected.dtype


def test_shape_reads_the_inferred_shape_and_split_gives_every_part():
    from onnx import helper

    from gconv.inspector.graph import evaluate

    (shape,) = evaluate(helper.make_node("Shape", ["x"], ["s"], start=1), [None], {"x": [1, 24, 56, 56]}, 18)
    assert shape.tolist() == [24, 56, 56] and shape.dtype == np.int64
    assert evaluate(helper.make_node("Shape", ["x"], ["s"]), [None], {"x": [1, None, 4, 4]}, 18) is None
    parts = evaluate(helper.make_node("Split", ["x", "sizes"], ["a", "b"], axis=0),
                     [np.arange(5, dtype=I64), np.array([2, 3], I64)], {}, 18)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3, 4]]


def test_hostile_shape_arithmetic_is_not_evaluated():
    # A graph asking for a 10¹²-element constant and a range of 10¹² steps: sized first, never allocated; the
    # convs still open (oracle: the group rule, 8 inputs in 2 groups → weight 8×4×3×3).
    from onnx import TensorProto, helper

    big = helper.make_tensor("big", TensorProto.INT64, [1], [10**12])
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 4, 3, 3], np.zeros(288, np.float32))
    nodes = [helper.make_node("ConstantOfShape", ["big"], ["huge"]),
             helper.make_node("Range", ["zero", "big1", "one"], ["steps"]),
             helper.make_node("Conv", ["x", "w"], ["y"], group=2, pads=[1, 1, 1, 1])]
    scalars = [helper.make_tensor(n, TensorProto.INT64, [], [v]) for n, v in (("zero", 0), ("big1", 10**12),
                                                                              ("one", 1))]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("huge", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("steps", TensorProto.INT64, None)], [big, w, *scalars])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    (layer,) = read_onnx(data).layers
    assert (layer.C, layer.N, layer.G, layer.macs) == (8, 8, 2, 8 * 4 * 9 * 36)
    g = read_graph(data)
    assert "huge" not in g.values and "steps" not in g.values


class Tokens(nn.Module):
    """A patch-embedding conv, then a linear layer on the tokens flattened to (batch × tokens, features), as
    attention blocks write their projections."""

    def __init__(self):
        super().__init__()
        self.patch, self.proj = nn.Conv2d(3, 32, 4, 4), nn.Linear(32, 48)

    def forward(self, x):
        x = self.patch(x)
        b, c, h, w = x.size()
        return self.proj(x.flatten(2).transpose(1, 2).reshape(-1, c))


@pytest.mark.parametrize("batch", [1, 2])
def test_a_linear_layer_on_flattened_tokens_counts_every_token(batch):
    # Oracle: torch's FlopCounterMode (FLOPs = 2 × MACs), per sample.
    from torch.utils.flop_counter import FlopCounterMode

    net = Tokens().eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(batch, 3, 32, 32))
    report = read_onnx(export(net, (batch, 3, 32, 32)))
    assert report.total_macs == counter.get_total_flops() // 2 // batch
    assert [layer.op for layer in report.layers] == ["conv", "linear"]


@pytest.mark.parametrize("mode", ["pixel_shuffle", "pixel_unshuffle"])
def test_pixel_shuffles_are_traced_channel_by_channel(mode):
    # DepthToSpace / SpaceToDepth move channels into positions and back; oracle: autograd.
    op = nn.PixelShuffle(2) if mode == "pixel_shuffle" else nn.PixelUnshuffle(2)
    net = nn.Sequential(nn.Conv2d(16, 16, 1, groups=4), op)
    graph, _ = flow_of(net, (1, 16, 8, 8))
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, (1, 16, 8, 8))).all() and not reach.all()


def test_a_quantized_weight_through_dequantize_linear_is_read():
    # QDQ models store int8 weights and dequantize them in the graph; the conv's weight is another node's
    # output whose dims shape inference knows. Oracle: the group rule, 16 inputs in 4 groups → 16×4×3×3.
    from onnx import TensorProto, helper

    q = helper.make_tensor("wq", TensorProto.INT8, [16, 4, 3, 3], np.ones(576, np.int8))
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [0.1])
    nodes = [helper.make_node("DequantizeLinear", ["wq", "scale"], ["w"]),
             helper.make_node("Conv", ["x", "w"], ["y"], group=4, pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [q, scale])
    report = read_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]).SerializeToString())
    (layer,) = report.layers
    assert (layer.C, layer.N, layer.G, layer.kernel, layer.macs) == (16, 16, 4, (3, 3), 16 * 4 * 9 * 64)
    assert report.total_params == 576 + 1  # the int8 weight and its scale


def test_weights_the_exporter_deduplicates_are_still_read():
    # A fresh TransformerEncoder deep-copies one layer, so its layers start with equal weights, and the exporter
    # stores each once, reading the copies through Identity nodes. Oracle: the layer's projections counted by hand
    # (per token: d·3d for Q, K, V, d·d out, d·f and f·d feed-forward), and nn.Conv2d's patch embedding.
    class ViT(nn.Module):
        def __init__(self):
            super().__init__()
            self.patch = nn.Conv2d(3, 32, 8, 8)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 3)
            self.head = nn.Linear(32, 10)

        def forward(self, x):
            return self.head(self.encoder(self.patch(x).flatten(2).transpose(1, 2)).mean(1))

    net = ViT().eval()
    report = read_onnx(export(net, (1, 3, 32, 32)))
    tokens, d, f = 16, 32, 64
    assert len(report.layers) == 1 + 3 * 4 + 1  # the patch conv, four projections per layer, the head
    assert report.total_macs == 32 * 3 * 8 * 8 * tokens + 3 * tokens * (d * 3 * d + d * d + 2 * d * f) + d * 10


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


def test_a_deduplicated_zero_bias_still_counts():
    # Two convs whose biases are both zero: the exporter stores one zero vector and reads it twice through
    # Identity. Oracle: nn.Conv2d's own parameter count (weight + bias).
    net = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.Conv2d(8, 8, 3, padding=1, groups=2))
    with torch.no_grad():
        for conv in net:
            conv.bias.zero_()
    report = read_onnx(export(net, (1, 8, 6, 6)))
    assert [layer.params for layer in report.layers] == [sum(p.numel() for p in conv.parameters()) for conv in net]


class ECA(nn.Module):
    """Efficient channel attention (Wang et al., CVPR 2020) as its reference code writes it: a Conv1d across the
    pooled channels, between 2-D convs."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 3, padding=1, groups=4)
        self.eca = nn.Conv1d(1, 1, 3, padding=1, bias=False)

    def forward(self, x):
        x = self.conv(x)
        y = self.eca(nn.functional.adaptive_avg_pool2d(x, 1).squeeze(-1).transpose(-1, -2))
        return x * torch.sigmoid(y.transpose(-1, -2).unsqueeze(-1))


def test_a_network_with_a_1d_conv_opens_and_names_what_it_leaves_out():
    net = ECA().eval()
    report = read_onnx(export(net, (1, 16, 8, 8)))
    assert_exact(report, net, (8, 8), channels=16)  # the 2-D conv, as torch ran it
    assert len(report.skipped) == 1 and "eca" in report.skipped[0]
    graph, flow = flow_of(net, (1, 16, 8, 8))
    assert [m.G for m in flow.rows] == [4]  # traced through the 1-D conv (as mixing: never a false "apart")
