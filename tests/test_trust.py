"""Timings a class can trust: noise caught in interleaved rounds, torch's settings restored, the worker process,
a quiet CLI, and ShuffleNet V2's guideline experiments (Ma et al. 2018, Tables 1 and 2) replayed."""
import json
import os
import subprocess
import sys
import threading

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from conftest import ROOT
from gconv import BudgetError, ConvSpec
from gconv.machine import DEVICE, torch_settings
from gconv.timing import TimingConfig
from gconv.timing.noise import MAX_ROUNDS, NOISE_THRESHOLD, ROUNDS, settle
from gconv.timing.plots import groups_figure, replication_figure
from gconv.timing.replicate import EXPERIMENTS, findings, layers, measure_replication
from gconv.timing.runs import measure_run, run
from gconv.timing.worker import WORKER, WorkerError

FAST = TimingConfig(device="cpu", batch=1, min_run_time=0.02, warmup=1, threads=1)
SPEC = ConvSpec(C=16, N=32, G=4, K=3, H=12, W=12, padding=1)


# --- noise: a fake block clock makes every case exactly what the test says -------------------------------------
def test_rounds_interleave_and_rotate():
    calls = []
    settle(["a", "b", "c"], lambda case: calls.append(case) or 1.0)
    rounds = [calls[i:i + 3] for i in range(0, len(calls), 3)]
    assert len(rounds) == ROUNDS and all(sorted(r) == ["a", "b", "c"] for r in rounds)  # every case every round
    assert [r[0] for r in rounds[:3]] == ["a", "b", "c"]  # no case always first


def test_a_case_noisy_at_first_is_measured_again_until_it_settles():
    seen = {"steady": 0, "settles": 0}

    def block(case):
        seen[case] += 1
        if case == "settles" and seen[case] <= ROUNDS:
            return [1.0, 3.0][seen[case] % 2]  # IQR/median far above 10% in the first rounds
        return 1.0
    s = settle(["steady", "settles"], block)
    assert s["steady"].blocks == ROUNDS and not s["steady"].unstable  # the steady case is not re-measured
    assert ROUNDS < s["settles"].blocks <= MAX_ROUNDS and not s["settles"].unstable
    assert s["settles"].median == 1.0 and s["settles"].spread == 0.0  # judged on its last blocks


def test_a_case_that_stays_noisy_is_marked_unstable_with_the_reason():
    flip = iter(range(10**6))
    s = settle(["noisy"], lambda case: [1.0, 2.0][next(flip) % 2])
    assert s["noisy"].unstable and s["noisy"].blocks == MAX_ROUNDS
    assert s["noisy"].spread > NOISE_THRESHOLD and "IQR/median" in str(s["noisy"].note) and "after 15 blocks" in \
        str(s["noisy"].note)


def test_unstable_rows_are_never_drawn_solid():
    rows = [{"G": g, "median_ms": 1.0, "iqr_ms": 0.01, "macs": 100 // g, "unstable": g == 2,
             "note": "IQR/median 40%" if g == 2 else ""} for g in (1, 2, 4)]
    fig = groups_figure(rows).to_plotly_json()
    solid = next(t for t in fig["data"] if t["name"] == "measured time (median)")
    hollow = next(t for t in fig["data"] if t["name"].startswith("unstable"))
    assert list(solid["x"]) == [1, 4] and list(hollow["x"]) == [2]
    assert hollow["marker"]["symbol"] == "circle-open"


# --- torch's process-wide settings ----------------------------------------------------------------------------
def test_settings_are_set_for_the_block_and_restored():
    before = (torch.get_num_threads(), torch.backends.cudnn.benchmark)
    with torch_settings(threads=1, cudnn_benchmark=not before[1]) as used:
        assert torch.get_num_threads() == 1 == used["threads"]
        assert torch.backends.cudnn.benchmark is (not before[1])
    assert (torch.get_num_threads(), torch.backends.cudnn.benchmark) == before
    with pytest.raises(ZeroDivisionError):
        with torch_settings(threads=1):
            1 / 0
    assert torch.get_num_threads() == before[0]  # restored after an error too


