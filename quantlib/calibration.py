"""Calibration: choosing the clipping range [lo, hi] that the quantizer maps onto integers."""

from __future__ import annotations

import numpy as np

from . import granularity as gran
from ._validate import BITS, PERCENTILE, Options, ParameterError, ParameterTypeError
from .qtypes import Layout, QParams
from .uniform import as_float_array, qparams_from_range

METHODS = ("minmax", "percentile")
METHOD = Options(METHODS)
DEFAULT_PERCENTILE = 99.99


def calibrate_rows(rows: np.ndarray, method: str = "minmax", *, bits: int = 8,
                   symmetric: bool = False, **options) -> tuple[np.ndarray, np.ndarray]:
    """One range per row of a 2-D array (NaN entries, from group padding, are ignored).

    >>> calibrate_rows(np.array([[1.0, -2.0], [3.0, np.nan]]), "minmax")
    (array([-2.,  3.]), array([1., 3.]))

    Returns ``(lo, hi)``, float64 arrays of shape (rows,). Symmetric ranges are
    ``(-amax, amax)``.
    """
    BITS.check("bits", bits)
    METHOD.check("method", method)
    options = dict(options)
    padded = bool(np.isnan(rows).any())
    if method == "minmax":
        lo, hi = np.fmin.reduce(rows, axis=1), np.fmax.reduce(rows, axis=1)
        if symmetric:
            amax = np.maximum(np.abs(lo), np.abs(hi))
            lo, hi = -amax, amax
    else:
        p = PERCENTILE.check("percentile", options.pop("percentile", DEFAULT_PERCENTILE))
        pct = np.nanpercentile if padded else np.percentile
        if symmetric:
            hi = pct(np.abs(rows), p, axis=1)
            lo = -hi
        else:
            lo, hi = pct(rows, [100.0 - p, p], axis=1)
    if options:
        raise ParameterTypeError("unknown_options", method=repr(method), names=str(sorted(options)))
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
