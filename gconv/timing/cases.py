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
from .harness import DTYPES, TimingConfig, measure_cases, measurement_settings, resolve_device
from .options import graphed, work_scale
from .roofline import Peaks, attainable
from ..i18n import Said, say
from ..text import outside

MEMORY_BUDGET = 2 * 2**30  # bytes of tensors one timing run may allocate
CPU_CALL_BUDGET = 2e11  # FLOPs per call on CPU (a few seconds at tens of GFLOP/s) before we refuse
CASES = ("grouped", "dense", "split", "depthwise", "gdc_conv", "gdc_sum", "gap")
LABELS = {name: say(f"case.{name}") for name in CASES}  # what each case is, said in the reader's language
COLUMNS = ("case", "G", "batch", "median_ms", "iqr_ms", "spread", "unstable", "note", "runs", "gflops", "gbps",
           "intensity", "roofline_fraction", "kernels")
BATCHES = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class Case:
    """One thing to time: its name, the FLOPs and minimum bytes of one forward call on the batch, and the
    bytes of its weights and output (what a set of cases sharing one input holds)."""

    name: str
    spec: ConvSpec | None  # the conv run (None for the weighted sum and the average)
    flops: int
    bytes: int
    weight_bytes: int = 0
    output_bytes: int = 0


@dataclass(frozen=True)
class Timed:
    """A case with the layer whose input it reads and the config (batch) it runs with."""

    case: Case
    layer: ConvSpec
    config: TimingConfig


def case_list(spec: ConvSpec, config: TimingConfig, names=CASES) -> list[Case]:
    """The cases for spec at the config's batch and dtype, with forward FLOPs and minimum bytes."""
    B = config.batch
    C, H, W = spec.C, spec.H, spec.W
    depthwise = spec.replace(N=spec.C, G=spec.C)
    gdc = cost.gdc_layer(C, H, W)
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
            out.append(Case(name, s, B * cost.flops(s), cost.min_bytes(s, config.dtype, B),
                            cost.weight_bytes(s, config.dtype), cost.output_bytes(s, config.dtype, B)))
        elif name == "gdc_sum":
            out.append(Case(name, None, B * cost.flops(gdc), cost.min_bytes(gdc, config.dtype, B),
                            cost.weight_bytes(gdc, config.dtype), cost.output_bytes(gdc, config.dtype, B)))
        elif name == "gap":
            out.append(Case(name, None, B * cost.gap_cost(C, H, W).adds, cost.gap_bytes(C, H, W, config.dtype, B), 0,
                            cost.output_bytes(gdc, config.dtype, B)))
        else:
            raise GConvError(say("err.case", name=outside(name, 32, quote=True), valid=", ".join(CASES)))
    return out


def layer_items(spec: ConvSpec, config: TimingConfig, names=CASES) -> list[Timed]:
    """The cases of one layer, timed together (they share its input)."""
    return [Timed(case, spec, config) for case in case_list(spec, config, names)]


def group_items(spec: ConvSpec, config: TimingConfig) -> list[Timed]:
    """The native grouped conv at every valid G of spec's C and N."""
    return [Timed(case_list(spec.replace(G=g), config, ("grouped",))[0], spec.replace(G=g), config)
            for g in valid_groups(spec.C, spec.N)]


def batch_items(spec: ConvSpec, config: TimingConfig, batches=BATCHES) -> list[Timed]:
    """The native grouped conv at each batch size, stopping before the first that would break the budgets
    (the cases are held together, so the budget is for all of them)."""
    from dataclasses import replace

    items: list[Timed] = []
    for b in batches:
        c = replace(config, batch=b)
        more = items + [Timed(case_list(spec, c, ("grouped",))[0], spec, c)]
        if budget_problem(more) is not None:
            break
        items = more
    return items


def allocation(items: list[Timed]) -> int:
    """Bytes a set of cases holds while timed together: each distinct input once, every weight, the largest
    output (outputs are freed call by call); ×3 with backward for gradients and saved activations."""
    inputs = {(t.config.batch, t.layer.C, t.layer.H, t.layer.W): cost.input_bytes(t.layer, t.config.dtype,
                                                                                  t.config.batch) for t in items}
    held = sum(inputs.values()) + sum(t.case.weight_bytes for t in items) + max(t.case.output_bytes for t in items)
    return held * work_scale(items[0].config.backward)


def budget_problem(items: list[Timed]) -> Said | None:
    """Why timing these cases together would exceed the budgets (said in the reader's language), or None when it
    fits; nothing is allocated."""
    need = allocation(items)
    config = items[0].config
    if need > MEMORY_BUDGET:
        return say("err.budget_memory", need=f"{need / 2**20:,.0f}", budget=f"{MEMORY_BUDGET / 2**20:,.0f}",
                   batch=config.batch)
    if resolve_device(config.device) == "cpu":
        for t in items:
            work = t.case.flops * work_scale(config.backward)
            if work > CPU_CALL_BUDGET:
                return say("err.budget_cpu", case=LABELS[t.case.name], gflop=f"{work / 1e9:,.0f}",
                           limit=f"{CPU_CALL_BUDGET / 1e9:,.0f}")
    return None


def check_budget(items: list[Timed]) -> None:
    """Refuse, before allocating, a run over the budgets: BudgetError says which and what to lower."""
    problem = budget_problem(items)
    if problem is not None:
        raise BudgetError(problem)


