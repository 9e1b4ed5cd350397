"""An ONNX graph made concrete at its fixed input size: every tensor's shape, with the small integer subgraphs
that compute shapes from other shapes (Shape → Gather → … → Reshape, a chunk's Slice bounds) evaluated here.

Exporters write `x.size()`, `view(b, g, c // g, h, w)` and `chunk(2, dim=1)` as such subgraphs, and onnx's shape
inference stops at them. Here numpy evaluates them (only the operators in FOLD, only on values of at most
MAX_VALUE elements: shape arithmetic, never a feature map), folds each result into a constant, and runs onnx's
shape inference again, until nothing more is learned. Nothing in the file runs as code: the bytes are read by
onnx's protobuf parser, and every operator evaluated here is one of FOLD's few lines of numpy.

Weights are never needed: an initializer's dims are stored in the .onnx itself, so a model whose tensors live in
an external .data file opens from the .onnx alone. A dynamic batch axis counts as 1 (MACs are per sample).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

import numpy as np

from ..errors import ONNXError
from ..i18n import say
from ..text import outside
from .checks import in_order

MAX_VALUE = 65_536  # elements of a value evaluated here
MAX_ROUNDS = 512  # inference rounds; each one learns at least one more value or stops


@dataclass
class Graph:
    """The graph's nodes (shape subgraphs folded away), every tensor's shape, the small values known, and every
    stored tensor's dims (inline or external)."""

    nodes: list
    shapes: dict[str, list[int | None]]
    values: dict[str, np.ndarray]
    weights: dict[str, list[int]]
    inputs: list[str]
    outputs: list[str]
    external: set[str] = field(default_factory=set)
    opset: int = 13
    stored: dict[str, int] = field(default_factory=dict)  # weight initializers (floating or int8): name → elements

    def shape(self, name: str) -> list[int | None] | None:
        return self.shapes.get(name)


