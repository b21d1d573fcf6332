"""Tests for quantlib.matmul: exact integer matmul, the zero-point terms, requantization.

The oracles are written here, independently of quantlib: numpy's int64 matmul for every
integer product, and the dequantized float64 product for y.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantlib as ql
from quantlib import Layout, ParameterError, ParameterTypeError
from quantlib.matmul import (
    ACCUMULATORS,
    SEED002_MATMUL,
    int_matmul,
    quantize_multiplier,
    quantized_matmul,
    quantized_matmul_codes,
    requantize,
    rounding_shift,
)
from quantlib.matmul.integer import F32_EXACT, plan

INT32 = np.iinfo(np.int32)
F32_EPS = float(np.finfo(np.float32).eps)


def int64_matmul(a, b) -> np.ndarray:
    """The reference: numpy's integer matmul in int64 (slow, exact for these sizes)."""
    return np.asarray(a, dtype=np.int64) @ np.asarray(b, dtype=np.int64)


def wrap16(values) -> np.ndarray:
    """Two's-complement wrap into int16, by arithmetic modulo 2**16."""
    half = 2**15
    return ((np.asarray(values, dtype=np.int64) + half) % 2**16 - half).astype(np.int16)


def codes(rng, shape, dtype=np.int8, low=None, high=None) -> np.ndarray:
    info = np.iinfo(dtype)
    low = info.min if low is None else low
    high = info.max if high is None else high
    return rng.integers(low, high, shape, dtype=dtype, endpoint=True)


# --- int_matmul: exact ---------------------------------------------------------------------

RANDOM_CASES = [
    # (M, K, N, dtype of qa, dtype of qb, largest |code|: None for the dtype's range)
    (7, 5, 3, np.int8, np.int8, None),
    (16, 300, 9, np.uint8, np.int8, None),
    (16, 300, 9, np.uint8, np.uint8, None),
    (5, 4096, 6, np.int8, np.int8, None),
    (3, 3000, 4, np.int16, np.int16, 2**11),
    (4, 64, 5, np.int8, np.int16, None),
    (2, 33, 2, np.int64, np.int32, 2**7),  # 8-bit codes in wide dtypes, as np.array makes
]


@pytest.mark.parametrize(("m", "k", "n", "dtype_a", "dtype_b", "limit"), RANDOM_CASES,
                         ids=["tiny-int8", "uint8xint8", "uint8xuint8", "int8-K4096",
                              "int12-in-int16", "int8xint16", "wide-dtypes"])
def test_int_matmul_equals_the_int64_product(m, k, n, dtype_a, dtype_b, limit):
    rng = np.random.default_rng(k)
    bounds = () if limit is None else (-limit, limit - 1)
    a = codes(rng, (m, k), dtype_a, *bounds)
    b = codes(rng, (k, n), dtype_b, *bounds)
    expected = int64_matmul(a, b)
    assert np.abs(expected).max() <= INT32.max  # overflow has tests of its own
    got = int_matmul(a, b)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(int_matmul(a, b, accumulator="int64"), expected)


@pytest.mark.parametrize("k", [1, 1024, 1025, 4096, 40000], ids=lambda k: f"K{k}")
@pytest.mark.parametrize(("va", "vb"), [(-128, -128), (127, 127), (-128, 127), (255, 255)],
                         ids=["all-128", "all127", "mixed", "uint8-max"])
def test_int_matmul_edge_values(k, va, vb):
    dtype = np.uint8 if va > 127 else np.int8
    a, b = np.full((2, k), va, dtype), np.full((k, 3), vb, dtype)
    expected = k * va * vb
    if expected > INT32.max:
        with pytest.raises(ParameterError, match="int32"):
            int_matmul(a, b)
        assert int_matmul(a, b, accumulator="int64")[0, 0] == expected
    else:
        np.testing.assert_array_equal(int_matmul(a, b), np.full((2, 3), expected))


