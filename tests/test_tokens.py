"""The channel flow through ops that move channels into tokens, heads and patches and back (issue [debug] 4):
attention's MatMul between activations, Expand of a live tensor, ViT hybrids' flatten/transpose, MobileViT's
unfold/fold with the batch folded in, torch's own nn.TransformerEncoderLayer.

Oracle: torch autograd (zoo_style.autograd_reach), on modules written as timm and torch write them
(token_style.py): which input channels each output channel depends on, exactly, and nothing traced as assumed.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gconv.inspector.flow import channel_reach
from token_style import (ExpandLive, Hybrid, MobileViTStyle, TokenRoundTrip, TopKChannels, TorchEncoder)
from zoo_style import autograd_reach, export, flow_of

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "vit-hybrid": (lambda: Hybrid(), (1, 16, 4, 4)),
    "vit-hybrid-sdpa": (lambda: Hybrid(fused=True), (1, 16, 4, 4)),
    "tokens-and-back": (lambda: TokenRoundTrip(), (1, 16, 4, 4)),
    "token-shuffle": (lambda: TokenRoundTrip(shuffle=True), (1, 16, 4, 4)),
    "mobilevit": (lambda: MobileViTStyle(), (1, 8, 4, 4)),
    "mobilevit-unfold-fold": (lambda: MobileViTStyle(transformer=False), (1, 8, 4, 4)),
    "expand": (lambda: ExpandLive(), (1, 8, 4, 4)),
    "torch-encoder": (lambda: TorchEncoder(), (1, 16, 4, 4)),
}


@pytest.mark.parametrize("case", CASES)
def test_token_ops_are_traced_exactly_and_none_is_assumed(case):
    build, shape = CASES[case]
    net = build().eval()
    graph, flow = flow_of(net, shape)
    assert flow.assumed == ()
    reach = channel_reach(graph, graph.inputs[0], graph.outputs[0])
    assert (reach == autograd_reach(net, shape)).all()


def test_channels_through_tokens_and_back_stay_apart_unless_shuffled():
    # Oracle: autograd: with nothing mixing channels between them, b's outputs see 4 of a's 16 inputs (groups
    # apart); the same shuffle written on tokens lets each see all 16. A tracer that gave up would say 16 both times.
    for shuffle, sees in ((False, 4), (True, 16)):
        net = TokenRoundTrip(shuffle=shuffle)
        _, flow = flow_of(net, (1, 16, 4, 4))
        assert autograd_reach(net, (1, 16, 4, 4)).sum(axis=1).min() == sees
        assert [(m.reference, m.sees) for m in flow.rows] == [("", 4), ("/a/Conv", sees)]
        assert flow.apart_rows() == ({1} if not shuffle else set())


def test_the_expanded_channel_is_seen_by_every_channel():
    # x[:, :1].expand(C): every channel of the gate is channel 0, so b's group g sees a's group g and channel 0's
    # group: 2 + 2 of 8 for g > 0 (autograd agrees, test above); and the mean expanded back adds nothing new
    net = ExpandLive()
    reach = autograd_reach(net, (1, 8, 4, 4))
    _, flow = flow_of(net, (1, 8, 4, 4))
    assert reach[:, :2].all() and reach.sum(axis=1).tolist() == [2, 2] + [4] * 6
    assert flow.rows[1].sees == 2  # the fewest: group 0 sees only its own two


def test_an_op_that_depends_on_the_data_is_named_in_the_report_and_the_cli(tmp_path):
    # TopK picks channels by value: no graph can say which. It is traced as mixing (a superset of autograd's
    # answer, never less), and named with its node in the summary, the JSON and the CLI's table.
    from gconv.inspector.summary import summary

    net = TopKChannels()
    graph, flow = flow_of(net, (1, 8, 4, 4))
    assert flow.assumed == ("TopK (/TopK)",)
    reach, truth = channel_reach(graph, graph.inputs[0], graph.outputs[0]), autograd_reach(net, (1, 8, 4, 4))
    assert (reach >= truth).all() and (reach > truth).any()
    s = summary(net, input_size=(1, 8, 4, 4))
    assert s.as_dict()["channel_flow_assumed"] == ["TopK (/TopK)"] and "TopK (/TopK)" in str(s)
    path = tmp_path / "topk.onnx"
    path.write_bytes(export(net, (1, 8, 4, 4)))
    r = subprocess.run([sys.executable, "-m", "gconv", "inspect", str(path)], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "traced as mixing every channel: TopK (/TopK)" in r.stdout
    r = subprocess.run([sys.executable, "-m", "gconv", "inspect", str(path), "--json"], capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert json.loads(r.stdout)["channel_flow_assumed"] == ["TopK (/TopK)"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_op_that_depends_on_the_data_is_named_on_the_page(lang):
    from apptest import run_app, shown

    at = run_app("pages/inspect.py", source="onnx", lang=lang)
    at.get("file_uploader")[0].set_value(("topk.onnx", export(TopKChannels(), (1, 8, 4, 4)),
                                          "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(shown(c.value) for c in at.caption)
    assert "TopK (/TopK)" in captions
