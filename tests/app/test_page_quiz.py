"""AppTest: the Quiz page. Self-study (feedback, score, mistakes, new draws, topics,
lesson links and their determinism, a comma decimal); the teacher (passcode and its lock,
a new session with its join code and QR code, open, live answers, close, results, CSV,
resume); students in their own AppTests on the same database (join, wait, answer once,
refresh, the reveal); what a student's page never holds before a question closes;
hostile seat and join links; and a database that cannot be written.

One classroom session (a teacher and two students) is played once per module and its
snapshots are read by several tests."""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass, field
from types import SimpleNamespace

import plotly.graph_objects as go
import pytest
from google.protobuf.json_format import MessageToDict

from lessons import quiz
from quiz.bank import Question
from quiz.store import CODE_ALPHABET, CODE_LENGTH, StoreError, open_store
from tests.app.conftest import assert_ok, en, open_app, widget

KEY = "correct horse battery"
SELF = "_quiz_self"  # views.quiz.selfstudy.STATE
AUTH = "_quiz_teacher"  # views.quiz.teacher.AUTH
PICKED = ["slides.q1", "uniform.zero_point_role"]  # both single choice
FIRST = quiz.get(PICKED[0])
# Distinctive nicknames: a page that shows one is never shown it by chance.
ZEPH, QUIL = "Zephyrine", "Quillon"
ZEPH_GIVES, QUIL_GIVES = "b", "a"  # the key of slides.q1 is b


@pytest.fixture(scope="module", autouse=True)
def quiz_env(tmp_path_factory):
    """A fresh database file and a known passcode for the whole module (the store is
    cached per path, so a new path is a new store)."""
    path = tmp_path_factory.mktemp("quiz") / "quiz.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUANTLAB_DB", str(path))
        mp.setenv("QUANTLAB_TEACHER_KEY", KEY)
        yield path


# --- helpers -------------------------------------------------------------------------


def quiz_app(query: dict | None = None):
    return open_app("quiz", query)


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in at.button]}"
    return found[0]


def click(at, label: str):
    return button(at, label).click().run()


def text_input(at, label_key: str):
    label = en(label_key)
    found = [w for w in at.text_input if w.label == label]
    assert found, f"no text input {label!r}; have {[w.label for w in at.text_input]}"
    return found[0]


def no_exception(at) -> None:
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]


def values(elements) -> list[str]:
    return [e.value for e in elements]


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _strings(item)


def page_strings(at) -> list[str]:
    """Every string of every element drawn: the proto's fields (labels, bodies, options,
    help, captions, chart specs) and the element's value."""
    out: list[str] = []
    for tree in (at.main, at.sidebar):
        for node in tree:
            proto = getattr(node, "proto", None)
            if proto is not None and hasattr(proto, "DESCRIPTOR"):
                out.extend(_strings(MessageToDict(proto)))
            try:
                value = node.value
            except Exception:  # a block, or a widget without a value  # noqa: BLE001
                continue
            out.extend(_strings(value) if isinstance(value, list | tuple | dict | str)
                       else [repr(value)])
    return out


def _holds_question(value, depth: int = 0) -> bool:
    if isinstance(value, Question):
        return True
    if depth > 4:
        return False
    if isinstance(value, dict):
        return any(_holds_question(v, depth + 1) for v in (*value.keys(), *value.values()))
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_question(v, depth + 1) for v in value)
    return False


@dataclass
class Shot:
    """What a page showed after one run (an AppTest's elements change with every run)."""

    strings: list[str]
    state: list[str]
    holds_question: bool
    success: list[str]
    error: list[str]
    warning: list[str]
    info: list[str]
    markdown: list[str]
    caption: list[str]
    subheader: list[str]
    metrics: dict[str, str]
    query: dict
    buttons: list[str]
    radios: int
    expanders: list[str]
    dataframes: list = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    images: list = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.strings)


