"""The GDC vs GAP lab: pooling heads, offline datasets, side-by-side training, the input-size demo, figures.

`train(GDCConfig())` trains both heads on the synthetic centre task in seconds on a CPU. The datasets'
names and sizes need only numpy; heads, training and the demo load torch when first used.
"""
from ..lazy import lazy_getattr
from .datasets import DATASETS, Dataset, build, default_map_size, map_sizes

_LAZY = {"heads", "training", "input_size", "plots"}
_NAMES = {"Classifier": "heads", "GAPHead": "heads", "GDCHead": "heads", "GDCConfig": "training",
          "GDCResult": "training", "train": "training"}
__all__ = ["DATASETS", "Dataset", "build", "default_map_size", "map_sizes", *sorted(_LAZY), *sorted(_NAMES)]
__getattr__ = lazy_getattr(__name__, _LAZY, _NAMES)
