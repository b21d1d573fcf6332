"""Generated numeric questions: a seeded draw of a small tensor, graded by quantlib.

A generated question's id is ``gen:<kind>:<seed>``. The same id always gives the same
question, so a teacher's session can store ids alone and a whole class gets the same
numbers. Every number the student needs is printed in the prompt, and the answer is
computed by quantlib from exactly those printed numbers, so it is right by construction.
Draws whose answer would hang on a rounding tie are skipped (the next draw of the same
seed is taken), so a student who computes by hand cannot land on the other side.

>>> q = generate("scale", 7)
>>> q.id, q.kind, q.grade(q.value), q == question("gen:scale:7")
('gen:scale:7', 'numeric', True, True)
"""

from __future__ import annotations

import re

import numpy as np

from quantlib import clipped_fraction, dequantize, metrics, qparams_from_range, quantize

from .bank import Option, Question, Text

PREFIX = "gen"
KINDS = ("scale", "zero_point", "code", "dequantized", "clipped", "better_range")
#: Seeds a teacher or a student can type; ids outside are refused as unknown.
MAX_SEED = 10**9
# A rounding tie: x/s + z within this of a half makes a hand computation ambiguous.
_TIE_MARGIN = 0.1
_MAX_DRAWS = 64
_SIZE = 8
_SEED = re.compile(r"0|[1-9][0-9]{0,9}")


class UnknownQuestion(KeyError):
    """An id that names no generated question."""


def _fmt(value: float, digits: int = 6) -> str:
    """A printed number. The inputs a student reads are drawn with at most 3 decimals and
    printed in full (6 significant digits), so the student computes with the same
    numbers as the key."""
    value = float(value)
    return str(int(value)) if value == int(value) else f"{value:.{digits}g}"


def _vector(values) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _draw(rng: np.random.Generator, n: int = _SIZE, positive: bool = False) -> np.ndarray:
    x = rng.normal(0.0, rng.uniform(0.5, 2.0), n)
    if positive:
        x = np.abs(x)
    return np.round(x, 2)


def _near_half(value: float) -> bool:
    return abs(abs(value - np.floor(value)) - 0.5) < _TIE_MARGIN


def _int_range(bits: int) -> str:
    return f"[{-(2 ** (bits - 1))}, {2 ** (bits - 1) - 1}]"


def _numeric(kind: str, seed: int, topic: str, page: str, prompt: Text, explanation: Text,
             value: float, *, rel_tol: float, abs_tol: float) -> Question:
    return Question(id=f"{PREFIX}:{kind}:{seed}", topic=topic, page=page, kind="numeric",
                    prompt=prompt, explanation=explanation, value=float(value),
                    rel_tol=rel_tol, abs_tol=abs_tol, source="generated")


def _scale(rng: np.random.Generator, seed: int) -> Question | None:
    bits = int(rng.choice([4, 8]))
    symmetric = bool(rng.integers(2))
    x = _draw(rng)
    # The range always holds 0 (so that 0 is exact), as in PyTorch's observers.
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    qp = qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)
    mode_en = "symmetric" if symmetric else "asymmetric (with a zero point)"
    mode_vi = "đối xứng" if symmetric else "không đối xứng (có zero point)"
    how = (f"s = max|x| / {qp.qmax} = {_fmt(np.abs(x).max())} / {qp.qmax}" if symmetric
           else f"s = (max − min) / (qmax − qmin) = ({_fmt(hi)} − ({_fmt(lo)}))"
                f" / {qp.qmax - qp.qmin}")
    return _numeric(
        "scale", seed, "uniform", "uniform",
        Text(en=f"x = {_vector(x)}. Quantize x to signed int{bits}, codes in "
                f"{_int_range(bits)}, {mode_en}, with the min-max range (which always "
                f"includes 0). What is the scale s?",
             vi=f"x = {_vector(x)}. Lượng hóa x sang int{bits} có dấu, mã trong "
                f"{_int_range(bits)}, {mode_vi}, với miền min-max (luôn chứa 0). Bước "
                f"lượng hóa (scale) s bằng bao nhiêu?"),
        Text(en=f"{how} = {_fmt(qp.scale)}.", vi=f"{how} = {_fmt(qp.scale)}."),
        qp.scale, rel_tol=0.01, abs_tol=1e-6)


