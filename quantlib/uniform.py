"""Uniform (affine and scale) quantization: parameters, quantize, dequantize, rounding.

Conventions follow PyTorch and ONNX::

    q     = clip(round(x / scale) + zero_point, qmin, qmax)
    x_hat = (q - zero_point) * scale
"""

from __future__ import annotations

import numpy as np

from . import granularity as gran
from ._validate import BITS, SEED, Options, ParameterError, ParameterTypeError
from .qtypes import Layout, QParams, int_range

ROUNDING_MODES = ("half_even", "half_away", "floor", "stochastic")
ROUNDING = Options(ROUNDING_MODES)

# Work through big per-tensor arrays in blocks that stay in the CPU cache, so that the
# five elementwise steps of quantize cost about one pass over memory, not five.
_BLOCK = 1 << 16
_F32 = np.finfo(np.float32)


def as_float_array(x, *, name: str = "x") -> np.ndarray:
    """``x`` as a float32 or float64 ndarray (half floats widen to float32, ints to float64).

    >>> as_float_array([1, 2]).dtype, as_float_array(np.ones(2, np.float16)).dtype
    (dtype('float64'), dtype('float32'))
    """
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f" or arr.dtype.name == "bfloat16":
        return arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float32)
    if kind in "iub":
        return arr.astype(np.float64)
    raise ParameterTypeError("not_real",
                             name=name, dtype=str(arr.dtype))


def _check_range(lo: np.ndarray, hi: np.ndarray) -> None:
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ParameterError("range_not_finite",
                             lo=str(lo), hi=str(hi))
    if np.any(lo > hi):
        raise ParameterError("range_reversed",
                             lo=str(lo), hi=str(hi))


def widened_range(lo, hi, *, symmetric: bool, include_zero: bool):
    """The range a scale is computed from: ``[-amax, amax]``, or widened to contain 0.

    >>> [float(v) for v in widened_range(0.5, 2.0, symmetric=False, include_zero=True)]
    [0.0, 2.0]
    >>> [float(v) for v in widened_range(-0.8, 0.7, symmetric=True, include_zero=True)]
    [-0.8, 0.8]

    Works elementwise on arrays (one range per channel or group) as well.
    """
    if symmetric:
        amax = np.maximum(np.abs(lo), np.abs(hi))
        return -amax, amax
    if include_zero:
        return np.minimum(lo, 0.0), np.maximum(hi, 0.0)
    return lo, hi


def _scalar(value):
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def qparams_from_range(lo, hi, *, bits: int = 8, symmetric: bool = False, signed: bool = True,
                       narrow_range: bool = False, include_zero: bool = True,
                       layout: Layout | None = None) -> QParams:
    """Quantization parameters that map the real range [lo, hi] onto b-bit integers.

    Seed 002's asymmetric example (min -0.8, max 0.7) and seed 003's symmetric one:

    >>> qp = qparams_from_range(-0.8, 0.7)
    >>> round(qp.scale, 6), qp.zero_point, (qp.qmin, qp.qmax)
    (0.005882, 8, (-128, 127))
    >>> qp = qparams_from_range(-2.5, 3.5, symmetric=True)
    >>> round(qp.scale, 6), qp.zero_point
    (0.027559, 0)

    ``lo`` and ``hi`` may be arrays of equal shape (one range per channel or group); then
    ``scale`` is a float64 array and ``zero_point`` an int64 array of that shape, and
    ``layout`` says which layout they describe (``choose_qparams`` passes it; a 1-D range
    array without one means per channel along axis 0).
    """
    bits = BITS.check("bits", bits)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    if lo.shape != hi.shape:
        raise ParameterError("range_shapes", lo=str(lo.shape), hi=str(hi.shape))
    _check_range(lo, hi)
    qmin, qmax = int_range(bits, signed=signed, narrow_range=narrow_range)
    if symmetric and narrow_range and not signed:
        raise ParameterError("symmetric_unsigned_narrow")
    given = (lo, hi)
    lo, hi = widened_range(lo, hi, symmetric=symmetric, include_zero=include_zero)
    if symmetric:
        # Signed: amax / (2^(b-1) - 1), as TensorRT and the seeds do; unsigned: amax / (2^b - 1).
        scale = np.where(hi > 0, hi / qmax, 1.0)
    else:
        steps = qmax - qmin
        # The width of a range near +-1.8e308 overflows float64 although its step is
        # finite: then take hi / steps - lo / steps. A zero-width range has no natural
        # step: all zeros get scale 1, a constant c gets |c| / steps so that c itself is
        # exactly representable.
        with np.errstate(over="ignore"):
            width = hi - lo
        width_steps = np.where(np.isfinite(width), width / steps, hi / steps - lo / steps)
        scale = np.where(hi > lo, width_steps, np.where(lo == 0, 1.0, np.abs(lo) / steps))
    if not np.all(scale > 0):  # a range narrower than qmax - qmin of float64's tiniest steps
        raise ParameterError("range_too_small", lo=str(_scalar(given[0])),
                             hi=str(_scalar(given[1])))
    if symmetric:
        zero_point = np.zeros(lo.shape, dtype=np.int64)
    else:
        zero_point = qmin - np.round(lo / scale).astype(np.int64)
        if include_zero:
            zero_point = np.clip(zero_point, qmin, qmax)
    if layout is None:
        layout = Layout.tensor() if scale.ndim == 0 else Layout.channel(0)
    if scale.ndim == 0:
        scale, zero_point = float(scale), int(zero_point)
    return QParams(scale=scale, zero_point=zero_point, qmin=qmin, qmax=qmax, bits=bits,
                   symmetric=bool(symmetric), signed=bool(signed),
                   narrow_range=bool(narrow_range), layout=layout)