def shot(at) -> Shot:
    no_exception(at)
    items = list(at.session_state.items())
    return Shot(
        strings=page_strings(at),
        state=[repr(k) + "=" + repr(v) for k, v in items],
        holds_question=any(_holds_question(v) for _, v in items),
        success=values(at.success), error=values(at.error), warning=values(at.warning),
        info=values(at.info), markdown=values(at.markdown), caption=values(at.caption),
        subheader=values(at.subheader), metrics={m.label: m.value for m in at.metric},
        query={k: at.query_params[k] for k in at.query_params},
        buttons=[b.label for b in at.button], radios=len(at.radio),
        expanders=[e.label for e in at.expander],
        dataframes=[df.value for df in at.dataframe],
        charts=[json.loads(el.proto.spec) for el in at.get("plotly_chart")],
        images=[(i.value, i.captions) for i in at.image],
        downloads=[b.label for b in at.get("download_button")])


def join_code_of(at) -> str:
    codes = [m.value[3:-1] for m in at.markdown if m.value.startswith("# `")]
    assert len(codes) == 1, values(at.markdown)
    return codes[0]


def seat(at) -> str:
    token = at.query_params["quiz"]
    return token[0] if isinstance(token, list) else token


# self-study ---------------------------------------------------------------------------


def current(at) -> Question:
    state = at.session_state[SELF]
    return quiz.get(state["ids"][state["position"]])


def ids_of(at) -> list[str]:
    return list(at.session_state[SELF]["ids"])


def right_answer(question: Question):
    if question.kind == "single":
        return question.answer[0]
    if question.kind == "multiple":
        return list(question.answer)
    return repr(question.value)


def wrong_answer(question: Question):
    if question.kind == "single":
        given = next(o.id for o in question.options if o.id not in question.answer)
    elif question.kind == "multiple":
        ids = [o.id for o in question.options]
        given = sorted(set(question.answer) ^ {ids[0]}) or [ids[1]]
    else:
        given = repr(question.value + 10 * max(abs(question.value), 1.0) + 1000)
    assert not question.grade(given)
    return given


def fill(at, prefix: str, question: Question, given) -> None:
    """Put ``given`` in the answer form ``prefix`` (the page's widget keys)."""
    if question.kind == "single":
        at.radio(key=f"{prefix}_single").set_value(given)
    elif question.kind == "multiple":
        for option in question.options:
            at.checkbox(key=f"{prefix}_{option.id}").set_value(option.id in given)
    else:
        at.text_input(key=f"{prefix}_number").input(given)


def answer_self(at, given_of=right_answer) -> tuple[Question, object]:
    question = current(at)
    given = given_of(question)
    fill(at, f"self_{question.id}", question, given)
    click(at, en("q.check"))
    no_exception(at)
    return question, given


def progress_text(at) -> str:
    assert len(at.progress) == 1, [p.text for p in at.progress]
    return at.progress[0].text


def shown_right(question: Question, given) -> str:
    return en("q.right", answer=quiz.answer_text(question, given, "en"))


def shown_wrong(question: Question, given) -> str:
    return en("q.wrong", answer=quiz.answer_text(question, given, "en"))


def correct_line(question: Question) -> str:
    return en("q.correct_is", answer=quiz.reveal(question, "en").listed)


def learn_more(question: Question) -> str:
    return en("q.learn_more", page=en(f"nav.{question.page}"))


def drawn(count: int, seed: int, topics=quiz.TOPICS) -> list[str]:
    return [q.id for q in quiz.self_study(topics, count, seed=seed, generated=True)]


@pytest.fixture(scope="module")
def default():
    """One default self-study run, read (never changed) by several tests."""
    at = quiz_app()
    assert_ok(at)
    return at


@pytest.fixture
def page():
    at = quiz_app()
    assert_ok(at)
    return at


# --- self-study ----------------------------------------------------------------------


def test_default_page_is_self_study_on_question_1_of_10(default):
    assert default.title[0].value == en("q.title")
    assert widget(default, "q_mode").value == "self"
    assert progress_text(default) == en("q.self.progress", n=1, total=10)
    assert len(ids_of(default)) == 10
    assert ids_of(default) == drawn(10, 1)  # the defaults: every topic, seed 1
    assert button(default, en("q.check"))
    assert not default.success and not default.page_link  # nothing revealed yet