def random_tensor(shape, config: TimingConfig, device: str, grad: bool) -> torch.Tensor:
    """Standard-normal values in the config's dtype and memory format on device, as every timed case reads."""
    t = torch.randn(*shape, device=device, dtype=DTYPES[config.dtype])
    if config.memory_format == "channels_last" and t.dim() == 4:
        t = t.contiguous(memory_format=torch.channels_last)
    return t.requires_grad_(grad)


def make_step(case: Case, layer: ConvSpec, config: TimingConfig, device: str,
              x: torch.Tensor | None = None) -> Callable[[], object]:
    """A no-argument callable running the case once (forward, or forward + backward); x: a shared input."""
    B, grad = config.batch, config.backward
    C, H, W = layer.C, layer.H, layer.W
    if x is None:
        x = random_tensor((B, C, H, W), config, device, grad)
    # The computations are gconv.equivalence's, so what is timed is what the equivalence check verifies.
    if case.name in ("gdc_sum", "gap"):
        w = random_tensor((C, H, W), config, device, grad)
        fwd = (lambda: gdc_sum(x, w)) if case.name == "gdc_sum" else (lambda: gap(x))
    else:
        s = case.spec
        w = random_tensor(s.weight_shape, config, device, grad)  # 4-D, so channels_last applies to it too
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


def time_items(items: list[Timed], config: TimingConfig, peaks: Peaks | None = None,
               progress: Callable[[float, str], None] | None = None, used: dict | None = None) -> list[dict]:
    """Time the cases together in interleaved rounds (harness.measure_cases), one row each, in their order.

    Cases reading the same input share one tensor. Each row carries the measured time, its spread and
    stability, and what it achieves against the cost model and the roofline. used: the settings of an
    enclosing measurement_settings block (what the run reports), else the cases set their own.
    """
    check_budget(items)
    device = resolve_device(config.device)
    inputs, steps = {}, {}
    for i, t in enumerate(items):
        key = (t.config.batch, t.layer.C, t.layer.H, t.layer.W)
        if key not in inputs:
            inputs[key] = random_tensor(key, t.config, device, t.config.backward)
        steps[i] = make_step(t.case, t.layer, t.config, device, x=inputs[key])
    if used is not None:
        timings = measure_cases(steps, config, device, progress, used)
    else:
        with measurement_settings(config, device) as own:
            timings = measure_cases(steps, config, device, progress, own)
    if progress:
        progress(1.0, say("timing.progress.done"))
    scale = work_scale(config.backward)
    rows = []
    for i, t in enumerate(items):
        m = timings[i]
        flops, nbytes = t.case.flops * scale, t.case.bytes * scale
        rows.append({"case": LABELS[t.case.name], "G": t.case.spec.G if t.case.spec is not None else t.layer.C,
                     "batch": t.config.batch, "median_ms": m.median * 1e3, "iqr_ms": m.iqr * 1e3,
                     "spread": m.spread, "unstable": m.unstable, "note": m.note, "runs": m.runs,
                     "gflops": flops / m.median / 1e9, "gbps": nbytes / m.median / 1e9, "intensity": flops / nbytes,
                     "roofline_fraction": None if peaks is None else flops / m.median / attainable(flops / nbytes,
                                                                                                   peaks),
                     "kernels": ", ".join(m.kernels)})
    return rows


def time_layer(spec: ConvSpec, config: TimingConfig, names=CASES, peaks: Peaks | None = None,
               progress: Callable[[float, str], None] | None = None, used: dict | None = None) -> list[dict]:
    """Time every case for the layer together; rows in COLUMNS order of keys."""
    return time_items(layer_items(spec, config, names), config, peaks, progress, used)


def sweep_groups(spec: ConvSpec, config: TimingConfig, peaks: Peaks | None = None,
                 progress: Callable[[float, str], None] | None = None, used: dict | None = None) -> list[dict]:
    """The native grouped conv at every valid G for spec's C and N, timed together (one row per G), with MACs."""
    items = group_items(spec, config)
    rows = time_items(items, config, peaks, progress, used)
    for row, t in zip(rows, items):
        row["macs"] = cost.macs(t.layer) * config.batch
    return rows


def sweep_batch(spec: ConvSpec, config: TimingConfig, batches=BATCHES, peaks: Peaks | None = None,
                progress: Callable[[float, str], None] | None = None, used: dict | None = None) -> list[dict]:
    """The native grouped conv over batch sizes, timed together (stops before the first batch over the budgets)."""
    return time_items(batch_items(spec, config, batches), config, peaks, progress, used)


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
    if graphed(config.cuda_graph, device):
        lines += ["s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())",
                  "with torch.cuda.stream(s):", "    [step() for _ in range(3)]",
                  "torch.cuda.current_stream().wait_stream(s)",
                  "graph = torch.cuda.CUDAGraph()", "with torch.cuda.graph(graph):", "    step()",
                  "step = graph.replay"]
    lines += [f"m = benchmark.Timer('step()', globals={{'step': step}}, num_threads=threads)"
              f".blocked_autorange(min_run_time={config.min_run_time})",
              "print(m)", "print(f'median {m.median * 1e3:.4f} ms, IQR {m.iqr * 1e3:.4f} ms, {len(m.times)} runs')"]
    return "\n".join(lines) + "\n"

