"""The lesson page and the language through AppTest: steps by link, Next and Back, a wrong reply answered with
its misconception, presenter mode, and bad links repaired. Oracles: the lesson's layers (gconv.lesson.STEPS,
each checked against torch in test_lesson.py) and the language files."""
import json
import re

import pytest

from apptest import chart, run_app, shown
from conftest import ROOT
from gconv.lesson import STEPS
from gconv.parse import to_text

ZH = json.loads((ROOT / "assets" / "zh.json").read_text(encoding="utf-8"))


def test_a_step_link_opens_that_step_with_its_layer():
    at = run_app("pages/lesson.py", step=3)
    assert at.session_state["spec"] == STEPS[2][1]
    assert [h.value for h in at.header] == ["3. Why groups: two GPUs, fewer weights, structured sparsity"]
    assert at.query_params["step"] == ["3"] or at.query_params["step"] == "3"


def test_a_teachers_link_keeps_its_layer():
    at = run_app("pages/lesson.py", step=1, C=8, N=8, G=2, K=3, H=6, W=6, padding=1)
    assert at.session_state["spec"].G == 2  # not the step's standard layer: the teacher chose this one
    assert any("kernel 5 hold" in m.value for m in at.markdown)  # the question follows the layer on screen


def test_next_and_back_move_and_set_each_steps_layer():
    at = run_app("pages/lesson.py", step=1)
    at.button(key="lesson_next").click().run()
    assert at.session_state["spec"] == STEPS[1][1] and at.header[0].value.startswith("2.")
    at.button(key="lesson_back").click().run()
    assert at.session_state["spec"] == STEPS[0][1] and at.header[0].value.startswith("1.")
    assert at.button(key="lesson_back").disabled


def test_wrong_reply_names_its_misconception_and_right_one_explains():
    at = run_app("pages/lesson.py", step=2, n=5)
    options = [o.split(". ", 1)[1] for o in at.radio[0].options]  # "B. input channels 0 to 7": a letter, then it
    at.radio[0].set_value(options.index("input channels 0 to 7")).run()
    at.button(key="check_2").click().run()
    assert "That is a standard conv (G = 1)" in shown(at.error[0].value)
    at.radio[0].set_value(options.index("input channels 4 to 7")).run()  # output 5 of 8 in G=2: group 1
    at.button(key="check_2").click().run()
    assert at.success and at.success[0].value.startswith("Right.")
    at = run_app("pages/lesson.py", step=1)
    at.text_input(key="answer_1").input("seven").run()
    at.button(key="check_1").click().run()
    assert "not a whole number" in shown(at.error[0].value) and not at.exception
    # the forms students type: a thousands separator, a space; C/G × K × K = 4 × 3 × 3 = 36 for step 1's layer
    for typed in ("36", " 36 ", "3 6", "3,6"):
        at.text_input(key="answer_1").input(typed).run()
        at.button(key="check_1").click().run()
        right = typed.strip() == "36"
        assert bool(at.success) == right and bool(at.error) == (not right), typed
        assert not at.exception


def test_reveal_shows_the_answer():
    at = run_app("pages/lesson.py", step=7)
    at.button(key="reveal_7").click().run()
    assert "GDC" in at.info[0].value and "GAP's average is the same" in at.info[0].value


def test_chinese_and_presenter_mode():
    at = run_app("pages/lesson.py", step=4, lang="zh", present=1)
    assert at.header[0].value == ZH["lesson.step.shuffle"]
    assert not at.radio and not at.text_input  # presenter: question and reveal only
    assert any("stSidebar" in h.proto.body for h in at.get("html"))  # the projector style hides the sidebar
    fig = chart(at, "lesson_chart")
    assert fig["layout"]["height"] == 720 and fig["layout"]["font"]["size"] == 18  # a figure for the back row
    at.button(key="leave_present").click().run()
    assert at.radio
    at.button(key="enter_present").click().run()  # and back: the button under the lesson
    assert not at.radio and any("stSidebar" in h.proto.body for h in at.get("html"))
    assert at.query_params["present"] in ("1", ["1"])


def test_bad_links_are_repaired_with_a_notice():
    at = run_app("pages/lesson.py", step=12, lang="fr", present="maybe")
    said = " ".join(shown(w.value) for w in at.warning)
    assert "step='12' ignored" in said and "lang='fr' ignored: valid: en, zh" in said and "present" in said
    assert at.header[0].value.startswith("1.") and not at.exception


def test_language_switch_translates_the_sidebar():
    at = run_app("pages/lesson.py", step=1, edit=1)
    at.segmented_control(key="w_lang").set_value("zh").run()
    assert at.header[0].value == ZH["lesson.step.conv"]
    assert at.number_input(key="w_C").label == ZH["ui.C"]


def test_link_repairs_and_diagnostics_read_in_chinese():
    at = run_app("pages/cost.py", C=99999, G=3, lang="zh")
    said = " ".join(shown(w.value) for w in at.warning)
    assert "C=99999 超出 1 到 4096 的范围" in said and "G=3 必须整除 C=4096 和 N=8" in said and "显示 G=4" in said
    at = run_app("pages/connectivity.py", N="abc", K="9", H="6", W="6", lang="zh")
    said = " ".join(shown(w.value) for w in at.warning)
    # the parser's and the spec's own errors, inside the repair note, in Chinese with no English left
    assert "N='abc' 不是整数" in said and "输出将为空" in said, said
    assert not re.search(r"\b(?:is|not|must|valid|keeping|would|the)\b", said), said
    at = run_app("pages/inspect.py", source="onnx", lang="zh")
    at.get("file_uploader")[0].set_value(("x.onnx", b"PK\x03\x04zip", "application/octet-stream")).run()
    assert any("不是 ONNX 模型" in shown(e.value) for e in at.error), [shown(e.value) for e in at.error]
    at = run_app("pages/inspect.py", model="mobilefacenet", lang="zh")
    assert any("是全局深度卷积" in m.value for m in at.markdown)  # the GDC diagnostic, from the library


@pytest.mark.parametrize("step", [1, 3, 7])
def test_arriving_at_a_step_shows_its_layer_in_the_sidebar_and_link(step):
    # Oracle: the step's own layer (gconv.lesson.STEPS), as its summary and in the link, on the first run.
    at = run_app("pages/lesson.py", step=step)
    layer = STEPS[step - 1].layer
    sidebar = " ".join(shown(c.value) for c in at.sidebar.caption)
    assert layer.summary in sidebar
    for k, v in to_text(layer).items():
        assert at.query_params[k] in (v, [v])
    links = [p for p in at.get("page_link") if "lesson" in p.proto.page]
    assert links and f"C={layer.C}" in links[0].proto.page + str(links[0].proto.query_string)