def _zero_point(rng: np.random.Generator, seed: int) -> Question | None:
    bits = 8
    x = _draw(rng, positive=bool(rng.integers(2)))
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    qp = qparams_from_range(lo, hi, bits=bits)
    if _near_half(qp.qmin - lo / qp.scale):
        return None
    how = (f"s = ({_fmt(hi)} − ({_fmt(lo)})) / 255 = {_fmt(qp.scale, 6)}; "
           f"z = round(qmin − min/s) = round(-128 − ({_fmt(lo)}) / {_fmt(qp.scale, 6)}) "
           f"= {int(qp.zero_point)}.")
    return _numeric(
        "zero_point", seed, "uniform", "uniform",
        Text(en=f"x = {_vector(x)}. Asymmetric int8 quantization (codes in [-128, 127]) "
                f"with the min-max range, which always includes 0. What is the zero point z?",
             vi=f"x = {_vector(x)}. Lượng hóa int8 không đối xứng (mã trong [-128, 127]) "
                f"với miền min-max, luôn chứa 0. Điểm không (zero point) z bằng bao nhiêu?"),
        Text(en=how, vi=how), qp.zero_point, rel_tol=0.0, abs_tol=0.0)


def _given_qparams(rng: np.random.Generator, bits: int):
    """Printed scale and zero point: what the student reads is what quantlib uses."""
    scale = float(np.round(rng.uniform(0.01, 0.2), 3))
    zero = int(rng.integers(-(2 ** (bits - 2)), 2 ** (bits - 2)))
    qp = qparams_from_range(-1.0, 1.0, bits=bits)
    return type(qp)(scale=scale, zero_point=zero, qmin=qp.qmin, qmax=qp.qmax, bits=bits,
                    symmetric=False, signed=True, narrow_range=False, layout=qp.layout)


def _code(rng: np.random.Generator, seed: int) -> Question | None:
    bits = int(rng.choice([4, 8]))
    qp = _given_qparams(rng, bits)
    # Sometimes beyond the range, to make the student clip.
    reach = (qp.qmax - qp.qmin) * qp.scale * (0.8 if rng.integers(3) else 1.5)
    x = float(np.round(rng.uniform(-reach / 2, reach / 2), 3))
    if _near_half(x / qp.scale):
        return None
    q = int(quantize(np.array([x]), qp)[0])
    raw = x / qp.scale + qp.zero_point
    how = (f"q = clip(round({_fmt(x)} / {_fmt(qp.scale)}) + ({qp.zero_point}), {qp.qmin}, "
           f"{qp.qmax}) = clip({_fmt(round(raw, 2))}…) = {q}.")
    return _numeric(
        "code", seed, "uniform", "uniform",
        Text(en=f"Signed int{bits} (codes in {_int_range(bits)}), s = {_fmt(qp.scale)}, "
                f"z = {qp.zero_point}. What is the code q of x = {_fmt(x)}?",
             vi=f"int{bits} có dấu (mã trong {_int_range(bits)}), s = {_fmt(qp.scale)}, "
                f"z = {qp.zero_point}. Mã q của x = {_fmt(x)} là bao nhiêu?"),
        Text(en=how, vi=how), q, rel_tol=0.0, abs_tol=0.0)


def _dequantized(rng: np.random.Generator, seed: int) -> Question | None:
    bits = 8
    qp = _given_qparams(rng, bits)
    q = int(rng.integers(qp.qmin, qp.qmax + 1))
    x_hat = float(dequantize(np.array([q]), qp)[0])
    how = f"x̂ = (q − z)·s = ({q} − ({qp.zero_point}))·{_fmt(qp.scale)} = {_fmt(x_hat, 6)}."
    return _numeric(
        "dequantized", seed, "uniform", "uniform",
        Text(en=f"Signed int8, s = {_fmt(qp.scale)}, z = {qp.zero_point}. What value x̂ does "
                f"the code q = {q} stand for?",
             vi=f"int8 có dấu, s = {_fmt(qp.scale)}, z = {qp.zero_point}. Mã q = {q} biểu "
                f"diễn giá trị x̂ nào (giải lượng hóa)?"),
        Text(en=how, vi=how), x_hat, rel_tol=0.01, abs_tol=1e-3)


def _clipped(rng: np.random.Generator, seed: int) -> Question | None:
    x = np.round(rng.standard_t(3, 10), 2)
    c = float(np.round(rng.uniform(0.8, 2.0), 1))
    qp = qparams_from_range(-c, c, bits=8, symmetric=True)
    edge = qp.qmax * qp.scale
    if np.any(np.abs(np.abs(x) - edge) < 2 * qp.scale):
        return None
    count = int(round(clipped_fraction(x, qp) * x.size))
    how_en = (f"The codes cover [-{_fmt(edge)}, {_fmt(edge)}]; the values beyond it are "
              f"{_vector(x[np.abs(x) > edge]) if count else '(none)'}: {count}.")
    how_vi = (f"Các mã phủ [-{_fmt(edge)}, {_fmt(edge)}]; các giá trị nằm ngoài là "
              f"{_vector(x[np.abs(x) > edge]) if count else '(không có)'}: {count}.")
    return _numeric(
        "clipped", seed, "calibration", "calibration",
        Text(en=f"x = {_vector(x)}. Calibration chose the clipping range [-{_fmt(c)}, "
                f"{_fmt(c)}] for symmetric int8. How many of the 10 values are clipped?",
             vi=f"x = {_vector(x)}. Hiệu chỉnh chọn miền cắt [-{_fmt(c)}, {_fmt(c)}] cho "
                f"int8 đối xứng. Có bao nhiêu trong 10 giá trị bị cắt (clip)?"),
        Text(en=how_en, vi=how_vi), count, rel_tol=0.0, abs_tol=0.0)


