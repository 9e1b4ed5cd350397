"""A class on the lesson (peer instruction): the teacher starts one in presenter mode; students open its link
(?class=CODE), follow the teacher's step, and vote with Check; the teacher sees the spread, asks the class to vote
again after the discussion, then reveals. The class lives in gconv.poll's files, shared by every app process; each
page keeps its class, seat and teacher key in its own link, so a reconnect to another process changes nothing."""
from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from gconv import GConvError, i18n
from gconv.i18n import t
from gconv.poll import Classroom, new_seat, parse_seat, tally
from gconv.text import markdown

from . import url
from .state import fragment

FOLLOW_S = 3  # a student's page asks the class's state this often: "moves within a few seconds"
CHART_S = 2  # the teacher's chart refreshes this often


@dataclass(frozen=True)
class Seat:
    """This page in a class: the room, and either the teacher's key or the student's seat."""

    room: Classroom
    key: str | None  # the teacher's key (None: a student)
    seat: str | None  # the student's seat (None: the teacher)

    @property
    def teaching(self) -> bool:
        return self.key is not None


def _key(text: str) -> str:
    text = str(text).strip()
    if not 8 <= len(text) <= 32 or not all(c.isalnum() or c in "-_" for c in text):
        raise GConvError(t("poll.bad_key"))
    return text


def joined() -> Seat | None:
    """This page's class from its link (?class=, then ?teach= or ?seat=), or None. An unknown or ended class, a
    wrong teacher key or a full class is said, and the lesson goes on without a class."""
    code = url.page_value("class", None, lambda text: Classroom.open(text).code)
    if code is None:
        return None
    room = Classroom(code)
    key = url.page_value("teach", None, _key)
    try:
        if key is not None and not room.teacher(key):
            st.warning(t("poll.not_teacher", code=code), icon=":material/warning:")
            url.set_page_value("teach", None)
            key = None
        seat = None
        if key is None:
            seat = url.page_value("seat", None, parse_seat) or new_seat()
            url.set_page_value("seat", seat)
            room.join(seat)
    except GConvError as e:  # the class ended meanwhile, or is full
        st.warning(markdown(e), icon=":material/warning:")
        url.set_page_value("class", None)
        return None
    url.keep_in_url("class", code)
    url.keep_in_url("teach" if key else "seat", key or seat)
    return Seat(room, key, seat)


def start(step: int) -> None:
    """The teacher's "Start a class" (a button's callback)."""
    try:
        room, key = Classroom.start(step=step)
    except GConvError as e:
        url.set_page_value("class_problem", str(e))
        return
    url.set_page_value("class", room.code)
    url.set_page_value("teach", key)


def moved(step: int) -> None:
    """The teacher moved to step: so does the class (called from the lesson's Back/Next)."""
    code, key = url.page_value("class", None), url.page_value("teach", None)
    if code and key:
        try:
            Classroom(code).set_step(step, key)
        except GConvError as e:
            url.set_page_value("class_problem", str(e))


def state(seat: Seat) -> dict | None:
    """The class's state, or None (and said) when it has ended."""
    try:
        return seat.room.state()
    except GConvError as e:
        st.warning(markdown(e), icon=":material/warning:")
        return None


def fresh_round(seat: Seat, step: int, now: dict) -> None:
    """After the teacher's "Vote again" a student's earlier answer to step no longer counts: clear it here too."""
    round_ = now["rounds"].get(str(step), 0)
    if url.page_value(f"round_{step}", round_) != round_:
        url.set_page_value(f"reply_{step}", None)  # the lesson draws the reply widgets anew for the round
    url.set_page_value(f"round_{step}", round_)


def follow(seat: Seat, step: int, now: dict) -> None:
    """A student's page: rerun as soon as the teacher moves, reveals or asks to vote again."""
    seen = (now["step"], step in now["revealed"], now["rounds"].get(str(step), 0))

    @fragment(run_every=FOLLOW_S)
    def watch():
        try:
            s = seat.room.state()
        except GConvError:
            return  # the class ended: the page says so on its next full run
        if (s["step"], step in s["revealed"], s["rounds"].get(str(step), 0)) != seen:
            st.rerun(scope="app")

    watch()


def teacher_panel(seat: Seat, step: int, q, presenting: bool) -> None:
    """The teacher's live chart of the class's answers, its count, and "Vote again"."""
    room, key = seat.room, seat.key
    from gconv.plots.poll import votes_figure
    from gconv.plots.style import projector

    @fragment(run_every=CHART_S)
    def chart():
        try:
            votes, revealed = room.votes(step), room.revealed(step)
        except GConvError as e:
            st.warning(markdown(e), icon=":material/warning:")
            return
        bars = tally(votes, q.choices or None, q.answer)
        fig = votes_figure(bars, revealed, height=300)
        if presenting:
            fig = projector(fig, height=300)
            fig.update_xaxes(tickfont_size=26)
        st.plotly_chart(fig, key=f"votes_chart_{step}", config={"displayModeBar": False})
        st.caption(t("poll.answered", n=bars.answered, students=room.students()))

    chart()
    if st.button(t("poll.vote_again"), key=f"vote_again_{step}", icon=":material/replay:"):
        room.vote_again(step, key)
        st.rerun()


def invitation(seat: Seat, step: int) -> None:
    """The class code, the students' link and its QR code (drawn here, by segno: nothing is fetched)."""
    import segno

    query = {"class": seat.room.code, "step": step}
    if i18n.current() != i18n.DEFAULT:
        query["lang"] = i18n.current()
    link = f"{st.context.url or ''}?{urlencode(query)}"
    st.markdown(f"### {t('poll.code', code=seat.room.code)}")
    png = io.BytesIO()
    segno.make(link, error="m").save(png, kind="png", scale=6, border=2)
    st.image(png.getvalue(), width=170)
    st.caption(t("poll.join_at"))
    st.caption(link)
