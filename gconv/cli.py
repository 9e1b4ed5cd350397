"""Command line: python -m gconv spec C=64 N=128 G=4 K=3 H=56 W=56 padding=1 [--json]."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import cost, fmt
from .errors import GConvError
from .parse import parse_assignments, parse_spec


def spec_report(args) -> dict:
    """The summary of one layer spec from NAME=VALUE arguments."""
    spec = parse_spec(parse_assignments(args.fields))
    report = {"spec": spec.as_dict(), "torch": spec.torch_repr(), **cost.summary(spec, args.dtype, args.batch)}
    return report


SPEC_ROWS = [
    ("kind", "kind_label"), ("layer", "torch"), ("weight shape", "weight_shape"),
    ("input shape", "input_shape"), ("output shape", "output_shape"), ("params", "params"),
    ("MACs / sample", "macs"), ("FLOPs / sample (2·MACs)", "flops"),
    ("min bytes moved", "min_bytes"), ("intensity (FLOP/byte)", "intensity_flop_per_byte"),
    ("ratio to dense (G=1)", "dense_ratio"),
]


def print_spec(report: dict) -> None:
    width = max(len(label) for label, _ in SPEC_ROWS)
    for label, key in SPEC_ROWS:
        print(f"{label:<{width}}  {fmt.value(report[key])}")


def gdc_report(args) -> dict:
    """Train the GDC and GAP heads on one dataset and report their test accuracies."""
    import numpy as np

    from .gdc import GDCConfig, train

    config = GDCConfig(dataset=args.dataset, region=args.region, width=args.width, map_size=args.map_size,
                       epochs=args.epochs, seed=args.seed)
    result = train(config)
    report = result.summary()
    if args.save_weights:
        # The home page's GDC picture is such a file: what this training learned, with how it was made.
        report["relative_weights"] = np.round(result.relative_weights(), 4).tolist()
        Path(args.save_weights).write_text(json.dumps(report) + "\n")
    return report


def print_gdc(report: dict) -> None:
    c = report["config"]
    print(f"dataset {c['dataset']}" + (f" (region {c['region']})" if c["dataset"] == "synthetic" else "") +
          f", width {c['width']}, map {c['map_size']}×{c['map_size']}, {c['epochs']} epochs, seed {c['seed']}")
    print(f"GDC test accuracy  {report['gdc_test_acc']:.1%}")
    print(f"GAP test accuracy  {report['gap_test_acc']:.1%}")
    if report["concentration"] is not None:
        print(f"GDC change inside the region / region share  {report['concentration']:.2f}")
    print(f"wall time (both heads)  {report['seconds']:.1f} s")


BENCH_DEFAULTS = {"K": 3, "H": 56, "W": 56, "padding": 1}


def bench_report(args) -> dict:
    """Time the layer's kernels (or a sweep) with the timing harness; the table and the environment."""
    from .timing import TimingConfig, run

    spec = parse_spec(parse_assignments(args.fields), defaults=BENCH_DEFAULTS)
    config = TimingConfig(device=args.device, dtype=args.dtype, batch=args.batch, backward=args.backward,
                          memory_format="channels_last" if args.channels_last else "nchw",
                          cuda_graph=args.cuda_graph, threads=args.threads, min_run_time=args.min_run_time)
    return run(args.sweep or "layer", spec, config).as_dict()