def test_a_run_reports_the_settings_it_used_and_leaves_none_behind():
    before = torch.get_num_threads()
    result = measure_run("layer", SPEC, TimingConfig(device="cpu", batch=1, min_run_time=0.02, warmup=1, threads=1))
    assert result.environment["threads"] == 1 and torch.get_num_threads() == before
    assert result.environment["process"] == f"pid {os.getpid()}"


def test_training_leaves_the_thread_count_as_it_was():
    from gconv.gdc.training import GDCConfig, train

    before = torch.get_num_threads()
    train(GDCConfig(epochs=1, width=4, threads=1))
    assert torch.get_num_threads() == before


# --- the worker process ---------------------------------------------------------------------------------------
def test_the_worker_measures_in_another_process_and_reports_errors_by_kind():
    result = run("layer", SPEC, FAST, isolated=True)
    assert result.environment["process"] == f"pid {WORKER.pid}" and WORKER.pid != os.getpid()
    assert [str(r["case"]) for r in result.rows][0] == "grouped conv (native, groups=G)" and not DEVICE.locked()
    huge = ConvSpec(C=4096, N=4096, G=1, K=3, H=1024, W=1024, padding=1)
    with pytest.raises(BudgetError):  # a GConvError in the worker comes back as itself
        WORKER.call(measure_run, "layer", huge, TimingConfig(device="cpu", batch=8))
    with pytest.raises(WorkerError, match="AttributeError"):  # anything else comes back as a bug, with its trace
        WORKER.call(measure_run, "layer", None, FAST)
    assert run("layer", SPEC, FAST, isolated=True).rows  # the worker is still serving


def unpicklable_result(progress=None):
    """A worker job whose result cannot cross the pipe: a local function."""
    return lambda: None


def test_a_result_that_cannot_be_pickled_surfaces_as_that_error_and_the_worker_serves_on():
    # The worker runs any module-level job; its result must be picklable, and one that is not is reported as the
    # pickling error it is (with the worker's trace), not as a worker that died
    with pytest.raises(WorkerError, match="[Pp]ickl"):
        WORKER.call(unpicklable_result)
    with pytest.raises(AttributeError):  # a job that is not module-level cannot be sent: it fails here, before
        WORKER.call(lambda progress=None: 1)
    assert run("layer", SPEC, FAST, isolated=True).rows


def test_a_measurement_waits_for_a_training_holding_the_device():
    held, seen = threading.Event(), []

    def training():
        with DEVICE.hold(what="a GDC training"):
            held.set()
            seen.append(DEVICE.wait_for_waiters(1, timeout=120))  # the timing queued behind the training
            seen.append(DEVICE.holder)

    t = threading.Thread(target=training)
    t.start()
    assert held.wait(60)
    result = run("layer", SPEC, FAST, isolated=True)
    t.join()
    assert seen == [True, "a GDC training"] and result.waited > 0


