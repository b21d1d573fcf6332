"""The SQLite store: opening and migrating, the rules the database enforces (one answer
per player and question, under 50 threads and 4 processes at once), joining, the time
limit by the server's clock, results, and the errors of a database that cannot be
written. Every database lives in tmp_path; $QUANTLAB_DB points into it for every test, so
the default data/ file is never touched."""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import re
import sqlite3
import threading
import time

import pytest

import quiz.store as store_mod
from quiz import questions
from quiz.store import (
    CODE_ALPHABET,
    CODE_LENGTH,
    ENV_VAR,
    GRACE_S,
    MAX_NICKNAME,
    MIGRATIONS,
    JoinError,
    StoreError,
    open_store,
    resolve_path,
)

Q1, Q2, Q4 = "slides.q1", "slides.q2", "slides.q4"  # keys b, c, a
GEN = "gen:scale:7"


@pytest.fixture(autouse=True)
def _default_db_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env-default.sqlite3"))


@pytest.fixture
def db(tmp_path):
    return tmp_path / "quiz.sqlite3"


@pytest.fixture
def store(db):
    s = open_store(db)
    yield s
    s.close()


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, set by the test: quiz.store reads time.time()."""
    now = [1_700_000_000.0]
    monkeypatch.setattr(store_mod.time, "time", lambda: now[0])
    return now


def _raw(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _state(store, sid, qid):
    return {s.question_id: s for s in store.question_states(sid)}[qid]


# --- opening -------------------------------------------------------------------------


def test_open_store_accepts_paths_strings_urls_and_the_environment(tmp_path, monkeypatch):
    cases = [
        (tmp_path / "a.sqlite3", tmp_path / "a.sqlite3"),
        (str(tmp_path / "b.sqlite3"), tmp_path / "b.sqlite3"),
        (f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path / "c.sqlite3"),
        (tmp_path / "new" / "dirs" / "d.sqlite3", tmp_path / "new" / "dirs" / "d.sqlite3"),
    ]
    for url, path in cases:
        s = open_store(url)
        assert s.path == path and path.is_file()
        assert s.schema_version() == len(MIGRATIONS)
        s.close()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.sqlite3"))
    s = open_store()
    assert s.path == tmp_path / "env.sqlite3" and s.path.is_file()
    s.close()
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env-url.sqlite3'}")
    assert open_store(None).path == tmp_path / "env-url.sqlite3"
    # Without the variable (or with it empty) the default is data/ in the app's folder;
    # only resolved here, never opened.
    monkeypatch.setenv(ENV_VAR, "")
    assert resolve_path() == store_mod.DEFAULT_PATH
    monkeypatch.delenv(ENV_VAR)
    assert resolve_path(None) == store_mod.DEFAULT_PATH
    assert store_mod.DEFAULT_PATH.name == "quantlab.sqlite3"


@pytest.mark.parametrize("url", ["postgresql://teacher@localhost/quiz", "mysql://x/y",
                                 "file:///tmp/x.sqlite3"])
def test_other_databases_are_refused(url, monkeypatch):
    with pytest.raises(StoreError, match=ENV_VAR):
        open_store(url)
    monkeypatch.setenv(ENV_VAR, url)
    with pytest.raises(StoreError, match=ENV_VAR):
        open_store()


def test_wal_journal_and_schema_version(store, db):
    assert store.schema_version() == len(MIGRATIONS) == store_mod.SCHEMA_VERSION
    raw = _raw(db)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "session_questions", "players", "answers", "schema_version"} <= tables
    raw.close()


def test_a_restart_sees_everything_and_does_not_migrate_again(db, monkeypatch):
    first = open_store(db)
    sid, code = first.create_session([Q1, Q2], time_limit_s=30)
    token = first.join(code, "An")
    first.open_question(sid, Q1)
    assert first.submit(token, Q1, "b")
    first.close()

    again = open_store(db)  # a new object, a new connection: as after a restart
    assert again is not first
    assert again.schema_version() == len(MIGRATIONS)
    info = again.session(sid)
    assert info.join_code == code and info.question_ids == (Q1, Q2) and info.time_limit_s == 30
    assert again.players(sid) == ["An"]
    assert [(a.nickname, a.question_id, a.answer, a.correct) for a in again.answers(sid)] == [
        ("An", Q1, "b", True)]
    assert _state(again, sid, Q1).is_open
    assert again.submit(token, Q1, "b") is False  # the answer made before the restart counts
    raw = _raw(db)
    assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    raw.close()
    again.close()

    # A new migration is applied once: running it twice would fail (the table exists).
    extra = (*MIGRATIONS, "CREATE TABLE extra (x INTEGER NOT NULL)")
    monkeypatch.setattr(store_mod, "MIGRATIONS", extra)
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", len(extra))
    for _ in range(2):
        s = open_store(db)
        assert s.schema_version() == len(extra)
        assert s.players(sid) == ["An"]
        s.close()


def test_a_database_from_a_newer_app_is_refused(db):
    open_store(db).close()
    raw = _raw(db)
    raw.execute("UPDATE schema_version SET version = 99")
    raw.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(db)


def test_many_stores_opening_a_new_file_at_once_migrate_it_once(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    barrier = threading.Barrier(8)
    versions, errors = [], []

    def opener():
        try:
            barrier.wait(timeout=30)
            s = open_store(path)
            versions.append(s.schema_version())
            s.close()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and versions == [len(MIGRATIONS)] * 8
    raw = _raw(path)
    assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    raw.close()


# --- one answer per player and question ------------------------------------------------


def test_fifty_threads_answer_at_the_same_moment(store):
    n = 50
    sid, code = store.create_session([Q1])
    tokens = [store.join(code, f"student {i:02d}") for i in range(n)]
    store.open_question(sid, Q1)
    start = threading.Barrier(n)
    middle = threading.Barrier(n + 1)  # the main thread counts between the two rounds
    again = threading.Barrier(n + 1)
    first, second, errors = {}, {}, []

    def student(i):
        try:
            start.wait(timeout=60)
            first[i] = store.submit(tokens[i], Q1, "b" if i % 2 else "a")
            middle.wait(timeout=60)
            again.wait(timeout=60)
            second[i] = store.submit(tokens[i], Q1, "b")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            middle.abort()
            again.abort()
        finally:
            store.close()

    threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    middle.wait(timeout=120)
    rows = store.answers(sid)
    again.wait(timeout=120)
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert first == {i: True for i in range(n)}
    assert len(rows) == n and len({r.player_id for r in rows}) == n
    assert sorted(r.nickname for r in rows) == [f"student {i:02d}" for i in range(n)]
    assert sum(r.correct for r in rows) == n // 2
    assert second == {i: False for i in range(n)}
    after = store.answers(sid)
    assert len(after) == n and store.answer_count(sid, Q1) == n
    # The second round's "b" changed nobody's first answer.
    assert {r.nickname: r.answer for r in after} == {r.nickname: r.answer for r in rows}


def _process_worker(path, own_tokens, all_tokens, question_id, barrier, results):
    """One server process: its own players answer together with three other processes;
    then everyone's second answer, again all at once."""
    try:
        s = open_store(path)
        barrier.wait(timeout=60)
        first = [s.submit(t, question_id, "c") for t in own_tokens]
        barrier.wait(timeout=60)
        rotated = all_tokens[len(own_tokens):] + all_tokens[:len(own_tokens)]
        second = [s.submit(t, question_id, "c") for t in own_tokens + rotated]
        s.close()
        results.put((os.getpid(), first, second, None))
    except BaseException as error:  # noqa: BLE001 - sent to the parent
        results.put((os.getpid(), [], [], repr(error)))


