"""The codebooks: data-free level sets (uniform, log2, NF4, the FP4/FP8 grids and
bitsandbytes' dynamic map) and, through :mod:`.fitted`, the ones fitted to data.

>>> codebook("uniform", bits=2).tolist(), codebook("log2", bits=3).tolist()
([-1.0, 0.0, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0])
"""

from __future__ import annotations

import statistics
from types import MappingProxyType

import numpy as np

from .._validate import Interval, Options, ParameterError, ParameterTypeError
from ..formats import FORMATS, _codes, format_info
from .fitted import (
    DEFAULT_MAX_ITER,
    DEFAULT_TOL,
    MAX_ITER,
    TERMS,
    TOL,
    _fit_input,
    binary_alphas,
    binary_levels,
    lloyd_max,
    quantile_bins,
)
from .nearest import _distinct

KINDS = ("uniform", "log2", "nf4", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2", "dynamic", "kmeans",
         "quantile", "binary")
KIND = Options(KINDS)
#: The kinds fitted to data: ``codebook`` needs ``x`` for them.
DATA_KINDS = ("kmeans", "quantile", "binary")
_FP_KINDS = ("fp4_e2m1", "fp8_e4m3", "fp8_e5m2")
# Bits each kind allows. For binary, bits is the number of +-alpha terms (2^bits levels).
_BITS = MappingProxyType({
    "uniform": Interval(int, 2, 8), "log2": Interval(int, 2, 8), "nf4": Interval(int, 4, 4),
    "fp4_e2m1": Interval(int, 4, 4), "fp8_e4m3": Interval(int, 8, 8),
    "fp8_e5m2": Interval(int, 8, 8), "dynamic": Interval(int, 8, 8),
    "kmeans": Interval(int, 2, 8), "quantile": Interval(int, 2, 8), "binary": TERMS,
})
_DEFAULT_BITS = 4  # a kind whose only width is another one (8) defaults to that
_FLAG = Options((True, False))
_INTEGER = Interval(int)
#: Options each kind takes, with their defaults.
OPTIONS = MappingProxyType({
    kind: {} for kind in KINDS
} | {"dynamic": {"signed": True},
     "kmeans": {"max_iter": DEFAULT_MAX_ITER, "tol": DEFAULT_TOL}})
_OPTION_CHECKS = {"signed": _FLAG, "max_iter": MAX_ITER, "tol": TOL}

# NF4 (QLoRA, Dettmers et al. 2023): the offset is the mean of 1 - 1/(2*15) and
# 1 - 1/(2*16), the outermost probabilities of 15 and 16 evenly spread quantiles.
# bitsandbytes types it rounded, 0.9677083; the table moves by less than 1e-6.
_NF4_OFFSET = (1 - 1 / (2 * 15) + 1 - 1 / (2 * 16)) / 2
_NF4_POSITIVE, _NF4_NEGATIVE = 8, 7
# bitsandbytes' dynamic tree map: 8 bits, at most 7 of them for the decimal exponent.
_DYNAMIC_BITS, _DYNAMIC_EXPONENT_BITS = 8, 7


# --- codebooks ---------------------------------------------------------------------------


def bits_allowed(kind: str) -> tuple[int, ...]:
    """The bit widths ``codebook(kind, bits=...)`` accepts (for binary: the number of
    +-alpha terms, giving 2^bits levels).

    >>> bits_allowed("nf4"), bits_allowed("binary"), bits_allowed("uniform")[-1]
    ((4,), (1, 2, 3, 4), 8)
    """
    allowed = _BITS[KIND.check("kind", kind)]
    return tuple(range(int(allowed.low), int(allowed.high) + 1))


def _uniform(bits: int) -> np.ndarray:
    # The signed symmetric integer grid of absmax int quantization (narrow range, as
    # TensorRT and the seeds): -(2^(b-1)-1)..2^(b-1)-1, so 2^b - 1 levels with 0 exact.
    top = (1 << (bits - 1)) - 1
    return np.arange(-top, top + 1) / top


def _log2(bits: int) -> np.ndarray:
    # A sign bit and an exponent code: codes for 2^0 .. 2^-(2^(b-1) - 2) and one for 0.
    powers = np.ldexp(1.0, -np.arange((1 << (bits - 1)) - 1))
    return np.concatenate((-powers, [0.0], powers[::-1]))


def _nf4() -> np.ndarray:
    # QLoRA's construction: 8 quantiles of N(0, 1) on the positive side and 7 on the
    # negative one, plus an exact 0, divided by the largest. Asymmetric on purpose: 16
    # codes cannot hold 0 and a symmetric +-pair set, so one side gets one level less,
    # and both -1 and +1 exist. 0 is inserted as a level, so zero weights and the zero
    # padding of a last block come back exactly.
    positive = np.linspace(_NF4_OFFSET, 0.5, _NF4_POSITIVE + 1)[:-1]
    negative = np.linspace(_NF4_OFFSET, 0.5, _NF4_NEGATIVE + 1)[:-1]
    # The standard library's normal quantile (Wichura's AS241, full float64 accuracy).
    ppf = statistics.NormalDist().inv_cdf
    values = [ppf(p) for p in positive] + [0.0] + [-ppf(p) for p in negative]
    values = np.sort(np.array(values))
    return values / values[-1]


