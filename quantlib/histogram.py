"""Histograms for calibration: what the entropy and MSE searches run on, and what a
histogram observer accumulates over batches.

>>> h = Histogram.of([0.1, 0.15, 0.2, 5.0], 0.0, 5.0, bins=4)
>>> h.counts.tolist(), h.edges.tolist()
([3.0, 0.0, 0.0, 1.0], [0.0, 1.25, 2.5, 3.75, 5.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import Interval, ParameterError

#: TensorRT's histogram resolution for the KL search; also the MSE search's.
DEFAULT_BINS = 2048
#: Bins a calibration method may ask for: enough for the KL search's first candidate (bin
#: 128), few enough to stay a small array whatever the tensor.
BINS = Interval(int, 128, 1 << 16)
_ANY_BINS = Interval(int, 1, BINS.high)
# Values are binned in blocks, so no float64 copy of a 16M-element tensor is ever made.
_BLOCK = 1 << 20


def _edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """``bins + 1`` equal steps from lo to hi (np.linspace's, unless hi - lo overflows)."""
    with np.errstate(over="ignore"):
        if np.isfinite(hi - lo):
            return np.linspace(lo, hi, bins + 1)
    t = np.arange(bins + 1) / bins
    edges = lo * (1 - t) + hi * t
    edges[0], edges[-1] = lo, hi
    return edges


@dataclass(frozen=True, eq=False)
class Histogram:
    """Counts of values on ``bins`` equal-width bins over ``[lo, hi]`` (the last bin
    closed), and, when kept, the sum of the values in each bin (for bin means).

    Counts are float64: merging a histogram into a wider range spreads a bin's count
    over the new bins it overlaps, in proportion.
    """

    lo: float
    hi: float
    counts: np.ndarray
    sums: np.ndarray | None = None

    @property
    def bins(self) -> int:
        return int(self.counts.size)

    @property
    def width(self) -> float:
        # Each end divided first: hi - lo overflows for ranges near +-1.8e308.
        return self.hi / self.bins - self.lo / self.bins

    @property
    def edges(self) -> np.ndarray:
        return _edges(self.lo, self.hi, self.bins)

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def means(self) -> tuple[np.ndarray, np.ndarray]:
        """``(value, count)`` of every non-empty bin: the mean of its values when sums are
        kept (exact for a bin holding one distinct value), else its centre."""
        full = self.counts > 0
        if self.sums is not None and np.isfinite(self.sums).all():
            values = self.sums[full] / self.counts[full]
        else:
            edges = self.edges
            values = ((edges[:-1] + edges[1:]) / 2)[full]
        return values, self.counts[full]

    @classmethod
    def of(cls, x, lo: float, hi: float, bins: int = DEFAULT_BINS, *,
           sums: bool = False) -> Histogram:
        """Bin the finite values ``x`` (any shape) on ``[lo, hi]``; values outside go to
        the end bins. ``lo == hi`` (constant data) puts everything in the last bin."""
        bins = _ANY_BINS.check("bins", bins)
        lo, hi = float(lo), float(hi)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ParameterError("bin_range", lo=lo, hi=hi)
        flat = np.asarray(x).reshape(-1)
        counts = np.zeros(bins)
        totals = np.zeros(bins) if sums else None
        # Halves: hi - lo and x - lo overflow near +-1.8e308; halving is exact otherwise.
        half_lo, half_span = lo / 2, hi / 2 - lo / 2
        for start in range(0, flat.size, _BLOCK):
            part = flat[start:start + _BLOCK].astype(np.float64)
            if half_span > 0:
                # Divide first: the fraction is in [0, 1] even when the span is subnormal,
                # where bins / span would overflow.
                where = (part / 2 - half_lo) / half_span * bins
                index = np.clip(where, 0, bins - 1).astype(np.int64)
            else:
                index = np.full(part.size, bins - 1)
            counts += np.bincount(index, minlength=bins)
            if sums:
                totals += np.bincount(index, weights=part, minlength=bins)
        return cls(lo, hi, counts, totals)

    def spread(self, lo: float, hi: float) -> Histogram:
        """The same counts on the same number of bins over a range containing this one,
        each old bin's count (and sum) spread over the new bins it overlaps."""
        if lo > self.lo or hi < self.hi:
            raise ParameterError("bin_range", lo=lo, hi=hi)
        if (lo, hi) == (self.lo, self.hi):
            return self
        new_edges = _edges(lo, hi, self.bins)

        def moved(values: np.ndarray) -> np.ndarray:
            if self.hi == self.lo:  # constant so far: everything sits at that one value
                # In the bin whose low edge is at or below it, as Histogram.of bins it.
                cdf = np.where(new_edges > self.hi, values.sum(), 0.0)
                cdf[-1] = values.sum()
            else:
                cumulative = np.concatenate(([0.0], np.cumsum(values)))
                cdf = np.interp(new_edges, self.edges, cumulative)
            return np.diff(cdf)

        return Histogram(lo, hi, moved(self.counts),
                         None if self.sums is None else moved(self.sums))

    def merged(self, other: Histogram) -> Histogram:
        """This histogram plus ``other``, on the range covering both."""
        lo, hi = min(self.lo, other.lo), max(self.hi, other.hi)
        a, b = self.spread(lo, hi), other.spread(lo, hi)
        sums = None if a.sums is None or b.sums is None else a.sums + b.sums
        return Histogram(lo, hi, a.counts + b.counts, sums)

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile as numpy defines it (linear between the values of rank
        floor and ceil of ``p/100 * (n - 1)``), each value placed inside its bin by its
        rank: within about a bin width of the exact one.

        >>> Histogram.of([0.0, 1.0], 0.0, 1.0, bins=128).percentile(50)
        0.5
        """
        cumulative = np.concatenate(([0.0], np.cumsum(self.counts)))
        last = max(cumulative[-1] - 1, 0.0)
        rank = p / 100 * last
        below = np.floor(rank)

        def value(k: float) -> float:
            # The smallest and largest values are the histogram's ends; a value of rank k
            # in between sits where the cumulative count passes k + 1/2.
            if k <= 0:
                return self.lo
            if k >= last:
                return self.hi
            return float(np.interp(k + 0.5, cumulative, self.edges))

        low, high = value(below), value(min(below + 1, last))
        return float(low + (rank - below) * (high - low))
