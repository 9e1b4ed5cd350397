"""Connectivity: which input channels each output channel reads, alone and through stacked layers."""
import streamlit as st

from gconv import ConvSpec, connectivity, cost
from gconv.parse import FIELDS
from gconv.plots.connectivity import aggregated, bipartite, mask_figure, reachability_figure, shuffle_figure
from gconv.spec import Kind
from pages.shared import router, ui
from pages.shared.bounds import live_spec

VIEWS = {"groups": ":material/hub: Who reads what", "sliding": ":material/view_in_ar: The kernel sliding, in 3-D"}


@st.cache_data(max_entries=128, show_spinner=False)
def equivalence(fields: tuple) -> dict:
    """Three-way check of one layer (plain tuple argument: cached across sessions, bounded)."""
    from gconv.equivalence import three_ways  # torch loads here, after the charts are on screen

    spec = ConvSpec(**dict(fields))
    e = three_ways(spec, batch=1, seed=0)
    return {"split": e.split_vs_native, "dense": e.dense_vs_native, "shape": e.output_shape}


def _chart_key() -> str:
    return f"bipartite_chart_{ui.page_value('clicks', 0)}"


def _on_click() -> None:
    points = st.session_state[_chart_key()].selection.get("points", [])
    hits = [p.get("customdata") for p in points if p.get("customdata") is not None]
    if hits:
        n = hits[0]
        ui.set_page_value("n", int(n[0] if isinstance(n, list) else n))
    # A fresh chart key drops plotly's selection, which would otherwise dim the diagram and turn a second
    # click on the same kernel into a deselection.
    ui.set_page_value("clicks", ui.page_value("clicks", 0) + 1)


def kernel_control(spec: ConvSpec, where, label: str = "output channel n") -> int:
    """Kernel n, shared by both views."""
    kernels = range(spec.N)
    return ui.bound_widget(where.number_input, label, "n", 0, ui.int_in(0, 4095), fit=lambda v: min(v, kernels[-1]),
                           min_value=0, max_value=kernels[-1], step=1)


def kernel_section(spec: ConvSpec) -> int:
    st.subheader("a. Inputs → kernels → outputs")
    left, right = st.columns([1, 3])
    n = kernel_control(spec, left, "output channel n (or click a kernel)")
    reads = connectivity.inputs_of(spec, n)
    left.metric("weight[n] shape", " × ".join(map(str, spec.weight_shape[1:])))
    span = f"channel **{reads.start}**" if len(reads) == 1 else f"channels **{reads.start}–{reads.stop - 1}**"
    left.markdown(f"Kernel **{n}** is in **group {connectivity.group_of(spec, n)}** and reads input {span} "
                  f"({len(reads)} of {spec.C}).")
    if aggregated(spec):
        left.caption(f"{connectivity.edges(spec):,} edges are too many to draw one by one, so each group is a "
                     "band; the highlighted wedge is kernel n's group.")
    with right:
        st.plotly_chart(bipartite(spec, selected=n), key=_chart_key(), on_select=_on_click,
                        selection_mode="points", config={"displayModeBar": False})
    return n


def mask_section(spec: ConvSpec) -> None:
    st.subheader("b. The weight mask: structured sparsity")
    sparsity = cost.kernel_sparsity(spec)
    c1, c2, c3 = st.columns(3)
    c1.metric("nonzero weights per kernel (C/G×K×K)", f"{sparsity.nonzero:,}")
    c2.metric("zeros per kernel, seen as dense ((C−C/G)×K×K)", f"{sparsity.zeros:,}")
    c3.metric("share of a dense kernel kept", f"{sparsity.kept:.2%}", help="= 1/G")
    st.plotly_chart(mask_figure(spec), key="mask_chart", config={"displayModeBar": False})


