"""The Quiz page: what it shows that is not storage.

A question as a student sees it (``view``: no answer, no explanation) and as it is shown
once answered or closed (``reveal``); self-study draws; the teacher's live distribution
and results; the CSV export.

>>> questions = self_study(("basics",), 3, seed=1, generated=False)
>>> [q.topic for q in questions]
['basics', 'basics', 'basics']
>>> v = view(get("slides.q1"), "vi")
>>> v.prompt, [o[0] for o in v.options]
('Quá trình quantization là gì?', ['a', 'b', 'c', 'd'])
>>> hasattr(v, "answer") or hasattr(v, "explanation")
False
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np

from quiz import generate
from quiz.bank import TOPICS, Question, load_bank, normalise
from quiz.questions import get
from quiz.scoring import SCORINGS as SCORINGS  # re-exported for the page's controls
from quiz.store import GRACE_S, AnswerRow, Results, SessionInfo

MODES = ("self", "student", "teacher")
COUNTS = (5, 10, 15, 20, 30)
#: Seconds per question; 0 means no limit.
LIMITS = (0, 10, 20, 30, 60, 120)
#: In self-study and in a new session, this share of the questions is generated numbers.
GENERATED_SHARE = 1 / 3
MAX_SEED = generate.MAX_SEED
LEADERBOARD_SIZE = 10
#: Seconds between the teacher's (and a student's) live refreshes.
REFRESH_S = 2.0
LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class QuestionView:
    """What a student's page may hold before answering: never the key."""

    id: str
    kind: str
    topic: str
    prompt: str
    options: tuple[tuple[str, str], ...]  # (id, "A) text")
    unit: str


@dataclass(frozen=True)
class Reveal:
    """The key and the explanation, shown once answered (self-study) or closed."""

    correct: tuple[str, ...]
    explanation: str
    page: str

    @property
    def listed(self) -> str:
        """The right answer as Markdown: inline, or a list when several options are."""
        if len(self.correct) == 1:
            return self.correct[0]
        return "".join(f"\n- {text}" for text in self.correct)


def label(question: Question, option_id: str, lang: str) -> str:
    for index, option in enumerate(question.options):
        if option.id == option_id:
            return f"{LETTERS[index]}) {option.text(lang)}"
    return option_id


def view(question: Question, lang: str) -> QuestionView:
    return QuestionView(question.id, question.kind, question.topic, question.prompt(lang),
                        tuple((o.id, label(question, o.id, lang)) for o in question.options),
                        question.unit)


def reveal(question: Question, lang: str) -> Reveal:
    if question.kind == "numeric":
        correct = tuple(question.correct_text(lang))
    else:
        correct = tuple(label(question, a, lang) for a in question.answer)
    return Reveal(correct, question.explanation(lang), question.page)


def answer_text(question: Question, given, lang: str) -> str:
    """A stored answer as the page shows it."""
    given = normalise(question, given)
    if given is None:
        return "—"
    if question.kind == "numeric":
        return f"{given:.6g}"
    chosen = [given] if question.kind == "single" else given
    return "; ".join(label(question, g, lang) for g in chosen)


def self_study(topics: Sequence[str], count: int, *, seed: int,
               generated: bool) -> list[Question]:
    """``count`` questions on ``topics`` (every topic when none), drawn with ``seed``: a
    third generated numbers when ``generated`` (where they fit the topics), the rest from
    the bank. The same arguments give the same questions."""
    topics = [t for t in TOPICS if t in topics] or list(TOPICS)
    rng = np.random.default_rng(seed)
    pool = [q for q in load_bank().values() if q.topic in topics]
    kinds = [k for k in generate.KINDS if generate.generate(k, 0).topic in topics] \
        if generated else []
    n_generated = round(count * GENERATED_SHARE) if kinds else 0
    n_bank = min(count - n_generated, len(pool))
    chosen = [pool[i] for i in rng.choice(len(pool), size=n_bank, replace=False)]
    chosen += [get(i) for i in generate.ids(kinds, count - n_bank, int(rng.integers(MAX_SEED)))
               ] if kinds else []
    order = rng.permutation(len(chosen))
    return [chosen[i] for i in order]


