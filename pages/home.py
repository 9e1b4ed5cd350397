"""Home: the story from convolution to GDC in seven pictures, each with its text and its preset."""
import streamlit as st

from gconv import i18n
from gconv.i18n import t
from gconv.lesson import STEPS
from gconv.presets import PRESETS
from pages.shared import router, state, url


@st.cache_resource(show_spinner=False)
def pictures(lang: str) -> dict:
    """The seven figures: the same for every visitor of a language, so built once per server and language."""
    from gconv.plots.story import learned_gdc, story_figures
    from gconv.plots.style import Wire

    run = learned_gdc()
    figures = story_figures(run.relative, t("home.gdc_caption", gdc=f"{run.gdc_acc:.0%}", gap=f"{run.gap_acc:.0%}"))
    return {step: Wire(fig) for step, fig in figures.items()}  # encoded once: plotly re-encodes a figure per draw


def render() -> None:
    st.title(t("home.title"))
    st.markdown(t("home.intro"))
    st.page_link("pages/lesson.py", label=t("home.lesson_link"), icon=":material/school:",
                 query_params=url.link_params(state.current_spec()))
    figures = pictures(i18n.current())
    for step, _, key, view in STEPS:  # the lesson's story: its text, the preset it loads and the page it opens
        with st.container(border=True):
            left, right = st.columns([1, 1], vertical_alignment="center")
            left.markdown(f"#### {t(f'lesson.step.{step}')}\n{t(f'lesson.text.{step}')}")
            preset = PRESETS[key]
            if left.button(t("home.load", title=t(f"preset.{key}")), key=f"story_{key}", on_click=state.load_spec,
                           args=(preset.spec,)):
                # The query string goes with the switch: one written after it would be dropped by the browser.
                st.switch_page(f"pages/{view}.py", query_params=url.link_params(preset.spec))
            # A picture, not a tool: static, so seven of them stay light in the browser.
            right.plotly_chart(figures[step], key=f"picture_{key}", config={"staticPlot": True})
    st.markdown(f"### {t('home.pages_heading')}")
    # One element for the list: each element is a message to every student's browser
    st.markdown("\n".join(f"- {icon} **{t(f'page.{path}')}**: {t(f'home.page.{path}')}"  # material icons: no emoji font
                          for _, icon, path in router.PAGES[1:]))


router.page(render)