def test_a_sum_that_float32_cannot_hold_needs_chunks_and_is_still_exact():
    # 127 · (127 · 1040 + 125): odd and above 2**24, so no float32 can hold it and a
    # single float32 pass over K = 1041 must be wrong somewhere; chunks of 1040 are exact.
    k = 1041
    a = np.full((1, k), 127, np.int8)
    b = np.full((k, 1), 127, np.int8)
    b[-1] = 125
    exact = int(int64_matmul(a, b)[0, 0])
    assert exact > F32_EXACT and exact % 2 == 1
    assert plan(k, 127, 127) == (np.float32, F32_EXACT // (127 * 127))
    assert k > F32_EXACT // (127 * 127)
    assert int(int_matmul(a, b)[0, 0]) == exact


def test_products_beyond_float32_go_through_float64():
    # 4096 · 4097 + 1 = 2**24 + 4097: even one product is past float32's exact integers.
    a = np.array([[4096, 1]], np.int16)
    b = np.array([[4097], [1]], np.int16)
    assert plan(2, 4096, 4097)[0] == np.float64
    assert int(int_matmul(a, b)[0, 0]) == 4096 * 4097 + 1
    assert float((a.astype(np.float32) @ b.astype(np.float32))[0, 0]) != 4096 * 4097 + 1


@pytest.mark.parametrize(("a", "b", "expected"), [
    ([[32767, 32767]], [[32767], [32767]], 2 * 32767**2),
    ([[30000, 30000, 30000]], [[30000], [-30000], [30000]], 30000**2),
    ([[-32768, -32768]], [[32767], [32767]], -2 * 32768 * 32767),
], ids=["just-fits", "bound-exceeds-but-result-fits", "most-negative"])
def test_int32_accepts_every_result_inside_its_range(a, b, expected):
    got = int_matmul(np.array(a, np.int16), np.array(b, np.int16))
    assert got.dtype == np.int32 and int(got[0, 0]) == expected


@pytest.mark.parametrize("sign", [1, -1], ids=["positive", "negative"])
def test_int32_overflow_raises_instead_of_wrapping(sign):
    a = np.full((2, 3), 30000, np.int16)  # 3 · 30000² = 2.7e9 > 2**31 - 1
    b = np.full((3, 2), sign * 30000, np.int16)
    with pytest.raises(ParameterError, match=r"within int32 .* got -?2700000000 at row 0, "
                                             r"column 0") as info:
        int_matmul(a, b)
    assert info.value.code == "param_range"
    assert int(int_matmul(a, b, accumulator="int64")[0, 0]) == sign * 3 * 30000**2


@pytest.mark.parametrize(("m", "k", "n"), [(4, 5, 3), (6, 300, 7), (3, 2000, 5)],
                         ids=["small", "wraps", "wraps-chunked"])
def test_int16_accumulator_wraps_modulo_2_16(m, k, n):
    rng = np.random.default_rng(m * k)
    a, b = codes(rng, (m, k)), codes(rng, (k, n))
    got = int_matmul(a, b, accumulator="int16")
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, wrap16(int64_matmul(a, b)))
    # numpy's int16 matmul wraps after every multiply-add (int8 products fit int16): the
    # final wrap of the exact sum gives the same values.
    np.testing.assert_array_equal(got, a.astype(np.int16) @ b.astype(np.int16))


def test_int_matmul_on_empty_and_zero_inputs():
    empty_k = int_matmul(np.zeros((2, 0), np.int8), np.zeros((0, 3), np.int8))
    assert empty_k.tolist() == [[0] * 3] * 2
    assert int_matmul(np.zeros((0, 4), np.int8), np.ones((4, 2), np.int8)).shape == (0, 2)
    assert int_matmul(np.zeros((2, 4), np.int8), np.zeros((4, 2), np.int8)).sum() == 0


def test_int_matmul_does_not_mutate_and_accepts_lists():
    a = np.array([[1, -2], [3, 4]], np.int8)
    before = a.copy()
    int_matmul(a, a)
    np.testing.assert_array_equal(a, before)
    assert int_matmul([[1, 2]], [[3], [4]]).tolist() == [[11]]


