"""gconv.summary against torchinfo.summary on the same model in the same run: the counts (forward hooks, as
torchinfo's) and the channel flow (an in-memory ONNX export, then the trace), each as a ratio to torchinfo's time.
Targets: counts <= 1x torchinfo, flow <= 3x.

Run: python benchmarks/summary_speed.py [--quick]   (--quick: a 4-block ShuffleNet-style network only)
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import torch  # noqa: E402
import torchinfo  # noqa: E402

from gconv.inspector.hooks import inspect_inputs  # noqa: E402
from gconv.inspector.summary import summary  # noqa: E402
from gconv.inspector import zoo  # noqa: E402
from zoo_style import ShuffleV1Stack  # noqa: E402


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)  # both sides on one thread: the comparison, not the machine
    nets = [("shufflenet-style x4", ShuffleV1Stack(C=64, units=4), (1, 3, 56, 56))]
    if not args.quick:
        nets = [("resnext50_32x4d", zoo.build("resnext50_32x4d"), (1, 3, 224, 224)),
                ("shufflenet-style x20", ShuffleV1Stack(C=240, units=20), (1, 3, 56, 56))]
    repeats = 3
    for name, net, size in nets:
        net.eval()
        x = torch.zeros(size)
        ref = best(lambda: torchinfo.summary(net, input_size=size, verbose=0), repeats)
        counts = best(lambda: inspect_inputs(net, (x,), name), repeats)
        whole = best(lambda: summary(net, input_size=size, name=name), repeats)
        macs = statistics.mean([summary(net, input_size=size).report.total_macs])
        print(f"{name:<22} torchinfo {ref:7.3f} s  counts {counts:7.3f} s ({counts / ref:4.2f}x)  "
              f"counts+flow {whole:7.3f} s (flow {max(whole - counts, 0) / ref:4.2f}x)  {macs:,.0f} MACs  "
              f"(targets: counts <= 1x, flow <= 3x)")


if __name__ == "__main__":
    main()
