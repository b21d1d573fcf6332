"""Error metrics between a tensor and its quantized reconstruction, and storage cost."""

from __future__ import annotations

import math

import numpy as np

from . import granularity as gran
from ._validate import GROUP_SIZE, Interval, ParameterError
from .qtypes import QParams
from .uniform import as_float_array

FLOAT32_BITS = 32
SCALE_BITS = 32  # scales are stored as float32, as PyTorch stores per-channel scales
BITS_PER_BYTE = 8
BYTES_PER_GB = 10**9  # decimal gigabytes, as model cards and seed 002's VRAM table use
SIZE = Interval(int, 1, None)
NUM_PARAMS = Interval(float, 0.0, None)
#: Bits per stored value: from 1 (binary weights) to 64 (float64); fractions such as 4.5
#: count a shared scale per block.
STORAGE_BITS = Interval(float, 1.0, 64.0)
# Accumulate in float64 over cache-sized blocks: float32 sums over 16M values drift.
_BLOCK = 1 << 18


def _sums(x: np.ndarray, x_hat: np.ndarray, shift: int = 0) -> dict[str, float]:
    """Sums of squares and products, of both tensors scaled by 2**shift."""
    acc = dict.fromkeys(("sq", "abs", "max", "xx", "hh", "xh"), 0.0)
    fx, fh = x.reshape(-1), x_hat.reshape(-1)
    for start in range(0, fx.size, _BLOCK):
        a = fx[start:start + _BLOCK].astype(np.float64)
        b = fh[start:start + _BLOCK].astype(np.float64)
        if shift:
            np.ldexp(a, shift, out=a)
            np.ldexp(b, shift, out=b)
        err = b - a
        acc["sq"] += float(err @ err)
        np.abs(err, out=err)
        acc["abs"] += float(err.sum())
        acc["max"] = max(acc["max"], float(err.max()))
        acc["xx"] += float(a @ a)
        acc["hh"] += float(b @ b)
        acc["xh"] += float(a @ b)
    return acc


def _unscale(value: float, shift: int) -> float:
    """``value / 2**shift``, or inf when that is beyond float64."""
    try:
        return math.ldexp(value, -shift)
    except OverflowError:
        return math.inf


def _clip_bounds(x: np.ndarray, qparams: QParams) -> tuple[np.ndarray, np.ndarray]:
    """Per row of the layout, (rows, 1) arrays: where clipping starts below and above."""
    scale, zero = (gran.row_params(np.asarray(p, np.float64), x.shape, qparams.layout)
                   for p in (qparams.scale, qparams.zero_point))
    half = 0.5  # a value within half a step of the end level rounds onto it unclipped
    return (qparams.qmin - half - zero) * scale, (qparams.qmax + half - zero) * scale


