"""Cost: params, MACs or FLOPs, bytes and intensity of the layer, with the formulas and every valid G."""
import streamlit as st

from gconv import cost, ledger
from gconv.fmt import number
from gconv.plots.cost import group_sweep_figure, separable_figure
from pages.shared import router, ui

DTYPES = ["fp32", "fp16", "bf16", "fp64", "int8"]


def render() -> None:
    spec = ui.current_spec()
    st.title("Cost")
    c1, c2, c3 = st.columns(3)
    ops = ui.bound_widget(c1.segmented_control, "count operations as", "ops", "MAC", ui.one_of(list(cost.OPS_PER_MAC)),
                          options=list(cost.OPS_PER_MAC), format_func=cost.OPS_LABELS.get, required=True)
    dtype = ui.bound_widget(c2.segmented_control, "dtype", "dtype", "fp32", ui.one_of(DTYPES), options=DTYPES,
                            required=True)
    batch = ui.bound_widget(c3.number_input, "batch size", "batch", 1, ui.int_in(1, 4096), min_value=1,
                            max_value=4096, step=1)
    ops, dtype = ops or "MAC", dtype or "fp32"
    count = cost.in_ops(cost.macs(spec), ops)
    m = st.columns(4)
    m[0].metric("params", f"{cost.params(spec):,}", help="weights + bias; no BatchNorm")
    m[1].metric(f"{ops}s per sample", f"{count:,}", help="FLOPs = 2·MACs; bias adds not counted")
    m[2].metric(f"minimum bytes moved ({dtype}, batch {batch})", f"{cost.min_bytes(spec, dtype, batch):,}",
                help="input + weights + output, each read or written once")
    m[3].metric("arithmetic intensity (FLOP/byte)", f"{cost.intensity(spec, dtype, batch):,.2f}",
                help="batch·FLOPs over minimum bytes: the roofline's x axis")

    st.plotly_chart(group_sweep_figure(spec, ops), key="sweep_chart", config={"displayModeBar": False})

    rows = ledger.rows(spec, dtype, batch)
    # The formulas with this layer's numbers come from the ledger; plain text, not st.latex: KaTeX (like the
    # dataframe grid) is a lazy browser bundle that would delay a deep link's first chart by about a second.
    shown = ["weights", "params", "MACs per sample"] + (["FLOPs per sample"] if ops == "FLOP" else [])
    st.markdown("  \n".join(f"**{r.quantity}** = {r.formula} = {r.substituted} = **{number(r.value)}**"
                            for r in rows if r.quantity in shown))
    st.caption(f"That is 1/G = 1/{spec.G} of the dense layer (G = 1): {cost.params(spec.dense()):,} params, "
               f"{cost.in_ops(cost.macs(spec.dense()), ops):,} {ops}s.")

    ui.table([{"quantity": r.quantity, "formula": r.formula, "with this layer's numbers": r.substituted,
               "value": number(r.value), "unit": r.unit} for r in ledger.visible(rows, ops)])
    st.download_button("Download the table (CSV)", ledger.to_csv(rows), file_name="gconv-cost.csv",
                       mime="text/csv")


    st.subheader("Depthwise separable vs standard")
    k = "×".join(map(str, spec.kernel_size))
    s = cost.separable(spec)
    std_p, sep_p = s.params
    std_ops, sep_ops = s.ops(ops)
    left, right = st.columns([2, 3])
    left.markdown(
        f"A standard {k} conv {spec.C:,}→{spec.N:,} against a {k} depthwise conv ({spec.C:,} kernels "
        f"of 1×{k}) followed by a 1×1 pointwise conv {spec.C:,}→{spec.N:,}.")
    ui.table([
        {"layer": "standard", "params": f"{std_p:,}", f"{ops}s": f"{std_ops:,}"},
        {"layer": "depthwise + pointwise", "params": f"{sep_p:,}", f"{ops}s": f"{sep_ops:,}"},
    ], left)
    left.markdown(f"Ratio **{s.ratio:.4f}** = 1/N + 1/(Kh·Kw) = 1/{spec.N:,} + 1/{spec.kernel_area} "
                  f"= {cost.separable_ratio(spec.N, spec.kernel_size):.4f}, about {s.times_cheaper:,.1f}× cheaper.")
    right.plotly_chart(separable_figure(spec, ops), key="separable_chart", config={"displayModeBar": False})


router.page(render)