def test_a_right_answer_shows_success_explanation_and_a_page_link(page):
    question, given = answer_self(page, right_answer)
    assert_ok(page)
    assert values(page.success) == [shown_right(question, given)]
    assert correct_line(question) in values(page.markdown)
    assert question.explanation("en") in values(page.info)
    assert values(page.page_link) == [learn_more(question)]
    assert button(page, en("q.next"))
    assert progress_text(page) == en("q.self.progress", n=1, total=10)


def test_a_wrong_answer_shows_an_error_with_the_correct_answer(page):
    question, given = answer_self(page, wrong_answer)
    assert values(page.error) == [shown_wrong(question, given)]
    assert not page.success
    assert correct_line(question) in values(page.markdown)
    assert question.explanation("en") in values(page.info)
    assert values(page.page_link) == [learn_more(question)]


def test_an_empty_answer_is_a_warning_not_a_crash(page):
    before = current(page)
    click(page, en("q.check"))
    assert_ok(page)
    assert values(page.warning) == [en("q.empty_answer")]
    assert current(page) == before and before.id not in page.session_state[SELF]["given"]
    assert progress_text(page) == en("q.self.progress", n=1, total=10)
    assert not page.success and not page.info


def test_a_whole_quiz_then_the_score_the_mistakes_and_another_quiz():
    at = quiz_app({"q_seed": "3", "q_count": "5"})
    assert_ok(at)
    first = ids_of(at)
    assert first == drawn(5, 3)
    for n in range(1, 6):
        assert progress_text(at) == en("q.self.progress", n=n, total=5)
        answer_self(at, right_answer if n == 1 else wrong_answer)
        click(at, en("q.next") if n < 5 else en("q.finish"))
        no_exception(at)
    assert not at.progress
    assert values(at.subheader)[:2] == [en("q.self.done"), en("q.self.mistakes")]
    score = [m for m in at.metric if m.label == en("q.self.score")]
    assert [m.value for m in score] == [en("q.self.score_value", right=1, total=5)]
    assert score[0].delta == en("q.self.percent", pct="20%")
    # the mistakes: the four wrong answers, each with its correct answer and explanation
    assert len(at.error) == 4
    for question_id in first[1:]:
        question = quiz.get(question_id)
        assert question.explanation("en") in values(at.info)
        assert correct_line(question) in values(at.markdown)
    assert quiz.get(first[0]).explanation("en") not in values(at.info)
    click(at, en("q.self.again"))
    assert_ok(at)
    again = ids_of(at)
    assert again == drawn(5, 4)  # the next seed
    assert len(again) == 5 and again != first
    assert progress_text(at) == en("q.self.progress", n=1, total=5)


def test_another_quiz_does_not_claim_the_settings_changed():
    at = quiz_app({"q_seed": "3", "q_count": "5"})
    at.session_state[SELF]["position"] = 5  # straight to the summary
    at.run()
    click(at, en("q.self.again"))
    assert_ok(at)
    assert ids_of(at) == drawn(5, 4)
    assert en("q.self.changed") not in values(at.caption)


def test_fewer_topics_then_start_draws_only_those(page):
    kept = ("formats", "granularity")
    for topic in quiz.TOPICS:
        if topic not in kept:
            widget(page, f"q_topic_{topic}").set_value(False)
    page.run()
    assert_ok(page)
    assert en("q.self.changed") in values(page.caption)
    click(page, en("q.self.start"))
    assert_ok(page)
    ids = ids_of(page)
    assert len(ids) == 10
    assert {quiz.get(i).topic for i in ids} <= set(kept)
    assert ids == drawn(10, 1, kept)
    assert en("q.self.changed") not in values(page.caption)
    assert progress_text(page) == en("q.self.progress", n=1, total=10)