def test_four_processes_answer_at_the_same_moment(db):
    per_process, processes = 10, 4
    parent = open_store(db)
    sid, code = parent.create_session([Q2])
    tokens = [parent.join(code, f"p{i:02d}") for i in range(per_process * processes)]
    parent.open_question(sid, Q2)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_process_worker,
                           args=(str(db), tokens[k * per_process:(k + 1) * per_process],
                                 tokens, Q2, barrier, results))
               for k in range(processes)]
    for w in workers:
        w.start()
    reports = []
    try:
        deadline = time.monotonic() + 120
        while len(reports) < processes:
            try:
                reports.append(results.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or not any(w.is_alive() for w in workers):
                    pytest.fail(f"workers gave {len(reports)} reports of {processes}; exit "
                                f"codes {[w.exitcode for w in workers]}")
    finally:
        for w in workers:
            w.join(30)
            if w.is_alive():
                w.terminate()
    assert [r[3] for r in reports] == [None] * processes
    assert {r[0] for r in reports} == {w.pid for w in workers}
    for _, first, second, _ in reports:
        assert first == [True] * per_process
        assert second == [False] * (per_process + len(tokens))
    rows = parent.answers(sid)
    assert len(rows) == len(tokens) == 40
    assert sorted(r.nickname for r in rows) == sorted(f"p{i:02d}" for i in range(40))
    assert all(r.correct and r.answer == "c" for r in rows)
    parent.close()


def test_the_unique_rules_live_in_the_database(store, db):
    sid, code = store.create_session([Q1])
    token = store.join(code, "An")
    store.open_question(sid, Q1)
    assert store.submit(token, Q1, "b")
    raw = _raw(db)
    schema = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'answers'").fetchone()[0]
    assert re.search(r"UNIQUE\s*\(\s*player_id\s*,\s*question_id\s*\)", schema, re.I), schema
    players = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'players'").fetchone()[0]
    assert re.search(r"UNIQUE\s*\(\s*session_id\s*,\s*nickname_key\s*\)", players, re.I)
    assert re.search(r"token\s+TEXT\s+NOT\s+NULL\s+UNIQUE", players, re.I)
    row = raw.execute("SELECT session_id, player_id, question_id, answer, correct, points,"
                      " elapsed_s, submitted_at FROM answers").fetchone()
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("INSERT INTO answers (session_id, player_id, question_id, answer, correct,"
                    " points, elapsed_s, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("INSERT INTO players (session_id, token, nickname, nickname_key, joined_at)"
                    " VALUES (?, 'another-token-of-32-characters-xx', 'AN', 'an', 0)", (sid,))
    raw.close()
    assert store.answer_count(sid, Q1) == 1


# --- the rules of submit -----------------------------------------------------------------


def test_submit_rules(store):
    sid, code = store.create_session([Q1, Q2, GEN])
    an, bo = store.join(code, "An"), store.join(code, "Bo")
    assert store.submit(an, Q1, "b") is False  # not opened yet
    assert [s.is_open for s in store.question_states(sid)] == [False, False, False]
    store.open_question(sid, Q1)
    assert _state(store, sid, Q1).is_open
    assert store.submit(an, Q1, "a") is True  # wrong, but stored
    assert store.submit(an, Q1, "b") is False  # a second answer: refused
    assert store.player_answers(an)[Q1].answer == "a"
    assert store.submit(an, Q2, "c") is False  # another question, not open
    assert store.submit(an, Q4, "a") is False  # not in this session
    assert store.submit(an, "no.such.question", "a") is False
    assert store.submit(an, "gen:scale:abc", 1.0) is False

    store.open_question(sid, Q2)  # closes Q1
    q1, q2 = _state(store, sid, Q1), _state(store, sid, Q2)
    assert not q1.is_open and q1.closed_at is not None and q2.is_open
    assert store.submit(bo, Q1, "b") is False  # closed
    store.open_question(sid, Q1)  # once closed, stays closed
    assert not _state(store, sid, Q1).is_open and _state(store, sid, Q2).is_open
    assert store.submit(bo, Q1, "b") is False
    assert store.submit(bo, Q2, "c") is True
    store.close_question(sid, Q2)
    assert not _state(store, sid, Q2).is_open
    assert store.submit(an, Q2, "c") is False
    with pytest.raises(KeyError):
        store.open_question(sid, Q4)

    store.open_question(sid, GEN)
    for token in ["", "x" * 32, "not-a-token", None, 42]:
        assert store.submit(token, GEN, questions.get(GEN).value) is False
    assert len(store.answers(sid)) == 2

    store.end_session(sid)  # the open question closes with the session
    assert not _state(store, sid, GEN).is_open and store.session(sid).ended
    assert store.submit(an, GEN, questions.get(GEN).value) is False


def test_malformed_answers_are_refused_and_not_stored(store):
    sid, code = store.create_session([Q1, GEN, "gen:better_range:3"])
    token = store.join(code, "An")
    store.open_question(sid, Q1)
    for given in ["z", "B", ["b"], ("b",), None, 1, float("nan"), True, "", {"b": 1}]:
        assert store.submit(token, Q1, given) is False, repr(given)
    assert store.answer_count(sid, Q1) == 0
    store.open_question(sid, GEN)
    for given in [float("nan"), float("inf"), "nan", "abc", True, None, [1.0], "", "1e999"]:
        assert store.submit(token, GEN, given) is False, repr(given)
    assert store.answer_count(sid, GEN) == 0
    assert store.answers(sid) == [] and store.player_answers(token) == {}
    value = questions.get(GEN).value
    assert store.submit(token, GEN, f"{value:.6f}".replace(".", ",")) is True
    row = store.player_answers(token)[GEN]
    assert row.correct and isinstance(row.answer, float) and math.isclose(row.answer, value,
                                                                          rel_tol=1e-5)


def test_a_late_answer_is_refused_by_the_servers_clock(store, monkeypatch):
    sid, code = store.create_session([Q1], time_limit_s=1)
    late, in_grace = store.join(code, "Late"), store.join(code, "Grace")
    store.open_question(sid, Q1)
    opened = _state(store, sid, Q1).opened_at
    monkeypatch.setattr(store_mod.time, "time", lambda: opened + 1 + GRACE_S + 0.5)
    assert store.submit(late, Q1, "b") is False
    assert store.answer_count(sid, Q1) == 0
    monkeypatch.setattr(store_mod.time, "time", lambda: opened + 1 + GRACE_S - 0.25)
    assert store.submit(in_grace, Q1, "b") is True
    assert store.player_answers(in_grace)[Q1].elapsed_s == pytest.approx(1 + GRACE_S - 0.25)


# --- joining -------------------------------------------------------------------------


def test_the_same_token_rejoins_as_the_same_player(store):
    sid, code = store.create_session([Q1])
    token = store.join(code, "An")
    store.open_question(sid, Q1)
    assert store.submit(token, Q1, "b")
    assert store.join(code, "An", token=token) == token
    assert store.join(code.lower(), "Another name", token=token) == token
    assert store.players(sid) == ["An"]
    assert list(store.player_answers(token)) == [Q1]
    assert store.player(token).nickname == "An" and store.player(token).session_id == sid
    # A token of another session is no seat here: a new player joins.
    other_sid, other_code = store.create_session([Q1])
    other = store.join(other_code, "Bo", token=token)
    assert other != token and store.player(other).session_id == other_sid
    assert store.player_answers(other) == {}


def test_nicknames_are_unique_per_session_case_insensitively(store):
    sid, code = store.create_session([Q1])
    store.join(code, "An")
    for taken in [" an ", "AN", "an", "  An  "]:
        with pytest.raises(JoinError) as caught:
            store.join(code, taken)
        assert caught.value.reason == "nickname_taken"
    assert store.players(sid) == ["An"]
    _, code2 = store.create_session([Q1])
    store.join(code2, "an")  # another session: free


def test_a_nickname_race_seats_one_player(store):
    sid, code = store.create_session([Q1])
    n = 16
    barrier = threading.Barrier(n)
    outcomes, errors = [], []

    def joiner(i):
        try:
            barrier.wait(timeout=30)
            outcomes.append(store.join(code, "Same" if i % 2 else "SAME "))
        except JoinError as error:
            outcomes.append(error.reason)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=joiner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert outcomes.count("nickname_taken") == n - 1
    assert len(store.players(sid)) == 1


def test_join_errors(store):
    sid, code = store.create_session([Q1])
    unknown = next(c * CODE_LENGTH for c in CODE_ALPHABET if c * CODE_LENGTH != code)
    for bad_code in [unknown, "", "123", "not a code at all"]:
        with pytest.raises(JoinError) as caught:
            store.join(bad_code, "An")
        assert caught.value.reason == "unknown_code"
    for nickname in ["", "   ", "\t\n", "x" * (MAX_NICKNAME + 1), "a\x00b", "\u202e",
                     "a\u202eb", "a\u200bb", "tab\x07bell", "\x7f"]:
        with pytest.raises(JoinError) as caught:
            store.join(code, nickname)
        assert caught.value.reason == "bad_nickname", repr(nickname)
    assert store.players(sid) == []
    longest = store.join(code, "y" * MAX_NICKNAME)
    spaced = store.join(code, "  Trần   Thị  ")
    assert store.player(longest).nickname == "y" * MAX_NICKNAME
    assert store.player(spaced).nickname == "Trần Thị"
    store.end_session(sid)
    with pytest.raises(JoinError) as caught:
        store.join(code, "Late comer")
    assert caught.value.reason == "ended"
    assert isinstance(caught.value, ValueError)


def test_join_codes_ignore_case_and_spaces(store):
    sid, code = store.create_session([Q1])
    typed = f" {code[:3].lower()} {code[3:].lower()} "
    token = store.join(typed, "An")
    assert store.player(token).session_id == sid
    assert store.session_by_code(typed).id == sid
    assert store.session_by_code(code).join_code == code


def test_tokens_and_join_codes(store):
    codes, tokens = set(), set()
    for _ in range(12):
        sid, code = store.create_session([Q1])
        assert len(code) == CODE_LENGTH == 6 and set(code) <= set(CODE_ALPHABET)
        assert store.session(sid).join_code == code
        codes.add(code)
        for i in range(4):
            token = store.join(code, f"n{i}")
            assert len(token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
            tokens.add(token)
    assert len(codes) == 12 and len(tokens) == 48
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert store.player("short") is None and store.player("x" * 32) is None


# --- sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("ids, options", [
    (["no.such.question"], {}),
    ([Q1, "gen:nope:1"], {}),
    ([], {}),
    ([Q1], {"scoring": "speed"}),
    ([Q1], {"time_limit_s": 0}),
    ([Q1], {"time_limit_s": -5}),
    ([Q1], {"time_limit_s": float("nan")}),
    ([Q1], {"time_limit_s": store_mod.MAX_TIME_LIMIT_S + 1}),
    ([Q1], {"scoring": "fastest"}),
    ([f"gen:code:{i}" for i in range(store_mod.MAX_QUESTIONS + 1)], {}),
], ids=["unknown-id", "unknown-gen", "empty", "speed-without-limit", "limit-0",
        "negative-limit", "nan-limit", "limit-too-long", "bad-scoring", "too-many"])
