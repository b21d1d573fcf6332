"""Generated questions: the same id gives the same question, and the key is right by
construction. Each answer is recomputed here from the numbers printed in the English
prompt (parsed with regexes), in plain numpy or with quantlib, never read from the
question itself."""

from __future__ import annotations

import re

import numpy as np
import pytest

from quantlib import clipped_fraction, dequantize, metrics, qparams_from_range, quantize
from quiz import questions
from quiz.generate import KINDS, MAX_SEED, UnknownQuestion, generate, ids, question

SEEDS = [0, 1, 2, 3, 5, 7, 11, 42, 99, 123, 256, 999, 1000, 2024, 4242, 31337, 65535,
         99991, 123456, 777777, 1_000_003, 31_415_926, 123_456_789, 271_828_182,
         500_000_000, 999_999_937, MAX_SEED - 1, MAX_SEED, 58, 392]
NUM = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


def _vector(prompt: str) -> np.ndarray:
    match = re.search(r"x = \[([^\]]*)\]", prompt)
    assert match, prompt
    return np.array([float(v) for v in match.group(1).split(", ")])


def _int_range(prompt: str, bits: int) -> tuple[int, int]:
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    assert f"[{qmin}, {qmax}]" in prompt, prompt
    return qmin, qmax


def _recompute(q):
    """The key of ``q`` from its printed numbers alone."""
    kind, prompt = q.id.split(":")[1], q.prompt.en
    if kind == "scale":
        x = _vector(prompt)
        bits = int(re.search(r"signed int(\d+)", prompt).group(1))
        qmin, qmax = _int_range(prompt, bits)
        if "asymmetric" in prompt:
            # quantlib's convention: the range always includes 0.
            lo, hi = min(x.min(), 0.0), max(x.max(), 0.0)
            plain = (hi - lo) / (qmax - qmin)
            qp = qparams_from_range(float(x.min()), float(x.max()), bits=bits)
        else:
            assert "symmetric" in prompt
            plain = np.abs(x).max() / qmax
            qp = qparams_from_range(float(x.min()), float(x.max()), bits=bits,
                                    symmetric=True)
        assert qp.scale == pytest.approx(plain, rel=1e-12)
        return plain
    if kind == "zero_point":
        x = _vector(prompt)
        lo, hi = min(x.min(), 0.0), max(x.max(), 0.0)
        s = (hi - lo) / 255
        z = int(np.clip(-128 - np.round(lo / s), -128, 127))
        assert qparams_from_range(float(x.min()), float(x.max())).zero_point == z
        return z
    if kind == "code":
        m = re.search(rf"Signed int(\d+) \(codes in \[(-\d+), (\d+)\]\), s = ({NUM}), "
                      rf"z = (-?\d+)\. What is the code q of x = ({NUM})\?", prompt)
        assert m, prompt
        bits, qmin, qmax = int(m[1]), int(m[2]), int(m[3])
        s, z, x = float(m[4]), int(m[5]), float(m[6])
        assert (qmin, qmax) == _int_range(prompt, bits)
        return int(np.clip(np.round(x / s) + z, qmin, qmax))
    if kind == "dequantized":
        m = re.search(rf"s = ({NUM}), z = (-?\d+)\. What value x̂ does the code "
                      rf"q = (-?\d+) stand for\?", prompt)
        assert m, prompt
        s, z, code = float(m[1]), int(m[2]), int(m[3])
        assert -128 <= code <= 127
        return (code - z) * s
    if kind == "clipped":
        x = _vector(prompt)
        assert x.size == 10
        m = re.search(rf"clipping range \[-({NUM}), ({NUM})\]", prompt)
        c = float(m[1])
        assert float(m[2]) == c
        count = int(np.sum(np.abs(x) > c))
        qp = qparams_from_range(-c, c, bits=8, symmetric=True)
        assert round(clipped_fraction(x, qp) * x.size) == count
        return count
    if kind == "better_range":
        x = _vector(prompt)
        assert x.size == 16
        bits = int(re.search(r"Symmetric int(\d+)", prompt).group(1))
        errors = []
        for option in q.options:
            c = float(re.match(rf"\[-({NUM}), ({NUM})\]", option.text.en)[1])
            qp = qparams_from_range(-c, c, bits=bits, symmetric=True)
            errors.append(metrics(x, dequantize(quantize(x, qp), qp))["mse"])
        assert errors[0] != errors[1]
        return q.options[int(np.argmin(errors))].id
    raise AssertionError(f"no recomputation for {kind}")


