"""Tests for the four calibration methods side by side (minmax, percentile, entropy, mse):
the seeds' worked examples, degenerate inputs, granularity and option checking.

The searches themselves (KL and MSE against brute-force oracles) are tested in
test_searches.py; min-max and percentile in detail in test_calibration.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout
from quantlib.calibration import OPTIONS, calibrate_layout, method_options, search_range
from quantlib.histogram import Histogram
from quantlib.searches import entropy_search

SEED002_OUTLIER = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99.0, 0.2]
SYMMETRY = pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
EVERY_METHOD = pytest.mark.parametrize("method", ql.METHODS)


# --- min-max: seed 002's outlier -------------------------------------------------------


def test_minmax_keeps_seed_002s_outlier():
    assert ql.calibrate(SEED002_OUTLIER, "minmax") == (-99.0, 0.7)
    assert ql.calibrate(SEED002_OUTLIER, "minmax", symmetric=True) == (-99.0, 99.0)


def test_minmax_outlier_collapses_seed_002s_codes():
    example = ql.SEED_EXAMPLES["seed002_outlier"]
    assert example.tensor().tolist() == pytest.approx(SEED002_OUTLIER)
    qp = ql.choose_qparams(SEED002_OUTLIER, bits=8, symmetric=True, narrow_range=True)
    assert qp.scale == pytest.approx(99.0 / 127) and qp.zero_point == 0
    codes = ql.quantize(SEED002_OUTLIER, qp).tolist()
    assert codes == [0, 1, 0, -1, 0, 1, -127, 0] == list(example.expected_q)


# --- percentile ------------------------------------------------------------------------


@pytest.mark.parametrize("p", [50.0, 70.0, 90.0, 99.0, 99.99, 100.0],
                         ids=["p50", "p70", "p90", "p99", "p99.99", "p100"])
def test_percentile_is_numpys_exact_percentile(p):
    x = np.random.default_rng(3).standard_t(2, 4001)
    assert ql.calibrate(x, "percentile", percentile=p) == (np.percentile(x, 100 - p),
                                                           np.percentile(x, p))
    amax = np.percentile(np.abs(x), p)
    assert ql.calibrate(x, "percentile", symmetric=True, percentile=p) == (-amax, amax)


def test_percentile_70_reproduces_seed_002s_slide():
    x = np.array(SEED002_OUTLIER)
    # |x| sorted: 0, .2, .3, .3, .5, .6, .7, 99; rank 0.7 * 7 = 4.9: .5 + .9 * (.6 - .5).
    lo, hi = ql.calibrate(x, "percentile", symmetric=True, percentile=70)
    assert hi == pytest.approx(0.59) and lo == -hi
    qp = ql.choose_qparams(x, bits=8, symmetric=True, method="percentile", percentile=70)
    assert (qp.qmin, qp.qmax) == (-128, 127) and qp.zero_point == 0
    assert qp.scale == pytest.approx(0.59 / 127)
    assert ql.quantize(x, qp).tolist() == [65, 127, -65, -108, 0, 127, -128, 43]


# --- entropy: seed 003's KL example -----------------------------------------------------


def test_entropy_keeps_seed_003s_outlier():
    """x = [0.1, 0.15, 0.2, 5.0] (non-negative, so 256 levels) on 2048 bins over [0, 5]:
    the small values sit in bins 40, 61 and 81, the 5.0 in the last bin, 2047, and every
    bin from 82 to 2046 is empty. A candidate i < 2048 clips the 5.0 and adds it to its
    last bin, i - 1, which the unclipped histogram leaves empty: Q is 0 there while P is
    not, so KL(P || Q) = inf. Only i = 2048, which keeps the 5.0, has a finite KL (0: each
    value is alone in its level, so Q = P). The search returns (0, 5.0)."""
    x = [0.1, 0.15, 0.2, 5.0]
    assert ql.calibrate(x, "entropy") == (0.0, 5.0)
    magnitude = Histogram.of(np.abs(x), 0.0, 5.0, 2048)
    assert np.flatnonzero(magnitude.counts).tolist() == [40, 61, 81, 2047]
    found = entropy_search(magnitude, bits=8, unsigned=True)
    finite = np.flatnonzero(np.isfinite(found.divergences))
    assert found.bins[finite].tolist() == [2048]
    assert found.divergences[finite].tolist() == pytest.approx([0.0], abs=1e-12)


# --- degenerate inputs, every method ------------------------------------------------------

DEGENERATE = [
    np.full(100, 0.37),
    np.full((4, 5), -2.0, np.float32),
    np.zeros(50),
    np.array([3.25]),
    np.array([-7.0]),
    np.array([0.0]),
    np.array([3, -1, 4, 1, -5, 9, 2], np.int32),
    np.array([0, 200, 255], np.uint8),
    np.array([5, 5, 5], np.int64),
    np.array([1.0, 1.0 + 2**-40]),
]
DEGENERATE_IDS = ["constant", "constant-negative-f32", "zeros", "single", "single-negative",
                  "single-zero", "int32", "uint8", "int-constant", "nearly-constant"]


def quiet_calibrate(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ql.calibrate(*args, **kwargs)


@pytest.mark.parametrize("x", DEGENERATE, ids=DEGENERATE_IDS)
@SYMMETRY
@EVERY_METHOD
def test_degenerate_inputs_give_finite_ranges_and_scales(method, symmetric, x):
    lo, hi = quiet_calibrate(x, method, symmetric=symmetric)
    assert type(lo) is float and type(hi) is float
    assert math.isfinite(lo) and math.isfinite(hi) and lo <= hi
    values = np.asarray(x, np.float64)
    amax = float(np.abs(values).max())
    assert -amax <= lo and hi <= amax  # never beyond the data
    if symmetric and method != "entropy":
        assert lo == -hi
    for bits in (4, 8):
        qp = ql.qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)
        assert math.isfinite(qp.scale) and qp.scale > 0
        qp = ql.choose_qparams(x, bits=bits, symmetric=symmetric, method=method)
        assert math.isfinite(qp.scale) and qp.scale > 0


@pytest.mark.parametrize("x", [np.full(100, 0.37), np.full((4, 5), -2.0), np.array([3.25])],
                         ids=["constant", "constant-negative", "single"])
@SYMMETRY
@EVERY_METHOD
def test_constant_data_is_represented_exactly(method, symmetric, x):
    qp = ql.choose_qparams(x, symmetric=symmetric, method=method)
    x_hat = ql.fake_quantize(x, qp)
    slack = 1e-6 * np.abs(x).max()  # x_hat is float32
    assert np.abs(x_hat - np.asarray(x, np.float64)).max() <= qp.scale / 2 + slack
    if method == "entropy" and not symmetric and np.min(x) < 0:
        # Entropy's range is (-c, c) for signed data; an affine zero point rounded from
        # lo / scale = -127.5 moves the levels by half a step, so -c is not one of them.
        assert ql.calibrate(x, method) == (np.min(x), -np.min(x))
    else:
        assert np.array_equal(x_hat, np.asarray(x, np.float32))


@EVERY_METHOD
@SYMMETRY
def test_all_zeros_give_the_zero_range(method, symmetric):
    lo, hi = quiet_calibrate(np.zeros(10), method, symmetric=symmetric)
    assert lo == 0.0 and hi == 0.0
    assert ql.choose_qparams(np.zeros(10), symmetric=symmetric, method=method).scale == 1.0


@EVERY_METHOD
def test_int_input_equals_its_float64_copy(method):
    x = np.random.default_rng(0).integers(-50, 80, 500)
    for symmetric in (False, True):
        assert ql.calibrate(x, method, symmetric=symmetric) == ql.calibrate(
            x.astype(np.float64), method, symmetric=symmetric)


@pytest.mark.parametrize("x", [
    [1.0, np.nan, 2.0], [np.nan], [1.0, np.inf], [-np.inf, 0.0, 1.0],
    np.array([[0.5, np.nan], [1.0, 2.0]], np.float32), [np.nan, np.inf, -np.inf],
], ids=["nan", "only-nan", "inf", "minus-inf", "nan-float32-2d", "all-nonfinite"])
@SYMMETRY
@EVERY_METHOD
def test_nan_or_inf_raises_instead_of_a_nan_range(method, symmetric, x):
    with pytest.raises(ql.ParameterError, match="NaN or Inf"):
        ql.calibrate(x, method, symmetric=symmetric)
    with pytest.raises(ql.ParameterError, match="NaN or Inf"):
        ql.choose_qparams(x, symmetric=symmetric, method=method)
    with pytest.raises(ql.ParameterError, match="NaN or Inf"):
        ql.choose_qparams(x, symmetric=symmetric, method=method, granularity="channel")


@pytest.mark.parametrize("x", [[], np.zeros((0, 3)), np.zeros(0, np.int8)],
                         ids=["empty", "empty-2d", "empty-int"])
@SYMMETRY
@EVERY_METHOD
def test_empty_tensor_raises(method, symmetric, x):
    with pytest.raises(ql.ParameterError, match="empty tensor"):
        ql.calibrate(x, method, symmetric=symmetric)
    with pytest.raises(ql.ParameterError, match="empty tensor"):
        ql.choose_qparams(x, symmetric=symmetric, method=method)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@SYMMETRY
def test_mse_on_huge_finite_values_of_both_signs(symmetric):
    x = np.array([-1.7e308, 0.0, 1.0, 1.7e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = ql.calibrate(x, "mse", symmetric=symmetric)
    assert math.isfinite(lo) and math.isfinite(hi) and lo <= 0.0 <= hi


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_symmetric_mse_on_huge_positive_values():
    lo, hi = ql.calibrate(np.array([1.0, 1.7e308]), "mse", symmetric=True)
    assert math.isfinite(hi) and lo == -hi


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
@SYMMETRY
def test_other_methods_calibrate_huge_finite_values(method, symmetric):
    x = np.array([-1.7e308, 0.0, 1.0, 1.7e308])
    lo, hi = quiet_calibrate(x, method, symmetric=symmetric)
    assert math.isfinite(lo) and math.isfinite(hi) and lo < 0.0 < hi


# --- granularity: per channel and per group == calibrate on each slice ----------------------

METHOD_CASES = [("minmax", {}), ("percentile", {"percentile": 90.0}), ("entropy", {}),
                ("entropy", {"bins": 256}), ("mse", {}), ("mse", {"candidates": 100})]
METHOD_IDS = ["minmax", "percentile90", "entropy", "entropy-256bins", "mse", "mse-100"]


def slice_qparams(part, method, options, *, bits, symmetric):
    lo, hi = ql.calibrate(part, method, bits=bits, symmetric=symmetric, **options)
    return (lo, hi), ql.qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)


def channel_data(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.laplace(size=shape) * rng.uniform(0.1, 5.0, size=(shape[0],) + (1,) * (len(shape) - 1))
    x.reshape(shape[0], -1)[0] = np.abs(x.reshape(shape[0], -1)[0])  # one non-negative channel
    x.reshape(shape[0], -1)[1, ::7] *= 20  # one channel with outliers
    return x


@pytest.mark.parametrize(("method", "options"), METHOD_CASES, ids=METHOD_IDS)
@pytest.mark.parametrize("axis", [0, 1, -1], ids=["axis0", "axis1", "axis-1"])
@SYMMETRY
@pytest.mark.parametrize("bits", [4, 8])
def test_per_channel_equals_calibrating_each_channel(method, options, axis, symmetric, bits):
    x = np.moveaxis(channel_data((4, 3, 50), seed=bits), 0, axis)
    qp = ql.choose_qparams(x, bits=bits, symmetric=symmetric, method=method,
                           granularity="channel", axis=axis, **options)
    layout = Layout.channel(axis % x.ndim)
    lo, hi = calibrate_layout(x, method, layout=layout, bits=bits, symmetric=symmetric,
                              **options)
    assert qp.layout == layout and qp.scale.shape == lo.shape == (4,)
    for c in range(4):
        part = np.take(x, c, axis=axis)
        (plo, phi), one = slice_qparams(part, method, options, bits=bits, symmetric=symmetric)
        assert (lo[c], hi[c]) == (plo, phi)
        assert qp.scale[c] == one.scale and qp.zero_point[c] == one.zero_point


@pytest.mark.parametrize(("method", "options"), METHOD_CASES, ids=METHOD_IDS)
@pytest.mark.parametrize(("shape", "axis", "group_size"), [
    ((3, 50), 1, 16), ((50, 2), 0, 20), ((37,), 0, 37), ((2, 2, 9), -1, 64)],
    ids=["rows-ragged", "cols-ragged", "one-group", "oversized"])
@SYMMETRY
def test_per_group_with_a_ragged_last_group_equals_calibrating_each_group(
        method, options, shape, axis, group_size, symmetric):
    x = np.random.default_rng(len(shape) + group_size).laplace(size=shape)
    x[..., 0] = np.abs(x[..., 0])
    qp = ql.choose_qparams(x, bits=4, symmetric=symmetric, method=method, granularity="group",
                           axis=axis, group_size=group_size, **options)
    layout = Layout.group(group_size, axis=axis % len(shape))
    lo, hi = calibrate_layout(x, method, layout=layout, bits=4, symmetric=symmetric, **options)
    assert qp.layout == layout and qp.scale.shape == lo.shape
    moved = np.moveaxis(x, axis, -1)
    lo_m, hi_m = (np.moveaxis(v, axis, -1) for v in (lo, hi))
    scale_m, zero_m = (np.moveaxis(np.asarray(v), axis, -1) for v in (qp.scale, qp.zero_point))
    n = moved.shape[-1]
    ragged = n % group_size
    sizes = []
    for lead in np.ndindex(moved.shape[:-1]):
        for g, start in enumerate(range(0, n, group_size)):
            part = moved[lead][start:start + group_size]
            sizes.append(part.size)
            (plo, phi), one = slice_qparams(part, method, options, bits=4, symmetric=symmetric)
            assert (lo_m[lead][g], hi_m[lead][g]) == (plo, phi)
            assert scale_m[lead][g] == one.scale and zero_m[lead][g] == one.zero_point
    if ragged:
        assert min(sizes) == ragged  # the last group really is partial


# --- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "options", "names"), [
    ("minmax", {"bins": 2048}, "['bins']"),
    ("percentile", {"bins": 2048}, "['bins']"),
    ("entropy", {"candidates": 200}, "['candidates']"),
    ("entropy", {"percentile": 99.0}, "['percentile']"),
    ("mse", {"percentile": 99.0, "bin": 10}, "['bin', 'percentile']"),
], ids=["bins-on-minmax", "bins-on-percentile", "candidates-on-entropy",
        "percentile-on-entropy", "typo-on-mse"])
def test_unknown_options_raise_type_errors(method, options, names):
    match = rf"unknown options for method '{method}': " + names.replace("[", r"\[").replace(
        "]", r"\]")
    x = np.random.default_rng(0).normal(size=50)
    with pytest.raises(ql.ParameterTypeError, match=match):
        ql.calibrate(x, method, **options)
    with pytest.raises(ql.ParameterTypeError, match=match):
        ql.choose_qparams(x, method=method, granularity="channel", **options)
    with pytest.raises(ql.ParameterTypeError, match=match):
        ql.HistogramObserver(method, **options)


@pytest.mark.parametrize("method", ["entropy", "mse"])
@pytest.mark.parametrize(("bins", "error", "match"), [
    (10, ql.ParameterError, r"bins must be an integer from 128 to 65536, got 10"),
    (127, ql.ParameterError, r"got 127"),
    (65537, ql.ParameterError, r"got 65537"),
    (0, ql.ParameterError, r"got 0"),
    (2048.0, ql.ParameterTypeError, r"bins must be an integer"),
    ("2048", ql.ParameterTypeError, r"got '2048'"),
], ids=["10", "127", "too-many", "zero", "float", "string"])
def test_bad_bins_raise(method, bins, error, match):
    x = np.random.default_rng(0).normal(size=50)
    with pytest.raises(error, match=match):
        ql.calibrate(x, method, bins=bins)
    with pytest.raises(error, match=match):
        ql.HistogramObserver(method, bins=bins)


@pytest.mark.parametrize(("p", "error"), [
    (49.9, ql.ParameterError), (100.5, ql.ParameterError), (float("nan"), ql.ParameterError),
    (float("inf"), ql.ParameterError), ("99", ql.ParameterTypeError),
], ids=["below-50", "above-100", "nan", "inf", "string"])
def test_bad_percentile_raises(p, error):
    with pytest.raises(error, match=r"percentile must be a finite number from 50 to 100"):
        ql.calibrate([1.0, 2.0], "percentile", percentile=p)
    with pytest.raises(error, match=r"percentile must be a finite number from 50 to 100"):
        ql.HistogramObserver("percentile", percentile=p)


@pytest.mark.parametrize("method", ql.METHODS)
def test_method_options_fill_in_every_default(method):
    assert method_options(method, {}) == OPTIONS[method]
    assert set(OPTIONS) == set(ql.METHODS)


def test_search_range_of_histograms_is_calibrate():
    x = np.random.default_rng(4).laplace(size=3000)
    magnitude = Histogram.of(np.abs(x), 0.0, float(np.abs(x).max()), 2048)
    values = Histogram.of(x, float(x.min()), float(x.max()), 2048, sums=True)
    for method in ("entropy", "mse", "minmax"):
        for symmetric in (False, True):
            assert search_range(method, magnitude=magnitude, values=values, bits=8,
                                symmetric=symmetric) == ql.calibrate(x, method,
                                                                     symmetric=symmetric)