def test_a_lesson_link_draws_the_same_questions_on_every_visit():
    first = quiz_app({"q_seed": "5", "q_count": "5"})
    second = quiz_app({"q_seed": "5", "q_count": "5"})
    other = quiz_app({"q_seed": "6", "q_count": "5"})
    for at in (first, second, other):
        assert_ok(at)
        assert progress_text(at) == en("q.self.progress", n=1, total=5)
    assert len(ids_of(first)) == 5
    assert ids_of(first) == ids_of(second) == drawn(5, 5)
    assert ids_of(other) != ids_of(first)


def _numeric_seed() -> int:
    for seed in range(1, 500):
        question = quiz.self_study(quiz.TOPICS, 5, seed=seed, generated=True)[0]
        text = repr(question.value)
        if question.kind == "numeric" and "." in text and "e" not in text:
            return seed
    raise AssertionError("no seed draws a numeric question first")


def test_a_numeric_answer_takes_a_comma_as_the_decimal_point():
    at = quiz_app({"q_seed": str(_numeric_seed()), "q_count": "5"})
    assert_ok(at)
    question = current(at)
    typed = repr(question.value).replace(".", ",")
    fill(at, f"self_{question.id}", question, typed)
    click(at, en("q.check"))
    assert_ok(at)
    assert values(at.success) == [en("q.right", answer=f"{question.value:.6g}")]
    assert at.session_state[SELF]["given"][question.id] == typed


# --- the teacher: passcode -----------------------------------------------------------


def sign_in(at, key: str = KEY):
    text_input(at, "q.teacher.passcode").input(key)
    return click(at, en("q.teacher.enter"))


def test_without_the_passcode_no_dashboard():
    at = quiz_app({"q_mode": "teacher"})
    assert_ok(at)
    assert values(at.subheader) == [en("q.teacher.login")]
    assert en("q.teacher.new") not in [e.label for e in at.expander]
    assert not at.session_state.get(AUTH)
    assert not [b for b in at.button if b.label == en("q.teacher.create")]


def test_a_wrong_passcode_is_refused_and_five_lock_the_form():
    at = quiz_app({"q_mode": "teacher"})
    for _ in range(5):
        sign_in(at, "not the key")
        no_exception(at)
        assert values(at.error) == [en("q.teacher.wrong")]
        assert not at.session_state.get(AUTH)
        assert en("q.teacher.new") not in [e.label for e in at.expander]
    sign_in(at, KEY)  # the right key, but the form is locked
    no_exception(at)
    assert values(at.warning) == [en("q.teacher.locked", s="30")]
    assert not at.error
    assert not at.session_state.get(AUTH)
    assert en("q.teacher.new") not in [e.label for e in at.expander]


def test_the_right_passcode_shows_a_new_session():
    at = sign_in(quiz_app({"q_mode": "teacher"}))
    assert_ok(at)
    assert at.session_state[AUTH] is True
    assert en("q.teacher.new") in [e.label for e in at.expander]
    assert button(at, en("q.teacher.create"))
    assert not at.image  # no session yet


# --- one classroom session: a teacher and two students -------------------------------