def test_create_session_validation(store, db, ids, options):
    with pytest.raises(ValueError):
        store.create_session(ids, **options)
    raw = _raw(db)
    assert raw.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    raw.close()


def test_create_session_keeps_order_and_drops_repeats(store):
    sid, _ = store.create_session([Q2, GEN, Q1, Q2], time_limit_s=20, scoring="speed",
                                  leaderboard=False)
    info = store.session(sid)
    assert info.question_ids == (Q2, GEN, Q1)
    assert (info.time_limit_s, info.scoring, info.leaderboard, info.ended) == (
        20, "speed", False, False)
    store.set_leaderboard(sid, True)
    assert store.session(sid).leaderboard is True
    assert store.session(sid + 1000) is None


# --- results ---------------------------------------------------------------------------


def test_results_with_speed_points(store, clock):
    sid, code = store.create_session([Q1, Q2, Q4], time_limit_s=20, scoring="speed")
    an, bo, cu = (store.join(code, name) for name in ("An", "Bo", "Cu"))
    store.join(code, "Eve")
    store.join(code, "dan")  # no answers: 0, and ties sort by nickname, ignoring case
    t0 = clock[0] = clock[0] + 5
    store.open_question(sid, Q1)  # key b
    assert _state(store, sid, Q1).opened_at == t0
    clock[0] = t0
    assert store.submit(an, Q1, "b")  # at once: 1000
    clock[0] = t0 + 10
    assert store.submit(bo, Q1, "b")  # half the limit: 750
    clock[0] = t0 + 5
    assert store.submit(cu, Q1, "a")  # wrong: 0
    t1 = clock[0] = t0 + 60
    store.open_question(sid, Q2)  # key c
    clock[0] = t1 + 20
    assert store.submit(an, Q2, "c")  # at the limit: 500
    clock[0] = t1 + 20 + GRACE_S
    assert store.submit(bo, Q2, "c")  # in the grace: still 500
    clock[0] = t1 + 4
    assert store.submit(cu, Q2, "c")  # 900

    points = {(a.nickname, a.question_id): (a.points, a.elapsed_s) for a in store.answers(sid)}
    assert points == {("An", Q1): (1000, 0.0), ("Bo", Q1): (750, 10.0), ("Cu", Q1): (0, 5.0),
                      ("An", Q2): (500, 20.0), ("Bo", Q2): (500, 20 + GRACE_S),
                      ("Cu", Q2): (900, 4.0)}
    results = store.results(sid)
    assert [(p.nickname, p.score, p.correct, p.answered) for p in results.players] == [
        ("An", 1500, 2, 2), ("Bo", 1250, 2, 2), ("Cu", 900, 1, 2), ("dan", 0, 0, 0),
        ("Eve", 0, 0, 0)]
    assert [(q.question_id, q.position, q.answered, q.correct) for q in results.questions] == [
        (Q1, 0, 3, 2), (Q2, 1, 3, 3), (Q4, 2, 0, 0)]
    assert [q.accuracy for q in results.questions] == [pytest.approx(2 / 3), 1.0, None]


