"""Timing harness on CPU: positive medians, full G coverage, columns, budgets, the lock, the script, the CLI.

Never asserts a wall-clock time. The CUDA path (events, graphs, channels_last, bf16) needs a GPU and is run by
benchmarks/gpu_timing_check.py when one is lent, not here.
"""
import subprocess
import sys
import threading

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from conftest import ROOT
from gconv import BudgetError, ConvSpec, GConvError, valid_groups
from gconv.timing.cases import CASES, COLUMNS, LABELS, case_list, check_budget, layer_items, script, sweep_batch, \
    sweep_groups, time_layer
from gconv.timing.roofline import Peaks, attainable, datasheet
from gconv.timing import DeviceLock, TimingConfig, available_devices, check_run, environment, measure, \
    resolve_device, run, supported_dtypes

FAST = TimingConfig(device="cpu", batch=2, min_run_time=0.02, warmup=1, threads=1)
SPEC = ConvSpec(C=16, N=32, G=4, K=3, H=12, W=12, padding=1)


def test_devices_here():
    assert resolve_device("auto") in available_devices()
    if torch.cuda.is_available():  # a GPU machine: cuda is a device, and auto picks it
        assert resolve_device("cuda") == "cuda" == resolve_device("auto")
    else:  # no GPU: asking for one is refused, naming the devices there are
        with pytest.raises(GConvError, match="valid: .*cpu"):
            resolve_device("cuda")
    with pytest.raises(GConvError, match="unknown device"):
        resolve_device("tpu")
    assert "fp32" in supported_dtypes("cpu")


@pytest.fixture(scope="module")
def layer_rows():
    return time_layer(SPEC, FAST, peaks=Peaks(1e11, 1e10, "test peaks"))


def test_every_case_timed_with_columns(layer_rows):
    assert [r["case"] for r in layer_rows] == [LABELS[c] for c in CASES]
    for r in layer_rows:
        assert set(COLUMNS) <= set(r)
        assert r["median_ms"] > 0 and r["iqr_ms"] >= 0 and r["runs"] >= 1
        assert r["gflops"] > 0 and r["gbps"] > 0 and r["roofline_fraction"] > 0
        assert r["kernels"]
    convs = [r for r in layer_rows if "conv" in str(r["case"]) or "depthwise" in str(r["case"])]
    assert all("conv" in r["kernels"] for r in convs)  # the backend op torch picked is named


