"""Self-study: one question at a time, instant feedback, a score and the mistakes."""

from __future__ import annotations

import streamlit as st

from lessons import quiz
from ui import fmt, urlstate
from ui.i18n import current_language, t
from views.quiz import common, controls

STATE = "_quiz_self"


def _start(topics, count, generated, seed) -> None:
    drawn = quiz.self_study(topics, count, seed=seed, generated=generated)
    st.session_state[STATE] = {"ids": [q.id for q in drawn], "position": 0, "given": {},
                               "settings": (topics, count, generated, seed)}


def _again(settings: tuple) -> None:
    """Another quiz: the next seed, in the seed control (and the link) too."""
    following = quiz.next_draw(settings)
    urlstate.set_value(controls.TABLE["q_seed"], following[3])
    _start(*following)


def _next() -> None:
    st.session_state[STATE]["position"] += 1


def draw() -> None:
    lang = current_language()
    # Closed at first: the first question is the first thing a visitor sees.
    with st.expander(t("q.self.settings"), icon=":material/tune:"):
        settings = controls.draw_draw()
        c1, c2 = st.columns(2)
        c1.button(t("q.self.start"), type="primary", on_click=_start, args=settings,
                  icon=":material/play_arrow:", width="stretch")
        c2.button(t("q.reset"), on_click=controls.reset, icon=":material/restart_alt:",
                  help=t("q.reset_help"), width="stretch")
    controls.publish()
    if STATE not in st.session_state:  # the first visit: a quiz at once, on the defaults
        _start(*settings)
    state = st.session_state[STATE]
    if state["settings"] != settings:
        st.caption(t("q.self.changed"))
    ids, position, given = state["ids"], state["position"], state["given"]
    total = len(ids)
    if not total:
        st.warning(t("q.self.none"))
        return
    if position >= total:
        _summary(ids, given, lang, settings)
        return
    question = quiz.get(ids[position])
    st.progress(quiz.progress(position, total),
                text=t("q.self.progress", n=quiz.ordinal(position), total=total))
    if question.id not in given:
        answer = common.answer_form(quiz.view(question, lang), f"self_{question.id}",
                                    t("q.check"))
        if answer is None:
            return
        given[question.id] = answer
    else:
        st.markdown(question.prompt(lang))
    answer = given[question.id]
    common.show_reveal(quiz.reveal(question, lang), right=question.grade(answer),
                       given_text=quiz.answer_text(question, answer, lang))
    st.button(t("q.next") if quiz.ordinal(position) < total else t("q.finish"),
              on_click=_next, type="primary", icon=":material/arrow_forward:")


def _summary(ids, given, lang, settings) -> None:
    score = quiz.self_score(ids, given)
    st.subheader(t("q.self.done"))
    st.metric(t("q.self.score"), t("q.self.score_value", right=score.right, total=score.total),
              t("q.self.percent", pct=fmt.pct(score.share)), delta_color="off",
              delta_arrow="off")
    st.button(t("q.self.again"), type="primary", on_click=_again, args=(settings,),
              icon=":material/replay:")
    if not score.mistakes:
        st.success(t("q.self.perfect"), icon=":material/celebration:")
        return
    st.subheader(t("q.self.mistakes"))
    for question_id in score.mistakes:
        question = quiz.get(question_id)
        with st.container(border=True):
            st.markdown(question.prompt(lang))
            common.show_reveal(quiz.reveal(question, lang), right=False,
                               given_text=quiz.answer_text(question, given[question_id], lang))
