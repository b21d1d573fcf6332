"""Tests for quantlib.outliers: inject_outliers, llm_int8_matmul and SmoothQuant.

Every numeric claim is checked against a reference written here from the papers'
formulas, independently of quantlib: plain loops, np.round and int64 matmuls.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import quantlib as ql
from quantlib._validate import ParameterError, ParameterTypeError
from quantlib.outliers import (
    SMOOTH_MIN,
    channel_absmax,
    inject_outliers,
    int_dot,
    llm_int8_matmul,
    smooth_quant,
    smoothing_scales,
    vectorwise_quantize,
)

EPS32 = float(np.finfo(np.float32).eps)


# --- independent references --------------------------------------------------------

def reference_llm_int8(x, w, threshold):
    """LLM.int8() by the paper: float columns, plus per-row absmax/127 int8 in int64."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    k = x.shape[1]
    outliers = [j for j in range(k) if any(abs(v) >= threshold for v in x[:, j])]
    regular = [j for j in range(k) if j not in outliers]

    def row_quantize(a):
        scales, codes = [], np.zeros((a.shape[0], len(regular)), np.int64)
        for i, row in enumerate(a):
            amax = max((abs(row[j]) for j in regular), default=0.0)
            scale = amax / 127
            scales.append(scale)
            if scale > 0:
                codes[i] = np.round(np.array([row[j] for j in regular]) / scale)
        return np.array(scales), codes

    sx, qx = row_quantize(x)
    sw, qw = row_quantize(w)
    acc = qx @ qw.T  # int64: exact
    int8 = acc * sx[:, None] * sw[None, :]
    fl = x[:, outliers].astype(np.float32) @ w[:, outliers].astype(np.float32).T
    return np.array(outliers, dtype=np.int64), int8, fl.astype(np.float64), sx, sw


def per_tensor_int8(a):
    """Symmetric per-tensor fake quantization, absmax / 127."""
    a = np.asarray(a, np.float64)
    scale = np.abs(a).max() / 127
    return np.round(a / scale) * scale


def rel_error(y, ref):
    return float(np.linalg.norm(np.asarray(y, np.float64) - ref) / np.linalg.norm(ref))


def f32_matmul_tolerance(x, w):
    """Elementwise bound on float32 rounding of x @ w.T: a few eps times sum |x_k w_k|."""
    return 8 * EPS32 * (np.abs(np.asarray(x, np.float64)) @ np.abs(np.asarray(w, np.float64)).T)


@pytest.fixture(scope="module")
def outlier_layer():
    """The default outlier setting: normal (64, 512) activations with 4 channels x20."""
    x = inject_outliers(ql.generate("normal", (64, 512), seed=0), count=0, magnitude=20,
                        channels=4, seed=0).x
    w = ql.generate("normal", (256, 512), seed=1)
    return x, w


# --- llm_int8_matmul ------------------------------------------------------------------

def _random_layer(m, k, n, channels, seed):
    x = inject_outliers(ql.generate("normal", (m, k), seed=seed), count=0, magnitude=20,
                        channels=channels, seed=seed).x
    return x, ql.generate("normal", (n, k), seed=seed + 1)


@pytest.mark.parametrize(("m", "k", "n", "channels", "threshold"), [
    (16, 64, 24, 3, 6.0),
    (7, 300, 5, 10, 4.0),
    (32, 2100, 12, 6, 6.0),  # K beyond one exact float32 chunk of 1040 columns
    (5, 40, 9, 0, 6.0),
], ids=["small", "ten-channels", "two-chunks", "no-outliers"])
def test_llm_int8_matches_reference(m, k, n, channels, threshold):
    x, w = _random_layer(m, k, n, channels, seed=m + k)
    r = llm_int8_matmul(x, w, threshold=threshold)
    outliers, int8, fl, sx, sw = reference_llm_int8(x, w, threshold)
    np.testing.assert_array_equal(r.outlier_columns, outliers)
    np.testing.assert_allclose(r.row_scales, sx, rtol=1e-15)
    np.testing.assert_allclose(r.col_scales, sw, rtol=1e-15)
    atol = 4 * EPS32 * float(np.abs(int8).max())
    np.testing.assert_allclose(r.int8_part, int8, rtol=2 * EPS32, atol=atol)
    np.testing.assert_array_equal(r.float_part, fl.astype(np.float32))
    np.testing.assert_allclose(r.y, int8 + fl, rtol=4 * EPS32, atol=2 * atol)
    assert r.float_share == pytest.approx(outliers.size / k)
    assert r.y.dtype == r.int8_part.dtype == r.float_part.dtype == np.float32


