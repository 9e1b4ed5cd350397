"""What the page says above itself: a link's and the controls' problems (never a traceback), and who holds the
device while a job waits."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from gconv.i18n import t
from gconv.text import markdown

from .state import FIX_NOTES, PROBLEMS, session


def show_problems() -> None:
    """The URL's and the controls' problems, as readable messages above the page; a link's are shown once."""
    ss = session()
    for p in ss.get(PROBLEMS, []):
        st.warning(markdown(p), icon=":material/warning:")  # a link's values are outside text
    notes = ss.get(FIX_NOTES, [])
    if notes:
        st.error(markdown(t("ui.not_valid") + " " + " ".join(notes[:1]) + (
            "\n\n" + t("ui.nearest_valid") + " " + "; ".join(notes[1:]) if len(notes) > 1 else "")),
            icon=":material/block:")
    ss[PROBLEMS] = []


def device_wait_note(slot) -> Callable[[], None]:
    """An on_wait callback for gconv.machine.DEVICE: says in slot which job holds the device while this one queues."""
    from gconv.machine import DEVICE

    return lambda: slot.info(t("ui.device_wait", holder=DEVICE.holder or t("job.any"), waiting=DEVICE.waiting),
                             icon=":material/hourglass_empty:")
