"""An .onnx file without its weights' bytes: the reader needs every weight's dims, never its values.

A 1 GiB network is nearly all initializer data. slim() walks the protobuf wire format of the mapped file and writes
the model again with each large initializer's data left out: its dims, type and name stay, and it is marked as
stored outside the file (as a model with an external .data file is), so onnx parses a few MiB instead of the whole
file, and the pages of the skipped data are never read. A tensor small enough to be shape arithmetic (a Reshape's
target, a Slice's bounds) keeps its bytes.

Wire format: each field is a varint key (field number << 3 | wire type) and a value: a varint (0), 8 bytes (1),
a varint length and that many bytes (2), or 4 bytes (5). ModelProto.graph is field 7, GraphProto.initializer is
field 5, and a TensorProto's dims are field 1, its data type 2 and its name 8.
"""
from __future__ import annotations

from math import prod

from ..errors import ONNXError
from ..i18n import say
from .graph import MAX_VALUE

SCAN_BYTES = 64 * 1024  # an initializer this short is copied as it is, unread: it cannot hold MAX_VALUE elements
_GRAPH, _INITIALIZER = 7, 5
_DIMS, _TYPE, _NAME = 1, 2, 8
_KEEP = {_DIMS, _TYPE, 3, _NAME, 12, 16}  # dims, data type, segment, name, doc string, metadata
_LOCATION = 14  # data_location: 1 is EXTERNAL
_ELSEWHERE = bytes([13 << 3 | 2, 22, 10, 8]) + b"location" + bytes([18, 10]) + b"gconv-slim" + bytes([_LOCATION << 3, 1])


def _broken():
    return ONNXError(say("err.onnx_protobuf", why="DecodeError"))


def _varint(buf, i: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= end or shift > 63:
            raise _broken()
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _encode(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf, start: int, end: int):
    """(field number, wire type, where the field starts, where its value starts, where it ends) of each field."""
    i = start
    while i < end:
        at = i
        key, i = _varint(buf, i, end)
        number, kind = key >> 3, key & 7
        if kind == 0:
            _, j = _varint(buf, i, end)
        elif kind == 1:
            j = i + 8
        elif kind == 2:
            length, i = _varint(buf, i, end)
            j = i + length
        elif kind == 5:
            j = i + 4
        else:  # groups (3, 4) are not in ONNX's schema; 6 and 7 are not wire types
            raise _broken()
        if number == 0 or j > end:
            raise _broken()
        yield number, kind, at, i, j
        i = j


def _dims(buf, start: int, end: int) -> list[int] | None:
    """The dims of the TensorProto in buf[start:end] (packed or not); None for a tensor not worth slimming."""
    dims = []
    for number, kind, _, i, j in _fields(buf, start, end):
        if number == _DIMS and kind == 0:
            dims.append(_varint(buf, i, j)[0])
        elif number == _DIMS and kind == 2:
            while i < j:
                d, i = _varint(buf, i, j)
                dims.append(d)
        elif number == _LOCATION:
            return None  # already stored outside the file
    return dims


def _slimmed(buf, start: int, end: int) -> bytes:
    """The tensor's fields that say what it is, without its data, marked as stored outside the file."""
    out = [bytes(buf[at:j]) for number, _, at, _, j in _fields(buf, start, end) if number in _KEEP]
    return b"".join(out) + _ELSEWHERE


def _graph(buf, start: int, end: int) -> bytes:
    out, run = [], start
    for number, kind, at, i, j in _fields(buf, start, end):
        if number != _INITIALIZER or kind != 2 or j - i < SCAN_BYTES:
            continue
        dims = _dims(buf, i, j)
        if dims is None or prod(dims) <= MAX_VALUE:
            continue
        tensor = _slimmed(buf, i, j)
        out += [bytes(buf[run:at]), bytes([_INITIALIZER << 3 | 2]), _encode(len(tensor)), tensor]
        run = j
    out.append(bytes(buf[run:end]))
    return b"".join(out)


def slim(buf) -> bytes:
    """The model in buf (bytes or an mmap) with every initializer of more than MAX_VALUE elements left without
    its data; parsed by onnx, it has the same graph, shapes and dims."""
    out, run, end = [], 0, len(buf)
    for number, kind, at, i, j in _fields(buf, 0, end):
        if number == _GRAPH and kind == 2:
            graph = _graph(buf, i, j)
            out += [bytes(buf[run:at]), bytes([_GRAPH << 3 | 2]), _encode(len(graph)), graph]
            run = j
    out.append(bytes(buf[run:end]))
    return b"".join(out)


def weights_from_inputs(model, count: int) -> None:
    """Every graph input after the first count made a stored tensor without data (model: an onnx.ModelProto).

    torch.onnx.export(..., export_params=False) writes each parameter as a graph input with its dims: the same
    graph, without copying a single weight (what lets a model of any size be traced on the machine it is on)."""
    import onnx

    params = list(model.graph.input[count:])
    known = {t.name for t in model.graph.initializer}
    for v in params:
        if v.name in known:
            continue
        t = model.graph.initializer.add()
        t.CopyFrom(onnx.TensorProto.FromString(_elsewhere_dims(v)))
    del model.graph.input[count:]


def _elsewhere_dims(value_info) -> bytes:
    """A TensorProto with the dims, type and name of a graph input, marked as stored outside the file."""
    import onnx

    t = onnx.TensorProto(name=value_info.name, data_type=value_info.type.tensor_type.elem_type,
                         dims=[d.dim_value for d in value_info.type.tensor_type.shape.dim])
    return t.SerializeToString() + _ELSEWHERE
