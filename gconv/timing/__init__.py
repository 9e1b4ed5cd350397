"""Timings of the layer's real torch kernels: the harness, the timed cases, the roofline, runs and figures.

Loads torch. `run("layer", spec, TimingConfig(device="cpu"))` times every case of a layer under the device lock.
"""
from .cases import CASES, LABELS, case_list, check_budget, script, sweep_batch, sweep_groups, time_layer
from .harness import DEVICE, DTYPES, DeviceLock, TimingConfig, available_devices, environment, measure, peaks_for, \
    resolve_device, settle_allocator, supported_dtypes
from .roofline import Peaks, attainable, datasheet
from .runs import RUNS, TimingRun, check_run, run

__all__ = ["CASES", "LABELS", "case_list", "check_budget", "script", "sweep_batch", "sweep_groups", "time_layer",
           "DEVICE", "DTYPES", "DeviceLock", "TimingConfig", "available_devices", "environment", "measure", "peaks_for",
           "resolve_device", "settle_allocator", "supported_dtypes", "Peaks", "attainable", "datasheet", "RUNS",
           "TimingRun", "check_run", "run"]