@pytest.mark.parametrize(("qa", "qb", "error", "match"), [
    (np.ones((2, 3), np.float32), np.ones((3, 2), np.int8), ParameterTypeError,
     "qa must be an array of integer codes .* got dtype float32"),
    (np.ones((2, 3), np.int8), np.ones((3, 2), bool), ParameterTypeError, "qb .* dtype bool"),
    (np.ones(3, np.int8), np.ones((3, 2), np.int8), ParameterError, r"qa must be a 2-D array"),
    (np.ones((2, 3), np.int8), np.ones((1, 3, 2), np.int8), ParameterError,
     r"qb must be a 2-D array .* got shape \(1, 3, 2\)"),
    (np.ones((2, 3), np.int8), np.ones((4, 2), np.int8), ParameterError,
     r"qb.shape\[0\] must be qa.shape\[1\] = 3 \(the inner dimensions must match\), got 4"),
    (np.full((2, 3), 70000, np.int32), np.ones((3, 2), np.int8), ParameterError,
     "codes of up to 16 bits"),
], ids=["float", "bool", "1-D", "3-D", "inner-mismatch", "too-wide"])
def test_int_matmul_refuses_bad_inputs(qa, qb, error, match):
    with pytest.raises(error, match=match):
        int_matmul(qa, qb)


def test_unknown_accumulator():
    with pytest.raises(ParameterError, match="accumulator must be one of 'int32', 'int16', "
                                             "'int64', got 'int8'"):
        int_matmul(np.ones((1, 1), np.int8), np.ones((1, 1), np.int8), accumulator="int8")
    assert ACCUMULATORS[0] == "int32"


# --- the slides' example (seed 002, "integer only") ----------------------------------------

SLIDE_FLOATS_X = [-0.5, 0.25, 0.12, 0.75, -0.37, 0.88, -0.09, 0.47, -0.44]
SLIDE_FLOATS_W = [0.25, 0.39, 0.12, 0.12, 0.25, 0.34]
SLIDE_FP16_Y = [-0.01, 0.04, 0.15, 0.30, 0.10, -0.04]


def cut(values, decimals=2):
    """Cut (truncate) toward zero to two decimals, as the slides print their numbers."""
    return (np.trunc(np.asarray(values, np.float64) * 10**decimals) / 10**decimals).tolist()


def test_the_slides_integer_only_example():
    qx = np.array(SEED002_MATMUL["x_codes"], np.int8)
    qw = np.array(SEED002_MATMUL["w_codes"], np.int8)
    s = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    assert s.scale == SEED002_MATMUL["scale"] == 1 / 127
    # The slide's float matrices are the codes times 1/127, cut to two decimals: so the
    # first row of x holds +16 (0.12), as the accumulators need, not the -16 it prints.
    assert cut(qx.ravel() / 127) == SLIDE_FLOATS_X
    assert cut(qw.ravel() / 127) == SLIDE_FLOATS_W
    np.testing.assert_array_equal(int_matmul(qx, qw.T), SEED002_MATMUL["acc"])
    result = quantized_matmul(qx / 127, qw / 127, s, s)
    np.testing.assert_array_equal(result.acc, SEED002_MATMUL["acc"])
    assert cut(result.y.ravel()) == SLIDE_FP16_Y


# --- quantized_matmul: the integer path against the simulated one ---------------------------

LAYOUTS = {"tensor": Layout.tensor(), "channel": Layout.channel(0)}
SCHEMES = [
    # (x layout, w layout, x symmetric, w symmetric, x signed, bits)
    ("tensor", "tensor", True, True, True, 8),
    ("tensor", "tensor", False, False, True, 8),
    ("tensor", "channel", False, True, True, 8),
    ("channel", "channel", False, False, True, 8),
    ("channel", "tensor", True, False, True, 8),
    ("tensor", "channel", False, True, False, 8),
    ("tensor", "tensor", True, True, True, 4),
    ("channel", "channel", False, False, True, 4),
    ("tensor", "channel", False, False, False, 4),
]
SCHEME_IDS = ["sym-tensor", "affine-tensor", "affine-x-sym-w-channel",
              "affine-token-channel", "sym-token-affine-w", "uint8-x", "4bit-sym",
              "4bit-affine-token-channel", "4bit-uint-x"]


