"""Time to inspect every zoo model at its default input size (target: under 2 s each).

Run: python benchmarks/inspect_speed.py [--quick]   (--quick: MobileFaceNet only)
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv.inspector import zoo  # noqa: E402
from gconv.inspector.hooks import inspect_zoo  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for name in ("mobilefacenet",) if args.quick else zoo.NAMES:
        t = time.perf_counter()
        r = inspect_zoo(name)
        dt = time.perf_counter() - t
        print(f"{name:<16} {dt:5.2f} s (build + forward hooks)  {r.total_params:>12,} params  {r.total_macs:>15,} MACs"
              "  (target < 2 s)")


if __name__ == "__main__":
    main()
