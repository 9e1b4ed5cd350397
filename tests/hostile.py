"""Small hostile and invalid ONNX graphs written by hand with onnx.helper, as issue [harden] found them."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _model(nodes, inits, x_shape=(1, 3, 8, 8), out="y", out_shape=None, opset=17) -> bytes:
    graph = helper.make_graph(
        nodes, "hostile", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model.SerializeToString()


def _conv(w=(4, 3, 3, 3), group=1, name="conv", out="c", **attrs):
    return (helper.make_node("Conv", ["x", "w"], [out], name=name, group=group, **attrs),
            {"w": np.zeros(w, np.float32)})


def range_file(end: int = 10**11) -> bytes:
    """One Conv, then Range(0, end, 1) added to its output: onnx's data propagation materialises the range."""
    conv, inits = _conv()
    nodes = [conv, helper.make_node("Range", ["zero", "end", "one"], ["r"], name="range"),
             helper.make_node("Cast", ["r"], ["rf"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["c", "rf"], ["y"], name="add")]
    inits.update(zero=np.array(0, np.int64), end=np.array(end, np.int64), one=np.array(1, np.int64))
    return _model(nodes, inits)


def shape_range_file(factor: int = 10**9) -> bytes:
    """A Range whose end is computed from the Conv's output: Shape → ReduceProd → Mul."""
    conv, inits = _conv()
    nodes = [conv, helper.make_node("Shape", ["c"], ["s"]),
             helper.make_node("ReduceProd", ["s"], ["p"], keepdims=0),
             helper.make_node("Mul", ["p", "factor"], ["end"]),
             helper.make_node("Range", ["zero", "end", "one"], ["r"], name="range"),
             helper.make_node("Cast", ["r"], ["rf"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["c", "rf"], ["y"], name="add")]
    inits.update(zero=np.array(0, np.int64), one=np.array(1, np.int64), factor=np.array(factor, np.int64))
    return _model(nodes, inits)


def cycle_file() -> bytes:
    """y = Add(c, y): the Add reads its own output."""
    conv, inits = _conv()
    return _model([conv, helper.make_node("Add", ["c", "y"], ["y"], name="loop")], inits)


def undefined_file() -> bytes:
    """An Add that reads a tensor nothing produces."""
    conv, inits = _conv()
    return _model([conv, helper.make_node("Add", ["c", "ghost"], ["y"], name="haunted")], inits)


def conv_file(w=(4, 3, 3, 3), group=1, x_shape=(1, 3, 8, 8), **attrs) -> bytes:
    """One Conv named 'bad' with this weight, group and input."""
    conv, inits = _conv(w, group, name="bad", out="y", **attrs)
    return _model([conv], inits, x_shape=x_shape)


def chain_file(n: int) -> bytes:
    """A Conv followed by n Relu nodes: cheap in memory, n nodes to infer and evaluate."""
    conv, inits = _conv()
    names = ["c"] + [f"r{i}" for i in range(n - 1)] + ["y"]
    nodes = [conv] + [helper.make_node("Relu", [a], [b]) for a, b in zip(names, names[1:])]
    return _model(nodes, inits)


def load(data: bytes) -> onnx.ModelProto:
    return onnx.load_model_from_string(data)


def wide_file(nodes: int, fan_in: int) -> bytes:
    """A Conv whose output each of `nodes` Sum nodes reads fan_in times: small in memory, many edges to check."""
    conv, inits = _conv()
    names = ["c"] + [f"s{i}" for i in range(nodes - 1)] + ["y"]
    return _model([conv] + [helper.make_node("Sum", [a] * fan_in, [b]) for a, b in zip(names, names[1:])], inits)


# Names an attacker would give nodes (issue [escape]): Markdown, HTML that Plotly draws, a spreadsheet formula
MARKDOWN_NAME = "[click here](https://example.com/phish) ![t](https://example.com/t.png)"
HTML_NAME = '<a href="https://example.com/plotly">open</a> <b>bold</b><br><img src="https://example.com/i.png">'
FORMULA_NAME = '=HYPERLINK("https://example.com/f","x") **b** :red[r] $x$ www.example.com <https://example.com/a>'
LONG_NAME = "conv_" + "n" * 300
HOSTILE_NAMES = (MARKDOWN_NAME, HTML_NAME, FORMULA_NAME)


def hostile_names_file() -> bytes:
    """A grouped 1×1 stack whose shuffle lost its transpose (so the flow and the diagnostics name its convs), its
    three convs named HOSTILE_NAMES, a Relu named LONG_NAME, and a graph name and doc string of the same kind."""
    from zoo_style import GroupedStack, export

    model = onnx.load_model_from_string(export(GroupedStack(transpose=False), (1, 24, 8, 8)))
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    for node, name in zip(convs, HOSTILE_NAMES):
        node.name = name
    next(n for n in model.graph.node if n.op_type == "Relu").name = LONG_NAME
    model.graph.name = MARKDOWN_NAME
    model.doc_string = HTML_NAME
    return model.SerializeToString()
