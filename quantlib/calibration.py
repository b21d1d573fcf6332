"""Calibration: choosing the clipping range [lo, hi] that the quantizer maps onto integers."""

from __future__ import annotations

import numpy as np

from . import granularity as gran
from ._validate import BITS, PERCENTILE, Options, ParameterError, ParameterTypeError
from .histogram import BINS, DEFAULT_BINS, Histogram
from .qtypes import Layout, QParams
from .searches import (
    DEFAULT_MSE_CANDIDATES,
    MSE_CANDIDATES,
    KLSearch,
    MSESearch,
    entropy_search,
    mse_search,
)
from .uniform import as_float_array, qparams_from_range

METHODS = ("minmax", "percentile", "entropy", "mse")
METHOD = Options(METHODS)
DEFAULT_PERCENTILE = 99.99
MSE_BINS_PER_LEVEL = 8
#: Each method's options and their defaults (anything else is an error).
OPTIONS = {
    "minmax": {},
    "percentile": {"percentile": DEFAULT_PERCENTILE},
    "entropy": {"bins": DEFAULT_BINS},
    "mse": {"bins": DEFAULT_BINS, "candidates": DEFAULT_MSE_CANDIDATES},
}
_CHECKS = {"percentile": PERCENTILE, "bins": BINS, "candidates": MSE_CANDIDATES}


def method_options(method: str, options: dict) -> dict:
    """``options`` checked against ``method``'s, with the defaults filled in.

    >>> method_options("entropy", {})
    {'bins': 2048}
    """
    METHOD.check("method", method)
    unknown = sorted(set(options) - set(OPTIONS[method]))
    if unknown:
        raise ParameterTypeError("unknown_options", method=repr(method), names=str(unknown))
    return {name: _CHECKS[name].check(name, options.get(name, default))
            for name, default in OPTIONS[method].items()}


def magnitude_histogram(x: np.ndarray, bins: int = DEFAULT_BINS) -> Histogram:
    """The entropy search's histogram: |x| on ``[0, max|x|]``."""
    magnitude = np.abs(x)
    return Histogram.of(magnitude, 0.0, float(magnitude.max()), bins)


def mse_bins(bins: int, bits: int) -> int:
    """Bins of the MSE search's histogram: at least ``bins``, and at least 8 per level.

    A bin stands for its values at their mean, so a bin as wide as a quantization step
    hides the rounding error inside it (at 256 bins and 8 bits the curve showed a third
    of the real MSE); 8 bins a step keep the estimate within about 1%.

    >>> mse_bins(256, 8), mse_bins(2048, 4), mse_bins(2048, 16)
    (2048, 2048, 65536)
    """
    return min(BINS.high, max(bins, MSE_BINS_PER_LEVEL << bits))


def value_histogram(x: np.ndarray, bins: int = DEFAULT_BINS) -> Histogram:
    """The MSE search's histogram: x on ``[min, max]``, with each bin's sum (bin means)."""
    return Histogram.of(x, float(x.min()), float(x.max()), bins, sums=True)


def entropy_range(search: KLSearch, unsigned: bool) -> tuple[float, float]:
    """The range an entropy search gives: symmetric, or (0, t) for non-negative data."""
    return (0.0 if unsigned else -search.threshold), search.threshold


def search_range(method: str, *, magnitude: Histogram | None = None,
                 values: Histogram | None = None, bits: int = 8, symmetric: bool = False,
                 unsigned: bool = False, options: dict | None = None) -> tuple[float, float]:
    """A method's range from histograms (what calibrate and the histogram observer share):
    ``magnitude`` of |x| for entropy and symmetric percentile, ``values`` of x for mse
    and asymmetric percentile (there interpolated inside a bin, so approximate)."""
    options = method_options(method, options or {})
    if method == "entropy":
        if magnitude.hi == 0:
            return 0.0, 0.0
        return entropy_range(entropy_search(magnitude, bits=bits, unsigned=unsigned), unsigned)
    if method == "mse":
        if values.lo == values.hi:  # constant: nothing to trade, min-max is exact
            amax = abs(values.lo)
            return (-amax, amax) if symmetric else (values.lo, values.hi)
        found: MSESearch = mse_search(values, bits=bits, symmetric=symmetric,
                                      candidates=options["candidates"])
        return found.lo, found.hi
    if method == "percentile":
        p = options["percentile"]
        if symmetric:
            amax = magnitude.percentile(p)
            return -amax, amax
        return values.percentile(100.0 - p), values.percentile(p)
    if symmetric:
        amax = max(-values.lo, values.hi)
        return -amax, amax
    return values.lo, values.hi


def _searched(row: np.ndarray, method: str, bits: int, symmetric: bool,
              options: dict) -> tuple[float, float]:
    """Entropy or MSE on one row's finite values."""
    if method == "entropy":
        hists = dict(magnitude=magnitude_histogram(row, options["bins"]))
    else:
        hists = dict(values=value_histogram(row, mse_bins(options["bins"], bits)))
    return search_range(method, **hists, bits=bits, symmetric=symmetric,
                        unsigned=bool(row.min() >= 0), options=options)


