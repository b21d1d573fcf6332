"""Classroom sessions, players and answers, in SQLite (WAL) behind a small interface.

Pages use only the ``Store`` methods, so a PostgreSQL backend can be added later as
another class with the same methods, chosen by ``open_store``'s URL.

Rules the database itself enforces, not Python:

- one answer per player and question: ``UNIQUE(player_id, question_id)`` on ``answers``,
  and ``submit`` inserts with ``ON CONFLICT DO NOTHING``, so two taps, two tabs or two
  processes store one answer, and the second is told False;
- a nickname once per session (case-insensitively): ``UNIQUE(session_id, nickname_key)``;
- join codes and player tokens are unique.

``submit`` checks that the question is open and within its time limit by this server's
clock (the browser's clock is never asked), in the same transaction as the insert.

Concurrency: WAL mode (readers never wait for the writer), a busy timeout, and one
connection per thread (sqlite3 connections must not cross threads). Each write is one
short ``BEGIN IMMEDIATE`` transaction. The schema has a version table; ``MIGRATIONS`` are
applied in order when a store opens, under the write lock, so two processes that open the
same new file at once migrate it once.

>>> import tempfile, pathlib
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "quiz.sqlite3")
>>> session_id, code = store.create_session(["slides.q1"])
>>> token = store.join(code, "An")
>>> store.open_question(session_id, "slides.q1")
>>> store.submit(token, "slides.q1", "b"), store.submit(token, "slides.q1", "b")
(True, False)
>>> [(row.nickname, row.correct) for row in store.answers(session_id)]
[('An', True)]
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import questions
from .bank import normalise
from .scoring import SCORINGS, points

ENV_VAR = "QUANTLAB_DB"
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "quantlab.sqlite3"
BUSY_TIMEOUT_MS = 10_000
#: Join codes: short, typed on a phone, read off a projector; no 0/O or 1/I/L to confuse.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
TOKEN_BYTES = 24  # 32 URL-safe characters: not guessable, short enough for a URL
MAX_NICKNAME = 24
MAX_QUESTIONS = 200
#: Seconds of network and rerun time an answer may take beyond the limit and still count.
GRACE_S = 1.0
MAX_TIME_LIMIT_S = 3600.0

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, their questions in order, players, answers.
    """
    CREATE TABLE sessions (
        id            INTEGER PRIMARY KEY,
        join_code     TEXT NOT NULL UNIQUE,
        created_at    REAL NOT NULL,
        time_limit_s  REAL,
        scoring       TEXT NOT NULL DEFAULT 'correct',
        leaderboard   INTEGER NOT NULL DEFAULT 1,
        ended_at      REAL
    );
    CREATE TABLE session_questions (
        session_id    INTEGER NOT NULL REFERENCES sessions(id),
        question_id   TEXT NOT NULL,
        position      INTEGER NOT NULL,
        opened_at     REAL,
        closed_at     REAL,
        PRIMARY KEY (session_id, question_id)
    );
    CREATE TABLE players (
        id            INTEGER PRIMARY KEY,
        session_id    INTEGER NOT NULL REFERENCES sessions(id),
        token         TEXT NOT NULL UNIQUE,
        nickname      TEXT NOT NULL,
        nickname_key  TEXT NOT NULL,
        joined_at     REAL NOT NULL,
        UNIQUE (session_id, nickname_key)
    );
    CREATE TABLE answers (
        id            INTEGER PRIMARY KEY,
        session_id    INTEGER NOT NULL REFERENCES sessions(id),
        player_id     INTEGER NOT NULL REFERENCES players(id),
        question_id   TEXT NOT NULL,
        answer        TEXT NOT NULL,
        correct       INTEGER NOT NULL,
        points        INTEGER NOT NULL,
        elapsed_s     REAL NOT NULL,
        submitted_at  REAL NOT NULL,
        UNIQUE (player_id, question_id)
    );
    CREATE INDEX answers_by_session ON answers (session_id, question_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The database cannot be opened or written; the message says what to do."""


class JoinError(ValueError):
    """A join that cannot be done; ``reason`` is a stable code for the page's message:
    ``unknown_code``, ``ended``, ``nickname_taken`` or ``bad_nickname``."""

    REASONS = ("unknown_code", "ended", "nickname_taken", "bad_nickname")

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SessionInfo:
    id: int
    join_code: str
    created_at: float
    time_limit_s: float | None
    scoring: str
    leaderboard: bool
    ended: bool
    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class QuestionState:
    question_id: str
    position: int
    opened_at: float | None
    closed_at: float | None

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


@dataclass(frozen=True)
class Player:
    id: int
    session_id: int
    nickname: str
    token: str


@dataclass(frozen=True)
class AnswerRow:
    player_id: int
    nickname: str
    question_id: str
    answer: Any
    correct: bool
    points: int
    elapsed_s: float
    submitted_at: float


@dataclass(frozen=True)
class PlayerScore:
    player_id: int
    nickname: str
    score: int
    correct: int
    answered: int


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    position: int
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class Results:
    players: tuple[PlayerScore, ...]  # best first
    questions: tuple[QuestionResult, ...]  # in the session's order


def clean_nickname(nickname: str) -> str:
    """A nickname as stored: spaces collapsed; JoinError when empty, too long or holding
    control or format characters."""
    text = " ".join(str(nickname).split())
    if not 1 <= len(text) <= MAX_NICKNAME or any(
            unicodedata.category(ch).startswith("C") for ch in text):
        raise JoinError("bad_nickname")
    return unicodedata.normalize("NFC", text)


def clean_code(join_code: str) -> str:
    return "".join(str(join_code).split()).upper()[:2 * CODE_LENGTH]


def resolve_path(url: str | os.PathLike | None = None) -> Path:
    """The database file of ``url``: a path or ``sqlite:///path``; by default
    ``$QUANTLAB_DB``, else ``data/quantlab.sqlite3`` in the app's folder."""
    if url is None:
        url = os.environ.get(ENV_VAR) or DEFAULT_PATH
    text = os.fspath(url)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif "://" in text:
        raise StoreError(f"{ENV_VAR} must be a file path or sqlite:///path; "
                         f"only SQLite is supported so far")
    return Path(text)


def open_store(url: str | os.PathLike | None = None) -> Store:
    """The store at ``url`` (see ``resolve_path``), created and migrated on first use."""
    return SQLiteStore(resolve_path(url))


class SQLiteStore:
    """The SQLite backend. Thread-safe: every thread gets its own connection."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        # One writer at a time within this process. SQLite's own busy handler makes a
        # writer that finds the lock taken sleep in growing steps (up to 100 ms), so 50
        # threads tapping at once waited seconds; a lock hands the turn over at once.
        # Other processes still wait on the busy timeout.
        self._write_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._error(error) from None
        self._migrate()

    # -- connections and transactions -------------------------------------------------
    def _error(self, error: Exception) -> StoreError:
        return StoreError(
            f"The quiz database {self.path.name} cannot be opened or written ({error}). "
            f"Make its folder writable, or set {ENV_VAR} to a writable file.")

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                      isolation_level=None)
                con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                con.execute("PRAGMA journal_mode = WAL")
                # In WAL mode FULL syncs every commit: a "saved" answer survives a crash.
                con.execute("PRAGMA synchronous = FULL")
                con.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as error:
                raise self._error(error) from None
            self._local.con = con
        return con

    @contextmanager
    def _write(self):
        """One short write transaction, taken with the write lock from the start (so two
        writers never both read and then both fail to upgrade)."""
        con = self._connection()
        with self._write_lock:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._error(error) from None
            try:
                yield con
            except sqlite3.IntegrityError:  # a rule the caller turns into an answer
                con.execute("ROLLBACK")
                raise
            except sqlite3.Error as error:  # read-only file, disk full, I/O error
                con.execute("ROLLBACK")
                raise self._error(error) from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
            try:
                con.execute("COMMIT")
            except sqlite3.Error as error:
                con.execute("ROLLBACK")
                raise self._error(error) from None

    def _read(self, sql: str, args: Sequence = ()) -> list[tuple]:
        try:
            return self._connection().execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _migrate(self) -> None:
        with self._write() as con:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"The quiz database {self.path.name} was written by a newer "
                                 f"version of the app (schema {version}).")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
                if row is None:
                    con.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
                    row = (number,)
                else:
                    con.execute("UPDATE schema_version SET version = ?", (number,))

    def schema_version(self) -> int:
        return self._read("SELECT version FROM schema_version")[0][0]

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # -- sessions ---------------------------------------------------------------------
    def create_session(self, question_ids: Sequence[str], *, time_limit_s: float | None = None,
                       scoring: str = "correct", leaderboard: bool = True) -> tuple[int, str]:
        """A new session over ``question_ids`` (bank or generated ids, in order); returns
        its id and its join code."""
        ids = list(dict.fromkeys(question_ids))
        if not 1 <= len(ids) <= MAX_QUESTIONS:
            raise ValueError(f"a session needs 1 to {MAX_QUESTIONS} questions")
        unknown = [q for q in ids if not questions.exists(q)]
        if unknown:
            raise ValueError(f"unknown question ids: {unknown[:5]}")
        if scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}")
        if time_limit_s is not None and not 1 <= float(time_limit_s) <= MAX_TIME_LIMIT_S:
            raise ValueError(f"time_limit_s must be in [1, {MAX_TIME_LIMIT_S:g}] or None")
        if scoring == "speed" and time_limit_s is None:
            raise ValueError("speed points need a time limit")
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self._write() as con:
                    cursor = con.execute(
                        "INSERT INTO sessions (join_code, created_at, time_limit_s, scoring,"
                        " leaderboard) VALUES (?, ?, ?, ?, ?)",
                        (code, time.time(), time_limit_s, scoring, int(bool(leaderboard))))
                    session_id = cursor.lastrowid
                    con.executemany(
                        "INSERT INTO session_questions (session_id, question_id, position)"
                        " VALUES (?, ?, ?)", [(session_id, q, i) for i, q in enumerate(ids)])
                return session_id, code
            except sqlite3.IntegrityError:  # the code is taken: draw another
                continue
        raise StoreError("no free join code")  # pragma: no cover

    def _session_row(self, where: str, value) -> SessionInfo | None:
        rows = self._read(
            "SELECT id, join_code, created_at, time_limit_s, scoring, leaderboard, ended_at"
            f" FROM sessions WHERE {where} = ?", (value,))
        if not rows:
            return None
        sid, code, created, limit, scoring, board, ended = rows[0]
        ids = tuple(r[0] for r in self._read(
            "SELECT question_id FROM session_questions WHERE session_id = ? ORDER BY position",
            (sid,)))
        return SessionInfo(sid, code, created, limit, scoring, bool(board), ended is not None,
                           ids)

    def session(self, session_id: int) -> SessionInfo | None:
        return self._session_row("id", int(session_id))

    def session_by_code(self, join_code: str) -> SessionInfo | None:
        return self._session_row("join_code", clean_code(join_code))

    def end_session(self, session_id: int) -> None:
        """End a session: its open question closes, and nobody can join any more."""
        now = time.time()
        with self._write() as con:
            con.execute("UPDATE session_questions SET closed_at = ? WHERE session_id = ?"
                        " AND opened_at IS NOT NULL AND closed_at IS NULL", (now, session_id))
            con.execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                        (now, session_id))

    def set_leaderboard(self, session_id: int, shown: bool) -> None:
        with self._write() as con:
            con.execute("UPDATE sessions SET leaderboard = ? WHERE id = ?",
                        (int(bool(shown)), session_id))

    # -- players ----------------------------------------------------------------------
    def join(self, join_code: str, nickname: str, *, token: str | None = None) -> str:
        """A seat in the session of ``join_code``; returns the player's token. With the
        ``token`` of a player already in that session, the same player (same answers)."""
        if token:
            found = self.player(token)
            if found is not None:
                info = self.session(found.session_id)
                if info is not None and info.join_code == clean_code(join_code):
                    return found.token
        info = self.session_by_code(join_code)
        if info is None:
            raise JoinError("unknown_code")
        if info.ended:
            raise JoinError("ended")
        name = clean_nickname(nickname)
        new_token = secrets.token_urlsafe(TOKEN_BYTES)
        try:
            with self._write() as con:
                con.execute(
                    "INSERT INTO players (session_id, token, nickname, nickname_key, joined_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (info.id, new_token, name, name.casefold(), time.time()))
        except sqlite3.IntegrityError:
            raise JoinError("nickname_taken") from None
        return new_token

    def player(self, token: str) -> Player | None:
        """The player of a token (from a student's URL), or None."""
        if not isinstance(token, str) or not 16 <= len(token) <= 64:
            return None
        rows = self._read("SELECT id, session_id, nickname, token FROM players WHERE token = ?",
                          (token,))
        return Player(*rows[0]) if rows else None

    def players(self, session_id: int) -> list[str]:
        """The nicknames of a session's players, in the order they joined."""
        return [r[0] for r in self._read(
            "SELECT nickname FROM players WHERE session_id = ? ORDER BY id", (session_id,))]

    # -- questions --------------------------------------------------------------------
    def question_states(self, session_id: int) -> list[QuestionState]:
        return [QuestionState(*row) for row in self._read(
            "SELECT question_id, position, opened_at, closed_at FROM session_questions"
            " WHERE session_id = ? ORDER BY position", (session_id,))]

    def open_question(self, session_id: int, question_id: str) -> None:
        """Open a question for answers (the session's open question, if any, closes: one
        question is live at a time). A question once closed stays closed, and nothing
        opens in an ended session."""
        now = time.time()
        with self._write() as con:
            found = con.execute(
                "SELECT opened_at, closed_at FROM session_questions"
                " WHERE session_id = ? AND question_id = ?", (session_id, question_id)).fetchone()
            if found is None:
                raise KeyError(f"question {question_id!r} is not in session {session_id}")
            ended = con.execute("SELECT ended_at FROM sessions WHERE id = ?",
                                (session_id,)).fetchone()[0]
            if found[0] is not None or ended is not None:
                return
            con.execute("UPDATE session_questions SET closed_at = ? WHERE session_id = ?"
                        " AND opened_at IS NOT NULL AND closed_at IS NULL", (now, session_id))
            con.execute("UPDATE session_questions SET opened_at = ? WHERE session_id = ?"
                        " AND question_id = ?", (now, session_id, question_id))

    def close_question(self, session_id: int, question_id: str) -> None:
        with self._write() as con:
            con.execute("UPDATE session_questions SET closed_at = ? WHERE session_id = ?"
                        " AND question_id = ? AND opened_at IS NOT NULL AND closed_at IS NULL",
                        (time.time(), session_id, question_id))

    # -- answers ----------------------------------------------------------------------
    def submit(self, player_token: str, question_id: str, answer: Any) -> bool:
        """Store a player's answer; True when stored. False when the token is unknown,
        the question is not open in the player's session or its time is up (this
        server's clock), the session has ended, the answer is malformed, or the player
        already answered it."""
        try:
            question = questions.get(question_id)
        except (KeyError, ValueError):
            return False
        given = normalise(question, answer)
        if given is None:
            return False
        correct = question.grade(given)
        now = time.time()
        with self._write() as con:
            row = con.execute(
                "SELECT p.id, p.session_id, s.time_limit_s, s.scoring, q.opened_at,"
                " q.closed_at FROM players p JOIN sessions s ON s.id = p.session_id"
                " AND s.ended_at IS NULL"
                " JOIN session_questions q ON q.session_id = p.session_id"
                " AND q.question_id = ? WHERE p.token = ?",
                (question_id, player_token)).fetchone()
            if row is None:
                return False
            player_id, session_id, limit, scoring, opened, closed = row
            if opened is None or closed is not None:
                return False
            elapsed = max(now - opened, 0.0)
            if limit is not None and elapsed > limit + GRACE_S:
                return False
            cursor = con.execute(
                "INSERT INTO answers (session_id, player_id, question_id, answer, correct,"
                " points, elapsed_s, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (player_id, question_id) DO NOTHING",
                (session_id, player_id, question_id, json.dumps(given), int(correct),
                 points(correct, elapsed, limit, scoring), elapsed, now))
            return cursor.rowcount == 1

    def _answer_rows(self, where: str, args: Sequence) -> list[AnswerRow]:
        rows = self._read(
            "SELECT a.player_id, p.nickname, a.question_id, a.answer, a.correct, a.points,"
            " a.elapsed_s, a.submitted_at FROM answers a JOIN players p ON p.id = a.player_id"
            f" WHERE {where} ORDER BY a.id", args)
        return [AnswerRow(r[0], r[1], r[2], json.loads(r[3]), bool(r[4]), r[5], r[6], r[7])
                for r in rows]

    def answers(self, session_id: int) -> list[AnswerRow]:
        """Every answer of a session, in the order they were stored."""
        return self._answer_rows("a.session_id = ?", (session_id,))

    def player_answers(self, player_token: str) -> dict[str, AnswerRow]:
        """One player's own answers, by question id (what a student's page may show)."""
        return {row.question_id: row for row in self._answer_rows(
            "p.token = ?", (player_token,))}

    def answer_count(self, session_id: int, question_id: str) -> int:
        return self._read("SELECT COUNT(*) FROM answers WHERE session_id = ? AND"
                          " question_id = ?", (session_id, question_id))[0][0]

    def results(self, session_id: int) -> Results:
        """Each player's score (best first) and each question's answered/correct counts."""
        players = tuple(PlayerScore(*row) for row in self._read(
            "SELECT p.id, p.nickname, COALESCE(SUM(a.points), 0), COALESCE(SUM(a.correct), 0),"
            " COUNT(a.id) FROM players p LEFT JOIN answers a ON a.player_id = p.id"
            " WHERE p.session_id = ? GROUP BY p.id"
            " ORDER BY 3 DESC, 4 DESC, p.nickname_key", (session_id,)))
        stats = tuple(QuestionResult(*row) for row in self._read(
            "SELECT q.question_id, q.position, COUNT(a.id), COALESCE(SUM(a.correct), 0)"
            " FROM session_questions q LEFT JOIN answers a ON a.session_id = q.session_id"
            " AND a.question_id = q.question_id WHERE q.session_id = ?"
            " GROUP BY q.question_id ORDER BY q.position", (session_id,)))
        return Results(players, stats)


Store = SQLiteStore
