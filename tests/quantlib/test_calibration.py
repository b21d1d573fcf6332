"""Tests for quantlib.calibration: calibrate, calibrate_rows and choose_qparams."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout
from quantlib.calibration import calibrate_layout, calibrate_rows
from quantlib.explain import param_pair

RNG = np.random.default_rng(2024)
DATA = RNG.standard_t(3, 5001)  # heavy tails: percentiles differ visibly from min/max
PERCENTILES = [50, 75.0, 90.0, 99.0, 99.9, 99.99, 100]
P_IDS = ["p50-int", "p75", "p90", "p99", "p99.9", "p99.99", "p100-int"]


# --- calibrate ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_minmax(dtype):
    x = DATA.astype(dtype)
    lo, hi = ql.calibrate(x, "minmax")
    assert (lo, hi) == (float(x.min()), float(x.max()))
    assert type(lo) is float and type(hi) is float
    amax = float(np.abs(x).max())
    assert ql.calibrate(x, "minmax", symmetric=True) == (-amax, amax)
    assert ql.calibrate(x) == (lo, hi)  # minmax is the default


@pytest.mark.parametrize("p", PERCENTILES, ids=P_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_percentile_equals_numpys_exact_percentiles(p, dtype):
    x = DATA.astype(dtype)
    lo, hi = ql.calibrate(x, "percentile", percentile=p)
    lo_s, hi_s = ql.calibrate(x, "percentile", symmetric=True, percentile=p)
    assert lo_s == -hi_s
    x64 = x.astype(np.float64)
    expected = (np.percentile(x64, 100 - p), np.percentile(x64, p),
                np.percentile(np.abs(x64), p))
    if dtype is np.float64:
        assert (lo, hi, hi_s) == expected
    else:
        # numpy interpolates float32 data in float32: equal to float32 precision.
        assert (lo, hi, hi_s) == pytest.approx(expected, rel=float(4 * np.finfo(dtype).eps))


def test_percentile_interpolates_linearly():
    x = np.arange(11.0)  # percentile p of 0..10 is p / 10 with linear interpolation
    assert ql.calibrate(x, "percentile", percentile=95) == (0.5, 9.5)
    assert ql.calibrate(x, "percentile", percentile=97.5) == (0.25, 9.75)


def test_default_percentile_is_99_99():
    assert ql.calibrate(DATA, "percentile") == ql.calibrate(DATA, "percentile",
                                                            percentile=99.99)
    assert ql.calibrate(DATA, "percentile")[1] == np.percentile(DATA, 99.99)


@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_percentile_100_is_minmax(symmetric):
    assert ql.calibrate(DATA, "percentile", symmetric=symmetric, percentile=100) == \
        ql.calibrate(DATA, "minmax", symmetric=symmetric)


def test_percentile_clips_seed_002_outlier():
    x = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2]
    assert ql.calibrate(x, "minmax", symmetric=True) == (-99.0, 99.0)
    lo, hi = ql.calibrate(x, "percentile", symmetric=True, percentile=75)
    assert hi == np.percentile(np.abs(x), 75) < 1.0


@pytest.mark.parametrize(("p", "error", "match"), [
    (49, ValueError, r"percentile must be a finite number from 50 to 100, got 49"),
    (49.999, ValueError, r"got 49\.999"),
    (101, ValueError, r"got 101"),
    (100.0001, ValueError, r"got 100\.0001"),
    (float("nan"), ValueError, r"got nan"),
    ("x", TypeError, r"percentile must be a finite number from 50 to 100, got 'x'"),
    (True, TypeError, r"got True"),
    (None, TypeError, r"got None"),
], ids=["49", "just-below-50", "101", "just-above-100", "nan", "string", "bool", "none"])
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_bad_percentile(p, error, match, symmetric):
    with pytest.raises(error, match=match):
        ql.calibrate(DATA, "percentile", symmetric=symmetric, percentile=p)
    with pytest.raises(error, match=match):
        ql.choose_qparams(DATA, method="percentile", percentile=p)


@pytest.mark.parametrize("method", ["histogram", "MINMAX", "", "max"],
                         ids=["histogram", "upper-case", "empty", "max"])
def test_unknown_method_lists_methods(method):
    allowed = ", ".join(repr(m) for m in ql.METHODS)
    pattern = rf"method must be one of {re.escape(allowed)}, got {re.escape(repr(method))}"
    with pytest.raises(ValueError, match=pattern):
        ql.calibrate(DATA, method)
    with pytest.raises(ValueError, match=pattern):
        ql.choose_qparams(DATA, method=method)
    assert {"minmax", "percentile"} <= set(ql.METHODS)


@pytest.mark.parametrize(("method", "options", "match"), [
    ("minmax", {"percentile": 99.0}, r"unknown options for method 'minmax': \['percentile'\]"),
    ("percentile", {"pct": 99.0}, r"unknown options for method 'percentile': \['pct'\]"),
    ("minmax", {"b": 1, "a": 2}, r"\['a', 'b'\]"),
], ids=["percentile-on-minmax", "typo", "sorted-names"])
def test_unknown_option_raises_type_error(method, options, match):
    with pytest.raises(TypeError, match=match):
        ql.calibrate(DATA, method, **options)
    with pytest.raises(TypeError, match=match):
        ql.choose_qparams(DATA, method=method, **options)


@pytest.mark.parametrize(("x", "match"), [
    ([1.0, np.nan, 2.0], r"NaN or Inf"),
    ([1.0, np.inf], r"NaN or Inf"),
    ([-np.inf, 0.0], r"NaN or Inf"),
    ([], r"empty tensor"),
    (np.zeros((0, 3)), r"empty tensor"),
], ids=["nan", "inf", "minus-inf", "empty", "empty-2d"])
@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_non_finite_and_empty_inputs_raise(x, match, method):
    with pytest.raises(ValueError, match=match):
        ql.calibrate(x, method)
    with pytest.raises(ValueError, match=match):
        ql.choose_qparams(x, method=method)


@pytest.mark.parametrize("bits", [1, 17], ids=["1bit", "17bit"])
def test_bad_bits_raise(bits):
    with pytest.raises(ValueError, match=rf"bits must be an integer from 2 to 16, got {bits}"):
        ql.calibrate(DATA, bits=bits)
    with pytest.raises(ValueError, match=rf"got {bits}"):
        ql.choose_qparams(DATA, bits=bits)


@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_calibration_never_mutates_its_input(method):
    x = DATA.reshape(3, -1)[:, :1000].copy()
    before = x.copy()
    ql.calibrate(x, method)
    ql.choose_qparams(x, method=method, granularity="group", axis=1, group_size=7)
    assert np.array_equal(x, before)


def test_calibrate_rows_ignores_nan_padding():
    rows = np.array([[1.0, -2.0, 5.0], [3.0, np.nan, np.nan]])
    lo, hi = calibrate_rows(rows, "minmax")
    assert lo.tolist() == [-2.0, 3.0] and hi.tolist() == [5.0, 3.0]
    lo, hi = calibrate_rows(rows, "percentile", percentile=75)
    assert hi.tolist() == [np.percentile([1.0, -2.0, 5.0], 75), 3.0]
    assert lo.tolist() == [np.percentile([1.0, -2.0, 5.0], 25), 3.0]
    assert lo.dtype == hi.dtype == np.float64


# --- choose_qparams: granularity -----------------------------------------------------

METHOD_CASES = [("minmax", {}), ("percentile", {"percentile": 90.0})]
METHOD_IDS = ["minmax", "percentile90"]


def per_slice(part, method, options, **scheme):
    lo, hi = ql.calibrate(part, method, symmetric=scheme.get("symmetric", False), **options)
    return ql.qparams_from_range(lo, hi, **scheme)


@pytest.mark.parametrize(("method", "options"), METHOD_CASES, ids=METHOD_IDS)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3], ids=["axis0", "axis1", "axis2", "axis-1",
                                                         "axis-3"])
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_per_channel_equals_per_slice_calibration(method, options, axis, symmetric):
    x = RNG.standard_normal((3, 4, 6))
    qp = ql.choose_qparams(x, symmetric=symmetric, method=method, granularity="channel",
                           axis=axis, **options)
    assert qp.layout == Layout.channel(axis % 3)
    assert qp.scale.shape == (x.shape[axis],)
    for i in range(x.shape[axis]):
        one = per_slice(np.take(x, i, axis=axis), method, options, symmetric=symmetric)
        assert qp.scale[i] == one.scale and qp.zero_point[i] == one.zero_point


@pytest.mark.parametrize(("method", "options"), METHOD_CASES, ids=METHOD_IDS)
@pytest.mark.parametrize(("shape", "axis", "group_size"), [
    ((3, 10), 1, 4), ((10, 3), 0, 4), ((23,), 0, 5), ((2, 3, 9), 2, 64)],
    ids=["rows-partial", "cols-partial", "vector-partial", "oversized"])
def test_per_group_with_a_partial_group_equals_per_slice(method, options, shape, axis,
                                                         group_size):
    x = RNG.standard_normal(shape)
    qp = ql.choose_qparams(x, method=method, granularity="group", axis=axis,
                           group_size=group_size, **options)
    assert qp.layout == Layout.group(group_size, axis=axis % len(shape))
    moved = np.moveaxis(x, axis, -1)
    index = 0
    for lead in np.ndindex(moved.shape[:-1]):
        for start in range(0, shape[axis], group_size):
            one = per_slice(moved[lead][start:start + group_size], method, options)
            assert param_pair(qp, index) == (one.scale, one.zero_point)
            index += 1
    assert index == qp.num_params


def test_per_tensor_choose_qparams_equals_calibrate_then_range():
    for method, options in METHOD_CASES:
        for symmetric in (False, True):
            qp = ql.choose_qparams(DATA, method=method, symmetric=symmetric, bits=6,
                                   **options)
            assert qp == per_slice(DATA, method, options, symmetric=symmetric, bits=6)


@pytest.mark.parametrize("kwargs", [
    dict(signed=False), dict(narrow_range=True, symmetric=True), dict(include_zero=False),
    dict(bits=4, symmetric=True)], ids=["unsigned", "narrow", "as-given", "4bit"])
def test_choose_qparams_passes_the_scheme_on(kwargs):
    qp = ql.choose_qparams(DATA, **kwargs)
    lo, hi = ql.calibrate(DATA, symmetric=kwargs.get("symmetric", False))
    assert qp == ql.qparams_from_range(lo, hi, **kwargs)


# --- choose_qparams: edge tensors ------------------------------------------------------

SCHEMES = [dict(symmetric=False), dict(symmetric=False, signed=False),
           dict(symmetric=True), dict(symmetric=True, signed=False),
           dict(symmetric=True, narrow_range=True), dict(symmetric=False, include_zero=False)]
SCHEME_IDS = ["affine", "affine-unsigned", "symmetric", "symmetric-unsigned", "narrow",
              "affine-as-given"]
GRANULARITIES = [dict(), dict(granularity="channel", axis=1),
                 dict(granularity="group", axis=1, group_size=3)]
GRAN_IDS = ["tensor", "channel", "group"]


@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize("layout", GRANULARITIES, ids=GRAN_IDS)
@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_all_zero_tensor(scheme, layout, method):
    x = np.zeros((2, 5), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qp = ql.choose_qparams(x, method=method, **scheme, **layout)
        x_hat = ql.fake_quantize(x, qp)
    assert np.all(np.asarray(qp.scale) == 1.0)
    assert np.all((qp.qmin <= np.asarray(qp.zero_point)) & (np.asarray(qp.zero_point) <= qp.qmax))
    assert np.array_equal(x_hat, np.zeros_like(x))


@pytest.mark.parametrize("c", [3.0, -0.125, 1000.0], ids=["three", "neg-eighth", "thousand"])
@pytest.mark.parametrize("scheme", SCHEMES[:3] + SCHEMES[4:], ids=SCHEME_IDS[:3] +
                         SCHEME_IDS[4:])
@pytest.mark.parametrize("layout", GRANULARITIES, ids=GRAN_IDS)
def test_constant_tensor_reconstructs_exactly(c, scheme, layout):
    x = np.full((2, 5), c)
    qp = ql.choose_qparams(x, **scheme, **layout)
    assert np.all(np.asarray(qp.scale) > 0)
    assert np.array_equal(ql.fake_quantize(x, qp), x.astype(np.float32))


def test_constant_rows_per_channel():
    x = np.array([[2.0, 2.0, 2.0], [-0.5, -0.5, -0.5], [0.0, 0.0, 0.0]])
    qp = ql.choose_qparams(x, granularity="channel", axis=0)
    assert qp.scale[2] == 1.0
    assert np.array_equal(ql.fake_quantize(x, qp), x.astype(np.float32))


@pytest.mark.parametrize("value", [0.7, -2.0, 0.0], ids=["positive", "negative", "zero"])
@pytest.mark.parametrize("scheme", SCHEMES[:3], ids=SCHEME_IDS[:3])
def test_single_element(value, scheme):
    x = np.array([value])
    assert ql.calibrate(x) == (value, value)
    assert ql.calibrate(x, "percentile") == (value, value)
    qp = ql.choose_qparams(x, **scheme)
    x_hat = ql.fake_quantize(x, qp)
    assert abs(float(x_hat[0]) - value) <= qp.scale / 2 + 1e-7
    # per-channel of a single element is one channel
    qc = ql.choose_qparams(x, granularity="channel", **scheme)
    assert qc.scale.shape == (1,) and qc.scale[0] == qp.scale


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.int64],
                         ids=["int8", "int32", "uint8", "int64"])
def test_integer_input(dtype):
    x = np.array([[0, 3, 7], [1, 2, 100]], dtype=dtype)
    lo, hi = ql.calibrate(x)
    assert (lo, hi) == (0.0, 100.0) and type(lo) is float
    assert ql.calibrate(x, "percentile", percentile=90) == ql.calibrate(
        x.astype(np.float64), "percentile", percentile=90)
    qp = ql.choose_qparams(x, granularity="channel")
    assert qp == ql.choose_qparams(x.astype(np.float64), granularity="channel")
    qg = ql.choose_qparams(x, granularity="group", axis=1, group_size=2)
    assert qg == ql.choose_qparams(x.astype(np.float64), granularity="group", axis=1,
                                   group_size=2)


def test_huge_finite_values_calibrate():
    x = np.array([-1e300, 0.0, 1e300])
    assert ql.calibrate(x) == (-1e300, 1e300)
    qp = ql.choose_qparams(x, symmetric=True)
    assert ql.quantize(x, qp).tolist() == [-127, 0, 127]


# --- calibrate_layout: one range per (scale, zero point) of a Layout -------------------

CAL_LAYOUTS = [Layout.tensor(), Layout.channel(0), Layout.channel(-1), Layout.group(4, axis=-1),
               Layout.group(2, axis=0), Layout.group(64, axis=1)]
CAL_LAYOUT_IDS = ["tensor", "channel0", "channel-last", "group4-last-partial",
                  "group2-axis0-partial", "group-oversized"]


def slices_in_row_order(x, layout):
    """Each pair's values by plain slicing, in row order (channel index, or lead + group)."""
    if layout.granularity == "tensor":
        return [x]
    axis = layout.axis % x.ndim
    if layout.granularity == "channel":
        return [np.take(x, i, axis=axis) for i in range(x.shape[axis])]
    moved = np.moveaxis(x, axis, -1)
    size = layout.group_size
    return [moved[lead][start:start + size] for lead in np.ndindex(moved.shape[:-1])
            for start in range(0, moved.shape[-1], size)]


