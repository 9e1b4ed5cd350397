"""Two languages for what the app shows: English and Simplified Chinese, one JSON file per language in assets/.

Each file maps a key to a text with {named} placeholders, filled by t(key, **fields). The language is set per
script run (each Streamlit session runs in its own thread, and a thread starts with the default context), so
two sessions never see each other's language.

>>> use("zh"); t("lang.name")
'中文'
>>> use("en"); t("lesson.progress", step=3, steps=7)
'Step 3 of 7'
"""
from __future__ import annotations

import json
import string
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import GConvError
from .text import Outside, mark, marked, outside, unmarked

ASSETS = Path(__file__).resolve().parent / "assets"  # a link to the top-level assets/; files in a wheel
LANGUAGES = ("en", "zh")
DEFAULT = "en"
_current: ContextVar[str] = ContextVar("gconv_language", default=DEFAULT)


@cache
def strings(lang: str) -> dict[str, str]:
    """Every text of one language, by key."""
    if lang not in LANGUAGES:
        raise GConvError(say("err.language", lang=outside(lang, 16, quote=True), valid=", ".join(LANGUAGES)))
    return json.loads((ASSETS / f"{lang}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    """The {named} fields a text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def use(lang: str) -> None:
    """Show this run in lang (en or zh)."""
    strings(lang)  # refuses an unknown language
    _current.set(lang)


def current() -> str:
    return _current.get()


def _field(value):
    """A field as it is filled in: outside text between its marks, a nested message with its own marks kept."""
    if isinstance(value, Outside):
        return mark(value)
    if isinstance(value, (Said, Joined)) or (isinstance(value, GConvError) and value.args
                                              and isinstance(value.args[0], (Said, Joined))):
        return marked(value)
    return value


def t(key: str, **fields) -> str:
    """The text for key in this run's language, its placeholders filled; text from outside (gconv.text.Outside)
    comes back marked, for the place that shows it to escape. A key missing from the language's file is a bug (a
    test keeps both files' keys equal); it raises KeyError rather than show a half-English page."""
    return strings(current())[key].format(**{k: _field(v) for k, v in fields.items()})


@dataclass(frozen=True, eq=True)
class Said:
    """A text the library says, kept as its key and fields until it is shown: str() says it in the language of
    the run that shows it, so the CLI prints English and a Chinese page shows Chinese. It pickles, so it crosses
    the timing worker's pipe.

    >>> s = Said("err.must_divide", {"G": 3, "C": 8, "N": 8, "groups": "1, 2, 4, 8"})
    >>> use("en"); str(s)
    'G=3 must divide C=8 and N=8; valid G: 1, 2, 4, 8'
    >>> use("zh"); str(s)
    'G=3 必须整除 C=8 和 N=8；有效的 G：1, 2, 4, 8'
    >>> use("en")
    """

    key: str
    fields: dict = field(default_factory=dict)

    def __hash__(self) -> int:  # its fields are a dict; equal Saids have equal reprs of their fields
        return hash((self.key, tuple(sorted((k, repr(v)) for k, v in self.fields.items()))))

    def marked(self) -> str:
        """The text with its outside spans marked (gconv.text escapes them where it is shown)."""
        return t(self.key, **self.fields)

    def __str__(self) -> str:
        return unmarked(self.marked())

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Joined:
    """Several texts said as one, with a separator that is itself said: "a; b" in English, "a；b" in Chinese."""

    separator: Said
    parts: tuple

    def marked(self) -> str:
        return str(self.separator).join(map(marked, self.parts))

    def __str__(self) -> str:
        return unmarked(self.marked())

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def say(key: str, **fields) -> Said:
    """Said(key, fields), as a call: raise SpecError(say("err.empty_stack"))."""
    return Said(key, fields)


def plain(value):
    """value with every Said in it said now, in this run's language: for JSON, CSV and printing."""
    if isinstance(value, Said):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value
