"""What is timed for one layer: grouped, dense, split, depthwise, GDC (conv and sum), GAP; sweeps over G and batch.

Every row carries the cost model's FLOPs and minimum bytes, so achieved GFLOP/s, GB/s and the fraction of the
roofline bound come with each time. With backward, FLOPs and bytes are estimated as 3× the forward's (the
input-gradient and weight-gradient passes each do about the forward's work on tensors of the forward's sizes).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import cost
from ..equivalence import gap, gdc_conv, gdc_sum, native_conv, split_conv
from ..errors import BudgetError, GConvError
from ..spec import ConvSpec, valid_groups
from .harness import DTYPES, TimingConfig, measure, resolve_device
from .roofline import Peaks, attainable

MEMORY_BUDGET = 2 * 2**30  # bytes of tensors one timing run may allocate
CPU_CALL_BUDGET = 2e11  # FLOPs per call on CPU (a few seconds at tens of GFLOP/s) before we refuse
CASES = ("grouped", "dense", "split", "depthwise", "gdc_conv", "gdc_sum", "gap")
LABELS = {
    "grouped": "grouped conv (native, groups=G)", "dense": "same layer dense (G=1)",
    "split": "G separate convs, concatenated", "depthwise": "depthwise (G=C, N=C)",
    "gdc_conv": "GDC as a conv (kernel = H×W)", "gdc_sum": "GDC as (x*w).sum", "gap": "GAP (mean over H×W)",
}
COLUMNS = ("case", "G", "batch", "median_ms", "iqr_ms", "runs", "gflops", "gbps", "intensity",
           "roofline_fraction", "kernels")


@dataclass(frozen=True)
class Case:
    """One thing to time: its name, the FLOPs and minimum bytes of one forward call on the batch."""

    name: str
    spec: ConvSpec | None  # the conv run (None for the weighted sum and the average)
    flops: int
    bytes: int


def case_list(spec: ConvSpec, config: TimingConfig, names=CASES) -> list[Case]:
    """The cases for spec at the config's batch and dtype, with forward FLOPs and minimum bytes."""
    B, b = config.batch, cost.dtype_bytes(config.dtype)
    C, H, W = spec.C, spec.H, spec.W
    depthwise = spec.replace(N=spec.C, G=spec.C)
    gdc = ConvSpec(C=C, N=C, G=C, K=(H, W), H=H, W=W)
    out = []
    for name in names:
        if name in ("grouped", "split"):
            s = spec
        elif name == "dense":
            s = spec.dense()
        elif name == "depthwise":
            s = depthwise
        elif name == "gdc_conv":
            s = gdc
        else:
            s = None
        if s is not None:
            out.append(Case(name, s, B * cost.flops(s), cost.min_bytes(s, config.dtype, B)))
        elif name == "gdc_sum":
            out.append(Case(name, None, B * cost.flops(gdc), cost.min_bytes(gdc, config.dtype, B)))
        elif name == "gap":
            out.append(Case(name, None, B * C * H * W, (B * C * H * W + B * C) * b))
        else:
            raise GConvError(f"unknown case {str(name)[:32]!r}; valid: {', '.join(CASES)}")
    return out


def allocation(case: Case, config: TimingConfig) -> int:
    """Bytes of tensors a case allocates (×3 with backward for gradients and saved activations)."""
    return case.bytes * (3 if config.backward else 1)


def budget_problem(spec: ConvSpec, config: TimingConfig, names=CASES) -> str | None:
    """Why a run's tensors or CPU work would exceed the budgets, or None when it fits (nothing allocated)."""
    device = resolve_device(config.device)
    for case in case_list(spec, config, names):
        need = allocation(case, config)
        if need > MEMORY_BUDGET:
            return (f"{LABELS[case.name]} would allocate {need / 2**20:,.0f} MiB, over the "
                    f"{MEMORY_BUDGET / 2**20:,.0f} MiB budget; lower the batch ({config.batch}) or H×W")
        work = case.flops * (3 if config.backward else 1)
        if device == "cpu" and work > CPU_CALL_BUDGET:
            return (f"{LABELS[case.name]} is {work / 1e9:,.0f} GFLOP per call, too slow to time interactively on "
                    f"a CPU (limit {CPU_CALL_BUDGET / 1e9:,.0f}); lower the batch, H×W or channels")
    return None


