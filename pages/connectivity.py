"""Connectivity: which input channels each output channel reads, alone and through stacked layers."""
import streamlit as st

from gconv import ConvSpec, connectivity, cost
from gconv.parse import FIELDS
from gconv.plots.connectivity import aggregated, bipartite, mask_figure, reachability_figure, shuffle_figure
from gconv.i18n import t
from gconv.parse import flag, int_in, one_of
from gconv.text import markdown_table
from pages.shared import router, state, url
from pages.shared.bounds import PAGE_LIMITS, live_spec
from pages.shared.readout import readout

LAYERS = list(range(PAGE_LIMITS["layers"][0], PAGE_LIMITS["layers"][1] + 1))  # stacked layers, as choices
VIEWS = {"groups": ":material/hub: ", "sliding": ":material/view_in_ar: "}  # icon; the label is conn.view.<key>


@st.cache_data(max_entries=128, show_spinner=False)
def equivalence(fields: tuple) -> dict:
    """Three-way check of one layer (plain tuple argument: cached across sessions, bounded)."""
    from gconv.equivalence import three_ways  # torch loads here, after the charts are on screen

    spec = ConvSpec(**dict(fields))
    e = three_ways(spec, batch=1, seed=0)
    return {"split": e.split_vs_native, "dense": e.dense_vs_native, "worst": e.max_diff, "agrees": e.agrees,
            "shape": e.output_shape}


def _chart_key() -> str:
    return f"bipartite_chart_{url.page_value('clicks', 0)}"


def _on_click() -> None:
    points = st.session_state[_chart_key()].selection.get("points", [])
    hits = [p.get("customdata") for p in points if p.get("customdata") is not None]
    if hits:
        n = hits[0]
        url.set_page_value("n", int(n[0] if isinstance(n, list) else n))
    # A fresh chart key drops plotly's selection, which would otherwise dim the diagram and turn a second
    # click on the same kernel into a deselection.
    url.set_page_value("clicks", url.page_value("clicks", 0) + 1)


def kernel_control(spec: ConvSpec, where) -> int:
    """Kernel n in the 3-D view: a number box."""
    return url.bound_widget(where.number_input, t("conn.n"), "n", 0, int_in(*PAGE_LIMITS["n"]),
                            fit=lambda v: min(v, spec.last_kernel), min_value=0, max_value=spec.last_kernel, step=1)


STEPS = (("prev_group", ":material/keyboard_double_arrow_left:", -1, True),
         ("prev", ":material/chevron_left:", -1, False),
         ("next", ":material/chevron_right:", 1, False),
         ("next_group", ":material/keyboard_double_arrow_right:", 1, True))


def _step(spec: ConvSpec, n: int, step: int, by_group: bool) -> None:
    url.set_page_value("n", connectivity.step_kernel(spec, n, step, by_group))


def kernel_stepper(spec: ConvSpec, where) -> int:
    """Kernel n in the groups view: arrows that step a kernel or a group, and a click on the diagram. Buttons, not
    a number box or a slider: their frontend code would add about ten files to every first visit of this page."""
    n = min(url.page_value("n", 0, int_in(*PAGE_LIMITS["n"])), spec.last_kernel)
    url.set_page_value("n", n)
    url.keep_in_url("n", n)
    where.caption(t("conn.n_click"))
    row = where.container(horizontal=True, gap="small")
    for key, icon, step, by_group in STEPS:
        row.button(t(f"conn.step.{key}"), icon=icon, key=f"kernel_{key}", on_click=_step,
                   args=(spec, n, step, by_group))
    return n