def test_results_with_right_or_wrong_scoring(store):
    sid, code = store.create_session([Q1, Q2])
    an, bo, cu = (store.join(code, name) for name in ("An", "Bo", "Cu"))
    store.open_question(sid, Q1)
    store.submit(an, Q1, "a")
    store.submit(bo, Q1, "b")
    store.open_question(sid, Q2)
    store.submit(bo, Q2, "c")
    store.submit(cu, Q2, "c")
    results = store.results(sid)
    assert [(p.nickname, p.score, p.correct, p.answered) for p in results.players] == [
        ("Bo", 2, 2, 2), ("Cu", 1, 1, 1), ("An", 0, 0, 1)]
    assert [(q.answered, q.correct, q.accuracy) for q in results.questions] == [
        (2, 1, 0.5), (2, 2, 1.0)]
    empty_sid, _ = store.create_session([Q1])
    empty = store.results(empty_sid)
    assert empty.players == () and [(q.answered, q.accuracy) for q in empty.questions] == [
        (0, None)]


# --- a database that cannot be written ---------------------------------------------------


def _says_how_to_fix(error: StoreError) -> None:
    message = str(error)
    assert ENV_VAR in message and "writable" in message, message
    assert not isinstance(error, sqlite3.Error)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError) as caught:
            open_store(folder / "quiz.sqlite3")
        _says_how_to_fix(caught.value)
    finally:
        folder.chmod(0o700)


