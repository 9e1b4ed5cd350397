"""Timings of the layer's real torch kernels: the harness, the timed cases, noise handling, the roofline, runs
(in this process or the worker process), ShuffleNet V2's guideline experiments, and figures.

Loads torch. `run("layer", spec, TimingConfig(device="cpu"))` times every case of a layer under the device lock.
"""
from ..machine import DEVICE, DeviceLock
from .cases import CASES, LABELS, case_list, check_budget, layer_items, script, sweep_batch, sweep_groups, \
    time_layer
from .harness import DTYPES, TimingConfig, available_devices, environment, measure, peaks_for, resolve_device, \
    settle_allocator, supported_dtypes
from .roofline import Peaks, attainable, datasheet
from .runs import RUNS, TimingRun, check_run, measure_run, run

__all__ = ["CASES", "LABELS", "case_list", "check_budget", "layer_items", "script", "sweep_batch", "sweep_groups",
           "time_layer", "DEVICE", "DeviceLock", "DTYPES", "TimingConfig", "available_devices", "environment",
           "measure", "peaks_for", "resolve_device", "settle_allocator", "supported_dtypes", "Peaks", "attainable",
           "datasheet", "RUNS", "TimingRun", "check_run", "measure_run", "run"]