def test_llm_int8_parts_add_up_to_y(outlier_layer):
    r = llm_int8_matmul(*outlier_layer)
    np.testing.assert_array_equal(r.y, r.int8_part + r.float_part)


def test_threshold_inf_is_plain_vectorwise_int8(outlier_layer):
    x, w = outlier_layer
    r = llm_int8_matmul(x, w, threshold=math.inf)
    _, int8, _, _, _ = reference_llm_int8(x, w, math.inf)
    assert r.outlier_columns.size == 0 and r.float_share == 0.0
    assert not r.float_part.any()
    np.testing.assert_allclose(r.y, int8, rtol=2 * EPS32, atol=4 * EPS32 * np.abs(int8).max())


def test_tiny_threshold_gives_the_float_result(outlier_layer):
    x, w = outlier_layer
    x = x.copy()
    x[:, [3, 100]] = 0.0  # all-zero columns stay out of the float path and add nothing
    r = llm_int8_matmul(x, w, threshold=float(np.abs(x[x != 0]).min()))
    assert set(r.outlier_columns.tolist()) == set(range(x.shape[1])) - {3, 100}
    exact = x.astype(np.float64) @ w.astype(np.float64).T
    assert np.all(np.abs(r.y - exact) <= f32_matmul_tolerance(x, w))
    assert not r.int8_part.any()


def test_outlier_columns_are_exactly_those_reaching_the_threshold():
    x = np.zeros((3, 6), np.float32)
    x[0, 1], x[2, 1] = 6.0, -1.0   # exactly at the threshold: an outlier (>=)
    x[1, 3] = -7.5                 # negative: |x| counts
    x[2, 4] = np.nextafter(np.float32(6.0), np.float32(0.0))  # just below: regular
    r = llm_int8_matmul(x, np.ones((2, 6), np.float32))
    np.testing.assert_array_equal(r.outlier_columns, [1, 3])
    assert r.float_share == pytest.approx(2 / 6)


def test_all_zero_rows_and_columns_give_zero_scales_and_no_nan():
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -9.0], [2.0, 0.0, 0.5]], np.float32)
    w = np.array([[0.0, 0.0, 0.0], [0.5, 3.0, 1.0]], np.float32)
    r = llm_int8_matmul(x, w)
    assert np.isfinite(r.y).all()
    np.testing.assert_array_equal(r.outlier_columns, [2])
    assert r.row_scales[0] == 0.0 and r.col_scales[0] == 0.0
    assert not r.y[0].any() and not r.y[:, 0].any()
    outliers, int8, fl, _, _ = reference_llm_int8(x, w, 6.0)
    np.testing.assert_allclose(r.y, int8 + fl, rtol=1e-6)


def test_all_columns_outliers_leave_an_empty_int8_part():
    x = np.array([[10.0, -20.0]], np.float32)
    w = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    r = llm_int8_matmul(x, w)
    assert r.float_share == 1.0 and not r.int8_part.any()
    np.testing.assert_array_equal(r.y, x @ w.T)
    np.testing.assert_array_equal(r.row_scales, [0.0])


def test_int_dot_is_exact_beyond_float32_integers():
    rng = np.random.default_rng(0)
    qx = rng.integers(-127, 128, size=(6, 5000))
    qw = rng.integers(-127, 128, size=(4, 5000))
    qx[0], qw[0] = 127, -127  # the largest sum: 5000 * 127^2 is far beyond 2^24
    got = int_dot(qx.astype(np.float32), qw.astype(np.float32))
    np.testing.assert_array_equal(got, (qx @ qw.T).astype(np.float64))
    assert got[0, 0] == -5000 * 127 * 127


def test_vectorwise_codes_do_not_depend_on_the_float_dtype():
    x = ql.generate("laplace", (9, 70), seed=3)
    codes, scales = vectorwise_quantize(x, np.array([5, 6]))
    codes64, scales64 = vectorwise_quantize(x.astype(np.float64), np.array([5, 6]))
    np.testing.assert_array_equal(codes, codes64)
    np.testing.assert_array_equal(scales, scales64)
    kept = np.delete(x.astype(np.float64), [5, 6], axis=1)
    np.testing.assert_array_equal(scales, np.abs(kept).max(axis=1) / 127)
    np.testing.assert_array_equal(np.delete(codes, [5, 6], axis=1),
                                  np.round(kept / scales[:, None]))
    assert not codes[:, [5, 6]].any() and np.abs(codes).max() == 127


