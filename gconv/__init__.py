"""gconv: group convolution made visible. Geometry, costs and connectivity need only numpy;
the torch parts (equivalence, ...) load on first use so that `import gconv` stays light."""
import importlib

from .connectivity import input_groups, mask, output_groups, reachability, shuffle_permutation
from .cost import flops, intensity, macs, min_bytes, params
from .parse import parse_spec
from .spec import ConvSpec, Kind, SpecError, valid_groups

# Modules that import torch (or onnx, scikit-*) load on first attribute access: gconv.training, gconv.zoo, ...
_LAZY = {"equivalence", "heads", "datasets", "training", "input_size", "timing", "kernels", "roofline", "inspect",
         "zoo", "onnx_import", "diagnose", "memo", "ledger", "limits", "presets", "plots"}

__all__ = [
    "ConvSpec", "Kind", "SpecError", "valid_groups", "parse_spec",
    "params", "macs", "flops", "min_bytes", "intensity",
    "mask", "input_groups", "output_groups", "reachability", "shuffle_permutation",
    "cost", "connectivity", "spec", *sorted(_LAZY),
]


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gconv' has no attribute {name!r}")
