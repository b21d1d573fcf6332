"""Floating-point formats bit by bit: casts, bit fields, and each format's facts.

The casts are ml_dtypes' (round to nearest, ties to even); this module adds the overflow
behaviour a student should see, the bit fields of any value, and facts computed from the
format itself, never typed in.

>>> cast([464.0, 1000.0], "fp8_e4m3").tolist()
[448.0, 448.0]
>>> cast([464.0, 1000.0], "fp8_e4m3", overflow="ieee").tolist()
[448.0, nan]
>>> d = decompose(-1.5, "fp16")
>>> d.sign, d.exponent, d.mantissa, d.unbiased_exponent
('1', '01111', '1000000000', 0)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from numbers import Integral
from types import MappingProxyType

import ml_dtypes
import numpy as np

from ._validate import Options, ParameterError
from .uniform import as_float_array

#: Every format, by name: the numpy or ml_dtypes type that stores it.
FORMATS = MappingProxyType({
    "fp32": np.dtype(np.float32),
    "fp16": np.dtype(np.float16),
    "bf16": np.dtype(ml_dtypes.bfloat16),
    "fp8_e4m3": np.dtype(ml_dtypes.float8_e4m3fn),
    "fp8_e5m2": np.dtype(ml_dtypes.float8_e5m2),
    "fp6_e2m3": np.dtype(ml_dtypes.float6_e2m3fn),
    "fp6_e3m2": np.dtype(ml_dtypes.float6_e3m2fn),
    "fp4_e2m1": np.dtype(ml_dtypes.float4_e2m1fn),
    "e8m0": np.dtype(ml_dtypes.float8_e8m0fnu),
})
FORMAT = Options(tuple(FORMATS))
#: What a cast does beyond the largest finite value: clamp to it (OCP's saturating
#: conversion, the library's default), or what the format itself does (inf where it has
#: one, NaN for E4M3, clamping for the formats with neither).
OVERFLOW_MODES = ("saturate", "ieee")
OVERFLOW = Options(OVERFLOW_MODES)
CLASSES = ("zero", "subnormal", "normal", "inf", "nan")
# Formats up to this many bits are enumerated code by code (65,536 codes at most).
_ENUMERABLE_BITS = 16
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


def _dtype(fmt: str) -> np.dtype:
    return FORMATS[FORMAT.check("fmt", fmt)]


def _finfo(dtype: np.dtype):
    return np.finfo(dtype) if dtype in (np.float16, np.float32) else ml_dtypes.finfo(dtype)


@dataclass(frozen=True)
class FormatInfo:
    """A format's facts, all computed from it (see :func:`format_info`)."""

    name: str
    bits: int
    sign_bits: int
    exponent_bits: int
    mantissa_bits: int
    bias: int
    max: float
    smallest_normal: float
    smallest_subnormal: float
    eps: float
    finite_values: int  # distinct finite values (+0 and -0 count once)
    has_inf: bool
    has_nan: bool
    has_zero: bool


def _codes(dtype: np.dtype, bits: int) -> np.ndarray:
    """Every code of a small format, as values (float64)."""
    codes = np.arange(1 << bits, dtype=_UINT[dtype.itemsize])
    with np.errstate(invalid="ignore"):  # the NaN codes
        return codes.view(dtype).astype(np.float64)


@functools.cache  # a few facts per format; fp16 and bf16 enumerate 65,536 codes once
def format_info(fmt: str) -> FormatInfo:
    """Bit widths, bias, range and precision of a format.

    >>> info = format_info("fp16")
    >>> info.max, info.smallest_normal, info.smallest_subnormal, info.bias
    (65504.0, 6.103515625e-05, 5.960464477539063e-08, 15)
    >>> format_info("fp8_e4m3").finite_values, format_info("fp4_e2m1").finite_values
    (253, 15)
    """
    dtype = _dtype(fmt)
    fi = _finfo(dtype)
    bits, exponent_bits, mantissa_bits = int(fi.bits), int(fi.nexp), int(fi.nmant)
    sign_bits = bits - exponent_bits - mantissa_bits
    one = np.array(1.0, dtype).view(_UINT[dtype.itemsize])
    bias = int(one) >> mantissa_bits & ((1 << exponent_bits) - 1)  # 1.0 = 2^(E - bias)
    special = np.array([np.inf, np.nan, 0.0]).astype(dtype).astype(np.float64)
    if bits <= _ENUMERABLE_BITS:
        values = _codes(dtype, bits)
        finite = np.unique(values[np.isfinite(values)])
        count = int(finite.size)
        has_inf, has_nan = bool(np.isinf(values).any()), bool(np.isnan(values).any())
        has_zero = bool((values == 0).any())
    else:  # IEEE binary32: the all-ones exponent holds inf and NaN; +0 and -0 are one
        count = (1 << bits) - (1 << (sign_bits + mantissa_bits)) - 1
        has_inf, has_nan, has_zero = bool(np.isinf(special[0])), bool(np.isnan(special[1])), True
    subnormal = float(fi.smallest_subnormal) if mantissa_bits else float(fi.smallest_normal)
    return FormatInfo(fmt, bits, sign_bits, exponent_bits, mantissa_bits, bias, float(fi.max),
                      float(fi.smallest_normal), subnormal, float(fi.eps), count, has_inf,
                      has_nan, has_zero)


