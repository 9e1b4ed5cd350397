"""Peak memory of reading a large network, as a multiple of its size, side by side in one run:
- an .onnx file (dense 3×3 convs of 1024 channels, weights inline): read whole and parsed by onnx (the old way),
  against gconv's reader (the file mapped, its weights' bytes never read);
- a torch model in memory: gconv.summary's export without parameters, against an export with them.
Each measurement runs in a fresh process; peak = VmHWM (the process image's peak resident set).
Target: at most 1.5x the network's size (the issue [debug]).

Run: python benchmarks/inspect_memory.py [--mib 1024] [--quick]   (--quick: a 160 MiB file and a small model)
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from big_onnx import write_big  # noqa: E402

PEAK = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
FILE = {
    "onnx whole": "import onnx, sys\nm = onnx.load_model_from_string(open(sys.argv[1], 'rb').read())\n",
    "gconv reader": "import sys\nfrom gconv.inspector.bounded import inspect_file\n"
                    "r, f = inspect_file(sys.argv[1], 'big.onnx', 2**62)\n",
}
MODEL = ("import io, sys, torch, torch.nn as nn\nfrom gconv.inspector.summary import summary\n"
         "torch.manual_seed(0)\nnet = nn.Sequential(*[nn.Conv2d(1024, 1024, 3, padding=1) for _ in range(int(sys.argv[1]))])"
         ".eval()\nbase = {peak}\n{run}\nprint(base, {peak})\n")
RUNS = {
    "export with parameters": "torch.onnx.export(net, (torch.zeros(1, 1024, 8, 8),), io.BytesIO(), dynamo=False)",
    "gconv.summary": "s = summary(net, input_size=(1, 1024, 8, 8))",
}


def run(code: str, *args) -> list[int]:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                         timeout=1800)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return [int(x) for x in out.stdout.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024, help="the .onnx file's size, about")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    mib = 160 if args.quick else args.mib
    convs = max(1, round(mib * 2**20 / (1024 * 1024 * 9 * 4)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.onnx")
        size = write_big(path, C=1024, convs=convs)
        for name, code in FILE.items():
            (peak,) = run(code + f"print({PEAK})\n", path)
            print(f"file {size / 2**20:7,.0f} MiB  {name:<14} peak {peak / 2**20:7,.0f} MiB  {peak / size:5.2f}x the file")
    layers = 2 if args.quick else max(1, convs // 3)
    model = layers * (1024 * 1024 * 9 + 1024) * 4
    for name, code in RUNS.items():
        base, peak = run(MODEL.format(peak=PEAK, run=code), layers)
        print(f"model {model / 2**20:6,.0f} MiB  {name:<22} peak beyond the model {(peak - base) / 2**20:7,.0f} MiB  "
              f"{(peak - base) / model:5.2f}x the model")


if __name__ == "__main__":
    main()
