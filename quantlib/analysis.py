"""Everything the Uniform quantization page shows, computed in one pure function.

The page (and a notebook) gets binned arrays whose size does not depend on the tensor's:
histograms of x and x_hat, the staircase, the error histogram, error-vs-x counts and
the step-by-step table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import binning
from . import granularity as gran
from .calibration import calibrate_rows, choose_qparams
from .metrics import clipped_fraction, metrics
from .qtypes import QParams
from .uniform import (
    as_float_array,
    dequantize,
    level_bounds,
    levels,
    qparams_at,
    qparams_from_range,
    quantize,
    step_table,
)

HIST_BINS = 120
ERROR_BINS = 100
HEAT_BINS = (120, 60)
STAIRCASE_POINTS = 1500
# Above this many levels, drawing each one is clutter; the histogram shows them anyway.
MAX_DRAWN_LEVELS = 64
# Up to this many values, error-vs-x shows every value as a point; above, a 2-D histogram.
MAX_ERROR_POINTS = 4096
DISPLAY_MARGIN = 0.04


@dataclass(frozen=True, eq=False)
class UniformReport:
    """Binned results of quantizing one tensor; every array is small and fixed-size."""

    qparams: QParams
    focus: int | None
    focus_qparams: QParams
    focus_range: tuple[float, float]
    range_used: tuple[float, float]
    half_step: float
    n_levels: int
    focus_size: int
    focus_min: float
    focus_max: float
    focus_clipped: float
    level_range: tuple[float, float]
    metrics: dict
    display_range: tuple[float, float]
    hist_edges: np.ndarray
    hist_x: np.ndarray
    hist_x_hat: np.ndarray
    levels: np.ndarray | None
    stair_x: np.ndarray
    stair_q: np.ndarray
    stair_x_hat: np.ndarray
    error_edges: np.ndarray
    error_counts: np.ndarray
    heat_counts: np.ndarray
    heat_x_edges: np.ndarray
    heat_error_edges: np.ndarray
    error_points: np.ndarray | None
    table: dict
    scale_min: float
    scale_max: float
    q_head: np.ndarray


def uniform_report(x, *, bits: int = 8, symmetric: bool = False, signed: bool = True,
                   narrow_range: bool = False, include_zero: bool = True,
                   granularity: str = "tensor", axis: int = 0, group_size: int = 64,
                   method: str = "minmax", manual_range: tuple[float, float] | None = None,
                   rounding: str = "half_even", seed: int = 0, focus: int = 0,
                   table_rows: int = 8, **options) -> UniformReport:
    """Quantize ``x`` with the given settings and bin everything a chart needs.

    >>> r = uniform_report([-2.5, -1.0, 0.0, 1.0, 3.5], symmetric=True, narrow_range=True)
    >>> r.q_head.tolist(), round(r.metrics["sqnr_db"], 1)
    ([-91, -36, 0, 36, 127], 50.4)

    ``manual_range=(lo, hi)`` replaces calibration (per-tensor only). ``focus`` picks the
    channel or group (row order) whose staircase and levels are drawn.
    """
    x = as_float_array(x)
    flags = dict(bits=bits, symmetric=symmetric, signed=signed, narrow_range=narrow_range,
                 include_zero=include_zero)
    if manual_range is not None:
        if granularity != "tensor":
            raise ValueError("a manual range applies to the whole tensor; "
                             "choose per-tensor granularity or a calibration method")
        qp = qparams_from_range(*manual_range, **flags)
    else:
        qp = choose_qparams(x, method=method, granularity=granularity, axis=axis,
                            group_size=group_size, **flags, **options)
    index = None if granularity == "tensor" else focus
    fq = qparams_at(qp, index)
    q = quantize(x, qp, rounding=rounding, seed=seed)
    x_hat = dequantize(q, qp)
    error = x_hat - x
    # The histogram and staircase show the focused channel/group with its own levels;
    # the error charts and the metrics cover the whole tensor.
    part, part_hat = (x, x_hat) if index is None else (
        gran.select(v, qp.granularity, qp.axis, qp.group_size, index) for v in (x, x_hat))
    level_lo, level_hi = (float(b) for b in level_bounds(fq))
    focus_min, focus_max = float(part.min()), float(part.max())
    display = binning.padded_range(min(focus_min, level_lo), max(focus_max, level_hi),
                                   margin=DISPLAY_MARGIN)
    whole = binning.padded_range(float(x.min()), float(x.max()), margin=DISPLAY_MARGIN)
    max_error = float(np.abs(error).max())
    error_range = binning.padded_range(-max_error, max_error, margin=DISPLAY_MARGIN)
    finite = np.finfo(x.dtype)  # the staircase is drawn in x's dtype: stay inside its range
    grid = np.linspace(max(display[0], float(finite.min)), min(display[1], float(finite.max)),
                       STAIRCASE_POINTS).astype(x.dtype)
    stair_q = quantize(grid, fq, rounding=rounding, seed=seed)
    n_levels = fq.qmax - fq.qmin + 1
    focus_range = _focus_range(part, method, manual_range, symmetric, bits, options)
    return UniformReport(
        qparams=qp, focus=index, focus_qparams=fq, focus_range=focus_range,
        range_used=range_used(*focus_range, symmetric=symmetric, include_zero=include_zero),
        half_step=fq.scale / 2, n_levels=n_levels, focus_size=int(part.size),
        focus_min=focus_min, focus_max=focus_max, focus_clipped=clipped_fraction(part, fq),
        level_range=(level_lo, level_hi), metrics=metrics(x, x_hat, qp), display_range=display,
        hist_edges=binning.edges(*display, HIST_BINS),
        hist_x=binning.histogram(part, HIST_BINS, *display)[0],
        hist_x_hat=binning.histogram(part_hat, HIST_BINS, *display)[0],
        levels=levels(fq) if n_levels <= MAX_DRAWN_LEVELS else None,
        stair_x=grid, stair_q=stair_q, stair_x_hat=dequantize(stair_q, fq),
        error_edges=binning.edges(*error_range, ERROR_BINS),
        error_counts=binning.histogram(error, ERROR_BINS, *error_range)[0],
        heat_counts=binning.histogram2d(x, error, HEAT_BINS, whole, error_range),
        heat_x_edges=binning.edges(*whole, HEAT_BINS[0]),
        heat_error_edges=binning.edges(*error_range, HEAT_BINS[1]),
        error_points=(np.stack([x.reshape(-1), error.reshape(-1)]).astype(x.dtype)
                      if x.size <= MAX_ERROR_POINTS else None),
        table=step_table(x, qp, rounding=rounding, seed=seed, count=table_rows),
        scale_min=float(np.min(qp.scale)), scale_max=float(np.max(qp.scale)),
        q_head=q.reshape(-1)[:table_rows].copy(),
    )


def range_used(lo: float, hi: float, *, symmetric: bool, include_zero: bool
               ) -> tuple[float, float]:
    """The range the scale is computed from: symmetrized, or widened to contain 0.

    >>> range_used(0.5, 2.0, symmetric=False, include_zero=True)
    (0.0, 2.0)
    >>> range_used(-0.8, 0.7, symmetric=True, include_zero=True)
    (-0.8, 0.8)
    """
    if symmetric:
        amax = max(abs(lo), abs(hi))
        return -amax, amax
    if include_zero:
        return min(lo, 0.0), max(hi, 0.0)
    return lo, hi


def _focus_range(part, method, manual_range, symmetric, bits, options):
    """The calibrated [lo, hi] of the focused slice, before widening or symmetrizing."""
    if manual_range is not None:
        return float(manual_range[0]), float(manual_range[1])
    lo, hi = calibrate_rows(part.reshape(1, -1), method, bits=bits, symmetric=symmetric, **options)
    return float(lo[0]), float(hi[0])