def make_case(rng, m, k, n, x_layout, w_layout, x_sym, w_sym, x_signed, bits):
    """Skewed activations (a shifted, per-token scaled normal) and normal weights."""
    x = (rng.standard_normal((m, k)) + 0.7) * rng.uniform(0.2, 3.0, (m, 1))
    if not x_signed:
        x = np.abs(x)  # ReLU-like: unsigned activations
    w = rng.standard_normal((n, k)) * rng.uniform(0.01, 0.1, (n, 1))
    x_qp = ql.choose_qparams(x, bits=bits, symmetric=x_sym, signed=x_signed,
                             layout=LAYOUTS[x_layout])
    w_qp = ql.choose_qparams(w, bits=bits, symmetric=w_sym, layout=LAYOUTS[w_layout])
    return x.astype(np.float32), w.astype(np.float32), x_qp, w_qp


def reference(qx, qw, x_qp, w_qp):
    """The zero-point-shifted int64 accumulator and y in float64, from the definitions."""
    zx = np.reshape(x_qp.zero_point, (-1, 1)).astype(np.int64)
    zw = np.reshape(w_qp.zero_point, (1, -1)).astype(np.int64)
    sx = np.reshape(x_qp.scale, (-1, 1))
    sw = np.reshape(w_qp.scale, (1, -1))
    acc = (qx.astype(np.int64) - zx) @ (qw.astype(np.int64) - zw.T).T
    return acc, sx * sw * acc


@pytest.mark.parametrize(("x_layout", "w_layout", "x_sym", "w_sym", "x_signed", "bits"),
                         SCHEMES, ids=SCHEME_IDS)
def test_integer_path_equals_the_simulated_path(x_layout, w_layout, x_sym, w_sym, x_signed,
                                                bits):
    rng = np.random.default_rng(bits)
    x, w, x_qp, w_qp = make_case(rng, 9, 700, 11, x_layout, w_layout, x_sym, w_sym,
                                 x_signed, bits)
    r = quantized_matmul(x, w, x_qp, w_qp)
    qx, qw = ql.quantize(x, x_qp), ql.quantize(w, w_qp)
    np.testing.assert_array_equal(r.qx, qx)
    np.testing.assert_array_equal(r.qw, qw)
    acc, y64 = reference(qx, qw, x_qp, w_qp)
    np.testing.assert_array_equal(r.acc, acc)
    assert r.y.dtype == np.float32 and r.acc.dtype == np.int32
    # The integer path rounds once, at the end.
    np.testing.assert_allclose(r.y, y64, rtol=F32_EPS, atol=0)
    # The simulated path rounds every dequantized value and every float32 addition:
    # |error| <= (K + 2) · eps · Σ|x̂||ŵ| bounds them all (the classic dot-product bound).
    xh, wh = ql.dequantize(qx, x_qp), ql.dequantize(qw, w_qp)
    simulated = xh @ wh.T
    bound = (x.shape[1] + 2) * F32_EPS * (np.abs(xh).astype(np.float64) @ np.abs(wh).T)
    assert np.all(np.abs(r.y.astype(np.float64) - simulated) <= bound)
    np.testing.assert_allclose(r.y, simulated, rtol=1e-4, atol=1e-4 * np.abs(simulated).max())


@pytest.mark.parametrize(("x_layout", "w_layout", "x_sym", "w_sym", "x_signed", "bits"),
                         SCHEMES, ids=SCHEME_IDS)
def test_zero_point_terms_sum_to_the_accumulator(x_layout, w_layout, x_sym, w_sym, x_signed,
                                                 bits):
    rng = np.random.default_rng(100 + bits)
    x, w, x_qp, w_qp = make_case(rng, 5, 64, 4, x_layout, w_layout, x_sym, w_sym, x_signed,
                                 bits)
    r = quantized_matmul(x, w, x_qp, w_qp)
    qx, qw = r.qx.astype(np.int64), r.qw.astype(np.int64)
    zx = np.reshape(x_qp.zero_point, (-1, 1))
    zw = np.reshape(w_qp.zero_point, (1, -1))
    expected = {"products": qx @ qw.T, "zw_term": -zw * qx.sum(1, keepdims=True),
                "zx_term": -zx * qw.sum(1)[None, :], "zz_term": qx.shape[1] * zx * zw}
    terms = r.terms
    assert list(terms) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(terms[name], np.broadcast_to(value, r.acc.shape), name)
    np.testing.assert_array_equal(sum(t.astype(np.int64) for t in terms.values()), r.acc)
    if x_sym and w_sym:
        assert not any(np.any(terms[name]) for name in ("zw_term", "zx_term", "zz_term"))


