"""Untrusted ONNX files in the bounded reader process (issue [harden]): limits, recovery, the queue, and invalid graphs
refused by name.

Oracles: files written by hand with onnx.helper whose fault is known by construction (a Range of 10¹¹ elements, a
cycle, a weight that reads 4 channels of a 3-channel input), the kernel's own accounting (the exit signal of a process
over RLIMIT_CPU), and the torch model itself for the files that are valid.
"""
import subprocess
import sys
import threading

import pytest

from conftest import ROOT
from gconv import GConvError, ONNXError
from gconv.inspector.bounded import Limits, Reader, inspect_file
from gconv.inspector.onnx_reader import read_onnx
from hostile import (chain_file, conv_file, cycle_file, range_file, shape_range_file, undefined_file, wide_file)

MiB = 2**20
SMALL = Limits(memory=1024 * MiB)  # a smaller address space than the server's: the same failure, sooner


@pytest.fixture
def write(tmp_path):
    def write(data: bytes, name: str = "model.onnx") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)
    return write


@pytest.fixture(scope="module")
def small():
    r = Reader(SMALL)
    yield r
    r.stop()


@pytest.mark.parametrize("make", [range_file, pytest.param(shape_range_file, marks=pytest.mark.slow)],
                         ids=["range", "shape-reduceprod-mul"])
def test_a_huge_range_is_refused_by_the_memory_limit_and_the_next_file_opens(small, write, make):
    # Issue [harden]: 665 bytes whose shape inference allocates 10¹¹ elements; here it ends at the reader's limit
    with pytest.raises(ONNXError, match="more than 1,024 MiB of memory.*valid: a model exported at a fixed, smaller"):
        small.read(write(make()), "hostile.onnx")
    first = small.pid
    report, flow = small.read(write(conv_file()), "ok.onnx")
    assert small.pid != first  # a reader that hit its limit is replaced
    assert [(l.spec.C, l.spec.N, l.spec.K) for l in report.layers] == [(3, 4, 3)]  # the file's one Conv, by hand
    assert not isinstance(flow, GConvError)


def test_the_reader_stays_up_between_files(small, write):
    small.read(write(conv_file()), "a.onnx")
    pid = small.pid
    small.read(write(conv_file((6, 1, 3, 3), 3)), "b.onnx")  # depthwise, m=2
    assert small.pid == pid  # reused, not restarted: a normal file pays no interpreter start


@pytest.mark.slow  # seconds of CPU on purpose
def test_the_cpu_limit_ends_a_file_that_computes_too_long(write):
    # 2,000 Sum nodes of 500 inputs each: about 4 CPU seconds here, little memory. The kernel stops the reader
    # at its one CPU second (SIGXCPU), and the caller says which limit it was.
    r = Reader(Limits(memory=1024 * MiB, cpu=1, wall=120))
    try:
        with pytest.raises(ONNXError, match="more than 1 CPU seconds"):
            r.read(write(wide_file(2000, 500)), "wide.onnx")
        r.read(write(conv_file()), "ok.onnx")  # and the next file gets a fresh reader
    finally:
        r.stop()


def test_the_wall_limit_ends_a_file_that_takes_too_long(write):
    r = Reader(Limits(memory=1024 * MiB, cpu=60, wall=60))
    try:
        r.read(write(conv_file()), "ok.onnx")  # started and warm: the half second below is the file's alone
        r.limits = Limits(memory=1024 * MiB, cpu=60, wall=0.5)  # the wall is the caller's to keep
        with pytest.raises(ONNXError, match="longer than 0.5 s"):
            r.read(write(wide_file(2000, 500)), "wide.onnx")
        assert r.pid is None  # killed, not left running
    finally:
        r.stop()


def test_a_file_behind_another_is_told_it_waits_and_the_queue_is_bounded(write):
    # The reader's lock held from here stands for a slow file being read.
    r = Reader(Limits(memory=1024 * MiB, queue=2))
    path = write(conv_file())
    waits, results = [], []
    r._lock.acquire()
    try:
        r._waiting = 1  # the file holding the lock
        told = threading.Event()
        t = threading.Thread(target=lambda: results.append(r.read(path, "second.onnx", on_wait=lambda ahead: (
            waits.append(ahead), told.set()))))
        t.start()
        assert told.wait(30) and waits == [1]
        with pytest.raises(ONNXError, match="2 files are already waiting"):
            r.read(path, "third.onnx")
        r._waiting -= 1
    finally:
        r._lock.release()
    t.join(60)
    assert len(results) == 1 and len(results[0][0].layers) == 1
    r.stop()