def session_questions(picked: Sequence[str], topics: Sequence[str], count: int, *,
                      seed: int, generated: bool) -> list[str]:
    """A new session's question ids: the teacher's picks, else a draw as in self-study."""
    if picked:
        return list(dict.fromkeys(picked))
    return [q.id for q in self_study(topics, count, seed=seed, generated=generated)]


@dataclass(frozen=True)
class Distribution:
    """The open question's answers so far: bars of counts, and how many are right."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    right: int
    total: int


def distribution(question: Question, rows: Iterable[AnswerRow]) -> Distribution:
    """Counts per option (multiple choice counts each chosen option), or right/wrong for
    a numeric question."""
    rows = [r for r in rows if r.question_id == question.id]
    right = sum(r.correct for r in rows)
    if question.kind == "numeric":
        return Distribution(("✓", "✗"), (right, len(rows) - right), right, len(rows))
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update([row.answer] if question.kind == "single" else row.answer)
    ids = [o.id for o in question.options]
    return Distribution(tuple(LETTERS[i] for i in range(len(ids))),
                        tuple(counts[i] for i in ids), right, len(rows))


def time_left(info: SessionInfo, opened_at: float | None, now: float) -> float | None:
    """Seconds left on the open question (None without a limit), never below 0."""
    if info.time_limit_s is None or opened_at is None:
        return None
    return max(info.time_limit_s - (now - opened_at), 0.0)


@dataclass(frozen=True)
class QuestionSummary:
    position: int
    question_id: str
    prompt: str
    answered: int
    correct: int
    accuracy: float | None


def summaries(results: Results, lang: str) -> list[QuestionSummary]:
    return [QuestionSummary(r.position + 1, r.question_id, get(r.question_id).prompt(lang),
                            r.answered, r.correct, r.accuracy) for r in results.questions]


def hardest(results: Results, lang: str, n: int = 3) -> list[QuestionSummary]:
    """The answered questions with the lowest accuracy (ties: the most answers first)."""
    answered = [s for s in summaries(results, lang) if s.accuracy is not None]
    return sorted(answered, key=lambda s: (s.accuracy, -s.answered, s.position))[:n]


def rank(results: Results, score: int) -> int:
    """The rank of ``score`` in a session: 1 is best, and ties share a rank."""
    return 1 + sum(p.score > score for p in results.players)


def own_score(results: Results, player_id: int) -> tuple[int, int | None]:
    """A player's score and rank."""
    for player in results.players:
        if player.player_id == player_id:
            return player.score, rank(results, player.score)
    return 0, None


