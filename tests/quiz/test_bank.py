"""The question bank: every shipped question (whatever files quiz/bank/ holds when the
tests run), the slides' five questions word for word, grading, and the errors a broken
bank file gives (built in tmp_path, never in quiz/bank/)."""

from __future__ import annotations

import json
import math
import re

import pytest

from quiz import bank as bank_mod
from quiz.bank import BANK_DIR, LANGUAGES, TOPICS, BankError, Question, grade, load_bank, normalise

# The slides' QUIZ TIME questions (seed 002): id, key, and the Vietnamese wording of the
# slide's question and of its right option (copied from the seed document).
SLIDES = {
    "slides.q1": ("b", "Quá trình quantization là gì?",
                  "Chuyển đổi giá trị liên tục thành giá trị rời rạc"),
    "slides.q2": ("c", "Trong machine learning, quantization thường được sử dụng để",
                  "Giảm kích thước và yêu cầu tính toán của mô hình"),
    "slides.q4": ("a", "Phương pháp quantization nào cung cấp các đặc tính sau",
                  "Lượng hóa đồng nhất (Uniform quantization)"),
    "slides.q5": ("b", "Loại lượng hóa nào phù hợp hơn cho các tín hiệu có hầu hết các giá "
                       "trị tập trung ở phía dương, xét về cả tính đơn giản và hiệu quả?",
                  "Lượng hóa không đối xứng (Non-symmetric quantization)"),
    "slides.cau5": ("c", "Quá trình hiệu chỉnh (calibration) trong quantization được sử dụng "
                         "để làm gì?",
                    "Xác định phạm vi giá trị tối ưu cho các tham số để giảm thiểu lỗi "
                    "quantization"),
}


def _other_bank_files() -> list:
    return [p for p in BANK_DIR.glob("*.json") if p.name != "slides.json"]


@pytest.fixture(scope="module")
def shipped():
    return load_bank()


# --- the shipped bank ----------------------------------------------------------------


def test_every_question_is_complete_in_both_languages(shipped):
    assert len(shipped) >= len(SLIDES)
    for qid, q in shipped.items():
        assert q.id == qid
        for lang in LANGUAGES:
            assert q.prompt(lang).strip(), (qid, lang, "prompt")
            assert q.explanation(lang).strip(), (qid, lang, "explanation")
            for option in q.options:
                assert option.text(lang).strip(), (qid, lang, option.id)
        assert q.topic in TOPICS, qid
        if q.kind == "numeric":
            assert q.value is not None and math.isfinite(q.value), qid
            assert q.rel_tol >= 0 and q.abs_tol >= 0, qid
            assert q.grade(q.value), qid
            assert not q.options and not q.answer, qid
        else:
            ids = [o.id for o in q.options]
            assert 2 <= len(ids) <= bank_mod.MAX_OPTIONS, qid
            assert len(set(ids)) == len(ids), qid
            assert q.answer, qid
            assert set(q.answer) <= set(ids), (qid, q.answer, ids)
            if q.kind == "single":
                assert len(q.answer) == 1, qid
                assert q.grade(q.answer[0]), qid
                assert not any(q.grade(i) for i in ids if i != q.answer[0]), qid
            else:
                assert q.grade(list(q.answer)), qid
                assert q.grade(list(reversed(q.answer))), qid
            for lang in LANGUAGES:
                assert len(q.correct_text(lang)) == len(q.answer)


def test_no_question_is_there_twice(shipped):
    """The same prompt with the same options under two ids would be a copy-paste slip."""
    for lang in LANGUAGES:
        seen = {}
        for q in shipped.values():
            content = (q.prompt(lang), tuple(o.text(lang) for o in q.options))
            assert content not in seen, (lang, q.id, seen.get(content))
            seen[content] = q.id


@pytest.mark.parametrize("qid", sorted(SLIDES))
def test_slides_questions(shipped, qid):
    key, vi_prompt, vi_right_option = SLIDES[qid]
    q = shipped[qid]
    assert q.kind == "single"
    assert q.answer == (key,)
    assert q.grade(key)
    assert [o.id for o in q.options] == ["a", "b", "c", "d"]
    assert not any(q.grade(o) for o in "abcd" if o != key)
    assert vi_prompt in q.prompt("vi")
    assert vi_right_option in q.correct_text("vi")[0]


def test_enough_questions_beyond_the_slides_and_every_topic(shipped):
    if not _other_bank_files():
        pytest.skip("only slides.json in quiz/bank/ so far (concepts.json not written yet)")
    others = [q for q in shipped.values() if not q.id.startswith("slides.")]
    assert len(others) >= 30, len(others)
    topics = {q.topic for q in shipped.values()}
    assert set(TOPICS) <= topics, sorted(set(TOPICS) - topics)


def test_by_topic_keeps_bank_order(shipped):
    chosen = bank_mod.by_topic(shipped, ["uniform"])
    assert chosen and all(q.topic == "uniform" for q in chosen)
    order = list(shipped)
    assert [q.id for q in chosen] == [i for i in order if shipped[i].topic == "uniform"]


