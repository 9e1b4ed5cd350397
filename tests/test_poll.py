"""Peer instruction's library: the fair order of the choices, counts as students type them, and the class store
(gconv.poll) with real processes. Oracles: the questions as written (the right choice first, each wrong one with
its misconception), Python's int() on the digits, collections.Counter over the votes cast, and the files on disk."""
import multiprocessing
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from gconv import GConvError
from gconv.i18n import use
from gconv.lesson import STEPS, _question, check, question
from gconv.parse import parse_count
from gconv.poll import LIFETIME_S, MAX_CLASSES, MAX_STUDENTS, Classroom, parse_code, tally

CHOICE_STEPS = range(2, 8)
ROOMS = ["", "ABCD", "KMRT", "ZZZZ", "QXPA", "HJKL"]


@pytest.fixture(autouse=True)
def english():
    use("en")


def shown(step, room):
    spec = STEPS[step - 1][1]
    return question(step, spec, 1, room=room), _question(step, spec, 1)


@pytest.mark.parametrize("step", CHOICE_STEPS)
@pytest.mark.parametrize("room", ROOMS)
def test_the_order_is_a_permutation_that_keeps_each_choices_verdict(step, room):
    q, written = shown(step, room)
    assert sorted(map(repr, q.choices)) == sorted(map(repr, written.choices))
    for place, choice in enumerate(q.choices):
        was = written.choices.index(choice)
        assert check(q, place) == check(written, was)


@pytest.mark.parametrize("room", ROOMS)
def test_the_order_is_the_same_on_every_screen_and_the_right_answer_moves(room):
    places = []
    for step in CHOICE_STEPS:
        a, _ = shown(step, room)
        b, _ = shown(step, room)  # another screen: the same step, layer and class
        assert a.choices == b.choices
        places.append([c.correct for c in a.choices].index(True))
    assert len(set(places)) > 1, places  # across the steps, not always one place
    assert places != [0] * len(places)


def test_the_order_depends_on_the_class():
    for step in (2, 7):
        orders = {tuple(map(repr, shown(step, room)[0].choices)) for room in ROOMS}
        assert len(orders) > 1, step


@pytest.mark.parametrize("typed, value", [
    ("1024", 1024), ("1,024", 1024), ("1 024", 1024), (" 1024 ", 1024), ("1\u00a0024", 1024), ("1\u202f024", 1024),
    ("１０２４", 1024), ("１，０２４", 1024), ("12,345,678", 12345678), ("0", 0), ("1_024", 1024), ("٣٦", 36),
])
def test_counts_as_students_type_them(typed, value):
    assert parse_count("reply", typed) == value == int("".join(ch for ch in typed if ch.isdigit()) or "x")


@pytest.mark.parametrize("typed", ["", "seven", "1,02", "10,24", "1.024", "-5", "1e3", "1,024 000", "1 0 2 4",
                                   "9" * 40, "1,,024"])
def test_anything_else_is_a_clear_message(typed):
    with pytest.raises(GConvError) as e:
        parse_count("reply", typed)
    assert "valid" in str(e.value)


def test_a_typed_count_checks_like_the_number():
    q = question(1, STEPS[0][1])
    assert q.answer == 4 * 3 * 3  # C/G x K x K of step 1's layer
    assert check(q, "36").correct and check(q, " 36 ").correct
    big = question(1, STEPS[0][1].__class__(C=64, N=64, G=1, K=5, H=8, W=8))
    assert big.answer == 1600 and check(big, "1,600").correct and check(big, "1 600").correct
    with pytest.raises(GConvError, match="1,600"):  # the example is written as the class would
        check(big, "16,00")


def test_codes_are_four_letters_typed_in_any_case():
    assert parse_code(" kmrt ") == "KMRT"
    for bad in ("KMR", "KMRT1", "KM-T", "", "ÄBCD"):
        with pytest.raises(GConvError, match="valid"):
            parse_code(bad)


