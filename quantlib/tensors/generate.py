"""Seeded synthetic tensors for the workspace, and the constraints on their parameters.

Every bounded parameter is a closed ``Interval`` of ``quantlib._validate``, written once
here: ``generate`` checks its arguments with it, and the app's widgets build their bounds
from the same objects (``SCALE``, ``LOC``, ``OUTLIERS``, ``OUTLIER_SCALE`` and, per kind,
``GENERATOR_PARAMS``).

>>> SCALE.low, SCALE.high, GENERATOR_PARAMS["lognormal"]["sigma"].describe()
(1e-06, 1000000.0, 'a finite number from 0.01 to 4')
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from .._validate import (
    MAX_ELEMENTS,
    SEED,
    Interval,
    Options,
    ParameterError,
    ParameterTypeError,
    check_shape,
)
from ._arrays import FLOAT32_MAX
from .errors import scientific, show

MAX_NDIM = 4
# Every magnitude cap below keeps generated values far from float32's largest value
# (3.4e38), so that no allowed combination of parameters can overflow:
# scale and loc reach a million times the unit of any real weight or activation.
MAX_SCALE = 1e6
MAX_LOC = 1e6
# Scales and spreads are positive, and an Interval is closed, so they need a floor: a
# millionth is far below any real tensor's spread, and float32 still resolves it.
MIN_SCALE = 1e-6
MIN_FACTOR = 1e-6
# Upper bound of the unitless parameters (separation, spread, channel_scale, outlier_scale,
# df): multiplied by scale <= MAX_SCALE they stay at most 1e12.
MAX_FACTOR = 1e6
# Student's t with df < 1 has tails so heavy that 2**24 draws can exceed float32. At df=1
# (Cauchy) the largest of 2**24 draws is rarely above 1e10: times MAX_SCALE, below 1e16.
MIN_DF = 1.0
# exp(MAX_SIGMA * z) stays below 1e18 even for a 10-sigma draw of z: times MAX_SCALE,
# below 1e24.
MAX_SIGMA = 4.0
# Narrower log-normals look like a normal around 1, so nothing is lost, and the closed
# interval gets a positive floor.
MIN_SIGMA = 0.01
# The constant's value: far beyond any real weight, yet 20 orders of magnitude below
# float32's largest value, and stored as it is.
MAX_MAGNITUDE = 1e18
# Second entropy word of the outlier stream, so outliers never reuse the values' stream.
_OUTLIER_STREAM = 1

#: Scale of every kind but constant: the spread around loc.
SCALE = Interval(float, MIN_SCALE, MAX_SCALE)
#: Offset of every kind but constant.
LOC = Interval(float, -MAX_LOC, MAX_LOC)
#: How many elements become outliers; ``generate`` also caps it at the tensor's size.
OUTLIERS = Interval(int, 0, MAX_ELEMENTS)
#: Outliers sit at loc ± outlier_scale * scale.
OUTLIER_SCALE = Interval(float, 0.0, MAX_FACTOR)


class _Param(NamedTuple):
    default: int | float
    allowed: Interval


_PARAMS = {
    "normal": {},
    "uniform": {},
    "laplace": {},
    "student_t": {"df": _Param(3.0, Interval(float, MIN_DF, MAX_FACTOR))},
    "lognormal": {"sigma": _Param(1.0, Interval(float, MIN_SIGMA, MAX_SIGMA))},
    "bimodal": {"separation": _Param(2.0, Interval(float, 0.0, MAX_FACTOR)),
                "spread": _Param(0.5, Interval(float, MIN_FACTOR, MAX_FACTOR))},
    "relu": {},
    # outlier_channels is also capped by the channels, the last axis of the shape.
    "llm_activations": {"outlier_channels": _Param(2, Interval(int, 0, MAX_ELEMENTS)),
                        "channel_scale": _Param(20.0, Interval(float, MIN_FACTOR, MAX_FACTOR))},
    "constant": {"value": _Param(1.0, Interval(float, -MAX_MAGNITUDE, MAX_MAGNITUDE))},
}

#: Generator kinds, in menu order, each with its extra parameters and their defaults.
GENERATORS = MappingProxyType({
    kind: MappingProxyType({name: p.default for name, p in params.items()})
    for kind, params in _PARAMS.items()
})
#: The same kinds and parameters, each with its Interval of allowed values.
GENERATOR_PARAMS = MappingProxyType({
    kind: MappingProxyType({name: p.allowed for name, p in params.items()})
    for kind, params in _PARAMS.items()
})
KINDS = Options(tuple(GENERATORS))


def _check_kind(kind) -> str:
    if not isinstance(kind, str):
        raise ParameterTypeError("param_type", name="kind",
                                 allowed="a string, " + KINDS.describe(), value=show(repr(kind)))
    return KINDS.check("kind", kind)


def constraints_for(kind: str, shape: tuple[int, ...]) -> dict[str, Interval]:
    """The bounds of ``outliers`` and of the kind's parameters for a tensor of ``shape``:
    the outliers fit in the tensor, the outlier channels in its last axis.

    >>> constraints_for("llm_activations", (64, 256))["outlier_channels"].high
    256
    """
    allowed = {"outliers": OUTLIERS.within(high=min(OUTLIERS.high, math.prod(shape))),
               **GENERATOR_PARAMS[kind]}
    if kind == "llm_activations":
        allowed["outlier_channels"] = allowed["outlier_channels"].within(high=shape[-1])
    return allowed


def _check_params(kind: str, params: dict, shape: tuple[int, ...]) -> dict:
    """The kind's extra parameters, defaults filled in and each one validated."""
    allowed = constraints_for(kind, shape)
    unknown = sorted(set(params) - set(GENERATOR_PARAMS[kind]))
    if unknown:
        names = ", ".join(GENERATOR_PARAMS[kind]) or "none"
        raise TypeError(f"unknown parameter(s) {unknown} for kind {kind!r}; allowed: {names}")
    return {name: allowed[name].check(name, params.get(name, GENERATORS[kind][name]))
            for name in GENERATOR_PARAMS[kind]}


