"""Tests for quantlib.binning: histogram, histogram2d and padded_range."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantlib import binning

FLOATS = [np.float32, np.float64]
FLOAT_IDS = ["float32", "float64"]
F32_MAX = float(np.finfo(np.float32).max)


def away_from_edges(x, edges, rel=1e-6):
    """Drop values within a relative hair of an edge, where float rounding may pick a side."""
    x = np.asarray(x, np.float64)
    tol = rel * (edges[-1] - edges[0])
    near = np.abs(x[:, None] - edges[None, :]).min(axis=1) <= tol
    return x[~near]


# --- padded_range --------------------------------------------------------------------

@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    ((2.0, 2.0), {}, (1.5, 2.5)),
    ((-1.0, 1.0), {"margin": 0.05}, (-1.1, 1.1)),
    ((0.0, 0.0), {}, (-0.5, 0.5)),
    ((-3.0, -3.0), {"margin": 0.04}, (-3.5, -2.5)),
    ((1000.0, 1000.0), {"margin": 0.04}, (960.0, 1040.0)),
    ((0.0, 4.0), {}, (0.0, 4.0)),
    ((-2.0, 6.0), {"margin": 0.25}, (-4.0, 8.0)),
], ids=["constant", "margin", "zero", "negative-constant", "big-constant-margin",
        "no-margin", "quarter-margin"])
def test_padded_range(args, kwargs, expected):
    lo, hi = binning.padded_range(*args, **kwargs)
    assert (lo, hi) == pytest.approx(expected)
    assert type(lo) is float and type(hi) is float


def test_padded_range_accepts_numpy_scalars():
    lo, hi = binning.padded_range(np.float32(-1.0), np.float32(3.0))
    assert (lo, hi) == (-1.0, 3.0)
    assert type(lo) is float


@pytest.mark.parametrize(("lo", "hi"), [
    (1.0, 0.0), (math.nan, 1.0), (0.0, math.inf), (-math.inf, 0.0),
], ids=["reversed", "nan", "inf", "minus-inf"])
def test_padded_range_rejects_bad_ranges(lo, hi):
    with pytest.raises(ValueError, match="need a finite range with lo <= hi"):
        binning.padded_range(lo, hi)


@pytest.mark.parametrize(("lo", "hi", "margin"), [
    (-1.0, 1.0, 0.0), (5.0, 5.0, 0.0), (1e6, 1e6, 0.04), (-7.5, 3.25, 0.1),
    (1e20, 1e20, 0.0),
    (-1e308, 1e308, 0.05),
], ids=["plain", "constant", "big-constant", "margin", "huge-constant", "near-float-max"])
def test_padded_range_is_finite_non_empty_and_contains_the_input(lo, hi, margin):
    plo, phi = binning.padded_range(lo, hi, margin=margin)
    assert math.isfinite(plo) and math.isfinite(phi)
    assert plo < phi
    assert plo <= lo and hi <= phi


@pytest.mark.parametrize(("margin", "error", "match"), [
    (-0.1, ValueError, r"margin must be a finite number >= 0, got -0\.1"),
    (math.nan, ValueError, r"margin must be a finite number >= 0, got nan"),
    (math.inf, ValueError, r"margin must be a finite number >= 0, got inf"),
    ("0.1", TypeError, r"margin must be a finite number >= 0, got '0\.1'"),
    (None, TypeError, r"margin must be a finite number >= 0, got None"),
], ids=["negative", "nan", "inf", "string", "none"])
def test_padded_range_rejects_bad_margins(margin, error, match):
    with pytest.raises(error, match=match):
        binning.padded_range(0.0, 1.0, margin=margin)


# --- histogram -----------------------------------------------------------------------

def test_histogram_docstring_example():
    counts, edges = binning.histogram([0.0, 0.1, 0.9, 1.0, 5.0], 2, 0.0, 1.0)
    assert counts.tolist() == [2, 2]
    assert edges.tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_histogram_shapes_and_dtypes(dtype):
    counts, edges = binning.histogram(np.linspace(-1, 1, 50, dtype=dtype), 7, -1.0, 1.0)
    assert counts.shape == (7,) and counts.dtype == np.int64
    assert edges.dtype == np.float64
    assert np.array_equal(edges, np.linspace(-1.0, 1.0, 8))


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("bins", [1, 2, 7, 50, 120], ids=lambda b: f"{b}bins")
def test_histogram_agrees_with_numpy_on_random_data(dtype, bins):
    rng = np.random.default_rng(bins)
    x = rng.normal(size=5000).astype(dtype)
    lo, hi = -1.7, 2.3  # some values fall outside on both sides
    edges = np.linspace(lo, hi, bins + 1)
    # A value within float rounding of an edge may land either side (see the next tests).
    x = away_from_edges(x, edges).astype(dtype)
    counts, got_edges = binning.histogram(x, bins, lo, hi)
    assert np.array_equal(counts, np.histogram(x, bins=bins, range=(lo, hi))[0])
    # float64 edges whatever the data's dtype (np.histogram follows the data's dtype).
    assert np.array_equal(got_edges, edges)


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_histogram_multi_block_input_agrees_with_numpy(dtype):
    # More than one 2^16-value block.
    x = np.random.default_rng(3).laplace(size=(3, 50_000)).astype(dtype)
    edges = np.linspace(-4.0, 4.0, 101)
    x = away_from_edges(x.ravel(), edges).astype(dtype)
    assert np.array_equal(binning.histogram(x, 100, -4.0, 4.0)[0],
                          np.histogram(x, bins=100, range=(-4.0, 4.0))[0])


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_values_exactly_on_exact_edges_go_to_the_upper_bin_and_hi_to_the_last(dtype):
    # Edges k/2 on [-2, 2] with 8 bins are exact in binary, so there is no rounding:
    # like np.histogram, bins are [a, b) except the last, which is [a, b].
    x = (np.arange(-4, 5) / 2).astype(dtype)
    counts = binning.histogram(x, 8, -2.0, 2.0)[0]
    assert counts.tolist() == [1, 1, 1, 1, 1, 1, 1, 2]
    assert np.array_equal(counts, np.histogram(x, bins=8, range=(-2.0, 2.0))[0])


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_a_value_on_an_inexact_interior_edge_lands_in_an_adjacent_bin(dtype):
    # The module promises display counts, not numpy's exact edge handling: a value on an
    # edge that is not exact in binary may go either side of it, but no farther.
    lo, hi, bins = -1.1290112879370873, 2.6918966828234634, 19
    edges = np.linspace(lo, hi, bins + 1)
    for k in range(1, bins):
        v = np.array([edges[k]], dtype=dtype)
        if not lo < float(v[0]) < hi:
            continue
        counts = binning.histogram(v, bins, lo, hi)[0]
        assert counts.sum() == 1
        assert int(np.flatnonzero(counts)[0]) in (k - 1, k)


@pytest.mark.parametrize(("x", "bins", "dtype"), [
    ([0.0, 0.3], 7, np.float64),
    ([0.0, 1.2], 11, np.float64),
    ([-1.0, 0.7], 1, np.float32),
    ([-1.0, 0.2], 7, np.float32),
], ids=["0.3-7bins", "1.2-11bins", "f32-one-bin", "f32-7bins"])
def test_histogram_over_the_data_min_max_counts_every_value(x, bins, dtype):
    x = np.array(x, dtype=dtype)
    counts = binning.histogram(x, bins, float(x.min()), float(x.max()))[0]
    assert counts.sum() == x.size
    assert counts[0] >= 1 and counts[-1] >= 1  # both ends counted (one bin holds both)


def test_values_outside_the_range_are_dropped():
    counts = binning.histogram([-1.0001, -1.0, 0.0, 1.0, 1.0001, 50.0, -50.0], 4, -1.0, 1.0)[0]
    assert counts.tolist() == [1, 0, 1, 1]


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_nan_and_inf_are_dropped_without_warnings(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.25, -0.25, np.nan], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts = binning.histogram(x, 2, -1.0, 1.0)[0]
    assert counts.tolist() == [1, 1]


def test_empty_input_gives_zero_counts():
    counts, edges = binning.histogram(np.array([]), 4, 0.0, 1.0)
    assert counts.tolist() == [0, 0, 0, 0]
    assert edges.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("c", [0.0, 3.0, -1e6], ids=["zero", "three", "minus-million"])
def test_constant_input_through_padded_range(c):
    x = np.full(1000, c, np.float32)
    counts, edges = binning.histogram(x, 10, *binning.padded_range(c, c))
    assert counts.sum() == 1000
    # The constant sits in the middle bin of the widened range.
    assert counts[5] == 1000 and edges[5] == c


def test_constant_input_needs_a_padded_range():
    with pytest.raises(ValueError, match="use padded_range for constant data"):
        binning.histogram(np.full(5, 2.0), 10, 2.0, 2.0)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64, np.bool_],
                         ids=["int8", "uint8", "int32", "int64", "bool"])
def test_integer_and_bool_inputs(dtype):
    x = np.array([0, 1, 1, 0, 1], dtype=dtype)
    assert binning.histogram(x, 2, 0.0, 1.0)[0].tolist() == [2, 3]


def test_float16_and_list_inputs():
    half = np.array([0.1, 0.6, 0.7], np.float16)
    assert binning.histogram(half, 2, 0.0, 1.0)[0].tolist() == [1, 2]
    assert binning.histogram([[0.1, 0.6], [0.7, 0.2]], 2, 0.0, 1.0)[0].tolist() == [2, 2]


def test_float32_and_float64_give_the_same_counts_away_from_edges():
    x = np.random.default_rng(5).normal(size=4000)
    edges = np.linspace(-3.0, 3.0, 61)
    x = away_from_edges(x, edges, rel=1e-5)
    c64 = binning.histogram(x, 60, -3.0, 3.0)[0]
    c32 = binning.histogram(x.astype(np.float32), 60, -3.0, 3.0)[0]
    assert np.array_equal(c32, c64)


def test_histogram_does_not_mutate_its_input():
    x = np.array([0.5, -0.5, 2.0, np.nan], np.float32)
    before = x.copy()
    binning.histogram(x, 3, -1.0, 1.0)
    assert np.array_equal(x, before, equal_nan=True)


@pytest.mark.parametrize(("bins", "error", "match"), [
    (0, ValueError, "bins must be an integer >= 1, got 0"),
    (-3, ValueError, "bins must be an integer >= 1, got -3"),
    (2.0, TypeError, "bins must be an integer >= 1, got 2.0"),
    (True, TypeError, "bins must be an integer >= 1, got True"),
    (None, TypeError, "bins must be an integer >= 1, got None"),
], ids=["zero", "negative", "float", "bool", "none"])
def test_histogram_rejects_bad_bins(bins, error, match):
    # Out-of-range counts are ValueErrors; counts of the wrong type are TypeErrors.
    with pytest.raises(error, match=match):
        binning.histogram([0.5], bins, 0.0, 1.0)


def test_histogram_accepts_numpy_integer_bins():
    assert binning.histogram([0.5], np.int64(2), 0.0, 1.0)[0].tolist() == [0, 1]


@pytest.mark.parametrize(("lo", "hi"), [
    (1.0, 1.0), (2.0, 1.0), (math.nan, 1.0), (0.0, math.inf),
], ids=["empty", "reversed", "nan", "inf"])
def test_histogram_rejects_bad_ranges(lo, hi):
    with pytest.raises(ValueError, match="the range must be finite with lo < hi"):
        binning.histogram([0.5], 4, lo, hi)


@pytest.mark.parametrize("x", [
    np.array([-3e38, 0.0, 3e38], np.float32),
    np.array([0.0, 5e-39, 1e-38], np.float32),
    np.array([-1e308, 0.0, 1e308]),
], ids=["f32-near-max", "f32-subnormal-range", "f64-width-overflows"])
def test_histogram_counts_every_value_of_an_extreme_range_without_warnings(x):
    lo, hi = float(x.min()), float(x.max())  # the values' own ends (float32(3e38) > 3e38)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts, edges = binning.histogram(x, 10, lo, hi)
    assert counts.sum() == x.size
    assert np.all(np.isfinite(edges))


finite_or_not = st.one_of(
    st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf]),
)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(st.sampled_from(FLOATS), st.integers(0, 300), elements=finite_or_not),
       bins=st.integers(1, 200), margin=st.sampled_from([0.001, 0.04, 0.5]))
def test_counts_sum_to_the_number_of_finite_values(x, bins, margin):
    finite = x[np.isfinite(x)]
    lo, hi = binning.padded_range(*((finite.min(), finite.max()) if finite.size else (0.0, 0.0)),
                             margin=margin)
    counts, edges = binning.histogram(x, bins, lo, hi)
    assert counts.sum() == finite.size
    assert counts.min() >= 0 and edges[0] == lo and edges[-1] == pytest.approx(hi)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 300), elements=st.floats(-10, 10)),
       lo=st.floats(-8, 0), width=st.floats(0.5, 16), bins=st.integers(1, 64))
def test_counts_equal_numpys_away_from_edges(x, lo, width, bins):
    hi = lo + width
    x = away_from_edges(x, np.linspace(lo, hi, bins + 1))
    assert np.array_equal(binning.histogram(x, bins, lo, hi)[0],
                          np.histogram(x, bins=bins, range=(lo, hi))[0])


# --- histogram2d ---------------------------------------------------------------------

def test_histogram2d_docstring_example():
    counts = binning.histogram2d([0.1, 0.9, 0.9], [0.1, 0.9, 0.8], (2, 2), (0, 1), (0, 1))
    assert counts.tolist() == [[1, 0], [0, 2]]
    assert counts.dtype == np.int64


@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("bins", [(1, 1), (3, 5), (40, 7)], ids=["1x1", "3x5", "40x7"])
def test_histogram2d_agrees_with_numpy(dtype, bins):
    rng = np.random.default_rng(sum(bins))
    x, y = rng.normal(size=3000), rng.laplace(size=3000)
    x_range, y_range = (-1.5, 2.0), (-2.5, 1.0)
    keep = np.isin(x, away_from_edges(x, np.linspace(*x_range, bins[0] + 1))) & np.isin(
        y, away_from_edges(y, np.linspace(*y_range, bins[1] + 1)))
    x, y = x[keep].astype(dtype), y[keep].astype(dtype)
    counts = binning.histogram2d(x, y, bins, x_range, y_range)
    ref = np.histogram2d(x, y, bins=bins, range=(x_range, y_range))[0]
    assert counts.shape == bins
    assert np.array_equal(counts, ref)


def test_histogram2d_marginals_equal_histogram():
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=2000), rng.normal(size=2000)
    counts = binning.histogram2d(x, y, (12, 9), (-5.0, 5.0), (-5.0, 5.0))
    assert np.array_equal(counts.sum(axis=1), binning.histogram(x, 12, -5.0, 5.0)[0])
    assert np.array_equal(counts.sum(axis=0), binning.histogram(y, 9, -5.0, 5.0)[0])


def test_histogram2d_drops_pairs_outside_either_range_and_non_finite_pairs():
    x = [0.5, 2.0, 0.5, np.nan, 0.5, np.inf]
    y = [0.5, 0.5, -2.0, 0.5, np.nan, 0.5]
    assert binning.histogram2d(x, y, (2, 2), (0, 1), (0, 1)).sum() == 1


def test_histogram2d_of_empty_input():
    assert binning.histogram2d([], [], (3, 2), (0, 1), (0, 1)).tolist() == [[0, 0]] * 3


def test_histogram2d_flattens_inputs_of_equal_size():
    counts = binning.histogram2d(np.full((2, 3), 0.25), np.full((3, 2), 0.75), (2, 2), (0, 1),
                                 (0, 1))
    assert counts.tolist() == [[0, 6], [0, 0]]


def test_histogram2d_rejects_different_sizes():
    with pytest.raises(ValueError, match="x and y must have the same size, got 2 and 1"):
        binning.histogram2d([0.1, 0.2], [0.1], (2, 2), (0, 1), (0, 1))


@pytest.mark.parametrize(("bins", "x_range", "y_range", "error", "match"), [
    ((0, 2), (0, 1), (0, 1), ValueError, "bins must be an integer >= 1, got 0"),
    ((2, 1.5), (0, 1), (0, 1), TypeError, "bins must be an integer >= 1, got 1.5"),
    ((2, 2), (1, 1), (0, 1), ValueError, "the range must be finite with lo < hi"),
    ((2, 2), (0, 1), (0, math.nan), ValueError, "the range must be finite with lo < hi"),
], ids=["zero-x-bins", "float-y-bins", "empty-x-range", "nan-y-range"])
def test_histogram2d_rejects_bad_grids(bins, x_range, y_range, error, match):
    with pytest.raises(error, match=match):
        binning.histogram2d([0.5], [0.5], bins, x_range, y_range)


@pytest.mark.parametrize(("x", "lo", "hi", "expected"), [
    (np.float32([0.7]), 0.7, 1.0, [0, 0, 0]),  # float32(0.7) < 0.7
    (np.float32([0.1]), 0.0, 0.1, [0, 0, 0]),  # float32(0.1) > 0.1
    (np.float16([1000.0]), 1000.2, 1001.0, [0, 0, 0]),
    (np.float32([np.inf, -np.inf]), -1.1 * F32_MAX, 1.1 * F32_MAX, [0, 0, 0]),
    (np.float32([F32_MAX, -F32_MAX]), -1.1 * F32_MAX, 1.1 * F32_MAX, [1, 0, 1]),
], ids=["f32-below-lo", "f32-above-hi", "f16-below-lo", "inf-beyond-f32-range",
        "f32-max-inside-wider-range"])
def test_range_membership_is_exact_for_narrow_floats(x, lo, hi, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert binning.histogram(x, 3, lo, hi)[0].tolist() == expected


def test_a_large_constant_float32_lands_in_the_middle_bin():
    lo, hi = binning.padded_range(1e8, 1e8)
    counts = binning.histogram(np.full(4, 1e8, np.float32), 11, lo, hi)[0]
    assert counts.tolist() == [0] * 5 + [4] + [0] * 5
