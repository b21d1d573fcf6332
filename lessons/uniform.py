"""The Uniform quantization page: what it computes for one tensor and one set of settings.

``report(x, settings)`` quantizes ``x`` and bins everything the page draws; the arrays it
keeps are small and fixed-size (the full per-channel or per-group parameters are not
kept), so a cache of reports stays small whatever the tensor.

>>> r = report([-2.5, -1.0, 0.0, 1.0, 3.5], Settings(symmetric=True, narrow_range=True, bits=8))
>>> r.table["q"].tolist(), round(r.metrics["sqnr_db"], 1)
([-91, -36, 0, 36, 127], 50.4)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from quantlib import binning, calibration
from quantlib import granularity as gran
from quantlib._validate import Interval, ParameterError
from quantlib.explain import levels, qparams_at, step_table
from quantlib.metrics import clipped_fraction, metrics
from quantlib.qtypes import Layout, QParams
from quantlib.uniform import (
    as_float_array,
    dequantize,
    level_bounds,
    qparams_from_range,
    quantize,
    widened_range,
    work_dtype,
)

from .binned import ErrorCloud, ErrorHistogram, LevelHistogram, Staircase

HIST_BINS = 120
ERROR_BINS = 100
CLOUD_BINS = (120, 60)
STAIRCASE_POINTS = 1500
# Above this many levels, drawing each one is clutter; the histogram shows them anyway.
MAX_DRAWN_LEVELS = 64
# Up to this many values, error-vs-x shows every value as a point; above, a 2-D histogram.
MAX_ERROR_POINTS = 4096
DISPLAY_MARGIN = 0.04
#: Rows of the step-by-step table the report keeps (the page shows a slice of them).
TABLE_ROWS = 32
#: The range modes of the page: the two one-pass calibration methods, or a range typed
#: in. Entropy and MSE search a histogram per channel or group, which is slow for
#: thousands of groups; the Calibration page compares all four.
RANGE_METHODS = ("minmax", "percentile", "manual")
# A value within half a step beyond the outermost level still rounds onto it: clipping
# (an error beyond s/2) starts there. The same rule as quantlib.metrics.clipped_fraction.
_HALF = 0.5
_F32 = np.finfo(np.float32)


@dataclass(frozen=True)
class Settings:
    """Everything the Uniform page's controls decide; hashable, so it keys caches."""

    symmetric: bool = False
    signed: bool = True
    bits: int = 4
    narrow_range: bool = False
    include_zero: bool = True
    rounding: str = "half_even"
    seed: int = 0
    layout: Layout = field(default_factory=Layout)
    method: str = "minmax"
    percentile: float = 99.9
    manual_range: tuple[float, float] | None = None
    focus: int = 0

    def __post_init__(self) -> None:
        if self.method == "manual" and (self.manual_range is None
                                        or self.layout.granularity != "tensor"):
            raise ParameterError("manual_range_layout")

    @property
    def options(self) -> dict:
        """Calibration options of the chosen method."""
        return {"percentile": self.percentile} if self.method == "percentile" else {}

    @property
    def flags(self) -> dict:
        return dict(bits=self.bits, symmetric=self.symmetric, signed=self.signed,
                    narrow_range=self.narrow_range, include_zero=self.include_zero)


@dataclass(frozen=True, eq=False)
class Report:
    """What the Uniform page shows; every array is small and fixed-size."""

    focus: int | None
    focus_qparams: QParams
    num_params: int
    scale_range: tuple[float, float]
    work_dtype: str
    calibrated: tuple[float, float]
    degenerate: bool
    range_used: tuple[float, float]
    n_levels: int
    focus_size: int
    focus_min: float
    focus_max: float
    focus_clipped: float
    level_range: tuple[float, float]
    metrics: dict
    histogram: LevelHistogram
    staircase: Staircase
    errors: ErrorHistogram
    cloud: ErrorCloud
    table: dict

    @property
    def half_step(self) -> float:
        return self.focus_qparams.scale / 2

    @property
    def size_change(self) -> tuple[float, bool]:
        """How many times smaller than float32 the stored tensor is (True), or larger
        (False: a tiny tensor with many scales can cost more than its floats)."""
        ratio = self.metrics["compression"]
        return (ratio, True) if ratio >= 1 else (1 / ratio, False)


def focus_choices(layout: Layout, shape: tuple[int, ...]) -> Interval:
    """The channels or groups a page can focus on: 0 to the last pair's index (row order).

    >>> focus_choices(Layout.group(64), (64, 256)).high
    255
    """
    return Interval(int, 0, layout.num_params(shape) - 1)


