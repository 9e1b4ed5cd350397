"""A fuzz campaign against the ONNX reader (issue [harden]): real exports, mutated, read by the bounded reader process.

Seeds: torch exports of the zoo's ShuffleNet V2 and MobileFaceNet and of the zoo-style modules (channel shuffle
with Shape/Gather/Reshape, grouped stacks, ResNeXt bottlenecks, ECA's Conv1d). Mutations: dims in shape constants
up to 10¹², attributes (group, pads, strides, dilations, kernel_shape, axis, to) including 0 and negatives, operator
types swapped among the shape ops, edges rewired (into cycles, to tensors that do not exist), bytes truncated and
flipped. Oracle: the contract itself: every case ends in a report or a GConvError within the limits; none in a
traceback (WorkerError), a hang (the wall limit) or a reader killed from outside.

Hypothesis runs derandomized (a fixed seed) within a time budget: cases after it pass without running, and the
campaign asserts that it ran at least MIN_CASES.
"""
import functools
import time

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import numpy_helper

from gconv import GConvError
from gconv.inspector.bounded import Limits, Reader

pytestmark = pytest.mark.slow

BUDGET = 60.0  # seconds of cases; 2 cores read 20-40 cases a second, so max_examples usually ends it first
MIN_CASES = 100
LIMITS = Limits(memory=1536 * 2**20, cpu=20, wall=60)
SHAPE_OPS = ["Shape", "Reshape", "Expand", "Tile", "Range", "ConstantOfShape", "Gather", "Slice", "Concat",
             "Unsqueeze", "Squeeze", "ReduceProd", "Mul", "Add", "Div", "Transpose", "Split", "Cast", "Flatten"]
ATTRS = ["group", "pads", "strides", "dilations", "kernel_shape", "axis", "axes", "perm", "to", "keepdims"]
NUMBERS = st.one_of(st.sampled_from([0, -1, -2, 1, 2, 3, 7, 2**31, 2**63 - 1]), st.integers(-10, 10**12),
                    st.integers(0, 12).map(lambda k: 10**k))
FAULTS = {"err.reader_wall", "err.reader_died"}  # a hang, or a reader that something else killed
campaign = {"start": None, "ran": 0, "kinds": {}}


@functools.cache
def seeds() -> dict[str, bytes]:
    """The exports, built once (a module-level cache, not a fixture: hypothesis prints a failing case's arguments)."""
    import torch

    from gconv.inspector import zoo
    from zoo_style import ECA, Bottleneck, GroupedStack, ShuffleNetV2, export

    torch.manual_seed(0)  # the same weights every run: a byte flip lands on the same byte

    return {"shufflenet_v2": export(zoo.build("shufflenet_v2"), (1, 3, 64, 64)),
            "mobilefacenet": export(zoo.build("mobilefacenet"), (1, 3, 112, 112)),
            "shufflenet_v2_style": export(ShuffleNetV2(), (1, 3, 64, 64)),
            "grouped_stack": export(GroupedStack(), (1, 24, 8, 8)),
            "bottleneck": export(Bottleneck(64, 32), (1, 64, 16, 16)),
            "eca": export(ECA(), (1, 16, 16, 16))}


@functools.cache
def reader() -> Reader:
    return Reader(LIMITS)


@pytest.fixture(scope="module", autouse=True)
def stop_reader():
    yield
    reader().stop()


def pick(data, items, label: str):
    """One of items, drawn by index so that a failing case prints as numbers."""
    return items[data.draw(st.integers(0, len(items) - 1), label=label)]


def _int_tensors(model):
    """Integer constants a shape computation reads: initializers and Constant nodes' values."""
    out = [t for t in model.graph.initializer if t.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32)
           and 0 < np.prod(t.dims, dtype=np.int64) <= 8]
    for node in model.graph.node:
        if node.op_type == "Constant":
            out += [a.t for a in node.attribute if a.name == "value" and a.t.data_type == onnx.TensorProto.INT64]
    return out


