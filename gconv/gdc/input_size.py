"""GDC fixes the input size: feed a trained model a larger image, see what breaks and what people do."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..equivalence import gdc_conv
from ..errors import GConvError
from ..i18n import t
from .datasets import build
from .training import GDCResult, load_models


@dataclass(frozen=True)
class Attempt:
    """One way of running the trained model on larger images."""

    approach: str
    accuracy: float | None  # None when it does not run at all
    note: str


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return (logits.argmax(1) == y).float().mean().item()


def larger_inputs(result: GDCResult, scale: float = 4 / 3) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's test images upsampled by scale (same content, more pixels), with their labels."""
    c = result.config
    data = build(c.dataset, seed=c.seed, region=c.region)
    size = int(round(result.image_size * scale))
    x = F.interpolate(torch.from_numpy(data.x_test), size=(size, size), mode="bilinear", align_corners=False)
    return x, torch.from_numpy(data.y_test)


@torch.no_grad()
def attempts(result: GDCResult, scale: float = 4 / 3) -> list[Attempt]:
    """Run the trained GDC model (and GAP for contrast) on larger images: as is, then three usual fixes."""
    models = load_models(result)
    gdc, gap = models["gdc"], models["gap"]
    x, y = larger_inputs(result, scale)
    S, M = result.image_size, result.config.map_size
    feats = gdc.features(x)
    out = []
    try:
        _accuracy(gdc(x), y)
        out.append(Attempt(t("size.gdc_trained"), None, t("size.ran")))
    except GConvError as e:
        out.append(Attempt(t("size.gdc_on", size=x.shape[-1]), None, t("size.breaks", error=e)))
    resized = F.interpolate(x, size=(S, S), mode="bilinear", align_corners=False)
    out.append(Attempt(t("size.resize", S=S), _accuracy(gdc(resized), y), t("size.resize_note")))
    pooled = F.adaptive_avg_pool2d(feats, M)
    out.append(Attempt(t("size.pool", M=M), _accuracy(gdc.fc(gdc.head(pooled)), y), t("size.pool_note")))
    h, wd = feats.shape[-2:]
    stretched = F.interpolate(gdc.head.weight.unsqueeze(1), size=(h, wd), mode="bilinear",
                              align_corners=False).squeeze(1) * (M * M) / (h * wd)
    out.append(Attempt(t("size.resample", h=h, w=wd), _accuracy(gdc.fc(gdc_conv(feats, stretched)), y),
                       t("size.resample_note")))
    out.append(Attempt(t("size.gap"), _accuracy(gap(x), y), t("size.gap_note")))
    return out


def as_rows(items: list[Attempt]) -> list[dict]:
    """Attempts as table rows with readable accuracies."""
    return [{t("size.col.approach"): a.approach,
             t("size.col.accuracy"): t("size.does_not_run") if a.accuracy is None else f"{a.accuracy:.1%}",
             t("size.col.what"): a.note} for a in items]
