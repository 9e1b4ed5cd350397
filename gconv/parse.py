"""Layer specs from untrusted text (command lines, URL query strings) and back."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from .errors import GConvError
from .spec import ConvSpec, SpecError
from .i18n import say
from .text import outside

FIELDS = ("C", "N", "G", "K", "H", "W", "stride", "padding", "dilation", "bias")
INT_FIELDS = ("C", "N", "G", "H", "W")
PAIR_FIELDS = ("K", "stride", "padding", "dilation")
DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "bias": False}
MAX_TEXT = 32  # longer values are nonsense for any field; refuse before parsing

_INT = re.compile(r"^\s*[+]?\d{1,9}\s*$")
_PAIR = re.compile(r"^\s*\(?\s*(\d{1,9})\s*[x×,*]\s*(\d{1,9})\s*\)?\s*$", re.IGNORECASE)
# A count as students type it: 1024, 1,024, 1 024 (a space, no-break or thin space), 1_024, 1'024; one separator
# throughout, in groups of three. Full-width digits and commas (a Chinese keyboard) are folded first.
_COUNT = re.compile(r"^\d+$|^\d{1,3}([, _'\u00a0\u202f])\d{3}(?:\1\d{3})*$")
_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def parse_int(name: str, text: str) -> int:
    """A whole number from text, or SpecError naming the field: parse_int('C', ' 64') == 64."""
    text = str(text)
    if len(text) > MAX_TEXT or not _INT.match(text):
        raise SpecError(say("err.not_whole", name=name, text=outside(text, MAX_TEXT, quote=True)))
    return int(text)


def parse_pair(name: str, text: str) -> int | tuple[int, int]:
    """An int, or an (h, w) pair written 7x6, 7×6 or 7,6: parse_pair('K', '7x6') == (7, 6)."""
    text = str(text)
    if len(text) <= MAX_TEXT:
        if _INT.match(text):
            return int(text)
        m = _PAIR.match(text)
        if m:
            h, w = int(m.group(1)), int(m.group(2))
            return h if h == w else (h, w)
    raise SpecError(say("err.not_size", name=name, text=outside(text, MAX_TEXT, quote=True)))


def parse_count(name: str, text) -> int:
    """A whole count as students type it, or GConvError: parse_count('reply', '1,024') == parse_count('reply',
    '1 024') == 1024."""
    folded = unicodedata.normalize("NFKC", str(text)).strip()
    if len(folded) > MAX_TEXT or not _COUNT.match(folded):
        raise GConvError(say("err.not_count", name=name, text=outside(text, MAX_TEXT, quote=True)))
    return int(re.sub(r"\D", "", folded))


def parse_bool(name: str, text: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case)."""
    word = str(text).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise SpecError(say("err.not_yes_no", name=name, text=outside(text, MAX_TEXT, quote=True)))


def parse_field(name: str, text: str):
    """One field's value from text, by the field's type."""
    if name in INT_FIELDS:
        return parse_int(name, text)
    if name in PAIR_FIELDS:
        return parse_pair(name, text)
    if name == "bias":
        return parse_bool(name, text)
    raise SpecError(say("err.unknown_field", name=outside(name, MAX_TEXT, quote=True), valid=", ".join(FIELDS)))


def parse_spec(values: Mapping[str, str], defaults: Mapping | None = None) -> ConvSpec:
    """A ConvSpec from text values by field name; missing fields come from defaults (then DEFAULTS).

    >>> parse_spec({"C": "64", "N": "128", "G": "4", "K": "3", "H": "56", "W": "56", "padding": "1"}).kind.value
    'grouped'
    """
    fields = dict(DEFAULTS)
    fields.update(defaults or {})
    unknown = [k for k in values if k not in FIELDS]
    if unknown:
        raise SpecError(say("err.unknown_field", name=outside(unknown[0], MAX_TEXT, quote=True), valid=", ".join(FIELDS)))
    fields.update({k: parse_field(k, v) for k, v in values.items()})
    missing = [k for k in FIELDS if k not in fields]
    if missing:
        raise SpecError(say("err.missing_fields", missing=", ".join(missing)))
    return ConvSpec(**{k: fields[k] for k in FIELDS})


def parse_assignments(args: list[str]) -> dict[str, str]:
    """['C=64', 'N=128'] -> {'C': '64', 'N': '128'}; SpecError for an argument without '='."""
    out = {}
    for a in args:
        key, sep, value = a.partition("=")
        if not sep:
            raise SpecError(say("err.not_assignment", text=outside(a, MAX_TEXT, quote=True)))
        out[key.strip()] = value.strip()
    return out


def format_pair(value: int | tuple[int, int]) -> str:
    """'3' for 3, '7x6' for (7, 6): the text parse_pair reads back."""
    return str(value) if isinstance(value, int) else f"{value[0]}x{value[1]}"


def to_text(spec: ConvSpec) -> dict[str, str]:
    """Every field as text (the inverse of parse_spec): for URLs and command lines."""
    out = {}
    for name in FIELDS:
        v = getattr(spec, name)
        out[name] = ("true" if v else "false") if name == "bias" else format_pair(v)
    return out


def int_in(lo: int, hi: int) -> Callable[[str], int]:
    """A parser for an int in [lo, hi], as a link or a form gives it (GConvError says the range).

    >>> int_in(1, 4)("3"), int_in(1, 4)(" 4 ")
    (3, 4)
    """
    def parse(text: str) -> int:
        v = parse_int("value", text)
        if not lo <= v <= hi:
            raise GConvError(say("err.between", lo=lo, hi=hi))
        return v
    return parse


def one_of(options) -> Callable[[str], object]:
    """A parser for one of a fixed set of text options (GConvError lists them)."""
    def parse(text: str):
        if text not in options:
            raise GConvError(say("err.one_of", valid=", ".join(map(str, options))))
        return text
    return parse


def flag(text: str) -> bool:
    """A parser for a yes/no value (true/false, 1/0, yes/no, on/off)."""
    return parse_bool("value", text)