def fp_grid(fmt: str) -> np.ndarray:
    """Every finite value of a float format, sorted, -0 and +0 as one 0 (float64).

    >>> fp_grid("fp4_e2m1")[7:].tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    """
    values = _codes(FORMATS[fmt], format_info(fmt).bits)
    return _distinct(values[np.isfinite(values)])


def dynamic_map(signed: bool = True) -> np.ndarray:
    """bitsandbytes' 8-bit dynamic tree map (``create_dynamic_map(signed, 7, 8)``).

    >>> m = dynamic_map()
    >>> m.size, float(m[-1]), bool(m[0] > -1), float(m[m > 0][0])
    (256, 1.0, True, 5.5e-07)

    After the sign bit, the leading bits say the decimal exponent and the rest are a
    linear fraction: decade 10^(i-6) (i = 0..6) holds 2^i fraction values (2^(i+1)
    unsigned, where the sign bit is free), the midpoints of that many equal steps from
    0.1 to 1. With 0 and 1.0 that is 256 sorted values: the signed map has +1 but no -1,
    the unsigned one lies on [0, 1]. Computed in float64 (bitsandbytes rounds them to
    float32).
    """
    non_sign_bits = _DYNAMIC_BITS - 1
    values = [0.0, 1.0]
    for i in range(_DYNAMIC_EXPONENT_BITS):
        count = 1 << (i + non_sign_bits - _DYNAMIC_EXPONENT_BITS + (0 if signed else 1))
        edges = np.linspace(0.1, 1.0, count + 1)
        means = (edges[:-1] + edges[1:]) / 2 * 10.0 ** (i - (_DYNAMIC_EXPONENT_BITS - 1))
        values += means.tolist() + ((-means).tolist() if signed else [])
    return np.unique(values)


def _check_bits(kind: str, bits) -> int:
    allowed = _BITS[kind]
    bits = _INTEGER.check("bits", bits)
    if not allowed.contains(bits):
        words = str(int(allowed.low)) if allowed.low == allowed.high else allowed.describe()
        raise ParameterError("param_range", name="bits", allowed=f"{words} for {kind!r}",
                             value=str(bits))
    return bits


def _options(kind: str, options: dict) -> dict:
    unknown = sorted(set(options) - set(OPTIONS[kind]))
    if unknown:
        raise ParameterTypeError("unknown_options", method=repr(kind), names=str(unknown))
    return {name: _OPTION_CHECKS[name].check(name, options.get(name, default))
            for name, default in OPTIONS[kind].items()}


def codebook(kind: str, *, bits: int | None = None, x=None, **options) -> np.ndarray:
    """The sorted, distinct levels of a non-uniform quantizer, as float64.

    >>> codebook("uniform", bits=2).tolist(), codebook("log2", bits=3).tolist()
    ([-1.0, 0.0, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0])
    >>> codebook("fp4_e2m1").tolist()
    [-6.0, -4.0, -3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    >>> codebook("binary", bits=2, x=[1.0, -1.0, 3.0, -3.0]).tolist()
    [-3.0, -1.0, 1.0, 3.0]

    The kinds (``bits=None`` is the kind's natural width: 8 for ``fp8_*`` and
    ``dynamic``, 4 otherwise; :func:`bits_allowed` lists the rest):

    - ``uniform``: absmax int quantization's grid, ``k / (2^(b-1) - 1)`` for
      ``|k| <= 2^(b-1) - 1``: 2^b - 1 levels on [-1, 1], with 0.
    - ``log2``: 0 and ``+-2^-k`` for ``k = 0 .. 2^(b-1) - 2``: 2^b - 1 levels.
    - ``nf4``: QLoRA's NormalFloat4, 16 levels on [-1, 1] (8 positive, 7 negative, 0).
    - ``fp4_e2m1``, ``fp8_e4m3``, ``fp8_e5m2``: every finite value of the format (15,
      253 and 247 levels: -0 and +0 are one level).
    - ``dynamic``: bitsandbytes' 8-bit dynamic tree map, 256 levels in (-1, 1]; option
      ``signed=False`` gives the unsigned map on [0, 1].
    - ``kmeans``: Lloyd-Max on ``x`` (see :func:`lloyd_max`; options ``max_iter`` and
      ``tol``).
    - ``quantile``: the means of 2^b equal-population bins of ``x`` (see
      :func:`quantile_bins`).
    - ``binary``: greedy binary-code quantization of ``x`` with ``bits`` terms (see
      :func:`binary_alphas`): all 2^bits sums ``+-alpha_1 +- ... +- alpha_k``.

    The data kinds give at most 2^bits levels in x's units: fewer when x has fewer
    distinct values (a constant tensor gives that one value, all zeros give [0.0]).
    ``x`` is ignored by the other kinds.
    """
    KIND.check("kind", kind)
    if bits is None:
        bits = int(_BITS[kind].high) if _BITS[kind].low > _DEFAULT_BITS else _DEFAULT_BITS
    bits = _check_bits(kind, bits)
    opts = _options(kind, options)
    if kind == "uniform":
        return _uniform(bits)
    if kind == "log2":
        return _log2(bits)
    if kind == "nf4":
        return _nf4()
    if kind in _FP_KINDS:
        return fp_grid(kind)
    if kind == "dynamic":
        return dynamic_map(opts["signed"])
    data = _fit_input(x, kind)
    if kind == "kmeans":
        return lloyd_max(data, 1 << bits, **opts).levels
    if kind == "quantile":
        return quantile_bins(data, 1 << bits).levels
    return binary_levels(binary_alphas(data, bits))
