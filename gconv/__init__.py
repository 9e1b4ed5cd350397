"""gconv: group convolution made visible. The core (geometry, costs, connectivity, the cost ledger, presets)
needs only numpy; equivalence (torch), the figures (plotly) and the three labs load on first use.

>>> import gconv
>>> s = gconv.ConvSpec(C=64, N=128, G=4, K=3, H=56, W=56, padding=1)
>>> s.weight_shape, gconv.params(s), gconv.cost.dense_ratio(s)
((128, 16, 3, 3), 18432, 0.25)
"""
from . import connectivity, cost, fmt, ledger, parse, presets, spec
from .connectivity import input_groups, mask, output_groups, reachability, shuffle_permutation
from .cost import flops, in_ops, intensity, kernel_sparsity, macs, min_bytes, params
from .errors import BudgetError, GConvError, ONNXError, SpecError
from .lazy import lazy_getattr
from .parse import parse_spec
from .spec import ConvSpec, Kind, valid_groups

# Subpackages and modules that import torch, onnx or plotly load on first attribute access.
_LAZY = {"equivalence", "plots", "cli", "gdc", "timing", "inspector"}

__all__ = [
    "ConvSpec", "Kind", "valid_groups", "parse_spec",
    "GConvError", "SpecError", "ONNXError", "BudgetError",
    "params", "macs", "flops", "in_ops", "min_bytes", "intensity", "kernel_sparsity",
    "mask", "input_groups", "output_groups", "reachability", "shuffle_permutation",
    "connectivity", "cost", "fmt", "ledger", "parse", "presets", "spec", *sorted(_LAZY),
]

_NAMES = {"summary": "inspector.summary"}  # gconv.summary(model, input_size=...): loads torch on first use
__all__ += ["summary"]
__getattr__ = lazy_getattr(__name__, _LAZY, _NAMES)
