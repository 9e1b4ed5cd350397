"""Model inspector: reference networks and uploaded ONNX files, layer by layer, with a way into the layer views."""
import hashlib

import streamlit as st

from pages.shared import router, ui
from pages.shared.memo import shared_memo


def load_report():
    """The report to show: a zoo model (URL-bound) or an uploaded ONNX file; None with a message if unusable."""
    from gconv import GConvError
    from gconv.inspector import zoo
    from gconv.inspector.hooks import inspect_zoo
    from gconv.inspector.onnx_reader import MAX_BYTES, read_onnx

    sources = ["zoo", "onnx"]
    source = ui.bound_widget(st.segmented_control, "source", "source", "zoo", ui.one_of(sources), options=sources,
                             format_func={"zoo": "reference network", "onnx": "upload ONNX"}.get, required=True)
    if source != "onnx":
        name = ui.bound_widget(st.selectbox, "network", "model", "mobilenet_v1", ui.one_of(zoo.NAMES),
                               options=list(zoo.NAMES), format_func=zoo.TITLES.get)
        return shared_memo("inspect-zoo").get_or_compute(name, lambda: inspect_zoo(name))
    upload = st.file_uploader("ONNX file (weights inside the file; never unpickled or executed)", type=["onnx"],
                              key="onnx_upload")
    if upload is None:
        st.info("Export a model with `torch.onnx.export(model, dummy_input, 'model.onnx')` and upload it here.")
        return None
    if upload.size > MAX_BYTES:
        st.error(f"{upload.name} is {upload.size / 2**20:,.1f} MiB; the limit is {MAX_BYTES // 2**20} MiB.")
        return None
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        return shared_memo("inspect-onnx").get_or_compute(digest, lambda: read_onnx(data, upload.name))
    except GConvError as e:
        st.error(f"{upload.name}: {e}", icon=":material/block:")
        return None


def table(report, selected: int):
    rows = []
    for i, layer in enumerate(report.layers):
        rows.append({"#": i, "layer": layer.name, "kind": layer.kind.value, "C": layer.C, "N": layer.N, "G": layer.G,
                     "kernel": f"{layer.kernel[0]}×{layer.kernel[1]}", "stride": f"{layer.stride[0]}×{layer.stride[1]}",
                     "padding": f"{layer.padding[0]}×{layer.padding[1]}",
                     "in": f"{layer.in_hw[0]}×{layer.in_hw[1]}", "out": f"{layer.out_hw[0]}×{layer.out_hw[1]}",
                     "params": layer.params, "MACs": layer.macs})
    biggest_p = max(r["params"] for r in rows) or 1
    biggest_m = max(r["MACs"] for r in rows) or 1
    return st.dataframe(
        rows, hide_index=True, key="layer_table", on_select="rerun", selection_mode="single-row", height=420,
        column_config={
            "params": st.column_config.ProgressColumn("params", format="localized", min_value=0, max_value=biggest_p),
            "MACs": st.column_config.ProgressColumn("MACs", format="localized", min_value=0, max_value=biggest_m),
        })


def render() -> None:
    from gconv.inspector.diagnose import diagnose
    from gconv.inspector.plots import by_kind_figure, layers_figure
    from gconv.parse import to_text

    st.title("Model inspector")
    st.markdown("Every conv and linear layer of a network as it runs (forward hooks on a dummy input, or the "
                "graph of an ONNX file): what is grouped, where the parameters and MACs go, and which layer to "
                "look at. Pick a layer to open it in the connectivity and cost views.")
    report = load_report()
    if report is None:
        return
    m = st.columns(4)
    m[0].metric("parameters", f"{report.total_params:,}", help="numel of every parameter (torch's count); for ONNX, "
                                                               "every stored tensor")
    m[1].metric("MACs per sample", f"{report.total_macs:,}", help="conv and linear layers; FLOPs = 2·MACs")
    m[2].metric("conv + linear layers", f"{len(report.layers):,}")
    m[3].metric("input", f"{report.input_size[0]}×{report.input_size[1]}")
    st.plotly_chart(by_kind_figure(report), key="kind_chart", config={"displayModeBar": False})

    n = len(report.layers)
    selected = ui.bound_widget(st.selectbox, "layer to open", "layer", 0, ui.int_in(0, 100_000),
                               fit=lambda v: min(v, n - 1), options=list(range(n)),
                               format_func=lambda i: f"#{i} {report.layers[i].name} ({report.layers[i].kind.value}, "
                                                     f"G={report.layers[i].G})")
    event = table(report, selected)
    picked = (event.selection.rows if event is not None and hasattr(event, "selection") else [])
    if picked and picked[0] != selected:
        ui.set_page_value("layer", picked[0])
        st.rerun()
    layer = report.layers[selected]
    spec = layer.spec
    left, mid, right = st.columns([2, 1, 1], vertical_alignment="center")
    left.markdown(f"**#{selected} {layer.name}**: `{spec.torch_repr()}` on a {spec.H}×{spec.W} map"
                  + (" (a linear layer is a 1×1 conv over its rows)" if layer.op == "linear" else ""))
    query = to_text(spec)
    mid.page_link("pages/connectivity.py", label="Open in Connectivity", icon=":material/hub:", query_params=query)
    right.page_link("pages/cost.py", label="Open in Cost", icon=":material/calculate:", query_params=query)
    st.plotly_chart(layers_figure(report, selected), key="layers_chart", config={"displayModeBar": False})

    st.subheader("Diagnostics")
    findings = diagnose(report)
    if not findings:
        st.markdown("Nothing to flag.")
    icons = {"no-shuffle": ":material/lock:", "fixed-input": ":material/straighten:", "groups": ":material/balance:"}
    for f in findings:
        st.markdown(f"{icons[f.topic]} {f.message}")


router.page(render)
