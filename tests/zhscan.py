"""English on a Chinese page: every text a reader sees (AppTest's elements, a browser's innerText, and the figures'
titles, axes, legends, hover templates), reduced to the Latin words that are not on a short allowlist.

The allowlist holds what a Chinese text on this topic rightly writes in Latin letters: units, op and layer names,
model and paper names, and library names. Anything else in Latin letters is English a Chinese reader would meet.
"""
from __future__ import annotations

import json
import re

# Units, symbols, and names a Chinese text keeps as they are (case-insensitive)
ALLOWED = {
    # units and counts
    "macs", "flops", "flop", "params", "gflops", "mflops", "tflops", "gmacs", "mmacs", "kib", "mib", "gib", "mb",
    "gb", "kb", "ms", "µs", "us", "ns", "byte", "bytes", "dtype", "fp", "bf", "float", "int", "tf", "ghz",
    # op, layer and math names
    "conv", "gdc", "gap", "relu", "bn", "fc", "gemm", "matmul", "onnx", "cudnn", "mkldnn", "onednn", "avx", "simd",
    "roofline", "argmax", "softmax", "sgd", "adam", "mac", "arm", "reshape", "transpose", "range",
    "constantofshape", "depthwiseconv2d", "winograd", "dram", "gflop", "sum",
    # hardware and libraries
    "cpu", "gpu", "cuda", "torch", "pytorch", "numpy", "streamlit", "plotly", "haproxy", "nvidia", "intel", "amd",
    "graph", "tensor", "threads", "compile", "eager", "tensorrt", "fma", "pid",
    "processor", "xeon", "epyc", "ryzen", "core", "geforce", "rtx", "tesla", "apple",  # a device's own name
    # models, datasets, papers
    "shufflenet", "mobilenet", "mobilenetv", "mobilefacenet", "resnext", "resnet", "alexnet", "xception",
    "efficientnet", "squeezenet", "densenet", "googlenet", "inception", "vgg", "caffe", "imagenet", "lfw",
    "squeeze", "excitation", "condensenet", "ghostnet", "regnet", "convnext", "mnist", "cifar", "digits",
    "gconv", "zoo", "batchnorm", "eccv", "cvpr", "iccv", "arxiv", "gtx", "snapdragon", "nchw", "nhwc",
    "channels_last", "english", "mobilenets", "keras", "torchvision", "timm", "jupyter", "skimage", "sklearn",
    # file formats and tools
    "csv", "json", "zip", "gzip", "html", "pdf", "python", "pickle", "protobuf", "opset", "pip", "png", "qr",
    # values a reader types or picks as they are
    "true", "false", "auto", "meta", "face", "aligned", "group",  # group: the ONNX attribute's name
}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")
# Plotly keys whose strings are settings, not texts a reader sees
SETTINGS = {"type", "mode", "xaxis", "yaxis", "hoverinfo", "textposition", "family", "color", "bgcolor",
            "bordercolor", "fillcolor", "symbol", "colorscale", "template", "anchor", "xref", "yref", "overlaying",
            "side", "showarrow", "orientation", "barmode", "hovermode", "dragmode", "uid", "meta", "align", "valign",
            "xanchor", "yanchor", "ticks", "tickmode", "layer", "sizemode", "autorange", "constrain", "scaleanchor",
            "matches", "categoryorder", "legendgroup", "ticksuffix", "tickformat", "hoverformat", "dash", "shape",
            "fill", "textinfo", "hoveron", "position", "exponentformat", "tickprefix", "direction", "method",
            "customdata", "ids", "coloraxis", "scene", "aspectmode", "projection", "ysrc", "xsrc", "zsrc",
            "valueformat", "texttemplatefallback", "hovertemplatefallback", "yanchor", "automargin", "entrywidth",
            "entrywidthmode", "itemsizing", "traceorder", "groupclick", "sizeref", "spikemode", "rangemode",
            "tracegroupgap", "cliponaxis", "constraintext", "insidetextanchor", "tickson", "boxpoints", "showscale",
            "font_family", "grid", "domain", "flatshading", "lighting", "i", "j", "k", "x", "y", "z", "xgap", "ygap",
            "zeroline", "showgrid", "clickmode", "offsetgroup", "alignmentgroup", "uirevision", "visible", "showlegend", "connectgaps", "line_shape", "marker_symbol"}
