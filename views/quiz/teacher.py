"""The teacher: passcode, a new session, the join code and its QR code, open and close
questions, live answers (a fragment refreshed every two seconds), results and CSV."""

from __future__ import annotations

import io
import time

import segno
import streamlit as st

from lessons import quiz
from quiz import access
from quiz.store import Store, StoreError
from ui import charts, fmt, layout
from ui.i18n import current_language, t
from ui.markdown import plain
from views.quiz import common, controls

AUTH, SESSION, FAILS = "_quiz_teacher", "_quiz_session", "_quiz_fails"
MAX_FAILS, LOCK_S = 5, 30.0
QR_WIDTH = 380


def draw(store: Store) -> None:
    if not st.session_state.get(AUTH):
        _login()
        return
    try:
        _dashboard(store)
    except StoreError as error:
        common.store_error(error)


def _login() -> None:
    st.subheader(t("q.teacher.login"))
    st.caption(t("q.teacher.login_help"))
    fails, since = st.session_state.get(FAILS, (0, 0.0))
    locked = quiz.locked(fails, since, time.time(), MAX_FAILS, LOCK_S)
    with st.form("q_login_form"):
        given = st.text_input(t("q.teacher.passcode"), type="password")
        pressed = st.form_submit_button(t("q.teacher.enter"), type="primary",
                                        icon=":material/key:")
    if locked:
        st.warning(t("q.teacher.locked", s=fmt.num(LOCK_S)), icon=":material/lock_clock:")
        return
    if not pressed:
        return
    if access.check(given):
        st.session_state[AUTH] = True
        st.session_state.pop(FAILS, None)
        st.rerun()
    st.session_state[FAILS] = quiz.failed(fails, since, time.time(), MAX_FAILS)
    st.error(t("q.teacher.wrong"), icon=":material/block:")


def _create(store: Store, picked: list[str], draw: tuple, session: tuple) -> None:
    topics, count, generated, seed = draw
    limit, scoring, board = session
    ids = quiz.session_questions(picked, topics, count, seed=seed, generated=generated)
    try:
        session_id, _ = store.create_session(ids, time_limit_s=limit or None,
                                             scoring=scoring, leaderboard=board)
    except (ValueError, StoreError) as error:
        st.session_state["_quiz_create_error"] = str(error)
        return
    st.session_state[SESSION] = session_id


def _resume(store: Store) -> None:
    code = st.session_state.get("q_resume_code", "")
    info = store.session_by_code(code)
    if info is None:
        st.session_state["_quiz_create_error"] = t("q.join.unknown_code")
    else:
        st.session_state[SESSION] = info.id


def _dashboard(store: Store) -> None:
    lang = current_language()
    session_id = st.session_state.get(SESSION)
    with st.expander(t("q.teacher.new"), expanded=session_id is None, icon=":material/add:"):
        draw = controls.draw_draw()
        session = controls.draw_session()
        bank = quiz.pick_list(draw[0], lang)
        picked = st.multiselect(t("q.teacher.pick"), list(bank), format_func=bank.get,
                                help=t("q.teacher.pick_help"), key="q_pick")
        st.button(t("q.teacher.create"), type="primary", icon=":material/rocket_launch:",
                  on_click=_create, args=(store, picked, draw, session))
        st.divider()
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        c1.text_input(t("q.teacher.resume"), key="q_resume_code", max_chars=12)
        c2.button(t("q.teacher.resume_button"), on_click=_resume, args=(store,))
    controls.publish()
    error = st.session_state.pop("_quiz_create_error", None)
    if error:
        st.error(t("q.teacher.create_error", reason=error), icon=":material/error:")
    if session_id is None:
        return
    info = store.session(session_id)
    if info is None:
        st.session_state.pop(SESSION, None)
        return
    _join_block(info, lang)
    _questions(store, info, lang)
    _live(store, info.id)
    _results(store, info.id)


@st.cache_data(show_spinner=False, max_entries=64)
def _qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=2)
    return buffer.getvalue()


def _join_block(info, lang: str) -> None:
    link = quiz.join_link(st.context.url, info.join_code, lang)
    st.subheader(t("q.teacher.join_title"))
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    with c1:
        st.markdown(t("q.teacher.join_how"))
        st.markdown(f"# `{info.join_code}`")
        st.code(link, language=None, wrap_lines=True)
        st.caption(t("q.teacher.join_rules", scoring=t(f"q.scoring.{info.scoring}"),
                     limit=controls.limit_label(quiz.limit_seconds(info.time_limit_s))))
    c2.image(_qr_png(link), width=QR_WIDTH, caption=t("q.teacher.qr_caption"))


def _open(store: Store, session_id: int, question_id: str) -> None:
    store.open_question(session_id, question_id)


def _close(store: Store, session_id: int, question_id: str) -> None:
    store.close_question(session_id, question_id)


def _next(store: Store, session_id: int) -> None:
    following = quiz.next_unopened(store.question_states(session_id))
    if following is None:
        for state in store.question_states(session_id):
            if state.is_open:
                store.close_question(session_id, state.question_id)
        return
    store.open_question(session_id, following)