def _affine(z: np.ndarray, loc: float, scale: float) -> np.ndarray:
    z *= np.float32(scale)
    z += np.float32(loc)
    return z


def _sample(kind: str, rng: np.random.Generator, shape: tuple[int, ...], loc: float,
            scale: float, p: dict) -> np.ndarray:
    """A fresh float32 array of ``shape`` drawn from ``kind``."""
    f32 = np.float32
    if kind == "constant":
        return np.full(shape, p["value"], dtype=f32)
    if kind == "uniform":
        return _affine(rng.random(shape, dtype=f32) * f32(2) - f32(1), loc, scale)
    if kind == "laplace":
        # The difference of two unit exponentials is Laplace(0, 1), drawn in float32.
        z = rng.standard_exponential(shape, dtype=f32)
        return _affine(z - rng.standard_exponential(shape, dtype=f32), loc, scale)
    if kind == "student_t":
        # float64: numpy has no float32 t, and float32 gamma draws can be exactly 0.
        return _affine(rng.standard_t(p["df"], shape).astype(f32), loc, scale)
    if kind == "llm_activations":
        channels = rng.choice(shape[-1], size=p["outlier_channels"], replace=False)
        x = _affine(rng.standard_normal(shape, dtype=f32), loc, scale)
        x[..., channels] *= f32(p["channel_scale"])
        return x
    z = rng.standard_normal(shape, dtype=f32)
    if kind == "lognormal":
        return _affine(np.exp(z * f32(p["sigma"]), out=z), loc, scale)
    if kind == "bimodal":
        side = rng.integers(0, 2, size=shape, dtype=np.int8) * np.int8(2) - np.int8(1)
        z *= f32(p["spread"])
        z += side * f32(p["separation"])
    x = _affine(z, loc, scale)
    return np.maximum(x, f32(0), out=x) if kind == "relu" else x