def csv_text(info: SessionInfo, results: Results, rows: Sequence[AnswerRow],
             lang: str) -> str:
    """The session as CSV, one row per player and question (blank when unanswered)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["session", "join_code", "player", "question_position", "question_id",
                     "answer", "correct", "points", "seconds", "total_score"])
    by_key = {(r.player_id, r.question_id): r for r in rows}
    for player in results.players:
        for state in results.questions:
            question = get(state.question_id)
            row = by_key.get((player.player_id, state.question_id))
            writer.writerow([
                info.id, info.join_code, _cell(player.nickname), state.position + 1,
                state.question_id,
                answer_text(question, row.answer, lang) if row else "",
                int(row.correct) if row else "", row.points if row else "",
                f"{row.elapsed_s:.1f}" if row else "", player.score])
    return out.getvalue()


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def progress(position: int, total: int) -> float:
    """The share of a quiz done before question ``position`` (0-based)."""
    return min(max(position / total, 0.0), 1.0) if total else 0.0


def ordinal(position: int) -> int:
    """Question ``position`` (0-based) as people count it."""
    return position + 1


@dataclass(frozen=True)
class Score:
    right: int
    total: int
    mistakes: tuple[str, ...]

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def self_score(ids: Sequence[str], given: dict) -> Score:
    """How many of ``ids`` were answered right, and the ids answered wrong (in order)."""
    mistakes = tuple(i for i in ids if i in given and not get(i).grade(given[i]))
    answered = sum(i in given for i in ids)
    return Score(answered - len(mistakes), len(ids), mistakes)


def next_draw(settings: tuple) -> tuple:
    """The same settings with the next seed (a new set of questions)."""
    topics, count, generated, seed = settings
    return topics, count, generated, (seed + 1) % (MAX_SEED + 1)


@dataclass(frozen=True)
class Live:
    """A session's state at a moment: the open question and whether its time is up, and
    whether the session ended."""

    open_question: str | None
    opened_at: float | None
    expired: bool
    ended: bool


def live(info: SessionInfo, states: Sequence, now: float) -> Live:
    """The session's live state at ``now`` (the server's clock). A question's time is up
    when the store would refuse an answer: past its limit and the grace."""
    open_states = [s for s in states if s.is_open]
    opened = open_states[0].opened_at if open_states else None
    expired = (opened is not None and info.time_limit_s is not None
               and now - opened > info.time_limit_s + GRACE_S)
    return Live(open_states[0].question_id if open_states else None, opened, expired,
                info.ended)


def next_unopened(states: Sequence) -> str | None:
    """The first question of a session not yet opened (the teacher's "next")."""
    return next((s.question_id for s in states if s.opened_at is None), None)


def leaderboard(results: Results, n: int = LEADERBOARD_SIZE) -> list[tuple[int, str, int]]:
    """The top ``n`` as (rank, nickname, score); ties share a rank."""
    return [(rank(results, p.score), p.nickname, p.score) for p in results.players[:n]]


def short(text: str, limit: int = 80) -> str:
    """A question's prompt cut for a table cell."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def whole_seconds(seconds: float) -> int:
    """Seconds left as a countdown shows them (2.1 s left shows 3)."""
    return int(np.ceil(max(seconds, 0.0)))


def closed_latest_first(states: Sequence) -> list:
    """A session's closed questions, the last closed first (the one to discuss)."""
    closed = [s for s in states if s.closed_at is not None]
    return sorted(closed, key=lambda s: s.closed_at, reverse=True)


def locked(fails: int, since: float, now: float, max_fails: int, lock_s: float) -> bool:
    """Whether a passcode form is locked: ``max_fails`` wrong tries, the last less than
    ``lock_s`` ago."""
    return fails >= max_fails and now - since < lock_s


def failed(fails: int, since: float, now: float, max_fails: int) -> tuple[int, float]:
    """The count after one more wrong passcode (a lock that ran out starts again)."""
    return (1 if fails >= max_fails else fails + 1), now


def pick_list(topics: Sequence[str], lang: str) -> dict[str, str]:
    """Bank questions on ``topics`` (every topic when none), id -> a short label."""
    topics = topics or TOPICS
    return {q.id: f"[{q.topic}] {short(q.prompt(lang), 90)}"
            for q in load_bank().values() if q.topic in topics}


def join_link(page_url: str | None, code: str, lang: str) -> str:
    """The link a student's phone opens (the QR code): this page with the join code."""
    base = page_url or "http://localhost:8501/quiz"
    return f"{base}?{urlencode({'join': code, 'lang': lang})}"


def limit_seconds(time_limit_s: float | None) -> int:
    return 0 if time_limit_s is None else int(time_limit_s)


def state_name(state) -> str:
    return "open" if state.is_open else "closed" if state.closed_at is not None else "waiting"


def csv_name(info: SessionInfo) -> str:
    return f"quiz-{info.join_code}.csv"