@pytest.mark.parametrize("kind", KINDS)
def test_same_id_same_question_and_right_by_construction(kind):
    prompts = set()
    for seed in SEEDS:
        q = generate(kind, seed)
        assert q.id == f"gen:{kind}:{seed}"
        assert q == generate(kind, seed) == question(q.id) == questions.get(q.id)
        assert questions.exists(q.id)
        assert q.source == "generated"
        assert q.prompt.en.strip() and q.prompt.vi.strip() and q.prompt.en != q.prompt.vi
        assert q.explanation.en.strip() and q.explanation.vi.strip()
        prompts.add(q.prompt.en)
        recomputed = _recompute(q)
        assert q.grade(recomputed) is True, (q.id, q.prompt.en, recomputed, q.value)
        if q.kind == "numeric":
            assert q.rel_tol >= 0 and q.abs_tol >= 0
            assert np.isfinite(q.value)
            assert q.grade(q.value)
            assert not q.grade(q.value + max(1.0, 2 * abs(q.value)))
            if q.rel_tol == q.abs_tol == 0:  # integer answers: codes, counts
                assert q.value == int(q.value)
                assert not q.grade(q.value + 1) and not q.grade(q.value - 1)
        else:
            assert q.kind == "single" and len(q.options) == 2
            wrong = [o.id for o in q.options if o.id != recomputed]
            assert not q.grade(wrong[0])
    # Different seeds, different numbers (nearly always).
    assert len(prompts) >= len(SEEDS) - 2, kind


def test_both_option_orders_occur_for_better_range():
    keys = {generate("better_range", seed).answer[0] for seed in SEEDS}
    assert keys == {"a", "b"}


def test_vietnamese_prompt_prints_the_same_numbers():
    for kind in KINDS:
        for seed in SEEDS[:10]:
            q = generate(kind, seed)
            en = re.findall(NUM, q.prompt.en.replace("int8", "").replace("int4", "")
                            .replace("int3", ""))
            vi = re.findall(NUM, q.prompt.vi.replace("int8", "").replace("int4", "")
                            .replace("int3", ""))
            assert sorted(en) == sorted(vi), (q.id, q.prompt.en, q.prompt.vi)


@pytest.mark.parametrize("bad", [
    "gen:scale:abc", "gen:nope:1", "gen:scale:-1", f"gen:scale:{MAX_SEED + 1}",
    "gen:scale:", "gen:scale: 7", "gen:scale:+7", "gen:scale:1.5", "gen::7",
    "gen:scale:7:1", "gen:SCALE:7", "gen", "gen:",
])
def test_unknown_generated_ids_are_refused(bad):
    with pytest.raises(UnknownQuestion) as caught:
        question(bad)
    assert isinstance(caught.value, KeyError)
    with pytest.raises(KeyError):
        questions.get(bad)
    assert not questions.exists(bad)


def test_generate_refuses_bad_kinds_and_seeds():
    for kind, seed in [("nope", 1), ("scale", -1), ("scale", MAX_SEED + 1), ("", 0)]:
        with pytest.raises(UnknownQuestion):
            generate(kind, seed)


def test_unknown_bank_ids_are_refused():
    assert not questions.exists("slides.nope")
    with pytest.raises(KeyError):
        questions.get("slides.nope")
    assert questions.get("slides.q1").id == "slides.q1"


def test_odd_digit_strings_are_refused_as_unknown():
    for bad in ["gen:scale:²", "gen:scale:" + "9" * 5000]:
        with pytest.raises(UnknownQuestion):
            question(bad)


def test_every_accepted_id_is_the_questions_own_id():
    for alias in ["gen:scale:007", "gen:scale:٣"]:
        try:
            q = question(alias)
        except UnknownQuestion:
            continue
        assert q.id == alias


def test_scale_explanation_arithmetic_gives_the_key():
    for seed in [392, 502]:
        q = generate("scale", seed)
        m = re.search(rf"\(({NUM}) − \(({NUM})\)\) / (\d+) =", q.explanation.en)
        assert m, q.explanation.en
        hi, lo, steps = float(m[1]), float(m[2]), int(m[3])
        assert q.grade((hi - lo) / steps), (q.prompt.en, q.explanation.en, q.value)


def test_code_explanation_matches_printed_numbers():
    """The x the key uses is the x printed (seeds 58, 59, 107 and 130 once printed x with
    4 significant digits, 10.452 as 10.45, so the explanation's x/s + z disagreed)."""
    for seed in [58, 59, 107, 130, *range(150)]:
        q = generate("code", seed)
        m = re.search(rf"s = ({NUM}), z = (-?\d+)\. What is the code q of x = ({NUM})\?",
                      q.prompt.en)
        s, z, x = float(m[1]), int(m[2]), float(m[3])
        raw = float(re.search(rf"clip\(({NUM})…\)", q.explanation.en)[1])
        assert round(x / s + z, 2) == pytest.approx(raw, abs=1e-9), (q.prompt.en,
                                                                      q.explanation.en)


def test_ids_are_deterministic_unique_and_valid():
    first = ids(KINDS, 60, seed=3)
    assert first == ids(KINDS, 60, seed=3)
    assert first != ids(KINDS, 60, seed=4)
    assert len(set(first)) == 60
    assert [i.split(":")[1] for i in first[:12]] == list(KINDS) * 2
    for qid in first[:12]:
        assert question(qid).id == qid
        seed = int(qid.split(":")[2])
        assert 0 <= seed <= MAX_SEED
    only = ids(["code"], 25, seed=0)
    assert len(set(only)) == 25 and all(i.startswith("gen:code:") for i in only)
    assert ids([], 6, seed=1) == ids(KINDS, 6, seed=1)
    assert ids(KINDS, 0, seed=1) == []
