"""A torch model named on the command line: torchvision:NAME, timm:NAME, or path/to/file.py:factory (which runs the
user's own code: it is their file, on their machine)."""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from ..errors import GConvError
from ..i18n import say
from ..text import outside


def build_named(text: str):
    """The model text names, in eval mode; GConvError with what would be valid when it cannot be built."""
    source, _, name = text.rpartition(":")
    if source in ("torchvision", "timm"):
        try:
            package = importlib.import_module("torchvision.models" if source == "torchvision" else "timm")
        except ImportError:
            raise GConvError(say("err.named_missing", package=source)) from None
        names = package.list_models()
        if name not in names:
            close = [n for n in names if name.lower() in n.lower()][:8] or names[:8]
            raise GConvError(say("err.named_model", package=source, name=outside(name, quote=True),
                                 count=len(names), some=", ".join(close)))
        model = package.get_model(name) if source == "torchvision" else package.create_model(name)
        return model.eval()
    path = Path(source)
    if not source.endswith(".py") or not path.is_file():
        raise GConvError(say("err.named_file", file=outside(source, quote=True)))
    spec = importlib.util.spec_from_file_location(f"gconv_user_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # the user's own code, named by them
    except Exception as e:  # noqa: BLE001 - their file failing to import is their message to read, not our bug
        raise GConvError(say("err.named_import", file=outside(path.name), why=outside(f"{type(e).__name__}: {e}", 300))) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        found = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")][:8]
        raise GConvError(say("err.named_factory", file=outside(path.name), name=outside(name, quote=True),
                             some=outside(", ".join(found) or "-")))
    try:
        model = factory()
    except Exception as e:  # noqa: BLE001 - as above: their factory's error, said as theirs
        raise GConvError(say("err.named_call", file=outside(path.name), name=outside(name),
                             why=outside(f"{type(e).__name__}: {e}", 300))) from None
    if not hasattr(model, "named_modules"):
        raise GConvError(say("err.named_not_module", file=outside(path.name), name=outside(name),
                             got=type(model).__name__))
    return model.eval()