def test_subnormal_scales_still_give_int8_codes():
    # 190 of float64's smallest subnormal: amax / 127 rounds to 1 of them, and
    # amax / scale is 190, beyond int8; the clip keeps the code at 127.
    smallest = float(np.nextafter(0.0, 1.0))
    codes, scales = vectorwise_quantize(np.array([[190 * smallest, -190 * smallest, 0.0]]))
    assert scales[0] == smallest
    np.testing.assert_array_equal(codes, [[127, -127, 0]])


def test_int_inputs_are_accepted():
    r = llm_int8_matmul(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1]]), threshold=100)
    np.testing.assert_allclose(r.y, [[1, 2], [3, 4]], rtol=1e-2)


# --- SmoothQuant ------------------------------------------------------------------------

def reference_scales(x, w, alpha):
    s = []
    for j in range(x.shape[1]):
        xmax, wmax = float(np.abs(x[:, j]).max()), float(np.abs(w[:, j]).max())
        if xmax == 0 or wmax == 0:
            s.append(1.0)
        else:
            value = max(xmax, SMOOTH_MIN) ** alpha / max(wmax, SMOOTH_MIN) ** (1 - alpha)
            s.append(max(value, SMOOTH_MIN))
    return np.array(s)


ALPHAS = [0.0, 0.25, 0.5, 0.85, 1.0]


@pytest.mark.parametrize("alpha", ALPHAS, ids=[f"alpha={a}" for a in ALPHAS])
def test_smooth_quant_keeps_the_product(outlier_layer, alpha):
    x, w = outlier_layer
    xs, ws, s = smooth_quant(x, w, alpha=alpha)
    np.testing.assert_allclose(s, reference_scales(x, w, alpha), rtol=2 * EPS32)
    smoothed = xs.astype(np.float64) @ ws.astype(np.float64).T
    exact = x.astype(np.float64) @ w.astype(np.float64).T
    assert np.all(np.abs(smoothed - exact) <= f32_matmul_tolerance(x, w))
    np.testing.assert_array_equal(xs, x / s)
    np.testing.assert_array_equal(ws, w * s)


def test_alpha_half_equalizes_channel_maxima(outlier_layer):
    xs, ws, _ = smooth_quant(*outlier_layer, alpha=0.5)
    mx, mw = np.abs(xs).max(axis=0), np.abs(ws).max(axis=0)
    live = (mx > 0) & (mw > 0)
    assert live.all()
    np.testing.assert_allclose(mx[live], mw[live], rtol=1e-6)


@pytest.mark.parametrize(("alpha", "side"), [(1.0, 0), (0.0, 1)], ids=["alpha=1-x", "alpha=0-w"])
def test_alpha_extremes_move_all_of_the_range(outlier_layer, alpha, side):
    # alpha=1: s_j = max|x_j|, so max|x_s| is 1; alpha=0: s_j = 1 / max|w_j|, max|w_s| is 1.
    smoothed = smooth_quant(*outlier_layer, alpha=alpha)[side]
    np.testing.assert_allclose(np.abs(smoothed).max(axis=0), 1.0, rtol=1e-6)


def test_dead_channels_get_scale_one():
    x = np.array([[1.0, 0.0, 2.0], [-3.0, 0.0, 0.0]])
    w = np.array([[4.0, 1.0, 0.0]])
    xs, ws, s = smooth_quant(x, w)
    np.testing.assert_array_equal(s, [math.sqrt(3.0 / 4.0), 1.0, 1.0])
    assert np.isfinite(xs).all() and np.isfinite(ws).all()
    assert xs.dtype == ws.dtype == s.dtype == np.float64


def test_tiny_maxima_are_clamped_before_the_power():
    # Channel 0: both maxima rise to 1e-5, so s = 1e-5^0.5 / 1e-5^0.5 = 1. Channel 1:
    # sqrt(1e-4) / sqrt(1e8) = 1e-6, which s's own clamp raises to 1e-5.
    s = smoothing_scales(np.array([1e-9, 1e-4]), np.array([1e-12, 1e8]), alpha=0.5)
    np.testing.assert_allclose(s, [1.0, SMOOTH_MIN], rtol=1e-12)


def test_smoothquant_then_per_tensor_int8_beats_plain_per_tensor(outlier_layer):
    x, w = outlier_layer
    exact = x.astype(np.float64) @ w.astype(np.float64).T
    plain = rel_error(per_tensor_int8(x) @ per_tensor_int8(w).T, exact)
    xs, ws, _ = smooth_quant(x, w, alpha=0.5)
    smooth = rel_error(per_tensor_int8(xs) @ per_tensor_int8(ws).T, exact)
    mixed = rel_error(llm_int8_matmul(x, w).y, exact)
    assert smooth < plain / 2
    assert mixed < plain / 5


