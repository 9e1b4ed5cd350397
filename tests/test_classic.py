"""The ONNX model zoo's classics (issue [classic]): files written before IR 4 (every initializer also a graph input),
weights built in the graph as ConstantOfShape of a stored shape, and stacks judged by whether their groups ever mix.

Oracles: each graph's own weight dims (stored, or the stored shape a ConstantOfShape fills) and its `group`
attribute; the same network written the modern way; Krizhevsky et al. 2012 / Caffe's reference AlexNet (60,965,224
parameters, the project's zoo model; conv5 reads conv4's two halves apart); ShuffleNet v1 (Zhang et al. 2018): its
shuffle lets every group reach every other within a unit, so a correct one has no stack whose groups never mix.
"""
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from gconv import GConvError
from gconv.inspector.bounded import inspect_file
from gconv.inspector.diagnose import diagnose
from gconv.inspector.onnx_reader import read_onnx
from zoo_style import Bottleneck, ShuffleNetV2, ShuffleV1Stack, export, key

BACKEND = Path(onnx.__file__).parent / "backend" / "test" / "data"
CLASSICS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
            "vgg19", "zfnet512"]


def old_style(data: bytes) -> bytes:
    """The same model as a file written for IR 3: every initializer listed among the graph inputs too."""
    model = onnx.load_model_from_string(data)
    model.graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                             for t in model.graph.initializer)
    model.ir_version = 3
    return model.SerializeToString()


def _rebuilt(model, initializers: list, nodes: list) -> bytes:
    """The model with these initializers, and these nodes before its own."""
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    old = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(nodes + old)
    return model.SerializeToString()


def light(data: bytes) -> bytes:
    """The same model as the zoo's light copies write it: each float weight built as ConstantOfShape(its dims)."""
    model = onnx.load_model_from_string(data)
    nodes, keep = [], []
    for t in model.graph.initializer:
        if t.data_type == TensorProto.FLOAT and len(t.dims) > 0:
            keep.append(numpy_helper.from_array(np.array(t.dims, np.int64), t.name + "__SHAPE"))
            nodes.append(helper.make_node("ConstantOfShape", [t.name + "__SHAPE"], [t.name],
                                          value=numpy_helper.from_array(np.array([0.5], np.float32))))
        else:
            keep.append(t)
    return _rebuilt(model, keep, nodes)


def built(data: bytes) -> bytes:
    """Each float weight built from a stored shape through the ops the zoo's converters chain: ConstantOfShape of
    its dims with the kernel's two axes swapped, Transpose back, Cast, Identity; or of its element count, Reshape."""
    model = onnx.load_model_from_string(data)
    nodes, keep = [], []
    for i, t in enumerate(model.graph.initializer):
        if t.data_type != TensorProto.FLOAT or len(t.dims) == 0:
            keep.append(t)
            continue
        dims, n = list(t.dims), t.name
        if len(dims) == 4 and i % 2 == 0:
            keep.append(numpy_helper.from_array(np.array(dims[:2] + dims[:1:-1], np.int64), n + "__S"))
            nodes += [helper.make_node("ConstantOfShape", [n + "__S"], [n + "__a"]),
                      helper.make_node("Transpose", [n + "__a"], [n + "__b"], perm=[0, 1, 3, 2]),
                      helper.make_node("Cast", [n + "__b"], [n + "__c"], to=TensorProto.FLOAT),
                      helper.make_node("Identity", [n + "__c"], [n])]
        else:
            keep += [numpy_helper.from_array(np.array([int(np.prod(dims))], np.int64), n + "__S"),
                     numpy_helper.from_array(np.array(dims, np.int64), n + "__D")]
            nodes += [helper.make_node("ConstantOfShape", [n + "__S"], [n + "__a"]),
                      helper.make_node("Reshape", [n + "__a", n + "__D"], [n])]
    return _rebuilt(model, keep, nodes)


@pytest.mark.parametrize("form", [old_style, light, lambda d: light(old_style(d)), built],
                         ids=["ir3", "light", "both", "transpose-cast-identity-reshape"])
def test_old_files_open_with_the_counts_of_the_modern_one(form):
    net = nn.Sequential(Bottleneck(), Bottleneck())
    data = export(net, (1, 64, 8, 8))
    modern, classic = read_onnx(data), read_onnx(form(data))
    assert [key(a) for a in classic.layers] == [key(b) for b in modern.layers]
    assert classic.total_macs == modern.total_macs and classic.total_params == modern.total_params


