"""inspect_model against hand counts and nn.Conv2d, and the diagnostics on networks whose answer is known."""
import pytest
import torch.nn as nn

from gconv import ConvSpec, cost
from gconv.diagnose import diagnose, fixed_input, group_changes, no_shuffle, to_spec
from gconv.inspect import inspect_model, inspect_zoo


def test_rows_match_the_cost_model_and_torch():
    net = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
                        nn.Conv2d(16, 32, 3, padding=1, groups=4, bias=False),
                        nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),
                        nn.Conv2d(32, 32, 8, groups=32, bias=False), nn.Flatten(), nn.Linear(32, 10))
    r = inspect_model(net, (16, 16))
    assert [layer.kind for layer in r.layers] == ["standard", "grouped", "depthwise", "gdc", "linear"]
    assert r.total_params == sum(p.numel() for p in net.parameters())
    for layer, module in zip(r.layers[:4], [m for m in net if isinstance(m, nn.Conv2d)]):
        spec = to_spec(layer)
        assert spec.weight_shape == tuple(module.weight.shape)
        assert layer.macs == cost.macs(spec)
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
    assert diagnose(inspect_zoo("shufflenet_v2"))  # ShuffleNet: depthwise then pointwise, nothing to lock


def test_to_spec_of_linear_is_1x1():
    r = inspect_model(nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Unflatten(1, (5, 1, 1)),
                                    nn.Conv2d(5, 5, 1)), (2, 2), channels=3)
    assert to_spec(r.layers[0]) == ConvSpec(C=12, N=5, G=1, K=1, H=1, W=1)


@pytest.mark.parametrize("name", ["mobilenet_v1", "shufflenet_v2"])
def test_every_row_is_a_valid_spec(name):
    for layer in inspect_zoo(name).layers:
        spec = to_spec(layer)
        if layer.op == "conv":
            assert spec.out_hw == layer.out_hw