def test_per_token_scales_follow_the_rows_of_x_and_per_channel_the_rows_of_w():
    x = np.array([[1.0, -1.0], [100.0, 50.0]])
    w = np.array([[0.5, 0.25], [-8.0, 4.0], [0.0, 1.0]])
    x_qp = ql.choose_qparams(x, symmetric=True, granularity="channel", axis=0)
    w_qp = ql.choose_qparams(w, symmetric=True, granularity="channel", axis=0)
    r = quantized_matmul(x, w, x_qp, w_qp)
    assert r.scale.shape == (2, 3)
    np.testing.assert_allclose(r.scale, np.outer(x_qp.scale, w_qp.scale))
    np.testing.assert_allclose(r.y, x @ w.T, rtol=0.02)
    assert np.asarray(r) is r.y  # the float32 result of DESIGN.md's contract


@settings(max_examples=60, deadline=None, derandomize=True)
@given(m=st.integers(1, 6), k=st.integers(1, 40), n=st.integers(1, 6),
       bits=st.sampled_from([2, 4, 8]), zx=st.integers(-128, 127), zw=st.integers(-128, 127),
       seed=st.integers(0, 2**16), per_row=st.booleans())
def test_any_shapes_and_zero_points(m, k, n, bits, zx, zw, seed, per_row):
    rng = np.random.default_rng(seed)
    qmin, qmax = ql.int_range(bits)
    zx, zw = int(np.clip(zx, qmin, qmax)), int(np.clip(zw, qmin, qmax))
    base = dict(qmin=qmin, qmax=qmax, bits=bits, symmetric=False)
    x_qp = ql.QParams(scale=0.1, zero_point=zx, **base)
    w_qp = (ql.QParams(scale=rng.uniform(0.01, 1.0, n), layout=Layout.channel(0),
                       zero_point=rng.integers(qmin, qmax, n, endpoint=True), **base)
            if per_row else ql.QParams(scale=0.3, zero_point=zw, **base))
    qx = rng.integers(qmin, qmax, (m, k), endpoint=True).astype(x_qp.dtype)
    qw = rng.integers(qmin, qmax, (n, k), endpoint=True).astype(w_qp.dtype)
    r = quantized_matmul_codes(qx, qw, x_qp, w_qp)
    acc, y64 = reference(qx, qw, x_qp, w_qp)
    np.testing.assert_array_equal(r.acc, acc)
    np.testing.assert_array_equal(sum(t.astype(np.int64) for t in r.terms.values()), acc)
    np.testing.assert_allclose(r.y, y64, rtol=F32_EPS, atol=0)


# --- accumulators in the quantized path ---------------------------------------------------------


def test_int16_accumulator_wraps_every_part_and_the_sum():
    rng = np.random.default_rng(7)
    x, w, x_qp, w_qp = make_case(rng, 4, 512, 3, "tensor", "tensor", False, False, True, 8)
    r = quantized_matmul(x, w, x_qp, w_qp, accumulator="int16")
    exact = quantized_matmul(x, w, x_qp, w_qp, accumulator="int64")
    assert r.acc.dtype == np.int16
    assert np.abs(exact.acc).max() > 2**15  # the demo does overflow
    np.testing.assert_array_equal(r.acc, wrap16(exact.acc))
    np.testing.assert_array_equal(wrap16(sum(t.astype(np.int64) for t in r.terms.values())),
                                  r.acc)
    assert not np.allclose(r.y, exact.y)


def test_16_bit_codes_overflow_int32_and_fit_int64():
    rng = np.random.default_rng(3)
    x, w = rng.uniform(0.5, 1.0, (3, 64)), rng.uniform(0.5, 1.0, (2, 64))
    x_qp, w_qp = (ql.choose_qparams(t, bits=16, symmetric=True) for t in (x, w))
    with pytest.raises(ParameterError, match="within int32"):
        quantized_matmul(x, w, x_qp, w_qp)
    r = quantized_matmul(x, w, x_qp, w_qp, accumulator="int64")
    acc, y64 = reference(r.qx, r.qw, x_qp, w_qp)
    assert r.acc.dtype == np.int64 and acc.min() > INT32.max
    np.testing.assert_array_equal(r.acc, acc)
    np.testing.assert_allclose(r.y, y64, rtol=F32_EPS)


