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
from .nearest import _distinct, _indices_into, _midpoints

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

    Starts from the quantiles ``(i + 1/2) / n_levels`` of x, and from evenly spaced
    levels, then alternates thresholds at the midpoints of the levels with levels at the
    means of their cells, and keeps the start that ends with the smaller error. It stops
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
    if lo == hi:  # one value: it is the only level (a histogram mean would round it)
        return LloydMaxResult(_distinct([lo]), 0, True)
    values, counts = Histogram.of(x, lo, hi, _KMEANS_BINS, sums=True).means()
    cells = _Cells(values, counts)
    targets = (np.arange(n_levels) + 0.5) / n_levels * cells.count_below[-1]
    start = np.minimum(np.searchsorted(cells.count_below[1:], targets), values.size - 1)
    half_span = hi / 2 - lo / 2  # halves: hi - lo overflows near +-1.8e308
    # Two starts: the quantiles (good where the data is dense) and the evenly spaced grid
    # over [min, max]. Lloyd's rounds never raise the error, so the better of the two
    # ends no worse than uniform quantization, however slowly the tails converge.
    grid = lo + (np.arange(n_levels) + 0.5) / n_levels * 2 * half_span
    runs = [_lloyd(cells, np.unique(values[start]), max_iter, tol * half_span),
            _lloyd(cells, np.unique(grid), max_iter, tol * half_span)]
    levels, iterations, converged, _ = min(runs, key=lambda run: run[3])
    return LloydMaxResult(_distinct(levels), iterations, converged)


class _Cells:
    """A histogram's bin means (sorted) with prefix sums of counts, sums and squares: a
    cell of bins is a run whose count, sum and sum of squares are differences."""

    def __init__(self, values: np.ndarray, counts: np.ndarray) -> None:
        self.values = values
        self.count_below = np.concatenate(([0.0], np.cumsum(counts)))
        self.sum_below = np.concatenate(([0.0], np.cumsum(counts * values)))
        # Centred on the mean, so that the squares do not swamp the error (nor overflow).
        self.centre = self.sum_below[-1] / self.count_below[-1]
        shifted = values - self.centre
        self.square_below = np.concatenate(([0.0], np.cumsum(counts * shifted * shifted)))

    def error(self, levels: np.ndarray, ends: np.ndarray) -> float:
        """The squared error of bins at their means quantized to their cell's level."""
        total = np.diff(self.count_below[ends])
        moment = np.diff(self.sum_below[ends]) - total * self.centre
        square = np.diff(self.square_below[ends])
        shifted = levels - self.centre
        return float(np.sum(square - 2 * shifted * moment + shifted * shifted * total))


def _lloyd(cells: _Cells, levels: np.ndarray, max_iter: int, tol: float):
    """Lloyd's rounds from ``levels``: (levels, rounds, converged, squared error)."""
    values = cells.values
    ends = None
    iteration, converged = max_iter, False
    for iteration in range(1, max_iter + 1):
        # A bin mean on a midpoint goes to the lower level, as quantize_to_codebook.
        inner = np.searchsorted(values, _midpoints(levels), side="right")
        if ends is not None and np.array_equal(inner, ends[1:-1]):
            iteration, converged = iteration - 1, True
            break
        ends = np.concatenate(([0], inner, [values.size]))
        total = np.diff(cells.count_below[ends])
        moment = np.diff(cells.sum_below[ends])
        # An empty cell keeps its level: it lies between its neighbours' new means, so
        # the levels stay sorted.
        new = np.where(total > 0, moment / np.where(total > 0, total, 1.0), levels)
        shift = float(np.max(np.abs(new - levels)))
        levels = new
        if shift / 2 <= tol:
            converged = True
            break
    ends = np.concatenate(([0], np.searchsorted(values, _midpoints(levels), side="right"),
                           [values.size]))
    return levels, iteration, converged, cells.error(levels, ends)


