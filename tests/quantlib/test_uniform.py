"""Tests for quantlib.uniform: qparams_from_range, rounding, quantize and dequantize.

step_table, levels and param_pair (quantlib.explain) are tested in test_explain.py.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantlib as ql
from quantlib import Layout
from quantlib.explain import levels, param_pair, step_table
from quantlib.qtypes import storage_dtype
from quantlib.uniform import (
    as_float_array,
    level_bounds,
    round_values,
    widened_range,
    work_dtype,
)

F32_MAX = float(np.finfo(np.float32).max)

# A per-tensor symmetric int8 scheme whose scale is exactly 1.0 (127 / 127), so that
# quantize(x) == round(x) and the rounding mode is the only thing under test.
UNIT = ql.qparams_from_range(-127.0, 127.0, symmetric=True)
TIES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]


def test_unit_scheme_has_scale_one():
    assert UNIT.scale == 1.0 and UNIT.zero_point == 0


# --- qparams_from_range ------------------------------------------------------------

SCHEMES = [
    # (symmetric, signed, narrow)
    (False, True, False), (False, True, True), (False, False, False), (False, False, True),
    (True, True, False), (True, True, True), (True, False, False),
]
SCHEME_IDS = ["affine-signed", "affine-signed-narrow", "affine-unsigned",
              "affine-unsigned-narrow", "sym-signed", "sym-signed-narrow", "sym-unsigned"]
RANGES = [(-1.8, 0.5), (-0.8, 0.7), (-2.5, 3.5), (0.25, 4.0), (-7.0, -0.5), (-3.0, 3.0)]
RANGE_IDS = ["seed000", "seed002", "seed003", "positive", "negative", "balanced"]


def expected_qparams(lo, hi, bits, symmetric, signed, narrow, include_zero=True):
    """The DESIGN.md formulas, written independently of quantlib."""
    if signed:
        qmin, qmax = -(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1
    else:
        qmin, qmax = narrow, 2**bits - 1
    if symmetric:
        amax = max(abs(lo), abs(hi))
        denom = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
        return amax / denom, 0, qmin, qmax
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / (qmax - qmin)
    zero = qmin - round(lo / scale)  # Python's round is half-to-even, like numpy's
    if include_zero:
        zero = min(max(zero, qmin), qmax)
    return scale, zero, qmin, qmax


@pytest.mark.parametrize(("lo", "hi"), RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize(("symmetric", "signed", "narrow"), SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("bits", [2, 4, 8, 16], ids=["2bit", "4bit", "8bit", "16bit"])
def test_qparams_from_range_follows_the_design_formulas(lo, hi, symmetric, signed, narrow,
                                                        bits):
    qp = ql.qparams_from_range(lo, hi, bits=bits, symmetric=symmetric, signed=signed,
                               narrow_range=narrow)
    scale, zero, qmin, qmax = expected_qparams(lo, hi, bits, symmetric, signed, narrow)
    assert qp.scale == pytest.approx(scale, rel=1e-15)
    assert qp.zero_point == zero
    assert (qp.qmin, qp.qmax, qp.bits) == (qmin, qmax, bits)
    assert (qp.symmetric, qp.signed, qp.narrow_range) == (symmetric, signed, narrow)
    assert qp.layout == Layout.tensor()
    assert isinstance(qp.scale, float) and isinstance(qp.zero_point, int)
    assert qmin <= qp.zero_point <= qmax


@pytest.mark.parametrize(("lo", "hi"), RANGES, ids=RANGE_IDS)
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_affine_range_with_zero_maps_its_ends_onto_the_end_codes(lo, hi, signed):
    qp = ql.qparams_from_range(lo, hi, signed=signed)
    lo0, hi0 = min(lo, 0.0), max(hi, 0.0)
    q = ql.quantize(np.array([lo0, 0.0, hi0]), qp)
    assert q[0] == qp.qmin and q[2] == qp.qmax
    # Zero is exactly representable: the code of 0.0 dequantizes to 0.0.
    assert ql.dequantize(q[1:2], qp)[0] == 0.0


def test_include_zero_widens_a_positive_range():
    widened = ql.qparams_from_range(0.5, 2.0)
    as_given = ql.qparams_from_range(0.5, 2.0, include_zero=False)
    assert widened.scale == pytest.approx(2.0 / 255)
    assert widened.zero_point == -128
    assert as_given.scale == pytest.approx(1.5 / 255)
    # Not clipped: the zero point lies below qmin, as seed 001's code computes.
    assert as_given.zero_point == -128 - round(0.5 / (1.5 / 255)) == -213
    assert as_given.zero_point < as_given.qmin


def test_include_zero_false_zero_point_is_not_clipped_above_either():
    qp = ql.qparams_from_range(-8.0, -3.0, signed=False, include_zero=False)
    assert qp.scale == pytest.approx(5.0 / 255)
    assert qp.zero_point == 0 - round(-8.0 / (5.0 / 255)) == 408
    assert qp.zero_point > qp.qmax
    q = ql.quantize(np.array([-8.0, -5.0, -3.0]), qp)
    assert q.tolist() == [0, 408 - 255, 255]


def test_symmetric_ignores_include_zero():
    a = ql.qparams_from_range(0.5, 2.0, symmetric=True)
    b = ql.qparams_from_range(0.5, 2.0, symmetric=True, include_zero=False)
    assert a == b
    assert a.scale == 2.0 / 127 and a.zero_point == 0


@pytest.mark.parametrize(("symmetric", "signed", "narrow"), SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("include_zero", [True, False], ids=["with-zero", "as-given"])
def test_all_zero_range_gives_scale_one_without_warnings(symmetric, signed, narrow,
                                                         include_zero):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qp = ql.qparams_from_range(0.0, 0.0, symmetric=symmetric, signed=signed,
                                   narrow_range=narrow, include_zero=include_zero)
        q = ql.quantize(np.zeros(5), qp)
        x_hat = ql.dequantize(q, qp)
    assert qp.scale == 1.0
    assert qp.qmin <= qp.zero_point <= qp.qmax
    assert np.all(x_hat == 0.0)
    assert not np.isnan(x_hat).any()


@pytest.mark.parametrize("c", [2.0, -0.75, 0.5, -6.0, 1024.0],
                         ids=["two", "neg-three-quarters", "half", "neg-six", "1024"])
@pytest.mark.parametrize(("symmetric", "include_zero"),
                         [(False, True), (False, False), (True, True)],
                         ids=["affine", "affine-as-given", "symmetric"])
def test_constant_range_reconstructs_a_dyadic_constant_exactly(c, symmetric, include_zero):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qp = ql.qparams_from_range(c, c, symmetric=symmetric, include_zero=include_zero)
        x_hat = ql.fake_quantize(np.full(4, c), qp)
    assert qp.scale > 0
    assert np.all(x_hat == c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("symmetric", "include_zero"),
                         [(False, True), (False, False), (True, True)],
                         ids=["affine", "affine-as-given", "symmetric"])
def test_constant_range_reconstructs_any_constant_within_one_float32_ulp(dtype, symmetric,
                                                                        include_zero):
    values = np.random.default_rng(7).uniform(-100, 100, 200).astype(dtype)
    for c in values:
        qp = ql.qparams_from_range(c, c, symmetric=symmetric, include_zero=include_zero)
        x_hat = ql.fake_quantize(np.full(2, c, dtype), qp)
        assert np.all(np.abs(x_hat - np.float32(c)) <= np.spacing(np.float32(abs(c))))


def test_constant_range_reconstructs_point_three_exactly():
    x = np.full(3, 0.3)
    qp = ql.choose_qparams(x)
    assert np.all(ql.fake_quantize(x, qp) == np.float32(0.3))


@pytest.mark.parametrize(
    ("lo", "hi", "match"),
    [
        (1.0, -1.0, r"lo <= hi"),
        (np.nan, 1.0, r"finite"),
        (-1.0, np.nan, r"finite"),
        (-np.inf, 1.0, r"finite"),
        (-1.0, np.inf, r"finite"),
    ],
    ids=["lo-above-hi", "nan-lo", "nan-hi", "inf-lo", "inf-hi"],
)
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_bad_ranges_raise(lo, hi, match, symmetric):
    with pytest.raises(ValueError, match=match):
        ql.qparams_from_range(lo, hi, symmetric=symmetric)


def test_symmetric_unsigned_narrow_is_refused():
    with pytest.raises(ValueError, match=r"narrow_range.*code 0"):
        ql.qparams_from_range(0.0, 1.0, symmetric=True, signed=False, narrow_range=True)


def test_array_ranges_give_per_channel_qparams():
    lo = np.array([-1.0, -2.0, 0.5])
    hi = np.array([1.0, 4.0, 3.0])
    qp = ql.qparams_from_range(lo, hi)
    assert qp.layout == Layout.channel(0)
    assert qp.scale.shape == qp.zero_point.shape == (3,)
    assert qp.scale.dtype == np.float64 and qp.zero_point.dtype == np.int64
    for i in range(3):
        one = ql.qparams_from_range(lo[i], hi[i])
        assert param_pair(qp, i) == (one.scale, one.zero_point)


def test_array_ranges_take_the_layout_they_describe():
    lo, hi = -np.ones((2, 3)), np.ones((2, 3))
    layout = Layout.group(4, axis=1)
    qp = ql.qparams_from_range(lo, hi, layout=layout)
    assert qp.layout == layout and qp.scale.shape == (2, 3)
    assert ql.qparams_from_range(-1.0, 1.0, layout=Layout.tensor()).layout == Layout.tensor()


def test_array_ranges_must_match_and_be_ordered_everywhere():
    with pytest.raises(ValueError, match=r"same shape.*\(2,\) and \(3,\)"):
        ql.qparams_from_range(np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match="lo <= hi"):
        ql.qparams_from_range(np.array([0.0, 2.0]), np.array([1.0, 1.0]))


# --- rounding ---------------------------------------------------------------------

TIE_RESULTS = {
    "half_even": [-2, -2, 0, 0, 2, 2],
    "half_away": [-3, -2, -1, 1, 2, 3],
    "floor": [-3, -2, -1, 0, 1, 2],
}


@pytest.mark.parametrize("mode", list(TIE_RESULTS), ids=list(TIE_RESULTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_rounding_modes_on_ties(mode, dtype):
    x = np.array(TIES, dtype)
    assert ql.quantize(x, UNIT, rounding=mode).tolist() == TIE_RESULTS[mode]
    assert round_values(x.copy(), mode).tolist() == TIE_RESULTS[mode]


def test_stochastic_rounding_of_ties_lands_on_a_neighbour():
    x = np.repeat(np.array(TIES), 200)
    q = ql.quantize(x, UNIT, rounding="stochastic", seed=1)
    assert set(np.unique(q - np.floor(x))) == {0, 1}


@pytest.mark.parametrize(
    ("value", "dtype"),
    [(0.49999997, np.float32), (-0.49999997, np.float32),
     (0.49999999999999994, np.float64), (-0.49999999999999994, np.float64),
     (2.4999998, np.float32), (2.4999999999999996, np.float64)],
    ids=["f32-just-below-half", "f32-negative", "f64-just-below-half", "f64-negative",
         "f32-just-below-2.5", "f64-just-below-2.5"],
)
def test_half_away_is_exact_just_below_a_tie(value, dtype):
    x = np.array([value], dtype)
    assert x[0] != np.round(x[0]) + np.copysign(0.5, x[0])  # really below the tie
    expected = np.trunc(x)  # |fraction| < 0.5: rounds towards zero
    assert ql.quantize(x, UNIT, rounding="half_away").tolist() == expected.tolist()
    assert round_values(x.copy(), "half_away").tolist() == expected.tolist()


def test_floor_rounds_towards_minus_infinity():
    x = np.array([-1.01, -0.99, -0.0, 0.0, 0.99, 1.0, 1.99])
    assert ql.quantize(x, UNIT, rounding="floor").tolist() == [-2, -1, 0, 0, 0, 1, 1]


def test_round_values_rounds_in_place():
    y = np.array([0.4, 1.6])
    out = round_values(y, "half_even")
    assert out is y and y.tolist() == [0.0, 2.0]


def test_round_values_stochastic_needs_an_rng():
    with pytest.raises(ValueError, match="rng"):
        round_values(np.array([0.5]), "stochastic")
    out = round_values(np.array([0.5, 2.0]), "stochastic", rng=np.random.default_rng(0))
    assert out[0] in (0.0, 1.0) and out[1] == 2.0


@pytest.mark.parametrize("bad", ["nearest", "HALF_EVEN", "", None],
                         ids=["nearest", "upper-case", "empty", "none"])
def test_bad_rounding_name_lists_the_modes(bad):
    pattern = (r"rounding must be one of 'half_even', 'half_away', 'floor', 'stochastic', "
               rf"got {re.escape(repr(bad))}")
    for call in (ql.quantize, ql.fake_quantize, step_table):
        with pytest.raises(ValueError, match=pattern):
            call([0.5], UNIT, rounding=bad)
    with pytest.raises(ValueError, match=pattern):
        round_values(np.array([0.5]), bad)


# --- stochastic rounding ------------------------------------------------------------


@pytest.fixture(scope="module")
def stochastic_case():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    x = np.random.default_rng(3).uniform(-1, 1, 5000).astype(np.float32)
    return x, qp


def test_stochastic_is_deterministic_for_a_seed(stochastic_case):
    x, qp = stochastic_case
    a = ql.quantize(x, qp, rounding="stochastic", seed=42)
    b = ql.quantize(x, qp, rounding="stochastic", seed=42)
    c = ql.quantize(x, qp, rounding="stochastic", seed=43)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(ql.fake_quantize(x, qp, rounding="stochastic", seed=42),
                          ql.dequantize(a, qp))


def test_seed_only_matters_for_stochastic(stochastic_case):
    x, qp = stochastic_case
    for mode in ("half_even", "half_away", "floor"):
        assert np.array_equal(ql.quantize(x, qp, rounding=mode, seed=1),
                              ql.quantize(x, qp, rounding=mode, seed=2))


def test_stochastic_is_never_farther_than_one_step(stochastic_case):
    x, qp = stochastic_case
    y = x.astype(np.float64) / qp.scale
    for seed in range(5):
        q = ql.quantize(x, qp, rounding="stochastic", seed=seed).astype(np.float64)
        assert np.all(np.abs(q - y) < 1.0)
        assert np.all((q == np.floor(y)) | (q == np.ceil(y)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_stochastic_rounding_is_unbiased_on_average(dtype):
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    n = 200_000
    target = 0.3 / qp.scale  # 38.1: floor 38, rounds up with probability 0.1
    q = ql.quantize(np.full(n, 0.3, dtype), qp, rounding="stochastic", seed=0)
    frac = target - np.floor(target)
    # 5 standard deviations of a mean of n Bernoulli(frac) draws.
    tol = 5 * np.sqrt(frac * (1 - frac) / n)
    assert abs(q.mean() - target) < tol
    assert set(np.unique(q)) == {int(np.floor(target)), int(np.ceil(target))}


def test_stochastic_keeps_exact_integers_in_float64():
    q = ql.quantize(np.full(100_000, 100.0), UNIT, rounding="stochastic", seed=0)
    assert np.all(q == 100)


def test_stochastic_keeps_exact_integers_in_float32():
    q = ql.quantize(np.full(2_000_000, 100.0, np.float32), UNIT, rounding="stochastic", seed=0)
    assert np.all(q == 100)


def test_stochastic_stream_is_the_same_for_every_granularity():
    x = np.random.default_rng(5).standard_normal((7, 30_001)).astype(np.float32)
    per_tensor = ql.choose_qparams(x, symmetric=True)
    amax = np.full(7, per_tensor.scale * 127)
    per_channel = ql.qparams_from_range(-amax, amax, symmetric=True)
    assert np.all(per_channel.scale == per_tensor.scale)
    a = ql.quantize(x, per_tensor, rounding="stochastic", seed=9)
    b = ql.quantize(x, per_channel, rounding="stochastic", seed=9)
    assert np.array_equal(a, b)
    # ... and it is numpy's stream for the seed, drawn in flat order in x's dtype.
    noise = np.random.default_rng(9).random(x.shape, dtype=np.float32)
    y = x / np.float32(per_tensor.scale)
    expected = np.clip(np.floor(y) + (noise < y - np.floor(y)), -128, 127)
    assert np.array_equal(a, expected)


# --- quantize / dequantize edge inputs ----------------------------------------------


@pytest.mark.parametrize("bits", [2, 4, 7, 8, 9, 12, 16],
                         ids=["2bit", "4bit", "7bit", "8bit", "9bit", "12bit", "16bit"])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_output_dtype_is_the_smallest_integer_type(bits, signed):
    qp = ql.qparams_from_range(-1.0, 1.0, bits=bits, signed=signed)
    q = ql.quantize(np.linspace(-1, 1, 11), qp)
    assert q.dtype == qp.dtype == storage_dtype(qp.qmin, qp.qmax)
    assert q.dtype.kind in "iu"
    assert q.dtype.itemsize == (1 if bits <= 8 else 2)
    assert q.min() == qp.qmin and q.max() == qp.qmax


@pytest.mark.parametrize(
    ("bits", "signed", "dtype"),
    [(8, True, np.int8), (8, False, np.uint8), (16, True, np.int16), (16, False, np.uint16)],
    ids=["int8", "uint8", "int16", "uint16"],
)
def test_full_width_output_dtypes(bits, signed, dtype):
    qp = ql.qparams_from_range(-3.0, 5.0, bits=bits, signed=signed)
    q = ql.quantize(np.array([-3.0, 0.0, 5.0]), qp)
    assert q.dtype == np.dtype(dtype)
    assert q[0] == np.iinfo(dtype).min and q[-1] == np.iinfo(dtype).max


@pytest.mark.parametrize("mode", ql.ROUNDING_MODES, ids=list(ql.ROUNDING_MODES))
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_inf_saturates(mode, signed):
    qp = ql.qparams_from_range(-1.0, 1.0, signed=signed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # see the half_away test below
        q = ql.quantize(np.array([np.inf, -np.inf, 0.5], np.float32), qp, rounding=mode)
    assert q[0] == qp.qmax and q[1] == qp.qmin


@pytest.mark.parametrize(
    "mode",
    ["half_even", "floor", "stochastic", "half_away"],
)
def test_inf_saturates_without_warnings(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = ql.quantize(np.array([np.inf, -np.inf]), UNIT, rounding=mode)
    assert q.tolist() == [127, -128]


@pytest.mark.parametrize("mode", ql.ROUNDING_MODES, ids=list(ql.ROUNDING_MODES))
@pytest.mark.parametrize("granularity", ["tensor", "channel", "group"])
def test_nan_raises(mode, granularity):
    x = np.ones((3, 4), np.float32)
    x[1, 2] = np.nan
    qp = ql.choose_qparams(np.ones((3, 4)), granularity=granularity, group_size=2)
    with pytest.raises(ValueError, match="NaN"):
        ql.quantize(x, qp, rounding=mode)
    with pytest.raises(ValueError, match="NaN"):
        ql.fake_quantize(x, qp, rounding=mode)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_empty_input(dtype):
    q = ql.quantize(np.array([], dtype), UNIT)
    assert q.shape == (0,) and q.dtype == np.int8
    x_hat = ql.dequantize(q, UNIT)
    assert x_hat.shape == (0,) and x_hat.dtype == np.float32
    assert ql.quantize(np.zeros((0, 3)), UNIT).shape == (0, 3)


def test_zero_dimensional_input():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    q = ql.quantize(np.float32(0.5), qp)
    assert q.shape == () and q.dtype == np.int8
    assert int(q) == round(0.5 / qp.scale)
    assert ql.quantize(0.5, qp) == q
    x_hat = ql.dequantize(q, qp)
    assert x_hat.shape == () and x_hat.dtype == np.float32
    assert ql.fake_quantize(0.5, qp) == pytest.approx(int(q) * qp.scale, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.bool_],
                         ids=["int8", "int32", "int64", "uint8", "bool"])
def test_integer_input_quantizes_like_its_float64_copy(dtype):
    x = np.array([0, 1, 2, 3, 100], dtype=dtype)
    qp = ql.qparams_from_range(0.0, 7.0)
    expected = ql.quantize(x.astype(np.float64), qp)
    assert np.array_equal(ql.quantize(x, qp), expected)


def test_float16_input_quantizes_like_float32():
    x = np.linspace(-2, 2, 101).astype(np.float16)
    qp = ql.qparams_from_range(-2.0, 2.0)
    assert np.array_equal(ql.quantize(x, qp), ql.quantize(x.astype(np.float32), qp))
    assert ql.fake_quantize(x, qp).dtype == np.float32


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array(["a"]), np.array([None])],
                         ids=["complex", "string", "object"])
def test_non_real_input_is_refused(bad):
    with pytest.raises(TypeError, match=r"x must hold real numbers.*dtype"):
        ql.quantize(bad, UNIT)


def test_dequantize_refuses_float_codes():
    with pytest.raises(TypeError, match=r"q must hold integer codes, got dtype float64"):
        ql.dequantize(np.array([1.0, 2.0]), UNIT)


@pytest.mark.parametrize("granularity", ["tensor", "channel", "group"])
@pytest.mark.parametrize("mode", ql.ROUNDING_MODES, ids=list(ql.ROUNDING_MODES))
def test_inputs_are_never_mutated(granularity, mode):
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    x[0, 0] = 1e30  # far outside the range: clipped
    before = x.copy()
    qp = ql.choose_qparams(np.clip(x, -3, 3), granularity=granularity, axis=1,
                           group_size=4)
    q = ql.quantize(x, qp, rounding=mode)
    q_before = q.copy()
    ql.dequantize(q, qp)
    ql.fake_quantize(x, qp, rounding=mode)
    step_table(x, qp, rounding=mode, count=10)
    assert np.array_equal(x, before)
    assert np.array_equal(q, q_before)


def test_python_lists_are_accepted():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    assert np.array_equal(ql.quantize([0.5, -0.5], qp), ql.quantize(np.array([0.5, -0.5]), qp))
    assert np.array_equal(ql.dequantize([64, -64], qp), ql.dequantize(np.array([64, -64]), qp))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("mode", ["half_even", "half_away", "floor"])
def test_big_per_tensor_array_equals_the_direct_formula(dtype, mode):
    # More than one internal block, with a ragged last block.
    # A power-of-two scale, so that the planted ties of x / s are exact.
    qp = ql.QParams(scale=1 / 64, zero_point=3, qmin=-128, qmax=127, bits=8, symmetric=False)
    x = (np.random.default_rng(11).standard_normal(200_003) * 1.5).astype(dtype)
    x[::97] = (np.floor(x[::97] * 64) + 0.5) / 64
    q = ql.quantize(x, qp, rounding=mode)
    s, z = dtype(qp.scale), dtype(qp.zero_point)
    y = x / s
    rounded = {"half_even": np.rint(y), "floor": np.floor(y),
               "half_away": np.trunc(y) + np.copysign(np.abs(y - np.trunc(y)) >= 0.5, y)}[mode]
    expected = np.clip(rounded + z, qp.qmin, qp.qmax)
    assert np.array_equal(q, expected)
    # The same values quantized in small chunks agree with the blocked path.
    chunks = np.concatenate([ql.quantize(c, qp, rounding=mode) for c in np.array_split(x, 97)])
    assert np.array_equal(q, chunks)
    x_hat = ql.dequantize(q, qp)
    assert np.array_equal(x_hat, (q.astype(np.float32) - np.float32(z)) * np.float32(s))


@pytest.mark.parametrize("axis", [0, 1, 2, -1], ids=["axis0", "axis1", "axis2", "axis-1"])
@pytest.mark.parametrize("mode", ["half_even", "half_away", "floor"])
@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_per_channel_equals_per_slice_per_tensor(axis, mode, symmetric):
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    qp = ql.choose_qparams(x, symmetric=symmetric, granularity="channel", axis=axis)
    q = ql.quantize(x, qp, rounding=mode)
    x_hat = ql.dequantize(q, qp)
    for i in range(x.shape[axis]):
        part = np.take(x, i, axis=axis)
        one = ql.choose_qparams(part, symmetric=symmetric)
        assert param_pair(qp, i) == (one.scale, one.zero_point)
        assert np.array_equal(np.take(q, i, axis=axis), ql.quantize(part, one, rounding=mode))
        assert np.array_equal(np.take(x_hat, i, axis=axis),
                              ql.fake_quantize(part, one, rounding=mode))


@pytest.mark.parametrize(("shape", "axis", "group_size"),
                         [((4, 10), 1, 3), ((4, 10), 0, 3), ((10,), 0, 4), ((2, 3, 7), -1, 2),
                          ((2, 3, 7), 1, 64)],
                         ids=["rows-partial", "cols-partial", "vector", "3d-last", "oversized"])
@pytest.mark.parametrize("mode", ["half_even", "half_away", "floor"])
def test_per_group_equals_per_slice_per_tensor(shape, axis, group_size, mode):
    x = np.random.default_rng(2).standard_normal(shape)
    qp = ql.choose_qparams(x, granularity="group", axis=axis, group_size=group_size)
    q = ql.quantize(x, qp, rounding=mode)
    x_hat = ql.dequantize(q, qp)
    moved_q, moved_x, moved_h = (np.moveaxis(a, axis, -1) for a in (q, x, x_hat))
    n = shape[axis]
    index = 0
    for lead in np.ndindex(moved_x.shape[:-1]):
        for start in range(0, n, group_size):
            part = moved_x[lead][start:start + group_size]
            one = ql.choose_qparams(part)
            assert param_pair(qp, index) == (one.scale, one.zero_point)
            assert np.array_equal(moved_q[lead][start:start + group_size],
                                  ql.quantize(part, one, rounding=mode))
            assert np.array_equal(moved_h[lead][start:start + group_size],
                                  ql.fake_quantize(part, one, rounding=mode))
            assert np.array_equal(levels(qp, index), levels(one))
            index += 1
    assert index == qp.num_params


def test_wrong_shape_qparams_point_to_choose_qparams():
    qp = ql.choose_qparams(np.ones((3, 5)), granularity="channel", axis=0)
    with pytest.raises(ValueError, match=r"shape \(3,\).*needs shape \(4,\).*choose_qparams"):
        ql.quantize(np.ones((4, 5)), qp)
    with pytest.raises(ValueError, match="choose_qparams"):
        ql.dequantize(np.ones((4, 5), np.int8), qp)
    grouped = ql.choose_qparams(np.ones((2, 8)), granularity="group", axis=1, group_size=4)
    with pytest.raises(ValueError, match="choose_qparams"):
        ql.quantize(np.ones((2, 9)), grouped)


def test_dequantize_is_float32_for_every_code_dtype():
    qp = ql.qparams_from_range(0.0, 255.0, signed=False)
    for dtype in (np.uint8, np.int16, np.int64):
        out = ql.dequantize(np.array([0, 255], dtype), qp)
        assert out.dtype == np.float32 and out.tolist() == [0.0, 255.0]


# --- properties ---------------------------------------------------------------------

finite_f32 = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False,
                       allow_subnormal=False, width=32)
arrays = hnp.arrays(np.float32, st.integers(1, 40), elements=finite_f32)
schemes = st.tuples(st.integers(2, 8), st.booleans(), st.booleans())
PROPERTY = settings(max_examples=150, deadline=None)


def _qparams(x, bits, symmetric, signed):
    return ql.choose_qparams(x, bits=bits, symmetric=symmetric, signed=signed)


@PROPERTY
@given(x=arrays, scheme=schemes)
def test_property_round_trip_error_within_half_a_step(x, scheme):
    qp = _qparams(x, *scheme)
    s, z = qp.scale, qp.zero_point
    lo, hi = (qp.qmin - z) * s, (qp.qmax - z) * s
    x64 = x.astype(np.float64)
    inside = (x64 >= lo) & (x64 <= hi)
    err = np.abs(ql.fake_quantize(x, qp).astype(np.float64) - x64)
    slack = 1e-6 * np.abs(x64).max() + 1e-30
    assert np.all(err[inside] <= s / 2 + slack)
    # Stronger, for minmax calibration: the rounded zero point shifts the grid by at most
    # half a step, so even the values it pushes out of the range are off by <= s/2. Only
    # symmetric unsigned quantization clips for real (the negatives, to code 0).
    covered = x64 >= 0 if (qp.symmetric and not qp.signed) else np.ones(x.shape, bool)
    assert np.all(err[covered] <= s / 2 + slack)


@PROPERTY
@given(x=arrays, scheme=schemes, mode=st.sampled_from(["half_even", "half_away", "floor"]))
def test_property_fake_quantize_is_idempotent(x, scheme, mode):
    qp = _qparams(x, *scheme)
    once = ql.fake_quantize(x, qp, rounding=mode)
    # Exactly, not just to an ulp: x_hat / s lands within an ulp of an integer code, which
    # both round-to-nearest modes map back onto that code.
    assert np.array_equal(ql.fake_quantize(once, qp), once)
    assert np.array_equal(ql.fake_quantize(once, qp, rounding="half_away"), once)
    # floor is not idempotent in float arithmetic: x_hat / s may fall an ulp below its
    # code, and floor then drops one whole step. It never drops more than that.
    again = ql.quantize(once, qp, rounding="floor").astype(np.int64)
    codes = ql.quantize(once, qp).astype(np.int64)
    assert np.all((again == codes) | ((again == codes - 1) & (codes > qp.qmin)))


@PROPERTY
@given(x=arrays, scheme=schemes, mode=st.sampled_from(ql.ROUNDING_MODES),
       factor=st.sampled_from([0.25, 1.0, 4.0]))
def test_property_codes_stay_in_range(x, scheme, mode, factor):
    qp = _qparams(x, *scheme)
    q = ql.quantize(x * np.float32(factor), qp, rounding=mode, seed=0)
    assert q.dtype == qp.dtype
    assert np.all((q >= qp.qmin) & (q <= qp.qmax))


@PROPERTY
@given(x=arrays, scheme=schemes)
def test_property_dequantized_values_are_levels(x, scheme):
    qp = _qparams(x, *scheme)
    q = ql.quantize(x, qp)
    lv = levels(qp)
    x_hat = ql.dequantize(q, qp)
    expected = lv[q.astype(np.int64) - qp.qmin]
    assert np.allclose(x_hat, expected, rtol=2e-7, atol=0)
    # and the nearest level of each x_hat is that one
    nearest = np.abs(x_hat[:, None].astype(np.float64) - lv[None, :]).argmin(axis=1)
    assert np.array_equal(lv[nearest], expected)


# --- precision at the ends of float32 -------------------------------------------------


def test_as_float_array_dtypes():
    assert as_float_array(np.ones(2, np.float16)).dtype == np.float32
    assert as_float_array(np.ones(2, np.int16)).dtype == np.float64
    x = np.ones(2, np.float32)
    assert as_float_array(x) is x


def test_tiny_float32_values_quantize_like_float64():
    x = np.array([0.0, 1e-44, -1e-42], np.float32)
    qp = ql.choose_qparams(x, symmetric=True)
    assert np.array_equal(ql.quantize(x, qp), ql.quantize(x.astype(np.float64), qp))


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_huge_float32_values_reconstruct_finite(symmetric):
    x = np.array([-F32_MAX, 0.0, F32_MAX], np.float32)
    qp = ql.choose_qparams(x, symmetric=symmetric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x_hat = ql.fake_quantize(x, qp)
    assert np.isfinite(x_hat).all()


# --- regressions from review: per-channel saturation, large zero points ------------


def test_per_channel_dequantize_saturates_a_channel_beyond_float32():
    qp = ql.qparams_from_range(np.array([0.0, 0.0]), np.array([1.0, 3e39]), signed=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x_hat = ql.dequantize(np.array([255, 255], np.uint8), qp)
    assert x_hat.tolist() == [1.0, float(np.finfo(np.float32).max)]


def test_large_zero_point_dequantizes_like_float64_per_tensor_and_per_channel():
    # include_zero=False keeps the zero point far outside the codes: |q - z| > 2**24.
    qp = ql.qparams_from_range(1e6 + 0.3, 1e6 + 1.3, signed=False, include_zero=False)
    q = np.arange(0, 256, 51)
    exact = ((q - qp.zero_point) * qp.scale).astype(np.float32)
    assert np.array_equal(ql.dequantize(q, qp), exact)
    per_channel = ql.qparams_from_range(np.full(1, 1e6 + 0.3), np.full(1, 1e6 + 1.3),
                                        signed=False, include_zero=False)
    assert np.array_equal(ql.dequantize(q[None, :], per_channel)[0], exact)


@pytest.mark.parametrize("granularity", ["tensor", "channel"])
def test_large_zero_point_quantizes_float32_like_float64(granularity):
    lo, hi = 1e6, 1e6 + 1
    if granularity == "tensor":
        qp = ql.qparams_from_range(lo, hi, signed=False, include_zero=False)
        x = np.linspace(lo, hi, 9).astype(np.float32)
    else:
        qp = ql.qparams_from_range(np.full(1, lo), np.full(1, hi), signed=False,
                                   include_zero=False)
        x = np.linspace(lo, hi, 9).astype(np.float32)[None, :]
    q32 = ql.quantize(x, qp)
    assert np.array_equal(q32, ql.quantize(x.astype(np.float64), qp))
    assert q32.reshape(-1).tolist() == [0, 32, 64, 96, 128, 159, 191, 223, 255]
    assert np.array_equal(step_table(x, qp, count=9)["q"], q32.reshape(-1))
    error = np.abs(ql.fake_quantize(x, qp).astype(np.float64) - x)
    assert error.max() <= np.max(qp.scale) / 2 + np.spacing(np.float32(hi))


def test_level_bounds_per_channel():
    qp = ql.qparams_from_range(np.array([-1.0, 0.0]), np.array([1.0, 2.0]), symmetric=True,
                               narrow_range=True)
    lo, hi = level_bounds(qp)
    assert lo.tolist() == pytest.approx([-1.0, -2.0]) and hi.tolist() == pytest.approx([1.0, 2.0])


# --- widened_range, work_dtype and the seed check (public since the Layout change) ------


@pytest.mark.parametrize(("lo", "hi", "symmetric", "include_zero", "expected"), [
    (0.5, 2.0, False, True, (0.0, 2.0)),
    (-0.8, 0.7, True, True, (-0.8, 0.8)),
    (0.5, 2.0, False, False, (0.5, 2.0)),
    (-3.0, -1.0, False, True, (-3.0, 0.0)),
    (-3.0, -1.0, True, False, (-3.0, 3.0)),
    (0.0, 0.0, False, True, (0.0, 0.0)),
], ids=["widen-up", "symmetrize", "as-given", "widen-down", "symmetric-ignores-zero", "zero"])
def test_widened_range(lo, hi, symmetric, include_zero, expected):
    got = widened_range(lo, hi, symmetric=symmetric, include_zero=include_zero)
    assert tuple(float(v) for v in got) == expected


@pytest.mark.parametrize(("symmetric", "signed", "narrow"), SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("include_zero", [True, False], ids=["with-zero", "as-given"])
def test_widened_range_is_the_range_qparams_from_range_maps(symmetric, signed, narrow,
                                                             include_zero):
    lo, hi = 0.5, 2.0
    qp = ql.qparams_from_range(lo, hi, symmetric=symmetric, signed=signed, narrow_range=narrow,
                               include_zero=include_zero)
    w_lo, w_hi = widened_range(lo, hi, symmetric=symmetric, include_zero=include_zero)
    if symmetric:
        assert qp.scale == pytest.approx(float(w_hi) / qp.qmax, rel=1e-15)
    else:
        assert qp.scale == pytest.approx((float(w_hi) - float(w_lo)) / (qp.qmax - qp.qmin),
                                         rel=1e-15)


def test_widened_range_works_elementwise():
    lo, hi = widened_range(np.array([0.5, -3.0]), np.array([2.0, -1.0]), symmetric=False,
                           include_zero=True)
    assert lo.tolist() == [0.0, -3.0] and hi.tolist() == [2.0, 0.0]


@pytest.mark.parametrize(("dtype", "qparams", "expected"), [
    (np.float32, ql.qparams_from_range(-1.0, 1.0), np.float32),
    (np.float64, ql.qparams_from_range(-1.0, 1.0), np.float64),
    (np.float32, ql.qparams_from_range(-1e-40, 1e-40), np.float64),
    (np.float32, ql.qparams_from_range(1e6, 1e6 + 1, signed=False, include_zero=False),
     np.float64),
    (np.float32, ql.qparams_from_range(-1.0, 1.0, bits=16), np.float32),
    # A scale above float32's largest value would become inf in float32.
    (np.float32, ql.qparams_from_range(-4.5e40, 4.5e40, symmetric=True), np.float64),
], ids=["float32", "float64", "f32-scale-below-tiny", "f32-zero-point-beyond-2**24",
        "f32-16bit", "f32-scale-beyond-float32-max"])
def test_work_dtype(dtype, qparams, expected):
    assert work_dtype(np.dtype(dtype), qparams) == np.dtype(expected)


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_a_scale_beyond_float32_max_quantizes_float32_like_float64(symmetric):
    # scale = 4.5e40 / 127 = 3.5e38 does not fit in float32: 3.4e38 / scale = 0.96 -> 1.
    qp = ql.qparams_from_range(-4.5e40, 4.5e40, symmetric=symmetric)
    x = np.array([F32_MAX, -F32_MAX, 2e38, 0.0], np.float32)
    expected = ql.quantize(x.astype(np.float64), qp)
    assert np.array_equal(ql.quantize(x, qp), expected)
    assert np.array_equal(step_table(x, qp)["q"], expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("lo", "hi"), [(-1e-320, 1e-320), (-1e-310, 1e-310)],
                         ids=["1e-320", "1e-310"])
def test_values_far_beyond_a_tiny_range_saturate_without_warnings(dtype, lo, hi):
    qp = ql.qparams_from_range(lo, hi, symmetric=True)
    x = np.array([1.0, -1.0, 0.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q = ql.quantize(x, qp)
        table = step_table(x, qp)
    assert q.tolist() == [127, -128, 0]
    assert table["q"].tolist() == [127, -128, 0]


@pytest.mark.parametrize(("seed", "error", "match"), [
    (-1, ValueError, r"seed must be an integer from 0 to .*, got -1"),
    (2**32, ValueError, r"seed must be an integer from 0 to .*, got 4294967296"),
    (1.5, TypeError, r"seed must be an integer .*, got 1\.5"),
    (True, TypeError, r"seed must be an integer .*, got True"),
    ("7", TypeError, r"seed must be an integer .*, got '7'"),
], ids=["negative", "beyond-32-bits", "float", "bool", "string"])
@pytest.mark.parametrize("call", [ql.quantize, ql.fake_quantize, step_table],
                         ids=["quantize", "fake_quantize", "step_table"])
def test_bad_seed_is_refused_by_every_entry_point(call, seed, error, match):
    # step_table promises quantize's arithmetic and random stream: it takes the same seeds.
    with pytest.raises(error, match=match):
        call([0.5], UNIT, rounding="stochastic", seed=seed)


@pytest.mark.parametrize("seed", [0, 2**32 - 1, np.int64(5)], ids=["zero", "max", "numpy-int"])
def test_seeds_at_the_bounds_are_accepted(seed):
    x = np.linspace(-1, 1, 9)
    q = ql.quantize(x, UNIT, rounding="stochastic", seed=seed)
    assert np.array_equal(step_table(x, UNIT, rounding="stochastic", seed=seed, count=9)["q"], q)


@pytest.mark.parametrize(("lo", "hi", "symmetric", "shown"), [
    (0.0, 5e-324, False, r"\[0\.0, 5e-324\]"),
    (-5e-324, 5e-324, False, r"\[-5e-324, 5e-324\]"),
    (0.0, 5e-324, True, r"\[0\.0, 5e-324\]"),
    (np.zeros(2), np.full(2, 5e-324), False, r"\[.*\]"),
], ids=["affine", "affine-balanced", "symmetric", "per-channel"])
def test_a_range_narrower_than_float64_steps_is_refused_cleanly(lo, hi, symmetric, shown):
    # The step (hi - lo) / 255 rounds to 0: refused, with the range the caller gave and
    # without a division-by-zero warning on the way.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"the range {shown} is too narrow"):
            ql.qparams_from_range(lo, hi, symmetric=symmetric)
