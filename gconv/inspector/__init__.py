"""The model inspector: a network's conv and linear layers as a report, from a running torch model or an ONNX
graph, with diagnostics of its grouping, reference networks (zoo/) and figures.

report.py needs only numpy; hooks.py and zoo/ load torch, onnx_reader.py loads onnx, when first used.
"""
from ..lazy import lazy_getattr
from .report import Layer, Report, conv_layer, linear_layer

_LAZY = {"hooks", "onnx_reader", "diagnose", "zoo", "plots"}
_NAMES = {"inspect_model": "hooks", "inspect_zoo": "hooks", "read_onnx": "onnx_reader"}
__all__ = ["Layer", "Report", "conv_layer", "linear_layer", *sorted(_LAZY), *sorted(_NAMES)]
__getattr__ = lazy_getattr(__name__, _LAZY, _NAMES)
