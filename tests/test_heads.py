"""GDC and GAP heads: shapes, uniform init, and equivalences against plain torch arithmetic."""
import pytest
import torch
import torch.nn.functional as F

from gconv import GConvError
from gconv.gdc.heads import Backbone, Classifier, GAPHead, GDCHead


@pytest.mark.parametrize("C, H, W", [(16, 8, 8), (4, 7, 6), (1, 1, 1), (32, 12, 12)])
def test_gdc_head_shape_init_and_equivalences(C, H, W):
    head = GDCHead(C, H, W)
    assert head.weight.shape == (C, H, W)
    assert torch.allclose(head.weight, torch.full((C, H, W), 1 / (H * W)))  # starts as GAP
    x = torch.randn(3, C, H, W)
    assert head(x).shape == (3, C)
    assert (head(x) - x.mean((-2, -1))).abs().max() < 1e-5  # uniform GDC == global average
    assert (GAPHead()(x) - F.adaptive_avg_pool2d(x, 1).flatten(1)).abs().max() < 1e-6
    with torch.no_grad():
        head.weight.normal_()
    assert (head(x) - (x * head.weight).sum((-2, -1))).abs().max() < 1e-4  # a weighted sum over positions


def test_gdc_head_rejects_another_map_size():
    head = GDCHead(4, 6, 6)
    x = torch.randn(1, 4, 8, 8)
    # Oracle: the same depthwise conv in plain torch gives each channel a map, not one number.
    raw = F.conv2d(x, head.weight.detach().unsqueeze(1), groups=4)
    assert raw.shape[-2:] == (3, 3)
    with pytest.raises(GConvError, match="kernel is 6×6 but the feature map is 8×8: each channel would give a 3×3"):
        head(x)


def test_backbone_is_shift_equivariant():
    # Circular padding: shifting the input circularly shifts the features, so GAP cannot see position.
    torch.manual_seed(0)
    b = Backbone(C=8, pool=1)
    x = torch.rand(1, 1, 12, 12)
    shifted = torch.roll(x, shifts=(3, 5), dims=(-2, -1))
    assert torch.allclose(torch.roll(b(x), shifts=(3, 5), dims=(-2, -1)), b(shifted), atol=1e-5)
    assert torch.allclose(GAPHead()(b(x)), GAPHead()(b(shifted)), atol=1e-5)


def test_classifier_shapes_and_bad_map():
    m = Classifier("gdc", C=8, image_size=24, map_size=6, classes=3)
    assert m.features(torch.rand(2, 1, 24, 24)).shape == (2, 8, 6, 6)
    assert m(torch.rand(2, 1, 24, 24)).shape == (2, 3)
    with pytest.raises(GConvError, match="must divide"):
        Classifier("gap", C=8, image_size=24, map_size=5, classes=2)