def calibrate_rows(rows: np.ndarray, method: str = "minmax", *, bits: int = 8,
                   symmetric: bool = False, **options) -> tuple[np.ndarray, np.ndarray]:
    """One range per row of a 2-D array (NaN entries, from group padding, are ignored).

    >>> calibrate_rows(np.array([[1.0, -2.0], [3.0, np.nan]]), "minmax")
    (array([-2.,  3.]), array([1., 3.]))

    Returns ``(lo, hi)``, float64 arrays of shape (rows,). Symmetric ranges are
    ``(-amax, amax)``.

    Entropy and MSE search each row's own histogram, one row after another (a few
    milliseconds a row): fine per channel, slow for millions of small groups.
    """
    BITS.check("bits", bits)
    options = method_options(method, options)
    padded = bool(np.isnan(rows).any())
    if method in ("entropy", "mse"):
        lo, hi = np.empty(rows.shape[0]), np.empty(rows.shape[0])
        for r, row in enumerate(rows):
            lo[r], hi[r] = _searched(row[~np.isnan(row)] if padded else row, method, bits,
                                     symmetric, options)
    elif method == "minmax":
        lo, hi = np.fmin.reduce(rows, axis=1), np.fmax.reduce(rows, axis=1)
        if symmetric:
            amax = np.maximum(np.abs(lo), np.abs(hi))
            lo, hi = -amax, amax
    else:
        p = options["percentile"]
        pct = np.nanpercentile if padded else np.percentile
        if symmetric:
            hi = pct(np.abs(rows), p, axis=1)
            lo = -hi
        else:
            lo, hi = pct(rows, [100.0 - p, p], axis=1)
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def _check_finite(x: np.ndarray) -> None:
    if x.size == 0:
        raise ParameterError("empty_tensor")
    if not np.isfinite(x).all():
        raise ParameterError("nonfinite_input")


def calibrate(x, method: str = "minmax", *, bits: int = 8, symmetric: bool = False,
              **options) -> tuple[float, float]:
    """The clipping range ``(lo, hi)`` that ``method`` picks for the whole tensor.

    Seed 002's vector with its outlier: min-max keeps -99, the 75th percentile does not.

    >>> x = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2]
    >>> calibrate(x, "minmax", symmetric=True)
    (-99.0, 99.0)
    >>> calibrate(x, "percentile", symmetric=True, percentile=75)
    (-0.625, 0.625)

    ``percentile`` (default 99.99) uses numpy's exact linear-interpolation percentiles:
    symmetric ``amax = percentile(|x|, p)``, asymmetric ``lo = percentile(x, 100 - p)``,
    ``hi = percentile(x, p)``.
    """
    x = as_float_array(x)
    _check_finite(x)
    lo, hi = calibrate_rows(x.reshape(1, -1), method, bits=bits, symmetric=symmetric, **options)
    return float(lo[0]), float(hi[0])


def _check_layout(layout) -> Layout:
    if not isinstance(layout, Layout):
        raise ParameterTypeError("qparams_layout", value=repr(layout))
    return layout


def calibrate_layout(x, method: str = "minmax", *, layout: Layout, bits: int = 8,
                     symmetric: bool = False, **options) -> tuple[np.ndarray, np.ndarray]:
    """One range per (scale, zero point) of ``layout``: ``(lo, hi)`` in its parameter shape.

    >>> calibrate_layout([[1.0, -2.0], [3.0, 0.5]], layout=Layout.channel(0))
    (array([-2. ,  0.5]), array([1., 3.]))
    """
    x = as_float_array(x)
    _check_finite(x)
    layout = _check_layout(layout).resolve(x.shape)
    lo, hi = calibrate_rows(gran.to_rows(x, layout), method, bits=bits, symmetric=symmetric,
                            **options)
    return gran.from_rows(lo, x.shape, layout), gran.from_rows(hi, x.shape, layout)


def choose_qparams(x, *, bits: int = 8, symmetric: bool = False, method: str = "minmax",
                   granularity: str = "tensor", axis: int = 0, group_size: int = 64,
                   layout: Layout | None = None, signed: bool = True,
                   narrow_range: bool = False, include_zero: bool = True,
                   **options) -> QParams:
    """Calibrate ``x`` and build its QParams, per tensor, per channel or per group.

    Seed 003's Group A / Group B, per tensor and per channel (rows), symmetric 4-bit:

    >>> x = np.array([[30.0, 10, 20, 30], [0, 2, 2, 0]])
    >>> choose_qparams(x, bits=4, symmetric=True).scale
    4.285714285714286
    >>> choose_qparams(x, bits=4, symmetric=True, granularity="channel").scale
    array([4.28571429, 0.28571429])

    The layout is either ``layout`` (a :class:`Layout`) or, in keyword form for notebooks,
    ``granularity`` with ``axis`` (the channel axis, or the axis split into groups of
    ``group_size`` consecutive values; the last group may be partial).
    """
    x = as_float_array(x)
    if layout is None:
        layout = Layout.of(granularity, axis=axis, group_size=group_size)
    layout = _check_layout(layout).resolve(x.shape)
    lo, hi = calibrate_layout(x, method, layout=layout, bits=bits, symmetric=symmetric,
                              **options)
    return qparams_from_range(lo, hi, bits=bits, symmetric=symmetric, signed=signed,
                              narrow_range=narrow_range, include_zero=include_zero,
                              layout=layout)
