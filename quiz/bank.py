"""The question bank: JSON data files in ``quiz/bank/``, validated with pydantic on load.

Every question carries its text in English and Vietnamese, an explanation, the topic it
tests and the page that teaches it. Three kinds:

- ``single``: one correct option among ``options``;
- ``multiple``: every correct option must be chosen, and no other;
- ``numeric``: a number, right within ``rel_tol`` of the answer or ``abs_tol`` of it
  (``|given - answer| <= max(rel_tol * |answer|, abs_tol)``, as PrairieLearn grades).

A file that breaks a rule is refused with its name, the question's id and what is wrong.

>>> bank = load_bank()
>>> bank["slides.q1"].grade("b"), bank["slides.q1"].grade("a")
(True, False)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

BANK_DIR = Path(__file__).parent / "bank"
LANGUAGES = ("en", "vi")
#: Topics, in the order of the learning path; each is taught by the page of the same key
#: (``basics`` by Home).
TOPICS = ("basics", "formats", "uniform", "calibration", "granularity", "nonuniform",
          "matmul")
PAGES = ("home", "formats", "uniform", "calibration", "granularity", "nonuniform", "matmul")
KINDS = ("single", "multiple", "numeric")
#: A numeric answer is a finite number; a choice answer names options by id.
MAX_OPTIONS = 8

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.:-]{0,63}$")]
Text1 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class BankError(ValueError):
    """A bank file that cannot be read or breaks a rule; the message says which and why."""


class Text(BaseModel):
    """One text in both languages."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    en: Text1
    vi: Text1

    def __call__(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{1,8}$")]
    text: Text


class Question(BaseModel):
    """One question of the bank (or a generated one): the key is ``answer``/``value``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Id
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    page: Literal[PAGES]  # type: ignore[valid-type]
    kind: Literal[KINDS]  # type: ignore[valid-type]
    prompt: Text
    explanation: Text
    options: tuple[Option, ...] = ()
    answer: tuple[str, ...] = ()
    value: float | None = None
    rel_tol: float = Field(0.0, ge=0.0, le=1.0)
    abs_tol: float = Field(0.0, ge=0.0)
    unit: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _rules(self) -> Question:
        if self.kind == "numeric":
            if self.value is None or not math.isfinite(self.value):
                raise ValueError("a numeric question needs a finite 'value'")
            if self.options or self.answer:
                raise ValueError("a numeric question has no 'options' or 'answer'")
            return self
        if self.value is not None:
            raise ValueError("only a numeric question has a 'value'")
        ids = [o.id for o in self.options]
        if not 2 <= len(ids) <= MAX_OPTIONS:
            raise ValueError(f"a choice question needs 2 to {MAX_OPTIONS} options")
        if len(set(ids)) != len(ids):
            raise ValueError(f"option ids repeat: {ids}")
        if len(set(self.answer)) != len(self.answer):
            raise ValueError(f"answer ids repeat: {list(self.answer)}")
        missing = [a for a in self.answer if a not in ids]
        if missing:
            raise ValueError(f"answer {missing} is not among the options {ids}")
        if self.kind == "single" and len(self.answer) != 1:
            raise ValueError("a single-choice question has exactly one answer")
        if self.kind == "multiple" and not self.answer:
            raise ValueError("a multiple-choice question has at least one answer")
        return self

    def grade(self, given: Any) -> bool:
        """Whether ``given`` is right: an option id (single), a list of ids (multiple) or
        a number (numeric). Anything malformed is simply wrong."""
        return grade(self, given)

    def correct_text(self, lang: str) -> list[str]:
        """The correct answer as text: the right options' texts, or the number."""
        if self.kind == "numeric":
            return [f"{self.value:.6g}{(' ' + self.unit) if self.unit else ''}"]
        texts = {o.id: o.text(lang) for o in self.options}
        return [texts[a] for a in self.answer]


def normalise(question: Question, given: Any) -> Any:
    """An answer as the store keeps it: an option id, a sorted list of ids, or a float.
    None when it cannot be one (a wrong type, an unknown id, NaN)."""
    if question.kind == "numeric":
        if isinstance(given, bool) or not isinstance(given, int | float | str):
            return None
        try:
            number = float(str(given).strip().replace(",", "."))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    ids = {o.id for o in question.options}
    if question.kind == "single":
        return given if isinstance(given, str) and given in ids else None
    if isinstance(given, str) or not isinstance(given, Iterable):
        return None
    chosen = list(given)
    if not chosen or not all(isinstance(g, str) and g in ids for g in chosen):
        return None
    return sorted(set(chosen))


def grade(question: Question, given: Any) -> bool:
    """Whether ``given`` answers ``question`` (see ``Question.grade``)."""
    given = normalise(question, given)
    if given is None:
        return False
    if question.kind == "numeric":
        tolerance = max(question.rel_tol * abs(question.value), question.abs_tol)
        return abs(given - question.value) <= tolerance
    if question.kind == "single":
        return given == question.answer[0]
    return set(given) == set(question.answer)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "question"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_file(path: Path) -> list[Question]:
    """The questions of one bank file (a JSON list), or a BankError naming what is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BankError(f"{path.name}: cannot be read as JSON ({error})") from None
    if not isinstance(raw, list):
        raise BankError(f"{path.name}: the file must hold a list of questions")
    questions = []
    for position, item in enumerate(raw):
        label = item.get("id", f"#{position}") if isinstance(item, dict) else f"#{position}"
        try:
            questions.append(Question.model_validate(item))
        except ValidationError as error:
            raise BankError(f"{path.name}, question {label}: {_describe(error)}") from None
    return questions


def build_bank(questions: Iterable[Question | tuple[str, Question]]) -> Mapping[str, Question]:
    """Questions by id (each optionally with the name of its file); ids must be unique
    across files."""
    bank: dict[str, Question] = {}
    where: dict[str, str] = {}
    for item in questions:
        name, question = item if isinstance(item, tuple) else ("", item)
        if question.id in bank:
            files = " and ".join(f for f in (where[question.id], name) if f)
            raise BankError(f"question id {question.id!r} appears twice"
                            + (f" (in {files})" if files else ""))
        bank[question.id], where[question.id] = question, name
    return MappingProxyType(bank)


def load_bank(directory: Path | None = None) -> Mapping[str, Question]:
    """Every question of every ``*.json`` file of ``directory`` (the shipped bank by
    default), by id. The shipped bank is read once per process."""
    if directory is None:
        return _shipped()
    return _load(Path(directory))


def _load(directory: Path) -> Mapping[str, Question]:
    files = sorted(directory.glob("*.json"))
    if not files:
        raise BankError(f"no question files (*.json) in {directory.name}")
    return build_bank((path.name, q) for path in files for q in parse_file(path))


@cache
def _shipped() -> Mapping[str, Question]:
    return _load(BANK_DIR)


def by_topic(bank: Mapping[str, Question], topics: Iterable[str]) -> list[Question]:
    """The bank's questions on ``topics``, in bank order."""
    wanted = set(topics)
    return [q for q in bank.values() if q.topic in wanted]
