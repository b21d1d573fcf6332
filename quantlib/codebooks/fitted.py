"""Codebooks fitted to data: Lloyd-Max (k-means), equal-population ("balanced") quantile
bins, and greedy binary-code quantization. Their levels are in the data's units.

>>> x = [0.0, 0.1, 0.2, 5.0, 5.2]
>>> lloyd_max(x, 2).levels.round(6).tolist(), quantile_bins(x, 2).levels.round(6).tolist()
([0.1, 5.1], [0.05, 3.466667])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .._validate import Interval, ParameterError
from ..histogram import Histogram
from ..uniform import as_float_array
from .nearest import _distinct, _midpoints

# Lloyd-Max runs on a histogram of x: this many bins (sums kept, so bin means are exact)
# make it cost one pass over x however many iterations follow.
_KMEANS_BINS = 1 << 16
_N_LEVELS = Interval(int, 1, 1 << 16)
#: Lloyd-Max's round cap and tolerance (a fraction of the range of x).
MAX_ITER = Interval(int, 1, 10_000)
TOL = Interval(float, 0.0, 1.0)
# 16 levels on a normal tensor reach their fixed point in about 160 rounds of 0.1 ms.
DEFAULT_MAX_ITER, DEFAULT_TOL = 500, 1e-6
#: Terms of binary-code quantization (2^terms levels).
TERMS = Interval(int, 1, 4)


def _fit_input(x, kind: str) -> np.ndarray:
    if x is None:
        raise ParameterError("codebook_needs_x", kind=kind)
    x = as_float_array(x)
    if x.size == 0:
        raise ParameterError("empty_tensor")
    if not (np.isfinite(np.min(x)) and np.isfinite(np.max(x))):  # NaN propagates to both
        raise ParameterError("nonfinite_input")
    return x


@dataclass(frozen=True, eq=False)
class LloydMaxResult:
    """Levels found by :func:`lloyd_max`, and how the iteration ended."""

    levels: np.ndarray
    iterations: int
    converged: bool


def lloyd_max(x, n_levels: int = 16, *, max_iter: int = DEFAULT_MAX_ITER,
              tol: float = DEFAULT_TOL) -> LloydMaxResult:
    """Lloyd-Max (1-D k-means): levels that locally minimise the MSE of nearest-level
    quantization of ``x``.

    >>> r = lloyd_max([0.0, 0.1, 0.2, 5.0, 5.2], 2)
    >>> r.levels.round(6).tolist(), r.iterations, r.converged
    ([0.1, 5.1], 1, True)

    Starts from the quantiles ``(i + 1/2) / n_levels`` of x, then alternates thresholds
    at the midpoints of the levels with levels at the means of their cells. It stops
    when the cells stop changing (a fixed point: the levels cannot move again), when no
    level moved by more than ``tol`` times the range of x, or after ``max_iter`` rounds.

    It runs on a 65,536-bin histogram of x whose bins keep their sums: one pass over x.
    With prefix sums of the bins, a round costs a few binary searches (about 0.1 ms), so
    16 levels on a normal tensor reach their fixed point (about 160 rounds) in
    milliseconds. A bin moves as a whole, by its mean, so a level is within a bin width
    of plain k-means' fixed point.

    Returns float64 levels in x's units, sorted and distinct (fewer than ``n_levels``
    when x has fewer distinct values), the rounds run, and whether it converged.
    """
    n_levels = _N_LEVELS.check("n_levels", n_levels)
    max_iter = MAX_ITER.check("max_iter", max_iter)
    tol = TOL.check("tol", tol)
    x = _fit_input(x, "kmeans")
    lo, hi = float(np.min(x)), float(np.max(x))
    values, counts = Histogram.of(x, lo, hi, _KMEANS_BINS, sums=True).means()
    # The bin means are sorted (bins are ordered): a cell is a run of bins, and its
    # count and sum are differences of prefix sums at its ends.
    count_below = np.concatenate(([0.0], np.cumsum(counts)))
    sum_below = np.concatenate(([0.0], np.cumsum(counts * values)))
    targets = (np.arange(n_levels) + 0.5) / n_levels * count_below[-1]
    start = np.minimum(np.searchsorted(count_below[1:], targets), values.size - 1)
    levels = np.unique(values[start])
    half_span = hi / 2 - lo / 2  # halves: hi - lo overflows near +-1.8e308
    ends = None
    for iteration in range(1, max_iter + 1):
        # A bin mean on a midpoint goes to the lower level, as quantize_to_codebook.
        inner = np.searchsorted(values, _midpoints(levels), side="right")
        if ends is not None and np.array_equal(inner, ends[1:-1]):
            return LloydMaxResult(_distinct(levels), iteration - 1, True)
        ends = np.concatenate(([0], inner, [values.size]))
        total, moment = np.diff(count_below[ends]), np.diff(sum_below[ends])
        # An empty cell keeps its level: it lies between its neighbours' new means, so
        # the levels stay sorted.
        new = np.where(total > 0, moment / np.where(total > 0, total, 1.0), levels)
        shift = float(np.max(np.abs(new - levels)))
        levels = new
        if shift / 2 <= tol * half_span:
            return LloydMaxResult(_distinct(levels), iteration, True)
    return LloydMaxResult(_distinct(levels), max_iter, False)


@dataclass(frozen=True, eq=False)
class QuantileBins:
    """Equal-population bins of a tensor (see :func:`quantile_bins`).

    ``edges`` has one entry per bin plus one: the smallest value of each bin, then the
    largest value of x. ``levels`` are the distinct bin means, ``counts`` the values per
    bin (empty bins, possible only when x has fewer values than bins, are left out).
    """

    edges: np.ndarray
    levels: np.ndarray
    counts: np.ndarray


def quantile_bins(x, n_bins: int = 16) -> QuantileBins:
    """Split the sorted values of x into ``n_bins`` runs of equal length (the counts
    differ by at most one) and take each run's mean: "balanced" quantization's levels.

    >>> b = quantile_bins([4.0, 0.0, 1.0, 9.0, 2.0, 3.0], 3)
    >>> b.edges.tolist(), b.levels.tolist(), b.counts.tolist()
    ([0.0, 2.0, 4.0, 9.0], [0.5, 2.5, 6.5], [2, 2, 2])

    Bin i holds the values of rank ``floor(i n / n_bins)`` up to the next bin's first
    rank, so its lower edge is a quantile of x. Ties are split by rank: copies of one
    value may fall in two neighbouring bins, which then share that edge. Sorting 1e7
    float32 values is numpy's SIMD sort: about 0.1 s.
    """
    n_bins = _N_LEVELS.check("n_bins", n_bins)
    ordered = np.sort(_fit_input(x, "quantile"), axis=None)
    n = ordered.size
    starts = np.arange(n_bins, dtype=np.int64) * n // n_bins
    counts = np.diff(np.append(starts, n))
    full = counts > 0
    sums = np.add.reduceat(ordered, starts[full], dtype=np.float64)
    edges = np.append(ordered[starts[full]], ordered[-1]).astype(np.float64)
    return QuantileBins(edges, _distinct(sums / counts[full]), counts[full])


def binary_alphas(x, terms: int = 2) -> np.ndarray:
    """Greedy binary-code quantization: ``x ~ sum_i alpha_i b_i`` with ``b_i = +-1``.

    >>> binary_alphas([1.0, -1.0, 3.0, -3.0], 2).tolist()
    [2.0, 1.0]

    Each term takes the residual r (x at first): ``alpha = mean|r|``, ``b = sign(r)``
    (+1 for 0), then ``r -= alpha b``. Returns float64 ``alpha_1 >= alpha_2 >= ...`` (all
    0 for an all-zero x); the levels are every sum ``+-alpha_1 +- ... +- alpha_k``.
    """
    terms = TERMS.check("terms", terms)
    residual = _fit_input(x, "binary").astype(np.float64).reshape(-1)
    alphas = []
    for _ in range(terms):
        alpha = float(np.mean(np.abs(residual)))
        residual -= np.where(residual >= 0, alpha, -alpha)
        alphas.append(alpha)
    return np.array(alphas)


def binary_levels(alphas) -> np.ndarray:
    """Every sum ``+-alpha_1 +- ... +- alpha_k``, sorted and distinct (float64).

    >>> binary_levels([2.0, 1.0]).tolist()
    [-3.0, -1.0, 1.0, 3.0]
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    signs = np.array(list(itertools.product((-1.0, 1.0), repeat=alphas.size)))
    return _distinct(signs @ alphas)
