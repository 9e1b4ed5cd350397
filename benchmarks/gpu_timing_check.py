"""The GPU checks of the timing issue, as one script for a lent GPU machine (not run in CI).

Run: python benchmarks/gpu_timing_check.py [--quick]
Exercises the CUDA path (synchronising Timer, cuDNN autotune warm-up, CUDA graph replay, channels_last, bf16,
forward+backward, kernel names from torch.profiler) and prints the G sweep and the layer table with the
measured and datasheet peaks, then replays ShuffleNet V2's G1 and G2 experiments beside the paper's GTX 1080Ti
column. --quick runs the same code on whatever device is here (CPU included), small
and short, so the script cannot rot where no GPU is lent.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from gconv import ConvSpec  # noqa: E402
from gconv.cli import print_bench, print_replication  # noqa: E402
from gconv.timing import TimingConfig, resolve_device, run, supported_dtypes  # noqa: E402
from gconv.timing.replicate import EXPERIMENTS, replicate  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not args.quick and not torch.cuda.is_available():
        sys.exit("no CUDA device here: this script is for a GPU machine (--quick runs it small on any device)")
    device = resolve_device("auto")
    if args.quick:
        spec, batch, seconds = ConvSpec(C=16, N=16, G=4, K=3, H=8, W=8, padding=1), 2, 0.01
    else:
        spec, batch, seconds = ConvSpec(C=256, N=256, G=32, K=3, H=56, W=56, padding=1), 64, 0.3
    low = "bf16" if "bf16" in supported_dtypes(device) else "fp32"
    cuda = device == "cuda"
    runs = [("layer", "fp32", "nchw", False, False), ("layer", low, "channels_last", cuda, False),
            ("layer", low, "channels_last", False, True), ("groups", low, "channels_last", cuda, False)]
    for kind, dtype, layout, graph, backward in runs:
        config = TimingConfig(device=device, dtype=dtype, memory_format=layout, batch=batch, cuda_graph=graph,
                              backward=backward, min_run_time=seconds, warmup=1 if args.quick else 3)
        print(f"\n=== {kind}, {dtype} {layout} graph={graph} backward={backward}")
        print_bench(run(kind, spec, config).as_dict())
    for name in EXPERIMENTS:
        print(f"\n=== replicate {name}, batch 1 (the paper does not state its batch size)")
        print_replication(replicate(name, TimingConfig(device=device, batch=1, min_run_time=seconds)).as_dict())


if __name__ == "__main__":
    main()
