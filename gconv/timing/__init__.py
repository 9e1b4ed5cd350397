"""Timings of the layer's real torch kernels: the harness, the timed cases, noise handling, the roofline, runs
(in this process or the worker process), ShuffleNet V2's guideline experiments, and figures.

Loads torch on first use of a name that needs it. `run("layer", spec, TimingConfig(device="cpu"))` times every case of a layer under the device lock.
"""
from ..lazy import lazy_getattr
from ..machine import DEVICE, DeviceLock
from .options import RUNS

_LAZY = {"cases", "harness", "noise", "roofline", "runs", "worker", "replicate", "plots", "options"}
_NAMES = {**dict.fromkeys(["CASES", "LABELS", "case_list", "check_budget", "layer_items", "script", "sweep_batch",
                           "sweep_groups", "time_layer"], "cases"),
          **dict.fromkeys(["DTYPES", "TimingConfig", "available_devices", "environment", "measure", "peaks_for",
                           "resolve_device", "settle_allocator", "supported_dtypes"], "harness"),
          **dict.fromkeys(["Peaks", "attainable", "datasheet"], "roofline"),
          **dict.fromkeys(["TimingRun", "check_run", "measure_run", "run"], "runs")}
__all__ = ["DEVICE", "DeviceLock", "RUNS", *sorted(_NAMES)]
__getattr__ = lazy_getattr(__name__, _LAZY, _NAMES)