def stack_section(spec: ConvSpec) -> None:
    st.subheader("c. Stacked layers and channel shuffle")
    left, right = st.columns([1, 3])
    layers = ui.bound_widget(left.slider, "layers in the stack", "layers", 2, ui.int_in(2, 4), min_value=2,
                             max_value=4)
    shuffle = ui.bound_widget(left.toggle, "channel shuffle between layers", "shuffle", False, ui.flag,
                              to_url=lambda v: "true" if v else "false")
    stack = connectivity.follow_up_stack(spec, layers)
    plain = connectivity.reachability(stack, shuffle=False)
    mixed = connectivity.reachability(stack, shuffle=True)
    left.metric("inputs each output sees, no shuffle", f"{connectivity.fraction_reached(plain):.1%}")
    left.metric("inputs each output sees, with shuffle", f"{connectivity.fraction_reached(mixed):.1%}")
    rest = f"layers 2–{layers} are 1×1 convs" if layers > 2 else "layer 2 is a 1×1 conv"
    left.caption(f"Layer 1 is the sidebar layer; {rest} {spec.N}→{spec.N} with the same G={spec.G}. Without a "
                 "shuffle, information never crosses groups.")
    reach = mixed if shuffle else plain
    title = (f"Reachability through {layers} layers, {'with' if shuffle else 'without'} channel shuffle "
             f"(rows: last-layer outputs, columns: first-layer inputs)<br><sup>"
             f"{connectivity.fraction_reached(reach):.1%} of (output, input) pairs connected</sup>")
    right.plotly_chart(reachability_figure(reach, title), key="reach_chart", config={"displayModeBar": False})
    if shuffle and spec.kind is Kind.GROUPED and spec.out_per_group > 1:
        right.plotly_chart(shuffle_figure(spec.N, spec.G), key="shuffle_chart", config={"displayModeBar": False})
    elif shuffle:
        right.caption(f"With G={spec.G} and {spec.out_per_group} channel(s) per group the shuffle leaves every "
                      "channel where it is: there is nothing to mix.")


def equivalence_section(spec: ConvSpec) -> None:
    st.subheader("d. Live check: three ways to compute this layer")
    st.markdown(f"In torch: `{spec.torch_repr()}`")
    live = live_spec(spec)
    if live is None:
        st.info("This layer is too large to run three times live here (the masked dense conv alone would need "
                "more than the live budget); `gconv.equivalence.three_ways(spec)` runs it in a notebook.")
        return
    with st.spinner("Running the three convs in torch…"):
        r = equivalence(tuple((k, getattr(live, k)) for k in FIELDS))
    if live != spec:
        st.caption(f"Run on a {live.H}×{live.W} crop of the input (same channels, groups and kernel) to keep it "
                   "interactive.")
    ui.table([
        {"way": "native F.conv2d(groups=G)", "max |difference| vs native": "0 (reference)"},
        {"way": f"G={spec.G} separate convs, concatenated", "max |difference| vs native": f"{r['split']:.2e}"},
        {"way": "one dense conv, block-diagonal zero-masked weight",
         "max |difference| vs native": f"{r['dense']:.2e}"},
    ])
    ok = max(r["split"], r["dense"]) < 1e-4
    (st.success if ok else st.error)(
        f"Output {' × '.join(map(str, r['shape']))} (fp32): the three agree to "
        f"{max(r['split'], r['dense']):.1e}." if ok else "The three ways disagree: please report this layer.")


@st.cache_data(max_entries=128, show_spinner=False)
def torch_cell(fields: tuple, n: int, i: int, j: int) -> float:
    """torch's F.conv2d on the numbers view's values, at y[n, i, j] (the check the view's sum must pass)."""
    import torch  # loads here, after the charts are on screen

    from gconv.equivalence import native_conv
    from gconv.terms import sample_values

    spec = ConvSpec(**dict(fields))
    x, w, b = sample_values(spec)
    y = native_conv(torch.from_numpy(x)[None], torch.from_numpy(w), None if b is None else torch.from_numpy(b), spec)
    return float(y[0, n, i, j])


def position_controls(spec: ConvSpec, where) -> tuple[int, int]:
    """The output position (i, j) shared by the 3-D view and the numbers view."""
    rows, cols = (range(size) for size in spec.out_hw)
    i = ui.bound_widget(where.number_input, "output row i", "i", 0, ui.int_in(0, 1023), fit=lambda v: min(v, rows[-1]),
                        min_value=0, max_value=rows[-1], step=1)
    j = ui.bound_widget(where.number_input, "output column j", "j", 0, ui.int_in(0, 1023),
                        fit=lambda v: min(v, cols[-1]), min_value=0, max_value=cols[-1], step=1)
    return i, j


