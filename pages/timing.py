"""Timings: the layer's real torch kernels on this machine, against the cost model and the roofline."""
import json
import os

import streamlit as st

from gconv import BudgetError, GConvError
from gconv.i18n import t
from gconv.timing.options import DIRECTIONS, EXPERIMENTS as EXPERIMENT_NAMES, LAYOUTS, RUN_TIMES, graphed, is_backward
from gconv.text import markdown
from gconv.parse import flag, int_in, one_of
from pages.shared import notices, router, state, url
from pages.shared.bounds import PAGE_LIMITS
from pages.shared.memo import shared_memo


def settings():
    """Timing controls bound to the URL; returns a TimingConfig."""
    from gconv.timing import TimingConfig, available_devices, supported_dtypes

    devices = available_devices()
    c = st.columns(4)
    device = url.bound_widget(c[0].selectbox, t("timing.device"), "device", devices[0], one_of(devices), options=devices)
    dtypes = shared_memo("dtypes").get_or_compute(device, lambda: supported_dtypes(device))
    dtype = url.bound_widget(c[1].selectbox, t("cost.dtype"), "tdtype", "fp32", one_of(dtypes), options=dtypes,
                             fit=lambda d: d if d in dtypes else "fp32")
    layout = url.bound_widget(c[2].selectbox, t("timing.layout"), "layout", "nchw", one_of(LAYOUTS), options=LAYOUTS)
    batch = url.bound_widget(c[3].number_input, t("cost.batch"), "tbatch", 8, int_in(*PAGE_LIMITS["tbatch"]),
                             min_value=PAGE_LIMITS["tbatch"][0], max_value=PAGE_LIMITS["tbatch"][1])
    c = st.columns(4)
    direction = url.bound_widget(c[0].selectbox, t("timing.direction"), "direction", DIRECTIONS[0],
                                 one_of(DIRECTIONS), options=DIRECTIONS, format_func=lambda d: t(f"timing.direction.{d}"))
    graph = url.bound_widget(c[1].toggle, t("timing.graph"), "graph", False, flag,
                             to_url=lambda v: "true" if v else "false", disabled=not graphed(True, device),
                             help=t("timing.graph_help"))
    cores = os.cpu_count() or 1
    threads = url.bound_widget(c[2].number_input, t("timing.threads"), "threads", min(cores, 2),
                               int_in(*PAGE_LIMITS["threads"]), fit=lambda n: min(n, cores), min_value=1,
                               max_value=cores, disabled=device != "cpu")
    run_time = url.bound_widget(c[3].select_slider, t("timing.runtime"), "runtime", 0.2,
                                lambda text: float(one_of([str(r) for r in RUN_TIMES])(text)), options=RUN_TIMES)
    return TimingConfig(device=device, dtype=dtype, memory_format=layout, batch=batch,
                        backward=is_backward(direction), cuda_graph=graphed(graph, device),
                        threads=threads if device == "cpu" else None, min_run_time=run_time)


def run(kind: str, spec, config, slot):
    """One timing run in the timing worker process, its progress drawn in slot between rounds only."""
    from gconv.timing import run

    key = (config.device, config.dtype, config.threads)
    bar = slot.progress(0.0, text=t("timing.waiting"))
    result = run(kind, spec, config, progress=lambda f, text: bar.progress(min(f, 1.0), text=str(text)),
                 on_wait=notices.device_wait_note(slot), peaks=shared_memo("peaks").peek(key), isolated=True)
    shared_memo("peaks").get_or_compute(key, lambda: result.peaks)
    return result


def _env_value(key: str, value) -> str:
    """An environment value in the reader's language: yes and no, and the direction's words."""
    if key == "direction":
        return t(f"timing.direction.{value}")
    return t("env.yes") if value is True else t("env.no") if value is False else str(value)


def _spread(row: dict) -> str:
    return f"{row['spread']:.0%}" + (f" {t('figt.unstable_short')}" if row["unstable"] else "")


def show(result) -> None:
    """A finished TimingRun: environment, table, charts, downloads and the standalone script."""
    from gconv.timing import script
    from gconv.timing.noise import NOISE_THRESHOLD
    from gconv.timing.plots import groups_figure, roofline_figure

    rows, peaks = result.rows, result.peaks
    if result.waited:
        st.info(t("timing.waited", seconds=f"{result.waited:.1f}"),
                icon=":material/hourglass_empty:")
    st.caption(t("timing.measured_in", process=result.environment["process"]) + " "
               + " · ".join(f"{t('env.' + k)}: {_env_value(k, v)}"
                            for k, v in result.environment.items() if k != "process"))
    st.caption(" · ".join(t("timing.peak", flops=f"{p.flops / 1e9:,.1f}", bandwidth=f"{p.bandwidth / 1e9:,.1f}",
                            source=p.source) for p in peaks))
    col = {k: t(f"timing.col.{k}") for k in ("case", "median", "spread", "runs", "roofline", "kernel")}
    st.table([{col["case"]: str(r["case"]), "G": r["G"], t("env.batch"): r["batch"],
               col["median"]: f"{r['median_ms']:,.4f}",
               col["spread"]: _spread(r), col["runs"]: r["runs"], "GFLOP/s": f"{r['gflops']:,.1f}",
               "GB/s": f"{r['gbps']:,.1f}", "FLOP/byte": f"{r['intensity']:,.2f}",
               col["roofline"]: "" if r["roofline_fraction"] is None else f"{r['roofline_fraction']:.0%}",
               col["kernel"]: r["kernels"].split(",")[0]} for r in rows])
    if result.unstable:
        names = "; ".join(t("timing.unstable_row", case=r["case"], G=r["G"], batch=r["batch"],
                            spread=f"{r['spread']:.0%}") for r in result.unstable)
        st.warning(t("timing.unstable", names=names, threshold=f"{NOISE_THRESHOLD:.0%}"), icon=":material/warning:")
    else:
        st.caption(t("timing.settled", threshold=f"{NOISE_THRESHOLD:.0%}"))
    if result.kind == "groups":
        st.plotly_chart(groups_figure(rows), key="groups_chart", config={"displayModeBar": False})
    st.plotly_chart(roofline_figure(rows, peaks), key="roofline_chart", config={"displayModeBar": False})
    st.caption(t("timing.above_roof"))
    c1, c2 = st.columns(2)
    c1.download_button(t("timing.download_csv"), result.to_csv(), file_name="gconv-timings.csv", mime="text/csv")
    c2.download_button(t("timing.download_json"), json.dumps(result.as_dict(), indent=2), file_name="gconv-timings.json",
                       mime="application/json")
    with st.expander(t("timing.reproduce")):
        st.code(script(result.spec, result.config), language="python")


