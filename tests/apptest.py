"""Helpers for driving the app through Streamlit's AppTest: deep-link runs, figure JSON, metrics, oracles."""
import base64
import json

import numpy as np
import torch.nn as nn
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from gconv import ConvSpec
from pages.shared.router import PAGES as ROUTED

APP = str(ROOT / "app.py")
PAGES = [file for file, _, _ in ROUTED]  # every page, in the app's order (the router's list is the one list)
# The pages that draw the sidebar's layer (the lesson sets its own per step; the inspector reads a network)
LAYER_PAGES = [p for p in PAGES if p not in ("pages/lesson.py", "pages/inspect.py")]


def run_app(page: str = "pages/home.py", **params) -> AppTest:
    """A fresh session whose first run is page with these query params (a deep link).

    Before the first run AppTest names a page by its file name, which is each page's url_path here.
    """
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({k: str(v) for k, v in params.items()})
    if page != "pages/home.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, key_start: str) -> dict:
    """The figure of the chart whose widget key starts with key_start (the page's order may change)."""
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if (c.key or "").startswith(key_start))


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or plotly's typed-array form {dtype, bdata (base64), shape}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = [int(s) for s in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value)


def torch_params(spec: ConvSpec) -> int:
    """Oracle: nn.Conv2d's own parameter count."""
    layer = nn.Conv2d(spec.C, spec.N, spec.K, groups=spec.G, bias=spec.bias, device="meta")
    return sum(p.numel() for p in layer.parameters())


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def shown(source: str) -> str:
    """What a reader sees of a Markdown source: backslash escapes (gconv.text.markdown's, on outside text) undone,
    and the invisible word joiners that keep bare addresses from autolinking left out."""
    import re
    import string

    from gconv.text import WORD_JOINER

    return re.sub("\\\\([" + re.escape(string.punctuation) + "])", r"\1", source).replace(WORD_JOINER, "")