def test_achieved_rates_use_the_counted_flops(layer_rows):
    # Oracle: FlopCounterMode's count for the grouped conv at this batch, divided by the measured median; the
    # intensity is those FLOPs over the bytes of the tensors torch reads and writes (input, weight, output, fp32).
    x = torch.randn(FAST.batch, SPEC.C, SPEC.H, SPEC.W)
    w = torch.randn(32, 16 // 4, 3, 3)
    with FlopCounterMode(display=False) as counter:
        y = torch.nn.functional.conv2d(x, w, padding=1, groups=4)
    row = layer_rows[0]
    assert row["gflops"] == pytest.approx(counter.get_total_flops() / (row["median_ms"] / 1e3) / 1e9, rel=1e-9)
    moved = 4 * (x.numel() + w.numel() + y.numel())
    assert row["intensity"] == pytest.approx(counter.get_total_flops() / moved, rel=1e-9)


def test_sweep_covers_every_valid_group():
    rows = sweep_groups(SPEC, FAST)
    assert [r["G"] for r in rows] == [g for g in range(1, 17) if 16 % g == 0 and 32 % g == 0]
    assert [r["G"] for r in rows] == valid_groups(16, 32)
    for r in rows:  # Oracle: FlopCounterMode's count at this G and batch (2 FLOPs per multiply-add)
        with FlopCounterMode(display=False) as counter:
            torch.nn.functional.conv2d(torch.randn(FAST.batch, 16, 12, 12), torch.randn(32, 16 // r["G"], 3, 3),
                                       padding=1, groups=r["G"])
        assert r["median_ms"] > 0 and r["macs"] == counter.get_total_flops() // 2


def test_batch_sweep_and_options():
    rows = sweep_batch(SPEC, FAST, batches=(1, 2, 4))
    assert [r["batch"] for r in rows] == [1, 2, 4] and all(r["median_ms"] > 0 for r in rows)
    for cfg in (TimingConfig(device="cpu", batch=1, backward=True, min_run_time=0.01, warmup=1),
                TimingConfig(device="cpu", batch=1, dtype="bf16", memory_format="channels_last", min_run_time=0.01,
                             warmup=1)):
        rows = time_layer(SPEC, cfg, names=("grouped", "gdc_sum", "gap"))
        assert all(r["median_ms"] > 0 for r in rows)
    env = environment(FAST)
    for key in ("device", "torch", "threads", "dtype", "tf32_matmul", "tf32_cudnn", "memory_format"):
        assert key in env


def test_measure_warms_up_then_times_blocks_of_calls():
    # Oracle: a counter in the timed callable; the warm-up calls come first, then every block's calls
    calls = []
    timing = measure(lambda: calls.append(1), FAST, "cpu")
    assert timing.median > 0 and timing.runs >= 1 and timing.calls_per_run >= 1
    assert len(calls) >= FAST.warmup + timing.runs * timing.calls_per_run


def test_budgets_refuse_before_allocating():
    huge = ConvSpec(C=4096, N=4096, G=1, K=3, H=1024, W=1024, padding=1)
    with pytest.raises(BudgetError, match="MiB budget"):
        check_budget(layer_items(huge, TimingConfig(device="cpu", batch=8)))
    slow = ConvSpec(C=1024, N=1024, G=1, K=7, H=128, W=128, padding=3)  # 6.7 TFLOP per call, 1.2 GiB held
    with pytest.raises(BudgetError, match="too slow"):
        check_budget(layer_items(slow, TimingConfig(device="cpu", batch=4)))
    with pytest.raises(GConvError, match="unknown case"):
        case_list(SPEC, FAST, ("fft",))


def test_each_kind_of_run_checks_the_budget_of_what_it_times():
    # A layer whose batch 64 is over the memory budget while batch 1 is far under it (2 GiB budget;
    # input + output of this layer: 2·64·256·256 fp32 values = 32 MiB per sample).
    spec = ConvSpec(C=64, N=64, G=64, K=3, H=256, W=256, padding=1)
    config = TimingConfig(device="cpu", batch=64)
    with pytest.raises(BudgetError):
        check_run("layer", spec, config)  # every case at batch 64
    check_run("batch", spec, config)  # the batch sweep stops by itself before the first batch over budget
    with pytest.raises(BudgetError, match="too slow"):
        check_run("groups", ConvSpec(C=1024, N=1024, G=1024, K=7, H=112, W=112, padding=3), TimingConfig(
            device="cpu", batch=8))  # depthwise is cheap; the sweep's G=1 end is 10 TFLOP per call
    with pytest.raises(GConvError, match="unknown timing run"):
        check_run("everything", SPEC, FAST)


def test_run_returns_rows_environment_and_peaks():
    peaks = [Peaks(1e11, 1e10, "given")]
    result = run("groups", SPEC, FAST, peaks=peaks)
    assert [r["G"] for r in result.rows] == valid_groups(SPEC.C, SPEC.N) and result.peaks == peaks
    assert result.waited == 0.0 and result.environment["device"] == "cpu"
    assert result.to_csv().splitlines()[0].startswith("case,G,batch,median_ms,iqr_ms,spread,unstable,note")
    assert result.as_dict()["spec"]["G"] == SPEC.G


def test_device_lock_serialises_runs():
    lock, waits, held, order = DeviceLock(), [], threading.Event(), []  # gconv.machine's lock

    def holder():
        with lock.hold():
            held.set()
            assert lock.wait_for_waiters(1, timeout=60)  # hand over only once the other run queues
            order.append("holder done")

    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(60)
    with lock.hold(on_wait=lambda: waits.append(1)) as waited:
        order.append("second run")
        assert waited > 0 and lock.locked()
    t.join()
    assert waits == [1] and order == ["holder done", "second run"] and not lock.locked() and lock.waiting == 0


def test_roofline_and_datasheets():
    p = Peaks(flops=100e9, bandwidth=10e9, source="x")
    assert attainable(2.0, p) == 20e9 and attainable(1e3, p) == 100e9 and p.ridge == 10
    h200 = datasheet("NVIDIA H200", "bf16")
    assert h200.flops == 989e12 and h200.bandwidth == 4.8e12
    assert datasheet("NVIDIA H100 80GB HBM3", "fp32", tf32=True).flops == 495e12
    assert datasheet("AMD EPYC", "fp32") is None


@pytest.mark.slow
def test_standalone_script_runs():
    src = script(SPEC, TimingConfig(device="cpu", batch=2, backward=True, min_run_time=0.02))
    out = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "median" in out.stdout and "ms" in out.stdout


@pytest.mark.slow
def test_bench_cli():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "gconv", "bench", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)
    r = run("C=16", "N=32", "G=4", "H=12", "W=12", "--batch", "2", "--min-run-time", "0.02")
    assert r.returncode == 0, r.stderr
    assert "median ms" in r.stdout and "grouped conv (native, groups=G)" in r.stdout and "peak" in r.stdout
    r = run("C=16", "N=32", "G=4", "H=12", "W=12", "--sweep", "groups", "--min-run-time", "0.02", "--json")
    import json
    d = json.loads(r.stdout)
    assert [row["G"] for row in d["rows"]] == valid_groups(16, 32) and d["environment"]["device"] == "cpu"
    r = run("C=64", "N=128", "G=3")
    assert r.returncode == 2 and "G=3 must divide C=64 and N=128; valid G: 1, 2, 4, 8, 16, 32, 64" in r.stderr
    r = run("C=16", "N=16", "G=4", "--device", "cuda", "--min-run-time", "0.02")
    if torch.cuda.is_available():  # a GPU machine times on it
        assert r.returncode == 0 and "cuda" in r.stdout, r.stderr
    else:  # no GPU: a clear refusal, not a traceback
        assert r.returncode == 2 and "not available" in r.stderr


def test_the_timing_options_are_the_names_the_harness_and_the_experiments_use():
    # One list each: the app's controls and the CLI's choices read gconv.timing.options
    from gconv.timing import options
    from gconv.timing.harness import DTYPES
    from gconv.timing.replicate import EXPERIMENTS

    assert tuple(DTYPES) == options.DTYPES and tuple(EXPERIMENTS) == options.EXPERIMENTS
    assert options.graphed(True, "cuda") and not options.graphed(True, "cpu") and not options.graphed(False, "cuda")
    assert [options.work_scale(options.is_backward(d)) for d in options.DIRECTIONS] == [1, 3]


def test_the_timing_package_loads_torch_only_when_a_name_needs_it():
    code = ("import sys; from gconv.timing.options import RUNS; from gconv.timing import DeviceLock; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
