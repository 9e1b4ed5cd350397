"""Home: the story from convolution to GDC in seven pictures, each with its text and its preset."""
import json
from pathlib import Path

import numpy as np
import streamlit as st

from gconv.parse import to_text
from gconv.presets import PRESETS
from pages.shared import router, ui

# What the GDC lab's training learned on aligned faces; made by
# `python -m gconv gdc --dataset faces-aligned --save-weights assets/gdc_faces_aligned.json` (a test retrains it).
GDC_PICTURE = Path(__file__).resolve().parent.parent / "assets" / "gdc_faces_aligned.json"

STEPS = [
    ("1. Convolution", "standard", "pages/connectivity.py",
     "An input of **C×H×W** meets **N** kernels, each **C×K×K**: every output channel reads every input "
     "channel. The layer holds **N·C·K·K** weights."),
    ("2. Group convolution", "resnext", "pages/connectivity.py",
     "Split the C inputs into **G groups** of C/G. Each of the N kernels is now **C/G×K×K** and reads only "
     "its own group, so the layer holds **N·(C/G)·K·K** weights: **1/G** of the dense layer."),
    ("3. Why groups: two GPUs, fewer weights, structured sparsity", "alexnet_conv2", "pages/connectivity.py",
     "AlexNet (2012) split conv2, conv4 and conv5 into G=2 so each half ran on its own GPU. Seen as a dense "
     "conv, a grouped kernel keeps C/G×K×K weights and the other **(C − C/G)×K×K are zeros**: a structured "
     "sparsity that can even act as a regulariser."),
    ("4. Mixing groups: channel shuffle", "shufflenet_1x1", "pages/connectivity.py",
     "Stacked group convs never let information cross groups. ShuffleNet reshapes the channels to (G, C/G), "
     "transposes and flattens, so the next layer's groups see every earlier group."),
    ("5. Depthwise convolution", "mobilenet_dw", "pages/connectivity.py",
     "With **G = C** (and N = m·C, depth multiplier m) each kernel is **1×K×K** and reads one channel "
     "(MobileNet, Xception)."),
    ("6. Depthwise separable", "separable", "pages/cost.py",
     "A K×K depthwise conv followed by a 1×1 pointwise conv replaces a standard K×K conv at "
     "**1/N + 1/K²** of its cost."),
    ("7. GDC vs GAP", "mobilefacenet_gdc", "pages/gdc.py",
     "A depthwise conv whose kernel is the whole map (**K = H = W**) outputs C×1×1: a **global depthwise "
     "conv** (MobileFaceNet). It is a *learned, weighted* global pooling, where global average pooling weighs "
     "every position 1/(H·W). On aligned faces the centre and the border should not weigh the same."),
]

PAGES = [
    ("Connectivity", "which inputs each output reads: the bipartite diagram (click a kernel), the kernel sliding "
     "over the input in 3-D (press play), the N×C weight "
     "mask, stacked layers with and without channel shuffle (drawn as the permutation it is), a live check that "
     "native, split and masked dense convs agree, and for small layers every multiply-add of one output cell."),
    ("Cost", "params, MACs or FLOPs, bytes and arithmetic intensity, the formulas with this layer's numbers, "
     "every valid G on one chart, and depthwise separable vs standard; CSV download."),
    ("GDC vs GAP lab", "train a GDC head and a GAP head side by side on aligned faces, digits or a synthetic "
     "\"where, not what\" task, replay how the GDC's weights move away from the uniform 1/(H·W), and see "
     "why a GDC fixes the input size."),
    ("Timings", "the layer's real torch kernels on this machine: grouped vs dense vs split vs depthwise vs GDC vs "
     "GAP, sweeps over G and batch, the roofline that explains why fewer FLOPs is not proportionally faster, and "
     "ShuffleNet V2's guideline experiments replayed beside the paper's figures."),
    ("Model inspector", "AlexNet, MobileNets, ShuffleNet V2, ResNeXt, Xception, MobileFaceNet or your own ONNX "
     "file, layer by layer, with diagnostics and a click through to any layer's connectivity and cost."),
]


@st.cache_resource(show_spinner=False)
def pictures() -> dict:
    """The seven figures: the same for every visitor, so built once per server."""
    from gconv.plots.story import story_figures

    run = json.loads(GDC_PICTURE.read_text())
    caption = (f"Aligned face or halves swapped? GDC {run['gdc_test_acc']:.0%}, GAP {run['gap_test_acc']:.0%} "
               "right")
    return story_figures(np.array(run["relative_weights"]), caption)


def render() -> None:
    st.title("gconv: group convolution, made visible")
    st.markdown("Pick a layer in the sidebar (or a preset) and every page follows it. The address bar always "
                "holds the whole view, so a link reproduces it.")
    figures = pictures()
    for title, key, target, text in STEPS:
        with st.container(border=True):
            left, right = st.columns([1, 1], vertical_alignment="center")
            left.markdown(f"#### {title}\n{text}")
            preset = PRESETS[key]
            if left.button(f"Load: {preset.title}", key=f"story_{key}", on_click=ui.load_spec,
                           args=(preset.spec,)):
                # The query string goes with the switch: one written after it would be dropped by the browser.
                st.switch_page(target, query_params=to_text(preset.spec))
            # A picture, not a tool: static, so seven of them stay light in the browser.
            right.plotly_chart(figures[key], key=f"picture_{key}", config={"staticPlot": True})
    st.markdown("### What each page shows")
    icons = {title: icon for _, title, icon, _ in router.PAGES}  # material icons: they render without emoji fonts
    for name, text in PAGES:
        st.markdown(f"- {icons[name]} **{name}**: {text}")


router.page(render)
