"""Fast fixed-width histograms, so that charts of 16M values send only a few numbers.

``np.histogram`` is about 3x slower on 16M float32 values than indexing + bincount over
cache-sized blocks; a chart only needs the counts, not numpy's exact edge handling.
"""

from __future__ import annotations

import numpy as np

_BLOCK = 1 << 16
# A constant tensor has no width; widen it by this much either side so bins exist.
_DEGENERATE_HALF_WIDTH = 0.5


def padded_range(lo: float, hi: float, *, margin: float = 0.0) -> tuple[float, float]:
    """A finite, non-empty display range around [lo, hi], widened by ``margin`` of its width.

    >>> padded_range(2.0, 2.0)
    (1.5, 2.5)
    >>> padded_range(-1.0, 1.0, margin=0.05)
    (-1.1, 1.1)
    """
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"need a finite range with lo <= hi, got [{lo}, {hi}]")
    if hi == lo:
        half = max(abs(lo) * margin, _DEGENERATE_HALF_WIDTH)
        return lo - half, hi + half
    pad = (hi - lo) * margin
    return lo - pad, hi + pad


def _bin_index(values: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Bin numbers 0..bins-1, or -1 for values outside [lo, hi] (NaN included)."""
    # float32 is plenty to pick a display bin and halves the memory traffic.
    dtype = np.float32 if values.dtype.itemsize <= 4 else np.float64
    y = (values.astype(dtype, copy=False) - dtype(lo)) * dtype(bins / (hi - lo))
    inside = (y >= 0) & (y <= bins)
    idx = np.minimum(np.where(inside, y, -1), bins - 1).astype(np.intp)
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
    return counts[1:], np.linspace(lo, hi, bins + 1)


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


def _check_bins(bins: int, lo: float, hi: float) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"the range must be finite with lo < hi, got [{lo}, {hi}]; "
                         "use padded_range for constant data")
