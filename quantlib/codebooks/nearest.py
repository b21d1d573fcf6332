"""Nearest-level quantization onto a codebook: thresholds at the midpoints of the levels,
indices by comparison (never an x-by-levels distance matrix), and the lookup back.

>>> levels = [-1.0, 0.0, 0.5, 1.0]
>>> idx = quantize_to_codebook([-0.7, 0.25, 0.3, 2.0], levels)
>>> idx, dequantize_codebook(idx, levels)
(array([0, 1, 2, 3], dtype=uint8), array([-1. ,  0. ,  0.5,  1. ], dtype=float32))
"""

from __future__ import annotations

import numpy as np

from .._validate import ParameterError, ParameterTypeError
from ..uniform import as_float_array

# quantize_to_codebook works through x in chunks that stay in the CPU cache. Up to this
# many levels, counting the thresholds below each value (one compare per threshold) is
# about four times faster than np.searchsorted on unsorted values.
_CHUNK = 1 << 14
_COMPARE_MAX_LEVELS = 64
_F32 = np.finfo(np.float32)
# From this many levels on, a value's count of thresholds below it starts from a table
# over _BUCKETS equal buckets of the thresholds' range and steps over the few
# thresholds of its own bucket: a handful of passes, however many levels. Codebooks
# whose thresholds crowd into one bucket (log2's powers of two near 0) keep the
# comparisons or np.searchsorted.
_BUCKET_MIN_LEVELS = 24
_BUCKETS = 4096
_BUCKET_MAX_CUTS = 3


def code_bits(n_levels: int) -> int:
    """Bits of one index into ``n_levels`` levels: ceil(log2(n_levels)).

    >>> code_bits(16), code_bits(15), code_bits(253), code_bits(1)
    (4, 4, 8, 0)
    """
    return (int(n_levels) - 1).bit_length()


def codebook_max(levels) -> float:
    """``max|level|``: what a block's absmax is divided by to give its scale.

    >>> codebook_max([-6.0, -0.5, 0.0, 4.0])
    6.0
    """
    return float(np.max(np.abs(_check_levels(levels))))


def _distinct(values) -> np.ndarray:
    # -0 and +0 are one level; np.unique would keep whichever came first, so add +0.0,
    # which turns -0 into +0, and a zero level never dequantizes to -0.
    return np.unique(values) + 0.0


