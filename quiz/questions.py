"""Any question by id: the shipped bank's, or a generated one (``gen:<kind>:<seed>``)."""

from __future__ import annotations

from . import generate
from .bank import Question, load_bank


def get(question_id: str) -> Question:
    """The question ``question_id`` names; KeyError when it names none."""
    if generate.is_generated(question_id):
        return generate.question(question_id)
    return load_bank()[question_id]


def exists(question_id: str) -> bool:
    try:
        get(question_id)
    except (KeyError, ValueError):
        return False
    return True
