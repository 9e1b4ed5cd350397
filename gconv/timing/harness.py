"""Timing harness on torch.utils.benchmark: device choice, warm-up, CUDA graphs, kernels seen, peaks measured.

One process-wide device lock (DEVICE) serialises measurements so that concurrent users never time on top of
each other.
"""
from __future__ import annotations

import platform
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark

from ..errors import GConvError
from .roofline import Peaks, datasheet

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
    min_run_time: float = 0.2  # seconds per measurement, as blocked_autorange's argument


@dataclass(frozen=True)
class Timing:
    """One measurement: median and IQR per call in seconds, how many timed blocks, and the kernels seen."""

    median: float
    iqr: float
    runs: int  # timed blocks in the measurement
    calls_per_run: int
    kernels: tuple[str, ...]


def resolve_device(name: str = "auto") -> str:
    """'cuda', 'mps' or 'cpu': the requested device if present, or the best one for 'auto'."""
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name not in ("cpu", "cuda", "mps"):
        raise GConvError(f"unknown device {str(name)[:32]!r}; valid: auto, " + ", ".join(available_devices()))
    if name not in available_devices():
        raise GConvError(f"device {name} is not available here; valid: " + ", ".join(available_devices()))
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


def environment(config: TimingConfig) -> dict:
    """What every result is printed with: device, torch version, threads, dtype, layout, TF32 state."""
    device = resolve_device(config.device)
    env = {"device": device, "device_name": device_name(device), "torch": torch.__version__,
           "threads": torch.get_num_threads() if config.threads is None else config.threads,
           "dtype": config.dtype, "memory_format": config.memory_format, "batch": config.batch,
           "direction": "forward+backward" if config.backward else "forward",
           "cuda_graph": bool(config.cuda_graph and device == "cuda"),
           "tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
           "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32)}
    if device == "cuda":
        env["cudnn"] = torch.backends.cudnn.version()
        env["cudnn_benchmark"] = bool(torch.backends.cudnn.benchmark)
    return env


def kernels_of(step: Callable[[], object], device: str) -> tuple[str, ...]:
    """Names of the backend ops (aten) and device kernels one call runs, most specific first."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
    with profile(activities=activities) as prof:
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


def measure(step: Callable[[], object], config: TimingConfig, device: str) -> Timing:
    """Warm up, then time step with Timer.blocked_autorange (it synchronises the accelerator around blocks)."""
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
    else:
        settle_allocator()
    for _ in range(config.warmup):
        step()
    kernels = kernels_of(step, device)
    run = _graphed(step) if (config.cuda_graph and device == "cuda") else step
    threads = config.threads or torch.get_num_threads()
    m = benchmark.Timer("run()", globals={"run": run}, num_threads=threads).blocked_autorange(
        min_run_time=config.min_run_time)
    return Timing(median=m.median, iqr=m.iqr, runs=len(m.times), calls_per_run=m.number_per_run, kernels=kernels)


def measured_peaks(device: str, dtype: str = "fp32", threads: int | None = None, seconds: float = 0.3) -> Peaks:
    """Peaks measured on the spot: a large matmul for FLOP/s, a large copy for bytes/s (read + write)."""
    dt = DTYPES[dtype]
    n = 2048 if device == "cpu" else 8192
    a = torch.randn(n, n, device=device).to(dt)
    b = torch.randn(n, n, device=device).to(dt)
    threads = threads or torch.get_num_threads()
    mm = benchmark.Timer("a @ b", globals={"a": a, "b": b}, num_threads=threads).blocked_autorange(
        min_run_time=seconds)
    size = (64 if device == "cpu" else 1024) * 2**20
    src = torch.empty(size // 4, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    cp = benchmark.Timer("dst.copy_(src)", globals={"src": src, "dst": dst}, num_threads=threads).blocked_autorange(
        min_run_time=seconds)
    return Peaks(flops=2 * n**3 / mm.median, bandwidth=2 * size / cp.median,
                 source=f"measured: {n}×{n} {dtype} matmul and a {size // 2**20} MiB copy")


def peaks_for(device: str, dtype: str, threads: int | None = None) -> list[Peaks]:
    """Measured peaks, plus the datasheet's for a known GPU."""
    out = [measured_peaks(device, dtype, threads)]
    if device == "cuda":
        sheet = datasheet(device_name(device), dtype, tf32=bool(torch.backends.cudnn.allow_tf32))
        if sheet:
            out.append(sheet)
    return out


class DeviceLock:
    """One measurement at a time on the device, for the whole process; it knows how many runs are waiting."""

    def __init__(self):
        self._cond = threading.Condition()
        self._held = False
        self._waiting = 0

    def locked(self) -> bool:
        """True while some run holds the device."""
        with self._cond:
            return self._held

    @property
    def waiting(self) -> int:
        """Runs queued for the device right now."""
        with self._cond:
            return self._waiting

    def acquire(self, on_wait: Callable[[], None] | None = None) -> float:
        """Take the device and return the seconds waited; on_wait is called once if another run holds it."""
        with self._cond:
            if not self._held:
                self._held = True
                return 0.0
            self._waiting += 1
            self._cond.notify_all()
        start = time.perf_counter()
        try:
            if on_wait:
                on_wait()  # outside the condition: it may draw UI
            with self._cond:
                self._cond.wait_for(lambda: not self._held)
                self._held = True
        finally:
            with self._cond:
                self._waiting -= 1
        return time.perf_counter() - start

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    @contextmanager
    def hold(self, on_wait: Callable[[], None] | None = None) -> Iterator[float]:
        """with DEVICE.hold(on_wait) as waited: ... (waited: seconds spent queued)."""
        waited = self.acquire(on_wait)
        try:
            yield waited
        finally:
            self.release()

    def wait_for_waiters(self, count: int = 1, timeout: float | None = None) -> bool:
        """Block until at least count runs are queued (a holder that wants to hand over); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting >= count, timeout)


DEVICE = DeviceLock()