@pytest.fixture(scope="module")
def classroom(quiz_env):
    """A teacher makes a session (two picked questions, 120 s, speed points, no
    leaderboard); two students join and answer the first question; the teacher closes
    it. Snapshots of every page along the way."""
    shots: dict[str, Shot] = {}
    store = open_store(quiz_env)

    teacher = sign_in(quiz_app({"q_mode": "teacher"}))
    assert_ok(teacher)
    disabled_at_no_limit = widget(teacher, "q_scoring").disabled
    widget(teacher, "q_limit").set_value(120).run()
    enabled_with_limit = not widget(teacher, "q_scoring").disabled
    widget(teacher, "q_scoring").set_value("speed")
    widget(teacher, "q_board").set_value(False)
    teacher.multiselect(key="q_pick").set_value(PICKED)
    teacher.run()
    click(teacher, en("q.teacher.create"))
    assert_ok(teacher)
    shots["created"] = shot(teacher)
    code = join_code_of(teacher)
    info = store.session_by_code(code)

    # two students join, each in their own AppTest; a taken nickname and a bad code fail
    zeph = quiz_app({"join": code})
    shots["join_form"] = shot(zeph)
    text_input(zeph, "q.join.nickname").input(ZEPH)
    click(zeph, en("q.join.button"))
    shots["zeph_waiting"] = shot(zeph)
    quil = quiz_app({"join": code})
    text_input(quil, "q.join.nickname").input(QUIL)
    click(quil, en("q.join.button"))
    taken = quiz_app({"join": code})
    text_input(taken, "q.join.nickname").input(f"  {ZEPH.lower()} ")
    click(taken, en("q.join.button"))
    shots["taken"] = shot(taken)
    text_input(taken, "q.join.code").input("OOOOOO")  # O is never in a code
    text_input(taken, "q.join.nickname").input("Newcomer")
    click(taken, en("q.join.button"))
    shots["bad_code"] = shot(taken)
    text_input(taken, "q.join.code").input(code)
    text_input(taken, "q.join.nickname").input("   ")
    click(taken, en("q.join.button"))
    shots["bad_nickname"] = shot(taken)
    zeph_token, quil_token = seat(zeph), seat(quil)
    # a second tab on Zephyrine's seat, opened before the question
    zeph_tab = quiz_app({"quiz": zeph_token})

    # the teacher opens the first question; the students' pages rerun
    click(teacher, en("q.teacher.next"))
    shots["teacher_opened"] = shot(teacher)
    for at in (zeph, zeph_tab, quil):
        at.run()
    shots["zeph_open"] = shot(zeph)
    shots["quil_open"] = shot(quil)

    fill(zeph, f"q_live_{FIRST.id}", FIRST, ZEPH_GIVES)
    click(zeph, en("q.submit"))
    shots["zeph_saved"] = shot(zeph)
    # the second tab still shows the form: a second submit (another answer) is harmless
    fill(zeph_tab, f"q_live_{FIRST.id}", FIRST, "c")
    click(zeph_tab, en("q.submit"))
    shots["zeph_tab_again"] = shot(zeph_tab)
    fill(quil, f"q_live_{FIRST.id}", FIRST, QUIL_GIVES)
    click(quil, en("q.submit"))
    shots["quil_saved"] = shot(quil)
    zeph.run()
    shots["zeph_saved_after_others"] = shot(zeph)
    shots["zeph_refresh"] = shot(quiz_app({"quiz": zeph_token}))
    rows_before_close = store.answers(info.id)

    teacher.run()
    shots["teacher_answered"] = shot(teacher)
    teacher.button(key=f"q_close_{FIRST.id}").click().run()
    shots["teacher_closed"] = shot(teacher)
    zeph.run()
    shots["zeph_closed"] = shot(zeph)
    quil.run()
    shots["quil_closed"] = shot(quil)
    return SimpleNamespace(
        shots=shots, code=code, info=info, store=store, zeph_token=zeph_token,
        quil_token=quil_token, rows_before_close=rows_before_close,
        disabled_at_no_limit=disabled_at_no_limit, enabled_with_limit=enabled_with_limit)


def label(option_id: str) -> str:
    return quiz.label(FIRST, option_id, "en")


def test_speed_points_need_a_time_limit(classroom):
    assert classroom.disabled_at_no_limit
    assert classroom.enabled_with_limit
    info = classroom.info
    assert (info.scoring, info.time_limit_s, info.leaderboard) == ("speed", 120, False)
    assert info.question_ids == tuple(PICKED)


def test_a_new_session_shows_its_join_code_and_qr_code(classroom):
    created = classroom.shots["created"]
    code = classroom.code
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert len(created.images) == 1
    urls, captions = created.images[0]
    assert len(urls) == 1 and urls[0]
    assert captions == [en("q.teacher.qr_caption")]
    assert en("q.teacher.join_rules", scoring=en("q.scoring.speed"),
              limit=en("q.limit.seconds", s=120)) in created.caption
    assert f"join={code}" in created.text  # the link the QR code holds
    assert created.metrics == {en("q.teacher.players"): "0"}
    assert en("q.teacher.none_open") in created.info