def _add_outliers(x: np.ndarray, count: int, seed: int, loc: float, size: float) -> None:
    """Overwrite ``count`` distinct random elements of the fresh ``x`` with ``loc ± size``."""
    rng = np.random.default_rng([seed, _OUTLIER_STREAM])
    flat = x.reshape(-1)
    positions = rng.choice(flat.size, size=count, replace=False)
    signs = rng.integers(0, 2, size=count) * 2 - 1
    flat[positions] = loc + signs * size


def generate(kind: str, shape, *, seed: int = 0, scale: float = 1.0, loc: float = 0.0,
             outliers: int = 0, outlier_scale: float = 20.0, **params) -> np.ndarray:
    """A seeded synthetic float32 tensor; the same arguments give bit-identical arrays.

    >>> x = generate("normal", (2, 3), seed=1)
    >>> x.shape, x.dtype, bool(np.array_equal(x, generate("normal", (2, 3), seed=1)))
    ((2, 3), dtype('float32'), True)
    >>> generate("constant", 3, value=0.5)
    array([0.5, 0.5, 0.5], dtype=float32)

    Kinds (extra parameters and defaults in ``GENERATORS``, their bounds in
    ``GENERATOR_PARAMS``):

    - ``normal``: loc + scale * N(0, 1)
    - ``uniform``: U(loc - scale, loc + scale)
    - ``laplace``: loc + Laplace(0, scale)
    - ``student_t``: loc + scale * t(df); ``df=3.0`` (heavy tails), df >= 1
    - ``lognormal``: loc + scale * exp(N(0, sigma)); ``sigma=1.0``, 0.01 <= sigma <= 4
    - ``bimodal``: equal mixture of N(loc -/+ separation*scale, (spread*scale)^2);
      ``separation=2.0``, ``spread=0.5``
    - ``relu``: max(0, loc + scale * N(0, 1)), a spike at 0 like ReLU activations
    - ``llm_activations``: (tokens, channels), channels on the LAST axis:
      loc + scale * N(0, 1), then ``outlier_channels=2`` random channels are multiplied
      by ``channel_scale=20.0``: the systematic outlier features of LLM.int8()
    - ``constant``: every element is ``value=1.0``; seed and scale have no effect

    Then, for every kind, ``outliers`` distinct random elements (from a second seeded
    stream) become loc ± outlier_scale * scale, with a random sign.

    shape: an int or a tuple of 1 to 4 positive ints, at most MAX_ELEMENTS elements.
    seed, scale, loc, outliers, outlier_scale: within SEED, SCALE, LOC, OUTLIERS (and the
    tensor's size) and OUTLIER_SCALE. A value out of bounds raises ParameterError, one of
    the wrong type ParameterTypeError.
    Returns a new C-contiguous float32 array of that shape, every value finite.
    """
    kind = _check_kind(kind)
    shape = check_shape(shape, max_ndim=MAX_NDIM, max_elements=MAX_ELEMENTS)
    seed = SEED.check("seed", seed)
    scale = SCALE.check("scale", scale)
    loc = LOC.check("loc", loc)
    outliers = constraints_for(kind, shape)["outliers"].check("outliers", outliers)
    outlier_scale = OUTLIER_SCALE.check("outlier_scale", outlier_scale)
    p = _check_params(kind, params, shape)
    # An overflow is caught below, with a message that says what to change.
    with np.errstate(over="ignore", invalid="ignore"):
        x = _sample(kind, np.random.default_rng(seed), shape, loc, scale, p)
        if outliers:
            _add_outliers(x, outliers, seed, loc, outlier_scale * scale)
    if not np.isfinite(x).all():
        raise ParameterError("generate_overflow", kind=kind, limit=scientific(FLOAT32_MAX, 2))
    return x
