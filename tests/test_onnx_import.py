"""ONNX import: zoo models exported in the test round-trip to the same table; hostile files get a message."""
import io
import warnings
import zipfile

import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper

from gconv.inspector import zoo
from gconv.inspector.hooks import inspect_model, inspect_zoo
from gconv import ONNXError
from gconv.inspector.onnx_reader import MAX_BYTES, read_onnx


def export(model: nn.Module, size) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(1, 3, *size),), buf, dynamo=False)
    return buf.getvalue()


def key(layer):
    return (layer.op, layer.C, layer.N, layer.G, tuple(layer.kernel), tuple(layer.stride), tuple(layer.padding),
            tuple(layer.in_hw), tuple(layer.out_hw), layer.kind, layer.macs)


@pytest.mark.parametrize("name", ["mobilenet_v1", "mobilenet_v2", "shufflenet_v2", "mobilefacenet"])
def test_zoo_models_round_trip(name):
    data = export(zoo.build(name), zoo.INPUT_SIZES[name])
    got, ref = read_onnx(data, name), inspect_zoo(name)
    assert [key(a) for a in got.layers] == [key(b) for b in ref.layers]
    assert got.total_macs == ref.total_macs and got.input_size == ref.input_size


def test_grouped_conv_and_gemm_fields():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4),
                        nn.Flatten(), nn.Linear(8 * 5 * 5, 7))
    got, ref = read_onnx(export(net, (10, 10))), inspect_model(net, (10, 10))
    assert [key(a) for a in got.layers] == [key(b) for b in ref.layers]
    assert got.layers[1].G == 4 and got.layers[1].dilation == (2, 2) and got.layers[2].N == 7


def _tiny(dims=(1, 3, 8, 8)):
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=1)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_hand_built_model_and_huge_declared_shapes():
    r = read_onnx(_tiny().SerializeToString())
    assert r.layers[0].out_hw == (6, 6) and r.layers[0].macs == 4 * 27 * 36
    with pytest.raises(ONNXError, match="beyond"):
        read_onnx(_tiny((1, 3, 2**40, 2**40)).SerializeToString())


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.onnx", b"\0" * (50 * 2**20))  # 50 MiB of zeros in a few KiB
    return buf.getvalue()


HOSTILE = {  # name: (a function making the bytes, words the message must contain)
    "empty": (lambda: b"", "empty"),
    "random bytes": (lambda: bytes(range(256)) * 40, "not a valid ONNX file"),
    "protobuf without a graph": (lambda: b"\x08\x07", "no graph nodes"),
    "truncated real model": (lambda: export(zoo.build("mobilefacenet"), (112, 112))[:200_000], "not a valid"),
    "zip": (lambda: b"PK\x03\x04" + b"\0" * 100, "zip archive"),
    "zip bomb": (lambda: _zip_bomb(), "zip archive"),
    "pickle": (lambda: b"\x80\x04\x95\x00", "pickle"),
    "html": (lambda: b"<html><body>hi</body></html>", "not an ONNX model"),
    "gzip": (lambda: b"\x1f\x8b\x08\x00", "gzip"),
    "oversized": (lambda: b"\0" * (MAX_BYTES + 1), "limit"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_get_a_message(name):
    make, words = HOSTILE[name]
    with pytest.raises(ONNXError, match=words):
        read_onnx(make())


def test_no_conv():
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])])
    with pytest.raises(ONNXError, match="no 2-D Conv"):
        read_onnx(helper.make_model(graph).SerializeToString())