def _check_levels(levels) -> np.ndarray:
    arr = as_float_array(levels, name="levels").astype(np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all() or np.any(
            np.diff(arr) <= 0):
        raise ParameterError("param_range", name="levels",
                             allowed="a 1-D array of finite, strictly increasing values",
                             value=_brief(arr))
    return arr


def _brief(arr: np.ndarray) -> str:
    text = np.array2string(np.asarray(arr).reshape(-1)[:4], precision=4)
    return text if np.size(arr) <= 4 else text[:-1] + " ...]"


def _midpoints(levels: np.ndarray) -> np.ndarray:
    # Halves first: a + b overflows for levels near +-1.8e308.
    return levels[:-1] / 2 + levels[1:] / 2


def thresholds(levels) -> np.ndarray:
    """The decision thresholds of nearest-level quantization: midpoints of neighbours.

    >>> thresholds([-1.0, 0.0, 0.5, 1.0]).tolist()
    [-0.5, 0.25, 0.75]
    """
    return _midpoints(_check_levels(levels))


def _thresholds_in(levels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Thresholds of ``dtype`` with the same decisions as the exact midpoints m for every
    value of ``dtype``: ``y <= t`` exactly when y is at least as near the lower level."""
    exact = _midpoints(levels)
    with np.errstate(over="ignore"):
        rounded = exact.astype(dtype)
    # subtle: a float32 midpoint that rounded up sits above m, nearer the upper level;
    # comparing against it would send that one value down. Step to the float below.
    return np.where(rounded > exact, np.nextafter(rounded, dtype.type(-np.inf)), rounded)


def _index_dtype(n_levels: int) -> np.dtype:
    return np.min_scalar_type(n_levels - 1)


class _Buckets:
    """Counting thresholds below a value from a bucket table (see _BUCKET_MIN_LEVELS).

    subtle: the bucket of v is floor((v - lo) * inv), computed in the thresholds' dtype
    for values and thresholds alike. That is monotone in v, so every threshold in a lower
    bucket than y's is below y and every one in a higher bucket above it: the table's
    count (thresholds in lower buckets) is exact up to the thresholds of y's own bucket,
    which the passes step over.
    """

    def __init__(self, cuts: np.ndarray) -> None:
        kind = cuts.dtype.type
        self.lo = kind(cuts[0])
        with np.errstate(over="ignore", divide="ignore"):
            self.inv = kind(_BUCKETS / (float(cuts[-1]) - float(cuts[0])))
        own = self.bucket(cuts)
        self.table = np.searchsorted(own, np.arange(_BUCKETS)).astype(np.int32)
        self.crowd = int(np.bincount(own, minlength=1).max())
        self.padded = np.append(cuts, kind(np.inf))  # a step past the last one never wins

    def bucket(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            t = (v - self.lo) * self.inv
        return np.clip(t, 0, _BUCKETS - 1).astype(np.int32)

    def count_below(self, chunk: np.ndarray) -> np.ndarray:
        idx = self.table[self.bucket(chunk)]
        for _ in range(self.crowd):
            idx += self.padded[idx] < chunk
        return idx


def _indices_into(y: np.ndarray, cuts: np.ndarray, out: np.ndarray, scale=None) -> None:
    """``out[...] = number of thresholds below y / scale`` for flat y, chunk by chunk
    (dividing a chunk at a time keeps it in the cache too)."""
    mask = np.empty(min(y.size, _CHUNK), dtype=bool)
    work = np.empty(min(y.size, _CHUNK), dtype=cuts.dtype) if scale is not None else None
    buckets = None
    if cuts.size + 1 >= _BUCKET_MIN_LEVELS and np.isfinite(cuts[[0, -1]]).all() and (
            cuts[-1] > cuts[0]):
        buckets = _Buckets(cuts)
        if buckets.crowd > _BUCKET_MAX_CUTS:
            buckets = None
    few = cuts.size < _COMPARE_MAX_LEVELS
    for start in range(0, y.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        chunk, into = y[part], out[part]
        if scale is not None:
            with np.errstate(over="ignore"):  # beyond float32: +-inf, which saturates
                chunk = np.divide(chunk, scale, out=work[: chunk.size], casting="unsafe")
        if buckets is not None:
            into[...] = buckets.count_below(chunk)
        elif few:
            into[...] = 0
            below = mask[: chunk.size]
            for cut in cuts:  # numpy scalars of y's dtype: no float64 upcast
                np.greater(chunk, cut, out=below)
                into += below
        else:
            into[...] = np.searchsorted(cuts, chunk, side="left")


def _scale_array(scale, shape: tuple[int, ...]) -> np.ndarray:
    s = as_float_array(scale, name="scale").astype(np.float64)
    try:
        fits = np.broadcast_shapes(s.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits or not np.isfinite(s).all() or np.any(s < 0):
        raise ParameterError("param_range", name="scale",
                             allowed=f"a finite number >= 0, or an array of them "
                                     f"broadcastable to x's shape {shape}",
                             value=_brief(s) if s.size > 1 else str(s.reshape(-1)[:1]))
    return s


def _work_dtype(x: np.ndarray, s: np.ndarray) -> np.dtype:
    # float32 division unless a scale is beyond float32's normal range (as uniform.py).
    nonzero = s[s > 0]
    if x.dtype == np.float32 and (nonzero.size == 0 or (
            nonzero.min() >= _F32.tiny and nonzero.max() <= _F32.max)):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def quantize_to_codebook(x, levels, *, scale=1.0) -> np.ndarray:
    """The index of the level nearest to ``x / scale``, for every value of x.

    >>> quantize_to_codebook([-0.7, 0.25, 0.3, 2.0], [-1.0, 0.0, 0.5, 1.0])
    array([0, 1, 2, 3], dtype=uint8)

    The decision thresholds are the midpoints of neighbouring levels (:func:`thresholds`),
    found by comparison, never with an x-by-levels distance matrix. A value exactly on a
    midpoint goes to the lower level (0.25 above). Beyond the end levels values saturate
    to them (+-inf too); NaN raises ParameterError.

    ``scale`` is a number or an array broadcastable to x (per block, say) of finite
    values >= 0. ``x / scale`` is computed in x's float dtype (float64 when a scale is
    beyond float32's normal range). A zero scale (an all-zero block) reads ``x / 0`` as 0:
    the index of the level nearest 0, never NaN.

    Returns indices of x's shape in the smallest unsigned dtype that holds them (uint8
    up to 256 levels).
    """
    x = as_float_array(x)
    lv = _check_levels(levels)
    s = _scale_array(scale, x.shape)
    if x.size and np.isnan(np.min(x)):
        raise ParameterError("nan_input")
    work = _work_dtype(x, s)
    cuts = _thresholds_in(lv, work)
    out = np.empty(x.shape, dtype=_index_dtype(lv.size))
    flat_out = out.reshape(-1)
    if s.size == 1:
        factor = work.type(s.reshape(-1)[0])
        if factor == 0:
            flat_out[...] = np.argmin(np.abs(lv))  # the level nearest 0 (the lower on a tie)
        else:
            _indices_into(x.reshape(-1), cuts, flat_out, None if factor == 1 else factor)
        return out
    y = np.zeros(x.shape, dtype=work)
    with np.errstate(over="ignore"):
        np.divide(x, s.astype(work), out=y, where=s != 0, casting="unsafe")
    _indices_into(y.reshape(-1), cuts, flat_out)
    return out


def dequantize_codebook(indices, levels, *, scale=1.0) -> np.ndarray:
    """``levels[indices] * scale``, formed in float64 and rounded once to float32.

    >>> dequantize_codebook(np.array([0, 2, 3]), [-1.0, 0.0, 0.5, 1.0], scale=2.0)
    array([-2.,  1.,  2.], dtype=float32)

    ``scale`` is as in :func:`quantize_to_codebook`. Products beyond float32's range
    saturate to +-3.4028235e38. Returns float32 of the broadcast shape.
    """
    q = np.asarray(indices)
    if q.dtype.kind not in "iu":
        raise ParameterTypeError("not_codes", dtype=str(q.dtype))
    lv = _check_levels(levels)
    if q.size and (int(q.min()) < 0 or int(q.max()) >= lv.size):
        raise ParameterError("param_range", name="indices",
                             allowed=f"integers from 0 to {lv.size - 1}",
                             value=f"{int(q.min())} to {int(q.max())}")
    s = _scale_array(scale, q.shape)
    if s.ndim == 0:
        # One scale: scale the table once and gather float32 values (the same products,
        # rounded once), far cheaper than forming a float64 array of x's size.
        table = lv * s + 0.0  # a negative level times a zero scale is -0: make it +0
        return np.clip(table, _F32.min, _F32.max).astype(np.float32)[q]
    values = lv[q] * s
    values += 0.0  # a negative level times a zero scale is -0: make it +0
    return np.clip(values, _F32.min, _F32.max, out=values).astype(np.float32)
