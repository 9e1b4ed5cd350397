"""GDC vs GAP lab: train both pooling heads side by side and watch the GDC learn where to look."""
import streamlit as st

from gconv import cost
from gconv.gdc.datasets import DATASETS, IMAGE_SIZES, REGIONS, WIDTHS, build, default_map_size, map_sizes
from gconv.i18n import say, t
from gconv.parse import int_in, one_of
from gconv.text import markdown_table
from pages.shared import notices, router, url
from pages.shared.bounds import PAGE_LIMITS
from pages.shared.memo import shared_memo


def controls():
    """The run's settings, each bound to the URL; returns a GDCConfig."""
    from gconv.gdc.training import GDCConfig

    c = st.columns(6)
    dataset = url.bound_widget(c[0].selectbox, t("gdc.dataset"), "dataset", "synthetic", one_of(DATASETS),
                               options=list(DATASETS), format_func=lambda d: t(f"gdc.dataset.{d}"))
    region = url.bound_widget(c[1].selectbox, t("gdc.region"), "region", "centre", one_of(REGIONS),
                              options=list(REGIONS), disabled=dataset != "synthetic", help=t("gdc.region_help"),
                              format_func=lambda r: t(f"gdc.region.{r}"))
    width = url.bound_widget(c[2].select_slider, t("gdc.width"), "width", 16, int_in(*PAGE_LIMITS["width"]),
                             fit=lambda w: w if w in WIDTHS else 16, options=WIDTHS)
    sizes, default_map = map_sizes(dataset), default_map_size(dataset)
    size = url.bound_widget(c[3].selectbox, t("gdc.map"), "map", default_map, int_in(*PAGE_LIMITS["map"]),
                            fit=lambda m: m if m in sizes else default_map, options=sizes, format_func=lambda m: f"{m}×{m}",
                            help=t("gdc.map_help", size=IMAGE_SIZES[dataset]))
    lo, hi = PAGE_LIMITS["epochs"]
    epochs = url.bound_widget(c[4].number_input, t("gdc.epochs"), "epochs", 8, int_in(lo, hi), min_value=lo,
                              max_value=hi)
    lo, hi = PAGE_LIMITS["seed"]
    seed = url.bound_widget(c[5].number_input, t("gdc.seed"), "seed", 0, int_in(lo, hi), min_value=lo, max_value=hi)
    return GDCConfig(dataset=dataset, region=region, width=width, map_size=size, epochs=epochs, seed=seed)


def run_training(config):
    """The shared memo's result for config, training it here (with a progress bar) if nobody has."""
    from gconv.gdc.training import train
    from gconv.machine import DEVICE

    trainings = shared_memo("gdc-trainings")
    if trainings.busy(config):
        st.info(t("gdc.someone_else"))
    waiting = st.empty()
    bar = st.progress(0.0, text=t("gdc.training"))

    def compute():
        with DEVICE.hold(notices.device_wait_note(waiting), what=say("job.training")):
            return train(config, progress=lambda f, text: bar.progress(f, text=text))

    result = trainings.get_or_compute(config, compute)
    bar.empty()
    waiting.empty()
    return result


def show_result(result, config) -> None:
    from gconv.gdc.input_size import as_rows, attempts
    from gconv.gdc.plots import curves_figure, samples_figure, weight_maps_figure

    m = st.columns(4)
    m[0].metric(t("gdc.gdc_acc"), f"{result.gdc.test_acc[-1]:.1%}")
    m[1].metric(t("gdc.gap_acc"), f"{result.gap.test_acc[-1]:.1%}")
    conc = result.concentration
    m[2].metric(t("gdc.concentration"), t("gdc.na") if conc is None else f"{conc:.2f}×",
                help=t("gdc.concentration_help"))
    m[3].metric(t("gdc.time"), f"{result.seconds:.1f} s")
    st.plotly_chart(curves_figure(result), key="gdc_curves", config={"displayModeBar": False})

    st.subheader(t("gdc.learned"))
    left, right = st.columns(2)
    epoch = url.bound_widget(left.slider, t("gdc.replay"), "epoch", config.epochs,
                             int_in(*PAGE_LIMITS["epoch"]), fit=lambda e: min(e, config.epochs), min_value=0,
                             max_value=config.epochs)
    channel = url.bound_widget(right.number_input, t("gdc.channel"), "channel", 0, int_in(*PAGE_LIMITS["channel"]),
                               fit=lambda c: min(c, config.last_channel), min_value=0, max_value=config.last_channel)
    st.plotly_chart(weight_maps_figure(result, epoch, channel),
                    key="gdc_maps", config={"displayModeBar": False})
    st.caption(t("gdc.epoch0"))
    key = (config.dataset, config.seed, config.region)
    data = shared_memo("gdc-datasets").get_or_compute(key, lambda: build(*key[:1], seed=key[1], region=key[2]))
    st.plotly_chart(samples_figure(data), key="gdc_samples", config={"displayModeBar": False})

    st.subheader(t("gdc.costs"))
    M, C = config.map_size, config.width
    gdc, gap = cost.gdc_cost(C, M, M), cost.gap_cost(C, M, M)
    head, params, formula = t("gdc.head"), t("ledger.params"), t("ledger.col.formula")
    st.markdown(markdown_table([{head: t("gdc.head_gdc"), params: f"{gdc.params:,}", "MACs": f"{gdc.macs:,}",
               formula: t("gdc.gdc_formula", C=C, M=M)},
              {head: t("gdc.head_gap"), params: "0", "MACs": t("gdc.gap_macs", adds=f"{gap.adds:,}"),
               formula: t("gdc.gap_formula", C=C, M=M)}]))

    st.subheader(t("gdc.fixes"))
    st.markdown(t("gdc.fixes_text"))
    demo = shared_memo("gdc-size-demo").get_or_compute(config, lambda: as_rows(attempts(result)))
    st.markdown(markdown_table(demo))


def render() -> None:
    st.title(t("page.gdc"))
    st.markdown(t("gdc.intro"))
    config = controls()
    st.caption(t(f"gdc.describe.{config.dataset}"))
    result = shared_memo("gdc-trainings").peek(config)
    if result is None:
        if st.button(t("gdc.train"), type="primary", key="gdc_train"):
            result = run_training(config)
        else:
            st.info(t("gdc.press"))
            stored_run()
            return
    show_result(result, config)


def stored_run() -> None:
    """Until a first training, the run Home draws: what the lab learned on aligned faces, so the page is not empty."""
    from gconv.plots.story import gdc_vs_gap_figure, learned_gdc

    run = learned_gdc()
    stored = run.config
    st.subheader(t("gdc.stored_title"))
    m = st.columns(2)
    m[0].metric(t("gdc.gdc_acc"), f"{run.gdc_acc:.1%}")
    m[1].metric(t("gdc.gap_acc"), f"{run.gap_acc:.1%}")
    st.markdown(t("gdc.stored_text", dataset=t(f"gdc.dataset.{stored['dataset']}"), width=stored["width"],
                  epochs=stored["epochs"], seed=stored["seed"], gdc=f"{run.gdc_acc:.0%}", gap=f"{run.gap_acc:.0%}",
                  low=f"{run.relative.min():.1f}", high=f"{run.relative.max():.1f}"))
    st.plotly_chart(gdc_vs_gap_figure(run.relative), key="gdc_stored", config={"displayModeBar": False})


router.page(render)
