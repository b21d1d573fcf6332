"""Fast fixed-width histograms, so that charts of 16M values send only a few numbers.

``np.histogram`` is about 3x slower on 16M float32 values than indexing + bincount over
cache-sized blocks; a chart only needs the counts, not numpy's exact edge handling.
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import Interval, ParameterError

_BLOCK = 1 << 16
BINS = Interval(int, 1, None)
MARGIN = Interval(float, 0.0, None)
# A constant tensor has no width; widen it by this much either side (or by this fraction
# of its value, when that is more) so bins exist.
_DEGENERATE_HALF_WIDTH = 0.5
_DEGENERATE_RELATIVE = 0.05
_F64_MAX = float(np.finfo(np.float64).max)
_F32 = np.finfo(np.float32)
# Bin factors and values between these are safe in float32 arithmetic (far from
# underflow and overflow), and a bin must be this many float32 ulps wide.
_F32_SAFE = (float(_F32.tiny) * 2**24, float(_F32.max) / 2**24)
_F32_ULPS_PER_BIN = 64


def padded_range(lo: float, hi: float, *, margin: float = 0.0) -> tuple[float, float]:
    """A finite, non-empty display range around [lo, hi], widened by ``margin`` of its width.

    >>> padded_range(2.0, 2.0)
    (1.5, 2.5)
    >>> padded_range(-1.0, 1.0, margin=0.05)
    (-1.1, 1.1)

    A zero-width range is widened by ``margin`` of its value or 0.5, whichever is more
    (5% of its value when 0.5 would not change it, as for 1e20); the result is clamped
    to the finite float64 range.
    """
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ParameterError("display_range", lo=str(lo), hi=str(hi))
    margin = MARGIN.check("margin", margin)
    if hi == lo:
        pad = max(abs(lo) * margin, _DEGENERATE_HALF_WIDTH)
        if lo - pad == lo:  # 0.5 is below the spacing of floats this large
            pad = abs(lo) * _DEGENERATE_RELATIVE
    else:
        pad = hi * margin - lo * margin  # (hi - lo) * margin without overflowing
    return max(lo - pad, -_F64_MAX), min(hi + pad, _F64_MAX)


def _inward_bounds(lo: float, hi: float, dtype: np.dtype) -> tuple:
    """[lo, hi] rounded inward to numbers of ``dtype``, so that comparing values of that
    dtype with them is exact (numpy compares float32 data in float32)."""
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return lo, hi
    info = np.finfo(dtype)
    inf = dtype.type(np.inf)
    with np.errstate(over="ignore"):
        low, high = dtype.type(lo), dtype.type(hi)
    if float(low) < lo:
        low = np.nextafter(low, inf)
    if float(high) > hi:
        high = np.nextafter(high, -inf)
    # Beyond the dtype's range the cast gives +-inf: no finite value lies out there.
    if lo < float(info.min):
        low = info.min
    if hi > float(info.max):
        high = info.max
    return low, high


def _bin_index(values: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Bin numbers 0..bins-1, or -1 for values outside [lo, hi] (NaN included).

    Whether a value is inside is decided by exact comparisons with lo and hi; only the
    bin position is computed approximately, so a value equal to hi is never lost.
    """
    span = hi - lo
    shift = 0
    if not (np.isfinite(span) and np.isfinite(bins / span)):
        # Scale by a power of two (exact) so that the arithmetic stays finite.
        shift = -math.frexp(max(abs(lo), abs(hi)) if not np.isfinite(span) else span)[1]
    low, high = _inward_bounds(lo, hi, values.dtype)
    inside = (values >= low) & (values <= high)
    lo, hi = math.ldexp(lo, shift), math.ldexp(hi, shift)
    factor = bins / (hi - lo)
    extent = max(abs(lo), abs(hi))
    # float32 is plenty to pick a display bin and halves the memory traffic, as long as
    # the numbers stay well inside float32's normal range and a bin spans many ulps.
    small = (values.dtype.itemsize <= 4 and shift == 0 and _F32_SAFE[0] < factor < _F32_SAFE[1]
             and extent < _F32_SAFE[1]
             and (hi - lo) > _F32_ULPS_PER_BIN * bins * extent * float(_F32.eps))
    dtype = np.float32 if small else np.float64
    v = values.astype(dtype, copy=False)
    if shift:
        v = np.ldexp(v, shift)
    with np.errstate(over="ignore", invalid="ignore"):
        y = (v - dtype(lo)) * dtype(factor)
    y[~inside] = 0
    np.clip(y, 0, bins - 1, out=y)
    idx = y.astype(np.intp)
    idx[~inside] = -1
    return idx


def histogram(x, bins: int, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``x`` in ``bins`` equal-width bins over [lo, hi]; values outside are dropped.

    >>> counts, edges = histogram([0.0, 0.1, 0.9, 1.0, 5.0], 2, 0.0, 1.0)
    >>> counts, edges
    (array([2, 2]), array([0. , 0.5, 1. ]))

    Returns ``(counts int64 (bins,), edges float64 (bins + 1,))``.
    """
    _check_bins(bins, lo, hi)
    flat = np.asarray(x).reshape(-1)
    counts = np.zeros(bins + 1, dtype=np.int64)
    for start in range(0, flat.size, _BLOCK):
        counts += np.bincount(_bin_index(flat[start:start + _BLOCK], lo, hi, bins) + 1,
                              minlength=bins + 1)
    return counts[1:], edges(lo, hi, bins)


def histogram2d(x, y, bins: tuple[int, int], x_range: tuple[float, float],
                y_range: tuple[float, float]) -> np.ndarray:
    """Joint counts of (x, y) pairs on a ``bins[0]`` x ``bins[1]`` grid; pairs outside dropped.

    >>> histogram2d([0.1, 0.9, 0.9], [0.1, 0.9, 0.8], (2, 2), (0, 1), (0, 1))
    array([[1, 0],
           [0, 2]])

    Returns int64 of shape ``bins`` (x bins along axis 0).
    """
    nx, ny = bins
    _check_bins(nx, *x_range)
    _check_bins(ny, *y_range)
    fx, fy = np.asarray(x).reshape(-1), np.asarray(y).reshape(-1)
    if fx.shape != fy.shape:
        raise ValueError(f"x and y must have the same size, got {fx.size} and {fy.size}")
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for start in range(0, fx.size, _BLOCK):
        ix = _bin_index(fx[start:start + _BLOCK], *x_range, nx)
        iy = _bin_index(fy[start:start + _BLOCK], *y_range, ny)
        cell = np.where((ix >= 0) & (iy >= 0), ix * ny + iy, -1)
        counts += np.bincount(cell + 1, minlength=nx * ny + 1)
    return counts[1:].reshape(nx, ny)


def edges(lo: float, hi: float, bins: int) -> np.ndarray:
    """The ``bins + 1`` equal-width bin edges over [lo, hi] (finite even when hi - lo is not).

    >>> edges(0.0, 1.0, 4)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    if np.isfinite(hi - lo):
        return np.linspace(lo, hi, bins + 1)
    return np.linspace(lo / 2, hi / 2, bins + 1) * 2


def _check_bins(bins: int, lo: float, hi: float) -> None:
    BINS.check("bins", bins)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ParameterError("bin_range",
                             lo=str(lo), hi=str(hi))
