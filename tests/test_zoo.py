"""Each reference network's totals against its published figures (the source is named per row)."""
import pytest
import torch

from gconv import GConvError
from gconv.inspector import zoo
from gconv.inspector.hooks import inspect_zoo

# (name, exact parameter count or None, (MACs, rounding unit) from the reference, source)
REFERENCES = [
    ("alexnet", 60_965_224, (724e6, 1e6),
     "Caffe bvlc_alexnet deploy.prototxt (sum below); Eyeriss (Chen et al. 2016): 666M conv + 58.6M FC MACs"),
    ("mobilenet_v1", None, (569e6, 1e6), "MobileNets (Howard et al. 2017) Table 8: 4.2M params, 569M Mult-Adds"),
    ("mobilenet_v2", 3_504_872, (0.30e9, 0.01e9), "torchvision mobilenet_v2 docs: 3,504,872 params, 0.30 GFLOPS"),
    ("shufflenet_v2", 2_278_604, (0.14e9, 0.01e9), "torchvision shufflenet_v2_x1_0 docs: 2,278,604 params, 0.14 GFLOPS"),
    ("resnext50_32x4d", 25_028_904, (4.23e9, 0.01e9),
     "torchvision resnext50_32x4d docs: 25,028,904 params, 4.23 GFLOPS"),
    ("xception", 22_855_952, None, "Xception (Chollet 2017) Table 3: 22,855,952 parameters"),
    ("mobilefacenet", None, (221e6, 1e6), "MobileFaceNets (Chen et al. 2018) sec. 3.2: 0.99M params, 221M MAdds"),
]


@pytest.fixture(scope="module")
def reports():
    return {name: inspect_zoo(name) for name in zoo.NAMES}


@pytest.mark.parametrize("name, params, macs, source", REFERENCES)
def test_totals_match_the_reference(reports, name, params, macs, source):
    r = reports[name]
    model = zoo.build(name)
    assert r.total_params == sum(p.numel() for p in model.parameters())
    if params is not None:
        assert r.total_params == params, source
    if macs is not None:
        value, unit = macs
        assert round(r.total_macs / unit) == round(value / unit), (r.total_macs, source)


def test_alexnet_count_from_the_caffe_prototxt():
    # Independent sum over bvlc_alexnet's layers: conv weights + biases (groups halve conv2/4/5's inputs).
    layers = [(96, 3, 11), (256, 48, 5), (384, 256, 3), (384, 192, 3), (256, 192, 3)]
    conv = sum(n * c * k * k + n for n, c, k in layers)
    fc = 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert conv + fc == 60_965_224
    groups = {layer.name: layer.G for layer in inspect_zoo("alexnet").layers}
    assert (groups["conv2"], groups["conv4"], groups["conv5"], groups["conv1"], groups["conv3"]) == (2, 2, 2, 1, 1)


def test_mobilenet_v1_paper_figures(reports):
    # Table 8 prints 4.2 million parameters; torch's count includes BatchNorm's weights and biases.
    assert round(reports["mobilenet_v1"].total_params / 1e5) == 42
    macs = reports["mobilenet_v1"].by_kind()
    share = macs["pointwise"]["macs"] / reports["mobilenet_v1"].total_macs
    assert round(share, 3) == 0.949  # Table 2: 1×1 convs hold 94.86% of the Mult-Adds


def test_mobilefacenet_paper_figures(reports):
    r = reports["mobilefacenet"]
    gdc = [layer for layer in r.layers if layer.kind == "gdc"]
    assert len(gdc) == 1 and gdc[0].kernel == (7, 7) and gdc[0].C == 512 and gdc[0].out_hw == (1, 1)
    assert zoo.build("mobilefacenet")(torch.zeros(2, 3, 112, 112)).shape == (2, 128)
    # The paper prints 0.99M parameters without saying what it counts. torch's numel, which includes
    # BatchNorm and PReLU parameters (27,136 of them), gives 1,003,136: within 1.5% of the paper, not at its
    # rounding. The conv weights alone are summed here from Table 1's rows, independently of the zoo's code.
    table1 = [3 * 64 * 9, 64 * 9]  # conv3×3 64 (s2); depthwise conv3×3 64
    c = 64
    for t, cout, n in [(2, 64, 5), (4, 128, 1), (2, 128, 6), (4, 128, 1), (2, 128, 2)]:  # bottleneck rows (t, c, n)
        for _ in range(n):
            table1 += [c * c * t, c * t * 9, c * t * cout]  # 1×1 expand, 3×3 depthwise, 1×1 linear projection
            c = cout
    table1 += [128 * 512, 512 * 7 * 7, 512 * 128]  # conv1×1 512; linear GDC7×7; linear conv1×1 128
    assert sum(layer.params for layer in r.layers) == sum(table1)
    assert abs(r.total_params - 0.99e6) / 0.99e6 < 0.015


def test_default_input_sizes_run():
    for name in zoo.NAMES:
        assert zoo.INPUT_SIZES[name][0] >= 112
    with pytest.raises(GConvError, match="valid: alexnet"):
        zoo.build("vgg16")
