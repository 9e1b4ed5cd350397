"""Honesty check: gconv's harness against torch.utils.benchmark.Timer.blocked_autorange, side by side.

Run: python benchmarks/timing_vs_torch_timer.py [--device cpu|cuda] [--quick]   (--quick: one small shape, 0.01 s)
For three layer shapes, times the native grouped conv with gconv.timing.measure and with a bare Timer on the
same tensors, alternating the two three times, and prints the ratio of medians (expected 0.9 to 1.1).
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.utils.benchmark as benchmark  # noqa: E402

from gconv import ConvSpec  # noqa: E402
from gconv.timing.cases import case_list, make_step  # noqa: E402
from gconv.timing import TimingConfig, measure, resolve_device  # noqa: E402

SHAPES = [
    ConvSpec(C=64, N=128, G=4, K=3, H=28, W=28, padding=1),  # grouped 3×3
    ConvSpec(C=128, N=128, G=128, K=3, H=28, W=28, padding=1),  # depthwise
    ConvSpec(C=96, N=256, G=2, K=5, H=27, W=27, padding=2),  # AlexNet conv2
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    device = resolve_device(args.device)
    seconds = 0.01 if args.quick else 0.3
    shapes = [ConvSpec(C=8, N=8, G=2, K=3, H=8, W=8, padding=1)] if args.quick else SHAPES
    config = TimingConfig(device=device, batch=2 if args.quick else 8, min_run_time=seconds)
    threads = torch.get_num_threads()
    print(f"device {device}, torch {torch.__version__}, {threads} threads")
    for spec in shapes:
        step = make_step(case_list(spec, config, ("grouped",))[0], spec, config, device)
        ours, theirs = [], []
        for _ in range(3):
            ours.append(measure(step, config, device).median)
            theirs.append(benchmark.Timer("step()", globals={"step": step}, num_threads=threads)
                          .blocked_autorange(min_run_time=seconds).median)
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{spec.torch_repr():<95} gconv {a * 1e3:8.4f} ms   Timer {b * 1e3:8.4f} ms   ratio {a / b:5.3f}")


if __name__ == "__main__":
    main()