# --- a quiet CLI ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_bench_cli_is_quiet_and_still_names_kernels():
    r = subprocess.run([sys.executable, "-m", "gconv", "bench", "C=16", "N=32", "G=4", "H=12", "W=12", "--batch", "1",
                        "--min-run-time", "0.02"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr  # no profiler lines (Kineto's USDT start/stop)
    assert "mkldnn_convolution" in r.stdout or "convolution" in r.stdout
    assert "spread" in r.stdout


# --- ShuffleNet V2's guidelines -------------------------------------------------------------------------------
def torch_flops(specs: list[ConvSpec], batch: int = 1) -> int:
    """Oracle: FlopCounterMode over the stack on the meta device."""
    x = torch.empty(batch, specs[0].C, specs[0].H, specs[0].W, device="meta")
    with FlopCounterMode(display=False) as counter:
        for s in specs:
            x = F.conv2d(x, torch.empty(*s.weight_shape, device="meta"), groups=s.G)
    return counter.get_total_flops()


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_rows_hold_flops_fixed_and_count_the_papers_memory_access(name):
    title, paper = EXPERIMENTS[name]
    flops = [torch_flops(layers(name, row)) for row in paper]
    assert max(flops) / min(flops) < 1.02  # "FLOPs are held fixed", within 2%
    for row in paper:
        c1, c2 = row.widths
        first = layers(name, row)[0]
        from gconv.cost import memory_access_cost
        assert memory_access_cost(first) == 56 * 56 * (c1 + c2) + c1 * c2 // row.g  # Eq. 1–2: hw(c1+c2) + c1c2/g
    if name == "shufflenet-g2":  # Table 2's widths and speeds, as printed
        assert [(r.g, r.gpu_widths[0], r.arm_widths[0], r.gpu, r.arm) for r in paper] == [
            (1, 128, 64, 2451, 40.0), (2, 180, 90, 1725, 35.0), (4, 256, 128, 1026, 32.9), (8, 360, 180, 634, 27.8)]
    else:  # Table 1
        assert [(r.gpu_widths, r.gpu, r.arm_widths, r.arm) for r in paper] == [
            ((128, 128), 1480, (32, 32), 76.2), ((90, 180), 1296, (22, 44), 72.9), ((52, 312), 876, (13, 78), 69.1),
            ((36, 432), 748, (9, 108), 57.6)]


def test_a_replication_measures_every_row_beside_the_paper():
    r = measure_replication("shufflenet-g2", TimingConfig(device="cpu", batch=1, min_run_time=0.02, warmup=1,
                                                          threads=1))
    d = r.as_dict()
    assert [row["g"] for row in d["rows"]] == [1, 2, 4, 8] and d["rows"][0]["relative_speed"] == 1.0
    for row in d["rows"]:
        assert {"g", "flops", "mac", "median_ms", "relative_speed", "paper_gpu", "paper_arm"} <= set(row)
    assert d["rows"][3]["paper_gpu"] == pytest.approx(634 / 2451) and d["rows"][3]["paper_arm"] == pytest.approx(
        27.8 / 40.0)
    assert d["paper"]["gpu"]["values"] == [2451, 1725, 1026, 634] and d["batch"] == 1 and "batch" in d["batch_note"]
    assert json.loads(json.dumps(d)) == d
    fig = replication_figure(r).to_plotly_json()
    assert {t["name"] for t in fig["data"]} >= {"paper: GPU (GTX 1080Ti)", "paper: ARM (Snapdragon 810)"}


def test_findings_say_where_the_machine_agrees():
    rows = [{"setting": "g=1", "relative_speed": 1.0, "paper_gpu": 1.0, "paper_arm": 1.0, "unstable": False},
            {"setting": "g=8", "relative_speed": 0.66, "paper_gpu": 0.26, "paper_arm": 0.70, "unstable": False}]
    lines = [str(line) for line in findings(rows)]
    assert "nearer the ARM" in lines[0] and "holds here" in lines[1] and "no step down the table is faster" in lines[1]
    rows.insert(1, {"setting": "g=4", "relative_speed": 0.5, "paper_gpu": 0.42, "paper_arm": 0.82, "unstable": False})
    assert "though g=8 ran 32% faster than g=4" in str(findings(rows)[-1])  # 0.66 / 0.5
    rows[-1]["relative_speed"] = 1.3
    assert "does not hold here" in str(findings(rows)[-1])


@pytest.mark.slow
def test_replicate_cli_json():
    r = subprocess.run([sys.executable, "-m", "gconv", "replicate", "shufflenet-g1", "--device", "cpu",
                        "--min-run-time", "0.02", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    d = json.loads(r.stdout)
    assert [(row["c1"], row["c2"]) for row in d["rows"]] == [(128, 128), (90, 180), (52, 312), (37, 444)]
    assert d["paper"]["arm"]["values"] == [76.2, 72.9, 69.1, 57.6]


def test_a_replication_with_an_unstable_row_draws_it_hollow():
    # A row that stayed noisy (here made so by hand) is drawn apart, with its reason, never on the solid line.
    from dataclasses import replace

    r = measure_replication("shufflenet-g2", TimingConfig(device="cpu", batch=1, min_run_time=0.01, warmup=1,
                                                          threads=1, quiet=False))
    rows = [dict(row, unstable=row["g"] == 4, note="IQR/median 30% after 15 blocks" if row["g"] == 4 else "")
            for row in r.rows]
    fig = replication_figure(replace(r, rows=rows)).to_plotly_json()
    solid = next(t for t in fig["data"] if t["name"] == "this machine")
    hollow = next(t for t in fig["data"] if t["name"].startswith("unstable"))
    assert list(solid["x"]) == ["g=1", "g=2", "g=8"] and list(hollow["x"]) == ["g=4"]
    assert "30%" in hollow["hovertext"][0] and "note" in r.rows[0]