INVALID = [  # (file, what the message must name)
    (cycle_file, r"cycle: Add node 'loop' depends on its own output"),
    (undefined_file, r"Add node 'haunted' reads 'ghost', which no node"),
    (lambda: conv_file((4, 2, 3, 3), group=2), r"Conv 'bad'.*C/G=2 .*group=2 = 4 input channels, but its input has 3"),
    (lambda: conv_file((4, 3, 3, 3), group=3, x_shape=(1, 9, 8, 8)), r"Conv 'bad': group=3 .*divide .*4 output"),
    (lambda: conv_file((4, 3, 9, 9)), r"Conv 'bad': its kernel spans 9 along H .*padded input of 8"),
    (lambda: conv_file((4, 3, 3, 3), dilations=[4, 1]), r"Conv 'bad': its kernel spans 9 along H \(K=3, dilation 4\)"),
    (lambda: conv_file(pads=[1, 1]), r"Conv 'bad': pads=\[1, 1\]; valid: 4 integers, each at least 0"),
    (lambda: conv_file(strides=[0, 1]), r"Conv 'bad': strides=\[0, 1\]; valid: 2 integers, each at least 1"),
    (lambda: conv_file(group=0), r"Conv 'bad': group=0 must be at least 1"),
    (lambda: conv_file(kernel_shape=[5, 5]), r"Conv 'bad': kernel_shape=\[5, 5\] differs from its weight's kernel"),
]


@pytest.mark.parametrize("make, message", INVALID, ids=["cycle", "undefined", "channels", "group", "kernel", "dilated", "pads",
                                                  "strides", "group0", "kernel_shape"])
def test_invalid_graphs_are_refused_naming_the_node(make, message, small, write):
    with pytest.raises(ONNXError, match=message):
        read_onnx(make())
    with pytest.raises(ONNXError, match=message):  # and the same through the reader process, in its language
        small.read(write(make()), "bad.onnx")


def test_a_kernel_that_fits_only_with_its_padding_is_accepted():
    # 8 + 1 + 1 = 10 ≥ 9: valid (torch.nn.Conv2d(3, 4, 9, padding=1) runs on 8×8)
    report = read_onnx(conv_file((4, 3, 9, 9), pads=[1, 1, 1, 1]))
    assert report.layers[0].spec.K == 9


def test_nodes_out_of_order_are_read_in_an_order_that_runs():
    import onnx

    model = onnx.load_model_from_string(chain_file(3))
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))  # valid ONNX needs topological order; some writers do not keep it
    assert len(read_onnx(model.SerializeToString()).layers) == 1


def test_the_refusal_is_in_the_users_language(small, write):
    # the message crosses the pipe as its key and is said where it is shown
    from gconv.i18n import use
    with pytest.raises(ONNXError) as caught:
        small.read(write(cycle_file()), "bad.onnx")
    try:
        use("zh")
        assert str(caught.value).startswith("计算图中有环：Add 节点 'loop'")
    finally:
        use("en")


@pytest.mark.slow
def test_the_cli_refuses_the_range_file_with_exit_2(write):
    # The whole CLI, in its own process: the 665-byte file no longer takes the machine's memory
    proc = subprocess.run([sys.executable, "-m", "gconv", "inspect", write(range_file(), "range.onnx")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "MiB of memory" in proc.stderr and "Traceback" not in proc.stderr


def test_inspect_file_in_process_matches_the_reader(small, write):
    # The reader returns exactly what the same function computes here for a trusted file
    from zoo_style import GroupedStack, export

    path = write(export(GroupedStack(), (1, 24, 8, 8)))
    here, there = inspect_file(path, "s.onnx", 2**30), small.read(path, "s.onnx")
    assert here[0].as_dict() == there[0].as_dict()
    assert here[1].rows == there[1].rows and here[1].rows


def test_the_size_limit_is_the_readers_not_the_parsers(write):
    # The page's reader refuses a file over its size limit; a reader for a file on the user's own machine (the CLI)
    # takes any size. Oracle: the file's size on disk.
    from gconv.inspector.bounded import WEB, local_limits

    path = write(conv_file())
    with pytest.raises(ONNXError, match="over the 0 MiB limit.*valid: a smaller file"):
        inspect_file(path, "m.onnx", max_bytes=100)
    assert local_limits(10**9).max_bytes > 10**9 and local_limits(10**9).memory == WEB.memory + 10**9  # the mapping's address space
    assert len(inspect_file(path, "m.onnx", max_bytes=local_limits(10**9).max_bytes)[0].layers) == 1


def test_a_name_that_is_not_utf8_is_refused():
    # The fuzz campaign's find: protobuf hands back bytes for a string field that is not valid UTF-8
    data = chain_file(2).replace(b"Relu", b"R\xfflu")
    with pytest.raises(ONNXError, match="protobuf could not be read"):
        read_onnx(data)
