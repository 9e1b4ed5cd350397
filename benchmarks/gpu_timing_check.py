"""The GPU checks of the timing issue, as one script for a lent GPU machine (not run in CI).

Run: python benchmarks/gpu_timing_check.py
Exercises the CUDA path (synchronising Timer, cuDNN autotune warm-up, CUDA graph replay, channels_last, bf16,
forward+backward, kernel names from torch.profiler) and prints the G sweep and the layer table with the
measured and datasheet peaks.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from gconv import ConvSpec  # noqa: E402
from gconv.cli import print_bench  # noqa: E402
from gconv.kernels import sweep_groups, time_layer  # noqa: E402
from gconv.timing import TimingConfig, environment, peaks_for  # noqa: E402


def report(title, spec, config, rows, peaks):
    print(f"\n=== {title}")
    print_bench({"environment": environment(config), "rows": rows,
                 "peaks": [{"flops": p.flops, "bandwidth": p.bandwidth, "source": p.source} for p in peaks]})


def main():
    if not torch.cuda.is_available():
        sys.exit("no CUDA device here: this script is for a GPU machine")
    spec = ConvSpec(C=256, N=256, G=32, K=3, H=56, W=56, padding=1)
    for dtype, layout, graph, backward in [("fp32", "nchw", False, False), ("bf16", "channels_last", True, False),
                                           ("bf16", "channels_last", False, True)]:
        config = TimingConfig(device="cuda", dtype=dtype, memory_format=layout, batch=64, cuda_graph=graph,
                              backward=backward, min_run_time=0.3)
        peaks = peaks_for("cuda", dtype)
        report(f"layer, {dtype} {layout} graph={graph} backward={backward}", spec, config,
               time_layer(spec, config, peaks=peaks[0]), peaks)
    config = TimingConfig(device="cuda", dtype="bf16", memory_format="channels_last", batch=64, cuda_graph=True,
                          min_run_time=0.3)
    peaks = peaks_for("cuda", "bf16")
    report("G sweep, bf16 channels_last, CUDA graphs", spec, config, sweep_groups(spec, config, peaks=peaks[0]), peaks)


if __name__ == "__main__":
    main()
