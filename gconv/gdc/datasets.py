"""Offline image datasets for the GDC vs GAP lab: synthetic "where, not what", aligned faces, digits.

Every builder is deterministic for a seed and returns a Dataset of float32 images (n, 1, S, S) in [0, 1]
with integer labels, already split into train and test (no image is in both).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import GConvError
from ..i18n import say
from ..text import outside

REGIONS = ("centre", "eyes", "corner", "ring")
SYNTHETIC_SIZE = 24
FACE_SIZE = 24  # lfw_subset's 25×25 crops, resized so that maps of 4, 6, 8 and 12 divide it
PATTERN = 5  # side of the cross and the square, in pixels


@dataclass
class Dataset:
    """Train and test images (n, 1, S, S) float32 in [0, 1], labels (n,) int64, and what the classes mean."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    region: np.ndarray | None = None  # (S, S) bool: the informative region, when it is known
    notes: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        """S, the side of the square images."""
        return self.x_train.shape[-1]


def _cross() -> np.ndarray:
    p = np.zeros((PATTERN, PATTERN), np.float32)
    p[PATTERN // 2, :] = p[:, PATTERN // 2] = 1
    return p


def _square() -> np.ndarray:
    p = np.ones((PATTERN, PATTERN), np.float32)
    p[1:-1, 1:-1] = 0
    return p


def region_mask(region: str, size: int = SYNTHETIC_SIZE) -> np.ndarray:
    """(size, size) bool mask of an informative region: centre, eyes (two spots), corner, or ring."""
    yy, xx = np.mgrid[:size, :size] + 0.5
    c = size / 2
    r = size / 6  # the centre square and each eye have side 2r = size/3
    if region == "centre":
        return (abs(yy - c) < r) & (abs(xx - c) < r)
    if region == "eyes":
        return (abs(yy - size * 0.3) < r * 0.75) & ((abs(xx - size * 0.27) < r * 0.75) | (abs(xx - size * 0.73) < r * 0.75))
    if region == "corner":
        return (yy < 2 * r) & (xx < 2 * r)
    if region == "ring":
        d = np.hypot(yy - c, xx - c)
        return (d > size * 0.28) & (d < size * 0.44)
    raise GConvError(say("err.region", region=outside(region, 32, quote=True), valid=", ".join(REGIONS)))


def _placements(mask: np.ndarray, inside: bool) -> np.ndarray:
    """Top-left corners where a PATTERN×PATTERN patch lies fully inside (or fully outside) the mask."""
    size = mask.shape[0]
    out = []
    for y in range(size - PATTERN + 1):
        for x in range(size - PATTERN + 1):
            patch = mask[y:y + PATTERN, x:x + PATTERN]
            if (patch.all() if inside else not patch.any()):
                out.append((y, x))
    if not out and inside:  # a region thinner than the pattern: its centre must fall inside
        out = [(y, x) for y in range(size - PATTERN + 1) for x in range(size - PATTERN + 1)
               if mask[y + PATTERN // 2, x + PATTERN // 2]]
    return np.array(out)


def synthetic(region: str = "centre", n_train: int = 1200, n_test: int = 400, seed: int = 0,
              size: int = SYNTHETIC_SIZE, noise: float = 0.1) -> Dataset:
    """Every image holds one cross and one square; the label is which of them sits in the region.

    Class 0: the cross is in the region (the square elsewhere); class 1: the square is. Both classes hold
    the same two patterns, so a global average of shift-equivariant features cannot tell them apart.
    Labels are balanced exactly.

    >>> d = synthetic(n_train=10, n_test=4)
    >>> d.x_train.shape, d.y_train.tolist().count(0)
    ((10, 1, 24, 24), 5)
    """
    rng = np.random.default_rng(seed)
    mask = region_mask(region, size)
    inside, outside = _placements(mask, True), _placements(mask, False)
    patterns = (_cross(), _square())
    n = n_train + n_test
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    x = np.zeros((n, 1, size, size), np.float32)
    for i, label in enumerate(labels):
        in_pat, out_pat = patterns[label], patterns[1 - label]
        y0, x0 = inside[rng.integers(len(inside))]
        while True:  # the other pattern anywhere outside the region, not touching the first
            y1, x1 = outside[rng.integers(len(outside))]
            if abs(int(y1) - int(y0)) > PATTERN or abs(int(x1) - int(x0)) > PATTERN:
                break
        x[i, 0, y0:y0 + PATTERN, x0:x0 + PATTERN] = in_pat
        x[i, 0, y1:y1 + PATTERN, x1:x1 + PATTERN] = np.maximum(x[i, 0, y1:y1 + PATTERN, x1:x1 + PATTERN], out_pat)
    x += rng.normal(0, noise, x.shape).astype(np.float32)
    x = np.clip(x, 0, 1)
    return Dataset(f"synthetic-{region}", x[:n_train], labels[:n_train].astype(np.int64), x[n_train:],
                   labels[n_train:].astype(np.int64), ["cross in region", "square in region"], region=mask,
                   notes={"region": region})


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (n, H, W) images to (n, size, size) with torch (no extra dependency)."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(images.astype(np.float32)).unsqueeze(1)
    return F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False).squeeze(1).numpy()


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int):
    """Stratified shuffle split: the same share of each class goes to the test set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test[idx[:int(round(len(idx) * test_fraction))]] = True
    return x[~test], y[~test], x[test], y[test]


def faces(task: str = "face", seed: int = 0, size: int = FACE_SIZE, test_fraction: float = 0.3) -> Dataset:
    """skimage.data.lfw_subset(): 100 aligned faces and 100 non-face patches (shipped with scikit-image).

    task="face": face vs non-face. task="aligned": each face as it is vs the same face with its top and
    bottom halves swapped (eyes below the mouth): same pixels, different layout. Faces are split into
    train and test before the swap, so no face appears in both.
    """
    from skimage.data import lfw_subset

    images = _resize(lfw_subset(), size)[:, None]  # first 100 are faces, the rest are not
    if task == "face":
        labels = np.r_[np.zeros(100), np.ones(100)].astype(np.int64)
        xtr, ytr, xte, yte = _split(images, labels, test_fraction, seed)
        return Dataset("faces-face", xtr, ytr, xte, yte, ["face", "non-face"], notes={"task": task})
    if task == "aligned":
        faces_only = images[:100]
        ids = np.zeros(100, np.int64)
        xtr, _, xte, _ = _split(faces_only, ids, test_fraction, seed)

        def both(x):
            swapped = np.concatenate([x[..., size // 2:, :], x[..., :size // 2, :]], axis=-2)
            return np.concatenate([x, swapped]), np.r_[np.zeros(len(x)), np.ones(len(x))].astype(np.int64)

        (xtr, ytr), (xte, yte) = both(xtr), both(xte)
        return Dataset("faces-aligned", xtr, ytr, xte, yte, ["aligned face", "halves swapped"],
                       notes={"task": task})
    raise GConvError(say("err.faces_task", task=outside(task, 32, quote=True)))


def digits(seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """sklearn.datasets.load_digits(): 1,797 handwritten digits, 8×8, ten classes (shipped with scikit-learn)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    xtr, ytr, xte, yte = _split(x, d.target.astype(np.int64), test_fraction, seed)
    return Dataset("digits", xtr, ytr, xte, yte, [str(i) for i in range(10)])


DATASETS = ("synthetic", "faces", "faces-aligned", "digits")
WIDTHS = (4, 8, 16, 24, 32)  # backbone channels C a run may have (the app's slider, the CLI's choices)
EPOCHS = (1, 20)  # a run's epochs, inclusive: each takes seconds on a CPU
SEEDS = (0, 2**31 - 1)  # torch and numpy both take these
IMAGE_SIZES = {"synthetic": SYNTHETIC_SIZE, "faces": FACE_SIZE, "faces-aligned": FACE_SIZE, "digits": 8}
# What each dataset is, in words: in the language files (gdc.describe.<name>), shown by the lab.


def sizes_dividing(image_size: int) -> list[int]:
    """Backbone output map sizes for square images of a side: divisors 2 and up (average pooling tiles them).

    >>> sizes_dividing(24)
    [2, 3, 4, 6, 8, 12, 24]
    """
    return [m for m in range(2, image_size + 1) if image_size % m == 0]


def map_sizes(name: str) -> list[int]:
    """Valid backbone output map sizes for a dataset: divisors of its image size, 2 and up."""
    if name not in IMAGE_SIZES:
        raise GConvError(say("err.dataset", name=outside(name, 32, quote=True), valid=", ".join(DATASETS)))
    return sizes_dividing(IMAGE_SIZES[name])


PREFERRED_MAP = 12  # the lab's default map: fine enough to show where the GDC looks, trains in seconds


def default_map_size(name: str) -> int:
    """The lab's map size for a dataset: 12×12 where 12 divides the image, else the largest valid size.

    >>> default_map_size("synthetic"), default_map_size("digits")
    (12, 8)
    """
    sizes = map_sizes(name)
    return PREFERRED_MAP if PREFERRED_MAP in sizes else max(sizes)


def build(name: str, seed: int = 0, region: str = "centre") -> Dataset:
    """A dataset by name: synthetic (with a region), faces (face vs non-face), faces-aligned, digits."""
    if name == "synthetic":
        return synthetic(region, seed=seed)
    if name == "faces":
        return faces("face", seed=seed)
    if name == "faces-aligned":
        return faces("aligned", seed=seed)
    if name == "digits":
        return digits(seed=seed)
    raise GConvError(say("err.dataset", name=outside(name, 32, quote=True), valid=", ".join(DATASETS)))
