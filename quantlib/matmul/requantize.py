"""Requantization: int32 accumulators to output codes with an integer multiplier and shift.

Integer-only hardware has no float multiply for the rescale ``M = s_x · s_w / s_out``.
As gemmlowp and TFLite do, ``M`` is stored as ``M0 · 2**-n`` with ``M0`` a 32-bit integer
in [2**30, 2**31), and the rescale is an integer multiply then a rounding right shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import ParameterError
from ..qtypes import QParams
from .integer import to_accumulator

# M0 has 31 significant bits: M0 in [2**30, 2**31) fits a signed 32-bit register.
_M0_BITS = 31
# |acc| < 2**31 and M0 < 2**31, so |acc · M0| < 2**62: an int64 holds it, and adding half
# of 2**n for any n <= 62 cannot overflow.
_MAX_SHIFT = 62
# With n <= 0, M >= 2**30: any nonzero accumulator lands beyond every code and saturates.
_SATURATED = 2**_MAX_SHIFT


def quantize_multiplier(multiplier) -> tuple[np.ndarray, np.ndarray]:
    """``(M0, n)`` with ``M ≈ M0 · 2**-n`` and ``M0`` an integer in [2**30, 2**31).

    >>> quantize_multiplier(0.25)
    (array(1073741824), array(32))
    >>> m = 1 / (127 * 127) / 0.01  # s_x = s_w = 1/127, s_out = 0.01
    >>> m0, n = quantize_multiplier(m)
    >>> int(m0), int(n), abs(float(m0) * 2.0**-int(n) - m) <= m * 2.0**-31
    (1704246432, 38, True)

    ``M0`` is ``round(M · 2**n)``, so its relative error is at most 2**-31. Works
    elementwise (one M per channel); returns int64 arrays of ``multiplier``'s shape.
    """
    m = np.asarray(multiplier, dtype=np.float64)
    if not np.all(np.isfinite(m) & (m > 0)):
        raise ParameterError("param_range", name="the multiplier M = s_x·s_w/s_out",
                             allowed="a finite number > 0", value=str(m))
    fraction, exponent = np.frexp(m)  # m = fraction · 2**exponent, fraction in [0.5, 1)
    m0 = np.rint(np.ldexp(fraction, _M0_BITS)).astype(np.int64)
    carry = m0 == 2**_M0_BITS  # the fraction rounded up to 1.0: renormalise
    m0 = np.where(carry, m0 >> 1, m0)
    return np.asarray(m0), np.asarray(_M0_BITS - (exponent + carry).astype(np.int64))


def rounding_shift(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``round(v / 2**n)`` with ties away from zero, in integers only (n >= 1).

    gemmlowp's RoundingDivideByPOT rounds the same way; a plain ``v >> n`` would floor.

    >>> rounding_shift(np.array([5, 6, -5, -6, 7]), np.array(2))
    array([ 1,  2, -1, -2,  2])

    ``v`` is int64 with |v| < 2**62. A shift of 63 or more leaves |v / 2**n| < 1/2,
    which rounds to 0.
    """
    n = np.asarray(n, dtype=np.int64)
    shift = np.minimum(n, _MAX_SHIFT)
    half = np.left_shift(np.int64(1), shift - 1)
    rounded = (np.abs(v) + half) >> shift
    return np.where(n > _MAX_SHIFT, 0, np.where(v < 0, -rounded, rounded))


@dataclass(frozen=True, eq=False)
class Requantized:
    """Output codes from int32 accumulators, and the integer rescale that made them.

    ``multiplier`` is M = s_x·s_w/s_out (float64), ``m0`` and ``shift`` its integer form
    M0·2**-shift: scalars, or arrays that broadcast against the (M, N) output (per
    channel of w, per token of x). ``codes`` has ``qparams.dtype``.
    """

    codes: np.ndarray
    multiplier: np.ndarray
    m0: np.ndarray
    shift: np.ndarray
    qparams: QParams


def check_output_qparams(qparams) -> QParams:
    """``qparams`` if it is a per-tensor QParams (one scale for the whole output)."""
    if not isinstance(qparams, QParams) or qparams.layout.granularity != "tensor":
        shown = qparams.layout if isinstance(qparams, QParams) else type(qparams).__name__
        raise ParameterError("param_option", name="out_qparams",
                             allowed="per-tensor QParams (one scale and zero point for y)",
                             value=str(shown))
    return qparams


def requantize(acc, scale, out_qparams: QParams) -> Requantized:
    """Output codes ``clip(round(acc · M) + z_out)`` with ``M = scale / s_out``, in integers.

    ``acc · M0`` is exact in int64 and rounded once by the shift (ties away from zero).
    gemmlowp and TFLite round twice (the doubled high half of the product, then the
    shift), which can differ from this by one code on rare near-ties.

    The slides' accumulators with S1 = S2 = 1/127 and an output scale of 0.01:

    >>> from quantlib.uniform import qparams_from_range
    >>> acc = np.array([[-192, 704], [2464, 4928], [1720, -736]], dtype=np.int32)
    >>> out = requantize(acc, 1 / (127 * 127), qparams_from_range(-1.27, 1.27, symmetric=True))
    >>> out.codes
    array([[-1,  4],
           [15, 31],
           [11, -5]], dtype=int8)

    ``acc`` holds integers within int32; ``scale`` is s_x·s_w, a scalar or an array that
    broadcasts against ``acc``. ``out_qparams`` is per tensor.

    These codes equal ``round(acc · M) + z_out`` (clipped) except where ``acc · M`` is
    within ``|acc · M| · 2**-31`` of a half-integer (M0 rounds M by at most that much)
    or exactly on one (ties away from zero here, to even in numpy): there they can
    differ by one code.
    """
    out_qparams = check_output_qparams(out_qparams)
    acc = to_accumulator(np.asarray(acc), "int32", what="accumulator acc")
    multiplier = np.asarray(scale, dtype=np.float64) / np.float64(out_qparams.scale)
    m0, shift = quantize_multiplier(multiplier)
    product = acc.astype(np.int64) * m0
    shifted = np.where(shift < 1, np.sign(product) * _SATURATED,
                       rounding_shift(product, np.maximum(shift, 1)))
    codes = np.clip(shifted + out_qparams.zero_point, out_qparams.qmin, out_qparams.qmax)
    return Requantized(codes=codes.astype(out_qparams.dtype), multiplier=multiplier, m0=m0,
                       shift=shift, qparams=out_qparams)
