"""Checks every reader applies to an array it found: its shape, its type and its range."""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from .._validate import MAX_ELEMENTS
from .errors import LoadText, load_error, scientific, show

# Tensors per .npz or .safetensors file: plenty for a workspace, and bounds the work a
# file with millions of tiny entries could cause.
MAX_TENSORS_PER_FILE = 1024
# Below numpy's own limit on dimensions (64 in numpy 2, 32 in numpy 1).
MAX_LOAD_NDIM = 32
# The lab computes in float32: a finite value beyond this would become inf and poison
# every scale, error and metric computed from the tensor.
FLOAT32_MAX = float(np.finfo(np.float32).max)

ML_FLOATS = tuple(np.dtype(t) for t in (ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn,
                                        ml_dtypes.float8_e5m2))


def check_tensor_shape(shape: tuple, label: LoadText) -> int:
    """The element count of ``shape``, refusing 0-d, empty, oversized or odd shapes.

    >>> check_tensor_shape((2, 3), LoadText("label_npy", "This .npy file", {}))
    6
    """
    if len(shape) > MAX_LOAD_NDIM:
        raise load_error("too_many_dims", label=label, ndim=str(len(shape)),
                         limit=str(MAX_LOAD_NDIM))
    if any(d < 0 for d in shape):
        raise load_error("impossible_shape", label=label, shape=show(str(shape)))
    if not shape:
        raise load_error("zero_dim", label=label)
    count = math.prod(shape)
    if count == 0:
        raise load_error("no_values", label=label, shape=str(shape))
    if count > MAX_ELEMENTS:
        raise load_error("too_many_values", label=label, count=f"{count:,}", shape=str(shape),
                         limit=f"{MAX_ELEMENTS:,}")
    return count


def check_float32_range(x: np.ndarray, label: LoadText) -> np.ndarray:
    """``x`` itself, once no finite value of it lies beyond float32's largest finite value.

    NaN and ±Inf pass: the workspace reports them and offers to drop or replace them.

    >>> label = LoadText("label_npy", "This .npy file", {})
    >>> check_float32_range(np.array([3e38, np.inf, np.nan]), label)
    array([3.e+38,    inf,    nan])
    >>> try:
    ...     check_float32_range(np.array([1e300, -np.inf, 1.0]), label)
    ... except ValueError as err:
    ...     print(err.code, err.params["largest"], err.params["limit"])
    beyond_float32 1e300 3.4e38
    """
    if x.dtype.itemsize <= np.dtype(np.float32).itemsize:
        return x  # float32 and narrower floats, or ints read as float32: in range by type
    # Two comparisons rather than abs(x): boolean temporaries are an eighth of the size.
    outside = x > FLOAT32_MAX
    outside |= x < -FLOAT32_MAX
    if outside.any():
        outside &= np.isfinite(x)
        if outside.any():
            raise load_error("beyond_float32", label=label,
                             largest=scientific(float(np.abs(x[outside]).max())),
                             limit=scientific(FLOAT32_MAX, 2))
    return x


def to_float(arr: np.ndarray, label: LoadText) -> np.ndarray:
    """A fresh, writeable, C-ordered float copy: float32/float64 kept, the rest float32.

    >>> to_float(np.array([1, 2], np.int8), LoadText("label_npy", "This .npy file", {}))
    array([1., 2.], dtype=float32)
    """
    dtype = arr.dtype
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        target = np.dtype(f"f{dtype.itemsize}")
    elif dtype.kind in "iu" or (dtype.kind == "f" and dtype.itemsize == 2) or (
            dtype in ML_FLOATS):
        target = np.dtype(np.float32)
    else:
        raise load_error("not_real_numbers", label=label, dtype=show(str(dtype)))
    return check_float32_range(np.array(arr, dtype=target, order="C", copy=True), label)