def kernel_section(spec: ConvSpec) -> int:
    st.subheader(t("conn.a"))
    left, right = st.columns([1, 3])
    n = kernel_stepper(spec, left)
    reads = connectivity.inputs_of(spec, n)
    readout(left, t("conn.weight_shape"), " × ".join(map(str, spec.kernel_shape)))
    span = t("conn.one_channel", c=reads.start) if len(reads) == 1 else t("conn.channels", first=reads.start,
                                                                            last=reads.stop - 1)
    left.markdown(t("conn.kernel_reads", n=n, g=connectivity.group_of(spec, n), span=span, count=len(reads), C=spec.C))
    if aggregated(spec):
        left.caption(t("conn.bands", edges=f"{connectivity.edges(spec):,}"))
    with right:
        st.plotly_chart(bipartite.wire(spec, selected=n), key=_chart_key(), on_select=_on_click,
                        selection_mode="points", config={"displayModeBar": False})
    return n


def mask_section(spec: ConvSpec) -> None:
    st.subheader(t("conn.b"))
    sparsity = cost.kernel_sparsity(spec)
    c1, c2, c3 = st.columns(3)
    readout(c1, t("conn.nonzero"), f"{sparsity.nonzero:,}")
    readout(c2, t("conn.zeros"), f"{sparsity.zeros:,}")
    readout(c3, t("conn.kept"), f"{sparsity.kept:.2%}")
    st.plotly_chart(mask_figure.wire(spec), key="mask_chart", config={"displayModeBar": False})


def stack_section(spec: ConvSpec) -> None:
    st.subheader(t("conn.c"))
    left, right = st.columns([1, 3])
    # Segmented controls, not a slider and a toggle: their code is already there (the language switch), where those
    # would add ten files to a first visit.
    layers = url.bound_widget(left.segmented_control, t("conn.layers"), "layers", 2, int_in(*PAGE_LIMITS["layers"]),
                              options=LAYERS, required=True)
    shuffle = url.bound_widget(left.segmented_control, t("conn.shuffle"), "shuffle", False, flag,
                               to_url=lambda v: "true" if v else "false", options=[False, True], required=True,
                               format_func=lambda v: t(f"conn.shuffle.{'with' if v else 'without'}"))
    stack = connectivity.follow_up_stack(spec, layers)
    plain = connectivity.reachability(stack, shuffle=False)
    mixed = connectivity.reachability(stack, shuffle=True)
    readout(left, t("conn.sees_plain"), f"{connectivity.fraction_reached(plain):.1%}")
    readout(left, t("conn.sees_mixed"), f"{connectivity.fraction_reached(mixed):.1%}")
    rest = t("conn.rest_many", last=layers) if layers > 2 else t("conn.rest_one")
    left.caption(t("conn.stack_note", rest=rest, N=spec.N, G=spec.G))
    reach = mixed if shuffle else plain
    title = t("conn.reach_title_with" if shuffle else "conn.reach_title_without", layers=layers,
              share=f"{connectivity.fraction_reached(reach):.1%}")
    right.plotly_chart(reachability_figure.wire(reach, title), key="reach_chart", config={"displayModeBar": False})
    if shuffle and connectivity.shuffle_mixes(spec):
        right.plotly_chart(shuffle_figure.wire(spec.N, spec.G), key="shuffle_chart", config={"displayModeBar": False})
    elif shuffle:
        right.caption(t("conn.nothing_to_mix", G=spec.G, per=spec.out_per_group))


def equivalence_section(spec: ConvSpec) -> None:
    st.subheader(t("conn.d"))
    st.markdown(t("conn.in_torch", code=spec.torch_repr()))
    live = live_spec(spec)
    if live is None:
        st.info(t("conn.too_large"))
        return
    with st.spinner(t("conn.running")):
        r = equivalence(tuple((k, getattr(live, k)) for k in FIELDS))
    if live != spec:
        st.caption(t("conn.crop", H=live.H, W=live.W))
    way, diff = t("conn.way"), t("conn.diff")
    st.markdown(markdown_table([
        {way: t("conn.native"), diff: t("conn.reference")},
        {way: t("conn.split", G=spec.G), diff: f"{r['split']:.2e}"},
        {way: t("conn.dense"), diff: f"{r['dense']:.2e}"},
    ]))
    (st.success if r["agrees"] else st.error)(
        t("conn.agree", shape=" × ".join(map(str, r["shape"])), err=f"{r['worst']:.1e}") if r["agrees"]
        else t("conn.disagree"))


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
    last_i, last_j = spec.last_position
    i = url.bound_widget(where.number_input, t("conn.i"), "i", 0, int_in(*PAGE_LIMITS["i"]),
                         fit=lambda v: min(v, last_i), min_value=0, max_value=last_i, step=1)
    j = url.bound_widget(where.number_input, t("conn.j"), "j", 0, int_in(*PAGE_LIMITS["j"]),
                         fit=lambda v: min(v, last_j), min_value=0, max_value=last_j, step=1)
    return i, j


