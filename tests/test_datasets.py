"""Dataset builders: balanced labels, the region where the class is decided, determinism, clean splits."""
import numpy as np
import pytest

from gconv import GConvError
from gconv.gdc import datasets as ds


@pytest.mark.parametrize("region", ds.REGIONS)
def test_synthetic_region_decides_the_class(region):
    d = ds.synthetic(region, n_train=60, n_test=20, seed=3, noise=0.0)
    x = np.concatenate([d.x_train, d.x_test])[:, 0]
    y = np.concatenate([d.y_train, d.y_test])
    assert np.bincount(y).tolist() == [40, 40]  # balanced exactly
    cross, square = ds._cross().sum(), ds._square().sum()
    inside = (x * ds.region_mask(region)).sum((1, 2))
    total = x.sum((1, 2))
    assert np.allclose(total, cross + square)  # every image holds one cross and one square
    # Brute force: the pattern whose ink lies in the region is the label's (class 0: the cross).
    for img, label, ink in zip(x, y, inside):
        ys, xs = np.nonzero(img * ds.region_mask(region))
        assert len(ys), "nothing in the region"
        expected = ds._cross() if label == 0 else ds._square()
        # find the patch that matches the expected pattern around the region's ink
        found = any(np.array_equal(img[a:a + ds.PATTERN, b:b + ds.PATTERN], expected)
                    for a in range(max(0, ys.min() - ds.PATTERN), ys.max() + 1)
                    for b in range(max(0, xs.min() - ds.PATTERN), xs.max() + 1))
        assert found


def test_synthetic_is_deterministic():
    a, b, c = ds.synthetic(seed=1, n_train=50, n_test=10), ds.synthetic(seed=1, n_train=50, n_test=10), \
        ds.synthetic(seed=2, n_train=50, n_test=10)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


def test_region_masks():
    for region in ds.REGIONS:
        m = ds.region_mask(region)
        assert m.shape == (24, 24) and 0.05 < m.mean() < 0.35
    centre = ds.region_mask("centre")
    assert centre[12, 12] and not centre[0, 0]
    assert ds.region_mask("corner")[0, 0]
    assert not ds.region_mask("ring")[12, 12]
    with pytest.raises(GConvError, match="valid: centre"):
        ds.region_mask("middle")


def _rows(x):
    return {r.tobytes() for r in x.reshape(len(x), -1)}


@pytest.mark.parametrize("task", ["face", "aligned"])
def test_faces_split_without_leaks(task):
    d = ds.faces(task, seed=0)
    assert d.size == ds.FACE_SIZE and d.x_train.dtype == np.float32
    assert not (_rows(d.x_train) & _rows(d.x_test))  # no image in both splits
    assert np.bincount(d.y_train).tolist()[0] == np.bincount(d.y_train).tolist()[1]
    assert len(d.x_test) > 0.25 * (len(d.x_train) + len(d.x_test))
    if task == "aligned":
        # the swapped version of a test face is in the test set, never in the train set
        swapped = np.concatenate([d.x_test[..., 12:, :], d.x_test[..., :12, :]], axis=-2)
        assert not (_rows(swapped) & _rows(d.x_train))


def test_digits():
    d = ds.digits(seed=0)
    assert d.x_train.shape[1:] == (1, 8, 8) and d.x_train.max() <= 1
    assert len(d.x_train) + len(d.x_test) == 1797
    assert sorted(np.unique(d.y_test).tolist()) == list(range(10))


def test_build_and_map_sizes():
    assert ds.map_sizes("synthetic") == [2, 3, 4, 6, 8, 12, 24]
    assert ds.map_sizes("digits") == [2, 4, 8]
    with pytest.raises(GConvError, match="valid: synthetic"):
        ds.build("imagenet")