def check_budget(spec: ConvSpec, config: TimingConfig, names=CASES) -> None:
    """Refuse, before allocating, a run over the budgets: BudgetError says which and what to lower."""
    problem = budget_problem(spec, config, names)
    if problem is not None:
        raise BudgetError(problem)


def _tensor(shape, config: TimingConfig, device: str, grad: bool) -> torch.Tensor:
    t = torch.randn(*shape, device=device, dtype=DTYPES[config.dtype])
    if config.memory_format == "channels_last" and t.dim() == 4:
        t = t.contiguous(memory_format=torch.channels_last)
    return t.requires_grad_(grad)


def make_step(case: Case, layer: ConvSpec, config: TimingConfig, device: str) -> Callable[[], object]:
    """A no-argument callable running the case once (forward, or forward + backward)."""
    B, grad = config.batch, config.backward
    C, H, W = layer.C, layer.H, layer.W
    x = _tensor((B, C, H, W), config, device, grad)
    # The computations are gconv.equivalence's, so what is timed is what the equivalence check verifies.
    if case.name in ("gdc_sum", "gap"):
        w = _tensor((C, H, W), config, device, grad)
        fwd = (lambda: gdc_sum(x, w)) if case.name == "gdc_sum" else (lambda: gap(x))
    else:
        s = case.spec
        w = _tensor(s.weight_shape, config, device, grad)  # 4-D, so channels_last applies to it too
        if case.name == "gdc_conv":
            def fwd():
                return gdc_conv(x, w.squeeze(1))
        elif case.name == "split":
            def fwd():
                return split_conv(x, w, None, s)
        else:
            def fwd():
                return native_conv(x, w, None, s)
    if not grad:
        def step():
            with torch.no_grad():
                return fwd()
        return step
    probe = fwd()
    g_out = torch.ones_like(probe)

    def step():
        x.grad = w.grad = None
        fwd().backward(g_out)
    return step


def time_case(case: Case, layer: ConvSpec, config: TimingConfig, device: str, peaks: Peaks | None) -> dict:
    """One table row: the measured time and what it achieves against the cost model and the roofline."""
    t = measure(make_step(case, layer, config, device), config, device)
    scale = 3 if config.backward else 1
    flops, nbytes = case.flops * scale, case.bytes * scale
    row = {"case": LABELS[case.name], "G": case.spec.G if case.spec is not None else layer.C,
           "batch": config.batch, "median_ms": t.median * 1e3, "iqr_ms": t.iqr * 1e3, "runs": t.runs,
           "gflops": flops / t.median / 1e9, "gbps": nbytes / t.median / 1e9, "intensity": flops / nbytes,
           "roofline_fraction": None, "kernels": ", ".join(t.kernels)}
    if peaks is not None:
        row["roofline_fraction"] = flops / t.median / attainable(flops / nbytes, peaks)
    return row


def time_layer(spec: ConvSpec, config: TimingConfig, names=CASES, peaks: Peaks | None = None,
               progress: Callable[[float, str], None] | None = None) -> list[dict]:
    """Time every case for the layer; rows in COLUMNS order of keys."""
    device = resolve_device(config.device)
    check_budget(spec, config, names)
    cases = case_list(spec, config, names)
    rows = []
    with _threads(config):
        for i, case in enumerate(cases):
            if progress:
                progress(i / len(cases), f"timing {LABELS[case.name]}")
            rows.append(time_case(case, spec, config, device, peaks))
    if progress:
        progress(1.0, "done")
    return rows


