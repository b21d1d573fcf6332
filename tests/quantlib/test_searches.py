"""Tests for quantlib.searches: TensorRT's KL (entropy) search and the MSE search.

Oracles written here, independently of quantlib:

- ``oracle_pq`` builds TensorRT's P and Q for one candidate with exact fractions;
- ``fq_mse`` is the exact fake-quantization MSE of a tensor for any range, computed
  value by value with the scale and zero point of ``ql.qparams_from_range``;
- the MSE search is compared with a brute-force fine grid of ranges evaluated with it.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import quantlib as ql
from quantlib.histogram import Histogram
from quantlib.searches import (
    ENTROPY_START_BIN,
    entropy_search,
    kl,
    kl_distributions,
    kl_divergences,
    kl_levels,
    mse_search,
    range_mse,
)

# --- oracles -------------------------------------------------------------------------


def oracle_pq(counts, i: int, levels: int) -> tuple[list[Fraction], list[Fraction]]:
    """TensorRT's P and Q for the candidate that keeps the first ``i`` bins, exactly.

    P: the first i bins, the clipped tail's count added to the last of them.
    Q: the first i bins WITHOUT the tail; bin j belongs to level floor(j * levels / i);
    each level's sum is spread evenly over its non-empty bins (empty bins stay 0).
    Both are normalised to sum to 1 (Q stays all zero when it has no mass).
    """
    c = [Fraction(v) for v in counts]
    p = c[:i]
    p[-1] += sum(c[i:], Fraction(0))
    q = [Fraction(0)] * i
    for level in range(levels):
        members = [j for j in range(i) if j * levels // i == level]
        nonempty = [j for j in members if c[j] > 0]
        if nonempty:
            share = sum((c[j] for j in members), Fraction(0)) / len(nonempty)
            for j in nonempty:
                q[j] = share
    p_total, q_total = sum(p), sum(q)
    return [v / p_total for v in p], [v / q_total if q_total else v for v in q]


def oracle_kl(p, q) -> float:
    """KL(p || q) in nats with 0 log 0 = 0, inf where p > 0 and q == 0."""
    total = 0.0
    for a, b in zip(p, q, strict=True):
        if a > 0:
            if b == 0:
                return math.inf
            total += float(a) * math.log(float(a) / float(b))
    return total


def fq_mse(x: np.ndarray, lo, hi, *, bits: int, symmetric: bool) -> np.ndarray:
    """Exact fake-quantization MSE of ``x`` (float64) for each range ``(lo[k], hi[k])``.

    q = clip(rint(x / s) + z, qmin, qmax), x_hat = (q - z) * s, with s and z from
    ``ql.qparams_from_range`` (signed, not narrow, the range widened to hold 0).
    """
    lo = np.atleast_1d(np.asarray(lo, np.float64)).ravel()
    hi = np.atleast_1d(np.asarray(hi, np.float64)).ravel()
    qp = ql.qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)
    scale = np.asarray(qp.scale, np.float64)[:, None]
    zero = np.asarray(qp.zero_point, np.float64)[:, None]
    x = np.asarray(x, np.float64)[None, :]
    out = np.empty(lo.size)
    step = max(1, 2_000_000 // x.size)
    for s in range(0, lo.size, step):
        sc, zp = scale[s:s + step], zero[s:s + step]
        codes = np.clip(np.rint(x / sc) + zp, qp.qmin, qp.qmax)
        err = (codes - zp) * sc - x
        out[s:s + step] = np.mean(err * err, axis=1)
    return out


def test_fake_quantize_mse_oracle_agrees_with_quantlib():
    # The oracle's quantizer is quantlib's (in float64): check it on one range.
    x = np.random.default_rng(5).normal(size=300)
    qp = ql.qparams_from_range(-1.5, 2.0, bits=4)
    expected = np.mean((ql.fake_quantize(x, qp).astype(np.float64) - x) ** 2)
    assert fq_mse(x, -1.5, 2.0, bits=4, symmetric=False)[0] == pytest.approx(expected, rel=1e-6)


# --- kl_levels -----------------------------------------------------------------------


@pytest.mark.parametrize(("bits", "unsigned", "levels"), [
    (8, False, 128), (8, True, 256), (4, False, 8), (4, True, 16), (2, False, 2),
], ids=["int8", "uint8", "int4", "uint4", "int2"])
def test_kl_levels(bits, unsigned, levels):
    assert kl_levels(bits, unsigned) == levels


# --- P and Q against the oracle ------------------------------------------------------

# (counts, i, levels, P, Q): worked out by hand from the TensorRT description.
HAND_PQ = [
    # Docstring example: the tail 2 + 0 + 1 lands in bin 2; bins 0-1 form level 0
    # (one non-empty bin holds its 4), bin 2 is level 1.
    ([4, 0, 2, 2, 0, 1], 3, 2,
     ["4/9", "0", "5/9"], ["2/3", "0", "1/3"]),
    # Levels of 2 bins; the tail 4 + 5 lands in bin 5, which Q leaves empty.
    ([1, 2, 0, 3, 0, 0, 4, 5], 6, 3,
     ["1/15", "2/15", "0", "3/15", "0", "9/15"], ["1/4", "1/4", "0", "1/2", "0", "0"]),
    # No tail, 5 bins into 2 levels: floor(j * 2 / 5) puts bins 0-2 in level 0.
    ([2, 1, 1, 0, 2], 5, 2,
     ["1/3", "1/6", "1/6", "0", "1/3"], ["2/9", "2/9", "2/9", "0", "1/3"]),
    # levels >= i: every bin is its own level, Q is the kept bins without the tail.
    ([3, 1, 0, 2, 6], 4, 8,
     ["1/4", "1/12", "0", "2/3"], ["1/2", "1/6", "0", "1/3"]),
    # A level made only of empty bins gets nothing; the other keeps its sum.
    ([0, 0, 5, 1], 4, 2,
     ["0", "0", "5/6", "1/6"], ["0", "0", "1/2", "1/2"]),
]
HAND_IDS = ["docstring", "tail-in-empty-bin", "uneven-levels", "levels-above-i",
            "empty-level"]


@pytest.mark.parametrize(("counts", "i", "levels", "p", "q"), HAND_PQ, ids=HAND_IDS)
def test_oracle_reproduces_hand_examples(counts, i, levels, p, q):
    got_p, got_q = oracle_pq(counts, i, levels)
    assert got_p == [Fraction(v) for v in p]
    assert got_q == [Fraction(v) for v in q]


@pytest.mark.parametrize(("counts", "i", "levels", "p", "q"), HAND_PQ, ids=HAND_IDS)
def test_kl_distributions_matches_hand_examples(counts, i, levels, p, q):
    got_p, got_q = kl_distributions(counts, i, levels)
    assert got_p.tolist() == pytest.approx([float(Fraction(v)) for v in p], abs=1e-15)
    assert got_q.tolist() == pytest.approx([float(Fraction(v)) for v in q], abs=1e-15)


@pytest.mark.parametrize("levels", [2, 3, 8, 16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kl_distributions_matches_oracle_on_random_counts(levels, seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 5, 40) * (rng.random(40) < 0.6)
    for i in range(1, 41):
        p, q = kl_distributions(counts, i, levels)
        op, oq = oracle_pq(counts, i, levels)
        assert p.tolist() == pytest.approx([float(v) for v in op], abs=1e-14), i
        assert q.tolist() == pytest.approx([float(v) for v in oq], abs=1e-14), i
        assert kl(p, q) == pytest.approx(oracle_kl(op, oq), abs=1e-12), i


def test_kl_is_inf_where_q_is_zero_and_zero_for_equal_distributions():
    p = np.array([0.5, 0.0, 0.5])
    assert kl(p, p) == 0.0
    assert kl(p, np.array([1.0, 0.0, 0.0])) == math.inf
    # 0 log 0 = 0: mass in q where p has none costs nothing by itself.
    assert kl(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(math.log(2))


# --- kl_divergences == the straightforward loop --------------------------------------


def sparse_counts(rng, n: int, *, integer: bool = True) -> np.ndarray:
    """Mostly empty bins. Float counts (as a histogram observer's spread ones) end in a
    non-empty bin, as every histogram of data does (its max lands there); trailing empty
    bins with float counts are test_kl_divergences_with_float_counts_and_empty_last_bins."""
    counts = (rng.poisson(4, n) * (rng.random(n) < 0.35)).astype(np.float64)
    if integer:
        return counts
    counts *= rng.random(n) * 3
    counts[-1] = 0.7
    return counts


@pytest.mark.parametrize(("levels", "n", "start"), [
    (2, 60, 1), (2, 200, 128), (8, 150, 3), (8, 250, 128), (128, 200, 1), (128, 300, 128),
    (256, 330, 240), (256, 280, 128),
], ids=["l2-from1", "l2-from128", "l8-from3", "l8-from128", "l128-from1", "l128-from128",
        "l256-from240", "l256-from128"])
@pytest.mark.parametrize("integer", [True, False], ids=["int-counts", "float-counts"])
def test_kl_divergences_equals_the_per_candidate_loop(levels, n, start, integer):
    rng = np.random.default_rng(levels * 1000 + n + start)
    counts = sparse_counts(rng, n, integer=integer)
    i, divergences = kl_divergences(counts, levels, start)
    assert i.tolist() == list(range(start, n + 1))
    assert i.dtype == np.int64 and divergences.dtype == np.float64
    loop = np.array([kl(*kl_distributions(counts, int(k), levels)) for k in i])
    inf = np.isinf(loop)
    assert np.array_equal(np.isinf(divergences), inf)
    assert inf.any() and (~inf).any()  # both kinds of candidate are exercised
    assert divergences[~inf] == pytest.approx(loop[~inf], abs=1e-12)
    # inf exactly where a clipped tail lands in a bin the unclipped histogram leaves empty
    # (or nothing is kept at all).
    tail = np.array([counts[k:].sum() for k in i])
    last_empty = counts[i - 1] == 0
    kept_nothing = np.array([counts[:k].sum() == 0 for k in i])
    assert np.array_equal(inf, ((tail > 0) & last_empty) | kept_nothing)


def test_kl_divergences_with_float_counts_and_empty_last_bins():
    counts = [0.5, 0.9, 0.9, 0.4, 0.6, 0.3, 0.6, 0.3, 0.4, 0.9, 0.0, 0.0]
    i, divergences = kl_divergences(counts, levels=2, start=10)
    loop = [kl(*kl_distributions(counts, int(k), 2)) for k in i]
    assert all(math.isfinite(v) for v in loop)
    assert divergences.tolist() == pytest.approx(loop, abs=1e-12)


def test_kl_divergences_docstring_example_against_oracle():
    counts = [4.0, 0, 2, 2, 0, 1]
    i, divergences = kl_divergences(counts, levels=2, start=3)
    expected = [oracle_kl(*oracle_pq(counts, k, 2)) for k in range(3, 7)]
    assert i.tolist() == [3, 4, 5, 6]
    assert divergences.tolist()[2] == math.inf == expected[2]
    assert divergences.tolist() == pytest.approx(expected, abs=1e-12)


def test_kl_divergences_start_beyond_the_histogram_keeps_only_the_last_candidate():
    i, divergences = kl_divergences([1.0, 2.0, 3.0], levels=2, start=128)
    assert i.tolist() == [3]
    assert divergences[0] == pytest.approx(oracle_kl(*oracle_pq([1, 2, 3], 3, 2)), abs=1e-12)


def test_kl_divergences_on_a_full_2048_bin_histogram_matches_the_loop_at_sampled_candidates():
    rng = np.random.default_rng(11)
    x = np.abs(rng.laplace(size=20_000))
    counts = Histogram.of(x, 0.0, float(x.max()), 2048).counts
    i, divergences = kl_divergences(counts, 128, ENTROPY_START_BIN)
    assert i.size == 2048 - 128 + 1
    for k in (0, 1, 500, 1000, 1500, i.size - 2, i.size - 1):
        expected = kl(*kl_distributions(counts, int(i[k]), 128))
        if math.isinf(expected):
            assert divergences[k] == math.inf
        else:
            assert divergences[k] == pytest.approx(expected, abs=1e-12)


# --- entropy -------------------------------------------------------------------------


def laplace_with_outliers(n: int = 100_000, n_out: int = 20, seed: int = 0, scale=1.0):
    rng = np.random.default_rng(seed)
    x = rng.laplace(0.0, scale, n)
    where = rng.choice(n, n_out, replace=False)
    x[where] = rng.choice([-50.0, 50.0], n_out) * scale
    return x


@pytest.mark.parametrize("bits", [4, 8])
def test_entropy_clips_outliers_far_below_the_max(bits):
    x = laplace_with_outliers()
    amax = float(np.abs(x).max())
    assert amax == 50.0
    lo, hi = ql.calibrate(x, "entropy", bits=bits)
    assert lo == -hi  # signed data: a symmetric range
    # Well below the outliers, but above the bulk of the Laplace(1) data (|x| > 3 for 5%).
    assert 3.0 < hi < 0.3 * amax


def test_entropy_search_picks_the_smallest_kl_and_its_threshold():
    x = np.abs(laplace_with_outliers(20_000, 5, seed=3))
    hist = Histogram.of(x, 0.0, float(x.max()), 2048)
    found = entropy_search(hist, bits=8, unsigned=False)
    finite = np.isfinite(found.divergences)
    assert found.levels == 128
    assert found.divergences[found.best] == pytest.approx(found.divergences[finite].min(),
                                                          abs=1e-12)
    assert found.bins[found.best] >= ENTROPY_START_BIN
    assert found.threshold == pytest.approx(found.bins[found.best] * hist.width, rel=1e-12)
    assert found.thresholds.shape == found.divergences.shape == found.bins.shape


def no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("bits", [4, 8])
def test_entropy_on_non_negative_data_starts_at_zero(bits):
    x = np.abs(np.random.default_rng(1).normal(size=30_000)) + 0.5
    lo, hi = no_warnings(ql.calibrate, x, "entropy", bits=bits)
    assert lo == 0.0
    assert math.isfinite(hi) and 0.0 < hi <= x.max()


@pytest.mark.parametrize(("x", "expected"), [
    (np.full(1000, 2.5), (0.0, 2.5)),
    (np.full(1000, -2.5), (-2.5, 2.5)),
    (np.zeros(1000), (0.0, 0.0)),
    (np.zeros((3, 4), np.float32), (0.0, 0.0)),
], ids=["constant-positive", "constant-negative", "zeros", "zeros-float32-2d"])
@pytest.mark.parametrize("bits", [4, 8])
def test_entropy_on_constant_data_is_stable(x, expected, bits):
    assert no_warnings(ql.calibrate, x, "entropy", bits=bits) == expected


@pytest.mark.parametrize("bits", [2, 4, 8, 16])
def test_entropy_range_stays_inside_the_data(bits):
    x = np.random.default_rng(bits).standard_t(3, 50_000)
    lo, hi = no_warnings(ql.calibrate, x, "entropy", bits=bits)
    amax = float(np.abs(x).max())
    assert lo == -hi and 0.0 < hi <= amax


# --- range_mse -----------------------------------------------------------------------


@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
@pytest.mark.parametrize("bits", [3, 8])
@pytest.mark.parametrize("seed", [0, 1])
def test_range_mse_is_exact_when_every_value_has_its_own_bin(symmetric, bits, seed):
    rng = np.random.default_rng(seed)
    # 60 values in 60 distinct bins of [-2.5, 3.5], both ends included.
    width = 6.0 / 2048
    bins = rng.choice(np.arange(1, 2047), 58, replace=False)
    x = np.concatenate(([-2.5, 3.5], -2.5 + (bins + 0.1 + 0.8 * rng.random(58)) * width))
    hist = Histogram.of(x, float(x.min()), float(x.max()), 2048, sums=True)
    assert hist.counts.max() == 1 and hist.total == x.size  # bin means are the values
    lo = -rng.random(40) * 3 * abs(x.min())
    hi = rng.random(40) * 3 * x.max()
    got = range_mse(hist, lo, hi, bits=bits, symmetric=symmetric)
    expected = fq_mse(x, lo, hi, bits=bits, symmetric=symmetric)
    assert got.shape == lo.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_range_mse_keeps_the_shape_of_a_grid_and_matches_the_docstring():
    x = np.array([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2])
    hist = Histogram.of(x, -99, 0.7, sums=True)
    got = range_mse(hist, np.array([-99.0, -0.7]), np.array([99.0, 0.7]), symmetric=True)
    np.testing.assert_allclose(got, fq_mse(x, [-99.0, -0.7], [99.0, 0.7], bits=8,
                                           symmetric=True), rtol=1e-12)
    a, b = np.meshgrid([-1.0, -2.0, -99.0], [0.5, 0.7], indexing="ij")
    grid = range_mse(hist, a, b)
    assert grid.shape == (3, 2)
    np.testing.assert_allclose(grid.ravel(), fq_mse(x, a, b, bits=8, symmetric=False),
                               rtol=1e-12)


# --- the MSE search against a brute-force grid ----------------------------------------


def mse_data(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(0.3, 1.0, n)
    if kind == "laplace":
        return rng.laplace(0.0, 1.0, n)
    if kind == "positive":
        return rng.exponential(1.0, n)
    return laplace_with_outliers(n, max(4, n // 2000), seed=seed)


KINDS = ["normal", "laplace", "outliers"]


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_symmetric_mse_pick_is_within_1_percent_of_a_2000_threshold_grid(kind, bits):
    x = mse_data(kind, 10_000, seed=bits)
    lo, hi = ql.calibrate(x, "mse", bits=bits, symmetric=True)
    assert lo == -hi
    amax = float(np.abs(x).max())
    t = amax * np.arange(1, 2001) / 2000
    best = fq_mse(x, -t, t, bits=bits, symmetric=True).min()
    got = fq_mse(x, lo, hi, bits=bits, symmetric=True)[0]
    assert got <= 1.01 * best


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("kind", KINDS)
def test_asymmetric_mse_pick_is_within_1_percent_of_a_150x150_grid(kind, bits):
    x = mse_data(kind, 1_000, seed=10 + bits)
    lo, hi = ql.calibrate(x, "mse", bits=bits)
    assert x.min() <= lo <= 0.0 <= hi <= x.max()
    f = np.arange(1, 151) / 150
    a, b = np.meshgrid(x.min() * f, x.max() * f, indexing="ij")
    best = fq_mse(x, a, b, bits=bits, symmetric=False).min()
    got = fq_mse(x, lo, hi, bits=bits, symmetric=False)[0]
    assert got <= 1.01 * best


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_mse_on_one_sided_data_is_within_1_percent_of_a_grid(bits, symmetric):
    x = mse_data("positive", 5_000, seed=bits)
    lo, hi = ql.calibrate(x, "mse", bits=bits, symmetric=symmetric)
    if not symmetric:
        assert lo == 0.0  # the range must hold 0: the low end stays there
    t = float(x.max()) * np.arange(1, 2001) / 2000
    best = fq_mse(x, -t if symmetric else np.zeros_like(t), t, bits=bits,
                  symmetric=symmetric).min()
    assert fq_mse(x, lo, hi, bits=bits, symmetric=symmetric)[0] <= 1.01 * best


def test_mse_keeps_outliers_at_8_bits_and_clips_them_at_4():
    # 20 outliers at +-50 in 1e5 values: clipping them to t costs ~20 * (50 - t)^2 / 1e5,
    # about 0.3; an 8-bit step over [-50, 50] costs ~0.39^2 / 12 = 0.013, a 4-bit one ~3.7.
    x = laplace_with_outliers()
    assert ql.calibrate(x, "mse", bits=8, symmetric=True)[1] > 45.0
    assert ql.calibrate(x, "mse", bits=4, symmetric=True)[1] < 10.0


@pytest.mark.parametrize(("kind", "symmetric"), [
    ("laplace", True), ("laplace", False), ("positive", False), ("positive", True)],
    ids=["sym", "affine", "one-sided-affine", "one-sided-sym"])
@pytest.mark.parametrize("candidates", [100, 200, 500])
def test_mse_search_evaluates_at_least_100_candidates(kind, symmetric, candidates):
    x = mse_data(kind, 3_000, seed=7)
    hist = Histogram.of(x, float(x.min()), float(x.max()), 2048, sums=True)
    found = mse_search(hist, bits=8, symmetric=symmetric, candidates=candidates)
    assert found.evaluated >= max(100, candidates)
    assert found.lo <= 0.0 <= found.hi
    # The reported MSE is the histogram MSE of the reported range.
    assert found.mse == pytest.approx(
        float(range_mse(hist, found.lo, found.hi, bits=8, symmetric=symmetric)[0]), rel=1e-12)
    assert (found.lo, found.hi) == ql.calibrate(x, "mse", symmetric=symmetric,
                                                candidates=candidates)


@pytest.mark.parametrize("candidates", [99, 4097, 0])
def test_mse_candidates_out_of_range_raise(candidates):
    x = mse_data("normal", 100, seed=0)
    with pytest.raises(ql.ParameterError, match=rf"candidates must be an integer from 100 to "
                                                rf"4096, got {candidates}"):
        ql.calibrate(x, "mse", candidates=candidates)
