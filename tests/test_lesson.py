"""The lesson's questions, each answer against its own oracle: nn.Conv2d's weight, torch autograd (which inputs
an output reads), nn.ChannelShuffle, FlopCounterMode, and GAP vs a weighted sum on swapped halves."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from gconv import ConvSpec, GConvError, i18n
from gconv.lesson import STEPS, check, question

LAYERS = [ConvSpec(C=4, N=4, G=1, K=3, H=6, W=6, padding=1), ConvSpec(C=8, N=12, G=4, K=(3, 1), H=6, W=6),
          ConvSpec(C=16, N=16, G=4, K=1, H=4, W=4), ConvSpec(C=6, N=12, G=6, K=3, H=5, W=5, padding=1)]


def conv(spec: ConvSpec) -> nn.Conv2d:
    return nn.Conv2d(spec.C, spec.N, spec.kernel_size, padding=spec.padding_hw, groups=spec.G, bias=False)


def reads(layers: list, C: int, H: int, W: int, n: int = 0) -> set:
    """Oracle: input channels with a nonzero gradient of output channel n through layers (all-one weights)."""
    x = torch.ones(1, C, H, W, requires_grad=True)
    y = x
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            nn.init.ones_(layer.weight)
        y = layer(y)
    y[0, n].sum().backward()
    return set(torch.nonzero(x.grad[0].abs().sum((1, 2))).flatten().tolist())


def correct(q):
    return next(c for c in q.choices if c.correct)


@pytest.mark.parametrize("spec", LAYERS, ids=str)
def test_weights_per_kernel_is_torchs(spec):
    n = spec.N - 1
    q = question(1, spec, n)
    assert q.answer == conv(spec).weight[n].numel()  # oracle: nn.Conv2d's own weight
    assert check(q, q.answer).correct and not check(q, q.answer + 1).correct
    if spec.G > 1:
        assert check(q, spec.C * spec.kernel_area).misconception == "lesson.mc.all_channels"


@pytest.mark.parametrize("spec", LAYERS, ids=str)
def test_inputs_read_are_torchs(spec):
    n = spec.N // 2
    q = question(2, spec, n)
    c = correct(q)
    assert set(range(c.fields["first"], c.fields["last"] + 1)) == reads([conv(spec)], spec.C, spec.H, spec.W, n)
    assert len(q.choices) == len({(c.key, tuple(c.fields.items())) for c in q.choices})  # no reply twice


def test_the_wrong_group_reply_says_g_must_divide_n_too():
    # The misconception from the issue: "groups must divide both C and N" is often missed. Oracle: nn.Conv2d
    # refuses a G that divides C but not N.
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(8, 6, 3, groups=4)
    spec = ConvSpec(C=8, N=12, G=4, K=3, H=6, W=6, padding=1)
    q = question(2, spec, 7)
    wrong = next(i for i, c in enumerate(q.choices) if c.misconception == "lesson.mc.wrong_group")
    verdict = check(q, wrong)
    from gconv.i18n import t
    text = t(verdict.misconception, **verdict.fields)
    assert "G must divide N as well as C" in text and "N/G = 3" in text and "group n ÷ (N/G) = 2" in text


@pytest.mark.parametrize("spec", LAYERS, ids=str)
def test_share_of_zeros_is_the_dense_masked_kernels(spec):
    q = question(3, spec, 0)
    dense = torch.zeros(spec.N, spec.C, *spec.kernel_size)  # the grouped weight placed in a dense one
    w = conv(spec).weight.detach()
    for n in range(spec.N):
        g = n // (spec.N // spec.G)
        dense[n, g * spec.in_per_group:(g + 1) * spec.in_per_group] = w[n]
    zero = (dense[0] == 0).float().mean().item()
    assert correct(q).fields["share"] == f"{zero:.0%}"


@pytest.mark.parametrize("spec", LAYERS, ids=str)
def test_reach_with_and_without_shuffle_is_torchs(spec):
    q = question(4, spec, 0)
    follow = nn.Conv2d(spec.N, spec.N, 1, groups=spec.G, bias=False)
    plain = reads([conv(spec), follow], spec.C, spec.H, spec.W)
    mixed = reads([conv(spec), nn.ChannelShuffle(spec.G), follow], spec.C, spec.H, spec.W)
    assert correct(q).fields == {"plain": len(plain), "mixed": len(mixed)}


def test_depthwise_is_one_kernel_per_channel():
    spec = STEPS[4][1]
    layer = conv(spec)
    assert layer.weight.shape == (spec.N, 1, *spec.kernel_size)
    assert len({tuple(k.flatten().tolist()) for k in layer.weight}) == spec.N  # N different kernels, none shared
    q = question(5, spec)
    assert correct(q).key == "lesson.c.dw_own"
    assert {c.misconception for c in q.choices if not c.correct} == {"lesson.mc.keras_shared", "lesson.mc.multiplier"}


@pytest.mark.parametrize("N, K", [(64, 3), (16, 5), (256, 3)])
def test_separable_share_is_torchs_flop_ratio(N, K):
    spec = ConvSpec(C=32, N=N, G=1, K=K, H=8, W=8, padding=K // 2)
    x = torch.zeros(1, 32, 8, 8)
    with FlopCounterMode(display=False) as dense:
        conv(spec)(x)
    with FlopCounterMode(display=False) as sep:
        nn.Conv2d(32, N, 1, bias=False)(nn.Conv2d(32, 32, K, padding=K // 2, groups=32, bias=False)(x))
    ratio = sep.get_total_flops() / dense.get_total_flops()
    shown = float(correct(question(6, spec)).fields["ratio"].split("=")[-1])
    assert shown == pytest.approx(ratio, abs=6e-4)  # shown to 3 decimals


def test_only_a_gdc_tells_a_face_from_its_swapped_halves():
    rng = np.random.default_rng(0)
    face = rng.random((8, 7, 7))
    swapped = np.concatenate([face[:, 4:], face[:, :4]], axis=1)  # top and bottom halves exchanged
    assert face.mean((1, 2)) == pytest.approx(swapped.mean((1, 2)), abs=1e-12)  # GAP: the same
    w = rng.random((8, 7, 7))  # any position-dependent (learned) weights
    assert not np.allclose((face * w).sum((1, 2)), (swapped * w).sum((1, 2)))  # GDC: different
    q = question(7, STEPS[6][1])
    assert correct(q).key == "lesson.c.head_gdc"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("step", range(1, 8))
def test_every_reply_reads_in_both_languages(lang, step):
    i18n.use(lang)
    try:
        for spec in [STEPS[step - 1][1], *LAYERS]:
            q = question(step, spec, 1)
            assert i18n.t(q.prompt, **q.fields) and i18n.t(q.explain, **q.fields)
            replies = [q.answer, *(v for v, _ in q.wrong_numbers)] if q.answer is not None else range(len(q.choices))
            for reply in replies:
                v = check(q, reply)
                if q.choices:
                    assert i18n.t(q.choices[reply].key, **q.choices[reply].fields)
                if v.misconception:
                    assert i18n.t(v.misconception, **v.fields)
    finally:
        i18n.use("en")


def test_bad_replies_and_steps_say_what_is_valid():
    spec = STEPS[0][1]
    with pytest.raises(GConvError, match="not a whole number"):
        check(question(1, spec), "seven")
    with pytest.raises(GConvError, match="valid: 0 to"):
        check(question(2, spec), 9)
    with pytest.raises(GConvError, match="valid: 1 to 7"):
        question(8, spec)
