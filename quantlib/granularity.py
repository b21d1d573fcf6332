"""Reshaping by Layout: per tensor, per channel and per group handled the same way.

The tensor is viewed as a 2-D array of *rows*, one row per (scale, zero_point) pair,
calibrated row by row, and the per-row parameters are reshaped back to the layout's
parameter shape (see ``Layout.param_shape``).
"""

from __future__ import annotations

import numpy as np

from ._validate import ParameterError
from .qtypes import Layout, num_groups

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


def to_rows(x: np.ndarray, layout: Layout, *, fill: float = np.nan) -> np.ndarray:
    """View ``x`` as 2-D rows, one row per quantization group.

    A trailing partial group is padded with ``fill``: NaN, which the calibrators ignore,
    or a harmless value such as 0 for arithmetic that :func:`rows_to_tensor` undoes.
    An integer tensor padded with NaN is widened to float64 first (an integer has no NaN).

    >>> to_rows(np.arange(5.0), Layout.group(2))
    array([[ 0.,  1.],
           [ 2.,  3.],
           [ 4., nan]])

    Returns an array of shape (number of parameter pairs, values per row).
    """
    layout = layout.resolve(x.shape)
    if layout.granularity == "tensor":
        return x.reshape(1, -1)
    axis = layout.axis
    if layout.granularity == "channel":
        return contiguous(np.moveaxis(x, axis, 0)).reshape(x.shape[axis], -1)
    size = layout.group_size
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    pad = num_groups(n, size) * size - n
    if pad:
        dtype = x.dtype
        if np.isnan(fill) and dtype.kind not in "fc":
            dtype = np.dtype(np.float64)
        filler = np.full(moved.shape[:-1] + (pad,), fill, dtype=dtype)
        moved = np.concatenate([moved, filler], axis=-1)
    return contiguous(moved).reshape(-1, size)


def rows_to_tensor(rows: np.ndarray, shape: tuple[int, ...], layout: Layout) -> np.ndarray:
    """Undo :func:`to_rows`: put row values back in the tensor's layout, dropping padding.

    >>> x = np.arange(10.0).reshape(2, 5)
    >>> layout = Layout.group(2, axis=1)
    >>> np.array_equal(rows_to_tensor(to_rows(x, layout), x.shape, layout), x)
    True
    """
    layout = layout.resolve(shape)
    if layout.granularity == "tensor":
        return rows.reshape(shape)
    moved = list(shape)
    channel = layout.granularity == "channel"
    moved.insert(0 if channel else len(shape), moved.pop(layout.axis))
    if channel:
        return np.moveaxis(rows.reshape(moved), 0, layout.axis)
    padded = rows.reshape(moved[:-1] + [-1])[..., : shape[layout.axis]]
    return np.moveaxis(padded, -1, layout.axis)


def row_params(param, shape: tuple[int, ...], layout: Layout) -> np.ndarray:
    """A parameter array in row order, shaped (rows, 1) to broadcast against ``to_rows``.

    >>> row_params(np.array([[1.0, 2.0], [3.0, 4.0]]), (2, 3), Layout.group(2, axis=1)).ravel()
    array([1., 2., 3., 4.])
    """
    layout = layout.resolve(shape)
    expected = layout.param_shape(shape)
    param = np.asarray(param)
    if param.shape != expected:
        raise ParameterError(
            "qparams_mismatch", granularity=layout.granularity,
            have=str(param.shape), shape=str(tuple(shape)), need=str(expected))
    if layout.granularity == "group":
        param = np.moveaxis(param, layout.axis, -1)
    return param.reshape(-1, 1)


def row_of(positions, shape: tuple[int, ...], layout: Layout) -> np.ndarray:
    """The row (parameter pair) that each flat position of a tensor belongs to.

    >>> row_of(np.arange(6), (2, 3), Layout.group(2, axis=1))
    array([0, 0, 1, 2, 2, 3])
    """
    positions = np.asarray(positions, dtype=np.intp)
    layout = layout.resolve(shape)
    if layout.granularity == "tensor":
        return np.zeros(positions.shape, dtype=np.intp)
    index = list(np.unravel_index(positions, shape))
    if layout.granularity == "channel":
        return index[layout.axis]
    along = index.pop(layout.axis) // layout.group_size
    moved = [n for i, n in enumerate(shape) if i != layout.axis]
    groups = num_groups(shape[layout.axis], layout.group_size)
    return np.ravel_multi_index(index + [along], moved + [groups])


def from_rows(values: np.ndarray, shape: tuple[int, ...], layout: Layout) -> np.ndarray:
    """Reshape one value per row (from :func:`to_rows`) into the parameter layout.

    >>> from_rows(np.array([1.0, 2.0, 3.0]), (5,), Layout.group(2))
    array([1., 2., 3.])
    """
    layout = layout.resolve(shape)
    if layout.granularity == "tensor":
        return values.reshape(())
    if layout.granularity == "channel":
        return values.reshape(shape[layout.axis])
    others = tuple(n for i, n in enumerate(shape) if i != layout.axis)
    moved_shape = others + (num_groups(shape[layout.axis], layout.group_size),)
    return np.moveaxis(values.reshape(moved_shape), -1, layout.axis)


def select(x: np.ndarray, layout: Layout, index: int = 0) -> np.ndarray:
    """The values of ``x`` that share parameter pair number ``index`` (in row order).

    >>> select(np.arange(6.0).reshape(2, 3), Layout.channel(1), index=2)
    array([2., 5.])
    """
    layout = layout.resolve(x.shape)
    rows = to_rows(x, layout, fill=0)
    if not 0 <= index < rows.shape[0]:
        raise ParameterError("index_range", index=str(index),
                             count=str(rows.shape[0]), granularity=layout.granularity)
    if layout.granularity != "group":
        return rows[index].copy()
    n = x.shape[layout.axis]
    group = index % num_groups(n, layout.group_size)
    return rows[index, : min(layout.group_size, n - group * layout.group_size)].copy()
