"""A labelled number in Markdown: st.metric's look without its frontend code (the metric, its chart loader and
theme: three to six more files on a student's first visit). Plain Markdown, not HTML, whose renderer is three more."""
from __future__ import annotations

from gconv.text import markdown


def readout(where, label: str, value: str) -> None:
    """Draw label (small, grey) over value (bold) in where (a column or the page)."""
    where.markdown(f":small[:gray[{markdown(label)}]]  \n**{markdown(value)}**")