def _questions(store: Store, info, lang: str) -> None:
    st.subheader(t("q.teacher.questions"))
    states = store.question_states(info.id)
    c1, c2, c3 = st.columns(3)
    c1.button(t("q.teacher.next"), type="primary", icon=":material/skip_next:",
              on_click=_next, args=(store, info.id), disabled=info.ended, width="stretch")
    c2.toggle(t("q.teacher.board_live"), value=info.leaderboard, key=f"q_board_live_{info.id}",
              on_change=lambda: store.set_leaderboard(
                  info.id, st.session_state[f"q_board_live_{info.id}"]))
    c3.button(t("q.teacher.end"), icon=":material/stop_circle:", disabled=info.ended,
              on_click=store.end_session, args=(info.id,), width="stretch")
    with st.container(height=320):
        for state in states:
            question = quiz.get(state.question_id)
            row = st.columns([6, 2, 1.4], vertical_alignment="center")
            row[0].markdown(t("q.teacher.question_row", n=quiz.ordinal(state.position),
                              prompt=plain(quiz.short(question.prompt(lang), 110))))
            row[1].caption(t(f"q.state.{quiz.state_name(state)}"))
            if state.opened_at is None:
                row[2].button(t("q.teacher.open"), key=f"q_open_{state.question_id}",
                              on_click=_open, args=(store, info.id, state.question_id),
                              disabled=info.ended, width="stretch")
            elif state.is_open:
                row[2].button(t("q.teacher.close"), key=f"q_close_{state.question_id}",
                              on_click=_close, args=(store, info.id, state.question_id),
                              type="primary", width="stretch")


@st.fragment(run_every=quiz.REFRESH_S)
def _live(store: Store, session_id: int) -> None:
    """The open question: who answered, how, and the time left; refreshed alone."""
    lang = current_language()
    try:
        info = store.session(session_id)
        states = store.question_states(session_id)
        rows = store.answers(session_id)
        players = store.players(session_id)
    except StoreError as error:
        common.store_error(error)
        return
    now = quiz.live(info, states, time.time())
    st.subheader(t("q.teacher.live"))
    if now.open_question is None:
        layout.metric_grid([layout.Metric(t("q.teacher.players"), fmt.num(len(players)))])
        st.info(t("q.teacher.none_open"), icon=":material/info:")
        return
    question = quiz.get(now.open_question)
    dist = quiz.distribution(question, rows)
    left = quiz.time_left(info, now.opened_at, time.time())
    layout.metric_grid([
        layout.Metric(t("q.teacher.players"), fmt.num(len(players))),
        layout.Metric(t("q.teacher.answered"), t("q.teacher.answered_value", n=dist.total,
                                                 of=len(players))),
        layout.Metric(t("q.teacher.right"), fmt.num(dist.right)),
        layout.Metric(t("q.time_left_label"),
                      "—" if left is None else t("q.seconds", s=quiz.whole_seconds(left))),
    ])
    if now.expired:
        st.warning(t("q.teacher.time_up"), icon=":material/timer_off:")
    st.markdown(question.prompt(lang))
    st.caption(t("q.teacher.key", answer="; ".join(quiz.reveal(question, lang).correct)))
    summary = t("q.teacher.dist_summary", n=dist.total, right=dist.right)
    layout.chart(lambda: charts.bars_with_lines(
        list(dist.labels), list(dist.counts), [fmt.num(c) for c in dist.counts], {},
        {"x": t("q.teacher.dist_x"), "y": t("q.teacher.dist_y")}, charts.TEXT_HOVER),
        key="q_distribution", summary=summary, depends_on=(question.id, dist.counts))


@st.fragment(run_every=quiz.REFRESH_S)
def _results(store: Store, session_id: int) -> None:
    """Per-question accuracy, the hardest questions, every player's score, and the CSV."""
    lang = current_language()
    try:
        info = store.session(session_id)
        results = store.results(session_id)
        rows = store.answers(session_id)
    except StoreError as error:
        common.store_error(error)
        return
    st.subheader(t("q.teacher.results"))
    summaries = quiz.summaries(results, lang)
    st.markdown(f"**{t('q.teacher.per_question')}**")
    st.dataframe({
        t("q.teacher.col_n"): [s.position for s in summaries],
        t("q.teacher.col_question"): [quiz.short(s.prompt, 90) for s in summaries],
        t("q.teacher.col_answered"): [s.answered for s in summaries],
        t("q.teacher.col_accuracy"): [fmt.pct(s.accuracy) for s in summaries],
    }, hide_index=True, width="stretch", column_config={
        t("q.teacher.col_n"): st.column_config.NumberColumn(width="small"),
        t("q.teacher.col_question"): st.column_config.TextColumn(width="large")})
    st.markdown(f"**{t('q.teacher.scores')}**")
    st.dataframe({
        t("q.board.player"): [p.nickname for p in results.players],
        t("q.board.score"): [p.score for p in results.players],
        t("q.teacher.col_right"): [p.correct for p in results.players],
        t("q.teacher.col_answered"): [p.answered for p in results.players],
    }, hide_index=True, width="stretch")
    hardest = quiz.hardest(results, lang)
    if hardest:
        st.markdown(f"**{t('q.teacher.hardest')}**")
        for item in hardest:
            with st.expander(t("q.teacher.hardest_item", n=item.position,
                               pct=fmt.pct(item.accuracy),
                               prompt=plain(quiz.short(item.prompt)))):
                question = quiz.get(item.question_id)
                st.markdown(question.prompt(lang))
                common.show_reveal(quiz.reveal(question, lang), right=None, given_text=None)
    st.download_button(t("q.teacher.csv"), quiz.csv_text(info, results, rows, lang),
                       file_name=quiz.csv_name(info), mime="text/csv",
                       icon=":material/download:", key="q_csv")
