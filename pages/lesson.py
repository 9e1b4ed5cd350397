"""Lesson: the story's seven steps, one screen each; each sets its layer, draws it and asks one predict-then-reveal
question computed from the layer on screen. The step lives in the URL (?step=3); ?present=1 is for a projector."""
import streamlit as st

from gconv import ConvSpec, GConvError, connectivity
from gconv.i18n import t
from gconv.text import markdown
from gconv.lesson import STEPS, asked_output, check, number_reply, question
from gconv.poll import choice_letter
from gconv.parse import int_in
from pages.shared import classroom, poll, router, state, url

STEP_COUNT = len(STEPS)


def figure(key: str, spec: ConvSpec, n: int, shown: bool, wire: bool = False):
    """The step's figure, drawn by the library's builders for the layer on screen. Until the answer is shown
    (checked or revealed) it is the plain layer: the step's own figure would give the answer away. wire: the
    builder's encoded-once form, for drawing as it is (a projector's figure is changed first, so it is not)."""
    from gconv.plots.connectivity import bipartite, mask_figure, reachability_figure
    from gconv.plots.cost import separable_figure
    from gconv.plots.story import gdc_vs_gap_figure, learned_gdc

    def use(builder):
        return builder.wire if wire else builder

    if not shown and key != "gdc":
        return use(bipartite)(spec)
    if key == "sparsity":
        return use(mask_figure)(spec)
    if key == "shuffle":
        stack = connectivity.follow_up_stack(spec, 2)
        reach = connectivity.reachability(stack, shuffle=True)
        return use(reachability_figure)(reach, t("lesson.shuffle_reach", G=spec.G,
                                                 fraction=f"{connectivity.fraction_reached(reach):.0%}"))
    if key == "separable":
        return use(separable_figure)(spec)
    if key == "gdc":
        run = learned_gdc()
        caption = t("lesson.gdc_caption", gdc=f"{run.gdc_acc:.0%}", gap=f"{run.gap_acc:.0%}") if shown else ""
        return use(gdc_vs_gap_figure)(run.relative, caption)
    return use(bipartite)(spec, selected=n)


def go_to(step: int) -> None:
    """Move to step and set its layer (a button's callback: before the run, so the sidebar follows)."""
    url.set_page_value("step", step)
    url.set_page_value("layer_step", step)
    state.load_spec(STEPS[step - 1][1])
    poll.moved(step)


def ask(step: int, q, presenting: bool, seat: poll.Seat | None) -> bool:
    """The question, the reply, the verdict; True once the answer is on screen. In a class a student's Check is a
    vote and the verdict waits for the teacher's reveal; the teacher sees the class's answers instead of a reply."""
    st.markdown(f"**{t(q.prompt, **q.fields)}**")
    state = url.page_value(f"reply_{step}", None)
    revealed = seat.room.revealed(step) if seat else url.page_value(f"revealed_{step}", False)
    reply = None
    student = not presenting and not (seat and seat.teaching)
    round_ = url.page_value(f"round_{step}", 0) if seat else 0
    fresh = f"_r{round_}" if round_ else ""  # after "Vote again" a new widget: the browser forgets the old pick
    if student:  # a projector shows the question and reveals; students answer on their own screens
        if q.answer is not None:
            reply = st.text_input(t("lesson.your_answer"), key=f"answer_{step}{fresh}")
        else:
            reply = st.radio(t("lesson.pick"), range(len(q.choices)), index=None, key=f"choice_{step}{fresh}",
                             format_func=lambda k: f"{choice_letter(k)}. {t(q.choices[k].key, **q.choices[k].fields)}")
    left, right = st.columns(2)
    if student and left.button(t("lesson.check"), key=f"check_{step}", disabled=reply in (None, "")):
        state = reply
        if seat:
            try:
                seat.room.vote(seat.seat, step, reply if q.answer is None else number_reply(q, reply))
            except GConvError as e:  # not a number, or the class ended
                st.error(markdown(e))
                state = None
        url.set_page_value(f"reply_{step}", state)
    if not student and q.choices:  # the projector lists the choices by letter: "option C" means one thing
        st.markdown("\n".join(f"- **{choice_letter(i)}.** {t(c.key, **c.fields)}" for i, c in enumerate(q.choices)))
    if (seat is None or seat.teaching) and right.button(t("lesson.reveal"), key=f"reveal_{step}"):
        if seat:
            seat.room.reveal(step, seat.key)
        else:
            url.set_page_value(f"revealed_{step}", True)
        revealed = True
    if state not in (None, "") and seat and not revealed:
        st.info(t("poll.recorded"), icon=":material/how_to_vote:")
    elif state not in (None, ""):
        try:
            verdict = check(q, state)
        except GConvError as e:
            st.error(markdown(e))  # the reply is outside text
        else:
            if verdict.correct:
                st.success(f"{t('lesson.right')} {t(q.explain, **q.fields)}")
            elif verdict.misconception:
                st.error(f"{t('lesson.wrong')} {t(verdict.misconception, **verdict.fields)}")
            else:
                st.error(t("lesson.wrong_unknown", answer=_answer(q)))
    if revealed:
        st.info(f"{t('lesson.answer_is', answer=_answer(q))}. {t(q.explain, **q.fields)}")
    return revealed or (state not in (None, "") and not seat)