def test_shipped_bank_is_read_once_and_read_only(shipped):
    assert load_bank() is shipped
    with pytest.raises(TypeError):
        shipped["x"] = shipped["slides.q1"]  # type: ignore[index]


# --- grading -------------------------------------------------------------------------


def _text(s: str) -> dict:
    return {"en": s, "vi": s + " (vi)"}


def _choice(kind="single", answer=("b",), options="abcd", qid="t.q", **extra) -> dict:
    return {"id": qid, "topic": "basics", "page": "home", "kind": kind,
            "prompt": _text("Which?"), "explanation": _text("Because."),
            "options": [{"id": o, "text": _text(f"option {o}")} for o in options],
            "answer": list(answer), **extra}


def _numeric(value=2.0, rel_tol=0.0, abs_tol=0.0, qid="t.n", **extra) -> dict:
    return {"id": qid, "topic": "uniform", "page": "uniform", "kind": "numeric",
            "prompt": _text("How much?"), "explanation": _text("Thus."), "value": value,
            "rel_tol": rel_tol, "abs_tol": abs_tol, **extra}


MALFORMED = [None, True, False, float("nan"), float("inf"), -float("inf"), "nan", "inf",
             "", "  ", "abc", "1.2.3", b"b", 3, 1.5, ["b", ["c"]], {"b": 1}, object(),
             [None], [1], ("b", 2)]


def test_single_choice_grading():
    q = Question.model_validate(_choice())
    assert q.grade("b") is True
    for given in ["a", "c", "d", "B", " b", "z", ["b"], ("b",), {"b"}, *MALFORMED]:
        assert q.grade(given) is False, repr(given)
        assert grade(q, given) is False, repr(given)


def test_multiple_choice_grading():
    q = Question.model_validate(_choice("multiple", answer=("a", "c")))
    for right in [["a", "c"], ["c", "a"], ("a", "c"), {"a", "c"}, ["a", "c", "a"]]:
        assert q.grade(right) is True, right
        assert normalise(q, right) == ["a", "c"]
    for wrong in [["a"], ["c"], ["a", "b", "c"], ["a", "c", "z"], [], "ac", "a", "c",
                  ["A", "C"], *MALFORMED]:
        assert q.grade(wrong) is False, repr(wrong)


def test_numeric_relative_tolerance_boundary():
    # Values and tolerances exactly representable in binary, so the boundary is exact.
    q = Question.model_validate(_numeric(value=2.0, rel_tol=0.25))  # |x - 2| <= 0.5
    for right in [2, 2.0, 2.5, 1.5, "2.5", "1,5", " 2,25 ", "2.5e0"]:
        assert q.grade(right) is True, repr(right)
    for wrong in [2.5000001, 1.4999999, "2,5000001", 3, -2, 0]:
        assert q.grade(wrong) is False, repr(wrong)
    negative = Question.model_validate(_numeric(value=-4.0, rel_tol=0.125))  # |x + 4| <= 0.5
    assert negative.grade(-4.5) and negative.grade(-3.5) and not negative.grade(4.0)
    assert not negative.grade(-4.5000001)


def test_numeric_absolute_tolerance_boundary_and_the_larger_tolerance_wins():
    q = Question.model_validate(_numeric(value=0.0, abs_tol=0.5))
    assert q.grade(0.5) and q.grade(-0.5) and q.grade("0,5") and q.grade("-0,5")
    assert not q.grade(0.5000001) and not q.grade("0,6")
    # max(rel_tol * |value|, abs_tol): 64 * 1/64 = 1 beats 0.5, and the two never add up.
    both = Question.model_validate(_numeric(value=64.0, rel_tol=1 / 64, abs_tol=0.5))
    assert both.grade(65.0) and both.grade(63.0)
    assert not both.grade(65.25)
    small = Question.model_validate(_numeric(value=0.25, rel_tol=0.5, abs_tol=1.0))
    assert small.grade(1.25) and not small.grade(1.2500001)


def test_numeric_exact_answer_and_comma_decimal():
    q = Question.model_validate(_numeric(value=0.5))
    assert q.grade("0,5") and q.grade("0.5") and q.grade(0.5) and q.grade(" 0,5 ")
    assert normalise(q, "0,5") == 0.5
    assert not q.grade("0,50001")
    integer = Question.model_validate(_numeric(value=3.0))
    assert integer.grade(3) and integer.grade("3") and not integer.grade(True)


def test_numeric_malformed_answers_are_wrong_not_errors():
    q = Question.model_validate(_numeric(value=1.0, abs_tol=1e9))  # anything finite is right
    assert q.grade(-123456.0)
    for given in [None, True, False, float("nan"), float("inf"), -float("inf"), "nan",
                  "NaN", "inf", "-inf", "1e999", 10**400, "", " ", "abc", "1,000.5", "1 2",
                  [1.0], (1.0,), {"v": 1.0}, object(), b"1", 1j]:
        assert q.grade(given) is False, repr(given)
        assert normalise(q, given) is None, repr(given)


