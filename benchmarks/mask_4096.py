"""Time gconv.mask for C = N = 4096 at several G (target: well under 50 ms).

Run: python benchmarks/mask_4096.py [--quick]   (--quick: C = N = 256, 2 repeats)
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv import ConvSpec, mask  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    channels, repeats = (256, 2) if args.quick else (4096, 20)
    for G in (1, 2, 64, channels):
        spec = ConvSpec(C=channels, N=channels, G=G, K=3, H=56, W=56, padding=1)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            mask(spec)
            times.append(time.perf_counter() - t)
        print(f"mask C=N={channels} G={G:<5} median {statistics.median(times) * 1e3:6.2f} ms   "
              f"max {max(times) * 1e3:6.2f} ms   (target < 50 ms)")


if __name__ == "__main__":
    main()