def sliding_section(spec: ConvSpec) -> tuple[int, int, int]:
    from gconv.plots.tensor3d import plan, tensor_figure

    st.subheader("The kernel sliding over the input")
    left, right = st.columns([1, 3])
    n = kernel_control(spec, left)
    i, j = position_controls(spec, left)
    view = plan(spec, n, i, j)
    left.markdown(f"Kernel **{n}** stands on the **{spec.in_per_group}** slice(s) of group "
                  f"**{connectivity.group_of(spec, n)}** and nowhere else. Press **▶ play** to step it over the output, "
                  "or drag the slider under the figure.")
    left.caption("Move **G** in the sidebar: from G=1 (standard: the kernel spans every slice) through grouped to "
                 "G=C (depthwise: one slice each), with nothing else changing.")
    left_out = view.left_out()
    if left_out:
        left.caption("Drawn as a readable window; not drawn: " + "; ".join(left_out) + ".")
    with right:
        st.plotly_chart(tensor_figure(view, i, j), key="tensor_chart", config={"displayModeBar": False})
    return n, i, j


def numbers_section(spec: ConvSpec, n: int, i: int, j: int) -> None:
    from gconv.plots.numbers import MAX_CHANNELS, MAX_SIZE, numbers_figure, small_enough
    from gconv.terms import cell_terms, sample_values

    st.subheader(f"The numbers of y[{n}, {i}, {j}]")
    if not small_enough(spec):
        st.caption(f"Shown for layers of at most {MAX_CHANNELS} input channels and {MAX_SIZE}×{MAX_SIZE} maps, where "
                   "every number fits on screen: try the default layer (C=N=8, G=2, H=W=6).")
        return
    left, right = st.columns([1, 3])
    x, w, b = sample_values(spec)
    cell = cell_terms(spec, x, w, b, n, i, j)
    by_channel = {}
    for t in cell.terms:
        by_channel.setdefault(t.c, []).append(t)
    left.markdown(f"Output channel **n={n}** at **({i}, {j})**: {len(cell.terms)} multiply-adds, only over its own "
                  "group.")
    reference = torch_cell(tuple((k, getattr(spec, k)) for k in FIELDS), n, i, j)
    (left.success if reference == cell.total else left.error)(
        f"Σ = **{cell.total:g}**; torch's F.conv2d gives y[{n}, {i}, {j}] = **{reference:g}**.")
    right.plotly_chart(numbers_figure(spec, x, w, cell), key="numbers_chart", config={"displayModeBar": False})
    lines = [f"- input {c}: " + " + ".join(f"{t.x:g}·{t.w:g}" for t in terms) + f" = **{sum(t.product for t in terms):g}**"
             for c, terms in by_channel.items()]
    if spec.bias:
        lines.append(f"- bias: **{cell.bias:g}**")
    right.markdown("\n".join(lines))


def render() -> None:
    spec = ui.current_spec()
    st.title("Connectivity")
    st.markdown(f"**{spec.kind_label}**: {spec.C} input channels in **G={spec.G}** groups of "
                f"{spec.in_per_group}; each of the {spec.N} kernels is {'×'.join(map(str, spec.weight_shape[1:]))} "
                "and reads only its own group.")
    # Two views, one at a time: the 3-D view's WebGL scene alone costs a first visit more than the rest of the
    # page, so it is drawn when asked for (one click, and kept in the link).
    view = ui.bound_widget(st.segmented_control, "view", "view", "groups", ui.one_of(list(VIEWS)),
                           options=list(VIEWS), format_func=VIEWS.get, required=True, label_visibility="collapsed")
    if view == "sliding":
        n, i, j = sliding_section(spec)
        numbers_section(spec, n, i, j)
        return
    kernel_section(spec)
    mask_section(spec)
    stack_section(spec)
    equivalence_section(spec)


router.page(render)