def test_correct_text():
    q = Question.model_validate(_choice("multiple", answer=("d", "a")))
    assert q.correct_text("en") == ["option d", "option a"]
    assert q.correct_text("vi") == ["option d (vi)", "option a (vi)"]
    n = Question.model_validate(_numeric(value=0.125, unit="V"))
    assert n.correct_text("en") == ["0.125 V"]


# --- broken bank files -----------------------------------------------------------------


def _write(directory, name: str, content) -> None:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    (directory / name).write_text(text, encoding="utf-8")


def _error(directory) -> str:
    with pytest.raises(BankError) as caught:
        load_bank(directory)
    return str(caught.value)


def test_a_good_directory_loads(tmp_path):
    _write(tmp_path, "a.json", [_choice(qid="a.1"), _numeric(qid="a.2")])
    _write(tmp_path, "b.json", [_choice("multiple", answer=("a", "b"), qid="b.1")])
    (tmp_path / "notes.txt").write_text("not a bank file")
    loaded = load_bank(tmp_path)
    assert list(loaded) == ["a.1", "a.2", "b.1"]


def test_invalid_json(tmp_path):
    _write(tmp_path, "broken.json", '[{"id": "x.1", ')
    message = _error(tmp_path)
    assert "broken.json" in message and "JSON" in message


def test_not_utf8(tmp_path):
    (tmp_path / "latin.json").write_bytes('[{"id": "é"}]'.encode("latin-1"))
    assert "latin.json" in _error(tmp_path)


def test_not_a_list(tmp_path):
    _write(tmp_path, "object.json", {"questions": [_choice()]})
    message = _error(tmp_path)
    assert "object.json" in message and "list" in message


def test_missing_vietnamese(tmp_path):
    item = _choice(qid="topic.novi")
    item["prompt"] = {"en": "Only English"}
    _write(tmp_path, "mono.json", [_choice(qid="topic.ok"), item])
    message = _error(tmp_path)
    assert "mono.json" in message and "topic.novi" in message
    assert "vi" in message and re.search(r"required|missing", message, re.I)


def test_blank_vietnamese_explanation(tmp_path):
    item = _numeric(qid="topic.blank")
    item["explanation"] = {"en": "Thus.", "vi": "   "}
    _write(tmp_path, "blank.json", [item])
    message = _error(tmp_path)
    assert "blank.json" in message and "topic.blank" in message and "vi" in message


def test_answer_not_among_options(tmp_path):
    _write(tmp_path, "keys.json", [_choice(answer=("e",), qid="keys.e")])
    message = _error(tmp_path)
    assert "keys.json" in message and "keys.e" in message
    assert "not among the options" in message and "'e'" in message


def test_single_with_two_answers(tmp_path):
    _write(tmp_path, "two.json", [_choice(answer=("a", "b"), qid="two.ab")])
    message = _error(tmp_path)
    assert "two.json" in message and "two.ab" in message
    assert "exactly one answer" in message


def test_numeric_without_value(tmp_path):
    item = _numeric(qid="num.none")
    del item["value"]
    _write(tmp_path, "num.json", [item])
    message = _error(tmp_path)
    assert "num.json" in message and "num.none" in message and "value" in message


@pytest.mark.parametrize("fault, words", [
    ({"kind": "essay"}, "kind"),
    ({"topic": "astrology"}, "topic"),
    ({"options": [{"id": "a", "text": _text("only one")}], "answer": ["a"]}, "2 to"),
    ({"answer": ["a", "a"]}, "repeat"),
    ({"value": 1.5}, "only a numeric"),
    ({"extra_field": 1}, "extra"),
], ids=["kind", "topic", "one-option", "repeated-answer", "value-on-choice", "extra-field"])
def test_other_rule_breaks_name_file_id_and_reason(tmp_path, fault, words):
    _write(tmp_path, "rules.json", [{**_choice(qid="rules.q"), **fault}])
    message = _error(tmp_path)
    assert "rules.json" in message and "rules.q" in message
    assert words.lower() in message.lower()


def test_item_that_is_not_an_object(tmp_path):
    _write(tmp_path, "items.json", [_choice(qid="items.ok"), "just a string"])
    message = _error(tmp_path)
    assert "items.json" in message and "#1" in message


def test_empty_directory(tmp_path):
    message = _error(tmp_path)
    assert tmp_path.name in message and "no question files" in message


def test_duplicate_ids_across_files_are_refused(tmp_path):
    _write(tmp_path, "first.json", [_choice(qid="dup.q")])
    _write(tmp_path, "second.json", [_numeric(qid="dup.q")])
    message = _error(tmp_path)
    assert "dup.q" in message and "twice" in message


def test_duplicate_ids_across_files_name_a_file(tmp_path):
    _write(tmp_path, "first.json", [_choice(qid="dup.q")])
    _write(tmp_path, "second.json", [_numeric(qid="dup.q")])
    message = _error(tmp_path)
    assert "first.json" in message or "second.json" in message, message
