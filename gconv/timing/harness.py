"""Timing harness on torch.utils.benchmark: device choice, warm-up, CUDA graphs, kernels seen, peaks measured,
and cases measured in interleaved rounds (noise.py) with torch's settings set for the measurement and restored.

The device lock (gconv.machine.DEVICE) serialises measurements and trainings, so that they never overlap.
"""
from __future__ import annotations

import platform
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark

from ..errors import GConvError
from ..machine import DEVICE, native_stderr_silenced, torch_settings, wait_for_quiet
from .noise import ROUNDS, settle
from .options import DIRECTIONS, graphed
from .roofline import Peaks, datasheet
from ..i18n import say
from ..text import outside

__all__ = ["DEVICE", "DTYPES", "TimingConfig", "Timing", "resolve_device", "available_devices", "supported_dtypes",
           "device_name", "environment", "kernels_of", "settle_allocator", "measure", "measure_cases",
           "measurement_settings", "measured_peaks", "peaks_for"]

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
_BACKEND_HINTS = ("cudnn", "miopen", "mkldnn", "onednn", "depthwise", "slow_conv", "thnn", "nnpack", "mps",
                  "winograd", "cutlass", "xmma", "implicit", "gemm", "conv")


@dataclass(frozen=True)
class TimingConfig:
    """How to time: device, dtype, layout, batch, direction, CUDA graphs, threads and run length."""

    device: str = "auto"  # auto (cuda, then mps, then cpu) | cpu | cuda | mps
    dtype: str = "fp32"  # fp32 | fp16 | bf16 (where the device supports it)
    memory_format: str = "nchw"  # nchw | channels_last
    batch: int = 8
    backward: bool = False  # time forward + backward instead of forward only
    cuda_graph: bool = False  # replay a captured CUDA graph (removes launch overhead; CUDA only)
    threads: int | None = None  # CPU threads; None keeps torch's current setting
    warmup: int = 3  # untimed calls first: cuDNN autotune, oneDNN primitive creation, lazy init
    min_run_time: float = 0.2  # seconds of judged blocks per case
    quiet: bool = True  # before each round, wait (at most 0.5 s) until other processes leave the cores alone


@dataclass(frozen=True)
class Timing:
    """One measurement: median and IQR per call in seconds, its blocks, the kernels seen, and its stability."""

    median: float
    iqr: float
    runs: int  # timed blocks in the measurement, re-measures included
    calls_per_run: int
    kernels: tuple[str, ...]
    unstable: bool = False  # the spread stayed above the noise threshold
    note: object = ""  # why it is unstable: a Said, or ""

    @property
    def spread(self) -> float:
        """IQR/median."""
        return self.iqr / self.median if self.median > 0 else float("inf")


def resolve_device(name: str = "auto") -> str:
    """'cuda', 'mps' or 'cpu': the requested device if present, or the best one for 'auto'."""
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name not in ("cpu", "cuda", "mps"):
        raise GConvError(say("err.device", name=outside(name, 32, quote=True), valid=", ".join(available_devices())))
    if name not in available_devices():
        raise GConvError(say("err.device_absent", name=name, valid=", ".join(available_devices())))
    return name