def cast(x, fmt: str, *, overflow: str = "saturate") -> np.ndarray:
    """``x`` rounded to the nearest value of ``fmt`` (ties to even), as float32 values.

    Saturating, values beyond ±max (and ±inf) become ±max; with ``overflow="ieee"`` the
    format decides (FP16 and E5M2 give inf, E4M3 NaN, FP6/FP4 clamp). NaN stays NaN
    even where the format has none (ml_dtypes would store -0 there). E8M0 holds only
    powers of two: no sign, no zero (0 and negatives are NaN).

    >>> cast([10000.0 * 10000.0], "fp16", overflow="ieee").tolist(), cast([1e8], "bf16").tolist()
    ([inf], [100139008.0])
    >>> cast([0.3, 3.0, 0.0], "e8m0").tolist()
    [0.25, 4.0, nan]
    """
    dtype = _dtype(fmt)
    OVERFLOW.check("overflow", overflow)
    x = as_float_array(x)
    if x.dtype != np.float32:
        # One rounding, from float64; float32 input is cast as it is (every format's max
        # is a float32, and the cast from float32 rounds once too).
        x = x.astype(np.float64)
    if overflow == "saturate":
        top = x.dtype.type(_finfo(dtype).max)
        x = np.clip(x, -top, top)
    with np.errstate(over="ignore", invalid="ignore"):
        out = x.astype(dtype).astype(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), out)


@dataclass(frozen=True)
class Decomposition:
    """One value of a format, field by field."""

    fmt: str
    code: int
    sign: str
    exponent: str
    mantissa: str
    bias: int
    unbiased_exponent: int | None  # None for zero, inf and NaN
    kind: str  # one of CLASSES
    value: float
    below: float | None  # the neighbouring values (None past the end)
    above: float | None

    @property
    def bits(self) -> str:
        return self.sign + self.exponent + self.mantissa


def _fields(code: int, info: FormatInfo) -> tuple[str, str, str]:
    text = format(code, f"0{info.bits}b")
    s, e = info.sign_bits, info.sign_bits + info.exponent_bits
    return text[:s], text[s:e], text[e:]


def _value_of(code: int, dtype: np.dtype) -> float:
    with np.errstate(invalid="ignore"):  # a NaN code
        return float(np.array(code, _UINT[dtype.itemsize]).view(dtype).astype(np.float64))


def _neighbour(code: int, info: FormatInfo, dtype: np.dtype, step: int) -> float | None:
    """The next code up (step 1) or down (-1) in value order, as a value."""
    magnitude_bits = info.bits - info.sign_bits
    sign = code >> magnitude_bits if info.sign_bits else 0
    magnitude = code & ((1 << magnitude_bits) - 1)
    ordered = -magnitude if sign else magnitude
    # -0 and +0 are one value: from either, the neighbours are the smallest of each sign.
    ordered += step
    if abs(ordered) >= 1 << magnitude_bits or (ordered < 0 and not info.sign_bits):
        return None
    new = (1 << magnitude_bits | -ordered) if ordered < 0 else ordered
    value = _value_of(new, dtype)
    return value if math.isfinite(value) else None


def decompose(value: float, fmt: str, *, overflow: str = "saturate") -> Decomposition:
    """The bits of ``value`` once cast to ``fmt`` (see :func:`cast` for ``overflow``), and
    what they mean.

    >>> d = decompose(0.1, "bf16")
    >>> d.bits, d.value, d.kind
    ('0011110111001101', 0.10009765625, 'normal')
    >>> d.above - d.value  # the spacing of bf16 near 0.1
    0.00048828125
    """
    dtype = _dtype(fmt)
    info = format_info(fmt)
    if math.isnan(value) and not info.has_nan:
        raise ParameterError("format_no_nan", fmt=fmt)
    with np.errstate(invalid="ignore"):
        stored = np.array(cast([value], fmt, overflow=overflow)[0], np.float64).astype(dtype)
    code = int(stored.view(_UINT[dtype.itemsize]))
    return _decomposition(code, fmt, info, dtype)


