"""Cost: params, MACs or FLOPs, bytes and intensity of the layer, with the formulas and every valid G."""
import streamlit as st

from gconv import cost, ledger
from gconv.fmt import number
from gconv.i18n import t
from gconv.plots.cost import group_sweep_figure, separable_figure
from gconv.parse import int_in, one_of
from gconv.text import markdown_table
from pages.shared import router, state, url
from pages.shared.bounds import PAGE_LIMITS

DTYPES = list(cost.DTYPE_BYTES)


def render() -> None:
    spec = state.current_spec()
    st.title(t("page.cost"))
    c1, c2, c3 = st.columns(3)
    ops = url.bound_widget(c1.segmented_control, t("cost.ops"), "ops", "MAC", one_of(list(cost.OPS_PER_MAC)),
                           options=list(cost.OPS_PER_MAC), format_func=lambda o: t(f"cost.ops_label.{o}"), required=True)
    dtype = url.bound_widget(c2.segmented_control, t("cost.dtype"), "dtype", "fp32", one_of(DTYPES), options=DTYPES,
                             required=True)
    lo, hi = PAGE_LIMITS["batch"]
    batch = url.bound_widget(c3.number_input, t("cost.batch"), "batch", 1, int_in(lo, hi), min_value=lo,
                             max_value=hi, step=1)
    ops, dtype = ops or "MAC", dtype or "fp32"
    count = cost.in_ops(cost.macs(spec), ops)
    m = st.columns(4)
    m[0].metric(t("ledger.params"), f"{cost.params(spec):,}", help=t("cost.params_help"))
    m[1].metric(t("cost.ops_per_sample", ops=ops), f"{count:,}", help=t("cost.ops_help"))
    m[2].metric(t("cost.min_bytes", dtype=dtype, batch=batch), f"{cost.min_bytes(spec, dtype, batch):,}",
                help=t("cost.min_bytes_help"))
    m[3].metric(t("cost.intensity"), f"{cost.intensity(spec, dtype, batch):,.2f}", help=t("cost.intensity_help"))

    st.plotly_chart(group_sweep_figure(spec, ops), key="sweep_chart", config={"displayModeBar": False})

    rows = ledger.rows(spec, dtype, batch)
    # The formulas with this layer's numbers come from the ledger; plain text, not st.latex: KaTeX (like the
    # dataframe grid) is a lazy browser bundle that would delay a deep link's first chart by about a second.
    shown = ["weights", "params", "macs"] + (["flops"] if ops == "FLOP" else [])
    st.markdown("  \n".join(f"**{ledger.label(r, batch)}** = {ledger.formula(r, dtype)} = {r.substituted} = "
                            f"**{number(r.value)}**" for r in rows if r.key in shown))
    st.caption(t("cost.one_over_g", G=spec.G, params=f"{cost.params(spec.dense()):,}",
                 ops_count=f"{cost.in_ops(cost.macs(spec.dense()), ops):,}", ops=ops))

    cols = {c: t(f"ledger.col.{c}") for c in ("quantity", "formula", "value", "unit")}
    cols["substituted"] = t("cost.col_substituted")
    st.markdown(markdown_table([{cols["quantity"]: ledger.label(r, batch), cols["formula"]: ledger.formula(r, dtype),
               cols["substituted"]: r.substituted, cols["value"]: number(r.value), cols["unit"]: ledger.unit(r)}
              for r in ledger.visible(rows, ops)]))
    st.download_button(t("cost.download"), ledger.to_csv(rows, dtype, batch), file_name="gconv-cost.csv",
                       mime="text/csv")


    st.subheader(t("cost.separable"))
    k = "×".join(map(str, spec.kernel_size))
    s = cost.separable(spec)
    std_p, sep_p = s.params
    std_ops, sep_ops = s.ops(ops)
    left, right = st.columns([2, 3])
    left.markdown(t("cost.separable_text", k=k, C=f"{spec.C:,}", N=f"{spec.N:,}"))
    layer, params_col, ops_col = t("cost.layer"), t("ledger.params"), t("cost.ops_col", ops=ops)
    left.markdown(markdown_table([
        {layer: t("kind.standard"), params_col: f"{std_p:,}", ops_col: f"{std_ops:,}"},
        {layer: t("cost.dw_pw"), params_col: f"{sep_p:,}", ops_col: f"{sep_ops:,}"},
    ]))
    left.markdown(t("cost.ratio", ratio=f"{s.ratio:.4f}", N=f"{spec.N:,}", area=spec.kernel_area,
                    closed=f"{cost.separable_ratio(spec.N, spec.kernel_size):.4f}", times=f"{s.times_cheaper:,.1f}"))
    right.plotly_chart(separable_figure(spec, ops), key="separable_chart", config={"displayModeBar": False})


router.page(render)
