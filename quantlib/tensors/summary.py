"""What the workspace reports about a tensor, and how it drops or replaces NaN and Inf."""

from __future__ import annotations

import numpy as np

from ._arrays import ML_FLOATS

NONFINITE_POLICIES = ("replace", "drop")


def summarize(x) -> dict:
    """Shape, dtype, size, NaN/Inf counts and min/max/mean/std of the finite values.

    >>> s = summarize(np.array([1.0, 3.0, np.nan, np.inf], dtype=np.float32))
    >>> s["min"], s["max"], s["mean"], s["std"], s["nan_count"], s["posinf_count"]
    (1.0, 3.0, 2.0, 1.0, 1, 1)

    x: any real array (float, bfloat16/float8, int or uint). Statistics are Python floats
    over the finite values (population std, float64 accumulation), None when none are
    finite; counts are ints; shape is a tuple and dtype a str.
    """
    original = np.asarray(x)
    if original.dtype in ML_FLOATS:
        arr = original.astype(np.float32)
    elif original.dtype.kind in "fiu":
        arr = original
    else:
        raise TypeError(f"x must hold real numbers (float or int), got dtype {original.dtype}")
    flat = arr.reshape(-1)
    counts = {"nan_count": 0, "posinf_count": 0, "neginf_count": 0}
    if arr.dtype.kind == "f":
        finite = np.isfinite(flat)
        if not finite.all():
            counts = {"nan_count": int(np.count_nonzero(np.isnan(flat))),
                      "posinf_count": int(np.count_nonzero(flat == np.inf)),
                      "neginf_count": int(np.count_nonzero(flat == -np.inf))}
            flat = flat[finite]
    stats = dict.fromkeys(("min", "max", "mean", "std"))
    if flat.size:
        mean = np.mean(flat, dtype=np.float64)
        stats = {"min": float(flat.min()), "max": float(flat.max()), "mean": float(mean),
                 "std": float(np.std(flat, dtype=np.float64, mean=mean))}
    return {"shape": original.shape, "dtype": str(original.dtype), "size": int(original.size),
            **stats, **counts}


def clean_nonfinite(x, policy: str = "replace") -> np.ndarray:
    """A copy of ``x`` without NaN/Inf, so that it can be calibrated and quantized.

    ``replace`` keeps the shape: NaN becomes 0 and +-Inf the largest/smallest finite value
    (so the range is not widened). ``drop`` keeps only the finite values, as a 1-D array.

    >>> x = np.array([1.0, np.nan, -np.inf, 3.0], dtype=np.float32)
    >>> clean_nonfinite(x), clean_nonfinite(x, "drop")
    (array([1., 0., 1., 3.], dtype=float32), array([1., 3.], dtype=float32))
    """
    if policy not in NONFINITE_POLICIES:
        raise ValueError(f"policy must be one of {NONFINITE_POLICIES}, got {policy!r}")
    arr = np.asarray(x)
    finite = np.isfinite(arr)
    if policy == "drop":
        kept = arr[finite]
        if kept.size == 0:
            raise ValueError("every value is NaN or Inf: nothing finite is left to quantize")
        return kept
    values = arr[finite]
    low, high = (values.min(), values.max()) if values.size else (0.0, 0.0)
    return np.nan_to_num(arr, nan=0.0, posinf=high, neginf=low)