def compose(bits, fmt: str) -> Decomposition:
    """The value of a bit pattern (a '0'/'1' string of the format's width, or an int).

    >>> compose("0111101111111111", "fp16").value
    65504.0
    >>> compose(0b0111, "fp4_e2m1").value
    6.0
    """
    dtype = _dtype(fmt)
    info = format_info(fmt)
    if isinstance(bits, str):
        if len(bits) != info.bits or set(bits) - {"0", "1"}:
            raise ParameterError("format_bits", fmt=fmt, width=str(info.bits), value=bits[:40])
        code = int(bits, 2)
    else:
        if isinstance(bits, bool) or not isinstance(bits, Integral):
            raise ParameterError("format_bits", fmt=fmt, width=str(info.bits), value=repr(bits))
        code = int(bits)
        if not 0 <= code < 1 << info.bits:
            raise ParameterError("format_bits", fmt=fmt, width=str(info.bits), value=str(code))
    return _decomposition(code, fmt, info, dtype)


def _decomposition(code: int, fmt: str, info: FormatInfo, dtype: np.dtype) -> Decomposition:
    sign, exponent, mantissa = _fields(code, info)
    value = _value_of(code, dtype)
    e_field = int(exponent, 2) if exponent else 0
    m_field = int(mantissa, 2) if mantissa else 0
    if math.isnan(value):
        kind = "nan"
    elif math.isinf(value):
        kind = "inf"
    elif value == 0:
        kind = "zero"
    elif e_field == 0 and info.mantissa_bits and m_field:
        kind = "subnormal"
    else:
        kind = "normal"
    # Subnormals share the smallest normal exponent: 2^(1 - bias).
    unbiased = {"normal": e_field - info.bias, "subnormal": 1 - info.bias}.get(kind)
    finite = kind not in ("nan", "inf")
    return Decomposition(fmt, code, sign, exponent, mantissa, info.bias, unbiased, kind, value,
                         _neighbour(code, info, dtype, -1) if finite else None,
                         _neighbour(code, info, dtype, 1) if finite else None)


def _ordered(codes: np.ndarray, info: FormatInfo) -> np.ndarray:
    """Codes as integers that increase with the value (sign-magnitude to two's order)."""
    magnitude_bits = info.bits - info.sign_bits
    codes = codes.astype(np.int64)
    if not info.sign_bits:
        return codes
    magnitude = codes & ((1 << magnitude_bits) - 1)
    return np.where(codes >> magnitude_bits, -magnitude, magnitude)


def _from_ordered(ordered: np.ndarray, info: FormatInfo, dtype: np.dtype) -> np.ndarray:
    magnitude_bits = info.bits - info.sign_bits
    codes = np.where(ordered < 0, (1 << magnitude_bits) | -ordered, ordered)
    with np.errstate(invalid="ignore"):
        return codes.astype(_UINT[dtype.itemsize]).view(dtype).astype(np.float64)


def stochastic_cast(x, fmt: str, *, seed: int = 0) -> np.ndarray:
    """``x`` rounded to one of its two neighbouring values of ``fmt`` at random, up with
    probability (x - below) / (above - below): the rounding is right on average, so
    many small additions are not all lost (saturating beyond ±max).

    >>> total = np.float32(1.0)
    >>> for k in range(1000):
    ...     total = stochastic_cast([total + 0.001], "bf16", seed=k)[0]
    >>> bool(1.9 < total < 2.1)
    True
    """
    dtype = _dtype(fmt)
    info = format_info(fmt)
    x = as_float_array(x).astype(np.float64)
    near = cast(x, fmt).astype(np.float64)
    with np.errstate(invalid="ignore"):
        codes = near.astype(dtype).view(_UINT[dtype.itemsize])
    ordered = _ordered(codes, info)
    step = np.where(near < x, 1, -1)
    beyond = ordered + step
    magnitude_bits = info.bits - info.sign_bits
    exists = (np.abs(beyond) < 1 << magnitude_bits) & ((beyond >= 0) | bool(info.sign_bits))
    other = np.where(exists, _from_ordered(np.where(exists, beyond, 0), info, dtype), np.nan)
    inside = np.isfinite(x) & np.isfinite(other) & (near != x)
    lo, hi = np.where(step > 0, near, other), np.where(step > 0, other, near)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_up = np.where(inside, (x - lo) / (hi - lo), 0.0)
    up = np.random.default_rng(seed).random(x.shape) < p_up
    out = np.where(inside, np.where(up, hi, lo), near)
    return out.astype(np.float32)
