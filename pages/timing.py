"""Timings: the layer's real torch kernels on this machine, against the cost model and the roofline."""
import json
import os

import streamlit as st

from gconv import BudgetError, GConvError
from pages.shared import router, ui
from pages.shared.memo import shared_memo


def settings():
    """Timing controls bound to the URL; returns a TimingConfig."""
    from gconv.timing import TimingConfig, available_devices, supported_dtypes

    devices = available_devices()
    c = st.columns(4)
    device = ui.bound_widget(c[0].selectbox, "device", "device", devices[0], ui.one_of(devices), options=devices)
    dtypes = shared_memo("dtypes").get_or_compute(device, lambda: supported_dtypes(device))
    dtype = ui.bound_widget(c[1].selectbox, "dtype", "tdtype", "fp32", ui.one_of(dtypes), options=dtypes,
                            fit=lambda d: d if d in dtypes else "fp32")
    layout = ui.bound_widget(c[2].selectbox, "memory format", "layout", "nchw", ui.one_of(["nchw", "channels_last"]),
                             options=["nchw", "channels_last"])
    batch = ui.bound_widget(c[3].number_input, "batch size", "tbatch", 8, ui.int_in(1, 256), min_value=1,
                            max_value=256)
    c = st.columns(4)
    direction = ui.bound_widget(c[0].selectbox, "direction", "direction", "forward",
                                ui.one_of(["forward", "forward+backward"]), options=["forward", "forward+backward"])
    graph = ui.bound_widget(c[1].toggle, "CUDA graph replay", "graph", False, ui.flag,
                            to_url=lambda v: "true" if v else "false", disabled=device != "cuda",
                            help="replays a captured graph: removes kernel launch overhead (CUDA only)")
    cores = os.cpu_count() or 1
    threads = ui.bound_widget(c[2].number_input, "CPU threads", "threads", min(cores, 2), ui.int_in(1, 256),
                              fit=lambda t: min(t, cores), min_value=1, max_value=cores, disabled=device != "cpu")
    run_time = ui.bound_widget(c[3].select_slider, "seconds per measurement", "runtime", 0.2,
                               lambda t: float(ui.one_of(["0.05", "0.1", "0.2", "0.5", "1.0"])(t)),
                               options=[0.05, 0.1, 0.2, 0.5, 1.0])
    return TimingConfig(device=device, dtype=dtype, memory_format=layout, batch=batch,
                        backward=direction == "forward+backward", cuda_graph=bool(graph and device == "cuda"),
                        threads=threads if device == "cpu" else None, min_run_time=run_time)


def run(kind: str, spec, config, slot):
    """One timing run in the timing worker process, its progress drawn in slot between rounds only."""
    from gconv.timing import run

    key = (config.device, config.dtype, config.threads)
    bar = slot.progress(0.0, text="waiting for the device…")
    result = run(kind, spec, config, progress=lambda f, text: bar.progress(min(f, 1.0), text=text),
                 on_wait=ui.device_wait_note(slot), peaks=shared_memo("peaks").peek(key), isolated=True)
    shared_memo("peaks").get_or_compute(key, lambda: result.peaks)
    return result


def _spread(row: dict) -> str:
    return f"{row['spread']:.0%}" + (" unstable" if row["unstable"] else "")


def show(result) -> None:
    """A finished TimingRun: environment, table, charts, downloads and the standalone script."""
    from gconv.timing import script
    from gconv.timing.noise import NOISE_THRESHOLD
    from gconv.timing.plots import groups_figure, roofline_figure

    rows, peaks = result.rows, result.peaks
    if result.waited:
        st.info(f"Waited {result.waited:.1f} s for another job on the device (measurements never overlap).",
                icon=":material/hourglass_empty:")
    st.caption(f"Measured in the timing worker ({result.environment['process']}), a process apart from the app's "
               "server, in interleaved rounds: " + " · ".join(f"{k}: {v}" for k, v in result.environment.items()
                                                               if k != "process"))
    st.caption(" · ".join(f"peak {p.flops / 1e9:,.1f} GFLOP/s and {p.bandwidth / 1e9:,.1f} GB/s ({p.source})"
                          for p in peaks))
    st.table([{"case": r["case"], "G": r["G"], "batch": r["batch"], "median ms": f"{r['median_ms']:,.4f}",
               "spread (IQR/median)": _spread(r), "runs": r["runs"], "GFLOP/s": f"{r['gflops']:,.1f}",
               "GB/s": f"{r['gbps']:,.1f}", "FLOP/byte": f"{r['intensity']:,.2f}",
               "of roofline": "" if r["roofline_fraction"] is None else f"{r['roofline_fraction']:.0%}",
               "kernel": r["kernels"].split(",")[0]} for r in rows])
    if result.unstable:
        names = "; ".join(f"{r['case']} at G={r['G']}, batch {r['batch']} ({r['spread']:.0%})" for r in result.unstable)
        st.warning(f"Unstable rows, drawn hollow and grey: {names}. Their blocks still varied by more than "
                   f"{NOISE_THRESHOLD:.0%} (IQR/median) after re-measuring: another program or the machine's clock "
                   "varied during the measurement. Time them again.", icon=":material/warning:")
    else:
        st.caption(f"Every row settled: its middle half of blocks lies within {NOISE_THRESHOLD:.0%} of its median.")
    if result.kind == "groups":
        st.plotly_chart(groups_figure(rows), key="groups_chart", config={"displayModeBar": False})
    st.plotly_chart(roofline_figure(rows, peaks), key="roofline_chart", config={"displayModeBar": False})
    st.caption("Above 100% of the roof means the working set fit in cache (the roof's bandwidth is a large "
               "copy through DRAM) or the kernel does fewer multiplications than the direct count (e.g. "
               "Winograd); FLOPs and bytes are the cost model's, not counters.")
    c1, c2 = st.columns(2)
    c1.download_button("Download CSV", result.to_csv(), file_name="gconv-timings.csv", mime="text/csv")
    c2.download_button("Download JSON", json.dumps(result.as_dict(), indent=2), file_name="gconv-timings.json",
                       mime="application/json")
    with st.expander("Reproduce outside the app (standalone script)"):
        st.code(script(result.spec, result.config), language="python")


