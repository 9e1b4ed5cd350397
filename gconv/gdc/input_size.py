"""GDC fixes the input size: feed a trained model a larger image, see what breaks and what people do."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..equivalence import gdc_conv
from ..errors import GConvError
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
        out.append(Attempt("GDC as trained", None, "ran, unexpectedly"))
    except GConvError as e:
        out.append(Attempt(f"GDC as trained on {x.shape[-1]}×{x.shape[-1]}", None, f"breaks: {e}"))
    resized = F.interpolate(x, size=(S, S), mode="bilinear", align_corners=False)
    out.append(Attempt(f"resize the image back to {S}×{S}", _accuracy(gdc(resized), y),
                       "what face models do: detect, align and resize every face to the training size"))
    pooled = F.adaptive_avg_pool2d(feats, M)
    out.append(Attempt(f"adaptive-pool the feature map to {M}×{M}", _accuracy(gdc.fc(gdc.head(pooled)), y),
                       "keeps the GDC's positions meaning the same parts of the image"))
    h, wd = feats.shape[-2:]
    stretched = F.interpolate(gdc.head.weight.unsqueeze(1), size=(h, wd), mode="bilinear",
                              align_corners=False).squeeze(1) * (M * M) / (h * wd)
    out.append(Attempt(f"resample the GDC kernel to {h}×{wd}", _accuracy(gdc.fc(gdc_conv(feats, stretched)), y),
                       "stretch the learned weight map to the new map size (rescaled to the same total)"))
    out.append(Attempt("GAP, as trained", _accuracy(gap(x), y),
                       "runs at any size (no weights tied to positions), but never knew where things were"))
    return out


def as_rows(items: list[Attempt]) -> list[dict]:
    """Attempts as table rows with readable accuracies."""
    return [{"approach": a.approach, "test accuracy": "does not run" if a.accuracy is None else f"{a.accuracy:.1%}",
             "what happens": a.note} for a in items]
