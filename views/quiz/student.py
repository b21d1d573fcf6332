"""A student in a classroom session: join with a code and a nickname, then answer.

The seat is the player token in the URL (``?quiz=…``): a refresh, a locked phone or a new
tab opens the same seat with the same answers. The page holds the open question without
its key; the key and the explanation are drawn only once the teacher closes it. A small
fragment polls the session's state every two seconds and reruns the page only when it
changed (a question opened or closed), so a room of waiting phones costs little.
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
    lang = current_language()
    info = store.session(player.session_id)
    states = store.question_states(info.id)
    now = quiz.live(info, states, time.time())
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(t("q.student.seat", name=plain(player.nickname), code=info.join_code))
    c2.button(t("q.student.leave"), on_click=_leave, icon=":material/logout:",
              help=t("q.student.leave_help"))
    mine = store.player_answers(token)
    if now.ended:
        st.info(t("q.student.ended"), icon=":material/flag:")
    elif now.open_question is None:
        st.info(t("q.student.waiting"), icon=":material/hourglass_empty:")
    else:
        _open_question(store, token, info, now, mine, lang)
    _watch(store, info.id, now.signature)
    _score(store, info, player, lang)
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


@st.fragment(run_every=quiz.REFRESH_S)
def _watch(store: Store, session_id: int, signature: tuple) -> None:
    """Every two seconds: has the session changed? Then the whole page reruns. Else the
    time left on the open question, if it has a limit."""
    try:
        info = store.session(session_id)
        now = quiz.live(info, store.question_states(session_id), time.time())
    except StoreError:
        return
    if now.signature != signature:
        st.rerun(scope="app")
    left = quiz.time_left(info, now.opened_at, time.time())
    if left is not None and now.open_question is not None:
        st.caption(t("q.time_left", s=fmt.num(quiz.whole_seconds(left))))


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
    closed = quiz.closed_latest_first(states)
    if not closed:
        return
    st.subheader(t("q.student.closed"))
    for state in closed:
        question = quiz.get(state.question_id)
        row = mine.get(state.question_id)
        title = t("q.student.closed_item", n=quiz.ordinal(state.position),
                  prompt=plain(quiz.short(question.prompt(lang))))
        with st.expander(title, expanded=state is closed[0]):
            st.markdown(question.prompt(lang))
            common.show_reveal(
                quiz.reveal(question, lang), right=None if row is None else row.correct,
                given_text=None if row is None else quiz.answer_text(question, row.answer, lang))
            if row is None:
                st.caption(t("q.student.unanswered"))
