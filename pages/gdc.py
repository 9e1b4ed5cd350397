"""GDC vs GAP lab: train both pooling heads side by side and watch the GDC learn where to look."""
import streamlit as st

from gconv import cost
from gconv.gdc.datasets import DATASETS, DESCRIPTIONS, IMAGE_SIZES, REGIONS, build, default_map_size, map_sizes
from pages.shared import router, ui
from pages.shared.memo import shared_memo


def controls():
    """The run's settings, each bound to the URL; returns a GDCConfig."""
    from gconv.gdc.training import GDCConfig

    c = st.columns(6)
    dataset = ui.bound_widget(c[0].selectbox, "dataset", "dataset", "synthetic", ui.one_of(DATASETS),
                              options=list(DATASETS))
    region = ui.bound_widget(c[1].selectbox, "informative region", "region", "centre", ui.one_of(REGIONS),
                             options=list(REGIONS), disabled=dataset != "synthetic",
                             help="synthetic data only: where the class is decided")
    width = ui.bound_widget(c[2].select_slider, "backbone width C", "width", 16, ui.int_in(4, 32),
                            options=[4, 8, 16, 24, 32])
    sizes, default_map = map_sizes(dataset), default_map_size(dataset)
    size = ui.bound_widget(c[3].selectbox, "feature map M×M", "map", default_map, ui.int_in(2, 24),
                           fit=lambda m: m if m in sizes else default_map, options=sizes, format_func=lambda m: f"{m}×{m}",
                           help=f"the backbone's output map; must divide the {IMAGE_SIZES[dataset]}-pixel image")
    epochs = ui.bound_widget(c[4].number_input, "epochs", "epochs", 8, ui.int_in(1, 20), min_value=1, max_value=20)
    seed = ui.bound_widget(c[5].number_input, "seed", "seed", 0, ui.int_in(0, 999), min_value=0, max_value=999)
    return GDCConfig(dataset=dataset, region=region, width=width, map_size=size, epochs=epochs, seed=seed)


def run_training(config):
    """The shared memo's result for config, training it here (with a progress bar) if nobody has."""
    from gconv.gdc.training import train
    from gconv.machine import DEVICE

    trainings = shared_memo("gdc-trainings")
    if trainings.busy(config):
        st.info("Someone else is training exactly this setup right now; their result will appear here too.")
    waiting = st.empty()
    bar = st.progress(0.0, text="training both heads…")

    def compute():
        with DEVICE.hold(ui.device_wait_note(waiting), what="a GDC training"):
            return train(config, progress=lambda f, t: bar.progress(f, text=t))

    result = trainings.get_or_compute(config, compute)
    bar.empty()
    waiting.empty()
    return result


def show_result(result, config) -> None:
    from gconv.gdc.input_size import as_rows, attempts
    from gconv.gdc.plots import curves_figure, samples_figure, weight_maps_figure

    m = st.columns(4)
    m[0].metric("GDC test accuracy", f"{result.gdc.test_acc[-1]:.1%}")
    m[1].metric("GAP test accuracy", f"{result.gap.test_acc[-1]:.1%}")
    conc = result.concentration
    m[2].metric("GDC change inside the region ÷ region share", "n/a" if conc is None else f"{conc:.2f}×",
                help="1× = the GDC changed everywhere alike; higher = it learned where the class is decided")
    m[3].metric("training time, both heads", f"{result.seconds:.1f} s")
    st.plotly_chart(curves_figure(result), key="gdc_curves", config={"displayModeBar": False})

    st.subheader("What the GDC learned")
    left, right = st.columns(2)
    epoch = ui.bound_widget(left.slider, "replay: weights after epoch", "epoch", config.epochs,
                            ui.int_in(0, 20), fit=lambda e: min(e, config.epochs), min_value=0,
                            max_value=config.epochs)
    channel = ui.bound_widget(right.number_input, "single channel to show", "channel", 0, ui.int_in(0, 31),
                              fit=lambda c: min(c, config.width - 1), min_value=0, max_value=config.width - 1)
    st.plotly_chart(weight_maps_figure(result, epoch, channel),
                    key="gdc_maps", config={"displayModeBar": False})
    st.caption("Epoch 0 is the start: every GDC weight is 1/(M·M), exactly global average pooling. Red and blue "
               "show where training moved the weights away from that.")
    key = (config.dataset, config.seed, config.region)
    data = shared_memo("gdc-datasets").get_or_compute(key, lambda: build(*key[:1], seed=key[1], region=key[2]))
    st.plotly_chart(samples_figure(data), key="gdc_samples", config={"displayModeBar": False})

    st.subheader("What each head costs")
    M, C = config.map_size, config.width
    gdc, gap = cost.gdc_cost(C, M, M), cost.gap_cost(C, M, M)
    st.table([{"head": "GDC (depthwise conv, kernel = map)", "params": f"{gdc.params:,}", "MACs": f"{gdc.macs:,}",
               "formula": f"C·M·M = {C}·{M}·{M}"},
              {"head": "GAP (average)", "params": "0", "MACs": f"0 (plus {gap.adds:,} adds)",
               "formula": f"C·M·M adds = {C}·{M}·{M}"}])

    st.subheader("GDC fixes the input size")
    st.markdown("The GDC kernel is exactly the training map size, so a larger input gives a larger map and the "
                "model no longer fits together. Here is the trained model fed the test images at 4/3 the size:")
    demo = shared_memo("gdc-size-demo").get_or_compute(config, lambda: as_rows(attempts(result)))
    st.table(demo)


def render() -> None:
    st.title("GDC vs GAP lab")
    st.markdown("A **global depthwise conv** (GDC, MobileFaceNet) is a depthwise conv whose kernel is the whole "
                "feature map: one learned weight per channel per position. **Global average pooling** (GAP) weighs "
                "every position 1/(H·W). On aligned images the positions do not matter equally: train both heads "
                "on the same backbone and data, and watch where the GDC's weights go.")
    config = controls()
    st.caption(DESCRIPTIONS[config.dataset] + ".")
    result = shared_memo("gdc-trainings").peek(config)
    if result is None:
        if st.button("Train both heads", type="primary", key="gdc_train"):
            result = run_training(config)
        else:
            st.info("Press **Train both heads**: a few seconds on a laptop CPU. Results are shared, so a class "
                    "pressing the same settings trains once.")
            return
    show_result(result, config)


router.page(render)
