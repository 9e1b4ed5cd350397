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
from functools import cache
from pathlib import Path

from .errors import GConvError

ASSETS = Path(__file__).resolve().parent.parent / "assets"
LANGUAGES = ("en", "zh")
DEFAULT = "en"
_current: ContextVar[str] = ContextVar("gconv_language", default=DEFAULT)


@cache
def strings(lang: str) -> dict[str, str]:
    """Every text of one language, by key."""
    if lang not in LANGUAGES:
        raise GConvError(f"unknown language {str(lang)[:16]!r}; valid: {', '.join(LANGUAGES)}")
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


def t(key: str, **fields) -> str:
    """The text for key in this run's language, its placeholders filled. A key missing from the language's file
    is a bug (a test keeps both files' keys equal); it raises KeyError rather than show a half-English page."""
    return strings(current())[key].format(**fields)


def has(key: str) -> bool:
    return key in strings(current())
