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


def run(kind: str, spec, config):
    """One timing run through gconv.timing.run, with a progress bar and the device lock's wait said."""
    from gconv.timing import DEVICE, peaks_for, run

    waiting = st.empty()
    bar = st.progress(0.0, text="waiting for the device…")

    def on_wait():
        waiting.info(f"Another timing run is using the device ({DEVICE.waiting} waiting); yours starts as soon as "
                     "it ends, so that measurements never overlap.", icon="⏳")

    def peaks(device, dtype, threads):
        return shared_memo("peaks").get_or_compute((device, dtype, threads), lambda: peaks_for(device, dtype, threads))

    result = run(kind, spec, config, progress=lambda f, text: bar.progress(min(f, 1.0), text=text), on_wait=on_wait,
                 peaks=peaks)
    bar.empty()
    if result.waited:
        waiting.info(f"Waited {result.waited:.1f} s for another timing run to finish (measurements never overlap).",
                     icon="⏳")
    return result


def show(result) -> None:
    """A finished TimingRun: environment, table, charts, downloads and the standalone script."""
    from gconv.timing import script
    from gconv.timing.plots import groups_figure, roofline_figure

    rows, peaks = result.rows, result.peaks
    st.caption(" · ".join(f"{k}: {v}" for k, v in result.environment.items()))
    st.caption(" · ".join(f"peak {p.flops / 1e9:,.1f} GFLOP/s and {p.bandwidth / 1e9:,.1f} GB/s ({p.source})"
                          for p in peaks))
    st.table([{"case": r["case"], "G": r["G"], "batch": r["batch"], "median ms": f"{r['median_ms']:,.4f}",
               "IQR ms": f"{r['iqr_ms']:,.4f}", "runs": r["runs"], "GFLOP/s": f"{r['gflops']:,.1f}",
               "GB/s": f"{r['gbps']:,.1f}", "FLOP/byte": f"{r['intensity']:,.2f}",
               "of roofline": "" if r["roofline_fraction"] is None else f"{r['roofline_fraction']:.0%}",
               "kernel": r["kernels"].split(",")[0]} for r in rows])
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
    if pressed:
        try:
            ui.set_page_value("result", run(pressed[0], spec, config))
        except BudgetError as e:  # said before anything is allocated
            st.error(f"Not timed: {e}", icon="🚫")
        except GConvError as e:  # a setting this machine cannot time (a device or dtype it lacks)
            st.error(f"Cannot time this: {e}", icon="🚫")
    result = ui.page_value("result", None)
    if result is None:
        st.info("Timings start only when you press a button: each takes a few seconds, and one run at a time "
                "uses the device.")
        return
    if result.spec != spec:
        st.caption("These results are for an earlier layer: " + result.spec.torch_repr())
    show(result)


router.page(render)
