"""Connectivity against brute force: perturb one input channel of real torch convs, see which outputs move."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from gconv import ConvSpec, SpecError, connectivity as cx


def brute_force_reach(layers: list[nn.Module], C: int, H: int = 5, W: int = 5) -> np.ndarray:
    """N×C: output channel n changes when input channel c is perturbed (float64, random weights)."""
    torch.manual_seed(0)
    net = nn.Sequential(*layers).double()
    x = torch.randn(1, C, H, W, dtype=torch.float64)
    with torch.no_grad():
        y0 = net(x)
        cols = []
        for c in range(C):
            xp = x.clone()
            xp[:, c] += 1.0
            cols.append((net(xp) - y0).abs().flatten(2).amax(-1)[0] > 0)
    return torch.stack(cols, dim=1).numpy()


def conv(spec):
    return nn.Conv2d(spec.C, spec.N, spec.K, padding=spec.padding, groups=spec.G)


@st.composite
def layer(draw, C):
    G = draw(st.sampled_from([g for g in range(1, C + 1) if C % g == 0]))
    N = G * draw(st.integers(1, 3))
    return ConvSpec(C=C, N=N, G=G, K=3, H=5, W=5, padding=1)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12).flatmap(layer))
def test_mask_matches_brute_force(spec):
    m = cx.mask(spec)
    assert m.shape == (spec.N, spec.C) and m.dtype == bool
    assert (m == brute_force_reach([conv(spec)], spec.C)).all()
    assert m.sum() == spec.N * spec.in_per_group
    for n in range(spec.N):
        assert list(np.flatnonzero(m[n])) == list(cx.inputs_of(spec, n))


@st.composite
def stacks(draw):
    C = draw(st.sampled_from([4, 6, 8, 12]))
    specs = []
    for _ in range(draw(st.integers(2, 4))):
        spec = draw(layer(C))
        specs.append(spec)
        C = spec.N
    return specs


@settings(max_examples=40, deadline=None)
@given(stacks(), st.booleans())
def test_reachability_matches_brute_force(specs, shuffle):
    layers = []
    for i, spec in enumerate(specs):
        if shuffle and i > 0:
            layers.append(nn.ChannelShuffle(specs[i - 1].G))  # torch's own ShuffleNet shuffle
        layers.append(conv(spec))
    expected = brute_force_reach(layers, specs[0].C)
    assert (cx.reachability(specs, shuffle=shuffle) == expected).all()


@pytest.mark.parametrize("C, G", [(6, 3), (12, 4), (8, 8), (8, 1), (240, 3)])
def test_shuffle_matches_torch_channel_shuffle(C, G):
    x = torch.arange(C, dtype=torch.float32).reshape(1, C, 1, 1)
    assert nn.ChannelShuffle(G)(x).flatten().long().tolist() == cx.shuffle_permutation(C, G).tolist()
    P = cx.shuffle_matrix(C, G)
    assert (P.astype(int) @ np.arange(C) == cx.shuffle_permutation(C, G)).all()


def test_without_shuffle_groups_never_mix():
    # ShuffleNet (Zhang et al. 2018), Fig. 1a: stacked group convs keep each output on one group's inputs.
    specs = [ConvSpec(C=12, N=12, G=3, K=1, H=1, W=1)] * 3
    plain = cx.reachability(specs)
    assert (plain == cx.mask(specs[0])).all()
    assert cx.fraction_reached(plain) == pytest.approx(1 / 3)
    mixed = cx.reachability(specs, shuffle=True)
    assert mixed.all()  # Fig. 1c: after a shuffle every output sees every group


def test_groups_indices():
    spec = ConvSpec(C=8, N=4, G=2, K=1, H=1, W=1)
    assert cx.input_groups(spec).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert cx.output_groups(spec).tolist() == [0, 0, 1, 1]


def test_errors():
    with pytest.raises(SpecError, match="layer 2 reads C=8 channels but layer 1 writes N=4"):
        cx.reachability([ConvSpec(C=4, N=4, G=1, K=1, H=1, W=1), ConvSpec(C=8, N=8, G=1, K=1, H=1, W=1)])
    with pytest.raises(SpecError, match="at least one layer"):
        cx.reachability([])
    with pytest.raises(SpecError, match="valid: 0 to 3"):
        cx.inputs_of(ConvSpec(C=4, N=4, G=1, K=1, H=1, W=1), 4)
    with pytest.raises(SpecError, match="divide"):
        cx.shuffle_permutation(10, 3)


@pytest.mark.parametrize("G", [1, 64, 4096])
def test_large_mask_shape_and_count(G):
    spec = ConvSpec(C=4096, N=4096, G=G, K=1, H=1, W=1)
    m = cx.mask(spec)
    assert m.shape == (4096, 4096) and int(m.sum()) == 4096 * 4096 // G


@pytest.mark.parametrize("C, G", [(6, 3), (12, 4), (240, 3), (8, 2)])
def test_shuffle_figure_draws_torchs_channel_shuffle(C, G):
    # Oracle: nn.ChannelShuffle moves channel values; each drawn line goes from the channel a value leaves to
    # the channel it arrives at.
    import torch

    from gconv.plots.connectivity import shuffle_figure
    moved = torch.nn.ChannelShuffle(G)(torch.arange(C, dtype=torch.float32).reshape(1, C, 1, 1)).flatten()
    arrives = {}
    for t in shuffle_figure(C, G).data:
        if t.mode == "lines":
            xs, ys = np.asarray(t.x, float).reshape(-1, 3), np.asarray(t.y, float).reshape(-1, 3)
            for (x0, x1, _), (y0, y1, _) in zip(xs, ys):
                assert (x0, x1) == (0.0, 1.0)
                arrives[round(y1 * C - 0.5)] = round(y0 * C - 0.5)
    assert arrives == {i: int(moved[i]) for i in range(C)}


def test_a_figure_built_once_is_the_builders_own_and_each_caller_gets_a_copy():
    # Oracle: the undecorated builder's figure. A class asks for the same figure thirty times: built once per
    # arguments and language, handed out as independent copies (projector() changes the one it gets).
    from gconv.i18n import use
    from gconv.plots.connectivity import bipartite
    from gconv.plots.style import projector

    spec = ConvSpec(C=12, N=12, G=3, K=3, H=6, W=6)
    first = bipartite(spec)
    assert first.to_dict() == bipartite.__wrapped__(spec).to_dict()
    projector(first)
    again = bipartite(spec)
    assert again.to_dict() == bipartite.__wrapped__(spec).to_dict() and again.layout.height != first.layout.height
    try:
        use("zh")
        zh = bipartite(spec)
        assert zh.layout.title.text == bipartite.__wrapped__(spec).layout.title.text != again.layout.title.text
    finally:
        use("en")


def test_a_wire_draws_what_the_builder_draws_in_each_language():
    # Oracle: the undecorated builder's figure, as Streamlit sends it (plotly.io.to_json of to_dict()).
    import plotly.io as pio

    from gconv.i18n import use
    from gconv.plots.connectivity import bipartite, reachability_figure
    from gconv.plots.style import Wire

    spec = ConvSpec(C=12, N=12, G=3, K=3, H=6, W=6)
    reach = cx.reachability(cx.follow_up_stack(spec, 2), shuffle=True)
    try:
        for lang in ("en", "zh"):
            use(lang)
            for wire, fig in ((bipartite.wire(spec, selected=4), bipartite.__wrapped__(spec, selected=4)),
                              (reachability_figure.wire(reach, "t"), reachability_figure.__wrapped__(reach, "t"))):
                assert isinstance(wire, Wire)
                assert pio.to_json(wire.to_dict()) == pio.to_json(fig.to_dict())
            assert bipartite.wire(spec, selected=4) is bipartite.wire(spec, selected=4)  # encoded once
            assert bipartite.wire(spec, selected=5).to_dict() != bipartite.wire(spec, selected=4).to_dict()
    finally:
        use("en")


@pytest.mark.parametrize("C, N, G", [(8, 12, 4), (6, 6, 1), (4, 8, 4), (12, 6, 3)])
def test_step_kernel_against_brute_force(C, N, G):
    # Oracle: kernels that read the same input channels (perturbing torch's own grouped conv) form a group, in
    # order of those inputs.
    spec = ConvSpec(C=C, N=N, G=G, K=1, H=1, W=1)
    rows = [tuple(np.flatnonzero(r)) for r in brute_force_reach([nn.Conv2d(C, N, 1, groups=G)], C)]
    groups = sorted(set(rows))
    firsts = [rows.index(g) for g in groups]
    for n in range(N):
        for step in (-2, -1, 1, 2):
            assert cx.step_kernel(spec, n, step) == min(max(n + step, 0), N - 1)
            g = groups.index(rows[n])
            assert cx.step_kernel(spec, n, step, by_group=True) == firsts[min(max(g + step, 0), len(groups) - 1)]
    with pytest.raises(SpecError):
        cx.step_kernel(spec, N, 1)