def round_values(y: np.ndarray, rounding: str = "half_even", *,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """Round ``y`` in place with the chosen mode and return it.

    ``half_even`` is numpy's and PyTorch's rule, ``half_away`` is C's ``round``:

    >>> round_values(np.array([-2.5, -0.5, 0.5, 1.5, 2.5]), "half_even")
    array([-2., -0.,  0.,  2.,  2.])
    >>> round_values(np.array([-2.5, -0.5, 0.5, 1.5, 2.5]), "half_away")
    array([-3., -1.,  1.,  2.,  3.])

    ``stochastic`` rounds up with probability equal to the fractional part, so it is
    unbiased on average; it needs ``rng``.
    """
    ROUNDING.check("rounding", rounding)
    if rounding == "stochastic" and rng is None:
        raise ParameterError("stochastic_rng")
    return _round(y, rounding, rng)


def _round(y: np.ndarray, rounding: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """:func:`round_values` without the checks, for the inner loop of :func:`quantize`."""
    if rounding == "half_even":
        return np.rint(y, out=y)
    if rounding == "floor":
        return np.floor(y, out=y)
    if rounding == "half_away":
        # trunc + exact fractional part: adding 0.5 first would turn 0.49999997 into 1.
        whole = np.trunc(y)
        with np.errstate(invalid="ignore"):  # inf - inf for +-inf, which stays +-inf
            up = np.abs(y - whole) >= 0.5
        np.copysign(up, y, out=y)
        return np.add(whole, y, out=y)
    return stochastic_round(y, rng.random(y.shape, dtype=y.dtype))


def stochastic_round(y: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Round ``y`` in place up with probability frac(y), given uniform ``noise`` in [0, 1).

    ``floor(y + u)`` would be shorter, but in float32 ``y + u`` rounds up to ``y + 1`` when
    ``u`` is within half an ulp of 1, moving an exact code; comparing ``u < frac(y)``
    never moves one.
    """
    whole = np.floor(y)
    with np.errstate(invalid="ignore"):  # inf - inf for +-inf, which stays +-inf
        up = noise < np.subtract(y, whole, out=y)
    return np.add(whole, up, out=y)


# float32 holds every integer up to 2**24 exactly.
_F32_EXACT_INT = 2**24


def _max_steps(qparams: QParams) -> int:
    """The largest |q - zero_point| over the code range (large with include_zero=False)."""
    zero = np.asarray(qparams.zero_point)
    return int(max(np.max(np.abs(qparams.qmin - zero)), np.max(np.abs(qparams.qmax - zero))))


def work_dtype(dtype: np.dtype, qparams: QParams) -> np.dtype:
    """The dtype :func:`quantize` divides and rounds in: ``x``'s own float dtype, except
    float64 for float32 data whose scale float32 cannot hold (below its smallest normal
    or above its largest value), or whose codes plus zero point float32 cannot count
    exactly.

    >>> work_dtype(np.dtype(np.float32), qparams_from_range(-1.0, 1.0))
    dtype('float32')
    """
    scale = np.asarray(qparams.scale)
    if dtype == np.float32 and (np.min(scale) < _F32.tiny or np.max(scale) > _F32.max
                                or _max_steps(qparams) >= _F32_EXACT_INT):
        return np.dtype(np.float64)
    return dtype


def level_bounds(qparams: QParams) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest value :func:`dequantize` can give, per parameter pair.

    >>> [float(b) for b in level_bounds(qparams_from_range(0.0, 3.0, bits=2, signed=False))]
    [0.0, 3.0]
    """
    zero = np.asarray(qparams.zero_point, dtype=np.float64)
    scale = np.asarray(qparams.scale, dtype=np.float64)
    return (qparams.qmin - zero) * scale, (qparams.qmax - zero) * scale


def _dequantize_into(q: np.ndarray, zero, scale, out: np.ndarray, steps_dtype,
                     saturate: bool, work: np.ndarray | None = None) -> None:
    """``out[...] = (q - zero) * scale``, formed in float64 and rounded once to float32.

    ``steps_dtype`` holds ``q - zero`` exactly (float32 up to 2**24, else float64);
    ``work`` is optional scratch space of that dtype and ``q``'s shape.
    """
    steps = np.subtract(q, np.asarray(zero, dtype=steps_dtype), out=work, dtype=steps_dtype)
    if saturate:  # levels beyond float32's range: saturate instead of overflowing to inf
        steps = steps.astype(np.float64, copy=False)
        steps *= scale
        np.clip(steps, _F32.min, _F32.max, out=out, casting="unsafe")
    else:
        np.multiply(steps, scale, out=out, dtype=np.float64, casting="unsafe")


def row_params_of(shape: tuple[int, ...], qparams: QParams, dtype) -> tuple[np.ndarray, np.ndarray]:
    return tuple(gran.row_params(np.asarray(p, dtype=dtype), shape, qparams.layout)
                 for p in (qparams.scale, qparams.zero_point))


def _quantize_block(block, scale, zero, qp: QParams, rounding: str, noise, out,
                    work: np.ndarray | None = None) -> None:
    """``out[...] = clip(round(block / scale) + zero)``, using ``work`` as scratch space.

    Call it under ``_BLOCK_ERRORS``: values far beyond a tiny range divide to +-inf, which
    clipping turns into qmin/qmax; and only NaN is left that has no integer code, whose
    cast raises "invalid": cheaper than a separate pass looking for NaN.
    """
    y = np.divide(block, scale, out=work)
    if rounding == "stochastic":
        stochastic_round(y, noise)
    else:
        _round(y, rounding)
    y += zero
    np.clip(y, qp.qmin, qp.qmax, out=y)
    try:
        out[...] = y
    except FloatingPointError:
        raise ParameterError("nan_input") from None


# The floating-point error handling of quantize's inner loop, set once for all blocks.
_BLOCK_ERRORS = {"over": "ignore", "invalid": "raise"}


def quantize(x, qparams: QParams, *, rounding: str = "half_even", seed: int = 0) -> np.ndarray:
    """Map real values to integer codes: ``clip(round(x / scale) + zero_point, qmin, qmax)``.

    Seed 000 (affine int8, range [-1.8, 0.5]) and seed 003's rounding-mode example:

    >>> quantize([-1.8, -1.0, 0.0, 0.5], qparams_from_range(-1.8, 0.5))
    array([-128,  -39,   72,  127], dtype=int8)
    >>> qp = qparams_from_range(-2.5, 3.5, signed=False)
    >>> x = [-2.5, -1.0, 0.0, 1.0, 3.5]
    >>> quantize(x, qp), quantize(x, qp, rounding="half_away")
    (array([  0,  64, 106, 148, 255], dtype=uint8), array([  0,  63, 106, 149, 255], dtype=uint8))

    Returns an integer array of ``x``'s shape: int8/uint8 up to 8 bits, int16/uint16 up to
    16. ``+-inf`` saturates to qmin/qmax; NaN raises ValueError. ``seed`` drives
    stochastic rounding only; its random numbers are drawn in ``x``'s flat order, so
    every granularity (and :func:`step_table`) sees the same stream.
    """
    ROUNDING.check("rounding", rounding)
    seed = SEED.check("seed", seed)
    x = as_float_array(x)
    rng = np.random.default_rng(seed) if rounding == "stochastic" else None
    work = work_dtype(x.dtype, qparams)
    layout = qparams.layout
    if layout.granularity != "tensor":
        rows = gran.to_rows(x, layout, fill=0)
        noise = None if rng is None else gran.to_rows(rng.random(x.shape, dtype=x.dtype),
                                                      layout, fill=0)
        out = np.empty(rows.shape, dtype=qparams.dtype)
        with np.errstate(**_BLOCK_ERRORS):
            _quantize_block(rows, *row_params_of(x.shape, qparams, work), qparams, rounding,
                            noise, out)
        return gran.contiguous(gran.rows_to_tensor(out, x.shape, layout))
    out = np.empty(x.shape, dtype=qparams.dtype)
    scale, zero = work.type(qparams.scale), work.type(qparams.zero_point)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    scratch = np.empty(min(flat_x.size, _BLOCK), dtype=work)
    with np.errstate(**_BLOCK_ERRORS):
        for start in range(0, flat_x.size, _BLOCK):
            part = slice(start, start + _BLOCK)
            block = flat_x[part]
            noise = None if rng is None else rng.random(block.shape, dtype=x.dtype)
            _quantize_block(block, scale, zero, qparams, rounding, noise, flat_out[part],
                            scratch[: block.size])
    return out


def dequantize(q, qparams: QParams) -> np.ndarray:
    """Map integer codes back to reals: ``(q - zero_point) * scale``, as float32.

    >>> dequantize(np.array([-128, -39, 72, 127]), qparams_from_range(-1.8, 0.5))
    array([-1.8039216 , -1.0011765 ,  0.        ,  0.49607843], dtype=float32)

    The product is formed in float64 and rounded once to float32, so a level that is a
    float32 number (the constant of a constant tensor, say) comes back exactly; a level
    beyond float32's range saturates to +-3.4028235e38 instead of overflowing to inf.
    Returns float32 of ``q``'s shape.
    """
    q = np.asarray(q)
    if q.dtype.kind not in "iu":
        raise ParameterTypeError("not_codes",
                                 dtype=str(q.dtype))
    lowest, highest = level_bounds(qparams)
    saturate = bool(np.min(lowest) < _F32.min or np.max(highest) > _F32.max)
    steps = np.float32 if _max_steps(qparams) < _F32_EXACT_INT else np.float64
    layout = qparams.layout
    if layout.granularity != "tensor":
        scale, zero = row_params_of(q.shape, qparams, np.float64)
        rows = gran.to_rows(q, layout, fill=0)
        out = np.empty(rows.shape, dtype=np.float32)
        _dequantize_into(rows, zero, scale, out, steps, saturate)
        return gran.contiguous(gran.rows_to_tensor(out, q.shape, layout))
    out = np.empty(q.shape, dtype=np.float32)
    scale, zero = np.float64(qparams.scale), qparams.zero_point
    flat_q, flat_out = q.reshape(-1), out.reshape(-1)
    scratch = np.empty(min(flat_q.size, _BLOCK), dtype=steps)
    for start in range(0, flat_q.size, _BLOCK):
        part = slice(start, start + _BLOCK)
        block = flat_q[part]
        _dequantize_into(block, zero, scale, flat_out[part], steps, saturate,
                         scratch[: block.size])
    return out


def fake_quantize(x, qparams: QParams, *, rounding: str = "half_even", seed: int = 0) -> np.ndarray:
    """Quantize then dequantize: the values a simulated-quantization model computes with.

    >>> fake_quantize([0.3, -0.8], qparams_from_range(-0.8, 0.8, symmetric=True))
    array([ 0.3023622, -0.8      ], dtype=float32)
    """
    return dequantize(quantize(x, qparams, rounding=rounding, seed=seed), qparams)
