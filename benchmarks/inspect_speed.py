"""Time to inspect every zoo model at its default input size (target: under 2 s each), and the same model's ONNX
export read in this process and by the bounded reader process that reads uploads, side by side in one run
(target: the reader, warm, within 1.2× of in-process).

Run: python benchmarks/inspect_speed.py [--quick]   (--quick: MobileFaceNet only)
"""
import argparse
import io
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import torch  # noqa: E402

from gconv.inspector import zoo  # noqa: E402
from gconv.inspector.bounded import WEB, Reader, inspect_file  # noqa: E402
from gconv.inspector.hooks import inspect_zoo  # noqa: E402


def export(name: str) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(zoo.build(name), (torch.zeros(1, 3, *zoo.INPUT_SIZES[name]),), buf, dynamo=False)
    return buf.getvalue()


def interleaved(a, b, repeats: int) -> tuple[float, float]:
    """Best times of a and b run alternately, so that both see the same machine (page cache, other load); the best
    of several, because a 10 ms read on 2 shared cores is otherwise mostly noise."""
    times = ([], [])
    for _ in range(repeats):
        for fn, out in zip((a, b), times):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return min(times[0]), min(times[1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = ("mobilefacenet",) if args.quick else zoo.NAMES
    for name in names:
        t = time.perf_counter()
        r = inspect_zoo(name)
        dt = time.perf_counter() - t
        print(f"{name:<16} {dt:5.2f} s (build + forward hooks)  {r.total_params:>12,} params  {r.total_macs:>15,} MACs"
              "  (target < 2 s)")
    reader, repeats = Reader(WEB), 5 if args.quick else 9
    print(f"\nONNX export read: in this process vs the bounded reader process (warm), alternated, best of {repeats}")
    totals = (0.0, 0.0)
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            path = Path(folder) / f"{name}.onnx"
            path.write_bytes(export(name))
            t = time.perf_counter()
            reader.read(str(path), path.name)  # the first file also pays the reader's start, as after a restart
            cold = time.perf_counter() - t
            inside, bounded = interleaved(lambda: inspect_file(str(path), path.name, WEB.max_bytes),
                                          lambda: reader.read(str(path), path.name), repeats)
            totals = (totals[0] + inside, totals[1] + bounded)
            print(f"{name:<16} onnx in-process {inside:6.3f} s  reader {bounded:6.3f} s  ratio {bounded / inside:4.2f}"
                  f"  (first read {cold:5.2f} s)")
    reader.stop()
    print(f"{'all ' + str(len(names)):<16} onnx in-process {totals[0]:6.3f} s  reader {totals[1]:6.3f} s  ratio "
          f"{totals[1] / totals[0]:4.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