def sliding_section(spec: ConvSpec) -> tuple[int, int, int]:
    from gconv.plots.tensor3d import plan, tensor_figure

    st.subheader(t("conn.sliding"))
    left, right = st.columns([1, 3])
    n = kernel_control(spec, left)
    i, j = position_controls(spec, left)
    view = plan(spec, n, i, j)
    left.markdown(t("conn.stands", n=n, cg=spec.in_per_group, g=connectivity.group_of(spec, n)))
    left.caption(t("conn.move_g"))
    left_out = view.left_out()
    if left_out:
        left.caption(t("conn.window", parts="; ".join(left_out)))
    with right:
        st.plotly_chart(tensor_figure(view, i, j), key="tensor_chart", config={"displayModeBar": False})
    return n, i, j


def numbers_section(spec: ConvSpec, n: int, i: int, j: int) -> None:
    from gconv.plots.numbers import MAX_CHANNELS, MAX_SIZE, numbers_figure, small_enough
    from gconv.terms import cell_terms, sample_values

    st.subheader(t("conn.numbers", n=n, i=i, j=j))
    if not small_enough(spec):
        st.caption(t("conn.numbers_small", C=MAX_CHANNELS, size=MAX_SIZE))
        return
    left, right = st.columns([1, 3])
    x, w, b = sample_values(spec)
    cell = cell_terms(spec, x, w, b, n, i, j)
    left.markdown(t("conn.cell", n=n, i=i, j=j, terms=len(cell.terms)))
    reference = torch_cell(tuple((k, getattr(spec, k)) for k in FIELDS), n, i, j)
    (left.success if reference == cell.total else left.error)(
        t("conn.sum", total=f"{cell.total:g}", n=n, i=i, j=j, torch=f"{reference:g}"))
    right.plotly_chart(numbers_figure(spec, x, w, cell), key="numbers_chart", config={"displayModeBar": False})
    lines = [f"- {t('conn.input')} {c}: " + " + ".join(f"{term.x:g}·{term.w:g}" for term in terms) + f" = **{part:g}**"
             for c, (terms, part) in cell.by_channel().items()]
    if spec.bias:
        lines.append(f"- {t('ui.bias')}: **{cell.bias:g}**")
    right.markdown("\n".join(lines))


def render() -> None:
    spec = state.current_spec()
    st.title(t("page.connectivity"))
    st.markdown(t("conn.summary", kind=spec.kind_label, C=spec.C, G=spec.G, cg=spec.in_per_group,
                  N=spec.N, shape="×".join(map(str, spec.kernel_shape))))
    # Two views, one at a time: the 3-D view's WebGL scene alone costs a first visit more than the rest of the
    # page, so it is drawn when asked for (one click, and kept in the link).
    view = url.bound_widget(st.segmented_control, t("conn.view_label"), "view", "groups", one_of(list(VIEWS)),
                            options=list(VIEWS), format_func=lambda v: VIEWS[v] + t(f"conn.view.{v}"), required=True,
                            label_visibility="collapsed")
    if view == "sliding":
        n, i, j = sliding_section(spec)
        numbers_section(spec, n, i, j)
        return
    kernel_section(spec)
    mask_section(spec)
    stack_section(spec)
    equivalence_section(spec)


router.page(render)
