"""Hostile input through AppTest: random query strings and widget values on every page; no exception escapes."""
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from apptest import PAGES
from conftest import ROOT
from pages.shared.bounds import LIMITS

pytestmark = pytest.mark.slow  # AppTest runs of random links, widget values and uploads
APP = str(ROOT / "app.py")
KEYS = ["C", "N", "G", "K", "H", "W", "stride", "padding", "dilation", "bias", "n", "layers", "shuffle", "ops",
        "dtype", "batch", "dataset", "region", "width", "map", "epochs", "seed", "epoch", "channel", "device",
        "tdtype", "layout", "tbatch", "direction", "graph", "threads", "runtime", "source", "model", "layer"]
NASTY = ["", " ", "-1", "0", "1e9", "99999999999999999999", "NaN", "inf", "3x", "x3", "7x6", "(1,2)", "true", "no",
         "<script>alert(1)</script>", "../../etc/passwd", "%00", "😀", "1" * 200, "0x10", "2.5", "fp64", "cuda",
         "onnx", "alexnet", "synthetic", "FLOP"]

values = st.one_of(st.sampled_from(NASTY), st.integers(-10**6, 10**6).map(str),
                   st.text(string.printable, max_size=40))
queries = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(string.ascii_letters, min_size=1, max_size=6)),
                          values, max_size=12)


def check(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for msg in list(at.warning) + list(at.error):
        assert msg.value.strip() and "Traceback" not in msg.value


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(page=st.sampled_from(PAGES), query=queries)
def test_random_links_never_crash(page, query):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    if page != "pages/home.py":
        at.switch_page(page)
    at.run()
    check(at)


sizes = {k: st.integers(*LIMITS[k]) for k in ("C", "N", "K", "H", "W", "padding")}


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(page=st.sampled_from(["pages/connectivity.py", "pages/cost.py"]), changes=st.fixed_dictionaries(
    {}, optional={k: st.one_of(st.sampled_from([LIMITS[k][0], LIMITS[k][1]]), v) for k, v in sizes.items()}))
def test_extreme_widget_values_never_crash(page, changes):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["edit"] = "1"  # the sidebar's layer form open
    at.switch_page(page)
    at.run()
    for key, value in changes.items():
        at.number_input(key=f"w_{key}").set_value(value)
        at.run()
        check(at)


def _real_onnx() -> bytes:
    import io
    import warnings

    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, groups=1)).eval(),
                          (torch.zeros(1, 3, 8, 8),), buf, dynamo=False)
    return buf.getvalue()


REAL = _real_onnx()
uploads = st.one_of(st.binary(max_size=4096), st.integers(0, len(REAL)).map(lambda n: REAL[:n]),
                    st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b),
                    st.binary(max_size=64).map(lambda b: REAL[:16] + b + REAL[16:]))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=uploads)
def test_random_uploads_get_a_message(data):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["source"] = "onnx"
    at.switch_page("pages/inspect.py")
    at.run()
    at.get("file_uploader")[0].set_value(("model.onnx", data, "application/octet-stream"))
    at.run()
    check(at)
    if data != REAL:  # anything but the intact file is either read or refused with a message
        assert at.error or at.metric