def replication_section(config) -> None:
    """ShuffleNet V2's guideline experiments, replayed here beside the paper's GPU and ARM figures."""
    from dataclasses import replace

    from gconv.timing.plots import replication_figure
    from gconv.timing.replicate import EXPERIMENTS, replicate

    st.subheader(t("timing.replicate_title"))
    st.markdown(t("timing.replicate_intro"))
    c = st.columns([2, 1, 1])
    name = url.bound_widget(c[0].selectbox, t("timing.experiment"), "experiment", EXPERIMENT_NAMES[0],
                            one_of(EXPERIMENT_NAMES), options=EXPERIMENT_NAMES,
                            format_func=lambda k: str(EXPERIMENTS[k][0]))
    batch = url.bound_widget(c[1].number_input, t("timing.rbatch"), "rbatch", 1, int_in(*PAGE_LIMITS["rbatch"]),
                             min_value=PAGE_LIMITS["rbatch"][0], max_value=PAGE_LIMITS["rbatch"][1])
    slot = st.empty()
    if c[2].button(t("timing.replicate"), key="replicate", type="primary"):
        bar = slot.progress(0.0, text=t("timing.waiting"))
        try:
            url.set_page_value("replication", replicate(
                name, replace(config, batch=batch, backward=False, cuda_graph=False),
                progress=lambda f, text: bar.progress(min(f, 1.0), text=str(text)), on_wait=notices.device_wait_note(slot),
                isolated=True))
        except GConvError as e:
            slot.error(markdown(t("timing.cannot_replicate", error=e)), icon=":material/block:")
            return
        slot.empty()
    rep = url.page_value("replication", None)
    if rep is None:
        st.info(t("timing.press_replicate"))
        return
    col = {k: t(f"timing.rcol.{k}") for k in ("row", "widths", "mac", "median", "spread", "here", "gpu", "arm")}
    st.table([{col["row"]: r["setting"], col["widths"]: r["widths"], "FLOPs": f"{r['flops']:,}", col["mac"]: f"{r['mac']:,}",
               col["median"]: f"{r['median_ms']:,.3f}", col["spread"]: _spread(r),
               col["here"]: f"{r['relative_speed']:.2f}×", col["gpu"]: f"{r['paper_gpu']:.2f}×",
               col["arm"]: f"{r['paper_arm']:.2f}×"} for r in rep.rows])
    st.plotly_chart(replication_figure(rep), key="replication_chart", config={"displayModeBar": False})
    st.markdown("\n".join(f"- {line}" for line in rep.findings))
    st.caption(t("timing.replicate_note", batch=rep.config.batch))
    st.download_button(t("timing.download_replication"), json.dumps(rep.as_dict(), indent=2),
                       file_name=f"gconv-{rep.name}.json", mime="application/json")


def render() -> None:
    from gconv.timing import RUNS

    spec = state.current_spec()
    st.title(t("page.timing"))
    st.markdown(t("timing.intro", layer=spec.torch_repr()))
    config = settings()
    buttons = st.columns(len(RUNS))
    pressed = [k for k, col in zip(RUNS, buttons) if col.button(t(f"timing.run.{k}"), key=f"time_{k}",
                                                                                   type="primary" if k == "layer"
                                                                                   else "secondary")]
    # One slot holds the results: a new run empties it first, so no chart of the last run is redrawn by the
    # browser while the worker measures.
    slot = st.empty()
    error = None
    if pressed:
        try:
            url.set_page_value("result", run(pressed[0], spec, config, slot))
        except BudgetError as e:  # said before anything is allocated
            error = t("timing.not_timed", error=e)
        except GConvError as e:  # a setting this machine cannot time (a device or dtype it lacks)
            error = t("timing.cannot_time", error=e)
    result = url.page_value("result", None)
    if error:
        slot.error(markdown(error), icon=":material/block:")
    elif result is None:
        slot.info(t("timing.press"))
    else:
        with slot.container():
            if result.spec != spec:
                st.caption(t("timing.earlier", layer=result.spec.torch_repr()))
            show(result)
    replication_section(config)


router.page(render)
