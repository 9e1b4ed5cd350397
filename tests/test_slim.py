"""Networks of any size on the user's own machine (issue [debug] 7): the reader maps the file and parses it without
its weights' bytes (gconv/inspector/slim.py); a model in memory is exported without its parameters.

Oracles: onnx's own parser on the whole file (the slimmed graph is the same graph: every shape, dim and stored
count), the dims the test wrote, and the process's peak resident memory (VmHWM) against the file's size.
"""
import json
import subprocess
import sys
from math import prod
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch.nn as nn

from big_onnx import conv_chain, write_big
from gconv.errors import ONNXError
from gconv.inspector.graph import MAX_VALUE, concrete
from gconv.inspector.onnx_reader import read_graph
from gconv.inspector.slim import slim
from zoo_style import GroupedStack, InvertedResidual, export

ROOT = Path(__file__).resolve().parents[1]


def _same_graph(data: bytes):
    whole = concrete(onnx.load_model_from_string(data))  # onnx's parser on every byte
    slimmed = read_graph(data)
    assert slimmed.shapes == whole.shapes and slimmed.weights == whole.weights and slimmed.stored == whole.stored
    assert slimmed.values.keys() == whole.values.keys()
    assert all(np.array_equal(slimmed.values[k], whole.values[k]) for k in whole.values)
    assert [n.SerializeToString() for n in slimmed.nodes] == [n.SerializeToString() for n in whole.nodes]
    return slimmed


@pytest.mark.parametrize("net, shape", [(GroupedStack(), (1, 24, 8, 8)), (InvertedResidual(24, 24, 1), (1, 24, 8, 8)),
                                        (nn.Sequential(nn.Conv2d(256, 512, 3), nn.Flatten(), nn.LazyLinear(300)),
                                         (1, 256, 6, 6))], ids=["grouped", "shufflenet-v2", "large-weights"])
def test_the_slimmed_file_is_the_same_graph(net, shape):
    import torch

    net(torch.zeros(shape))  # the lazy layer takes its size
    data = export(net, shape)
    _same_graph(data)
    slimmed = slim(data)
    big = [t for t in onnx.load_model_from_string(data).graph.initializer if prod(t.dims) > MAX_VALUE]
    assert len(slimmed) < len(data) - sum(4 * prod(t.dims) for t in big) + 4096 or not big


def test_a_shape_value_keeps_its_bytes_and_a_weight_loses_them():
    graph, weights = conv_chain(C=128, convs=2)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 13)])
    for name, dims in weights:  # 128·128·9 = 147,456 elements: more than MAX_VALUE, never a shape's value
        model.graph.initializer.append(onnx.numpy_helper.from_array(np.ones(dims, np.float32), name))
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.arange(MAX_VALUE, dtype=np.int64), "index"))
    out = onnx.load_model_from_string(slim(model.SerializeToString()))
    kept = {t.name: t for t in out.graph.initializer}
    assert kept["index"].raw_data and kept["index"].data_location == onnx.TensorProto.DEFAULT
    assert all(not kept[n].raw_data and kept[n].data_location == onnx.TensorProto.EXTERNAL for n, _ in weights)
    assert [list(kept[n].dims) for n, _ in weights] == [d for _, d in weights]


@pytest.mark.parametrize("data", [b"\x3a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", b"\x3a\x10abc", b"\x0b\x0c",
                                  b"\x3a\x05\x2a\x80\x80\x80\x80", b"\x00\x01"],
                         ids=["varint-too-long", "length-past-end", "group", "truncated-varint", "field-0"])
def test_a_broken_wire_format_is_a_clear_error(data):
    with pytest.raises(ONNXError, match="protobuf could not be read"):
        read_graph(data)


@pytest.mark.slow
def test_a_network_larger_than_the_upload_limit_opens_in_a_fraction_of_its_size(tmp_path):
    # 12 dense 3×3 convs of 1024 channels: a 432 MiB file, over the page's 256 MiB cap. Parsing it whole takes
    # 2.1× the file (its bytes, then the parsed message); mapped and slimmed, the reader's peak stays far below.
    path = tmp_path / "big.onnx"
    size = write_big(path, C=1024, convs=12)
    # VmHWM, the peak resident set of this process image (getrusage's ru_maxrss keeps the forking parent's peak
    # across exec, and pytest's own is larger than the file)
    probe = ("import sys; from gconv.inspector.bounded import inspect_file; "
             "r, f = inspect_file(sys.argv[1], 'big.onnx', 2**62); "
             "peak = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]; "
             "print(r.total_params, len(r.layers), int(peak) * 1024)")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    params, layers, peak = map(int, out.stdout.split())
    assert params == 12 * 1024 * 1024 * 9 and layers == 12  # the dims written
    assert size > 400 * 2**20 and peak < 0.5 * size  # the bound is 1.5x; a whole read alone is 1x
    cli = subprocess.run([sys.executable, "-m", "gconv", "inspect", str(path), "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=600)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["total_params"] == 12 * 1024 * 1024 * 9


def test_a_model_in_memory_is_exported_without_its_parameters():
    # gconv.summary exports with export_params=False (and without the exporter's constant folding, whose shape
    # subgraphs graph.concrete evaluates): the weights' dims come from the parameter inputs, and the convs, their
    # shapes and the flow are the same. Oracle: the default export, with its parameters, read whole.
    import torch

    from gconv.inspector.flow import trace
    from gconv.inspector.hooks import onnx_export
    from gconv.inspector.onnx_reader import report_nodes

    net = GroupedStack().eval()
    x = torch.zeros(1, 24, 8, 8)
    light = onnx_export(net, (x,))
    assert len(light) < 20_000
    full = concrete(onnx.load_model_from_string(export(net, (1, 24, 8, 8))))
    graph = read_graph(light, inputs=1)
    assert graph.weights == full.weights and graph.inputs == full.inputs
    convs = [[graph.shape(n.output[0]) for n in report_nodes(g)] for g in (graph, full)]
    assert convs[0] == convs[1] and len(convs[0]) == 3
    assert trace(graph, report_nodes(graph)).rows == trace(full, report_nodes(full)).rows
