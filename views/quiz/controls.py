"""The Quiz page's Control table: the mode, and the settings of a self-study draw or of a
new classroom session (topics, count, generated numbers, seed, time limit, scoring,
leaderboard). What a student types (a join code, a nickname, an answer) and the teacher's
passcode are not controls: they are never put in a lesson link."""

from __future__ import annotations

import streamlit as st

from lessons import quiz
from quantlib._validate import Interval
from ui import urlstate
from ui.i18n import t
from ui.urlstate import Control, ControlTable

DEFAULT_SEED = 1


def limit_label(seconds: int) -> str:
    return t("q.limit.none") if seconds == 0 else t("q.limit.seconds", s=seconds)


TOPIC_KEYS = {topic: f"q_topic_{topic}" for topic in quiz.TOPICS}

TABLE = ControlTable("quiz", (
    Control("q_mode", "self", "segmented", "q.mode", help="q.mode_help",
            options=quiz.MODES, option_label="q.mode"),
    *(Control(key, True, "checkbox", f"q.topic.{topic}") for topic, key in TOPIC_KEYS.items()),
    Control("q_count", 10, "select_slider", "q.count", help="q.count_help",
            options=quiz.COUNTS),
    Control("q_generated", True, "toggle", "q.generated", help="q.generated_help"),
    Control("q_seed", DEFAULT_SEED, "number", "q.seed", help="q.seed_help",
            bounds=Interval(int, 0, quiz.MAX_SEED)),
    Control("q_limit", 0, "select", "q.limit", help="q.limit_help", options=quiz.LIMITS,
            option_label=limit_label),
    Control("q_scoring", "correct", "segmented", "q.scoring", help="q.scoring_help",
            options=quiz.SCORINGS, option_label="q.scoring"),
    Control("q_board", True, "toggle", "q.board", help="q.board_help"),
))


def reset() -> None:
    urlstate.set_values(TABLE)


def mode(seated: bool) -> str:
    """The mode selector; a student's seat link (or a join link) opens the student's
    view alone, without the selector."""
    if seated:
        return "student"
    return urlstate.draw(TABLE["q_mode"])


def topics() -> tuple[str, ...]:
    """The topic checkboxes, in two rows; the chosen topics (every topic when none)."""
    st.markdown(f"**{t('q.topics')}**")
    columns = st.columns(4)
    chosen = [topic for i, (topic, key) in enumerate(TOPIC_KEYS.items())
              if urlstate.draw(TABLE[key], where=columns[i % 4])]
    return tuple(chosen)


def draw_draw() -> tuple[tuple[str, ...], int, bool, int]:
    """What a draw of questions needs: topics, count, generated numbers, seed."""
    chosen = topics()
    c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")
    count = urlstate.draw(TABLE["q_count"], where=c1)
    generated = urlstate.draw(TABLE["q_generated"], where=c2)
    seed = urlstate.draw(TABLE["q_seed"], where=c3)
    return chosen, count, generated, seed


def draw_session() -> tuple[int, str, bool]:
    """A new session's time limit, scoring and leaderboard."""
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    limit = urlstate.draw(TABLE["q_limit"], where=c1)
    scoring = urlstate.draw(TABLE["q_scoring"], where=c2, disabled=limit == 0)
    board = urlstate.draw(TABLE["q_board"], where=c3)
    return limit, scoring if limit else "correct", board


def publish() -> None:
    urlstate.publish(TABLE)