def mutate(model, data, kind: str) -> bytes | None:
    """One mutation of this kind, its choices drawn from data; None when the model has nothing of the kind."""
    nodes = list(model.graph.node)
    if kind == "dims":
        tensors = _int_tensors(model)
        if not tensors:
            return None
        t = pick(data, tensors, "tensor")
        array = numpy_helper.to_array(t).astype(np.int64).reshape(-1)
        array[data.draw(st.integers(0, max(len(array) - 1, 0)))] = data.draw(NUMBERS) if len(array) else 0
        t.CopyFrom(numpy_helper.from_array(array.reshape(numpy_helper.to_array(t).shape), t.name))
    elif kind == "attribute":
        found = [(n, a) for n in nodes for a in n.attribute if a.name in ATTRS]
        if not found:
            return None
        node, attr = pick(data, found, "attribute")
        if attr.type == onnx.AttributeProto.INTS:
            values = data.draw(st.lists(NUMBERS, min_size=0, max_size=6))
            del attr.ints[:]
            attr.ints.extend(min(max(v, -2**63), 2**63 - 1) for v in values)
        elif attr.type == onnx.AttributeProto.INT:
            attr.i = data.draw(NUMBERS) % 2**63 * data.draw(st.sampled_from([1, -1]))
    elif kind == "op":
        shape_nodes = [n for n in nodes if n.op_type in SHAPE_OPS + ["Conv"]]
        if not shape_nodes:
            return None
        pick(data, shape_nodes, "node").op_type = data.draw(st.sampled_from(SHAPE_OPS + ["Conv"]))
    elif kind == "edge":
        node = pick(data, [n for n in nodes if n.input], "node")
        outputs = [o for n in nodes for o in n.output] + ["nowhere"]
        node.input[data.draw(st.integers(0, len(node.input) - 1))] = pick(data, outputs, "tensor")
    raw = model.SerializeToString()
    if kind == "bytes":
        raw = bytearray(raw)
        if data.draw(st.booleans()):
            raw = raw[:data.draw(st.integers(0, len(raw)))]
        for _ in range(data.draw(st.integers(1, 8))):
            if raw:
                raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        raw = bytes(raw)
    return raw


@settings(max_examples=800, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_mutated_export_ends_in_a_report_or_a_gconv_error(tmp_path_factory, data):
    campaign["start"] = campaign["start"] or time.monotonic()
    if time.monotonic() - campaign["start"] > BUDGET:
        return
    name = data.draw(st.sampled_from(sorted(seeds())))
    kinds = data.draw(st.lists(st.sampled_from(["dims", "attribute", "op", "edge", "bytes"]), min_size=1,
                               max_size=3))
    model = onnx.load_model_from_string(seeds()[name])
    raw = None
    for kind in sorted(kinds, key=lambda k: k == "bytes"):  # bytes last: the other mutations need a model
        raw = mutate(model, data, kind) or raw
    if raw is None:
        return
    path = tmp_path_factory.mktemp("case") / "case.onnx"
    path.write_bytes(raw)
    try:
        report, flow = reader().read(str(path), "case.onnx")
        outcome = "report"
        assert report.layers is not None and (isinstance(flow, GConvError) or flow.rows is not None)
    except GConvError as e:
        key = getattr(e.args[0], "key", "") if e.args else ""
        assert key not in FAULTS, (name, kinds, str(e))
        outcome = key or "GConvError"
    campaign["ran"] += 1
    campaign["kinds"][outcome] = campaign["kinds"].get(outcome, 0) + 1


def test_the_campaign_ran_enough_cases():
    # after the campaign (pytest runs this file in order): the budget was not spent on a handful of cases
    assert campaign["ran"] >= MIN_CASES, campaign
    assert campaign["kinds"].get("report", 0) >= 1 and len(campaign["kinds"]) >= 3, campaign
    print(campaign)
