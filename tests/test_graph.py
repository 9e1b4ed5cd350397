"""Real graphs in the inspector (issue [graph]): shapes the graph computes itself, the default exporter's external
weights, weights stored in other ways, and the shape-arithmetic evaluator against onnx's reference evaluator.

Modules from zoo_style.py, written the way the model zoos write them. Oracles: the torch model's own layers
through forward hooks, FlopCounterMode, counts by hand, and onnx.reference.ReferenceEvaluator.
"""
import warnings

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn

from gconv import ONNXError
from gconv.inspector.hooks import inspect_model
from gconv.inspector.onnx_reader import read_graph, read_onnx
from zoo_style import ECA, ShuffleNetV2, assert_exact, export, flow_of, key


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


def test_a_deduplicated_zero_bias_still_counts():
    # Two convs whose biases are both zero: the exporter stores one zero vector and reads it twice through
    # Identity. Oracle: nn.Conv2d's own parameter count (weight + bias).
    net = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.Conv2d(8, 8, 3, padding=1, groups=2))
    with torch.no_grad():
        for conv in net:
            conv.bias.zero_()
    report = read_onnx(export(net, (1, 8, 6, 6)))
    assert [layer.params for layer in report.layers] == [sum(p.numel() for p in conv.parameters()) for conv in net]


def test_a_network_with_a_1d_conv_opens_and_names_what_it_leaves_out():
    net = ECA().eval()
    report = read_onnx(export(net, (1, 16, 8, 8)))
    assert_exact(report, net, (8, 8), channels=16)  # the 2-D conv, as torch ran it
    assert len(report.skipped) == 1 and "eca" in report.skipped[0]
    graph, flow = flow_of(net, (1, 16, 8, 8))
    assert [m.G for m in flow.rows] == [4]  # traced through the 1-D conv (as mixing: never a false "apart")
