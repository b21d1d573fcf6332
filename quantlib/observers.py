"""Observers: running range statistics over several calibration batches.

They follow scikit-learn's estimators: ``update(batch)`` is ``partial_fit``, learned
state ends in ``_``, ``reset()`` forgets it, and asking for a range before any batch is
an error that says so.

>>> obs = MinMaxObserver()
>>> obs.update([0.5, -1.0]).update([2.0]).compute_range()
(-1.0, 2.0)
>>> avg = MovingAverageMinMaxObserver(averaging_constant=0.5)
>>> avg.update([0.5, -1.0]).update([2.0]).compute_range()
(0.5, 1.25)
"""

from __future__ import annotations

import numpy as np

from ._validate import BITS, Interval, ParameterError
from .calibration import METHOD, method_options, mse_bins, search_range
from .histogram import DEFAULT_BINS, Histogram
from .uniform import as_float_array

#: PyTorch's default for MovingAverageMinMaxObserver.
DEFAULT_AVERAGING_CONSTANT = 0.01
AVERAGING_CONSTANT = Interval(float, 0.0, 1.0)


def _batch(batch) -> np.ndarray:
    x = as_float_array(batch, name="batch")
    if x.size == 0:
        raise ParameterError("empty_tensor")
    if not np.isfinite(x).all():
        raise ParameterError("nonfinite_input")
    return x


class _Observer:
    """What every observer shares: the counters, reset, and the not-fitted check."""

    def __init__(self, *, symmetric: bool = False) -> None:
        self.symmetric = bool(symmetric)
        self.reset()

    def reset(self) -> _Observer:
        """Forget every batch seen; the settings stay."""
        self.n_batches_ = 0
        self.n_values_ = 0
        return self

    def _check_fitted(self) -> None:
        if not self.n_batches_:
            raise ParameterError("observer_empty", name=type(self).__name__)

    def _widen(self, x: np.ndarray) -> None:
        """Take a batch's extremes into ``min_`` and ``max_`` (the first batch's own)."""
        lo, hi = float(x.min()), float(x.max())
        self.min_ = lo if self.min_ is None else min(self.min_, lo)
        self.max_ = hi if self.max_ is None else max(self.max_, hi)

    def _seen(self, x: np.ndarray) -> None:
        self.n_batches_ += 1
        self.n_values_ += int(x.size)

    def _range(self, lo: float, hi: float) -> tuple[float, float]:
        if self.symmetric:
            amax = max(abs(lo), abs(hi))
            return -amax, amax
        return lo, hi


class MinMaxObserver(_Observer):
    """The smallest and largest value of every batch so far."""

    def reset(self) -> MinMaxObserver:
        self.min_ = self.max_ = None
        return super().reset()

    def update(self, batch) -> MinMaxObserver:
        x = _batch(batch)
        self._widen(x)
        self._seen(x)
        return self

    def compute_range(self) -> tuple[float, float]:
        """``(lo, hi)`` of everything seen (``(-amax, amax)`` when symmetric)."""
        self._check_fitted()
        return self._range(self.min_, self.max_)


class MovingAverageMinMaxObserver(MinMaxObserver):
    """An exponential moving average of each batch's min and max, as PyTorch's:
    ``min_ += c * (batch_min - min_)``, starting from the first batch's own."""

    def __init__(self, *, averaging_constant: float = DEFAULT_AVERAGING_CONSTANT,
                 symmetric: bool = False) -> None:
        self.averaging_constant = AVERAGING_CONSTANT.check("averaging_constant",
                                                           averaging_constant)
        super().__init__(symmetric=symmetric)

    def update(self, batch) -> MovingAverageMinMaxObserver:
        x = _batch(batch)
        lo, hi = float(x.min()), float(x.max())
        if self.min_ is None:
            self.min_, self.max_ = lo, hi
        else:
            c = self.averaging_constant
            self.min_ += c * (lo - self.min_)
            self.max_ += c * (hi - self.max_)
        self._seen(x)
        return self


class HistogramObserver(_Observer):
    """Histograms of every batch so far, for the methods that need more than the ends:
    percentile, entropy and MSE.

    It keeps two histograms of ``bins`` bins: |x| on ``[0, max|x|]`` (entropy, symmetric
    percentile) and x on ``[min, max]`` with bin sums (MSE, asymmetric percentile). When
    a batch widens the range, the counts so far are spread over the wider bins. After one
    batch the histograms are exactly the ones ``calibrate`` builds, so entropy and MSE
    give its range; percentiles interpolate inside a bin (within one bin width of
    numpy's exact ones).

    >>> obs = HistogramObserver("entropy")
    >>> obs.update([0.1, 0.15, 0.2, 5.0]).compute_range()
    (0.0, 5.0)
    """

    def __init__(self, method: str = "entropy", *, bits: int = 8, symmetric: bool = False,
                 **options) -> None:
        self.method = METHOD.check("method", method)
        self.bits = BITS.check("bits", bits)
        self.options = method_options(method, options)
        self.bins = int(self.options.get("bins", DEFAULT_BINS))
        super().__init__(symmetric=symmetric)

    def reset(self) -> HistogramObserver:
        self.magnitude_ = self.values_ = None
        self.min_ = self.max_ = None
        return super().reset()

    def update(self, batch) -> HistogramObserver:
        x = _batch(batch)
        self._widen(x)
        amax = max(abs(self.min_), abs(self.max_))
        magnitude = Histogram.of(np.abs(x), 0.0, amax, self.bins)
        values = Histogram.of(x, self.min_, self.max_, mse_bins(self.bins, self.bits),
                              sums=True)
        self.magnitude_ = magnitude if self.magnitude_ is None else self.magnitude_.merged(
            magnitude)
        self.values_ = values if self.values_ is None else self.values_.merged(values)
        self._seen(x)
        return self

    def compute_range(self) -> tuple[float, float]:
        """The method's range over every batch seen."""
        self._check_fitted()
        return search_range(self.method, magnitude=self.magnitude_, values=self.values_,
                            bits=self.bits, symmetric=self.symmetric,
                            unsigned=self.min_ >= 0, options=self.options)
