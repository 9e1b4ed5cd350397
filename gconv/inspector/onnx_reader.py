"""Read the conv and linear layers of an ONNX file into the same report as a torch model's (report.py).

Only the `onnx` package's protobuf parser touches the bytes: nothing is unpickled, executed or fetched. Shapes
come from graph.concrete (onnx's shape inference, with the graph's own shape arithmetic evaluated by numpy); a
model whose weights live in an external .data file opens from the .onnx alone, since only the weights' dims are
needed. Every way a file can be wrong ends in ONNXError with a readable message.
"""
from __future__ import annotations

from math import prod

from ..errors import ONNXError
from ..spec import in_size, out_size
from .checks import conv_attributes, conv_fits
from .graph import Graph, attributes, concrete, needs_values
from .report import Layer, Report, conv_layer, linear_layer
from .slim import slim, weights_from_inputs
from ..i18n import say
from ..text import outside

MAX_BYTES = 256 * 2**20  # also the upload limit in .streamlit/config.toml (AlexNet in fp32 is 233 MiB)
MAX_NODES = 20_000
MAX_DIM = 2**31  # a declared dimension beyond this is nonsense for an image network


def _sniff(data: bytes, max_bytes: int = MAX_BYTES) -> None:
    if not data:
        raise ONNXError(say("err.onnx_empty"))
    if len(data) > max_bytes:
        raise ONNXError(say("err.onnx_size", size=f"{len(data) / 2**20:,.1f}", limit=f"{max_bytes / 2**20:,.0f}"))
    if data[:4] == b"PK\x03\x04":
        raise ONNXError(say("err.onnx_zip"))
    if data[:2] == b"\x1f\x8b":
        raise ONNXError(say("err.onnx_gzip"))
    if data[:1] == b"\x80" and len(data) > 1 and data[1] in range(2, 6):
        raise ONNXError(say("err.onnx_pickle"))
    if bytes(data[:4096]).lstrip()[:1] in (b"{", b"<") or data[:5] == b"%PDF-":
        raise ONNXError(say("err.onnx_text"))


def _load(data, max_bytes: int = MAX_BYTES, inputs: int | None = None):
    import onnx
    from google.protobuf.message import DecodeError

    _sniff(data, max_bytes)
    data = slim(data)
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, UnicodeDecodeError) as e:
        raise ONNXError(say("err.onnx_protobuf", why=type(e).__name__)) from None
    if not model.graph.node or not model.opset_import:
        raise ONNXError(say("err.onnx_no_graph"))
    if inputs is not None:  # exported without its parameters: they are the inputs after the model's own
        weights_from_inputs(model, inputs)
    if len(model.graph.node) > MAX_NODES:
        raise ONNXError(say("err.onnx_nodes", nodes=f"{len(model.graph.node):,}", limit=f"{MAX_NODES:,}"))
    for node in model.graph.node:  # protobuf hands back bytes for a name that is not valid UTF-8
        if not all(isinstance(x, str) for x in (node.op_type, node.name, node.domain, *node.input, *node.output)):
            raise ONNXError(say("err.onnx_protobuf", why="UnicodeDecodeError"))
    return model


def _hw(shape, name: str) -> tuple[int, int] | None:
    """(H, W) of a 4-D tensor, or None when shape inference could not tell."""
    if not shape or len(shape) != 4 or shape[2] is None or shape[3] is None:
        return None
    if max(d or 0 for d in shape) > MAX_DIM:
        raise ONNXError(say("err.onnx_dim", name=outside(name, quote=True), dim=f"{max(shape):,}", limit=f"{MAX_DIM:,}"))
    return int(shape[2]), int(shape[3])


def _other_side(hw, k, s, p, d, forward: bool) -> tuple[int, int]:
    """Output size from the input size (forward), or the smallest input giving this output (backward)."""
    size = out_size if forward else in_size
    return tuple(size(*axis) for axis in zip(hw, k, s, p, d))


