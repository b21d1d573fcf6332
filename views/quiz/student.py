"""A student in a classroom session: join with a code and a nickname, then answer.

The seat is the player token in the URL (``?quiz=…``): a refresh, a locked phone or a new
tab opens the same seat with the same answers. The page holds the open question without
its key; the key and the explanation are drawn only once the teacher closes it.

Everything that changes is one fragment, redrawn every two seconds. An earlier version
polled with a tiny fragment and reran the whole page when the session changed: when the
teacher opened a question, sixty phones ran the whole script in the same two seconds,
and the last waited 2.7 s (bench.load --quiz). Redrawing the live part is a little
dearer per poll and costs nothing extra at a change.
"""

from __future__ import annotations

import time

import streamlit as st

from lessons import quiz
from quiz.store import MAX_NICKNAME, JoinError, Store, StoreError
from ui import fmt
from ui.i18n import current_language, t
from ui.markdown import plain
from views.quiz import common

SEAT_PARAM, JOIN_PARAM = "quiz", "join"


def seat_in_url() -> bool:
    return SEAT_PARAM in st.query_params or JOIN_PARAM in st.query_params


def _leave() -> None:
    st.query_params.pop(SEAT_PARAM, None)
    st.query_params.pop(JOIN_PARAM, None)


def draw(store: Store) -> None:
    token = st.query_params.get(SEAT_PARAM)
    try:
        player = store.player(token) if token else None
    except StoreError as error:
        common.store_error(error)
        return
    if player is None:
        if token:
            st.warning(t("q.student.seat_gone"), icon=":material/event_seat:")
        _join(store)
        return
    try:
        _seat(store, token, player)
    except StoreError as error:
        common.store_error(error)


def _join(store: Store) -> None:
    st.subheader(t("q.join.title"))
    code = str(st.query_params.get(JOIN_PARAM, ""))[:12]
    with st.form("q_join_form"):
        given_code = st.text_input(t("q.join.code"), value=code, max_chars=12,
                                   placeholder="ABC234")
        name = st.text_input(t("q.join.nickname"), max_chars=MAX_NICKNAME)
        pressed = st.form_submit_button(t("q.join.button"), type="primary", width="stretch",
                                        icon=":material/login:")
    if not pressed:
        return
    try:
        token = store.join(given_code, name)
    except JoinError as error:
        st.error(t(f"q.join.{error.reason}", max=MAX_NICKNAME), icon=":material/error:")
        return
    except StoreError as error:
        common.store_error(error)
        return
    st.query_params.pop(JOIN_PARAM, None)
    st.query_params[SEAT_PARAM] = token
    st.rerun()


def _seat(store: Store, token: str, player) -> None:
    info = store.session(player.session_id)
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(t("q.student.seat", name=plain(player.nickname), code=info.join_code))
    c2.button(t("q.student.leave"), on_click=_leave, icon=":material/logout:",
              help=t("q.student.leave_help"))
    _live(store, token, player)


@st.fragment(run_every=quiz.REFRESH_S)
def _live(store: Store, token: str, player) -> None:
    """Everything that changes during a session, redrawn alone every two seconds: the open
    question (or the wait), the score and the answers of closed questions. A question
    opening or closing shows up in the next redraw, and a submit reruns only this part:
    no student's page runs the whole script during a session."""
    lang = current_language()
    try:
        info = store.session(player.session_id)
        states = store.question_states(info.id)
        mine = store.player_answers(token)
        now = quiz.live(info, states, time.time())
        if now.ended:
            st.info(t("q.student.ended"), icon=":material/flag:")
        elif now.open_question is None:
            st.info(t("q.student.waiting"), icon=":material/hourglass_empty:")
        else:
            _open_question(store, token, info, now, mine, lang)
        _score(store, info, player, lang)
    except StoreError as error:
        common.store_error(error)
        return
    _closed(states, mine, lang)


def _open_question(store: Store, token: str, info, now: quiz.Live, mine: dict,
                   lang: str) -> None:
    question = quiz.get(now.open_question)
    st.subheader(t("q.student.question", n=quiz.ordinal(
        info.question_ids.index(now.open_question)), total=len(info.question_ids)))
    if question.id in mine:
        _saved(question, mine[question.id], lang)
        return
    if now.expired:
        st.markdown(question.prompt(lang))
        st.warning(t("q.student.time_up"), icon=":material/timer_off:")
        return
    left = quiz.time_left(info, now.opened_at, time.time())
    if left is not None:
        st.caption(t("q.time_left", s=fmt.num(quiz.whole_seconds(left))))
    slot = st.empty()
    with slot.container():
        given = common.answer_form(quiz.view(question, lang), f"q_live_{question.id}",
                                   t("q.submit"))
    if given is None:
        return
    stored = store.submit(token, question.id, given)
    row = store.player_answers(token).get(question.id)
    if row is None:
        st.error(t("q.student.refused"), icon=":material/timer_off:")
        return
    # Stored (now, or by an earlier tap): the form gives way to what the database holds,
    # in this same run (a rerun of the whole page cost as much again, for every student).
    with slot.container():
        _saved(question, row, lang)
    if not stored:
        st.caption(t("q.student.already"))


def _saved(question, row, lang: str) -> None:
    st.markdown(question.prompt(lang))
    st.success(t("q.student.saved", answer=quiz.answer_text(question, row.answer, lang)),
               icon=":material/cloud_done:")


def _score(store: Store, info, player, lang: str) -> None:
    results = store.results(info.id)
    score, rank = quiz.own_score(results, player.id)
    st.metric(t("q.student.score"), fmt.num(score),
              t("q.student.rank", rank=rank, n=len(results.players)) if rank else None,
              delta_color="off", delta_arrow="off")
    if info.leaderboard and results.players:
        # Markdown, not a dataframe: every student's page redraws it on each change, and a
        # dataframe's Arrow table cost as much as the rest of the page.
        with st.expander(t("q.board.title"), icon=":material/leaderboard:"):
            st.markdown("\n".join(
                t("q.board.row", rank=rank, name=plain(name), score=fmt.num(score))
                for rank, name, score in quiz.leaderboard(results)))


def _closed(states, mine: dict, lang: str) -> None:
    """The answer and explanation of one closed question: the last closed, or another
    one the student picks (one at a time: the part is redrawn every two seconds)."""
    closed = quiz.closed_latest_first(states)
    if not closed:
        return
    st.subheader(t("q.student.closed"))
    titles = {state.question_id: t("q.student.closed_item", n=quiz.ordinal(state.position),
                                   prompt=quiz.short(quiz.get(state.question_id).prompt(lang)))
              for state in closed}
    # A new key when another question closes, so that the newest one is shown first.
    chosen = st.selectbox(t("q.student.review"), list(titles), format_func=titles.get,
                          key=f"q_review_{len(closed)}")
    question, row = quiz.get(chosen), mine.get(chosen)
    st.markdown(question.prompt(lang))
    common.show_reveal(
        quiz.reveal(question, lang), right=None if row is None else row.correct,
        given_text=None if row is None else quiz.answer_text(question, row.answer, lang))
    if row is None:
        st.caption(t("q.student.unanswered"))
