"""Text from outside (a file's node names, a link's values) is text: shown as written, never as markup.

One rule, one place. `outside(value)` marks a value that came from a file or a URL: cleaned (no control characters),
shortened with an ellipsis, and wrapped, when a message is filled in (i18n.t, Said), in two private-use characters.
The marks travel inside the message through every f-string and join, so the place that shows it knows which spans
came from outside and escapes exactly those, for what it is: `markdown()` for Streamlit's Markdown (alerts, captions,
the lesson), `plotly()` for figure text (Plotly draws <a href>, <b>, <br>), `cell()` for a table, `csv_cell()` for a
spreadsheet. `unmarked()` is for a terminal. A mark left on a page means a sink forgot, and the tests look for one.

>>> name = outside("[click](https://x.io) **b**")
>>> markdown("layer " + mark(name)).replace(WORD_JOINER, "⁀")
'layer \\\\[click\\\\]\\\\(https\\\\:⁀\\\\/\\\\/x\\\\.io\\\\) \\\\*\\\\*b\\\\*\\\\*'
>>> plotly(outside('<a href="https://x.io">open</a>'))
'&lt;a href="https://x.io"&gt;open&lt;/a&gt;'
>>> outside("x" * 100, limit=8), outside("a\\nb"), outside("it's", limit=8, quote=True)
('xxxxxxx…', 'a b', '"it\\'s"')
>>> csv_cell("=HYPERLINK(1)"), csv_cell("conv1")
("'=HYPERLINK(1)", 'conv1')
"""
from __future__ import annotations

import html
import re
import string

OPEN, CLOSE = "\ue000", "\ue001"  # private use: no font draws them, no file name needs them
_SPAN = re.compile(f"{OPEN}(.*?){CLOSE}", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ue000\ue001]+")
_MARKDOWN = re.compile("([" + re.escape(string.punctuation) + "])")  # CommonMark escapes any ASCII punctuation
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r":/|(?i:www)\.|\w@")  # the scheme's ://, www., an e-mail's @
LIMIT = 120  # characters of a name shown; the rest is an ellipsis (torch names a deep layer in about 60)


class Outside(str):
    """A text from a file or a URL, cleaned and shortened: filled into a message, it is marked."""


def outside(value, limit: int = LIMIT, quote: bool = False, tail: bool = False) -> Outside:
    """value as outside text: control characters (newlines, the marks themselves) become spaces, and a text over
    limit characters keeps limit - 1 and an ellipsis (its end, with tail=True); quote=True writes it as a Python
    literal, as repr() would."""
    text = _CONTROL.sub(" ", str(value))
    if len(text) > limit:
        text = "…" + text[len(text) - limit + 1:] if tail else text[:limit - 1] + "…"
    return Outside(repr(text) if quote else text)


def mark(text: str) -> str:
    """text between the marks (i18n does this for every Outside field it fills in)."""
    return f"{OPEN}{text}{CLOSE}"


def _each_span(text: str, escape) -> str:
    return _SPAN.sub(lambda m: escape(m.group(1)), str(text)).replace(OPEN, "").replace(CLOSE, "")


def marked(value) -> str:
    """The text of a message with its outside spans marked: an Outside (marked whole), a Said or Joined (its fields
    marked), a GConvError that carries one, or a str (a GConvError whose text is a plain str is outside text as a whole: its source is unknown)."""
    from .errors import GConvError

    if isinstance(value, Outside):
        return mark(value)
    if isinstance(value, BaseException):
        said = value.args[0] if value.args else ""
        if hasattr(said, "marked"):
            return said.marked()
        return mark(outside(said, limit=400)) if isinstance(value, GConvError) else str(value)
    return value.marked() if hasattr(value, "marked") else str(value)


def unmarked(value) -> str:
    """For a terminal or a log: the text as written, marks removed."""
    return _each_span(marked(value), str)


def _no_autolink(text: str) -> str:
    """GFM turns a bare https://…, www.… or a@b.c into a link after escapes are read (it rewrites text, not
    syntax), so a word joiner, which no one sees, goes where its patterns need two characters side by side."""
    return _AUTOLINK.sub(lambda m: m.group(0)[:-1] + WORD_JOINER + m.group(0)[-1], text)


def markdown(value) -> str:
    """For Streamlit Markdown: every outside span backslash-escaped, so that no link, image, emphasis, HTML,
    :color[directive], :emoji: or $math$ forms, and no bare address autolinks; the reader sees each character as
    written."""
    return _each_span(marked(value), lambda s: _MARKDOWN.sub(r"\\\1", _no_autolink(s)))


def plotly(value) -> str:
    """For Plotly text (titles, ticks, hover, legend): outside spans HTML-escaped (Plotly turns &lt; back into <)."""
    return _each_span(marked(value), lambda s: html.escape(s, quote=False))


def cell(value) -> str:
    """For a table cell (Streamlit draws cells as text): the text as written."""
    return unmarked(value)


def csv_cell(value):
    """For a CSV cell: a text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading
    apostrophe, as OWASP advises; numbers pass unchanged."""
    if isinstance(value, str):
        value = unmarked(value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def markdown_table(rows: list[dict]) -> str:
    """rows (dicts with the same keys, the first row's keys as the header) as a Markdown table; a cell's | is
    escaped and its line breaks become spaces, so a cell stays one cell. An empty list is an empty string.

    >>> print(markdown_table([{"G": 1, "kind": "a|b"}, {"G": 2, "kind": "c"}]))
    | G | kind |
    |---|---|
    | 1 | a\\|b |
    | 2 | c |
    """
    if not rows:
        return ""
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    head = list(rows[0])
    lines = ["| " + " | ".join(map(cell, head)) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(r.get(k, "")) for k in head) + " |" for r in rows]
    return "\n".join(lines)

