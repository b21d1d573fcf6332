"""Binned chart data: small, fixed-size arrays that any chart builder can draw.

A 16M-element tensor and a 1k one give the same number of numbers here, so what a page
sends to the browser does not grow with the tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

_NICE_STEPS = (1, 2, 5, 10)


def integer_step(span: float, ticks: int = 6) -> int:
    """A 1-2-5 integer tick step giving about ``ticks`` ticks over ``span`` (any size).

    >>> integer_step(15), integer_step(255), integer_step(1e300) > 0
    (5, 50, True)
    """
    raw = max(span / ticks, 1.0) if math.isfinite(span) else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in _NICE_STEPS if m * magnitude >= raw))


def nbytes(obj) -> int:
    """The bytes of every numpy array inside a (nested) dataclass, dict, list or tuple.

    >>> nbytes(LevelHistogram(np.zeros(3), np.zeros(2, np.int64), None, None, (0.0, 1.0)))
    40
    """
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if hasattr(obj, "__dataclass_fields__"):
        return sum(nbytes(getattr(obj, f.name)) for f in fields(obj))
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(nbytes(v) for v in obj)
    return 0


@dataclass(frozen=True, eq=False)
class LevelHistogram:
    """Counts of x (and of its reconstruction x_hat) on shared bins, with the levels.

    ``clip`` is where clipping starts: values beyond it are moved by more than rounding.
    """

    edges: np.ndarray
    counts: np.ndarray
    counts_hat: np.ndarray | None
    levels: np.ndarray | None
    clip: tuple[float, float] | None


@dataclass(frozen=True, eq=False)
class Staircase:
    """x -> q -> x_hat sampled on a grid of x, with the step and the zero point.

    ``q_axis`` is the range of codes that lines up with the x range (x_hat = (q - z) * s
    is linear), or None where it would not be finite.
    """

    x: np.ndarray
    q: np.ndarray
    x_hat: np.ndarray
    scale: float
    zero_point: int
    clip: tuple[float, float]
    q_axis: tuple[float, float] | None


@dataclass(frozen=True, eq=False)
class ErrorHistogram:
    """Counts of the error x_hat - x; ``half_step`` marks the largest rounding error."""

    edges: np.ndarray
    counts: np.ndarray
    half_step: float | None


@dataclass(frozen=True, eq=False)
class ErrorCloud:
    """The error against x: every point for a small tensor, else 2-D counts.

    ``points`` has shape (2, n) (x, error) when the tensor is small; otherwise ``counts``
    has shape (x bins, error bins).
    """

    x_edges: np.ndarray
    error_edges: np.ndarray
    counts: np.ndarray | None
    points: np.ndarray | None
    half_step: float | None
    clip: tuple[float, float] | None