def test_students_join_with_the_code_and_a_nickname(classroom):
    form = classroom.shots["join_form"]
    assert form.subheader[:1] == [en("q.join.title")]
    assert classroom.code in form.text  # the join link fills the code in
    waiting = classroom.shots["zeph_waiting"]
    assert list(waiting.query) == ["quiz"]  # the seat replaces the join code in the URL
    assert waiting.query["quiz"] == classroom.zeph_token
    assert classroom.store.player(classroom.zeph_token).nickname == ZEPH
    assert classroom.store.player(classroom.quil_token).nickname == QUIL
    assert en("q.student.seat", name=ZEPH, code=classroom.code) in waiting.markdown
    assert waiting.info == [en("q.student.waiting")]
    assert not waiting.radios and en("q.submit") not in waiting.buttons
    assert classroom.store.players(classroom.info.id) == [ZEPH, QUIL]


def test_a_taken_nickname_and_a_bad_code_are_refused(classroom):
    assert classroom.shots["taken"].error == [en("q.join.nickname_taken")]
    assert "quiz" not in classroom.shots["taken"].query
    assert classroom.shots["bad_code"].error == [en("q.join.unknown_code")]
    assert "quiz" not in classroom.shots["bad_code"].query
    assert classroom.shots["bad_nickname"].error == [en("q.join.bad_nickname", max=24)]
    assert classroom.store.players(classroom.info.id) == [ZEPH, QUIL]


def test_the_teacher_sees_live_players_answers_and_a_chart(classroom):
    opened = classroom.shots["teacher_opened"]
    assert opened.metrics[en("q.teacher.players")] == "2"
    assert opened.metrics[en("q.teacher.answered")] == en("q.teacher.answered_value", n=0,
                                                          of=2)
    assert opened.metrics[en("q.time_left_label")] in {f"{s} s" for s in range(100, 121)}
    answered = classroom.shots["teacher_answered"]
    assert answered.metrics[en("q.teacher.answered")] == en("q.teacher.answered_value", n=2,
                                                            of=2)
    assert answered.metrics[en("q.teacher.right")] == "1"
    assert en("q.teacher.dist_summary", n=2, right=1) in answered.caption
    assert en("q.teacher.key", answer=label("b")) in answered.caption
    assert len(answered.charts) == 1
    figure = go.Figure(answered.charts[0])  # raises on anything plotly does not accept
    assert figure.data


def test_the_teacher_closes_and_reads_the_results(classroom):
    closed = classroom.shots["teacher_closed"]
    assert not closed.error
    assert en("q.teacher.none_open") in closed.info
    per_question, per_student = closed.dataframes
    assert list(per_question["#"]) == [1, 2]
    assert list(per_question[en("q.teacher.col_answered")]) == [2, 0]
    assert list(per_question[en("q.teacher.col_accuracy")]) == ["50%", "—"]
    assert list(per_student[en("q.board.player")]) == [ZEPH, QUIL]  # best first
    assert list(per_student[en("q.teacher.col_right")]) == [1, 0]
    assert list(per_student[en("q.teacher.col_answered")]) == [1, 1]
    assert 500 <= per_student[en("q.board.score")].iloc[0] <= 1000  # speed points
    assert closed.downloads == [en("q.teacher.csv")]


def test_the_csv_has_one_row_per_player_and_question(classroom):
    store, info = classroom.store, classroom.info
    text = quiz.csv_text(info, store.results(info.id), store.answers(info.id), "en")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["session", "join_code", "player"]
    assert len(rows) == 2 * len(PICKED)
    cells = {(r[2], r[4]): dict(zip(header, r, strict=True)) for r in rows}
    assert set(cells) == {(p, q) for p in (ZEPH, QUIL) for q in PICKED}
    assert cells[ZEPH, FIRST.id]["answer"] == label("b")
    assert cells[ZEPH, FIRST.id]["correct"] == "1"
    assert cells[QUIL, FIRST.id]["answer"] == label("a")
    assert cells[QUIL, FIRST.id]["correct"] == "0" and cells[QUIL, FIRST.id]["points"] == "0"
    assert cells[ZEPH, PICKED[1]]["answer"] == "" == cells[ZEPH, PICKED[1]]["correct"]
    assert {r[1] for r in rows} == {classroom.code}


