"""Per-tensor, per-channel and per-group layouts.

Every granularity is handled the same way: the tensor is viewed as a 2-D array of
*rows*, one row per (scale, zero_point) pair, calibrated row by row, and the per-row
parameters are reshaped back to the layout that ``QParams`` documents.
"""

from __future__ import annotations

import numpy as np

from .qtypes import GRANULARITIES


def normalize_axis(axis: int, ndim: int) -> int:
    """A valid non-negative axis for an ``ndim``-dimensional tensor.

    >>> normalize_axis(-1, 2)
    1
    """
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-D tensor "
                         f"(allowed: {-ndim} to {ndim - 1})")
    return int(axis) % ndim


def check_layout(shape: tuple[int, ...], granularity: str, axis: int, group_size: int) -> int:
    """Validate a granularity for a tensor shape and return the normalized axis.

    >>> check_layout((4, 10), "group", -1, 4)
    1
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    if granularity == "tensor":
        return 0
    if len(shape) == 0:
        raise ValueError(f"per-{granularity} quantization needs at least a 1-D tensor")
    axis = normalize_axis(axis, len(shape))
    if granularity == "group" and (
        isinstance(group_size, bool) or not isinstance(group_size, int | np.integer)
        or group_size < 1
    ):
        raise ValueError(f"group_size must be a positive integer, got {group_size!r}")
    return axis


def num_groups(n: int, group_size: int) -> int:
    """How many groups of ``group_size`` cover ``n`` values (the last may be partial).

    >>> num_groups(10, 4)
    3
    """
    return -(-n // group_size)


def param_shape(shape: tuple[int, ...], granularity: str, axis: int = 0,
                group_size: int = 64) -> tuple[int, ...]:
    """The shape of ``scale`` / ``zero_point`` for a tensor of ``shape``.

    >>> param_shape((4, 10), "channel", 0), param_shape((4, 10), "group", 1, 4)
    ((4,), (4, 3))
    """
    axis = check_layout(shape, granularity, axis, group_size)
    if granularity == "tensor":
        return ()
    if granularity == "channel":
        return (shape[axis],)
    out = list(shape)
    out[axis] = num_groups(shape[axis], group_size)
    return tuple(out)


# A transposed 2-D view is copied this many source rows at a time: each block stays in
# the cache, about 4x faster than numpy's element-by-element strided copy on 16M values.
_TRANSPOSE_ROWS = 16
_TRANSPOSE_MIN_SIZE = 1 << 16


def contiguous(a: np.ndarray) -> np.ndarray:
    """``a`` as a C-contiguous array (itself when it already is).

    >>> x = np.arange(6).reshape(2, 3)
    >>> contiguous(x.T).tolist(), contiguous(x) is x
    ([[0, 3], [1, 4], [2, 5]], True)
    """
    if a.flags.c_contiguous:
        return a
    if a.ndim == 2 and a.T.flags.c_contiguous and a.size >= _TRANSPOSE_MIN_SIZE:
        source, out = a.T, np.empty(a.shape, dtype=a.dtype)
        for start in range(0, source.shape[0], _TRANSPOSE_ROWS):
            stop = start + _TRANSPOSE_ROWS
            out[:, start:stop] = source[start:stop].T
        return out
    return np.ascontiguousarray(a)


def to_rows(x: np.ndarray, granularity: str, axis: int = 0, group_size: int = 64, *,
            fill: float = np.nan) -> np.ndarray:
    """View ``x`` as 2-D rows, one row per quantization group.

    A trailing partial group is padded with ``fill``: NaN, which the calibrators ignore,
    or a harmless value such as 0 for arithmetic that :func:`rows_to_tensor` undoes.
    An integer tensor padded with NaN is widened to float64 first (an integer has no NaN).

    >>> to_rows(np.arange(5.0), "group", 0, 2)
    array([[ 0.,  1.],
           [ 2.,  3.],
           [ 4., nan]])

    Returns an array of shape (number of parameter pairs, values per row).
    """
    axis = check_layout(x.shape, granularity, axis, group_size)
    if granularity == "tensor":
        return x.reshape(1, -1)
    if granularity == "channel":
        return contiguous(np.moveaxis(x, axis, 0)).reshape(x.shape[axis], -1)
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    pad = num_groups(n, group_size) * group_size - n
    if pad:
        dtype = x.dtype
        if np.isnan(fill) and dtype.kind not in "fc":
            dtype = np.dtype(np.float64)
        filler = np.full(moved.shape[:-1] + (pad,), fill, dtype=dtype)
        moved = np.concatenate([moved, filler], axis=-1)
    return contiguous(moved).reshape(-1, group_size)


def rows_to_tensor(rows: np.ndarray, shape: tuple[int, ...], granularity: str, axis: int = 0,
                   group_size: int = 64) -> np.ndarray:
    """Undo :func:`to_rows`: put row values back in the tensor's layout, dropping padding.

    >>> x = np.arange(10.0).reshape(2, 5)
    >>> np.array_equal(rows_to_tensor(to_rows(x, "group", 1, 2), x.shape, "group", 1, 2), x)
    True
    """
    axis = check_layout(shape, granularity, axis, group_size)
    if granularity == "tensor":
        return rows.reshape(shape)
    moved = list(shape)
    moved.insert(0 if granularity == "channel" else len(shape), moved.pop(axis))
    if granularity == "channel":
        return np.moveaxis(rows.reshape(moved), 0, axis)
    padded = rows.reshape(moved[:-1] + [-1])[..., : shape[axis]]
    return np.moveaxis(padded, -1, axis)


def row_params(param, shape: tuple[int, ...], granularity: str, axis: int | None = 0,
               group_size: int | None = 64) -> np.ndarray:
    """A parameter array in row order, shaped (rows, 1) to broadcast against ``to_rows``.

    >>> row_params(np.array([[1.0, 2.0], [3.0, 4.0]]), (2, 3), "group", 1, 2).ravel()
    array([1., 2., 3., 4.])
    """
    axis = 0 if axis is None else axis
    group_size = 64 if group_size is None else group_size
    expected = param_shape(shape, granularity, axis, group_size)
    param = np.asarray(param)
    if param.shape != expected:
        raise ValueError(
            f"these qparams hold {granularity} parameters of shape {param.shape}, "
            f"but a tensor of shape {tuple(shape)} needs shape {expected}; "
            "compute qparams on this tensor (choose_qparams) first"
        )
    if granularity == "group":
        param = np.moveaxis(param, normalize_axis(axis, len(shape)), -1)
    return param.reshape(-1, 1)


def row_of(positions, shape: tuple[int, ...], granularity: str, axis: int = 0,
           group_size: int = 64) -> np.ndarray:
    """The row (parameter pair) that each flat position of a tensor belongs to.

    >>> row_of(np.arange(6), (2, 3), "group", 1, 2)
    array([0, 0, 1, 2, 2, 3])
    """
    positions = np.asarray(positions, dtype=np.intp)
    axis = check_layout(shape, granularity, axis, group_size)
    if granularity == "tensor":
        return np.zeros(positions.shape, dtype=np.intp)
    index = list(np.unravel_index(positions, shape))
    if granularity == "channel":
        return index[axis]
    along = index.pop(axis) // group_size
    moved = [n for i, n in enumerate(shape) if i != axis]
    return np.ravel_multi_index(index + [along], moved + [num_groups(shape[axis], group_size)])


def from_rows(values: np.ndarray, shape: tuple[int, ...], granularity: str, axis: int = 0,
              group_size: int = 64) -> np.ndarray:
    """Reshape one value per row (from :func:`to_rows`) into the parameter layout.

    >>> from_rows(np.array([1.0, 2.0, 3.0]), (5,), "group", 0, 2)
    array([1., 2., 3.])
    """
    axis = check_layout(shape, granularity, axis, group_size)
    if granularity == "tensor":
        return values.reshape(())
    if granularity == "channel":
        return values.reshape(shape[axis])
    moved_shape = tuple(np.delete(np.array(shape), axis)) + (num_groups(shape[axis], group_size),)
    return np.moveaxis(values.reshape(moved_shape), -1, axis)


def select(x: np.ndarray, granularity: str, axis: int = 0, group_size: int = 64,
           index: int = 0) -> np.ndarray:
    """The values of ``x`` that share parameter pair number ``index`` (in row order).

    >>> select(np.arange(6.0).reshape(2, 3), "channel", 1, index=2)
    array([2., 5.])
    """
    rows = to_rows(x, granularity, axis, group_size, fill=0)
    if not 0 <= index < rows.shape[0]:
        raise ValueError(f"index {index} is out of range: there are {rows.shape[0]} "
                         f"{granularity} parameter pairs")
    if granularity != "group":
        return rows[index].copy()
    n = x.shape[normalize_axis(axis, x.ndim)]
    group = index % num_groups(n, group_size)
    return rows[index, : min(group_size, n - group * group_size)].copy()