def sweep_groups(spec: ConvSpec, config: TimingConfig, peaks: Peaks | None = None,
                 progress: Callable[[float, str], None] | None = None) -> list[dict]:
    """The native grouped conv at every valid G for spec's C and N (one row per G), with its MACs."""
    device = resolve_device(config.device)
    groups = valid_groups(spec.C, spec.N)
    check_budget(spec.dense(), config, ("grouped",))
    rows = []
    with _threads(config):
        for i, g in enumerate(groups):
            if progress:
                progress(i / len(groups), f"G = {g}")
            s = spec.replace(G=g)
            row = time_case(case_list(s, config, ("grouped",))[0], s, config, device, peaks)
            row["macs"] = cost.macs(s) * config.batch
            rows.append(row)
    if progress:
        progress(1.0, "done")
    return rows


def sweep_batch(spec: ConvSpec, config: TimingConfig, batches=(1, 2, 4, 8, 16, 32, 64), peaks: Peaks | None = None,
                progress: Callable[[float, str], None] | None = None) -> list[dict]:
    """The native grouped conv over batch sizes (stops before the first batch over the budgets)."""
    from dataclasses import replace

    device = resolve_device(config.device)
    rows = []
    with _threads(config):
        for i, b in enumerate(batches):
            c = replace(config, batch=b)
            if budget_problem(spec, c, ("grouped",)) is not None:
                break
            if progress:
                progress(i / len(batches), f"batch {b}")
            rows.append(time_case(case_list(spec, c, ("grouped",))[0], spec, c, device, peaks))
    if progress:
        progress(1.0, "done")
    return rows


class _threads:
    """Set torch's CPU thread count for the duration of a run."""

    def __init__(self, config: TimingConfig):
        self.n = config.threads

    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


def script(spec: ConvSpec, config: TimingConfig) -> str:
    """A standalone Python script that times this layer's grouped conv the same way, outside the app."""
    device = resolve_device(config.device)
    fmt = "torch.channels_last" if config.memory_format == "channels_last" else "torch.contiguous_format"
    lines = [
        "# Reproduces gconv's timing of one grouped conv with torch.utils.benchmark.",
        "import torch",
        "import torch.nn.functional as F",
        "import torch.utils.benchmark as benchmark",
        "",
        f"device, dtype = {device!r}, torch.{str(DTYPES[config.dtype]).split('.')[-1]}",
        f"threads = {config.threads or 'torch.get_num_threads()'}",
        f"x = torch.randn({config.batch}, {spec.C}, {spec.H}, {spec.W}, device=device, dtype=dtype)"
        f".contiguous(memory_format={fmt}).requires_grad_({config.backward})",
        f"w = torch.randn{spec.weight_shape}.to(device, dtype).contiguous(memory_format={fmt})"
        f".requires_grad_({config.backward})",
        f"kw = dict(stride={spec.stride_hw}, padding={spec.padding_hw}, dilation={spec.dilation_hw}, groups={spec.G})",
    ]
    if config.backward:
        lines += ["g = torch.ones_like(F.conv2d(x, w, **kw))",
                  "def step():", "    x.grad = w.grad = None", "    F.conv2d(x, w, **kw).backward(g)"]
    else:
        lines += ["def step():", "    with torch.no_grad():", "        F.conv2d(x, w, **kw)"]
    lines += ["", "torch.backends.cudnn.benchmark = True", f"for _ in range({config.warmup}):", "    step()"]
    if config.cuda_graph and device == "cuda":
        lines += ["s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())",
                  "with torch.cuda.stream(s):", "    [step() for _ in range(3)]",
                  "torch.cuda.current_stream().wait_stream(s)",
                  "graph = torch.cuda.CUDAGraph()", "with torch.cuda.graph(graph):", "    step()",
                  "step = graph.replay"]
    lines += [f"m = benchmark.Timer('step()', globals={{'step': step}}, num_threads=threads)"
              f".blocked_autorange(min_run_time={config.min_run_time})",
              "print(m)", "print(f'median {m.median * 1e3:.4f} ms, IQR {m.iqr * 1e3:.4f} ms, {len(m.times)} runs')"]
    return "\n".join(lines) + "\n"