def ranges(x: np.ndarray, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Each (scale, zero point)'s calibrated ``(lo, hi)``, in the layout's parameter shape."""
    if s.method == "manual":
        return tuple(np.asarray(v, dtype=np.float64) for v in s.manual_range)
    return calibration.calibrate_layout(x, s.method, layout=s.layout, bits=s.bits,
                                        symmetric=s.symmetric, **s.options)


def qparams_for(x: np.ndarray, s: Settings, lo_hi=None) -> QParams:
    """The QParams the settings give for ``x`` (from ``lo_hi`` when already calibrated)."""
    lo, hi = ranges(x, s) if lo_hi is None else lo_hi
    layout = Layout.tensor() if s.method == "manual" else s.layout.resolve(x.shape)
    return qparams_from_range(lo, hi, layout=layout, **s.flags)


def _finite(lo: float, hi: float) -> tuple[float, float]:
    """A range clamped to float32's finite values: what any chart can place on an axis."""
    return max(float(lo), float(_F32.min)), min(float(hi), float(_F32.max))


def _clip_bounds(fq: QParams) -> tuple[float, float]:
    lowest, highest = level_bounds(fq)
    half = _HALF * fq.scale
    return _finite(float(lowest) - half, float(highest) + half)


def _q_axis(grid: np.ndarray, fq: QParams) -> tuple[float, float] | None:
    """The integer-code axis that lines up with the x axis, or None where it overflows."""
    with np.errstate(over="ignore"):
        ends = (float(grid[0]) / fq.scale + fq.zero_point,
                float(grid[-1]) / fq.scale + fq.zero_point)
    return ends if all(np.isfinite(ends)) else None


def report(x, settings: Settings = Settings()) -> Report:
    """Quantize ``x`` with ``settings`` and bin everything the page draws.

    The histogram and the staircase show the focused channel or group with its own
    levels (the whole tensor when per tensor); the error charts and the metrics cover
    the whole tensor.
    """
    x = as_float_array(x)
    s = settings
    lo, hi = ranges(x, s)
    qp = qparams_for(x, s, (lo, hi))
    index = None if qp.layout.granularity == "tensor" else s.focus
    fq = qparams_at(qp, index)
    q = quantize(x, qp, rounding=s.rounding, seed=s.seed)
    x_hat = dequantize(q, qp)
    with np.errstate(over="ignore"):
        error = x_hat - x
    max_error = float(np.abs(error).max())
    if not np.isfinite(max_error):  # x near float32's largest values: x_hat - x overflows
        error = x_hat.astype(np.float64) - x
        max_error = float(np.abs(error).max())
    part, part_hat = (x, x_hat) if index is None else (
        gran.select(v, qp.layout, index) for v in (x, x_hat))
    level_lo, level_hi = _finite(*level_bounds(fq))
    focus_min, focus_max = float(part.min()), float(part.max())
    display = _finite(*binning.padded_range(min(focus_min, level_lo), max(focus_max, level_hi),
                                            margin=DISPLAY_MARGIN))
    whole = binning.padded_range(float(x.min()), float(x.max()), margin=DISPLAY_MARGIN)
    error_range = binning.padded_range(-max_error, max_error, margin=DISPLAY_MARGIN)
    grid = np.linspace(*display, STAIRCASE_POINTS).astype(x.dtype)
    stair_q = quantize(grid, fq, rounding=s.rounding, seed=s.seed)
    n_levels = fq.qmax - fq.qmin + 1
    calibrated = tuple(float(gran.row_params(v, x.shape, qp.layout)[index or 0, 0])
                       for v in (lo, hi))
    wide_lo, wide_hi = widened_range(lo, hi, symmetric=s.symmetric,
                                     include_zero=s.include_zero)
    clip = _clip_bounds(fq)
    # Clipped regions are shaded only where there is something clipped to see.
    focus_clipped = clipped_fraction(part, fq)
    m = metrics(x, x_hat, qp)
    clipped = m["clipped_fraction"] > 0
    half = fq.scale / 2
    per_tensor = index is None
    small = x.size <= MAX_ERROR_POINTS
    return Report(
        focus=index, focus_qparams=fq, num_params=qp.num_params,
        scale_range=(float(np.min(qp.scale)), float(np.max(qp.scale))),
        work_dtype=str(work_dtype(x.dtype, qp)), calibrated=calibrated,
        degenerate=bool(np.any(wide_lo == wide_hi)),
        range_used=tuple(float(v) for v in widened_range(
            *calibrated, symmetric=s.symmetric, include_zero=s.include_zero)),
        n_levels=n_levels, focus_size=int(part.size), focus_min=focus_min,
        focus_max=focus_max, focus_clipped=focus_clipped,
        level_range=(level_lo, level_hi), metrics=m,
        histogram=LevelHistogram(
            edges=binning.edges(*display, HIST_BINS),
            counts=binning.histogram(part, HIST_BINS, *display)[0],
            counts_hat=binning.histogram(part_hat, HIST_BINS, *display)[0],
            levels=levels(fq) if n_levels <= MAX_DRAWN_LEVELS else None,
            clip=clip if focus_clipped else None),
        staircase=Staircase(x=grid, q=stair_q, x_hat=dequantize(stair_q, fq), scale=fq.scale,
                            zero_point=fq.zero_point, clip=clip, q_axis=_q_axis(grid, fq)),
        errors=ErrorHistogram(edges=binning.edges(*error_range, ERROR_BINS),
                              counts=binning.histogram(error, ERROR_BINS, *error_range)[0],
                              half_step=half),
        cloud=ErrorCloud(
            x_edges=binning.edges(*whole, CLOUD_BINS[0]),
            error_edges=binning.edges(*error_range, CLOUD_BINS[1]),
            counts=None if small else binning.histogram2d(x, error, CLOUD_BINS, whole,
                                                          error_range).astype(np.int32),
            points=(np.stack([x.reshape(-1), error.reshape(-1)]).astype(np.float32)
                    if small else None),
            half_step=half if per_tensor else None,
            clip=clip if per_tensor and clipped else None),
        table=step_table(x, qp, rounding=s.rounding, seed=s.seed, count=TABLE_ROWS),
    )
