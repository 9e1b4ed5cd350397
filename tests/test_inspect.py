"""inspect_model against hand counts and nn.Conv2d, and the diagnostics on networks whose answer is known."""
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from gconv import ConvSpec
from gconv.inspector.diagnose import fixed_input, group_changes, no_shuffle
from gconv.inspector.hooks import inspect_model, inspect_zoo


def test_rows_match_torchs_shapes_and_flop_count():
    net = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(16, 32, 3, padding=1, groups=4, bias=False),
                        nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),
                        nn.Conv2d(32, 32, 8, groups=32, bias=False), nn.Flatten(), nn.Linear(32, 10))
    r = inspect_model(net, (16, 16))
    assert [layer.kind for layer in r.layers] == ["standard", "grouped", "depthwise", "gdc", "linear"]
    assert r.total_params == sum(p.numel() for p in net.parameters())
    seen = {}  # Oracle: each conv's real input, caught by a hook, and FlopCounterMode's count on it (2 per MAC)
    hooks = [m.register_forward_hook(lambda m, args, out: seen.__setitem__(m, args[0])) for m in net]  # None: output kept
    net(torch.randn(1, 3, 16, 16))
    [h.remove() for h in hooks]
    for layer, module in zip(r.layers[:4], [m for m in net if isinstance(m, nn.Conv2d)]):
        assert layer.spec.weight_shape == tuple(module.weight.shape)
        with FlopCounterMode(display=False) as counter:
            module(seen[module])
        assert layer.macs == counter.get_total_flops() // 2
    assert r.layers[-1].macs == 320 and r.total_macs == sum(layer.macs for layer in r.layers)
    assert r.by_kind()["gdc"]["layers"] == 1


def test_diagnostics_on_known_networks():
    alex = inspect_zoo("alexnet")
    flagged = no_shuffle(alex)
    assert [tuple(alex.layers[i].name for i in f.rows) for f in flagged] == [("conv4", "conv5")]
    face = inspect_zoo("mobilefacenet")
    assert len(fixed_input(face)) == 1 and "112×112" in fixed_input(face)[0].message
    assert not fixed_input(alex)
    changes = group_changes(alex)
    assert changes and all("weights" in f.message for f in changes)
    conv2 = next(f for f in changes if f.message.startswith("conv2: G=2 → 4"))
    assert "saves 153,600 weights (-50%)" in conv2.message  # 256·48·25 − 256·24·25
    # conv4 (G=2) feeds conv5 (G=2) directly: each conv5 output reads one group's 192 of conv4's 384 inputs.
    assert "depends on 192 of the 384 input channels of conv4" in flagged[0].message
    # ShuffleNet V2 (Ma et al. 2018) mixes with a channel shuffle and has no grouped conv but depthwise ones;
    # ResNeXt's grouped 3×3 always feeds a dense 1×1: neither has two grouped convs in a row.
    for name in ("shufflenet_v2", "resnext50_32x4d"):
        report = inspect_zoo(name)
        assert report.by_kind().get("grouped", {"layers": 0})["layers"] == (16 if name == "resnext50_32x4d" else 0)
        assert no_shuffle(report) == [], name


def test_linear_layer_is_a_1x1_conv_over_its_rows():
    r = inspect_model(nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Unflatten(1, (5, 1, 1)),
                                    nn.Conv2d(5, 5, 1)), (2, 2), channels=3)
    assert r.layers[0].spec == ConvSpec(C=12, N=5, G=1, K=1, H=1, W=1, bias=True)
    # A Linear on (B, 7, 12) runs on 7 rows per sample: nn.Linear's 12·5 multiply-adds per row (FlopCounterMode).
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    lin = nn.Linear(12, 5)
    with FlopCounterMode(display=False) as counter:
        lin(torch.zeros(1, 7, 12))
    from gconv.inspector.report import linear_layer
    assert 2 * linear_layer("fc", 12, 5, 7, True).macs == counter.get_total_flops()


def test_same_padding_keeps_exact_macs():
    # padding="same" with an even kernel pads unevenly; MACs follow the real output (FlopCounterMode).
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    net = nn.Sequential(nn.Conv2d(4, 8, 4, padding="same", groups=2), nn.Conv2d(8, 8, 3, padding="same"))
    r = inspect_model(net, (9, 9), channels=4)
    with FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 4, 9, 9))
    assert 2 * r.total_macs == counter.get_total_flops()
    assert r.layers[0].padding == (-1, -1) and r.layers[1].padding == (1, 1)
    assert [layer.kind.value for layer in r.layers] == ["grouped", "standard"]


@pytest.mark.parametrize("name", ["mobilenet_v1", "shufflenet_v2"])
def test_every_row_is_a_valid_spec(name):
    for layer in inspect_zoo(name).layers:
        spec = layer.spec
        if layer.op == "conv":
            assert spec.out_hw == layer.out_hw


def test_findings_rank_consequence_first_and_fold_the_g_suggestions():
    # Issue [debug]: on AlexNet eight G suggestions buried the one finding that matters (conv4 → conv5 never mix).
    # Oracle: the papers' networks: AlexNet's conv4/conv5 (Krizhevsky et al. 2012), MobileFaceNet's 7×7 GDC
    # (Chen et al. 2018), ResNeXt's grouped 3×3 between dense 1×1s (Xie et al. 2017).
    from gconv.inspector.diagnose import diagnose

    alex = diagnose(inspect_zoo("alexnet"))
    assert [f.topic for f in alex] == ["no-shuffle", "groups"]
    assert alex[1].message.startswith("G worth changing") and "conv2 G=2→4 -153,600 (-50%)" in alex[1].message
    face = diagnose(inspect_zoo("mobilefacenet"))
    assert [f.topic for f in face][:1] == ["fixed-input"] and "healthy" not in [f.topic for f in face]
    resnext = diagnose(inspect_zoo("resnext50_32x4d"))
    assert [f.topic for f in resnext] == ["healthy", "groups"] and "Nothing wrong found" in resnext[0].message