def _conv(node, graph: Graph) -> Layer:
    weights, shapes = graph.weights, graph.shapes
    a = attributes(node)
    if len(node.input) < 2 or not node.input[1]:
        raise ONNXError(say("err.conv_inputs", name=outside(node.name or node.output[0], quote=True), count=len(node.input)))
    if node.input[1] not in weights:
        raise ONNXError(say("err.onnx_weight_node", name=outside(node.name, quote=True)))
    N, cg, kh, kw = weights[node.input[1]]
    conv_attributes(node, a, weights[node.input[1]])
    G = a.get("group", 1)
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
        pads = [-1, -1, -1, -1]  # SAME_*: padding follows from the shapes; shown as unknown
    geometry = ((kh, kw), tuple(a.get("strides", [1, 1])), (max(pads[0], 0), max(pads[1], 0)),
                tuple(a.get("dilations", [1, 1])))
    conv_fits(node, weights[node.input[1]], G, shapes.get(node.input[0]), pads, geometry[3])
    in_hw = _hw(shapes.get(node.input[0]), node.input[0])
    out_hw = _hw(shapes.get(node.output[0]), node.output[0])
    # Shape inference stops at data-dependent ops (a Slice whose bounds are computed): take the missing side
    # from the other one through the conv's geometry (exact for stride 1, the smallest fit otherwise).
    if in_hw is None and out_hw is not None:
        in_hw = _other_side(out_hw, *geometry, forward=False)
    elif out_hw is None and in_hw is not None:
        out_hw = _other_side(in_hw, *geometry, forward=True)
    elif in_hw is None:
        waited = needs_values(graph, node.input[0])
        if waited is not None:
            raise ONNXError(say("err.onnx_needs_values", name=outside(node.name, quote=True), tensor=outside(waited, quote=True)))
        raise ONNXError(say("err.onnx_unknown_shapes", name=outside(node.name, quote=True)))
    bias = len(node.input) > 2 and node.input[2] in weights
    return conv_layer(node.name or node.output[0], cg * G, N, G, (kh, kw), geometry[1], (pads[0], pads[1]),
                      geometry[3], in_hw, out_hw, bias)


def _linear(node, weights, shapes, batch: int = 1) -> Layer | None:
    a = attributes(node)
    w_name = next((i for i in node.input[:2] if i in weights), None)
    if w_name is None:
        return None  # a MatMul of two activations (attention, say) is not a layer with weights
    dims = weights[w_name]
    if len(dims) != 2:
        return None
    if node.op_type == "Gemm":
        out_f, in_f = (dims if a.get("transB", 0) else dims[::-1])
    else:
        in_f, out_f = dims
    x = shapes.get(node.input[0]) or []
    # rows per sample: every leading axis, over the batch (a 2-D input may hold batch × tokens, flattened)
    rows = max(prod(d or 1 for d in x[:-1]) // max(batch, 1), 1) if len(x) >= 2 else 1
    bias = node.op_type == "Gemm" and len(node.input) > 2 and node.input[2] in weights
    return linear_layer(node.name or node.output[0], int(in_f), int(out_f), int(rows), bias)


def read_graph(data, max_bytes: int = MAX_BYTES, inputs: int | None = None) -> Graph:
    """The file's graph, made concrete at its fixed input size (every check of read_onnx's bytes first). data:
    bytes or a mapped file; a large weight's bytes are never read (slim.py). inputs: how many graph inputs are the
    model's own, when the parameters follow them as inputs (an export without its parameters)."""
    return concrete(_load(data, max_bytes, inputs))


def read_onnx(data: bytes, name: str = "uploaded.onnx", graph: Graph | None = None) -> Report:
    """A Report of every Conv, Gemm and weighted MatMul in the file, in graph order (graph: read_graph(data),
    when the caller has it already).

    Totals: params = numel of every stored initializer (with BatchNorm kept, its running statistics count
    too); MACs of the conv and linear layers per sample.
    """
    graph = graph if graph is not None else read_graph(data)
    layers = report_layers(graph)
    if not any(layer.op == "conv" for layer in layers):
        raise ONNXError(say("err.onnx_no_conv"))
    in_shape = graph.shapes.get(graph.inputs[0]) if graph.inputs else None
    input_size = tuple(in_shape[2:4]) if in_shape and len(in_shape) == 4 else (0, 0)
    return Report(name, input_size, layers, sum(graph.stored.values()), sum(x.macs for x in layers),
                  tuple(n.name or n.output[0] for n in graph.nodes if n.op_type == "Conv" and _dims(graph, n) not in (
                      None, 4)))


def report_layers(graph: Graph) -> list[Layer]:
    """The conv and linear layers in graph order; layer i of the report is node report_nodes(graph)[i]."""
    return [_conv(n, graph) if n.op_type == "Conv" else _linear(n, graph.weights, graph.shapes, _batch(graph))
            for n in report_nodes(graph)]


def _batch(graph: Graph) -> int:
    """The batch the graph was exported with (its first input's axis 0; a dynamic one counts as 1)."""
    shape = graph.shapes.get(graph.inputs[0]) if graph.inputs else None
    return shape[0] if shape and len(shape) >= 3 and shape[0] else 1


def _dims(graph: Graph, node) -> int | None:
    """How many dims a conv's weight has (4 for a 2-D conv), or None when it is not known."""
    w = graph.weights.get(node.input[1]) if len(node.input) > 1 else None
    return None if w is None else len(w)


def report_nodes(graph: Graph) -> list:
    """The nodes the report lists: every 2-D Conv (a 1-D or 3-D one is left out and named in Report.skipped), and
    every Gemm or MatMul with a stored weight matrix."""
    out = []
    for node in graph.nodes:
        if node.op_type == "Conv":
            if _dims(graph, node) in (None, 4):  # an unknown weight is reported by _conv
                out.append(node)
        elif node.op_type in ("Gemm", "MatMul") and _linear(node, graph.weights, graph.shapes) is not None:
            out.append(node)
    return out