@dataclass(frozen=True, eq=False)
class QuantileBins:
    """Equal-population bins of a tensor (see :func:`quantile_bins`).

    ``edges`` has one entry per bin plus one: the smallest value of each bin, then the
    largest value of x; ``tops`` is each bin's largest value. ``levels`` are the distinct
    bin means, ``counts`` the values per bin and ``means`` each bin's mean (empty bins,
    possible only when x has fewer values than bins, are left out; bins of equal values
    share a mean, hence one level).
    """

    edges: np.ndarray
    levels: np.ndarray
    counts: np.ndarray
    means: np.ndarray
    tops: np.ndarray

    def _level_of_bin(self) -> np.ndarray:
        return np.searchsorted(self.levels, self.means)

    def indices(self, x) -> np.ndarray:
        """The level of each value's bin (uint8 up to 256 levels, else uint16).

        A bin takes the values above the previous bin's largest value, up to its own:
        each value of x goes back to the bin it was counted in, so every bin keeps its
        population. A value that several bins hold (ties) goes to the one of them whose
        mean is nearest, so a value filling whole bins comes back exactly.

        >>> b = quantile_bins([4.0, 0.0, 1.0, 9.0, 2.0, 3.0], 3)
        >>> b.indices([0.5, 2.0, 3.9, 100.0]).tolist()
        [0, 1, 2, 2]
        >>> quantile_bins([0.0] * 6 + [1.0] * 2, 4).indices([0.0, 1.0]).tolist()
        [0, 1]
        """
        y = as_float_array(x).reshape(-1)
        last_bin = self.tops.size - 1
        # The first bin whose top is >= y: the count of tops below y, by the codebook
        # module's fast counting (the tops are values of x: exact in x's dtype).
        first = np.empty(y.size, np.int64)
        tops = self.tops[:-1].astype(np.result_type(y.dtype, np.float32))
        _indices_into(y, tops, first)
        # Only a value equal to its first bin's top can lie in several bins (ties).
        tied = np.flatnonzero(y == self.tops[first])
        if tied.size:
            v, lo = y[tied], first[tied]
            hi = np.maximum(np.searchsorted(self.edges[:-1], v, side="right") - 1, 0)
            pick = np.where(hi - lo >= 2, lo + 1, lo)  # an inner bin is all v
            nearer = np.abs(self.means[np.minimum(hi, last_bin)] - v) < np.abs(
                self.means[lo] - v)
            first[tied] = np.where((hi - lo == 1) & nearer, hi, pick)
        bins = first.reshape(np.shape(x))
        dtype = np.uint8 if self.levels.size <= 256 else np.uint16
        return self._level_of_bin().astype(dtype)[bins]

    def thresholds(self) -> np.ndarray:
        """Where one level's values end and the next one's begin: the largest value of
        each level's last bin, for every level but the last (continuous data)."""
        level_of_bin = self._level_of_bin()
        last = np.searchsorted(level_of_bin, np.arange(self.levels.size - 1), side="right")
        return self.tops[last - 1]


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
    firsts = ordered[starts[full]].astype(np.float64)
    sums = np.add.reduceat(ordered, starts[full], dtype=np.float64)
    edges = np.append(firsts, ordered[-1]).astype(np.float64)
    tops = ordered[starts[full] + counts[full] - 1].astype(np.float64)
    # A bin of equal values (first == top, the data sorted) has that value as its mean
    # exactly; a sum would round it (a float64 constant such as 0.1 does not sum exactly).
    means = np.where(firsts == tops, firsts, sums / counts[full]) + 0.0  # -0 is +0
    return QuantileBins(edges, _distinct(means), counts[full], means, tops)


def _mean(values: np.ndarray) -> float:
    """The mean, as the first value plus the mean offset from it: exact when every value
    is the same (a float64 constant such as 0.1 does not sum exactly)."""
    first = float(values[0])
    return first + float(np.mean(values - first))


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
        alpha = _mean(np.abs(residual))
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