def attributes(node) -> dict:
    """A node's attributes by name, as Python values."""
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _int_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX Div on integers truncates toward zero."""
    q = np.abs(a) // np.abs(b)
    return (q * np.sign(a) * np.sign(b)).astype(np.result_type(a, b))


def _axes(node, inputs: list, position: int, attrs: dict, rank: int) -> list[int] | None:
    axes = attrs.get("axes")
    if axes is None and len(inputs) > position and inputs[position] is not None:
        axes = inputs[position].tolist()
    return None if axes is None else [a % rank for a in axes]


def slice_args(attrs: dict, inputs: list, opset: int) -> tuple | None:
    """(starts, ends, axes, steps) of a Slice: attributes before opset 10, inputs 1–4 since (None if unknown)."""
    if opset < 10:
        return attrs["starts"], attrs["ends"], attrs.get("axes"), None
    get = lambda i: inputs[i].tolist() if len(inputs) > i and inputs[i] is not None else None  # noqa: E731
    return None if get(1) is None or get(2) is None else (get(1), get(2), get(3), get(4))


def _slice(data: np.ndarray, starts, ends, axes, steps) -> np.ndarray:
    axes = list(range(len(starts))) if axes is None else [a % data.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[a] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _reshape(data: np.ndarray, shape: np.ndarray, allowzero: int = 0) -> np.ndarray:
    dims = [int(d) for d in shape]
    if not allowzero:
        dims = [data.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return data.reshape(dims)


def split_sizes(node, attrs: dict, inputs: list, length: int) -> list[int]:
    """The part sizes of a Split of `length` (sizes as input 1, the `split` attribute, or equal parts)."""
    if len(inputs) > 1 and inputs[1] is not None:
        return [int(s) for s in inputs[1]]
    if "split" in attrs:
        return list(attrs["split"])
    parts = attrs.get("num_outputs", len(node.output))
    size = -(-length // parts)
    return [min(size, length - i * size) for i in range(parts)]


def evaluate(node, inputs: list, shapes: dict, opset: int) -> list[np.ndarray] | None:
    """The outputs of one shape-arithmetic node from its input values (None where one is not known)."""
    op, a = node.op_type, attributes(node)
    x = inputs[0] if inputs else None
    if op == "Shape":
        dims = shapes.get(node.input[0])
        if dims is None or any(d is None for d in dims):
            return None
        return [np.array(dims[a.get("start", 0):a.get("end", len(dims))], dtype=np.int64)]
    if op == "Size":
        dims = shapes.get(node.input[0])
        return None if dims is None or None in dims else [np.array(prod(dims), dtype=np.int64)]
    if op == "Constant":
        import onnx

        if "value" in a:
            return [onnx.numpy_helper.to_array(a["value"])]
        for key, dtype in (("value_int", np.int64), ("value_ints", np.int64), ("value_float", np.float32),
                           ("value_floats", np.float32)):
            if key in a:
                return [np.array(a[key], dtype=dtype)]
        return None
    if any(v is None for v in inputs[:1]) or (op not in OPTIONAL_INPUTS and any(v is None for v in inputs)):
        return None
    if op in BINARY:
        if op == "Div" and np.issubdtype(np.result_type(*inputs), np.integer):
            return [_int_div(*inputs)]
        return [np.asarray(BINARY[op](*inputs))]
    if op in UNARY:
        return [np.asarray(UNARY[op](x))]
    if op == "Cast":
        import onnx

        return [x.astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"]))]
    if op == "Identity":
        return [x]
    if op == "Gather":
        return [np.take(x, inputs[1], axis=a.get("axis", 0))]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(v) for v in inputs], axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        axes = _axes(node, inputs, 1, a, x.ndim + (len(a["axes"]) if "axes" in a else len(np.atleast_1d(inputs[1]))))
        out = x
        for ax in sorted(axes):
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        axes = _axes(node, inputs, 1, a, x.ndim)
        return [np.squeeze(x, axis=tuple(axes) if axes is not None else None)]
    if op == "Slice":
        args = slice_args(a, inputs, opset)
        return None if args is None else [_slice(x, *args)]
    if op == "Reshape":
        return [_reshape(x, inputs[1], a.get("allowzero", 0))]
    if op == "Transpose":
        return [np.transpose(x, a.get("perm"))]
    if op == "Expand":
        shape = np.broadcast_shapes(x.shape, tuple(int(d) for d in inputs[1]))
        return None if prod(shape) > MAX_VALUE else [np.broadcast_to(x, shape)]
    if op == "Range":
        count = np.ceil((float(inputs[1]) - float(x)) / float(inputs[2]))  # sized before anything is allocated
        return None if not 0 <= count <= MAX_VALUE else [np.arange(x, inputs[1], inputs[2])]
    if op == "ConstantOfShape":
        import onnx

        shape = tuple(int(d) for d in x)
        if any(d < 0 for d in shape) or prod(shape) > MAX_VALUE:
            return None
        fill = onnx.numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(shape, fill.reshape(-1)[0], dtype=fill.dtype)]
    if op == "Where":
        return [np.where(*inputs)]
    if op in REDUCE:
        axes = _axes(node, inputs, 1, a, max(x.ndim, 1))
        return [REDUCE[op](x, axis=None if axes is None else tuple(axes), keepdims=bool(a.get("keepdims", 1)))]
    if op == "Split":
        axis = a.get("axis", 0) % x.ndim
        edges = np.cumsum(split_sizes(node, a, inputs, x.shape[axis]))[:-1]
        return list(np.split(x, edges, axis=axis))
    return None


BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Mod": np.mod,
          "Max": np.maximum, "Min": np.minimum, "Equal": np.equal, "Less": np.less, "Greater": np.greater,
          "LessOrEqual": np.less_equal, "GreaterOrEqual": np.greater_equal, "And": np.logical_and,
          "Or": np.logical_or, "Pow": np.power}
UNARY = {"Neg": np.negative, "Abs": np.abs, "Floor": np.floor, "Ceil": np.ceil, "Sqrt": np.sqrt, "Not": np.logical_not,
         "Sign": np.sign, "Reciprocal": np.reciprocal}
REDUCE = {"ReduceProd": np.prod, "ReduceSum": np.sum, "ReduceMax": np.max, "ReduceMin": np.min}
OPTIONAL_INPUTS = {"Slice", "Unsqueeze", "Squeeze", "Split", "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin",
                   "Reshape"}
FOLD = {"Shape", "Size", "Constant", "Cast", "Identity", "Gather", "Concat", "Unsqueeze", "Squeeze", "Slice", "Reshape",
        "Transpose", "Expand", "Range", "ConstantOfShape", "Where", "Split", *BINARY, *UNARY, *REDUCE}


def _skeleton(model):
    """The model without its weights' bytes: large initializers become graph inputs of the same type and dims
    (shape inference needs their dims, never their values), so inference stays fast whatever the weights weigh."""
    import onnx

    # IR 4 and later: an initializer need not be a graph input (older files list each among the inputs too, and
    # inference would leave an initializer that is not one unread); the skeleton lists only the real inputs
    skeleton = onnx.ModelProto(ir_version=max(model.ir_version, 4))  # built up, never copied: no weights' bytes
    skeleton.opset_import.extend(model.opset_import)
    skeleton.functions.extend(model.functions)
    g = skeleton.graph
    g.name = model.graph.name
    g.node.extend(model.graph.node)
    g.output.extend(model.graph.output)
    g.value_info.extend(model.graph.value_info)
    initializers = {t.name for t in model.graph.initializer}
    g.input.extend(v for v in model.graph.input if v.name not in initializers)
    for t in model.graph.initializer:
        inline = t.data_location != onnx.TensorProto.EXTERNAL and prod(t.dims) <= MAX_VALUE
        if inline:
            g.initializer.append(t)
        else:
            g.input.append(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    return skeleton


def _fix_batch(model) -> None:
    """A dynamic batch axis counts as 1: the inspector's MACs are per sample."""
    initializers = {t.name for t in model.graph.initializer}
    for v in model.graph.input:
        if v.name in initializers:
            continue
        dims = v.type.tensor_type.shape.dim
        if len(dims) >= 3 and not dims[0].HasField("dim_value"):
            dims[0].Clear()
            dims[0].dim_value = 1


