"""Wall time of the default GDC vs GAP training (both heads) on this machine (target: under 15 s).

Run: python benchmarks/gdc_training.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv.training import GDCConfig, train  # noqa: E402


def main():
    import torch

    for seed in (0, 1, 2):
        t = time.perf_counter()
        r = train(GDCConfig(seed=seed))
        wall = time.perf_counter() - t
        print(f"seed {seed}: both heads trained in {wall:5.1f} s on {r.config.threads} threads "
              f"(torch {torch.__version__}); GDC {r.gdc.test_acc[-1]:.1%}, GAP {r.gap.test_acc[-1]:.1%}, "
              f"concentration {r.concentration:.2f} (target < 15 s)")


if __name__ == "__main__":
    main()
