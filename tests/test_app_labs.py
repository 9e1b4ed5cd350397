"""The labs through AppTest: the GDC vs GAP lab, the Timings page (worker, device lock, replication), the model
inspector, and errors that are bugs surfacing as bugs."""
import json

import numpy as np
import pytest

from apptest import array, chart, charts, metric, run_app, shown
from conftest import ROOT
from gconv import ConvSpec, valid_groups

EN = json.loads((ROOT / "assets" / "en.json").read_text(encoding="utf-8"))


def test_gdc_lab_short_training():
    at = run_app("pages/gdc.py", dataset="synthetic", epochs=1, width=8, map=6, seed=3)
    assert any("Train both heads" in i.value for i in at.info)
    at.button(key="gdc_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "GDC test accuracy").endswith("%") and metric(at, "GAP test accuracy").endswith("%")
    curves, maps, samples = charts(at)
    assert [t["name"] for t in curves["data"][:2]] == ["GDC test", "GDC train"]
    heatmaps = [t for t in maps["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 4 and array(heatmaps[2]["z"]).max() == pytest.approx(1 / 36)  # GAP: 1/(M·M)
    assert maps["layout"]["coloraxis"]["cmid"] == 0  # one shared scale
    assert any("does not run" in m.value and "| approach |" in m.value for m in at.markdown)  # the size demo
    at.slider(key="wp_epoch").set_value(0).run()  # replay the start: uniform weights
    heat = [t for t in charts(at)[1]["data"] if t["type"] == "heatmap"]
    assert np.allclose(array(heat[1]["z"]), 1 / 36)


def test_gdc_lab_rejects_bad_link_values():
    at = run_app("pages/gdc.py", dataset="imagenet", map="7", epochs="9999", width="3")
    text = " ".join(shown(w.value) for w in at.warning)
    assert "dataset='imagenet' ignored" in text and "epochs='9999' ignored" in text
    assert at.selectbox(key="wp_map").value == 12


def test_gdc_replay_slider_follows_fewer_epochs():
    at = run_app("pages/gdc.py", epochs=2, width=4, map=6, seed=7)
    at.button(key="gdc_train").click().run()
    assert at.slider(key="wp_epoch").value == 2
    at.number_input(key="wp_epochs").set_value(1).run()
    at.button(key="gdc_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="wp_epoch").value == 1


TIMING = dict(C=16, N=32, G=4, K=3, H=12, W=12, padding=1, runtime="0.05", tbatch=2)


def test_timing_page_runs_on_press_only():
    at = run_app("pages/timing.py", **TIMING)
    assert any("only when you press" in i.value for i in at.info) and not at.get("plotly_chart")
    at.button(key="time_layer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    assert list(table["case"])[:2] == ["grouped conv (native, groups=G)", "same layer dense (G=1)"]
    assert (table["median ms"].str.replace(",", "").astype(float) > 0).all()
    assert any("torch:" in c.value and "threads:" in c.value for c in at.caption)  # environment printed
    assert at.get("download_button") and any("benchmark.Timer" in c.value for c in at.code)
    at.button(key="time_groups").click().run()
    groups_chart = charts(at)[0]
    drawn = [g for t in groups_chart["data"] if t["name"] in ("measured time (median)", "unstable (spread over 10%)")
             for g in array(t["x"]).tolist()]
    assert sorted(drawn) == valid_groups(16, 32)  # every G once: solid when it settled, hollow when not


def test_timing_page_in_chinese_says_the_cases_and_environment_in_chinese():
    # Oracle: the language file (issue [classroom]: every string the app shows, in both languages).
    import json

    from conftest import ROOT
    zh = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))
    from gconv import i18n
    at = run_app("pages/timing.py", lang="zh", **TIMING)
    i18n.use("zh")  # AppTest calls the widgets' format_func in this thread when it sends their values
    try:
        at.button(key="time_layer").click().run()
    finally:
        i18n.use("en")
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    assert list(table[zh["timing.col.case"]])[:2] == [zh["case.grouped"], zh["case.dense"]]
    assert any(f"{zh['env.threads']}:" in c.value and f"{zh['env.dtype']}:" in c.value for c in at.caption)
    assert zh["exp.shufflenet-g2"] in at.selectbox(key="wp_experiment").options


def test_timing_page_waits_for_the_device():
    import threading

    from gconv.timing import DEVICE
    at = run_app("pages/timing.py", **TIMING)
    held = threading.Event()

    def holder():
        with DEVICE.hold():
            held.set()
            DEVICE.wait_for_waiters(1, timeout=120)  # hand over once the page's run queues behind this one

    t = threading.Thread(target=holder)
    t.start()
    assert held.wait(60)
    at.button(key="time_layer").click().run()
    t.join()
    assert any("Waited" in i.value and "another job on the device" in i.value for i in at.info)
    assert at.table and not DEVICE.locked()


def test_timing_page_refuses_over_budget():
    at = run_app("pages/timing.py", C=4096, N=4096, G=1, K=3, H=1024, W=1024, padding=1, tbatch=64)
    at.button(key="time_layer").click().run()
    assert not at.exception
    assert any("Not timed" in shown(e.value) and "budget" in shown(e.value) for e in at.error)


def test_inspector_opens_a_layer_in_the_layer_views():
    at = run_app("pages/inspect.py", model="alexnet", layer=1)
    assert not at.exception and metric(at, "parameters") == "60,965,224"  # Caffe bvlc_alexnet's count
    links = {el.proto.label: el.proto for el in at.get("page_link")}
    # AlexNet conv2 as the Caffe prototxt defines it: 96→256, 5×5, pad 2, group 2, with a bias
    conv2 = "C=96&N=256&G=2&K=5&H=27&W=27&stride=1&padding=2&dilation=1&bias=true"
    assert links["Open in Connectivity"].page == "connectivity" and links["Open in Connectivity"].query_string == conv2
    assert links["Open in Cost"].query_string == conv2
    # What the link does: the connectivity page opened with conv2's fields in the URL.
    at.query_params.clear()
    at.query_params.update({"C": "96", "N": "256", "G": "2", "K": "5", "H": "27", "W": "27", "padding": "2"})
    at.switch_page("pages/connectivity.py").run()
    assert not at.exception
    assert at.session_state["spec"] == ConvSpec(C=96, N=256, G=2, K=5, H=27, W=27, padding=2)


def _onnx_bytes():
    import io
    import warnings

    import torch

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Conv2d(8, 8, 3, groups=4))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), (torch.zeros(1, 3, 16, 16),), buf, dynamo=False)
    return buf.getvalue()