def _better_range(rng: np.random.Generator, seed: int) -> Question | None:
    bits = 3
    x = np.round(rng.normal(0.0, 1.0, 16), 2)
    x[int(rng.integers(16))] = float(np.round(rng.uniform(3.0, 6.0), 1)) * rng.choice([-1, 1])
    full = float(np.abs(x).max())
    clip = float(np.round(rng.uniform(0.55, 0.9) * full, 1))
    errors = {}
    for c in (full, clip):
        qp = qparams_from_range(-c, c, bits=bits, symmetric=True)
        errors[c] = metrics(x, dequantize(quantize(x, qp), qp))["mse"]
    low, high = sorted(errors.values())
    if high < 1.2 * low:
        return None
    # The options' order is drawn too, so the letter says nothing.
    ranges = [full, clip] if rng.integers(2) else [clip, full]
    best = "ab"[ranges.index(min(errors, key=errors.get))]
    how = (f"MSE with [-{_fmt(full)}, {_fmt(full)}] = {_fmt(errors[full])}; with "
           f"[-{_fmt(clip)}, {_fmt(clip)}] = {_fmt(errors[clip])}.")
    clipped_wins = errors[clip] < errors[full]
    why_en = (" Clipping the outlier costs less than the coarse steps it would force on "
              "every other value." if clipped_wins else
              " Here the clipped outlier's error outweighs the finer steps.")
    why_vi = (" Cắt giá trị ngoại lai tốn ít hơn các bước thô mà nó buộc mọi giá trị "
              "khác phải chịu." if clipped_wins else
              " Ở đây lỗi của giá trị ngoại lai bị cắt lớn hơn lợi ích của bước mịn hơn.")

    def option(name: str, c: float) -> Option:
        en, vi = ("min-max", "min-max") if c == full else ("clipped", "có cắt")
        return Option(id=name, text=Text(en=f"[-{_fmt(c)}, {_fmt(c)}] ({en})",
                                         vi=f"[-{_fmt(c)}, {_fmt(c)}] ({vi})"))
    return Question(
        id=f"{PREFIX}:better_range:{seed}", topic="calibration", page="calibration",
        kind="single", source="generated",
        prompt=Text(en=f"x = {_vector(x)}. Symmetric int{bits}. Which clipping range gives "
                       f"the lower mean squared error?",
                    vi=f"x = {_vector(x)}. int{bits} đối xứng. Miền cắt nào cho sai số bình "
                       f"phương trung bình (MSE) thấp hơn?"),
        options=(option("a", ranges[0]), option("b", ranges[1])),
        answer=(best,), explanation=Text(en=how + why_en, vi=how + why_vi))


_MAKERS = {"scale": _scale, "zero_point": _zero_point, "code": _code,
           "dequantized": _dequantized, "clipped": _clipped, "better_range": _better_range}


def generate(kind: str, seed: int) -> Question:
    """The generated question of ``kind`` for ``seed`` (the same seed, the same question)."""
    if kind not in _MAKERS:
        raise UnknownQuestion(f"unknown generated kind {kind!r}; one of {KINDS}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise UnknownQuestion(f"seed must be in [0, {MAX_SEED}]")
    seed = int(seed)
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    for _ in range(_MAX_DRAWS):
        made = _MAKERS[kind](rng, seed)
        if made is not None:
            return made
    raise RuntimeError(f"no unambiguous {kind} question in {_MAX_DRAWS} draws")  # pragma: no cover


def is_generated(question_id: str) -> bool:
    return question_id.startswith(PREFIX + ":")


def question(question_id: str) -> Question:
    """The generated question named by ``gen:<kind>:<seed>``."""
    parts = str(question_id).split(":")
    # One id per question: ASCII digits, no leading zeros, within MAX_SEED.
    if (len(parts) != 3 or parts[0] != PREFIX or not _SEED.fullmatch(parts[2])
            or int(parts[2]) > MAX_SEED):
        raise UnknownQuestion(f"not a generated question id: {question_id!r}")
    return generate(parts[1], int(parts[2]))


def ids(kinds, count: int, seed: int) -> list[str]:
    """``count`` generated ids, cycling through ``kinds``, with seeds drawn from ``seed``."""
    kinds = list(kinds) or list(KINDS)
    rng = np.random.default_rng(seed)
    seeds = rng.choice(MAX_SEED, size=count, replace=False)
    return [f"{PREFIX}:{kinds[i % len(kinds)]}:{int(s)}" for i, s in enumerate(seeds)]
