"""The guided lesson: seven steps, each with its layer and one predict-then-reveal question computed from the
layer on screen. A wrong reply is answered with the misconception it reveals (real ones, from users of the big
frameworks). Texts are i18n keys, so the lesson reads in English and Chinese.

>>> from gconv.i18n import use
>>> use("en")
>>> q = question(1, ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1), n=5)
>>> q.answer, check(q, 72).misconception, check(q, 36).correct
(36, 'lesson.mc.all_channels', True)
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from . import connectivity
from .cost import separable_ratio
from .errors import GConvError
from .spec import ConvSpec
from .i18n import say
from .parse import parse_count, to_text
from .text import outside

# The seven steps of the story: (key, the layer the step sets). Small layers, so every edge is drawn.
class Step(NamedTuple):
    """One step of the story, told by the lesson, pictured on Home."""

    name: str  # lesson.step.<name> and lesson.text.<name> in the language files
    layer: ConvSpec  # the small layer the step draws and asks about
    preset: str  # the paper's real layer Home's button loads (gconv.presets)
    view: str  # the page that explores it: connectivity, cost or gdc


# The story from convolution to GDC: the lesson, Home's pictures and their buttons all read this list
STEPS = [
    Step("conv", ConvSpec(C=4, N=4, G=1, K=3, H=6, W=6, padding=1), "standard", "connectivity"),
    Step("group", ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6, padding=1), "resnext", "connectivity"),
    # AlexNet conv2: 5×5, G=2 (one half per GPU)
    Step("sparsity", ConvSpec(C=8, N=8, G=2, K=5, H=6, W=6, padding=2), "alexnet_conv2", "connectivity"),
    Step("shuffle", ConvSpec(C=16, N=16, G=4, K=1, H=6, W=6), "shufflenet_1x1", "connectivity"),
    Step("depthwise", ConvSpec(C=6, N=6, G=6, K=3, H=6, W=6, padding=1), "mobilenet_dw", "connectivity"),
    Step("separable", ConvSpec(C=32, N=64, G=1, K=3, H=8, W=8, padding=1), "separable", "cost"),
    Step("gdc", ConvSpec(C=8, N=8, G=8, K=7, H=7, W=7), "mobilefacenet_gdc", "gdc"),
]


@dataclass(frozen=True)
class Choice:
    """One reply to a multiple-choice question: its text key and fields, and the misconception it reveals (None:
    the right reply)."""

    key: str
    fields: dict = field(default_factory=dict)
    misconception: str | None = None

    @property
    def correct(self) -> bool:
        return self.misconception is None


@dataclass(frozen=True)
class Question:
    """What the step asks: a number (answer) or a choice among choices; explain says why, after the reveal."""

    step: int
    prompt: str
    fields: dict
    explain: str
    answer: int | None = None
    choices: tuple[Choice, ...] = ()
    wrong_numbers: tuple[tuple[int, str], ...] = ()  # (a wrong number, the misconception it reveals)


@dataclass(frozen=True)
class Verdict:
    correct: bool
    misconception: str | None  # i18n key; None when correct, or for a wrong reply with no known cause
    fields: dict


def _span(r: range) -> dict:
    return {"first": r.start, "last": r.stop - 1}


def asked_output(spec: ConvSpec) -> int:
    """The output channel the questions ask about: one past the middle, so with G > 1 it is not in group 0 and
    "inputs 0 to C/G − 1" is a wrong reply.

    >>> asked_output(ConvSpec(C=8, N=8, G=2, K=3, H=6, W=6))
    5
    """
    return min(spec.N - 1, spec.N // 2 + 1)


def question(step: int, spec: ConvSpec, n: int = 0, room: str = "") -> Question:
    """The question of step (1 to 7) for the layer on screen and its output channel n, its choices in a fair order:
    the same for one step, layer and class (room) on every screen, so a teacher can say "option C".

    >>> from gconv.i18n import use
    >>> use("en")
    >>> q = question(2, STEPS[1][1], n=5, room="ABCD")
    >>> [c.correct for c in q.choices] == [c.correct for c in question(2, STEPS[1][1], n=5, room="ABCD").choices]
    True
    """
    q = _question(step, spec, n)
    if not q.choices:
        return q
    return replace(q, choices=tuple(q.choices[i] for i in choice_order(q, spec, room)))


def choice_order(q: Question, spec: ConvSpec, room: str = "") -> list[int]:
    """The order to show q's choices in (place j shows q.choices[order[j]]): seeded by the step, the layer and the
    class. The right one goes to place (seed + step) mod k, so two steps in a row with k choices never put it in one
    place; the wrong ones fill the other places in a seeded order.

    >>> from gconv.i18n import use
    >>> use("en")
    >>> places = [[c.correct for c in question(s, STEPS[s - 1][1], 1).choices].index(True) for s in range(2, 8)]
    >>> len(set(places)) > 1  # the right answer is not always in one place
    True
    """
    k = len(q.choices)
    layer = ",".join(f"{name}={value}" for name, value in sorted(to_text(spec).items()))
    seed = int.from_bytes(hashlib.sha256(f"{q.step}|{layer}|{room}".encode()).digest()[:8], "big")
    right = next(i for i, c in enumerate(q.choices) if c.correct)
    wrong = [i for i in range(k) if i != right]
    random.Random(seed).shuffle(wrong)
    at = (seed + q.step) % k
    return wrong[:at] + [right] + wrong[at:]


def _question(step: int, spec: ConvSpec, n: int = 0) -> Question:
    """The question of step as written: the right choice first."""
    if not 1 <= step <= len(STEPS):
        raise GConvError(say("err.step", step=step, steps=len(STEPS)))
    n = min(max(n, 0), spec.N - 1)
    key = STEPS[step - 1][0]
    kh, kw = spec.kernel_size
    base = dict(n=n, C=spec.C, N=spec.N, G=spec.G, K=f"{kh}×{kw}", cg=spec.in_per_group)
    if key == "conv":
        answer = spec.in_per_group * kh * kw
        wrong = [(spec.C * kh * kw, "lesson.mc.all_channels"), (spec.N * spec.in_per_group * kh * kw,
                                                                 "lesson.mc.whole_layer"),
                 (kh * kw, "lesson.mc.one_channel"), (answer + 1, "lesson.mc.bias")]
        return Question(step, "lesson.q.conv", base, "lesson.x.conv", answer=answer,
                        wrong_numbers=tuple((v, m) for v, m in wrong if v != answer))
    if key == "group":
        own = connectivity.inputs_of(spec, n)
        g = connectivity.group_of(spec, n)
        other = connectivity.group_inputs(spec, (g + 1) % spec.G)
        options = [Choice("lesson.c.inputs", _span(own)), Choice("lesson.c.inputs", _span(range(spec.C)),
                                                                 "lesson.mc.reads_all"),
                   Choice("lesson.c.inputs", _span(range(n % spec.C, n % spec.C + 1)), "lesson.mc.one_to_one"),
                   Choice("lesson.c.inputs", _span(other), "lesson.mc.wrong_group")]
        return Question(step, "lesson.q.group", {**base, "g": g, "per": spec.out_per_group, **_span(own)},
                        "lesson.x.group",
                        choices=_distinct(options))
    if key == "sparsity":
        zero = 1 - 1 / spec.G
        options = [Choice("lesson.c.share", {"share": f"{zero:.0%}"}),
                   Choice("lesson.c.share", {"share": f"{1 / spec.G:.0%}"}, "lesson.mc.kept_vs_zero"),
                   Choice("lesson.c.nothing_zero", {"shape": f"[{spec.N}, {spec.in_per_group}, {kh}, {kw}]"},
                          "lesson.mc.shape_inconsistent")]
        return Question(step, "lesson.q.sparsity", {**base, "shape": f"[{spec.N}, {spec.in_per_group}, {kh}, {kw}]"},
                        "lesson.x.sparsity", choices=_distinct(options))
    if key == "shuffle":
        stack = connectivity.follow_up_stack(spec, 2)
        plain = int(connectivity.reachability(stack, shuffle=False)[0].sum())
        mixed = int(connectivity.reachability(stack, shuffle=True)[0].sum())
        options = [Choice("lesson.c.reach", {"plain": plain, "mixed": mixed}),
                   Choice("lesson.c.reach", {"plain": plain, "mixed": plain}, "lesson.mc.shuffle_no_effect"),
                   Choice("lesson.c.reach", {"plain": spec.C, "mixed": spec.C}, "lesson.mc.groups_mix_anyway")]
        return Question(step, "lesson.q.shuffle", {**base, "plain": plain, "mixed": mixed}, "lesson.x.shuffle",
                        choices=_distinct(options))
    if key == "depthwise":
        options = [Choice("lesson.c.dw_own"), Choice("lesson.c.dw_shared", {}, "lesson.mc.keras_shared"),
                   Choice("lesson.c.dw_multiplier", {}, "lesson.mc.multiplier")]
        return Question(step, "lesson.q.depthwise", {**base, "m": spec.N // spec.C if spec.N % spec.C == 0 else 1},
                        "lesson.x.depthwise", choices=tuple(options))
    if key == "separable":
        area = kh * kw
        options = [Choice("lesson.c.ratio", {"ratio": f"1/{spec.N} + 1/{area} = {separable_ratio(spec.N, (kh, kw)):.3f}"}),
                   Choice("lesson.c.ratio", {"ratio": f"1/{area} = {1 / area:.3f}"}, "lesson.mc.forgot_depthwise"),
                   Choice("lesson.c.ratio", {"ratio": f"1/{spec.N} = {1 / spec.N:.3f}"}, "lesson.mc.forgot_pointwise")]
        return Question(step, "lesson.q.separable", base, "lesson.x.separable", choices=_distinct(options))
    options = [Choice("lesson.c.head_gdc"), Choice("lesson.c.head_gap", {}, "lesson.mc.gap_sees_layout"),
               Choice("lesson.c.head_both", {}, "lesson.mc.gap_sees_layout"),
               Choice("lesson.c.head_neither", {}, "lesson.mc.same_pixels")]
    return Question(step, "lesson.q.gdc", base, "lesson.x.gdc", choices=tuple(options))


def _distinct(options: list[Choice]) -> tuple[Choice, ...]:
    """Drop a wrong reply that reads the same as an earlier one (G = 1 makes 'own group' and 'all' the same)."""
    seen, out = set(), []
    for c in options:
        sig = (c.key, tuple(sorted(c.fields.items())))
        if sig not in seen:
            seen.add(sig)
            out.append(c)
    return tuple(out)


def number_reply(q: Question, text) -> int:
    """A typed reply to a number question as a count ("1,024", "1024", "1 024"), or GConvError with an example."""
    try:
        return parse_count("reply", text)
    except GConvError:
        raise GConvError(say("err.reply_number", reply=outside(text, 16, quote=True), example=f"{q.answer:,}"))


def check(q: Question, reply) -> Verdict:
    """Is reply right? A number for a number question, a choice's index for a choice question."""
    if q.answer is not None:
        value = reply if isinstance(reply, int) else number_reply(q, reply)
        if value == q.answer:
            return Verdict(True, None, {})
        known = dict(q.wrong_numbers)
        return Verdict(False, known.get(value), {**q.fields, "reply": value, "answer": q.answer})
    if not isinstance(reply, int) or not 0 <= reply < len(q.choices):
        raise GConvError(say("err.choice", reply=outside(reply, 16, quote=True), last=len(q.choices) - 1))
    c = q.choices[reply]
    return Verdict(c.correct, c.misconception, {**q.fields, **c.fields})