# --- requantization --------------------------------------------------------------------------


def half_away(value: Fraction) -> int:
    """round(value), ties away from zero, exactly."""
    whole = int(abs(value) + Fraction(1, 2))
    return whole if value >= 0 else -whole


def test_quantize_multiplier_keeps_31_bits():
    multipliers = np.array([1e-9, 1 / (127 * 127 * 0.01), 0.5, 0.75, 1.0, 3.7, 1 - 2**-40])
    m0, n = quantize_multiplier(multipliers)
    assert np.all((m0 >= 2**30) & (m0 < 2**31))
    approx = m0 * np.ldexp(1.0, -n)
    assert np.all(np.abs(approx - multipliers) <= multipliers * 2.0**-31)
    assert int(m0[-1]) == 2**30 and int(n[-1]) == 30  # 1 - 2**-40 rounds up to 1.0
    with pytest.raises(ParameterError, match="a finite number > 0"):
        quantize_multiplier([0.0])


def test_rounding_shift_rounds_ties_away_from_zero():
    v = np.array([3, 4, 5, 6, -3, -5, -6, 2**61, -(2**61)], np.int64)
    expected = [half_away(Fraction(int(x), 4)) for x in v]
    assert rounding_shift(v, np.array(2)).tolist() == expected
    assert rounding_shift(v, np.array(63)).tolist() == [0] * len(v)
    assert rounding_shift(np.array([2**61]), np.array(62)).tolist() == [1]


@pytest.mark.parametrize(("x_layout", "w_layout", "x_sym", "w_sym", "x_signed", "bits"),
                         SCHEMES[:6], ids=SCHEME_IDS[:6])
def test_requantized_codes_match_rounding_y_within_one_code(x_layout, w_layout, x_sym, w_sym,
                                                             x_signed, bits):
    rng = np.random.default_rng(11)
    x, w, x_qp, w_qp = make_case(rng, 16, 256, 12, x_layout, w_layout, x_sym, w_sym,
                                 x_signed, bits)
    y_float = x @ w.T
    out_qp = ql.choose_qparams(y_float, symmetric=False)
    r = quantized_matmul(x, w, x_qp, w_qp, out_qparams=out_qp)
    req = r.requantized
    assert req.codes.dtype == np.int8 and req.qparams == out_qp
    np.testing.assert_allclose(req.multiplier, r.scale / out_qp.scale)
    assert np.shape(req.m0) == np.shape(r.scale)  # one M per channel / token
    # The float oracle: round(y / s_out) + z_out.
    oracle = np.clip(np.rint(r.y / out_qp.scale) + out_qp.zero_point, out_qp.qmin, out_qp.qmax)
    diff = req.codes.astype(np.int64) - oracle
    assert np.abs(diff).max() <= 1
    # They may differ only where acc·M is (within float32's rounding of y) on a half-integer.
    t = r.acc * req.multiplier
    near_tie = np.abs(np.abs(t - np.floor(t)) - 0.5) <= np.abs(t) * 2.0**-22 + 1e-12
    assert np.all((diff == 0) | near_tie)
    # The exact integer oracle: round_half_away(acc · M0 / 2**n) + z_out, clipped.
    m0 = np.broadcast_to(req.m0, r.acc.shape)
    n = np.broadcast_to(req.shift, r.acc.shape)
    exact = [[min(max(half_away(Fraction(int(a) * int(b), 2 ** int(s))) + out_qp.zero_point,
                      out_qp.qmin), out_qp.qmax)
              for a, b, s in zip(*rows, strict=True)] for rows in zip(r.acc, m0, n, strict=True)]
    np.testing.assert_array_equal(req.codes, exact)


def test_requantize_ties_round_away_from_zero_where_numpy_rounds_to_even():
    out_qp = ql.qparams_from_range(-127.0, 127.0, symmetric=True)  # s_out = 1
    acc = np.array([[1, 3, -1, -3, 5]], np.int32)
    req = requantize(acc, 0.5, out_qp)  # M = 0.5: every odd acc is a tie
    assert req.codes.tolist() == [[1, 2, -1, -2, 3]]
    assert np.rint(acc * 0.5).tolist() == [[0, 2, -0, -2, 2]]