def _infer(model) -> dict[str, list[int | None]]:
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as e:  # noqa: BLE001 - the checker raises several private types
        why = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        if "bad_alloc" in why:  # onnx's C++ ran out of the reader's memory (bounded.py says which limit)
            raise MemoryError(why) from None
        raise ONNXError(say("err.onnx_inference", why=outside(why, 200))) from None  # it names the file's nodes
    out = {}
    for v in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output):
        if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape"):
            out[v.name] = [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]
    return out


def _opset(model) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)


def concrete(model) -> Graph:
    """The graph with every shape it determines at its fixed input size (model: a loaded onnx.ModelProto)."""
    import onnx

    opset = _opset(model)
    ordered = in_order(model)  # refuses a cycle or a tensor nothing produces
    if any(a is not b for a, b in zip(ordered, model.graph.node)):
        nodes = [onnx.NodeProto.FromString(n.SerializeToString()) for n in ordered]
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    _fix_batch(model)
    weights = {t.name: [int(d) for d in t.dims] for t in model.graph.initializer}
    external = {t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
    values = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer
              if t.name not in external and prod(t.dims) <= MAX_VALUE}
    skeleton = _skeleton(model)
    for _ in range(MAX_ROUNDS):
        shapes = _infer(skeleton)
        for name, dims in weights.items():
            shapes.setdefault(name, dims)
        kept, folded = [], False
        for node in skeleton.graph.node:
            result = None
            if node.op_type in FOLD and node.domain in ("", "ai.onnx"):
                try:
                    result = evaluate(node, [values.get(i) if i else None for i in node.input], shapes, opset)
                except (ValueError, TypeError, IndexError, KeyError, OverflowError, ZeroDivisionError):
                    # not shape arithmetic this evaluator understands (a file's inconsistent values): the value
                    # stays unknown and onnx's inference decides; never a guess that groups mix
                    result = None
            if result is not None and len(result) == len(node.output) and all(
                    np.asarray(r).size <= MAX_VALUE for r in result):
                for name, value in zip(node.output, result):
                    values[name] = np.asarray(value)
                folded = True
            else:
                kept.append(node)
        if not folded:
            break
        del skeleton.graph.node[:]
        skeleton.graph.node.extend(kept)
        produced = {o for n in kept for o in n.output}
        present = {t.name for t in skeleton.graph.initializer} | {v.name for v in skeleton.graph.input}
        for name, value in values.items():
            if name not in produced and name not in present:
                skeleton.graph.initializer.append(onnx.numpy_helper.from_array(value, name))
    initializers = set(weights)
    layer_inputs = {i for n in skeleton.graph.node if n.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul")
                    for i in n.input[1:]}
    for name, value in values.items():  # folded values (a deduplicated weight's or bias's Identity) keep dims
        shapes.setdefault(name, list(value.shape))
        if name in layer_inputs and name not in weights:
            weights[name] = list(value.shape)
    # A tensor computed from stored tensors alone is a weight too: an Identity of a shared weight, a quantized
    # weight through DequantizeLinear, a transposed matrix. Its dims come from shape inference.
    constant = set(weights) | set(values)
    for node in skeleton.graph.node:
        if all(i in constant for i in node.input if i) and node.input:
            constant.update(node.output)
            for name in node.output:
                dims = shapes.get(name)
                if name not in weights and dims and None not in dims:
                    weights[name] = list(dims)
    weights_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16,
                     onnx.TensorProto.DOUBLE, onnx.TensorProto.INT8, onnx.TensorProto.UINT8}  # int8: quantized
    stored = {t.name: prod(t.dims) for t in model.graph.initializer if t.data_type in weights_types}
    # The model zoo's "light" copies build each weight in the graph as ConstantOfShape(a stored shape): a parameter
    # whose dims are stored and whose values are not (they are filled in when the model runs)
    shapes_stored = {t.name for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "ConstantOfShape" and node.input and node.input[0] in shapes_stored:
            fill = next((a.t.data_type for a in node.attribute if a.name == "value"), onnx.TensorProto.FLOAT)
            dims = weights.get(node.output[0]) or shapes.get(node.output[0])
            if fill in weights_types and dims and None not in dims:
                stored[node.output[0]] = prod(dims)
    return Graph(list(skeleton.graph.node), shapes, values, weights,
                 [v.name for v in model.graph.input if v.name not in initializers],
                 [v.name for v in model.graph.output], external, opset, stored)


def needs_values(graph: Graph, name: str) -> str | None:
    """The external tensor a node's shape waited on, when the shape could not be found without it."""
    for node in graph.nodes:
        if name in node.output:
            return next((i for i in node.input[1:] if i in graph.external), None)
    return None