# Plotly keys whose values are data unless they are categories: scanned (category labels are text a reader sees)
DATA = {"x", "y", "z", "i", "j", "k"}


def _plain(text: str) -> str:
    """A text as read, less what is not prose: plotly's %{…} fields, HTML tags and entities, links, {named} fields,
    icons, and code (`spans`, calls, dotted or snake_case names, name=value, file names, paths)."""
    code = (r"<style>.*?</style>|%\{[^}]*\}|<[^>]+>|&[a-z]+;|https?://\S+|\{[a-z_]+\}|:material/\w+:|`[^`]*`"
            r"|\?[\w.-]+=[\w.&=+%-]*|\b\w+::\w+"  # a query string, a backend op (aten::mean)
            r"|\b[\w.]+\([^()]*\)"  # a call
            r"|\b\w+(?:[._]\w+)+\b|\.\w+\b"  # a dotted or snake_case name, a file's extension
            r"|\b\w+=\S+|\b\w+\[|\S+/\S+|pip install \S+")  # name=value, an index, a path, a command
    return re.sub(code, " ", text, flags=re.S)


def english(text: str) -> list[str]:
    """The Latin words in text that a Chinese reader should not meet."""
    return [w for w in LATIN.findall(_plain(text)) if re.sub(r"(?:v\d+|\d+)$", "", w.lower()) not in ALLOWED
            and not re.fullmatch(r"[A-Z]{2,5}|(?i:[a-z]{1,2}|conv|fc|tf|fp|bf|int)\d\w*", w)]  # KMRT, v2, conv4, TF32


def figure_texts(figure: dict) -> list[str]:
    """Every string of a plotly figure a reader sees (its layout template left out)."""
    out: list[str] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            if "bdata" in value:  # a typed numeric array
                return
            for k, v in value.items():
                if k in SETTINGS and k not in DATA:
                    continue
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and not re.fullmatch(r"#[0-9a-fA-F]{3,8}|rgba?\([^)]*\)|[\d.eE+-]+", value):
            out.append(value)

    walk({k: v for k, v in figure.items() if k != "layout"})
    walk({k: v for k, v in figure.get("layout", {}).items() if k != "template"})
    return out


def apptest_texts(at) -> list[str]:
    """Every text an AppTest run shows: elements' protos (labels, bodies, options, help), tables, figures."""
    from google.protobuf.json_format import MessageToDict

    skip = {"id", "formId", "key", "type", "url", "src", "spec", "data", "arrowData", "theme", "dataframeSchema",
            "icon", "pageScriptHash", "pagePath", "urlPathname", "color", "format", "hashedDataframe", "useContainerWidth",
            "columns", "editingMode", "selectionMode", "width", "height", "ids", "config", "styles", "element", "image",
            "placeholder", "name", "shortcut", "page", "cssClass", "imgs", "mimetype", "family", "imageList"}
    out: list[str] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in skip:
                    walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and not re.fullmatch(r"[A-Z_]+|[\w.+-]+=[\w.&=+-]*|event\+select", value):
            out.append(value)  # an enum's name, a query string, a selection mode are settings

    for node in _elements(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(proto).__name__
        if kind == "PlotlyChart":
            out += figure_texts(json.loads(proto.spec))
            continue
        if kind == "Code":  # a program (the timing's script) is read as code
            continue
        if kind in ("Arrow", "Table", "ArrowTable", "DataFrame"):  # a table: its header, index and text cells
            frame = node.value
            out += [str(c) for c in frame.columns] + [str(i) for i in frame.index if isinstance(i, str)]
            out += [v for col in frame.columns for v in frame[col].tolist() if isinstance(v, str)]
            continue
        walk(MessageToDict(proto))
    return out


def _elements(node):
    """Every element and labelled container under node."""
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _elements(child)