def _answer(q) -> str:
    if q.answer is not None:
        return f"{q.answer:,}"
    place, c = next((i, c) for i, c in enumerate(q.choices) if c.correct)
    return f"{choice_letter(place)}. {t(c.key, **c.fields)}"


def render() -> None:
    presenting = classroom.presenting()
    teachers_link = url.link_had("step") and url.link_had_layer()
    seat = poll.joined()
    now = poll.state(seat) if seat else None
    if seat and now is None:
        seat = None
    step = url.page_value("step", 1, int_in(1, STEP_COUNT))
    if seat and not seat.teaching and now["step"] != step and 1 <= now["step"] <= STEP_COUNT:
        step = now["step"]  # a student follows the teacher's step
        go_to(step)  # and its layer: the sidebar, drawn after the page, shows it
    if url.page_value("layer_step", None) is None:
        # First arrival: a lesson link that names its layer keeps it; otherwise the step sets its own layer.
        url.set_page_value("layer_step", step)
        if not teachers_link:
            state.load_spec(STEPS[step - 1][1])  # the sidebar, drawn after the page, shows it
    url.keep_in_url("step", step)
    spec = state.current_spec()
    key = STEPS[step - 1][0]
    problem = url.page_value("class_problem", None)
    if problem:
        st.warning(problem, icon=":material/warning:")
        url.set_page_value("class_problem", None)
    if seat and not seat.teaching:
        poll.fresh_round(seat, step, now)
        poll.follow(seat, step, now)
    if not presenting:
        st.title(t("lesson.title"))
        st.caption(t("lesson.intro"))
    st.caption(t("lesson.progress", step=step, steps=STEP_COUNT))
    st.header(t(f"lesson.step.{key}"))
    n = asked_output(spec) if key in ("group", "conv") else 0
    inviting = seat and seat.teaching
    widths = ([2, 3] if not presenting else [1, 1]) if not inviting else [5, 6, 3]
    left, right, *side = st.columns(widths)
    with left:
        st.markdown(t(f"lesson.text.{key}"))
        if not presenting:
            kh, kw = spec.kernel_size
            st.caption(t("lesson.layer_note", C=spec.C, N=spec.N, G=spec.G, K=f"{kh}×{kw}"))
        q = question(step, spec, n, room=seat.room.code if seat else "")
        shown = ask(step, q, presenting, seat)
    fig = figure(key, spec, n, shown, wire=not presenting)
    if presenting:
        from gconv.plots.style import projector

        fig = projector(fig, height=600 if inviting else 720)
    right.plotly_chart(fig, key=f"lesson_chart_{step}", config={"displayModeBar": False})
    if side:
        with side[0]:
            poll.invitation(seat, step)
            poll.teacher_panel(seat, step, q, presenting)
    if seat and not seat.teaching:
        st.caption(t("poll.following", code=seat.room.code))
    else:
        back, _, forward = st.columns([1, 2, 1])
        back.button(t("lesson.back"), key="lesson_back", on_click=go_to, args=(step - 1,), disabled=step == 1,
                    shortcut="Left", icon=":material/arrow_back:", width="stretch")
        forward.button(t("lesson.next"), key="lesson_next", on_click=go_to, args=(step + 1,), type="primary",
                       disabled=step == STEP_COUNT, shortcut="Right", icon=":material/arrow_forward:",
                       width="stretch")
        st.caption(t("lesson.keys"))
    if presenting:
        if seat is None:
            st.button(t("poll.start"), key="start_class", on_click=poll.start, args=(step,),
                      icon=":material/groups:", help=t("poll.start_help"))
        st.button(t("lesson.leave_present"), key="leave_present", on_click=classroom.leave_presenter)
    elif not seat:
        # A button, not a toggle: it only enters the mode (Leave presenter mode is on the projector's page), and a
        # toggle's code would be two more files on every student's first visit.
        st.button(t("lesson.present"), key="enter_present", icon=":material/slideshow:", help=t("lesson.present_help"),
                  on_click=classroom.enter_presenter)


router.page(render)