def _read(data: bytes):
    from gconv.inspector.flow import trace
    from gconv.inspector.onnx_reader import read_graph, report_nodes

    graph = read_graph(data)
    return read_onnx(data, "m.onnx", graph), trace(graph, report_nodes(graph))


@pytest.mark.parametrize("net, shape", [(ShuffleV1Stack(), (1, 3, 8, 8)),
                                        (nn.Sequential(Bottleneck(), Bottleneck()), (1, 64, 8, 8)),
                                        (ShuffleNetV2(), (1, 3, 64, 64))], ids=["shufflenet-v1", "resnext", "v2"])
def test_correct_shuffles_raise_no_warning(net, shape):
    report, flow = _read(export(net, shape))
    assert not [f for f in diagnose(report, flow) if f.topic == "no-shuffle"]
    assert not flow.apart_rows()  # the figure draws no conv as apart either
    if isinstance(net, ShuffleV1Stack):  # the pairs at unit boundaries alone do not mix: the stack does
        assert any(not m.mixes for m in flow.rows)


@pytest.mark.parametrize("shuffle", ["none", "view"])
def test_a_shufflenet_v1_without_its_shuffle_is_flagged(shuffle):
    report, flow = _read(export(ShuffleV1Stack(shuffle=shuffle), (1, 3, 8, 8)))
    found = [f for f in diagnose(report, flow) if f.topic == "no-shuffle"]
    grouped = [i for i, layer in enumerate(report.layers) if layer.G == 4]
    assert len(found) == 1 and set(found[0].rows) == set(grouped)  # all six grouped 1×1 convs, one stack
    assert flow.apart_rows() == set(grouped[1:])


def weight_dims(model) -> dict[str, list[int]]:
    """Every Conv weight's dims as the graph stores them: an initializer's, or the shape a ConstantOfShape fills."""
    stored = {t.name: t for t in model.graph.initializer}
    dims = {name: list(t.dims) for name, t in stored.items()}
    for node in model.graph.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in stored:
            dims[node.output[0]] = [int(d) for d in numpy_helper.to_array(stored[node.input[0]])]
    return dims


@pytest.mark.slow
@pytest.mark.parametrize("name", CLASSICS)
def test_the_zoo_classics_open_with_their_own_weight_dims(name):
    path = BACKEND / "light" / f"light_{name}.onnx"
    model = onnx.load(path)
    report, flow = inspect_file(str(path), path.name, 2**30)
    dims = weight_dims(model)
    convs = [n for n in model.graph.node if n.op_type == "Conv" and len(dims[n.input[1]]) == 4]
    expected = []
    for n in convs:
        N, cg, kh, kw = dims[n.input[1]]
        G = next((a.i for a in n.attribute if a.name == "group"), 1)
        expected.append((cg * G, N, G, (kh, kw)))
    got = [(layer.C, layer.N, layer.G, tuple(layer.kernel)) for layer in report.layers if layer.op == "conv"]
    assert got == expected
    findings = [f for f in diagnose(report, flow) if f.topic == "no-shuffle"]
    if name == "bvlc_alexnet":
        from gconv.inspector.hooks import inspect_zoo

        assert report.total_params == inspect_zoo("alexnet").total_params == 60_965_224
        assert [[report.layers[r].name for r in f.rows] for f in findings] == [["n10", "n12"]]  # conv4 → conv5
    else:
        assert not findings, [f.message for f in findings]


@pytest.mark.slow
def test_every_file_of_the_onnx_backend_test_data_opens_or_says_why():
    files = sorted(BACKEND.rglob("*.onnx"))
    assert len(files) >= 100
    opened = refused = 0
    for path in files:
        try:
            report, _ = inspect_file(str(path), path.name, 2**30)
            opened += 1
            assert report.layers
        except GConvError as e:
            refused += 1
            assert str(e).strip(), path
    assert opened >= 9 + 10 and refused > 0  # the classics and the pytorch-converted convs open


def test_bvlc_alexnet_opens_on_the_page():
    # The upload path: the bounded reader process, the table, the flow and the diagnostics of the classic
    from apptest import metric, run_app, shown

    path = BACKEND / "light" / "light_bvlc_alexnet.onnx"
    at = run_app("pages/inspect.py", source="onnx")
    at.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert metric(at, "conv + linear layers") == "8" and metric(at, "parameters").replace(",", "") == "60965224"
    assert any("n10 → n12" in shown(m.value) and "never mix" in m.value for m in at.markdown)
