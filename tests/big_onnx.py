"""A large .onnx file written in a stream: a chain of 3×3 convs whose weights are stored inline (raw_data), of any
size, without ever holding the file in memory (for the reader's peak-memory test and benchmark)."""
import os
from math import prod

import onnx
from onnx import TensorProto, helper


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def conv_chain(C: int, convs: int, G: int = 1, hw: int = 8):
    """(graph without its initializers, [(name, dims)] of its weights): convs 3×3 convs of C channels, G groups."""
    nodes, weights, x = [], [], "x"
    for i in range(convs):
        w = f"w{i}"
        weights.append((w, [C, C // G, 3, 3]))
        nodes.append(helper.make_node("Conv", [x, w], [f"y{i}"], name=f"conv{i}", group=G, pads=[1, 1, 1, 1]))
        x = f"y{i}"
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, C, hw, hw])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, C, hw, hw])])
    return graph, weights


def write_big(path, C: int = 1024, convs: int = 10, G: int = 1, chunk: int = 2**24) -> int:
    """Write the chain to path with its weights inline (zeros, float32); returns the file's size in bytes."""
    graph, weights = conv_chain(C, convs, G)
    head = helper.make_model(helper.make_graph([], "x", [], []), opset_imports=[helper.make_opsetid("", 13)])
    head.ClearField("graph")
    body = graph.SerializeToString()
    tensors = []
    for name, dims in weights:
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims).SerializeToString()
        n = 4 * prod(dims)
        t += bytes([9 << 3 | 2]) + _varint(n)  # raw_data, then n bytes of zeros
        tensors.append((t, n))
    init = [(bytes([5 << 3 | 2]) + _varint(len(t) + n) + t, n) for t, n in tensors]
    graph_len = len(body) + sum(len(h) + n for h, n in init)
    zeros = bytes(chunk)
    with open(path, "wb") as f:
        f.write(head.SerializeToString() + bytes([7 << 3 | 2]) + _varint(graph_len) + body)
        for h, n in init:
            f.write(h)
            while n:
                f.write(zeros[:min(n, chunk)])
                n -= min(n, chunk)
    return os.path.getsize(path)


if __name__ == "__main__":
    import sys

    print(write_big(sys.argv[1], convs=int(sys.argv[2]) if len(sys.argv) > 2 else 10))