def test_inspector_upload_valid_and_hostile_files():
    at = run_app("pages/inspect.py", source="onnx")
    assert any("torch.onnx.export" in i.value for i in at.info)
    at.get("file_uploader")[0].set_value(("tiny.onnx", _onnx_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "conv + linear layers") == "2"
    assert any("(grouped, G=4)" in o for o in at.selectbox(key="wp_layer").options)
    for name, data in (("junk.onnx", bytes(range(256)) * 50), ("model.onnx", b"PK\x03\x04" + b"\0" * 64),
                       ("empty.onnx", b"")):
        at.get("file_uploader")[0].set_value((name, data, "application/octet-stream")).run()
        assert not at.exception
        assert any(name in shown(e.value) for e in at.error), name


@pytest.mark.parametrize("model", ["alexnet", "mobilenet_v1", "resnext50_32x4d", "mobilefacenet"])
def test_inspector_zoo_pages(model):
    at = run_app("pages/inspect.py", model=model)
    assert not at.exception
    kinds = chart(at, "kind_chart")
    assert kinds["layout"]["title"]["text"].startswith(model)
    from gconv.inspector.hooks import inspect_zoo
    assert len(at.selectbox(key="wp_layer").options) == len(inspect_zoo(model).layers)
    flows = [c for c in at.get("plotly_chart") if c.key == "flow_chart"]
    if model == "alexnet":  # Krizhevsky et al. 2012: conv5 reads conv4's two halves apart, one per GPU
        apart = next(t for t in chart(at, "flow_chart")["data"] if t.get("name") == "groups stay apart")
        assert list(array(apart["x"])) == [4] and any("conv4 → conv5" in m.value for m in at.markdown)
    elif model == "resnext50_32x4d":
        assert not [t for t in chart(at, "flow_chart")["data"] if t.get("name") == "groups stay apart"]
    else:  # no grouped conv with 1 < G < C: said, not drawn
        assert not flows and any("No grouped conv" in m.value for m in at.markdown)


def test_a_bug_in_a_timing_run_surfaces_and_is_not_called_a_budget(monkeypatch):
    # Only GConvError is a message; a job that fails in the timing worker is a bug and must show as an exception.
    from gconv.timing.worker import WORKER, WorkerError

    def broken(*args, **kwargs):
        raise WorkerError("a kernel failed")

    monkeypatch.setattr(WORKER, "call", broken)
    at = run_app("pages/timing.py", **TIMING)
    at.button(key="time_layer").click().run()
    assert at.exception and "a kernel failed" in at.exception[0].value
    assert not any("Not timed" in shown(e.value) for e in at.error)
    from gconv.timing import DEVICE
    assert not DEVICE.locked()  # the device is handed back even so


def fresh_reader(monkeypatch, setup: str) -> None:
    """The page's next upload goes to a new reader process that first runs setup (the reader is another process, so
    a monkeypatch here would not reach it)."""
    from gconv.inspector import bounded

    monkeypatch.setattr(bounded, "SETUP", setup)
    monkeypatch.setattr(bounded, "_readers", {})


def test_a_bug_in_the_onnx_reader_surfaces(monkeypatch):
    fresh_reader(monkeypatch, "import gconv.inspector.onnx_reader as r\n"
                              "def broken(*a, **k): raise KeyError('a reader bug')\nr.read_graph = broken")
    at = run_app("pages/inspect.py", source="onnx")
    at.get("file_uploader")[0].set_value(("tiny.onnx", b"\x08\x07" + b"x" * 100, "application/octet-stream")).run()
    assert at.exception and "a reader bug" in at.exception[0].value


def test_gdc_training_takes_turns_with_timings():
    # A training in one session must not run while another session measures: it queues for the device.
    import threading

    from gconv.machine import DEVICE
    at = run_app("pages/gdc.py", epochs=1, width=4, map=6, seed=21)
    held, queued = threading.Event(), []

    def timing_run():
        with DEVICE.hold(what="a timing run"):
            held.set()
            queued.append(DEVICE.wait_for_waiters(1, timeout=120))

    t = threading.Thread(target=timing_run)
    t.start()
    assert held.wait(60)
    at.button(key="gdc_train").click().run()
    t.join()
    assert not at.exception and queued == [True] and metric(at, "GDC test accuracy").endswith("%")


def test_replication_runs_on_the_page():
    at = run_app("pages/timing.py", **TIMING, experiment="shufflenet-g2")
    assert any("Press **Replicate**" in i.value for i in at.info)
    at.button(key="replicate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[-1].value
    assert list(table["row"]) == ["g=1", "g=2", "g=4", "g=8"]
    assert list(table["paper GPU"]) == ["1.00×", "0.70×", "0.42×", "0.26×"]  # 2451, 1725, 1026, 634 batches/s
    fig = charts(at)[-1]
    assert {t["name"] for t in fig["data"]} >= {"this machine", "paper: GPU (GTX 1080Ti)", "paper: ARM (Snapdragon 810)"}
    assert any("the paper had 0.26× on GPU and 0.70× on ARM" in m.value for m in at.markdown)
    assert any("does not state the batch size" in c.value for c in at.caption)


def test_inspector_traces_an_uploaded_graphs_channel_flow():
    # A shuffle written without its transpose (view, then view back: the identity) keeps the groups apart; the
    # page finds it in the graph itself. Oracle: the group rule, 3 groups of 8 of 24 channels.
    from zoo_style import GroupedStack, export

    at = run_app("pages/inspect.py", source="onnx")
    data = export(GroupedStack(transpose=False), (1, 24, 8, 8))
    at.get("file_uploader")[0].set_value(("stack.onnx", data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    apart = next(t for t in chart(at, "flow_chart")["data"] if t.get("name") == "groups stay apart")
    # conv0 → conv1 → conv2 is the stack; conv1 and conv2 are where it keeps the groups apart (conv0 reads the
    # graph input, as any grouped conv does, and is the stack's start, named by the diagnostic)
    assert list(array(apart["x"])) == [1, 2] and [row[2] for row in apart["customdata"]] == [8, 8]
    assert any("never mix" in m.value and "8 of the 24" in m.value for m in at.markdown)


def test_inspector_opens_the_default_exporters_onnx_without_its_data_file(tmp_path):
    # torch.onnx.export(dynamo=True) keeps the weights in model.onnx.data; a student uploads model.onnx alone.
    # Oracle: the torch model's own layers through forward hooks.
    import warnings

    import torch

    from gconv.inspector.hooks import inspect_model
    from zoo_style import ShuffleNetV2

    net = ShuffleNetV2().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, 64, 64),), str(tmp_path / "model.onnx"), dynamo=True, verbose=False)
    assert (tmp_path / "model.onnx.data").exists()
    at = run_app("pages/inspect.py", source="onnx")
    at.get("file_uploader")[0].set_value(("model.onnx", (tmp_path / "model.onnx").read_bytes(),
                                          "application/octet-stream")).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    ref = inspect_model(net, (64, 64))
    assert metric(at, "MACs per sample") == f"{ref.total_macs:,}"
    assert metric(at, "conv + linear layers") == str(len(ref.layers))


def test_a_flow_too_large_to_trace_leaves_the_layers_shown(monkeypatch):
    # The flow is refused (here: a budget of one cell), the report is not.
    from zoo_style import GroupedStack, export

    fresh_reader(monkeypatch, "import gconv.inspector.flow as flow\nflow.MAX_CELLS = 1")
    at = run_app("pages/inspect.py", source="onnx")
    at.get("file_uploader")[0].set_value(("big.onnx", export(GroupedStack(C=30), (1, 30, 8, 8)),  # not cached
                                          "application/octet-stream")).run()
    assert not at.exception and not at.error
    assert metric(at, "conv + linear layers") == "3"
    assert any("could not be traced" in w.value and "reference channels" in shown(w.value) for w in at.warning)


def test_an_upload_is_read_in_the_reader_process_never_in_the_server(monkeypatch):
    # onnx's shape inference made to fail in this (the server's) process: the page still reads a graph that needs it,
    # because the reader process does. Then the Range file of issue [harden] gets the memory message, and the page
    # still reads the next file. Oracle: the torch model's own layers through forward hooks.
    import onnx

    from gconv.inspector import bounded
    from gconv.inspector.hooks import inspect_model
    from hostile import range_file
    from zoo_style import ShuffleNetV2, export

    def never(*args, **kwargs):
        raise AssertionError("the server ran onnx shape inference on an upload")

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", never)
    monkeypatch.setattr(bounded, "WEB", bounded.Limits(memory=1024 * 2**20))  # the same failure, sooner
    net = ShuffleNetV2().eval()
    at = run_app("pages/inspect.py", source="onnx")
    uploader = at.get("file_uploader")[0]
    uploader.set_value(("range.onnx", range_file(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("range.onnx" in shown(e.value) and "1,024 MiB of memory" in shown(e.value) for e in at.error)
    at.get("file_uploader")[0].set_value(("shuffle.onnx", export(net, (1, 3, 64, 64)),
                                          "application/octet-stream")).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert metric(at, "MACs per sample") == f"{inspect_model(net, (64, 64)).total_macs:,}"


def test_inspector_draws_reach_between_two_layers():
    # Oracles: AlexNet (Krizhevsky et al. 2012): each half of conv5 reads one half of conv4's inputs; and torch
    # autograd on an uploaded shuffle without its transpose (traced in the reader process).
    from zoo_style import GroupedStack, autograd_reach, export

    at = run_app("pages/inspect.py", model="alexnet", layer=4, reach_from=3, reach_to=4)
    z = np.asarray(array(chart(at, "reach_chart")["data"][0]["z"]), dtype=float)  # 256 × 384 in bands of 2 × 3
    assert z.shape == (128, 128) and (z[:64, :64] == 1).all() and (z[:64, 64:] == 0).all() and (z[64:, 64:] == 1).all()
    net = GroupedStack(transpose=False)
    at = run_app("pages/inspect.py", source="onnx", reach_from=0, reach_to=2)
    at.get("file_uploader")[0].set_value(("stack.onnx", export(net, (1, 24, 8, 8)), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    z = np.asarray(array(chart(at, "reach_chart")["data"][0]["z"]), dtype=float)
    assert (z.astype(bool) == autograd_reach(net, (1, 24, 8, 8))).all()


def test_the_lab_opens_on_the_stored_run_until_a_first_training():
    # Oracle: assets/gdc_faces_aligned.json, the run Home draws (its accuracies and its learned weights)
    stored = json.loads((ROOT / "assets" / "gdc_faces_aligned.json").read_text())
    at = run_app("pages/gdc.py", dataset="digits", seed=11)  # settings nobody has trained
    assert [s.value for s in at.subheader][0] == EN["gdc.stored_title"]
    assert [m.value for m in at.metric] == [f"{stored['gdc_test_acc']:.1%}", f"{stored['gap_test_acc']:.1%}"]
    gap, gdc = (array(d["z"]) for d in chart(at, "gdc_stored")["data"][:2])
    assert np.allclose(gdc, stored["relative_weights"]) and np.allclose(gap, 1.0)  # GAP: every cell its mean
    assert EN["ui.layer_unused"] in [c.value for c in at.sidebar.caption]  # the sidebar's layer is not this lab's
    assert EN["ui.layer_unused"] not in [c.value for c in run_app("pages/cost.py").sidebar.caption]