def test_requantize_saturates_and_handles_extreme_multipliers():
    out_qp = ql.qparams_from_range(-1.0, 1.0)  # affine int8, zero point 0 or near it
    acc = np.array([[-5, 0, 7, 2**31 - 1]], np.int32)
    huge = requantize(acc, 2.0**40 * out_qp.scale, out_qp)  # M = 2**40: shift < 1
    assert int(huge.shift) < 1
    assert huge.codes.tolist() == [[-128, out_qp.zero_point, 127, 127]]
    tiny = requantize(acc, 2.0**-70 * out_qp.scale, out_qp)  # shift > 62
    assert int(tiny.shift) > 62
    assert tiny.codes.tolist() == [[out_qp.zero_point] * 4]


def test_requantize_refuses_a_per_channel_output_and_wide_accumulators():
    qp = ql.choose_qparams(np.ones((2, 3)), granularity="channel")
    with pytest.raises(ParameterError, match="out_qparams must be per-tensor QParams"):
        requantize(np.ones((2, 3), np.int32), 1.0, qp)
    with pytest.raises(ParameterError, match="within int32"):
        requantize(np.array([[2**31]], np.int64), 1.0, ql.qparams_from_range(-1.0, 1.0))


# --- bad inputs -------------------------------------------------------------------------------

X = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
W = np.linspace(-0.5, 0.5, 8).reshape(2, 4)
PER_TENSOR = ql.qparams_from_range(-1.0, 1.0)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: quantized_matmul(X, W[:, :3], PER_TENSOR, PER_TENSOR), ParameterError,
     r"w.shape\[1\] must be x.shape\[1\] = 4 \(the inner dimensions must match\), got 3"),
    (lambda: quantized_matmul(X[0], W, PER_TENSOR, PER_TENSOR), ParameterError,
     r"x must be a 2-D array \(a matrix\), got shape \(4,\)"),
    (lambda: quantized_matmul(X, W, ql.choose_qparams(X, granularity="channel", axis=1),
                              PER_TENSOR), ParameterError,
     r"x_qparams.layout must be per tensor or per channel along axis 0 \(one per token.*"
     r"got per channel along axis 1"),
    (lambda: quantized_matmul(X, W, PER_TENSOR, ql.choose_qparams(W, layout=Layout.group(2))),
     ParameterError, r"w_qparams.layout .* got per group of 2 along axis 1"),
    (lambda: quantized_matmul(X, W, PER_TENSOR, ql.choose_qparams(X, granularity="channel")),
     ParameterError, r"tensor of shape \(2, 4\) needs shape \(2,\)"),
    (lambda: quantized_matmul(X, W, "per tensor", PER_TENSOR), ParameterTypeError,
     "x_qparams must be a QParams, got str"),
    (lambda: quantized_matmul(X, W, PER_TENSOR, PER_TENSOR,
                              out_qparams=ql.choose_qparams(X, granularity="channel")),
     ParameterError, "out_qparams must be per-tensor QParams"),
    (lambda: quantized_matmul(X, W, PER_TENSOR, PER_TENSOR, accumulator="float"),
     ParameterError, "accumulator must be one of"),
    (lambda: quantized_matmul([["a"]], W, PER_TENSOR, PER_TENSOR), ParameterTypeError,
     "x must hold real numbers"),
    (lambda: quantized_matmul_codes(X, np.ones((2, 4), np.int8), PER_TENSOR, PER_TENSOR),
     ParameterTypeError, "qx must be an array of integer codes"),
    (lambda: quantized_matmul_codes(np.full((3, 4), 200, np.uint8), np.ones((2, 4), np.int8),
                                    PER_TENSOR, PER_TENSOR),
     ParameterError, r"qx must be codes from -128 to 127 \(its qparams\), got codes from 200"),
], ids=["inner-mismatch", "1-D-x", "x-per-feature", "w-per-group", "w-qparams-of-x",
        "not-qparams", "out-per-channel", "accumulator", "strings", "float-codes",
        "codes-outside-qparams"])
def test_quantized_matmul_refuses_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()
