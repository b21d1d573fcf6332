"""Calibration: choosing the clipping range [lo, hi] that the quantizer maps onto integers."""

from __future__ import annotations

import numpy as np

from . import granularity as gran
from .qtypes import QParams, check_bits
from .uniform import as_float_array, qparams_from_range

METHODS = ("minmax", "percentile")
DEFAULT_PERCENTILE = 99.99
# Asymmetric percentile clips 100 - p from the bottom, so p below 50 would give lo > hi.
MIN_PERCENTILE = 50.0


def _percentile_option(options: dict) -> float:
    p = options.pop("percentile", DEFAULT_PERCENTILE)
    if isinstance(p, bool) or not isinstance(p, int | float | np.floating | np.integer):
        raise TypeError(f"percentile must be a number, got {p!r}")
    if not MIN_PERCENTILE <= p <= 100:
        raise ValueError(f"percentile must be from {MIN_PERCENTILE} to 100, got {p}")
    return float(p)


def calibrate_rows(rows: np.ndarray, method: str = "minmax", *, bits: int = 8,
                   symmetric: bool = False, **options) -> tuple[np.ndarray, np.ndarray]:
    """One range per row of a 2-D array (NaN entries, from group padding, are ignored).

    >>> calibrate_rows(np.array([[1.0, -2.0], [3.0, np.nan]]), "minmax")
    (array([-2.,  3.]), array([1., 3.]))

    Returns ``(lo, hi)``, float64 arrays of shape (rows,). Symmetric ranges are
    ``(-amax, amax)``.
    """
    check_bits(bits)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    options = dict(options)
    padded = bool(np.isnan(rows).any())
    if method == "minmax":
        lo, hi = np.fmin.reduce(rows, axis=1), np.fmax.reduce(rows, axis=1)
        if symmetric:
            amax = np.maximum(np.abs(lo), np.abs(hi))
            lo, hi = -amax, amax
    else:
        p = _percentile_option(options)
        pct = np.nanpercentile if padded else np.percentile
        if symmetric:
            hi = pct(np.abs(rows), p, axis=1)
            lo = -hi
        else:
            lo, hi = pct(rows, [100.0 - p, p], axis=1)
    if options:
        raise TypeError(f"unknown options for method {method!r}: {sorted(options)}")
    return np.asarray(lo, np.float64), np.asarray(hi, np.float64)


def _check_finite(x: np.ndarray) -> None:
    if x.size == 0:
        raise ValueError("cannot calibrate an empty tensor: it has no values to take a range from")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or Inf; drop or replace them before calibrating "
                         "(a range with Inf in it has no finite scale)")


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


def choose_qparams(x, *, bits: int = 8, symmetric: bool = False, method: str = "minmax",
                   granularity: str = "tensor", axis: int = 0, group_size: int = 64,
                   signed: bool = True, narrow_range: bool = False, include_zero: bool = True,
                   **options) -> QParams:
    """Calibrate ``x`` and build its QParams, per tensor, per channel or per group.

    Seed 003's Group A / Group B, per tensor and per channel (rows), symmetric 4-bit:

    >>> x = np.array([[30.0, 10, 20, 30], [0, 2, 2, 0]])
    >>> choose_qparams(x, bits=4, symmetric=True).scale
    4.285714285714286
    >>> choose_qparams(x, bits=4, symmetric=True, granularity="channel").scale
    array([4.28571429, 0.28571429])

    ``axis`` is the channel axis (per-channel) or the axis split into groups of
    ``group_size`` consecutive values (per-group; the last group may be partial).
    """
    x = as_float_array(x)
    _check_finite(x)
    axis = gran.check_layout(x.shape, granularity, axis, group_size)
    rows = gran.to_rows(x, granularity, axis, group_size)
    lo, hi = calibrate_rows(rows, method, bits=bits, symmetric=symmetric, **options)
    layout = (x.shape, granularity, axis, group_size)
    return qparams_from_range(
        gran.from_rows(lo, *layout), gran.from_rows(hi, *layout), bits=bits,
        symmetric=symmetric, signed=signed, narrow_range=narrow_range,
        include_zero=include_zero, granularity=granularity,
        axis=None if granularity == "tensor" else axis,
        group_size=group_size if granularity == "group" else None,
    )