def print_bench(report: dict) -> None:
    env = report["environment"]
    print(", ".join(f"{k}={v}" for k, v in env.items()))
    for p in report["peaks"]:
        print(f"peak {p['flops'] / 1e9:,.1f} GFLOP/s, {p['bandwidth'] / 1e9:,.1f} GB/s ({p['source']})")
    head = f"{'case':<34} {'G':>5} {'batch':>5} {'median ms':>10} {'IQR ms':>8} {'spread':>7} {'runs':>5} " \
           f"{'GFLOP/s':>9} {'GB/s':>8} {'FLOP/B':>8} {'roof %':>7}  kernels"
    print(head)
    for r in report["rows"]:
        roof = "" if r["roofline_fraction"] is None else f"{100 * r['roofline_fraction']:.0f}"
        spread = f"{r['spread']:.0%}" + ("!" if r["unstable"] else "")
        print(f"{r['case']:<34} {r['G']:>5} {r['batch']:>5} {r['median_ms']:>10.4f} {r['iqr_ms']:>8.4f} "
              f"{spread:>7} {r['runs']:>5} {r['gflops']:>9,.1f} {r['gbps']:>8,.1f} {r['intensity']:>8.2f} {roof:>7}  "
              f"{r['kernels']}")
    for r in report["rows"]:
        if r["unstable"]:
            print(f"! unstable: {r['case']} (G={r['G']}, batch {r['batch']}): {r['note']}")


def replicate_report(args) -> dict:
    """One of ShuffleNet V2's guideline experiments measured here, with the paper's figures beside."""
    from .timing import TimingConfig
    from .timing.replicate import replicate

    config = TimingConfig(device=args.device, batch=args.batch, threads=args.threads, min_run_time=args.min_run_time)
    return replicate(args.experiment, config).as_dict()


def print_replication(report: dict) -> None:
    print(report["title"])
    env = report["environment"]
    print(f"device {env['device']} ({env['device_name']}), torch {env['torch']}, {env['threads']} threads, batch "
          f"{report['batch']} ({report['batch_note']})")
    print(f"{'row':<6} {'widths':>10} {'FLOPs':>15} {'MAC (elements)':>15} {'median ms':>10} {'spread':>7} "
          f"{'here':>6} {'paper GPU':>10} {'paper ARM':>10}")
    for r in report["rows"]:
        spread = f"{r['spread']:.0%}" + ("!" if r["unstable"] else "")
        print(f"{r['setting']:<6} {r['widths']:>10} {r['flops']:>15,} {r['mac']:>15,} {r['median_ms']:>10.3f} {spread:>7} "
              f"{r['relative_speed']:>5.2f}× {r['paper_gpu']:>9.2f}× {r['paper_arm']:>9.2f}×")
    for line in report["findings"]:
        print(f"- {line}")


def inspect_report(args) -> dict:
    """The layer table, channel flow and findings of a zoo model or an .onnx file (gconv.inspector.summary: the
    pipeline the page and gconv.summary use too)."""
    from pathlib import Path

    from .inspector import zoo
    from .inspector.summary import of_file, of_zoo

    if args.model in zoo.NAMES:
        result = of_zoo(args.model)
    elif ":" in args.model and not Path(args.model).is_file():  # torchvision:NAME, timm:NAME, file.py:factory
        from .inspector.named import build_named
        from .inspector.summary import summary

        result = summary(build_named(args.model), input_size=parse_input(args.input), name=args.model)
    elif args.model.endswith(".onnx") or Path(args.model).is_file():
        if not Path(args.model).is_file():
            raise GConvError(f"no file {args.model!r}; valid: a path to an .onnx file, or {', '.join(zoo.NAMES)}")
        result = of_file(args.model)  # in the bounded reader process, as an upload is
    else:
        raise GConvError(f"unknown model {args.model!r}; valid: {', '.join(zoo.NAMES)}, or a path to an .onnx file")
    out = result.as_dict()
    if args.reach:
        a, b = args.reach
        if result.graph is None:  # a file: the pair is traced in the bounded reader process too
            from .inspector.bounded import local_limits, reader

            path = Path(args.model)
            reach = reader(local_limits(path.stat().st_size)).read(str(path), path.name,
                                                                   reach=(result.row(a), result.row(b)))
        else:
            reach = result.reach(a, b)
        out["reach"] = {"from": a, "to": b, "sees": reach.sum(axis=1).tolist(), "channels": int(reach.shape[1]),
                        "matrix": reach.astype(int).tolist()}
    return out