def replication_section(config) -> None:
    """ShuffleNet V2's guideline experiments, replayed here beside the paper's GPU and ARM figures."""
    from dataclasses import replace

    from gconv.timing.plots import replication_figure
    from gconv.timing.replicate import EXPERIMENTS, replicate

    st.subheader("Replicate a paper: ShuffleNet V2's guidelines")
    st.markdown("Ma et al. (ECCV 2018, Sec. 2) held FLOPs fixed and still measured different speeds: **G1** equal "
                "channel widths are fastest, **G2** more groups are slower. Replay their experiments on this "
                "machine, with the paper's GPU (GTX 1080Ti) and ARM (Snapdragon 810) figures beside.")
    c = st.columns([2, 1, 1])
    name = ui.bound_widget(c[0].selectbox, "experiment", "experiment", "shufflenet-g2", ui.one_of(list(EXPERIMENTS)),
                           options=list(EXPERIMENTS), format_func=lambda k: EXPERIMENTS[k][0])
    batch = ui.bound_widget(c[1].number_input, "batch (the paper does not say; 1)", "rbatch", 1, ui.int_in(1, 64),
                            min_value=1, max_value=64)
    slot = st.empty()
    if c[2].button("Replicate", key="replicate", type="primary"):
        bar = slot.progress(0.0, text="waiting for the device…")
        try:
            ui.set_page_value("replication", replicate(
                name, replace(config, batch=batch, backward=False, cuda_graph=False),
                progress=lambda f, text: bar.progress(min(f, 1.0), text=text), on_wait=ui.device_wait_note(slot),
                isolated=True))
        except GConvError as e:
            slot.error(f"Cannot replicate this here: {e}", icon=":material/block:")
            return
        slot.empty()
    rep = ui.page_value("replication", None)
    if rep is None:
        st.info("Press **Replicate**: 40 convs per row, a few seconds.")
        return
    st.table([{"row": r["setting"], "widths (c1, c2)" if "c1" in r else "c": f"{r['c1']}, {r['c2']}" if "c1" in r
               else r["c"], "FLOPs": f"{r['flops']:,}", "memory access (elements)": f"{r['mac']:,}",
               "median ms": f"{r['median_ms']:,.3f}", "spread": _spread(r), "speed here": f"{r['relative_speed']:.2f}×",
               "paper GPU": f"{r['paper_gpu']:.2f}×", "paper ARM": f"{r['paper_arm']:.2f}×"} for r in rep.rows])
    st.plotly_chart(replication_figure(rep), key="replication_chart", config={"displayModeBar": False})
    st.markdown("\n".join(f"- {line}" for line in rep.findings))
    st.caption(f"Batch {rep.config.batch}: the paper does not state the batch size for these tables. Memory access "
               "cost is the paper's MAC (Eq. 1–2), hw(c1 + c2) + c1·c2/g elements per layer, not multiply-adds.")
    st.download_button("Download the replication (JSON)", json.dumps(rep.as_dict(), indent=2),
                       file_name=f"gconv-{rep.name}.json", mime="application/json")


def render() -> None:
    from gconv.timing import RUNS

    spec = ui.current_spec()
    st.title("Timings")
    st.markdown(f"Real torch kernels for **{spec.torch_repr()}** on this machine. Fewer FLOPs is not "
                "proportionally faster: grouped and depthwise convs read as many bytes for far fewer FLOPs, and "
                "different kernels run them.")
    config = settings()
    buttons = st.columns(len(RUNS))
    pressed = [k for (k, label), col in zip(RUNS.items(), buttons) if col.button(label, key=f"time_{k}",
                                                                                   type="primary" if k == "layer"
                                                                                   else "secondary")]
    # One slot holds the results: a new run empties it first, so no chart of the last run is redrawn by the
    # browser while the worker measures.
    slot = st.empty()
    error = None
    if pressed:
        try:
            ui.set_page_value("result", run(pressed[0], spec, config, slot))
        except BudgetError as e:  # said before anything is allocated
            error = f"Not timed: {e}"
        except GConvError as e:  # a setting this machine cannot time (a device or dtype it lacks)
            error = f"Cannot time this: {e}"
    result = ui.page_value("result", None)
    if error:
        slot.error(error, icon=":material/block:")
    elif result is None:
        slot.info("Timings start only when you press a button: each takes a few seconds, and one run at a time "
                  "uses the device.")
    else:
        with slot.container():
            if result.spec != spec:
                st.caption("These results are for an earlier layer: " + result.spec.torch_repr())
            show(result)
    replication_section(config)


router.page(render)