def test_a_fresh_teacher_resumes_the_session_by_its_code(classroom):
    # a link asks for speed points without a time limit: the session scores right/wrong
    at = sign_in(quiz_app({"q_mode": "teacher", "q_scoring": "speed"}))
    assert_ok(at)
    assert widget(at, "q_scoring").disabled
    click(at, en("q.teacher.create"))
    assert_ok(at)
    own = join_code_of(at)
    assert own != classroom.code
    assert classroom.store.session_by_code(own).scoring == "correct"
    assert en("q.teacher.join_rules", scoring=en("q.scoring.correct"),
              limit=en("q.limit.none")) in values(at.caption)
    at.text_input(key="q_resume_code").input(f" {classroom.code.lower()} ")
    click(at, en("q.teacher.resume_button"))
    assert_ok(at)
    assert join_code_of(at) == classroom.code
    assert [d.value for d in at.dataframe][1][en("q.board.player")].tolist() == [ZEPH, QUIL]


def test_a_resume_with_an_unknown_code_says_so():
    at = sign_in(quiz_app({"q_mode": "teacher"}))
    at.text_input(key="q_resume_code").input("OOOOOO")
    click(at, en("q.teacher.resume_button"))
    no_exception(at)
    assert values(at.error) == [en("q.teacher.create_error", reason=en("q.join.unknown_code"))]
    assert not at.image


# --- the students' side --------------------------------------------------------------


def test_an_open_question_shows_the_form_then_saved(classroom):
    opened = classroom.shots["zeph_open"]
    assert en("q.student.question", n=1, total=2) in opened.subheader
    assert opened.radios == 1 and en("q.submit") in opened.buttons
    assert not opened.info  # not waiting any more
    saved = classroom.shots["zeph_saved"]
    assert saved.success == [en("q.student.saved", answer=label(ZEPH_GIVES))]
    assert not saved.radios and en("q.submit") not in saved.buttons
    assert classroom.shots["quil_saved"].success == [
        en("q.student.saved", answer=label(QUIL_GIVES))]


def test_a_second_submit_on_the_same_seat_is_harmless(classroom):
    again = classroom.shots["zeph_tab_again"]
    assert not again.error
    # the first answer stands, and the page says so
    assert again.success == [en("q.student.saved", answer=label(ZEPH_GIVES))]
    rows = [r for r in classroom.rows_before_close if r.nickname == ZEPH]
    assert [(r.question_id, r.answer) for r in rows] == [(FIRST.id, ZEPH_GIVES)]
    assert len(classroom.rows_before_close) == 2
    assert len(classroom.store.answers(classroom.info.id)) == 2


def test_a_refresh_opens_the_same_seat(classroom):
    refresh = classroom.shots["zeph_refresh"]
    assert en("q.student.seat", name=ZEPH, code=classroom.code) in refresh.markdown
    assert refresh.success == [en("q.student.saved", answer=label(ZEPH_GIVES))]
    assert refresh.query == {"quiz": classroom.zeph_token}


def test_once_closed_the_students_see_the_key_and_the_explanation(classroom):
    zeph, quil = classroom.shots["zeph_closed"], classroom.shots["quil_closed"]
    for closed in (zeph, quil):
        assert en("q.student.waiting") in closed.info
        assert FIRST.explanation("en") in closed.info
        assert correct_line(FIRST) in closed.markdown
        assert closed.subheader[-1] == en("q.student.closed")
    assert zeph.success == [shown_right(FIRST, ZEPH_GIVES)]
    assert quil.error == [shown_wrong(FIRST, QUIL_GIVES)]


# --- security ------------------------------------------------------------------------


