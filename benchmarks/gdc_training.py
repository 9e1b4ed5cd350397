"""Wall time of the default GDC vs GAP training (both heads) on this machine (target: under 15 s).

Run: python benchmarks/gdc_training.py [--quick]   (--quick: one 1-epoch run of width 4)
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gconv.gdc.training import GDCConfig, train  # noqa: E402


def main():
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    configs = [GDCConfig(epochs=1, width=4)] if args.quick else [GDCConfig(seed=seed) for seed in (0, 1, 2)]
    for config in configs:
        seed = config.seed
        t = time.perf_counter()
        r = train(config)
        wall = time.perf_counter() - t
        print(f"seed {seed}: both heads trained in {wall:5.1f} s on {r.config.threads} threads "
              f"(torch {torch.__version__}); GDC {r.gdc.test_acc[-1]:.1%}, GAP {r.gap.test_acc[-1]:.1%}, "
              f"concentration {r.concentration:.2f} (target < 15 s)")


if __name__ == "__main__":
    main()
