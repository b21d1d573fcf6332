"""quantlib.formats: casts with both overflow modes, bit fields, and each format's facts.

The oracle decodes a code with the textbook formula, (-1)^s * 2^(e - bias) * 1.m for
normals and 2^(1 - bias) * 0.m for subnormals, written here independently of quantlib.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

import quantlib as ql
from quantlib.formats import FORMATS, compose, decompose, format_info

SMALL = [f for f in FORMATS if format_info(f).bits <= 16]
# (max, distinct finite values) from the standards: IEEE 754, OCP FP8/MX v1.0.
STANDARD = {
    "fp16": (65504.0, None), "bf16": (3.3895313892515355e38, None),
    "fp8_e4m3": (448.0, 253), "fp8_e5m2": (57344.0, 247), "fp6_e3m2": (28.0, None),
    "fp6_e2m3": (7.5, None), "fp4_e2m1": (6.0, 15), "fp32": (3.4028234663852886e38, None),
}


def oracle(code: int, fmt: str) -> float:
    """The value of ``code``, by the formula (no inf/NaN handling: finite codes only)."""
    info = format_info(fmt)
    m_bits, e_bits = info.mantissa_bits, info.exponent_bits
    mantissa = code & ((1 << m_bits) - 1)
    exponent = (code >> m_bits) & ((1 << e_bits) - 1)
    sign = (code >> (m_bits + e_bits)) & 1 if info.sign_bits else 0
    if exponent == 0 and m_bits:
        magnitude = 2.0 ** (1 - info.bias) * (mantissa / 2**m_bits)
    else:
        magnitude = 2.0 ** (exponent - info.bias) * (1 + mantissa / 2**m_bits)
    return -magnitude if sign else magnitude


@pytest.mark.parametrize("fmt", [f for f in SMALL if format_info(f).bits <= 8])
def test_every_finite_code_has_the_formula_value(fmt):
    info = format_info(fmt)
    for code in range(1 << info.bits):
        d = compose(code, fmt)
        if d.kind in ("normal", "subnormal", "zero"):
            assert d.value == oracle(code, fmt), (fmt, code)


@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_sampled_16_bit_codes_have_the_formula_value(fmt):
    for code in range(0, 1 << 16, 97):
        d = compose(code, fmt)
        if d.kind in ("normal", "subnormal", "zero"):
            assert d.value == oracle(code, fmt), (fmt, code)


@pytest.mark.parametrize("fmt", list(STANDARD))
def test_format_info_matches_the_standards(fmt):
    top, count = STANDARD[fmt]
    info = format_info(fmt)
    assert info.max == pytest.approx(top, rel=1e-15)
    if count is not None:
        assert info.finite_values == count
    assert info.bits == info.sign_bits + info.exponent_bits + info.mantissa_bits


def test_fp16_range_corrects_seed_002():
    """Seed 002's table gives 4.88e-4 as FP16's low end; it is 6.10e-5 (normal) and
    5.96e-8 (subnormal)."""
    info = format_info("fp16")
    assert f"{info.smallest_normal:.2e}" == "6.10e-05"
    assert f"{info.smallest_subnormal:.2e}" == "5.96e-08"


@pytest.mark.parametrize("fmt", SMALL)
def test_finite_count_and_specials_agree_with_enumerating_ml_dtypes(fmt):
    info = format_info(fmt)
    dtype = FORMATS[fmt]
    codes = np.arange(1 << info.bits, dtype=np.uint8 if dtype.itemsize == 1 else np.uint16)
    with np.errstate(invalid="ignore"):
        values = codes.view(dtype).astype(np.float64)
    assert info.finite_values == np.unique(values[np.isfinite(values)]).size
    assert info.has_inf == bool(np.isinf(values).any())
    assert info.has_nan == bool(np.isnan(values).any())
    assert info.max == values[np.isfinite(values)].max()


EDGE = [0.0, -0.0, 1.0, -1.0, 0.1, 0.3, 3.0, 6.0, 7.0, 448.0, 464.0, 480.0, 1000.0, 57344.0,
        65504.0, 65520.0, 1e8, 1e-8, 1e-40, 5.96e-8, 2.0**-126, 3.4e38, -3.4e38]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_ieee_cast_is_ml_dtypes_cast_from_float64(fmt):
    rng = np.random.default_rng(0)
    x = np.concatenate([np.array(EDGE), rng.normal(0, 10, 500), rng.standard_cauchy(200)])
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x.astype(FORMATS[fmt]).astype(np.float32)
    got = ql.cast(x, fmt, overflow="ieee")
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_saturating_cast_clamps_to_max_and_keeps_the_rest(fmt):
    info = format_info(fmt)
    x = np.array([info.max * 4, -info.max * 4, np.inf, -np.inf, info.max, 1.0])
    got = ql.cast(x, fmt)
    top = np.float32(info.max)
    low = np.float32(-info.max) if info.sign_bits else np.float32(np.nan)
    np.testing.assert_array_equal(got[[0, 2, 4]], [top] * 3)
    np.testing.assert_array_equal(got[[1, 3]], [low] * 2)
    assert got[5] == 1.0


def test_the_three_overflow_behaviours_students_meet():
    assert math.isinf(ql.cast([10000.0 * 10000.0], "fp16", overflow="ieee")[0])
    assert math.isinf(ql.cast([1e6], "fp8_e5m2", overflow="ieee")[0])
    e4m3 = ql.cast([464.0, 1000.0], "fp8_e4m3", overflow="ieee")
    assert e4m3[0] == 448.0 and math.isnan(e4m3[1])
    assert ql.cast([100.0], "fp4_e2m1", overflow="ieee")[0] == 6.0


def test_e8m0_is_powers_of_two_without_sign_or_zero():
    got = ql.cast([0.3, 3.0, 1.0, 0.0, -2.0], "e8m0")
    assert got[:3].tolist() == [0.25, 4.0, 1.0]
    assert np.isnan(got[3:]).all()
    info = format_info("e8m0")
    assert info.sign_bits == 0 and info.mantissa_bits == 0 and not info.has_zero


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_nan_stays_nan(fmt):
    assert np.isnan(ql.cast([np.nan], fmt)[0])
    assert np.isnan(ql.cast([np.nan], fmt, overflow="ieee")[0])


@pytest.mark.parametrize("fmt", SMALL)
def test_compose_decompose_round_trip_every_finite_value(fmt):
    info = format_info(fmt)
    step = 1 if info.bits <= 8 else 31
    for code in range(0, 1 << info.bits, step):
        d = compose(code, fmt)
        again = compose(d.bits, fmt)
        assert (again.code, again.bits, again.kind) == (d.code, d.bits, d.kind)
        if d.kind in ("normal", "subnormal") or (d.kind == "zero" and d.sign != "1"):
            back = decompose(d.value, fmt)
            assert back.code == code and back.value == d.value


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp4_e2m1"])
def test_neighbours_are_the_adjacent_values(fmt):
    info = format_info(fmt)
    dtype = FORMATS[fmt]
    codes = np.arange(1 << info.bits, dtype=np.uint8 if dtype.itemsize == 1 else np.uint16)
    with np.errstate(invalid="ignore"):
        values = np.unique(codes.view(dtype).astype(np.float64))
    finite = values[np.isfinite(values)]
    for v in finite[:: max(1, finite.size // 300)]:
        d = decompose(float(v), fmt)
        i = int(np.searchsorted(finite, v))
        assert d.below == (finite[i - 1] if i > 0 else None)
        assert d.above == (finite[i + 1] if i + 1 < finite.size else None)


def test_decompose_fields_of_known_values():
    d = decompose(-1.5, "fp16")
    assert (d.sign, d.exponent, d.mantissa, d.bias, d.unbiased_exponent, d.kind) == (
        "1", "01111", "1000000000", 15, 0, "normal")
    tiny = decompose(2.0**-24, "fp16")
    assert tiny.kind == "subnormal" and tiny.unbiased_exponent == -14
    assert decompose(np.inf, "fp16", overflow="ieee").kind == "inf"
    assert decompose(np.inf, "fp16").value == 65504.0
    assert decompose(1e6, "fp8_e4m3", overflow="ieee").kind == "nan"
    zero = decompose(0.0, "fp8_e4m3")
    assert zero.kind == "zero" and zero.below == -zero.above == -2.0**-9


def test_fp32_decompose_uses_code_arithmetic():
    d = decompose(1.0, "fp32")
    assert d.bits == "0" + "01111111" + "0" * 23
    assert d.above == float(np.nextafter(np.float32(1), np.float32(2)))
    assert d.below == float(np.nextafter(np.float32(1), np.float32(0)))


@pytest.mark.parametrize(("bits", "fmt", "match"), [
    ("101", "fp16", "has 16 bits"), ("01x1", "fp4_e2m1", "has 4 bits"),
    (16, "fp4_e2m1", "has 4 bits"), (-1, "fp8_e4m3", "has 8 bits"),
    (1.5, "fp8_e4m3", "has 8 bits"), (True, "fp8_e4m3", "has 8 bits"),
])
def test_compose_refuses_bad_bits(bits, fmt, match):
    with pytest.raises(ql.ParameterError, match=match):
        compose(bits, fmt)


def test_decompose_refuses_nan_where_the_format_has_none():
    with pytest.raises(ql.ParameterError, match="has no NaN"):
        decompose(float("nan"), "fp4_e2m1")


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ql.cast([1.0], "fp7"), "fmt must be one of"),
    (lambda: ql.cast([1.0], "fp16", overflow="wrap"), "overflow must be one of"),
    (lambda: format_info("int8"), "fmt must be one of"),
])
def test_bad_names_are_refused(call, match):
    with pytest.raises(ql.ParameterError, match=match):
        call()


def test_cast_returns_float32_and_keeps_shape():
    x = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    out = ql.cast(x, "bf16")
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(out, x.astype(ml_dtypes.bfloat16).astype(np.float32))


# --- stochastic rounding ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_stochastic_cast_gives_a_neighbour_and_is_right_on_average(fmt):
    info = format_info(fmt)
    rng = np.random.default_rng(0)
    x = rng.uniform(info.smallest_subnormal, min(3.0, info.max / 2), 3000)
    if info.sign_bits:
        x *= rng.choice([-1.0, 1.0], x.size)
    y = ql.stochastic_cast(x, fmt, seed=1).astype(np.float64)
    np.testing.assert_array_equal(ql.cast(y, fmt), y)  # every result is a value of fmt
    for v, got in zip(x[:200], y[:200], strict=True):
        d = decompose(float(got), fmt)
        near = float(ql.cast([v], fmt)[0])
        assert got in (near, v) or near in (d.below, d.above)
    value = float(x[0])
    many = ql.stochastic_cast(np.full(40000, value), fmt, seed=2).astype(np.float64)
    spread = (decompose(value, fmt).above or value) - (decompose(value, fmt).below or value)
    assert abs(many.mean() - value) < 0.02 * spread + 1e-12


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_stochastic_cast_keeps_exact_values_and_saturates(fmt):
    info = format_info(fmt)
    x = np.array([info.max, 2 * info.max, 1.0])
    y = ql.stochastic_cast(x, fmt)
    assert y.tolist() == [info.max, info.max, 1.0]


def test_stochastic_cast_is_seeded():
    x = np.full(100, 1.001)
    a, b = ql.stochastic_cast(x, "bf16", seed=3), ql.stochastic_cast(x, "bf16", seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ql.stochastic_cast(x, "bf16", seed=4))
