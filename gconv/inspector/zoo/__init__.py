"""Reference architectures with random weights (nothing downloaded): build(name) -> nn.Module.

>>> build("mobilenet_v1").__class__.__name__, INPUT_SIZES["mobilefacenet"]
('Sequential', (112, 112))
"""
from __future__ import annotations

from collections.abc import Callable

import torch.nn as nn

from ...errors import GConvError
from .alexnet import alexnet
from .mobilefacenet import mobilefacenet
from .mobilenet import mobilenet_v1, mobilenet_v2
from .resnext import resnext50_32x4d
from .shufflenet import shufflenet_v2
from .xception import xception
from ...i18n import say, t
from ...text import outside

BUILDERS: dict[str, Callable[[], nn.Module]] = {
    "alexnet": alexnet, "mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2,
    "shufflenet_v2": shufflenet_v2, "resnext50_32x4d": resnext50_32x4d, "xception": xception,
    "mobilefacenet": mobilefacenet,
}
NAMES = tuple(BUILDERS)
INPUT_SIZES = {"alexnet": (227, 227), "mobilenet_v1": (224, 224), "mobilenet_v2": (224, 224),
               "shufflenet_v2": (224, 224), "resnext50_32x4d": (224, 224), "xception": (299, 299),
               "mobilefacenet": (112, 112)}


def title(name: str) -> str:
    """A reference network's name as a reader sees it, in this run's language (zoo.title.<name>)."""
    return t(f"zoo.title.{name}")


def build(name: str) -> nn.Module:
    """A fresh model by name, in eval mode, with random weights."""
    if name not in BUILDERS:
        raise GConvError(say("err.model", name=outside(name, 32, quote=True), valid=", ".join(NAMES)))
    return BUILDERS[name]().eval()
