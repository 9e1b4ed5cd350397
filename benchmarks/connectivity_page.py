"""Server-side time to build every figure of the connectivity page (target: under 200 ms).

Run: python benchmarks/connectivity_page.py [--quick]
Times the figure builders and their JSON encoding (what Streamlit sends), warm, median of 5.
--quick: C = N = 64, one repeat, to check the script still works.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv import ConvSpec, reachability  # noqa: E402
from gconv.connectivity import follow_up_stack  # noqa: E402
from gconv.plots.connectivity import bipartite, mask_figure, reachability_figure  # noqa: E402


def page_figures(spec: ConvSpec) -> list:
    stack = follow_up_stack(spec, 4)
    plain, mixed = reachability(stack), reachability(stack, shuffle=True)
    return [bipartite(spec, selected=spec.N // 2), mask_figure(spec),
            reachability_figure(mixed, f"reach {plain.mean():.3f}")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    channels, repeats = (64, 1) if args.quick else (2048, 5)
    page_figures(ConvSpec(C=8, N=8, G=2, K=3, H=8, W=8))  # warm plotly's validators
    for G in (1, channels):
        spec = ConvSpec(C=channels, N=channels, G=G, K=3, H=56, W=56, padding=1)
        times, size = [], 0
        for _ in range(repeats):
            t = time.perf_counter()
            figs = page_figures(spec)
            size = sum(len(f.to_json()) for f in figs)
            times.append(time.perf_counter() - t)
        print(f"C = N = {channels}, G = {G:<5} all figures built and encoded: median {statistics.median(times) * 1e3:6.1f} ms"
              f"  (max {max(times) * 1e3:6.1f} ms, {size / 1024:,.0f} KiB JSON; target < 200 ms)")


if __name__ == "__main__":
    main()
