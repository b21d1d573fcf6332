"""Looking inside a quantizer: its levels, one (scale, zero point) pair, and every step of
quantizing the first values, for teaching.

>>> levels(qparams_from_range(0.0, 3.0, bits=2, signed=False))
array([0., 1., 2., 3.])
"""

from __future__ import annotations

import numpy as np

from . import granularity as gran
from ._validate import SEED, ParameterError
from .qtypes import QParams
from .uniform import (
    ROUNDING,
    as_float_array,
    qparams_from_range,  # noqa: F401 (the doctests build their examples with it)
    round_values,
    row_params_of,
    stochastic_round,
    work_dtype,
)

_F32 = np.finfo(np.float32)


def levels(qparams: QParams, index: int | None = None) -> np.ndarray:
    """Every value ``dequantize`` can produce (for one channel/group when ``index`` is given).

    >>> levels(qparams_from_range(0.0, 3.0, bits=2, signed=False))
    array([0., 1., 2., 3.])

    Returns float64 of shape (qmax - qmin + 1,).
    """
    scale, zero = param_pair(qparams, index)
    return (np.arange(qparams.qmin, qparams.qmax + 1) - zero) * scale


def param_pair(qparams: QParams, index: int | None = None) -> tuple[float, int]:
    """The ``(scale, zero_point)`` of parameter pair ``index`` (row order; None = per-tensor).

    >>> param_pair(qparams_from_range(np.array([-1.0, -2.0]), np.array([1.0, 2.0]),
    ...                              symmetric=True), 1)
    (0.015748031496062992, 0)
    """
    layout = qparams.layout
    if layout.granularity == "tensor":
        return float(qparams.scale), int(qparams.zero_point)
    if index is None:
        raise ParameterError("index_missing", granularity=layout.granularity,
                             count=str(qparams.num_params))
    if not 0 <= index < qparams.num_params:
        raise ParameterError("index_range", index=str(index),
                             count=str(qparams.num_params), granularity=layout.granularity)
    scale, zero = (np.moveaxis(np.asarray(p), layout.axis, -1).reshape(-1)
                   if layout.granularity == "group" else np.asarray(p)
                   for p in (qparams.scale, qparams.zero_point))
    return float(scale[index]), int(zero[index])


def qparams_at(qparams: QParams, index: int | None = None) -> QParams:
    """The per-tensor QParams of one channel or group (row order), for plotting one slice.

    >>> qp = qparams_from_range(np.array([-1.0, -2.0]), np.array([1.0, 2.0]), symmetric=True)
    >>> qparams_at(qp, 1).scale, qparams_at(qp, 1).layout.granularity
    (0.015748031496062992, 'tensor')
    """
    scale, zero = param_pair(qparams, index)
    return QParams(scale=scale, zero_point=zero, qmin=qparams.qmin, qmax=qparams.qmax,
                   bits=qparams.bits, symmetric=qparams.symmetric, signed=qparams.signed,
                   narrow_range=qparams.narrow_range)


def step_table(x, qparams: QParams, *, rounding: str = "half_even", seed: int = 0,
               count: int = 8) -> dict[str, np.ndarray]:
    """Every intermediate of quantization for the first ``count`` values (flat order).

    >>> t = step_table([0.3, -0.8], qparams_from_range(-0.8, 0.8, symmetric=True))
    >>> t["x/s"], t["q"]
    (array([  47.625, -127.   ]), array([  48, -127]))

    Returns a dict of 1-D arrays: ``x``, ``scale``, ``x/s``, ``round``, ``zero_point``,
    ``+z``, ``q`` (after clipping), ``clipped`` (bool), ``x_hat`` and ``error`` (x_hat - x).
    The arithmetic is the same as :func:`quantize` (same dtype, same random stream), so
    the ``q`` column equals ``quantize(x)`` for those values.
    """
    ROUNDING.check("rounding", rounding)
    seed = SEED.check("seed", seed)
    x = as_float_array(x)
    values = x.reshape(-1)[:count]
    row = gran.row_of(np.arange(values.size), x.shape, qparams.layout)
    work = work_dtype(x.dtype, qparams)
    scale64, zero64 = (p[row, 0] for p in row_params_of(x.shape, qparams, np.float64))
    scale, zero = scale64.astype(work), zero64.astype(work)
    with np.errstate(over="ignore"):  # far beyond a tiny range: +-inf, then clipped
        scaled = values / scale
    rounded = scaled.copy()
    if rounding == "stochastic":
        stochastic_round(rounded, np.random.default_rng(seed).random(values.size, dtype=x.dtype))
    else:
        round_values(rounded, rounding)
    shifted = rounded + zero
    q = np.clip(shifted, qparams.qmin, qparams.qmax)
    x_hat = np.clip((q - zero64) * scale64, _F32.min, _F32.max).astype(np.float32)
    as64 = np.float64
    return {
        "x": values.astype(as64), "scale": scale.astype(as64), "x/s": scaled.astype(as64),
        "round": rounded.astype(as64), "zero_point": zero.astype(np.int64),
        "+z": shifted.astype(as64), "q": q.astype(np.int64), "clipped": shifted != q,
        "x_hat": x_hat.astype(as64), "error": x_hat.astype(as64) - values.astype(as64),
    }
