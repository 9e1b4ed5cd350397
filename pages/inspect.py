"""Model inspector: reference networks and uploaded ONNX files, layer by layer, with a way into the layer views."""
import hashlib
import json
import tempfile
from pathlib import Path

import streamlit as st

from gconv import i18n
from gconv.i18n import t
from gconv.text import csv_cell, markdown, outside
from gconv.parse import int_in, one_of
from pages.shared import router, url
from pages.shared.bounds import PAGE_LIMITS
from pages.shared.memo import shared_memo


def load_summary():
    """The network as gconv.summary's Summary (the one pipeline the CLI and a notebook use: report, flow, findings)
    and a callable giving the reach between two of its rows: a zoo model (URL-bound) or an uploaded ONNX file;
    (None, None) with a message if unusable."""
    from gconv import GConvError
    from gconv.inspector import zoo
    from gconv.inspector.bounded import WEB, reader
    from gconv.inspector.summary import of_zoo

    sources = ["zoo", "onnx"]
    source = url.bound_widget(st.segmented_control, t("inspect.source"), "source", "zoo", one_of(sources),
                              options=sources, format_func=lambda s: t(f"inspect.source.{s}"), required=True)
    if source != "onnx":
        name = url.bound_widget(st.selectbox, t("inspect.network"), "model", "mobilenet_v1", one_of(zoo.NAMES),
                                options=list(zoo.NAMES), format_func=zoo.title)
        summary = shared_memo("inspect-zoo").get_or_compute(name, lambda: of_zoo(name))
        names = [layer.name for layer in summary.report.layers]
        return summary, lambda a, b: summary.reach(names[a], names[b])
    upload = st.file_uploader(t("inspect.upload"), type=["onnx"], key="onnx_upload")
    uploader_in_language()
    reader(WEB).warm()  # the reader process starts while the student picks a file
    if upload is None:
        st.info(t("inspect.export"))
        return None, None
    if upload.size > WEB.max_bytes:
        st.error(markdown(t("inspect.too_big", name=outside(upload.name), size=f"{upload.size / 2**20:,.1f}",
                   limit=WEB.max_bytes // 2**20)))
        return None, None
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    try:
        summary = shared_memo("inspect-onnx").get_or_compute(digest, lambda: read_upload(data, upload.name))
    except GConvError as e:
        st.error(markdown(t("inspect.failed", name=outside(upload.name), error=e)), icon=":material/block:")
        return None, None

    def upload_reach(a: int, b: int):
        return shared_memo("inspect-onnx-reach").get_or_compute(
            (digest, a, b), lambda: read_upload(data, upload.name, reach=(a, b)))
    return summary, upload_reach


def read_upload(data: bytes, name: str, reach: tuple[int, int] | None = None):
    """The Summary of an uploaded file (or with reach=(a, b), that pair's reach matrix), read by the bounded reader
    process (never here: onnx's own shape inference can allocate without limit); a student behind another upload
    is told they wait."""
    from gconv.inspector.bounded import WEB, reader
    from gconv.inspector.summary import of_reader

    note = st.empty()
    with tempfile.TemporaryDirectory(prefix="gconv-upload-") as folder:
        path = Path(folder) / "upload.onnx"
        path.write_bytes(data)
        try:
            result = reader(WEB).read(str(path), name, reach=reach, on_wait=lambda ahead: note.info(
                t("inspect.reader_wait", ahead=ahead + 1), icon=":material/hourglass_top:"))
            return result if reach is not None else of_reader(*result)
        finally:
            note.empty()


def channel_flow(summary, selected: int) -> None:
    """The channel-flow section: its figure, whose points open their layer in Connectivity."""
    from gconv.inspector.plots import flow_figure

    st.subheader(t("inspect.flow"))
    report, flow = summary.report, summary.flow
    if flow is None:
        st.warning(markdown(t("inspect.flow_failed", error=summary.flow_error)), icon=":material/warning:")
        return
    if not flow.rows:
        st.markdown(t("inspect.flow_none"))
        return
    st.markdown(t("inspect.flow_intro"))
    event = st.plotly_chart(flow_figure(flow, selected), key="flow_chart", on_select="rerun",
                            selection_mode="points", config={"displayModeBar": False})
    points = event.selection.points if event is not None and hasattr(event, "selection") else []
    rows = [p["customdata"][-1] for p in points if p.get("customdata")]
    if rows and 0 <= rows[0] < len(report.layers):
        st.switch_page("pages/connectivity.py", query_params=url.link_params(report.layers[rows[0]].spec))
    if flow.assumed:
        st.caption(markdown(t("inspect.flow_assumed", ops=outside(", ".join(flow.assumed), limit=400))))


def reach_section(report, get_reach, selected: int) -> None:
    """Which input channels of one layer each output channel of another can depend on, as a heatmap."""
    from gconv import GConvError
    from gconv.inspector.plots import reach_figure

    st.subheader(t("inspect.reach"))
    st.markdown(t("inspect.reach_intro"))
    n = len(report.layers)
    label = lambda i: f"#{i} {outside(report.layers[i].name)}"  # noqa: E731
    left, right = st.columns(2)
    a = url.bound_widget(left.selectbox, t("inspect.reach_from"), "reach_from", 0, int_in(*PAGE_LIMITS["reach_from"]),
                         fit=lambda v: min(v, n - 1), options=list(range(n)), format_func=label)
    b = url.bound_widget(right.selectbox, t("inspect.reach_to"), "reach_to", selected, int_in(*PAGE_LIMITS["reach_to"]),
                         fit=lambda v: min(v, n - 1), options=list(range(n)), format_func=label)
    if a > b:
        st.info(t("inspect.reach_order"))
        return
    try:
        matrix = get_reach(a, b)
    except GConvError as e:
        st.warning(markdown(t("inspect.flow_failed", error=e)), icon=":material/warning:")
        return
    st.plotly_chart(reach_figure(matrix, report.layers[a].name, report.layers[b].name), key="reach_chart",
                    config={"displayModeBar": False})


def table(report, selected: int):
    h = {k: t(f"inspect.col.{k}") for k in ("layer", "kind", "kernel", "stride", "padding", "in", "out")}
    params, macs = t("ledger.params"), "MACs"
    rows = []
    for i, layer in enumerate(report.layers):
        rows.append({"#": i, h["layer"]: csv_cell(outside(layer.name)),  # the table offers a CSV download h["kind"]: t(f"kind_short.{layer.kind.value}"), "C": layer.C,
                     "N": layer.N, "G": layer.G, h["kernel"]: f"{layer.kernel[0]}×{layer.kernel[1]}",
                     h["stride"]: f"{layer.stride[0]}×{layer.stride[1]}",
                     h["padding"]: f"{layer.padding[0]}×{layer.padding[1]}",
                     h["in"]: f"{layer.in_hw[0]}×{layer.in_hw[1]}", h["out"]: f"{layer.out_hw[0]}×{layer.out_hw[1]}",
                     params: layer.params, macs: layer.macs})
    biggest_p = max(r[params] for r in rows) or 1
    biggest_m = max(r[macs] for r in rows) or 1
    return st.dataframe(
        rows, hide_index=True, key="layer_table", on_select="rerun", selection_mode="single-row", height=420,
        column_config={
            params: st.column_config.ProgressColumn(params, format="localized", min_value=0, max_value=biggest_p),
            macs: st.column_config.ProgressColumn(macs, format="localized", min_value=0, max_value=biggest_m),
        })


def uploader_in_language() -> None:
    """Streamlit's uploader writes its button and its limit in English only: outside English, both are hidden and
    drawn again from the language file (hidden text is not read out either)."""
    if i18n.current() == i18n.DEFAULT:
        return
    button = json.dumps(t("inspect.upload_button"), ensure_ascii=False)
    limit = json.dumps(t("inspect.upload_limit", mb=st.get_option("server.maxUploadSize")), ensure_ascii=False)
    drop = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{drop} button [data-testid="stMarkdownContainer"] p, {drop} [data-testid="stFileUploaderDropzoneInstructions"] span
  {{visibility: hidden; position: relative; white-space: nowrap}}
{drop} button [data-testid="stMarkdownContainer"] p::after {{content: {button}; visibility: visible; position: absolute;
  left: 0}}
{drop} [data-testid="stFileUploaderDropzoneInstructions"] span {{display: inline-block; min-width: 16em}}
{drop} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{content: {limit}; visibility: visible;
  position: absolute; left: 0}}
</style>""")


def render() -> None:
    from gconv.inspector.plots import by_kind_figure, layers_figure

    st.title(t("page.inspect"))
    st.markdown(t("inspect.intro"))
    summary, get_reach = load_summary()
    if summary is None:
        return
    report = summary.report
    m = st.columns(4)
    m[0].metric(t("inspect.params"), f"{report.total_params:,}", help=t("inspect.params_help"))
    m[1].metric(t("ledger.macs"), f"{report.total_macs:,}", help=t("inspect.macs_help"))
    m[2].metric(t("inspect.layers"), f"{len(report.layers):,}")
    m[3].metric(t("fig.input"), f"{report.input_size[0]}×{report.input_size[1]}")
    if report.skipped:
        st.caption(markdown(t("inspect.skipped", names=outside(", ".join(report.skipped), limit=400))))
    st.plotly_chart(by_kind_figure(report), key="kind_chart", config={"displayModeBar": False})

    n = len(report.layers)
    selected = url.bound_widget(st.selectbox, t("inspect.layer"), "layer", 0, int_in(*PAGE_LIMITS["layer"]),
                                fit=lambda v: min(v, n - 1), options=list(range(n)),
                                format_func=lambda i: f"#{i} {outside(report.layers[i].name)} ("
                                f"{t(f'kind_short.{report.layers[i].kind.value}')}, G={report.layers[i].G})")
    event = table(report, selected)
    picked = (event.selection.rows if event is not None and hasattr(event, "selection") else [])
    if picked and picked[0] != selected:
        url.set_page_value("layer", picked[0])
        st.rerun()
    layer = report.layers[selected]
    spec = layer.spec
    left, mid, right = st.columns([2, 1, 1], vertical_alignment="center")
    note = t("inspect.linear_note") if layer.op == "linear" else ""
    line = t("inspect.layer_line", i=selected, name=outside(layer.name), code=spec.torch_repr(), H=spec.H, W=spec.W)
    left.markdown(markdown(line) + note)
    query = url.link_params(spec)
    mid.page_link("pages/connectivity.py", label=t("inspect.open_conn"), icon=":material/hub:", query_params=query)
    right.page_link("pages/cost.py", label=t("inspect.open_cost"), icon=":material/calculate:", query_params=query)
    st.plotly_chart(layers_figure(report, selected), key="layers_chart", config={"displayModeBar": False})

    channel_flow(summary, selected)
    reach_section(report, get_reach, selected)
    st.subheader(t("inspect.diagnostics"))
    findings = summary.findings
    icons = {"no-shuffle": ":material/lock:", "fixed-input": ":material/straighten:", "groups": ":material/balance:",
             "healthy": ":material/check_circle:"}
    for f in findings:
        st.markdown(f"{icons[f.topic]} {markdown(f.said)}")


router.page(render)
