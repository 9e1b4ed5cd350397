"""Time to inspect every zoo model at its default input size (target: under 2 s each).

Run: python benchmarks/inspect_speed.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv import zoo  # noqa: E402
from gconv.inspect import inspect_zoo  # noqa: E402


def main():
    for name in zoo.NAMES:
        t = time.perf_counter()
        r = inspect_zoo(name)
        dt = time.perf_counter() - t
        print(f"{name:<16} {dt:5.2f} s (build + forward hooks)  {r.total_params:>12,} params  {r.total_macs:>15,} MACs"
              "  (target < 2 s)")


if __name__ == "__main__":
    main()
