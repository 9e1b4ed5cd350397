"""Server-side time to build the 3-D sliding view, figure and every animation frame (target: under 300 ms at
C = N = 64, H = W = 32).

Run: python benchmarks/tensor3d_build.py [--quick]
Times `plan` + `tensor_figure`, then separately the JSON encoding Streamlit does, warm, median of 7, for the
standard, grouped, depthwise, dilated and GDC cases of that size.
--quick: one repeat of each, to check the script still works.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv import ConvSpec  # noqa: E402
from gconv.plots.tensor3d import plan, tensor_figure  # noqa: E402

CASES = {
    "standard G=1": ConvSpec(C=64, N=64, G=1, K=3, H=32, W=32, padding=1),
    "grouped G=8": ConvSpec(C=64, N=64, G=8, K=3, H=32, W=32, padding=1),
    "depthwise G=64": ConvSpec(C=64, N=64, G=64, K=3, H=32, W=32, padding=1),
    "depthwise, dilation 2": ConvSpec(C=64, N=64, G=64, K=3, H=32, W=32, padding=2, dilation=2),
    "grouped, stride 2, dil. 3": ConvSpec(C=64, N=64, G=8, K=3, H=32, W=32, stride=2, padding=3, dilation=3),
    "GDC K=H=W=32": ConvSpec(C=64, N=64, G=64, K=32, H=32, W=32),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 1 if args.quick else 7
    tensor_figure(plan(ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1), 0, 0, 0), 0, 0)  # warm numpy, plotly
    for label, spec in CASES.items():
        n, i, j = spec.N // 2 + 1, spec.out_hw[0] // 2, spec.out_hw[1] // 2
        build, encode = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            fig = tensor_figure(plan(spec, n, i, j), i, j)
            build.append(time.perf_counter() - t)
            t = time.perf_counter()
            size = len(pio.to_json(fig, validate=False))
            encode.append(time.perf_counter() - t)
        print(f"{label:<26} {len(fig.data):>2} traces {len(fig.frames):>4} frames  built in median "
              f"{statistics.median(build) * 1e3:6.1f} ms (max {max(build) * 1e3:6.1f}; target < 300 ms)  "
              f"encoded {statistics.median(encode) * 1e3:5.1f} ms, {size / 1024:,.0f} KiB")


if __name__ == "__main__":
    main()