def available_devices() -> list[str]:
    """The devices this machine can time on."""
    out = ["cpu"]
    if torch.cuda.is_available():
        out.insert(0, "cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.insert(0, "mps")
    return out


def supported_dtypes(device: str) -> list[str]:
    """dtypes for which a small grouped conv runs on device (probed once per call)."""
    ok = []
    for name, dtype in DTYPES.items():
        try:
            x = torch.ones(1, 4, 6, 6, device=device, dtype=dtype)
            torch.nn.functional.conv2d(x, torch.ones(4, 2, 3, 3, device=device, dtype=dtype), groups=2)
            ok.append(name)
        except (RuntimeError, TypeError):
            pass
    return ok


def device_name(device: str) -> str:
    """A readable name of the device: GPU model, or the CPU."""
    if device == "cuda":
        return torch.cuda.get_device_name()
    if device == "mps":
        return "Apple GPU (MPS)"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def measurement_settings(config: TimingConfig, device: str):
    """torch_settings for one measurement: the config's threads, cuDNN autotuning on CUDA; restored after."""
    return torch_settings(threads=config.threads, cudnn_benchmark=True if device == "cuda" else None)


def environment(config: TimingConfig, used: dict | None = None) -> dict:
    """What every result is printed with: device, torch version, dtype, layout, and the threads, cudnn.benchmark
    and TF32 flags the measurement ran with (used, as torch_settings yielded them; else what it would use)."""
    device = resolve_device(config.device)
    if used is None:
        with measurement_settings(config, device) as used:
            pass
    env = {"device": device, "device_name": device_name(device), "torch": torch.__version__,
           "threads": used["threads"], "dtype": config.dtype, "memory_format": config.memory_format,
           "batch": config.batch, "direction": DIRECTIONS[1] if config.backward else DIRECTIONS[0],
           "cuda_graph": graphed(config.cuda_graph, device),
           "tf32_matmul": used["tf32_matmul"], "tf32_cudnn": used["tf32_cudnn"]}
    if "waited_for_quiet_s" in used:  # rounds held back while other programs used the cores
        env["waited_for_quiet_s"] = round(used["waited_for_quiet_s"], 2)
    if device == "cuda":
        env["cudnn"] = torch.backends.cudnn.version()
        env["cudnn_benchmark"] = used["cudnn_benchmark"]
    return env


def kernels_of(step: Callable[[], object], device: str) -> tuple[str, ...]:
    """Names of the backend ops (aten) and device kernels one call runs, most specific first."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with native_stderr_silenced(), profile(activities=activities) as prof:  # Kineto writes USDT lines to fd 2
        step()
        if device == "cuda":
            torch.cuda.synchronize()
    names = []
    for e in prof.key_averages():
        key = e.key
        if any(h in key.lower() for h in _BACKEND_HINTS) or (device == "cuda" and e.device_type.name == "CUDA"):
            names.append(key)
    ranked = sorted(dict.fromkeys(names), key=lambda k: next(
        (i for i, h in enumerate(_BACKEND_HINTS) if h in k.lower()), len(_BACKEND_HINTS)))
    if not ranked:  # no conv: the plain aten ops (mul, sum, mean) are the kernels
        ranked = [e.key for e in prof.key_averages() if e.key.startswith("aten::")][:3]
    return tuple(ranked[:4])


def _graphed(step: Callable[[], object]) -> Callable[[], object]:
    """step captured once in a CUDA graph; the returned callable replays it."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):  # warm up on a side stream before capture, as torch's docs require
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph.replay


def settle_allocator() -> None:
    """Free one 30 MiB block so glibc's malloc serves later tensors up to that size from its heap.

    glibc mmaps every allocation above its mmap threshold (128 KiB at start) and unmaps it on free, so a
    conv whose output is a few MiB pays fresh page faults on every call, until some block of that size has
    been freed once, which raises the threshold (up to 32 MiB). Without this, the same conv measured 3x
    slower in a fresh process than after any large matmul: the measurement depended on the process's history.
    """
    block = torch.empty(30 * 2**20, dtype=torch.uint8)
    block.fill_(0)
    del block


def measure_cases(steps: dict[Hashable, Callable[[], object]], config: TimingConfig, device: str,
                  progress: Callable[[float, str], None] | None = None, used: dict | None = None
                  ) -> dict[Hashable, Timing]:
    """Warm up every step, then time them together in interleaved rounds of blocks (noise.settle) with
    torch.utils.benchmark's Timer, which synchronises the accelerator around each block.

    Each case's judged blocks last about config.min_run_time in all. Call inside measurement_settings(config,
    device) and pass what it yielded as used. progress(fraction, text) is called between rounds, never inside a
    timed block.
    """
    threads = (used or {}).get("threads") or torch.get_num_threads()
    if device == "cpu":
        settle_allocator()
    timers, numbers, kernels = {}, {}, {}
    for name, step in steps.items():
        for _ in range(config.warmup):
            step()
        kernels[name] = kernels_of(step, device)
        run = _graphed(step) if graphed(config.cuda_graph, device) else step
        timers[name] = benchmark.Timer("run()", globals={"run": run}, num_threads=threads)
        once = timers[name].timeit(1).mean
        numbers[name] = max(1, int(config.min_run_time / ROUNDS / max(once, 1e-9)))

    quiet_wait = [0.0]

    def on_round(done: int, planned: int, todo: list) -> None:
        if progress:
            progress(min(done / planned, 1.0), say("timing.progress.round", round=done + 1, rounds=planned)
                     if done < ROUNDS else say("timing.progress.round_again", round=done + 1, rounds=planned,
                                               noisy=len(todo)))
        if config.quiet:  # a browser still drawing the last results would share the cores with the next round
            # before the first round, time for the browsers to draw what the job before this one produced
            quiet_wait[0] += wait_for_quiet(window=0.05, max_wait=3.0 if done == 0 else 0.5)

    settled = settle(list(steps), lambda name: timers[name].timeit(numbers[name]).mean, on_round=on_round)
    if used is not None:
        used["waited_for_quiet_s"] = used.get("waited_for_quiet_s", 0.0) + quiet_wait[0]
    return {name: Timing(s.median, s.iqr, s.blocks, numbers[name], kernels[name], s.unstable, s.note)
            for name, s in settled.items()}


def measure(step: Callable[[], object], config: TimingConfig, device: str) -> Timing:
    """One step measured alone, as measure_cases does (torch's settings set for it and restored)."""
    with measurement_settings(config, device) as used:
        return measure_cases({"step": step}, config, device, used=used)["step"]


def measured_peaks(device: str, dtype: str = "fp32", threads: int | None = None, seconds: float = 0.3) -> Peaks:
    """Peaks measured on the spot: a large matmul for FLOP/s, a large copy for bytes/s (read + write)."""
    dt = DTYPES[dtype]
    n = 2048 if device == "cpu" else 8192
    a = torch.randn(n, n, device=device).to(dt)
    b = torch.randn(n, n, device=device).to(dt)
    threads = threads or torch.get_num_threads()  # Timer sets them for its block and restores them
    mm = benchmark.Timer("a @ b", globals={"a": a, "b": b}, num_threads=threads).blocked_autorange(
        min_run_time=seconds)
    size = (64 if device == "cpu" else 1024) * 2**20
    src = torch.empty(size // 4, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    cp = benchmark.Timer("dst.copy_(src)", globals={"src": src, "dst": dst}, num_threads=threads).blocked_autorange(
        min_run_time=seconds)
    return Peaks(flops=2 * n**3 / mm.median, bandwidth=2 * size / cp.median,
                 source=say("peaks.measured", n=n, dtype=dtype, mib=size // 2**20))


def peaks_for(device: str, dtype: str, threads: int | None = None) -> list[Peaks]:
    """Measured peaks, plus the datasheet's for a known GPU."""
    out = [measured_peaks(device, dtype, threads)]
    if device == "cuda":
        sheet = datasheet(device_name(device), dtype, tf32=bool(torch.backends.cudnn.allow_tf32))
        if sheet:
            out.append(sheet)
    return out