def parse_input(text: str) -> tuple[int, ...]:
    """--input 1,3,224,224: batch, channels, height, width."""
    parts = text.replace("x", ",").split(",")
    if len(parts) != 4 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise GConvError(f"--input {text!r}; valid: four positive whole numbers, such as 1,3,224,224")
    return tuple(int(p) for p in parts)


def print_inspect(report: dict) -> None:
    from .inspector.summary import table_text

    print(table_text(report))
    if "reach" in report:
        r = report["reach"]
        print(f"reach {r['from']} → {r['to']}: each output channel of {r['to']} sees (of {r['channels']} input "
              f"channels of {r['from']}): {', '.join(map(str, r['sees']))}")
        for row in r["matrix"][:64]:
            print("  " + "".join("█" if v else "·" for v in row[:128]))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gconv", description="Group convolution, made visible.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("spec", help="kind, shapes and costs of one conv layer")
    p.add_argument("fields", nargs="+", help="NAME=VALUE for C N G K H W [stride padding dilation bias]; "
                                            "pairs as 7x6")
    p.add_argument("--dtype", default="fp32", choices=sorted(cost.DTYPE_BYTES))
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=spec_report, show=print_spec)

    from .gdc.datasets import DATASETS, REGIONS, WIDTHS
    p = sub.add_parser("gdc", help="train a GDC head and a GAP head side by side")
    p.add_argument("--dataset", default="synthetic", choices=DATASETS)
    p.add_argument("--region", default="centre", choices=REGIONS, help="synthetic only")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=16, choices=WIDTHS)
    p.add_argument("--map-size", type=int, default=None)
    p.add_argument("--save-weights", metavar="FILE", default=None,
                   help="also write the run and its learned GDC weights (relative to GAP's) as JSON")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=gdc_report, show=print_gdc)

    from .timing.options import DEVICES, DTYPES, EXPERIMENTS, SWEEPS
    p = sub.add_parser("bench", help="time the layer's torch kernels on this machine")
    p.add_argument("fields", nargs="+", help="NAME=VALUE for C N G [K H W stride padding dilation bias]; "
                                            "unset K, H, W, padding are 3, 56, 56, 1")
    p.add_argument("--sweep", choices=SWEEPS, default=None,
                   help="every valid G, or batch sizes 1..64, for the native grouped conv")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--dtype", default="fp32", choices=DTYPES)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--backward", action="store_true", help="time forward + backward")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--cuda-graph", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--min-run-time", type=float, default=0.2)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=bench_report, show=print_bench)

    p = sub.add_parser("replicate", help="ShuffleNet V2's guideline experiments (Ma et al. 2018, Sec. 2) here")
    p.add_argument("experiment", choices=EXPERIMENTS,
                   help="g1: equal widths (Table 1); g2: group convs (Table 2)")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--batch", type=int, default=1, help="the paper does not state the batch size; 1 by default")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--min-run-time", type=float, default=0.2)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=replicate_report, show=print_replication)

    p = sub.add_parser("inspect", help="layer table of a zoo model or an .onnx file")
    p.add_argument("model", help="a zoo name (alexnet, mobilenet_v1, ...), a path to an .onnx file, "
                   "torchvision:NAME or timm:NAME (when that package is installed), or path/to/file.py:factory "
                   "(this RUNS your file's code: the factory is called with no arguments and returns the model)")
    p.add_argument("--input", default="1,3,224,224",
                   help="the input of a torchvision:, timm: or file.py: model: batch,channels,height,width")
    p.add_argument("--json", action="store_true")
    p.add_argument("--reach", nargs=2, metavar=("A", "B"),
                   help="which input channels of layer A each output channel of layer B can depend on")
    p.set_defaults(run=inspect_report, show=print_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = args.run(args)
    except GConvError as e:  # anything else is a bug and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        args.show(report)
    return 0
