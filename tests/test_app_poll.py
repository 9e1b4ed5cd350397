"""A class on the lesson through AppTest: a teacher (presenter mode) and students as separate sessions sharing the
class store, as separate app processes do. Oracles: the votes each student cast (counted by hand here), the
question as written (which choice is right), and zh.json for the Chinese texts."""
import json

from apptest import chart, run_app, shown
from conftest import ROOT
from gconv.lesson import STEPS, asked_output, question
from gconv.i18n import use
from gconv.poll import Classroom

ZH = json.loads((ROOT / "assets" / "zh.json").read_text())


def teacher(step=2, **params):
    at = run_app("pages/lesson.py", step=step, present=1, **params)
    at.button(key="start_class").click().run()
    assert not at.exception
    return at, at.query_params["class"][0] if isinstance(at.query_params["class"], list) else at.query_params["class"]


def votes_chart(at, step):
    at.run()  # the fragment's next refresh
    fig = chart(at, f"votes_chart_{step}")
    bar = fig["data"][0]
    return list(bar["x"]), list(bar["y"]), list(bar["marker"]["color"])


def test_students_vote_the_teacher_sees_the_spread_then_reveals():
    at, code = teacher()
    assert "teach" in at.query_params and f"Class {code}" in [m.value.strip("# ") for m in at.markdown]
    students = [run_app("pages/lesson.py", **{"class": code, "step": 1}) for _ in range(5)]
    use("en")
    q = question(2, STEPS[1][1], asked_output(STEPS[1][1]), room=code)
    right = [c.correct for c in q.choices].index(True)
    cast = [right, right, (right + 1) % 4, right, (right + 2) % 4]
    for s, answer in zip(students, cast):
        assert s.header[0].value.startswith("2.")  # the class's step, not the link's
        assert "lesson_next" not in [b.key for b in s.button]  # students follow; the teacher moves
        assert "reveal_2" not in [b.key for b in s.button]  # the teacher reveals
        s.radio(key="choice_2").set_value(answer).run()
        s.button(key="check_2").click().run()
        assert s.info and "Your answer is in" in s.info[0].value and not s.success and not s.error
    x, y, colours = votes_chart(at, 2)
    assert x == ["A", "B", "C", "D"] and y == [cast.count(i) for i in range(4)]
    assert len(set(colours)) == 1  # no bar marked before the reveal
    students[4].radio(key="choice_2").set_value(right).run()  # changes its answer: moved, not added
    students[4].button(key="check_2").click().run()
    cast[4] = right
    x, y, _ = votes_chart(at, 2)
    assert y == [cast.count(i) for i in range(4)] and sum(y) == 5
    at.button(key="reveal_2").click().run()
    x, y, colours = votes_chart(at, 2)
    assert x[right].startswith("✓") and colours.count(colours[right]) == 1
    for s in students[:3]:
        s.run()
        assert (s.success if cast[students.index(s)] == right else s.error)  # the verdict after the reveal
        assert any("The answer:" in i.value for i in s.info)


def test_vote_again_empties_the_chart_and_the_students_answers():
    at, code = teacher()
    s = run_app("pages/lesson.py", **{"class": code})
    s.radio(key="choice_2").set_value(1).run()
    s.button(key="check_2").click().run()
    assert votes_chart(at, 2)[1] == [0, 1, 0, 0]
    at.button(key="vote_again_2").click().run()
    assert votes_chart(at, 2)[1] == [0, 0, 0, 0]
    s.run()
    assert s.radio(key="choice_2_r1").value is None and not s.info  # a fresh round on the student's screen too


def test_students_follow_the_teachers_step():
    at, code = teacher()
    s = run_app("pages/lesson.py", **{"class": code})
    assert s.header[0].value.startswith("2.")
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_next").click().run()
    assert at.header[0].value.startswith("4.")
    s.run()  # what the student's watcher triggers within FOLLOW_S seconds
    assert s.header[0].value.startswith("4.") and s.session_state["spec"] == STEPS[3][1]


def test_an_unknown_class_opens_the_lesson_and_says_so():
    s = run_app("pages/lesson.py", **{"class": "QQQQ", "step": 3})
    assert s.header[0].value.startswith("3.") and "check_3" in [b.key for b in s.button]
    assert any("no class QQQQ" in shown(w.value) for w in s.warning)
    s = run_app("pages/lesson.py", **{"class": "12"})
    assert any("not a class code" in shown(w.value) for w in s.warning)


def test_a_wrong_teacher_key_joins_as_a_student():
    _, code = teacher()
    s = run_app("pages/lesson.py", **{"class": code, "teach": "not-the-real-key"})
    assert "check_2" in [b.key for b in s.button] and "reveal_2" not in [b.key for b in s.button]
    assert Classroom.open(code).state()["step"] == 2


def test_a_class_in_chinese():
    at, code = teacher(lang="zh")
    assert f"课堂 {code}" in [m.value.strip("# ") for m in at.markdown]
    s = run_app("pages/lesson.py", **{"class": code, "lang": "zh"})
    use("zh")  # AppTest formats the radio's options in the test's thread
    s.radio(key="choice_2").set_value(0).run()
    s.button(key="check_2").click().run()
    assert s.info[0].value == ZH["poll.recorded"]
    at.run()
    fig = chart(at, "votes_chart_2")
    assert fig["layout"]["title"]["text"] == ZH["poll.chart_title"].format(n=1)
    assert fig["layout"]["yaxis"]["title"]["text"] == ZH["poll.votes"]
    assert at.button(key="vote_again_2").label == ZH["poll.vote_again"]