def test_a_class_counts_one_answer_per_student_and_clears_on_vote_again(tmp_path):
    room, key = Classroom.start(tmp_path, step=2)
    cast = {f"seat{i:03d}": i % 3 for i in range(12)}
    for seat, answer in cast.items():
        room.vote(seat, 2, answer)
    room.vote("seat000", 2, 2)  # changes its mind: replaced, not counted twice
    cast["seat000"] = 2
    assert room.votes(2) == cast and room.answered(2) == 12 and room.students() == 12
    assert tally(room.votes(2), [type("C", (), {"correct": i == 1})() for i in range(3)]).counts == tuple(
        Counter(cast.values())[i] for i in range(3))
    assert room.votes(3) == {}  # another step's votes are its own
    assert not room.revealed(2)
    room.reveal(2, key)
    assert room.revealed(2)
    room.vote_again(2, key)
    assert room.votes(2) == {} and not room.revealed(2)
    room.vote("seat005", 2, 1)
    assert room.votes(2) == {"seat005": 1}
    room.set_step(4, key)
    assert Classroom.open(room.code, tmp_path).state()["step"] == 4


def test_only_the_teachers_key_moves_reveals_or_clears(tmp_path):
    room, key = Classroom.start(tmp_path)
    assert room.teacher(key) and not room.teacher("x" * 12) and not room.teacher(None)
    for act in (lambda k: room.set_step(3, k), lambda k: room.reveal(2, k), lambda k: room.vote_again(2, k)):
        with pytest.raises(GConvError, match="teacher"):
            act("not-the-key")
    assert room.state()["step"] == 1 and room.state()["revealed"] == []


def test_unknown_and_ended_classes_are_said(tmp_path):
    with pytest.raises(GConvError, match="no class ABCD"):
        Classroom.open("ABCD", tmp_path)
    room, _ = Classroom.start(tmp_path)
    old = time.time() - LIFETIME_S - 60
    os.utime(room.folder / "state.json", (old, old))
    with pytest.raises(GConvError, match=f"no class {room.code}"):
        Classroom.open(room.code, tmp_path)


def test_votes_older_than_a_day_are_dropped(tmp_path):
    room, _ = Classroom.start(tmp_path)
    room.vote("seat001", 2, 0)
    room.vote("seat002", 2, 1)
    stale = next(p for p in (room.folder / "votes").rglob("seat001"))
    old = time.time() - LIFETIME_S - 60
    os.utime(stale, (old, old))
    assert room.votes(2) == {"seat002": 1} and not stale.exists()


def test_a_class_holds_at_most_500_students(tmp_path):
    room, _ = Classroom.start(tmp_path)
    for i in range(MAX_STUDENTS):
        room.join(f"seat{i:04d}")
    room.join("seat0007")  # a student already seated comes back
    with pytest.raises(GConvError, match=f"at most {MAX_STUDENTS}"):
        room.join("latecomer")
    with pytest.raises(GConvError, match="full"):
        room.vote("latecomer", 2, 0)
    assert room.students() == MAX_STUDENTS == 500


def test_a_server_holds_at_most_200_open_classes_and_idle_ones_close(tmp_path):
    rooms = [Classroom.start(tmp_path)[0] for _ in range(MAX_CLASSES)]
    assert len({r.code for r in rooms}) == MAX_CLASSES == 200
    with pytest.raises(GConvError, match="200 open classes"):
        Classroom.start(tmp_path)
    old = time.time() - LIFETIME_S - 60
    os.utime(rooms[0].folder / "state.json", (old, old))
    Classroom.start(tmp_path)  # the idle class made room
    assert not rooms[0].folder.exists()


def _voter(args):
    root, code, seats, start = args
    room = Classroom(code, root)
    while time.time() < start:  # every process votes at the same moment
        time.sleep(0.001)
    for seat in seats:
        room.vote(seat, 3, int(seat[-1]) % 3)
    return len(seats)


def test_a_burst_of_200_votes_from_real_processes_is_all_counted(tmp_path):
    room, _ = Classroom.start(tmp_path)
    seats = [f"burst{i:03d}" for i in range(200)]
    start = time.time() + 1.0
    jobs = [(str(tmp_path), room.code, seats[i::8], start) for i in range(8)]
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        assert sum(pool.map(_voter, jobs)) == 200
    votes = room.votes(3)
    assert votes == {s: int(s[-1]) % 3 for s in seats}
    assert room.students() == 200
    assert not [p for p in Path(room.folder).rglob(".tmp-*")]  # no half-written file left behind