@pytest.mark.parametrize(("method", "options"), METHOD_CASES, ids=METHOD_IDS)
@pytest.mark.parametrize("layout", CAL_LAYOUTS, ids=CAL_LAYOUT_IDS)
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_calibrate_layout_equals_calibrate_per_slice(method, options, layout, symmetric):
    x = RNG.standard_normal((3, 5, 7))
    lo, hi = calibrate_layout(x, method, layout=layout, symmetric=symmetric, **options)
    assert lo.shape == hi.shape == layout.param_shape(x.shape)
    assert lo.dtype == hi.dtype == np.float64
    resolved = layout.resolve(x.shape)
    if resolved.granularity == "group":
        lo, hi = (np.moveaxis(v, resolved.axis, -1) for v in (lo, hi))
    expected = [ql.calibrate(part, method, symmetric=symmetric, **options)
                for part in slices_in_row_order(x, layout)]
    assert list(zip(lo.reshape(-1).tolist(), hi.reshape(-1).tolist(), strict=True)) == expected


@pytest.mark.parametrize("layout", CAL_LAYOUTS, ids=CAL_LAYOUT_IDS)
def test_choose_qparams_is_qparams_from_range_of_calibrate_layout(layout):
    x = RNG.standard_normal((3, 5, 7))
    lo, hi = calibrate_layout(x, "percentile", layout=layout, percentile=95.0)
    qp = ql.choose_qparams(x, method="percentile", layout=layout, percentile=95.0)
    assert qp == ql.qparams_from_range(lo, hi, layout=layout.resolve(x.shape))


@pytest.mark.parametrize(("x", "match"), [
    ([[1.0, np.nan]], r"NaN or Inf"), ([[1.0, np.inf]], r"NaN or Inf"),
    (np.zeros((0, 3)), r"empty tensor"),
], ids=["nan", "inf", "empty"])
def test_calibrate_layout_refuses_what_calibrate_refuses(x, match):
    with pytest.raises(ValueError, match=match):
        calibrate_layout(x, layout=Layout.channel(1))


@pytest.mark.parametrize("bad", ["channel", None, ("channel", 0)],
                         ids=["string", "none", "tuple"])
def test_a_layout_that_is_not_a_layout_is_a_type_error_naming_it(bad):
    # The keyword form is granularity=/axis=/group_size=; layout= takes a Layout only.
    match = rf"layout must be a Layout, got {re.escape(repr(bad))}"
    with pytest.raises(TypeError, match=match):
        calibrate_layout(DATA, layout=bad)
    if bad is not None:  # layout=None means "use the keyword form"
        with pytest.raises(TypeError, match=match):
            ql.choose_qparams(DATA, layout=bad)
