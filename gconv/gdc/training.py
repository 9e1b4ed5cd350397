"""Train a GDC head and a GAP head side by side on the same data, and measure what the GDC learned."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import GConvError
from ..i18n import say, t
from ..machine import torch_settings
from ..text import outside
from .datasets import EPOCHS, SEEDS, WIDTHS, Dataset, build, default_map_size, map_sizes
from .heads import Classifier


@dataclass(frozen=True)
class GDCConfig:
    """One GDC vs GAP run. Defaults train both heads on the synthetic centre task in a few seconds on CPU."""

    dataset: str = "synthetic"  # synthetic | faces | faces-aligned | digits
    region: str = "centre"  # synthetic only: centre | eyes | corner | ring
    width: int = 16  # backbone channels C
    map_size: int | None = None  # backbone output map M×M, dividing the image; None: default_map_size(dataset)
    epochs: int = 8
    seed: int = 0
    lr: float = 0.005  # Adam, backbone and linear layer (0.02 sometimes leaves a run stuck at chance)
    head_lr: float = 0.01  # Adam, GDC weights
    anchor: float = 0.01  # L2 pull of the GDC weights toward the uniform init: keeps only departures that pay
    batch_size: int = 64
    threads: int = 2  # torch CPU threads while training

    @property
    def last_channel(self) -> int:
        """The backbone's last channel index, width − 1."""
        return self.width - 1

    def __post_init__(self):
        sizes = map_sizes(self.dataset)  # also refuses an unknown dataset
        if self.width not in WIDTHS:
            raise GConvError(say("err.setting", name="width", value=self.width, valid=", ".join(map(str, WIDTHS))))
        for name, (lo, hi) in (("epochs", EPOCHS), ("seed", SEEDS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise GConvError(say("err.setting", name=name, value=outside(repr(value), 32), valid=f"{lo}–{hi}"))
        if self.map_size is None:
            object.__setattr__(self, "map_size", default_map_size(self.dataset))
        elif self.map_size not in sizes:
            raise GConvError(say("err.map_size_images", size=self.map_size, dataset=self.dataset,
                                 valid=", ".join(map(str, sizes))))


@dataclass
class HeadRun:
    """Per-epoch history of one head: train/test loss and accuracy, index 0 = before training."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)


@dataclass
class GDCResult:
    """Everything the lab shows: histories of both heads, GDC weights at every epoch, the trained models."""

    config: GDCConfig
    gdc: HeadRun
    gap: HeadRun
    gdc_weights: np.ndarray  # (epochs + 1, C, M, M); [0] is the uniform 1/(M·M) init
    region: np.ndarray | None  # (M, M) share of each map cell inside the informative region
    seconds: float
    classes: list[str]
    image_size: int
    state: dict  # state_dicts of both models, for the input-size demo

    @property
    def concentration(self) -> float | None:
        """How much of the GDC's learned change sits inside the region, over the region's share of the map.

        (mass of |w_final − w_init| inside the region / total mass) / (region area / map area); 1 = no
        preference, higher = the GDC learned where the information is. None without a known region.
        """
        if self.region is None:
            return None
        change = np.abs(self.gdc_weights[-1] - self.gdc_weights[0]).sum(0)
        inside = (change * self.region).sum() / change.sum()
        return float(inside / self.region.mean())

    def relative_weights(self) -> np.ndarray:
        """(M, M) final |GDC weight|, averaged over channels, over its mean: GAP's pattern is 1 everywhere; above
        1 the GDC weighs that position more than an average would. (The scale is left out: the linear layer
        after the head can absorb any scale.)"""
        w = np.abs(self.gdc_weights[-1]).mean(0)
        return w / w.mean()

    def summary(self) -> dict:
        """Plain JSON-able figures of the run."""
        return {"config": asdict(self.config), "gdc_test_acc": self.gdc.test_acc[-1],
                "gap_test_acc": self.gap.test_acc[-1], "concentration": self.concentration,
                "seconds": self.seconds, "classes": self.classes}


def region_on_map(region: np.ndarray, map_size: int) -> np.ndarray:
    """Share of each cell of an M×M map that lies inside an (S, S) image region."""
    s = region.shape[0] // map_size
    return region.reshape(map_size, s, map_size, s).mean((1, 3))


def _evaluate(model, x, y, batch: int = 512) -> tuple[float, float]:
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / len(x), correct / len(x)


def _record(run: HeadRun, model, data) -> None:
    for split, (x, y) in zip(("train", "test"), data):
        loss, acc = _evaluate(model, x, y)
        getattr(run, f"{split}_loss").append(loss)
        getattr(run, f"{split}_acc").append(acc)


def train(config: GDCConfig = GDCConfig(), progress: Callable[[float, str], None] | None = None,
          dataset: Dataset | None = None) -> GDCResult:
    """Train both heads (same backbone architecture, same init seed, same batches) and record every epoch.

    Deterministic for a config on a given machine: seeds fix the data, the init and the batch order.
    """
    start = time.perf_counter()
    data = dataset or build(config.dataset, seed=config.seed, region=config.region)
    with torch_settings(threads=config.threads):  # process-wide: shared guard, restored after
        xtr, ytr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
        xte, yte = torch.from_numpy(data.x_test), torch.from_numpy(data.y_test)
        n_classes = len(data.classes)
        models, runs, opts = {}, {}, {}
        for head in ("gdc", "gap"):
            torch.manual_seed(config.seed)  # both backbones start from the same weights
            models[head] = Classifier(head, config.width, data.size, config.map_size, n_classes)
            body = [p for name, p in models[head].named_parameters() if not name.startswith("head.")]
            groups = [{"params": body, "lr": config.lr}]
            if head == "gdc":
                groups.append({"params": [models[head].head.weight], "lr": config.head_lr})
            opts[head] = torch.optim.Adam(groups)
            runs[head] = HeadRun()
            _record(runs[head], models[head], ((xtr, ytr), (xte, yte)))
        weights = [models["gdc"].head.weight.detach().clone().numpy()]
        init = torch.from_numpy(weights[0])
        order = torch.Generator().manual_seed(config.seed)
        steps = config.epochs * 2
        for epoch in range(config.epochs):
            perm = torch.randperm(len(xtr), generator=order)
            for i, head in enumerate(("gdc", "gap")):
                model, opt = models[head], opts[head]
                model.train()
                for b in range(0, len(perm), config.batch_size):
                    idx = perm[b:b + config.batch_size]
                    loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
                    if head == "gdc" and config.anchor:
                        loss = loss + config.anchor * ((model.head.weight - init) ** 2).sum()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                _record(runs[head], model, ((xtr, ytr), (xte, yte)))
                if progress:
                    progress((2 * epoch + i + 1) / steps, t("gdc.progress", epoch=epoch + 1, epochs=config.epochs,
                                                            head=head.upper()))
            weights.append(models["gdc"].head.weight.detach().clone().numpy())
    region = region_on_map(data.region, config.map_size) if data.region is not None else None
    return GDCResult(config, runs["gdc"], runs["gap"], np.stack(weights), region, time.perf_counter() - start,
                     data.classes, data.size, {k: m.state_dict() for k, m in models.items()})


def load_models(result: GDCResult) -> dict[str, Classifier]:
    """The trained GDC and GAP classifiers of a result, ready for inference."""
    c = result.config
    out = {}
    for head in ("gdc", "gap"):
        m = Classifier(head, c.width, result.image_size, c.map_size, len(result.classes))
        m.load_state_dict(result.state[head])
        out[head] = m.eval()
    return out