BEFORE_CLOSE = ("zeph_waiting", "zeph_open", "zeph_saved", "zeph_tab_again", "quil_open",
                "quil_saved", "zeph_saved_after_others", "zeph_refresh")


def test_no_key_or_explanation_reaches_a_student_before_the_close(classroom):
    secrets_of_first = [FIRST.explanation("en"), FIRST.explanation("vi"),
                        en("q.correct_is", answer=""), en("q.teacher.key", answer="")]
    for name in BEFORE_CLOSE:
        seen = classroom.shots[name]
        for secret in secrets_of_first:
            assert secret not in seen.text, (name, secret)
            assert not [s for s in seen.state if secret in s], (name, secret)
        assert not seen.holds_question, name
        assert seen.state or name == "zeph_refresh"
    # the check does see what is there: the prompt and the options, and once closed
    # the explanation, on the page but still not in the session state
    opened = classroom.shots["zeph_open"]
    assert FIRST.prompt("en") in opened.text and label("d") in opened.text
    closed = classroom.shots["zeph_closed"]
    assert FIRST.explanation("en") in closed.text
    assert not [s for s in closed.state if FIRST.explanation("en") in s]


def test_a_student_never_sees_another_students_answers(classroom):
    zeph_pages = ("zeph_saved_after_others", "zeph_refresh", "zeph_closed")
    for name in zeph_pages:
        assert label(QUIL_GIVES) not in classroom.shots[name].text, name
    # with the leaderboard off, other nicknames do not appear at all
    for name in (*zeph_pages, "zeph_waiting", "zeph_open", "zeph_saved"):
        assert QUIL not in classroom.shots[name].text, name
        assert not [s for s in classroom.shots[name].state if QUIL in s], name
    for name in ("quil_open", "quil_saved", "quil_closed"):
        assert ZEPH not in classroom.shots[name].text, name
    assert not classroom.shots["zeph_closed"].expanders or all(
        QUIL not in e for e in classroom.shots["zeph_closed"].expanders)


@pytest.mark.parametrize("token", ["garbage", "x" * 5000, secrets.token_urlsafe(24)],
                         ids=["short", "5000-chars", "unknown"])
def test_a_hostile_seat_link_shows_the_join_form(token):
    at = quiz_app({"quiz": token})
    assert_ok(at)
    assert values(at.warning) == [en("q.student.seat_gone")]
    assert en("q.join.title") in values(at.subheader)
    assert text_input(at, "q.join.nickname").value == ""
    assert widget(at, "q_mode") is None  # a seat link opens the student's view alone


def test_a_hostile_join_link_is_text_in_the_input_only():
    hostile = "<script>alert(1)</script>"
    at = quiz_app({"join": hostile})
    assert_ok(at)
    assert text_input(at, "q.join.code").value == hostile[:12]
    assert not at.html
    assert not [s for s in page_strings(at) if "<script" in s and s != hostile[:12]]
    text_input(at, "q.join.nickname").input("Mallory")
    click(at, en("q.join.button"))
    no_exception(at)
    assert values(at.error) == [en("q.join.unknown_code")]


# --- a database that cannot be written -----------------------------------------------


def test_an_unwritable_database_is_a_clear_error_and_self_study_works(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    path = blocker / "quiz.sqlite3"
    monkeypatch.setenv("QUANTLAB_DB", str(path))
    with pytest.raises(StoreError) as raised:
        open_store(path)
    expected = en("q.store_error", reason=str(raised.value))
    assert "QUANTLAB_DB" in expected

    student = quiz_app({"join": "ABCDEF"})
    no_exception(student)
    assert values(student.error) == [expected]
    teacher = quiz_app({"q_mode": "teacher"})
    no_exception(teacher)
    assert values(teacher.error) == [expected]
    assert en("q.store_self_study") in values(teacher.caption)
    assert not teacher.text_input  # no passcode form without a database

    at = quiz_app()
    assert_ok(at)
    assert progress_text(at) == en("q.self.progress", n=1, total=10)
    question, given = answer_self(at, right_answer)
    assert_ok(at)
    assert values(at.success) == [shown_right(question, given)]