def test_channel_absmax_before_and_after(outlier_layer):
    x, w = outlier_layer
    m = channel_absmax(x, w, alpha=0.5)
    xs, ws, s = smooth_quant(x, w, alpha=0.5)
    np.testing.assert_array_equal(m.x_before, np.abs(x).max(axis=0))
    np.testing.assert_array_equal(m.w_before, np.abs(w).max(axis=0))
    np.testing.assert_allclose(m.x_after, np.abs(xs).max(axis=0), rtol=1e-6)
    np.testing.assert_allclose(m.w_after, np.abs(ws).max(axis=0), rtol=1e-6)
    # Outlier channels are the hard part of x before, and much less so after.
    assert m.x_before.max() / np.median(m.x_before) > 10
    assert m.x_after.max() / np.median(m.x_after) < m.x_before.max() / np.median(m.x_before) / 2


def test_channel_absmax_with_a_given_s():
    m = channel_absmax([[2.0, -4.0]], [[1.0, 1.0]], s=[2.0, 0.5])
    np.testing.assert_array_equal(m.x_after, [1.0, 8.0])
    np.testing.assert_array_equal(m.w_after, [2.0, 0.5])


# --- inject_outliers ------------------------------------------------------------------

@pytest.fixture(scope="module")
def base():
    return ql.generate("normal", (32, 48), seed=5)


def test_injection_is_deterministic_and_leaves_x_untouched(base):
    before = base.copy()
    a = inject_outliers(base, count=10, magnitude=15, channels=3, seed=7)
    b = inject_outliers(base, count=10, magnitude=15, channels=3, seed=7)
    c = inject_outliers(base, count=10, magnitude=15, channels=3, seed=8)
    np.testing.assert_array_equal(base, before)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.x, c.x)
    assert a.x is not base and a.x.dtype == np.float32


def test_isolated_outliers_sit_magnitude_stds_from_the_mean(base):
    got = inject_outliers(base, count=12, magnitude=20, seed=1)
    assert got.positions.size == 12 and got.channels.size == 0
    assert np.all(np.diff(got.positions) > 0)
    changed = np.flatnonzero(got.x.reshape(-1) != base.reshape(-1))
    np.testing.assert_array_equal(changed, got.positions)
    mean, std = float(np.mean(base, dtype=np.float64)), float(np.std(base, dtype=np.float64))
    z = (got.x.reshape(-1)[got.positions] - mean) / std
    np.testing.assert_allclose(np.abs(z), 20, rtol=1e-5)
    rows, cols = got.coordinates
    np.testing.assert_array_equal(got.x[rows, cols], got.x.reshape(-1)[got.positions])


@pytest.mark.parametrize("axis", [-1, 0], ids=["last-axis", "axis-0"])
def test_outlier_channels_are_scaled_whole(base, axis):
    got = inject_outliers(base, count=0, magnitude=8, channels=4, axis=axis, seed=2)
    assert got.channels.size == 4 and got.positions.size == 0
    moved = np.moveaxis(got.x, axis, 0)
    source = np.moveaxis(base, axis, 0)
    others = np.setdiff1d(np.arange(source.shape[0]), got.channels)
    np.testing.assert_array_equal(moved[others], source[others])
    np.testing.assert_allclose(moved[got.channels], source[got.channels] * 8, rtol=1e-6)


def test_count_zero_is_the_identity(base):
    got = inject_outliers(base, count=0, magnitude=20)
    np.testing.assert_array_equal(got.x, base)
    assert got.positions.size == 0 and got.channels.size == 0


@pytest.mark.parametrize(("x", "unit"), [
    (np.full((2, 3), -2.0), 2.0), (np.zeros(5), 1.0),
], ids=["constant", "zeros"])
def test_tensors_without_spread_use_their_value_or_one(x, unit):
    got = inject_outliers(x, count=1, magnitude=10, seed=0)
    value = float(got.x.reshape(-1)[got.positions[0]])
    assert abs(value - float(x.reshape(-1)[0])) == pytest.approx(10 * unit)


def test_outliers_next_to_float32_max_saturate_instead_of_overflowing():
    f32_max = float(np.finfo(np.float32).max)
    got = inject_outliers(np.full(3, f32_max), count=3, magnitude=1e-6, seed=0)
    assert np.isfinite(got.x).all()


def test_every_element_can_be_an_outlier():
    got = inject_outliers(np.arange(6.0), count=6, magnitude=2)
    np.testing.assert_array_equal(got.positions, np.arange(6))


# --- bad arguments ---------------------------------------------------------------------