def _blocks(rows: np.ndarray):
    """Slices of a (rows, columns) array of about _BLOCK entries: whole rows, or pieces
    of one long row (a per-tensor layout is a single row)."""
    n_rows, n_cols = rows.shape
    if n_rows == 1:
        for start in range(0, n_cols, _BLOCK):
            yield np.s_[:, start:start + _BLOCK]
    else:
        step = max(1, _BLOCK // max(n_cols, 1))
        for start in range(0, n_rows, step):
            yield np.s_[start:start + step]


def _clipped(x: np.ndarray, qparams: QParams) -> tuple[np.ndarray, np.ndarray]:
    """x as rows of its layout, and which entries clipping moves."""
    # Padding of a partial group is NaN, and NaN compares False: it is never counted.
    rows = gran.to_rows(x, qparams.layout)
    lo, hi = _clip_bounds(x, qparams)
    return rows, (rows < lo) | (rows > hi)


def clipped_fraction(x, qparams: QParams) -> float:
    """The fraction of values that clipping moves: more than half a step beyond the
    outermost levels, where the error exceeds the s/2 that rounding alone would cause.

    >>> from quantlib.uniform import qparams_from_range
    >>> clipped_fraction([0.3, 0.6, -0.3, 2.0], qparams_from_range(-1.0, 1.0, symmetric=True))
    0.25
    """
    x = as_float_array(x)
    return float(np.count_nonzero(_clipped(x, qparams)[1]) / max(x.size, 1))


def error_split(x, x_hat, qparams: QParams) -> dict[str, float]:
    """The MSE of ``x_hat`` split into clipping (values clipping moves: more than half a
    step beyond the end levels) and rounding (every other value); the parts add up to
    the MSE.

    Seed 002's outlier vector with the range [-0.7, 0.7]: the -99 is nearly all of it.

    >>> from quantlib.uniform import qparams_from_range, fake_quantize
    >>> x = np.array([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2])
    >>> qp = qparams_from_range(-0.7, 0.7, symmetric=True)
    >>> {k: round(v, 4) for k, v in error_split(x, fake_quantize(x, qp), qp).items()}
    {'mse': 1207.7258, 'clip_mse': 1207.7258, 'round_mse': 0.0, 'clipped_fraction': 0.125}

    Values are Python floats (float64 sums, as ``metrics``); ``clipped_fraction`` is
    :func:`clipped_fraction`'s, counted on the way.
    """
    x, x_hat = as_float_array(x), as_float_array(x_hat, name="x_hat")
    if x.shape != x_hat.shape:
        raise ParameterError("shape_mismatch", a=str(x.shape), b=str(x_hat.shape))
    if x.size == 0:
        raise ParameterError("empty_metrics")
    rows, rows_hat = gran.to_rows(x, qparams.layout), gran.to_rows(x_hat, qparams.layout)
    lo, hi = _clip_bounds(x, qparams)
    padded = bool(rows.size != x.size)  # a partial group's padding is NaN: skip it
    total = clip = 0.0
    count = 0
    for block in _blocks(rows):
        part = rows[block]
        err = rows_hat[block].astype(np.float64)
        err -= part
        err *= err
        if padded:
            err[np.isnan(err)] = 0.0
        these = block[0] if isinstance(block, tuple) else block  # the rows of this block
        moved = (part < lo[these]) | (part > hi[these])
        total += float(err.sum())
        clip += float(np.sum(err, where=moved))
        count += int(np.count_nonzero(moved))
    n = x.size
    return {"mse": total / n, "clip_mse": clip / n, "round_mse": (total - clip) / n,
            "clipped_fraction": count / n}


def mean_square(x) -> float:
    """The mean of x², accumulated in float64 over blocks (the signal power of SQNR).

    >>> mean_square([3.0, 4.0])
    12.5
    """
    flat = as_float_array(x).reshape(-1)
    total = 0.0
    for start in range(0, flat.size, _BLOCK):
        part = flat[start:start + _BLOCK].astype(np.float64)
        total += float(part @ part)
    return total / max(flat.size, 1)


def sqnr_db(power: float, mse: float) -> float:
    """10 log10(signal power / error power) in dB; inf when there is no error.

    >>> round(sqnr_db(1.0, 0.001), 1)
    30.0
    """
    if mse == 0:
        return math.inf
    with np.errstate(divide="ignore"):
        return float(10 * np.log10(np.float64(power) / np.float64(mse)))


def bits_per_value(qparams: QParams, size: int) -> float:
    """Storage bits per value, counting one float32 scale (and a zero point) per group.

    QLoRA-style 4-bit with one scale per 64 values costs 4 + 32/64 = 4.5 bits:

    >>> from quantlib.uniform import qparams_from_range
    >>> qp = qparams_from_range(np.full(2, -1.0), np.full(2, 1.0), bits=4, symmetric=True)
    >>> bits_per_value(qp, 128)
    4.5
    """
    size = SIZE.check("size", size)
    zero_bits = 0 if qparams.symmetric else qparams.bits
    return qparams.bits + qparams.num_params * (SCALE_BITS + zero_bits) / size


def metrics(x, x_hat, qparams: QParams | None = None) -> dict[str, float]:
    """Error and storage metrics of a reconstruction ``x_hat`` of ``x``.

    >>> m = metrics([1.0, -1.0, 0.5], [1.0, -1.0, 0.0])
    >>> round(m["mse"], 4), round(m["sqnr_db"], 2), m["max_abs_error"]
    (0.0833, 9.54, 0.5)

    Keys: mse, mae, max_abs_error, sqnr_db (10 log10 of signal over error power; inf
    when exact), cosine, and with ``qparams`` also clipped_fraction, bits_per_value,
    bytes_before (as float32), bytes_after (packed codes + parameters) and compression.
    Values are Python floats; metrics that need ``qparams`` are NaN without them.
    """
    x, x_hat = as_float_array(x), as_float_array(x_hat, name="x_hat")
    if x.shape != x_hat.shape:
        raise ParameterError("shape_mismatch", a=str(x.shape), b=str(x_hat.shape))
    if x.size == 0:
        raise ParameterError("empty_metrics")
    shift = 0
    with np.errstate(over="ignore", invalid="ignore"):
        s = _sums(x, x_hat)
    if not all(np.isfinite(v) for v in s.values()):
        for name, arr in (("x", x), ("x_hat", x_hat)):
            if not np.isfinite(arr).all():
                raise ParameterError("nonfinite_metrics", name=name)
        # Finite but huge (|x| above ~1e154): the squares overflow, so sum values scaled
        # by a power of two (exact); SQNR and cosine do not depend on the scale.
        shift = -math.frexp(max(float(np.abs(x).max()), float(np.abs(x_hat).max())))[1]
        s = _sums(x, x_hat, shift)
    n = x.size
    with np.errstate(divide="ignore", invalid="ignore"):
        sqnr = 10 * np.log10(np.float64(s["xx"]) / np.float64(s["sq"]))
    norms = math.sqrt(s["xx"]) * math.sqrt(s["hh"])
    cosine = s["xh"] / norms if norms > 0 else (1.0 if s["sq"] == 0 else 0.0)
    cosine = min(max(cosine, -1.0), 1.0)  # rounding can step a hair past +-1
    out = {
        "mse": _unscale(s["sq"] / n, 2 * shift), "mae": _unscale(s["abs"] / n, shift),
        "max_abs_error": _unscale(s["max"], shift),
        "sqnr_db": float(np.inf if s["sq"] == 0 else sqnr), "cosine": float(cosine),
        "clipped_fraction": np.nan, "bits_per_value": np.nan,
        "bytes_before": n * FLOAT32_BITS / BITS_PER_BYTE, "bytes_after": np.nan,
        "compression": np.nan,
    }
    if qparams is not None:
        bpv = bits_per_value(qparams, n)
        out.update(clipped_fraction=clipped_fraction(x, qparams), bits_per_value=bpv,
                   bytes_after=n * bpv / BITS_PER_BYTE, compression=FLOAT32_BITS / bpv)
    return out


def memory_bytes(num_params: float, bits_per_param: float) -> float:
    """Bytes needed to store ``num_params`` values at ``bits_per_param`` bits each.

    Seed 002's table: GPT-3 (175B parameters) in FP16 needs 350 GB:

    >>> memory_bytes(175e9, 16) / BYTES_PER_GB
    350.0
    """
    num_params = NUM_PARAMS.check("num_params", num_params)
    bits_per_param = STORAGE_BITS.check("bits_per_param", bits_per_param)
    return float(num_params) * float(bits_per_param) / BITS_PER_BYTE


def memory_gb(num_params: float, bits_per_param: float) -> float:
    """Decimal gigabytes for ``num_params`` values at ``bits_per_param`` bits.

    >>> memory_gb(7e9, 16)
    14.0
    """
    return memory_bytes(num_params, bits_per_param) / BYTES_PER_GB


def block_bits(bits: int, block_size: int, *, scale_bits: int = SCALE_BITS) -> float:
    """Bits per value of block-wise absmax quantization: codes plus one scale per block.

    QLoRA's NF4 with blocks of 64 and a float32 absmax:

    >>> block_bits(4, 64)
    4.5
    """
    block_size = GROUP_SIZE.check("block_size", block_size)
    return bits + scale_bits / block_size
