"""Peer instruction: a class's current step and its votes, in files under state_dir()/classes, so every app
process of the machine (several behind one address) sees one class and a restart loses no vote.

One folder per class: state.json (the teacher's step, each step's voting round and reveal), seats/ (one empty file
per student: the class's size) and votes/STEP-ROUND/SEAT (one file per student and step: its content is the
answer). A vote is written to a temporary file and renamed over the seat's file, so answering again replaces the
earlier answer, a reader never sees half a file, and concurrent voters need no lock. The state is changed under a
file lock. Anything older than a day is dropped.

>>> import tempfile
>>> root = tempfile.mkdtemp()
>>> room, key = Classroom.start(root)
>>> room.join("seat01"); room.join("seat02")
>>> room.vote("seat01", 2, 0); room.vote("seat02", 2, 1); room.vote("seat01", 2, 1)  # seat01 changes its mind
>>> sorted(room.votes(2).values()), room.answered(2)
([1, 1], 2)
>>> room.vote_again(2, key); room.votes(2)
{}
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import GConvError
from .i18n import say
from .text import outside

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: a code is read off a projector and typed
CODE_LENGTH = 4  # 24**4 = 331,776 codes
MAX_STUDENTS = 500  # per class
MAX_CLASSES = 200  # open at once on one machine
LIFETIME_S = 24 * 3600  # a class, and each vote, is dropped a day after it was last written
TOP_NUMBERS = 4  # a number question's chart: the most common answers, then "other"
_CODE = re.compile(rf"^[{LETTERS}]{{{CODE_LENGTH}}}$")
_SEAT = re.compile(r"^[a-z0-9]{6,16}$")


def classes_dir(root: str | os.PathLike | None = None) -> Path:
    """Where the classes live: root, or state_dir()/classes (shared by the machine's app processes)."""
    if root is not None:
        return Path(root)
    from .machine import state_dir

    return state_dir() / "classes"


def parse_code(text) -> str:
    """A class code as typed (any case, spaces around): parse_code(' abcd ') == 'ABCD'; else GConvError."""
    code = str(text).strip().upper()
    if not _CODE.match(code):
        raise GConvError(say("err.class_code", text=outside(text, 16, quote=True), n=CODE_LENGTH))
    return code


def new_seat() -> str:
    """An anonymous student's seat: random, kept in the student's own link so a reconnect keeps its vote."""
    return secrets.token_hex(5)


def parse_seat(text) -> str:
    """A seat from a link, or GConvError."""
    seat = str(text).strip().lower()
    if not _SEAT.match(seat):
        raise GConvError(say("err.seat", text=outside(text, 16, quote=True)))
    return seat


def _write(path: Path, text: str) -> None:
    """Write path whole or not at all: a temporary file in the same folder, renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lock(path: Path):
    from filelock import FileLock

    return FileLock(str(path), timeout=30)


def _fresh(path: Path, now: float) -> bool:
    try:
        return now - path.stat().st_mtime < LIFETIME_S
    except FileNotFoundError:
        return False


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Classroom:
    """One class: its code, the teacher's step, the votes. Open one by code (Classroom.open) or start one."""

    def __init__(self, code: str, root: str | os.PathLike | None = None):
        self.code = code
        self.folder = classes_dir(root) / code

    @classmethod
    def start(cls, root: str | os.PathLike | None = None, step: int = 1) -> tuple[Classroom, str]:
        """A new class at step, and the teacher's key (only its holder moves the class, reveals and clears votes).
        Refused with GConvError while MAX_CLASSES are open; classes idle for a day are removed first."""
        base = classes_dir(root)
        base.mkdir(parents=True, exist_ok=True)
        now = time.time()
        with _lock(base / ".lock"):
            open_codes = []
            for folder in base.iterdir():
                if not _CODE.match(folder.name):
                    continue
                if _fresh(folder / "state.json", now):
                    open_codes.append(folder.name)
                else:
                    shutil.rmtree(folder, ignore_errors=True)
            if len(open_codes) >= MAX_CLASSES:
                raise GConvError(say("err.classes_full", n=MAX_CLASSES))
            while True:
                code = "".join(secrets.choice(LETTERS) for _ in range(CODE_LENGTH))
                if code not in open_codes:
                    break
            room = cls(code, root)
            shutil.rmtree(room.folder, ignore_errors=True)
            (room.folder / "seats").mkdir(parents=True)
            (room.folder / "votes").mkdir()
            key = secrets.token_urlsafe(9)
            _write(room.folder / "state.json", json.dumps({"step": step, "rounds": {}, "revealed": [],
                                                           "teacher": _hash(key)}))
        return room, key

    @classmethod
    def open(cls, code: str, root: str | os.PathLike | None = None) -> Classroom:
        """The class with this code, or GConvError when there is none (never started, or over a day idle)."""
        room = cls(parse_code(code), root)
        if not _fresh(room.folder / "state.json", time.time()):
            raise GConvError(say("err.class_unknown", code=room.code))
        return room

    def state(self) -> dict:
        """{'step': the teacher's step, 'rounds': {step: voting round}, 'revealed': [steps revealed]}."""
        try:
            return json.loads((self.folder / "state.json").read_text())
        except FileNotFoundError:
            raise GConvError(say("err.class_unknown", code=self.code))

    def teacher(self, key: str | None) -> bool:
        """True when key is this class's teacher key."""
        return bool(key) and secrets.compare_digest(self.state()["teacher"], _hash(str(key)))

    def _change(self, key: str, change) -> None:
        with _lock(self.folder / ".lock"):
            state = self.state()
            if not secrets.compare_digest(state["teacher"], _hash(str(key))):
                raise GConvError(say("err.not_teacher", code=self.code))
            change(state)
            _write(self.folder / "state.json", json.dumps(state))

    def set_step(self, step: int, key: str) -> None:
        """Move the class to step (the teacher's pages follow; the students' follow within seconds)."""
        self._change(key, lambda s: s.update(step=int(step)))

    def reveal(self, step: int, key: str) -> None:
        """Show step's answer on every screen, and mark the right bar on the teacher's chart."""
        self._change(key, lambda s: s.update(revealed=sorted({*s["revealed"], int(step)})))

    def vote_again(self, step: int, key: str) -> None:
        """A new round for step: the earlier votes no longer count (and are removed), the reveal is undone."""
        def change(s):
            s["rounds"][str(step)] = s["rounds"].get(str(step), 0) + 1
            s["revealed"] = [r for r in s["revealed"] if r != int(step)]
        self._change(key, change)
        for old in (self.folder / "votes").glob(f"{int(step)}-*"):
            shutil.rmtree(old, ignore_errors=True)

    def revealed(self, step: int) -> bool:
        return int(step) in self.state()["revealed"]

    def join(self, seat: str) -> None:
        """Take a seat (once per student; again is a no-op), or GConvError when the class is full."""
        path = self.folder / "seats" / parse_seat(seat)
        if path.exists():
            return
        with _lock(self.folder / ".lock"):
            if not path.exists():
                if sum(1 for _ in (self.folder / "seats").iterdir()) >= MAX_STUDENTS:
                    raise GConvError(say("err.class_full", code=self.code, n=MAX_STUDENTS))
                path.touch()

    def _round_dir(self, step: int, state: dict | None = None) -> Path:
        state = state or self.state()
        return self.folder / "votes" / f"{int(step)}-{state['rounds'].get(str(int(step)), 0)}"

    def vote(self, seat: str, step: int, answer: int) -> None:
        """Record seat's answer to step (a choice's place on screen, or a number); a new answer replaces the last."""
        seat = parse_seat(seat)
        if not (self.folder / "seats" / seat).exists():
            self.join(seat)
        folder = self._round_dir(step)
        folder.mkdir(parents=True, exist_ok=True)
        _write(folder / seat, str(int(answer)))
        os.utime(self.folder / "state.json")  # a class with votes is in use: it stays open another day

    def votes(self, step: int) -> dict[str, int]:
        """{seat: answer} of step's current round; votes over a day old are dropped."""
        folder, now, out = self._round_dir(step), time.time(), {}
        if not folder.is_dir():
            return out
        for path in folder.iterdir():
            if path.name.startswith("."):
                continue
            if not _fresh(path, now):
                path.unlink(missing_ok=True)
                continue
            try:
                out[path.name] = int(path.read_text())
            except (FileNotFoundError, ValueError):  # replaced or removed between listing and reading
                continue
        return out

    def answered(self, step: int) -> int:
        return len(self.votes(step))

    def students(self) -> int:
        return sum(1 for _ in (self.folder / "seats").iterdir())


@dataclass(frozen=True)
class Tally:
    """A step's votes as bars: labels (A, B, ... or numbers), counts, which bar is right (None: no bar is, e.g. no
    one gave the right number), the votes in no bar (other numbers) and how many answered."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    right: int | None
    other: int
    answered: int


def tally(votes: dict[str, int], choices: Sequence | None = None, answer: int | None = None) -> Tally:
    """Bars for a choice question (choices: its choices in screen order, each with .correct; a vote is a place)
    or a number question (answer: the right number; the TOP_NUMBERS most common answers, then 'other').

    >>> from types import SimpleNamespace as C
    >>> tally({"a": 0, "b": 2, "c": 2}, [C(correct=False), C(correct=False), C(correct=True)])
    Tally(labels=('A', 'B', 'C'), counts=(1, 0, 2), right=2, other=0, answered=3)
    >>> t = tally({"a": 36, "b": 72, "c": 36, "d": 9, "e": 5, "f": 4, "g": 3}, answer=36)
    >>> t.labels, t.counts, t.right, t.other
    (('36', '3', '4', '5'), (2, 1, 1, 1), 0, 2)
    """
    answers = list(votes.values())
    if choices is not None:
        counts = Counter(a for a in answers if 0 <= a < len(choices))
        return Tally(tuple(choice_letter(i) for i in range(len(choices))),
                     tuple(counts[i] for i in range(len(choices))),
                     next((i for i, c in enumerate(choices) if c.correct), None), 0, len(answers))
    counts = Counter(answers)
    top = [v for v, _ in sorted(counts.items(), key=lambda vc: (-vc[1], vc[0]))[:TOP_NUMBERS]]
    bars = tuple(counts[v] for v in top)
    return Tally(tuple(f"{v:,}" for v in top), bars, top.index(answer) if answer in top else None,
                 len(answers) - sum(bars), len(answers))


def choice_letter(place: int) -> str:
    """The letter a teacher says for the choice at place: 0 -> 'A'."""
    return "ABCDEFGH"[place]
