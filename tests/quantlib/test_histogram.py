"""Tests for quantlib.histogram.Histogram: binning, bin means, spreading to a wider range,
merging, and percentiles. ``np.histogram`` and ``np.percentile`` are the oracles.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib import histogram as hist_module
from quantlib.histogram import Histogram


def data(seed: int, n: int = 5000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.laplace(rng.normal(), rng.uniform(0.5, 3.0), n)


# --- Histogram.of ------------------------------------------------------------------------


@pytest.mark.parametrize("bins", [1, 7, 128, 2048])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_counts_equal_np_histogram_on_the_data_range(bins, seed, dtype):
    x = data(seed).astype(dtype)
    lo, hi = float(x.min()), float(x.max())
    h = Histogram.of(x, lo, hi, bins, sums=True)
    expected, edges = np.histogram(x.astype(np.float64), bins=bins, range=(lo, hi))
    assert h.bins == bins and h.counts.dtype == np.float64
    assert h.counts.tolist() == expected.tolist()
    np.testing.assert_allclose(h.edges, edges, rtol=1e-15, atol=1e-15)
    weights, _ = np.histogram(x.astype(np.float64), bins=bins, range=(lo, hi),
                              weights=x.astype(np.float64))
    np.testing.assert_allclose(h.sums, weights, rtol=1e-12, atol=1e-12)
    assert h.total == x.size
    assert h.width == pytest.approx((hi - lo) / bins, rel=1e-15)


def test_values_outside_the_range_go_to_the_end_bins():
    x = data(3)
    lo, hi = np.percentile(x, [10, 90])
    h = Histogram.of(x, lo, hi, 64)
    # np.histogram drops them: clip first, then they land in the end bins.
    expected, _ = np.histogram(np.clip(x, lo, hi), bins=64, range=(lo, hi))
    assert h.counts.tolist() == expected.tolist()
    assert h.counts[0] >= np.count_nonzero(x < lo) and h.counts[-1] >= np.count_nonzero(x > hi)
    assert h.total == x.size


def test_values_on_the_edges_land_next_to_numpys_bin():
    lo, hi, bins = -1.3, 2.9, 97
    h = Histogram.of([], lo, hi, bins)
    edges = h.edges
    # Every edge, and one ulp either side of it: numpy decides each value exactly against
    # its edges; quantlib's (x - lo) / span * bins may round a value one bin over.
    values = np.concatenate((edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)))
    values = np.clip(values, lo, hi)
    for v in values:
        got = int(np.flatnonzero(Histogram.of([v], lo, hi, bins).counts)[0])
        want = int(np.flatnonzero(np.histogram([v], bins=bins, range=(lo, hi))[0])[0])
        assert abs(got - want) <= 1, v
    # And the end values exactly: lo in the first bin, hi in the last (closed) one.
    assert Histogram.of([lo, hi], lo, hi, bins).counts[[0, -1]].tolist() == [1.0, 1.0]


def test_the_docstring_example_of_seed_003():
    h = Histogram.of([0.1, 0.15, 0.2, 5.0], 0.0, 5.0, bins=4)
    assert h.counts.tolist() == [3.0, 0.0, 0.0, 1.0]
    assert h.edges.tolist() == [0.0, 1.25, 2.5, 3.75, 5.0]


def test_binning_in_blocks_equals_binning_at_once(monkeypatch):
    x = data(4, 10_007).reshape(1, -1)
    whole = Histogram.of(x, float(x.min()), float(x.max()), 300, sums=True)
    monkeypatch.setattr(hist_module, "_BLOCK", 1000)
    blocks = Histogram.of(x, float(x.min()), float(x.max()), 300, sums=True)
    assert blocks.counts.tolist() == whole.counts.tolist()
    np.testing.assert_allclose(blocks.sums, whole.sums, rtol=1e-12, atol=1e-12)


def test_constant_data_go_to_the_last_bin():
    h = Histogram.of(np.full(7, 2.5), 2.5, 2.5, 16, sums=True)
    assert h.counts.tolist() == [0.0] * 15 + [7.0]
    assert h.sums[-1] == 17.5 and h.width == 0.0
    values, counts = h.means()
    assert values.tolist() == [2.5] and counts.tolist() == [7.0]


def test_int_input_and_any_shape():
    x = np.arange(-5, 7).reshape(3, 2, 2)
    h = Histogram.of(x, -5, 6, 11, sums=True)
    assert h.counts.tolist() == [1.0] * 10 + [2.0]  # 5 and 6 share the closed last bin
    assert h.sums.tolist() == list(range(-5, 5)) + [11.0]


@pytest.mark.parametrize(("lo", "hi", "bins", "error", "match"), [
    (0.0, 1.0, 0, ql.ParameterError, r"bins must be an integer from 1 to 65536, got 0"),
    (0.0, 1.0, 1 << 17, ql.ParameterError, r"got 131072"),
    (0.0, 1.0, 8.0, ql.ParameterTypeError, r"bins must be an integer"),
    (1.0, 0.0, 8, ql.ParameterError, r"the range must be finite with lo < hi"),
    (0.0, np.inf, 8, ql.ParameterError, r"got \[0\.0, inf\]"),
    (np.nan, 1.0, 8, ql.ParameterError, r"got \[nan, 1\.0\]"),
], ids=["no-bins", "too-many-bins", "float-bins", "reversed", "inf", "nan"])
def test_bad_bins_and_ranges_raise(lo, hi, bins, error, match):
    with pytest.raises(error, match=match):
        Histogram.of([0.5], lo, hi, bins)


# --- means --------------------------------------------------------------------------------


def test_means_are_bin_means_with_sums_and_centres_without():
    x = np.array([0.1, 0.2, 0.2, 3.9, 2.0])
    with_sums = Histogram.of(x, 0.0, 4.0, 4, sums=True)
    values, counts = with_sums.means()
    assert counts.tolist() == [3.0, 1.0, 1.0]
    assert values.tolist() == pytest.approx([0.5 / 3, 2.0, 3.9])
    values, counts = Histogram.of(x, 0.0, 4.0, 4).means()
    assert values.tolist() == [0.5, 2.5, 3.5] and counts.tolist() == [3.0, 1.0, 1.0]


def test_means_of_a_fine_histogram_are_within_their_bins():
    x = data(5)
    h = Histogram.of(x, float(x.min()), float(x.max()), 2048, sums=True)
    values, counts = h.means()
    full = np.flatnonzero(h.counts)
    edges = h.edges
    assert counts.sum() == x.size
    assert np.all(values >= edges[full] - 1e-12) and np.all(values <= edges[full + 1] + 1e-12)
    assert (values * counts).sum() == pytest.approx(x.sum(), rel=1e-9, abs=1e-9)


# --- spread and merged ----------------------------------------------------------------------


@pytest.mark.parametrize(("new_lo", "new_hi"), [(-10.0, 10.0), (-3.0, 40.0), (-7.77, 7.77)],
                         ids=["both-sides", "mostly-above", "odd-edges"])
def test_spread_preserves_totals_and_sums(new_lo, new_hi):
    x = np.random.default_rng(6).normal(0.3, 1.0, 3000).clip(-2.9, 3.1)
    h = Histogram.of(x, float(x.min()), float(x.max()), 256, sums=True)
    assert new_lo <= h.lo and h.hi <= new_hi
    wide = h.spread(new_lo, new_hi)
    assert (wide.lo, wide.hi, wide.bins) == (new_lo, new_hi, 256)
    assert wide.total == pytest.approx(h.total, rel=1e-12)
    assert wide.sums.sum() == pytest.approx(h.sums.sum(), rel=1e-9, abs=1e-9)
    assert np.all(wide.counts >= -1e-12)
    # No count leaves the old range: nothing lands in a new bin outside [h.lo, h.hi].
    edges = wide.edges
    outside = (edges[1:] <= h.lo) | (edges[:-1] >= h.hi)
    assert np.abs(wide.counts[outside]).max(initial=0.0) <= 1e-9


def test_spread_onto_twice_the_range_adds_pairs_of_bins():
    h = Histogram.of(data(7, 2000), -6.0, 6.0, 64, sums=True)
    wide = h.spread(-6.0, 18.0)  # new bins are exactly two old ones
    assert wide.counts[:32].tolist() == pytest.approx((h.counts[0::2] + h.counts[1::2]).tolist())
    assert wide.counts[32:].tolist() == [0.0] * 32
    assert wide.sums[:32].tolist() == pytest.approx((h.sums[0::2] + h.sums[1::2]).tolist())


def test_spread_to_the_same_range_is_itself_and_a_narrower_one_raises():
    h = Histogram.of(data(8), -20.0, 20.0, 32)
    assert h.spread(-20.0, 20.0) is h
    with pytest.raises(ql.ParameterError, match=r"got \[-19\.0, 20\.0\]"):
        h.spread(-19.0, 20.0)
    with pytest.raises(ql.ParameterError):
        h.spread(-20.0, 19.0)


def test_spread_of_a_constant_histogram_inside_the_new_range():
    h = Histogram.of(np.full(5, 2.0), 2.0, 2.0, 128, sums=True)
    wide = h.spread(1.0, 5.5)
    assert wide.total == 5.0 and wide.sums.sum() == 10.0
    values, counts = wide.means()
    assert values.tolist() == [2.0] and counts.tolist() == [5.0]
    (where,) = np.flatnonzero(wide.counts)
    assert wide.edges[where] <= 2.0 <= wide.edges[where + 1]


@pytest.mark.parametrize(("value", "new_lo", "new_hi"), [(0.0, 0.0, 1.0), (2.0, 2.0, 5.0)],
                         ids=["zeros-onto-0-1", "twos-onto-2-5"])
def test_spread_of_a_constant_histogram_that_starts_the_new_range(value, new_lo, new_hi):
    h = Histogram.of(np.full(10, value), value, value, 128, sums=True)
    wide = h.spread(new_lo, new_hi)
    assert wide.total == 10.0
    assert wide.sums.sum() == pytest.approx(10 * value)


def test_merged_adds_totals_on_the_range_covering_both():
    a_x, b_x = data(9, 1000), data(10, 1500) * 3 + 4
    a = Histogram.of(a_x, float(a_x.min()), float(a_x.max()), 512, sums=True)
    b = Histogram.of(b_x, float(b_x.min()), float(b_x.max()), 512, sums=True)
    m = a.merged(b)
    assert (m.lo, m.hi) == (min(a.lo, b.lo), max(a.hi, b.hi)) and m.bins == 512
    assert m.total == pytest.approx(2500, rel=1e-12)
    assert m.sums.sum() == pytest.approx(a_x.sum() + b_x.sum(), rel=1e-9, abs=1e-9)
    assert b.merged(a).counts.tolist() == pytest.approx(m.counts.tolist())
    # Without sums on either side the merge has none.
    assert a.merged(Histogram.of(b_x, float(b_x.min()), float(b_x.max()), 512)).sums is None


def test_merging_histograms_on_one_range_adds_counts_exactly():
    x = data(11, 4000)
    lo, hi = float(x.min()), float(x.max())
    a, b = Histogram.of(x[:1500], lo, hi, 200), Histogram.of(x[1500:], lo, hi, 200)
    assert a.merged(b).counts.tolist() == Histogram.of(x, lo, hi, 200).counts.tolist()


# --- percentile ----------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 100.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_percentile_is_within_one_bin_width_of_numpys_on_dense_data(p, seed):
    x = data(seed, 200_000)
    h = Histogram.of(x, float(x.min()), float(x.max()), 2048)
    assert abs(h.percentile(p) - np.percentile(x, p)) <= h.width


def test_percentile_0_and_100_are_the_ends():
    x = data(12, 1000)
    h = Histogram.of(x, float(x.min()), float(x.max()), 128)
    assert h.percentile(0) == x.min() and h.percentile(100) == x.max()


def test_percentile_docstring_example():
    assert Histogram.of([0.0, 1.0], 0.0, 1.0, bins=128).percentile(50) == 0.5


def test_percentile_is_within_one_bin_width_on_sparse_data():
    h = Histogram.of([0.0, 1.0], 0.0, 1.0, bins=128)
    assert abs(h.percentile(50) - 0.5) <= h.width
