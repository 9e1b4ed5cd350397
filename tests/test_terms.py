"""One output cell term by term, against torch's F.conv2d at that cell (exact: small whole numbers in float32)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gconv import ConvSpec, SpecError
from gconv.terms import cell_terms, receptive_field, sample_values
from strategies import valid_specs


def torch_output(spec: ConvSpec, x, w, b) -> np.ndarray:
    """Oracle: nn.functional.conv2d on the same numbers."""
    return F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                    stride=spec.stride_hw, padding=spec.padding_hw, dilation=spec.dilation_hw, groups=spec.G)[0].numpy()


@settings(max_examples=80, deadline=None)
@given(spec=valid_specs(max_channels=8, max_size=8), data=st.data())
def test_the_terms_add_up_to_torchs_output(spec, data):
    x, w, b = sample_values(spec, seed=data.draw(st.integers(0, 99)))
    y = torch_output(spec, x, w, b)
    Ho, Wo = spec.out_hw
    n, i, j = data.draw(st.integers(0, spec.N - 1)), data.draw(st.integers(0, Ho - 1)), data.draw(st.integers(0, Wo - 1))
    cell = cell_terms(spec, x, w, b, n, i, j)
    assert cell.total == y[n, i, j]  # exact: integers in float32
    assert len(cell.terms) == spec.in_per_group * spec.kernel_area  # C/G × Kh × Kw, never another group
    g = n // spec.out_per_group
    assert {t.c for t in cell.terms} == set(range(g * spec.in_per_group, (g + 1) * spec.in_per_group))
    assert all(t.x == 0 for t in cell.terms if t.at is None)  # padded cells read zero


@pytest.mark.parametrize("spec", [
    ConvSpec(C=4, N=4, G=4, K=3, H=6, W=6, padding=1),  # depthwise: one channel per kernel
    ConvSpec(C=4, N=8, G=2, K=3, H=8, W=8, padding=2, dilation=2),  # dilated: taps two apart
    ConvSpec(C=2, N=2, G=2, K=(7, 6), H=7, W=6),  # a GDC: one output cell per channel
])
def test_depthwise_dilated_and_gdc_cells(spec):
    x, w, b = sample_values(spec, seed=3)
    y = torch_output(spec, x, w, b)
    for n in range(spec.N):
        cell = cell_terms(spec, x, w, b, n, 0, 0)
        assert cell.total == y[n, 0, 0]
    if spec.dilation_hw == (2, 2):
        rows = sorted({at[0] for _, at, inside in receptive_field(spec, 2, 2) if inside})
        assert rows == [0, 2, 4]  # 2·1 − 2 + tap·2 for taps 0, 1, 2: holes between the rows read


def test_a_cell_outside_the_output_is_refused():
    spec = ConvSpec(C=2, N=2, G=1, K=3, H=4, W=4)
    x, w, b = sample_values(spec)
    with pytest.raises(SpecError, match="outside the 2×2 output; valid: rows 0 to 1"):
        cell_terms(spec, x, w, b, 0, 2, 0)


def test_the_terms_by_channel_sum_to_the_cell_less_its_bias():
    # Oracle: the cell's own total (itself checked against F.conv2d above); the channels are those of kernel n's group
    from gconv import ConvSpec
    from gconv.connectivity import inputs_of
    from gconv.terms import cell_terms, sample_values

    spec = ConvSpec(C=8, N=8, G=2, K=3, H=5, W=5, padding=1, bias=True)
    x, w, b = sample_values(spec)
    cell = cell_terms(spec, x, w, b, 5, 2, 2)
    parts = cell.by_channel()
    assert list(parts) == list(inputs_of(spec, 5))
    assert abs(sum(part for _, part in parts.values()) + cell.bias - cell.total) < 1e-9
    assert sum(len(terms) for terms, _ in parts.values()) == len(cell.terms) == 4 * 9