GOOD_X, GOOD_W = np.ones((2, 3)), np.ones((4, 3))
NAN_X = np.array([[1.0, np.nan, 0.0], [0.0, 0.0, 0.0]])
INF_W = np.where(np.eye(4, 3) > 0, np.inf, 1.0)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: llm_int8_matmul(GOOD_X, np.ones((4, 2))), r"w must be of shape \(out_features, 3\)"),
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W.T), r"got shape \(3, 4\)"),
    (lambda: llm_int8_matmul(np.ones(3), GOOD_W), r"x must be a non-empty 2-D array"),
    (lambda: llm_int8_matmul(np.ones((0, 3)), GOOD_W), r"got shape \(0, 3\)"),
    (lambda: llm_int8_matmul(NAN_X, GOOD_W), r"x must be finite .* got 1 NaN or Inf"),
    (lambda: llm_int8_matmul(GOOD_X, INF_W), r"w must be finite .* got 3 NaN or Inf"),
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W, threshold=0), r"threshold must be a number > 0"),
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W, threshold=-1.0), r"got -1.0"),
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W, threshold=math.nan), r"got nan"),
    (lambda: smooth_quant(GOOD_X, GOOD_W, alpha=1.5), r"alpha must be a finite number from 0"),
    (lambda: smooth_quant(GOOD_X, GOOD_W, alpha=-0.1), r"got -0.1"),
    (lambda: smooth_quant(NAN_X, GOOD_W), r"x must be finite"),
    (lambda: smooth_quant(GOOD_X, np.ones((4, 5))), r"w must be of shape"),
    (lambda: channel_absmax(GOOD_X, GOOD_W, s=[1.0, 2.0]), r"s must be 3 positive"),
    (lambda: channel_absmax(GOOD_X, GOOD_W, s=[]), r"got shape \(0,\), min inf"),
    (lambda: channel_absmax(GOOD_X, GOOD_W, s=[1.0, 0.0, 2.0]), r"got shape \(3,\), min 0"),
    (lambda: inject_outliers(GOOD_X, count=-1, magnitude=5), r"count must be an integer from 0"),
    (lambda: inject_outliers(GOOD_X, count=7, magnitude=5), r"from 0 to 6, got 7"),
    (lambda: inject_outliers(GOOD_X, count=1, magnitude=0), r"magnitude must be a finite"),
    (lambda: inject_outliers(GOOD_X, count=1, magnitude=math.inf), r"magnitude must be"),
    (lambda: inject_outliers(NAN_X, count=1, magnitude=5), r"x must be finite"),
    (lambda: inject_outliers(GOOD_X, count=0, magnitude=5, channels=4), r"channels must be"),
    (lambda: inject_outliers(GOOD_X, count=0, magnitude=5, channels=1, axis=2),
     r"axis 2 is out of range"),
    (lambda: inject_outliers(GOOD_X, count=0, magnitude=5, seed=-1), r"seed must be"),
    (lambda: inject_outliers(np.full(2, 3e38), count=1, magnitude=5), r"magnitude must be .*to"),
    (lambda: inject_outliers(np.zeros(0), count=0, magnitude=5), r"x must be a non-empty array"),
    (lambda: inject_outliers(np.float32(2), count=1, magnitude=5), r"got shape \(\)"),
], ids=["k-mismatch", "w-transposed", "x-1d", "x-empty", "x-nan", "w-inf", "threshold-0",
        "threshold-negative", "threshold-nan", "alpha-high", "alpha-low", "smooth-nan",
        "smooth-shape", "s-length", "s-empty", "s-zero", "count-negative", "count-too-many",
        "magnitude-0", "magnitude-inf", "inject-nan", "channels-too-many", "axis-range",
        "seed-negative", "magnitude-overflows-float32", "inject-empty", "inject-scalar"])
def test_bad_arguments_raise_parameter_error(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


@pytest.mark.parametrize(("call", "match"), [
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W, threshold="6"), r"threshold must be a number"),
    (lambda: llm_int8_matmul(GOOD_X, GOOD_W, threshold=True), r"got True"),
    (lambda: inject_outliers(GOOD_X, count=1.5, magnitude=5), r"count must be an integer"),
    (lambda: smooth_quant(GOOD_X, GOOD_W, alpha="half"), r"alpha must be"),
    (lambda: llm_int8_matmul(np.array([["a"]]), GOOD_W), r"must hold real numbers"),
], ids=["threshold-str", "threshold-bool", "count-float", "alpha-str", "x-strings"])
def test_wrong_types_raise_parameter_type_error(call, match):
    with pytest.raises(ParameterTypeError, match=match):
        call()