def test_a_parent_that_is_a_file(tmp_path, monkeypatch):
    (tmp_path / "plain").write_text("I am a file")
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path / "plain" / "quiz.sqlite3")
    _says_how_to_fix(caught.value)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "plain" / "sub" / "quiz.sqlite3"))
    with pytest.raises(StoreError) as caught:
        open_store()
    _says_how_to_fix(caught.value)


def test_a_folder_or_a_non_database_where_the_file_should_be(tmp_path):
    (tmp_path / "folder.sqlite3").mkdir()
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path / "folder.sqlite3")
    _says_how_to_fix(caught.value)
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database, " * 100)
    with pytest.raises(StoreError) as caught:
        open_store(tmp_path / "junk.sqlite3")
    _says_how_to_fix(caught.value)


def _read_only_store_ops(db):
    """A store with a session, a player and an open question, closed again; the writes
    to try on it once it is read-only."""
    s = open_store(db)
    sid, code = s.create_session([Q1, Q2])
    token = s.join(code, "An")
    s.open_question(sid, Q1)
    s.close()
    return [
        ("create_session", lambda st: st.create_session([Q1])),
        ("join", lambda st: st.join(code, "Bo")),
        ("submit", lambda st: st.submit(token, Q1, "b")),
        ("open_question", lambda st: st.open_question(sid, Q2)),
        ("end_session", lambda st: st.end_session(sid)),
    ]


def _assert_writes_give_store_errors(db, ops):
    for name, op in ops:
        try:
            op(open_store(db))
        except StoreError as error:
            _says_how_to_fix(error)
        except Exception as error:  # noqa: BLE001 - the failure this test is about
            pytest.fail(f"{name}: {type(error).__module__}.{type(error).__name__}: {error}")
        else:
            pytest.fail(f"{name}: wrote to a read-only database")


def test_a_read_only_database_file_gives_store_errors(db):
    ops = _read_only_store_ops(db)
    assert not db.with_name(db.name + "-wal").exists()  # checkpointed when it closed
    header = bytearray(db.read_bytes())
    assert header[18:20] == b"\x02\x02"  # WAL: file format write and read versions
    header[18] = 3  # "If the write version is greater than 2, the file is read-only."
    db.write_bytes(bytes(header))
    _assert_writes_give_store_errors(db, ops)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_database_file_of_mode_0o400_gives_store_errors(db):
    ops = _read_only_store_ops(db)
    db.chmod(0o400)
    try:
        _assert_writes_give_store_errors(db, ops)
    finally:
        db.chmod(0o600)
