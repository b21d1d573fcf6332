"""The Calibration page: min-max, percentile, entropy (KL) and MSE side by side on one
tensor, the clipping-versus-rounding trade-off, and observers over batches.

Two reports, cached apart: ``report`` (every method, the curves) and ``batches`` (the
observers), so that moving a batch control does not redo the searches.

>>> r = report([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2], Settings(percentile=70.0))
>>> [(m.method, round(m.hi, 3)) for m in r.results]
[('minmax', 99.0), ('percentile', 0.59), ('entropy', 99.0), ('mse', 98.995)]
>>> r.codes["percentile"]
[65, 127, -65, -108, 0, 127, -128, 43]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantlib import binning, calibration
from quantlib._validate import BITS, Interval
from quantlib.calibration import METHODS, magnitude_histogram, search_range, value_histogram
from quantlib.histogram import Histogram
from quantlib.metrics import error_split, mean_square, sqnr_db
from quantlib.observers import HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver
from quantlib.presets import CALIBRATION_EXAMPLES
from quantlib.searches import KLSearch, entropy_search, kl, kl_distributions, range_mse
from quantlib.uniform import as_float_array, fake_quantize, qparams_from_range, quantize

HIST_BINS = 160
#: Points of the MSE-against-threshold curve (per side when asymmetric).
CURVE_POINTS = 160
CURVE_FROM = 0.5
PICK_MARGIN = 0.6
#: P and Q are drawn with at most this many points (neighbouring bins merged beyond).
MAX_PQ_POINTS = 1024
#: Up to this many values, the page lists every value's code under each method.
MAX_CODES = 32
BATCHES = Interval(int, 2, 32)
DISPLAY_MARGIN = 0.04
#: The seeds' calibration examples, for the page's presets.
EXAMPLES = CALIBRATION_EXAMPLES
#: The columns of the page's method table, in order.
TABLE_COLUMNS = ("method", "lo", "hi", "scale", "zero_point", "mse", "clip_mse", "round_mse",
                 "sqnr_db", "clipped")
#: The observers the batch view compares, in drawing order.
OBSERVERS = ("minmax", "moving", "histogram")
# The batch axis runs half a batch beyond the first and the last.
BATCH_AXIS_PAD = 0.5
# "Play" takes about this long in all, at most this long a batch.
PLAY_SECONDS = 3.0
MAX_FRAME_SECONDS = 0.4


@dataclass(frozen=True)
class Settings:
    """What the method comparison depends on; hashable, so it keys caches. Every method
    is computed (the page shows the chosen ones), so choosing methods is free."""

    bits: int = 8
    symmetric: bool = True
    percentile: float = 99.99
    bins: int = 2048

    def options(self, method: str) -> dict:
        """The calibration options the page passes to ``method``."""
        return {"percentile": {"percentile": self.percentile}, "entropy": {"bins": self.bins},
                "mse": {"bins": self.bins}}.get(method, {})


@dataclass(frozen=True)
class MethodResult:
    """One method's range and what quantizing with it costs."""

    method: str
    lo: float
    hi: float
    scale: float
    zero_point: int
    mse: float
    clip_mse: float
    round_mse: float
    sqnr_db: float
    clipped_fraction: float


@dataclass(frozen=True, eq=False)
class MSECurve:
    """The MSE (and its clipping part) against the clipping range.

    Symmetric: ``x`` holds thresholds t of ranges [-t, t]. Asymmetric: two slices through
    the MSE-optimal range, ``x`` < 0 moving the low end, ``x`` > 0 the high end.
    """

    x: np.ndarray
    mse: np.ndarray
    clip_mse: np.ndarray
    symmetric: bool

    @property
    def round_mse(self) -> np.ndarray:
        return np.maximum(self.mse - self.clip_mse, 0.0)

    @property
    def lowest(self) -> tuple[float, float]:
        """Where the drawn curve is lowest: ``(x, mse)``."""
        k = int(np.nanargmin(self.mse))
        return float(self.x[k]), float(self.mse[k])


@dataclass(frozen=True, eq=False)
class KLView:
    """The entropy search: KL against threshold, and P and Q at the pick."""

    thresholds: np.ndarray
    divergences: np.ndarray  # NaN where impossible (a clipped tail Q cannot hold)
    threshold: float
    divergence: float
    kept_bins: int
    levels: int
    width: float  # of a histogram bin
    centers: np.ndarray  # of P's and Q's points (|x| values)
    p: np.ndarray
    q: np.ndarray


@dataclass(frozen=True)
class BatchSettings:
    """What the observers over batches depend on."""

    batches: int = 8
    averaging_constant: float = 0.1
    symmetric: bool = True
    percentile: float = 99.99


@dataclass(frozen=True, eq=False)
class BatchView:
    """Ranges after each batch (index k: after batches 1..k+1) for three observers."""

    sizes: np.ndarray
    minmax: np.ndarray  # (batches, 2)
    moving: np.ndarray
    histogram: np.ndarray  # percentile from the histogram observer

    @property
    def count(self) -> int:
        return int(self.sizes.size)

    @property
    def axes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Axis ranges that hold every batch's ranges: the same for every frame."""
        ends = np.concatenate([self.minmax, self.moving, self.histogram])
        return ((BATCH_AXIS_PAD, self.count + 1 - BATCH_AXIS_PAD),
                binning.padded_range(float(ends.min()), float(ends.max()),
                                     margin=DISPLAY_MARGIN))

    def after(self, k: int) -> tuple[list[int], dict[str, np.ndarray], int]:
        """Batch numbers 1..k, each observer's ranges after them, and the values fed."""
        k = min(max(k, 1), self.count)
        ranges = {"minmax": self.minmax, "moving": self.moving, "histogram": self.histogram}
        return (list(range(1, k + 1)), {o: ranges[o][:k] for o in OBSERVERS},
                int(self.sizes[:k].sum()))

    def frames(self, step: int, play: bool) -> tuple[list[int], float]:
        """The steps to draw (every one when playing) and the pause after each."""
        if not play:
            return [min(max(step, 1), self.count)], 0.0
        return list(range(1, self.count + 1)), min(MAX_FRAME_SECONDS, PLAY_SECONDS / self.count)


@dataclass(frozen=True, eq=False)
class Report:
    size: int
    x_min: float
    x_max: float
    constant: bool
    results: tuple[MethodResult, ...]
    edges: np.ndarray
    counts: np.ndarray
    curve: MSECurve
    kl: KLView | None
    values: list[float] | None  # the tensor itself, when small
    codes: dict[str, list[int]] | None

    def result(self, method: str) -> MethodResult | None:
        return next((r for r in self.results if r.method == method), None)

    def table(self, methods) -> dict[str, list]:
        """The chosen methods' rows as columns (``TABLE_COLUMNS``; clipped as a fraction)."""
        rows = self.chosen(methods)
        fields = dict(method="method", lo="lo", hi="hi", scale="scale", zero_point="zero_point",
                      mse="mse", clip_mse="clip_mse", round_mse="round_mse",
                      sqnr_db="sqnr_db", clipped="clipped_fraction")
        return {c: [getattr(r, fields[c]) for r in rows] for c in TABLE_COLUMNS}

    def chosen(self, methods) -> list[MethodResult]:
        return [r for r in self.results if r.method in methods]

    def best(self, methods) -> MethodResult | None:
        """The chosen method with the smallest MSE."""
        return min(self.chosen(methods), key=lambda r: r.mse, default=None)


def _result(x: np.ndarray, method: str, lo: float, hi: float, s: Settings,
            power: float) -> tuple:
    qp = qparams_from_range(lo, hi, bits=s.bits, symmetric=s.symmetric)
    parts = error_split(x, fake_quantize(x, qp), qp)
    return MethodResult(method, lo, hi, float(qp.scale), int(qp.zero_point), parts["mse"],
                        parts["clip_mse"], parts["round_mse"], sqnr_db(power, parts["mse"]),
                        parts["clipped_fraction"]), qp


def _fractions(ends: list[float], end: float) -> np.ndarray:
    """Where the curve runs, as fractions of ``end``: from half of it (or well below the
    narrowest pick) to all of it. Below, clipping dwarfs everything and hides the U."""
    picks = [e / end for e in ends if end]
    start = min(CURVE_FROM, PICK_MARGIN * min(picks, default=1.0))
    return np.linspace(start, 1.0, CURVE_POINTS)


def _curve(values: Histogram, s: Settings, ranges: dict) -> MSECurve:
    opts = dict(bits=s.bits, symmetric=s.symmetric, split=True)
    lo0, hi0 = min(values.lo, 0.0), max(values.hi, 0.0)
    # Ranges as the quantizer uses them: widened to hold 0.
    widened = {m: (min(lo, 0.0), max(hi, 0.0)) for m, (lo, hi) in ranges.items()}
    best = widened["mse"]
    if s.symmetric:
        amax = max(-lo0, hi0)
        t = amax * _fractions([max(-lo, hi) for lo, hi in widened.values()], amax)
        mse, clip = range_mse(values, -t, t, **opts)
        return MSECurve(t, mse, clip, True)
    # A side the data do not reach (all >= 0, say) has no slice.
    parts = []
    if lo0 < 0:
        los = lo0 * _fractions([lo for lo, _ in widened.values()], lo0)[::-1]
        left = (los, *range_mse(values, los, np.full_like(los, best[1]), **opts))
        # NaN ends the left slice: a line chart leaves a gap, not a bridge over 0.
        parts.append(tuple(np.append(v, np.nan) for v in left))
    if hi0 > 0:
        his = hi0 * _fractions([hi for _, hi in widened.values()], hi0)
        parts.append((his, *range_mse(values, np.full_like(his, best[0]), his, **opts)))
    if not parts:  # all zeros
        return MSECurve(np.zeros(1), np.zeros(1), np.zeros(1), False)
    x, mse, clip = (np.concatenate(v) for v in zip(*parts, strict=True))
    return MSECurve(x, mse, clip, False)


def _kl_view(search: KLSearch, magnitude: Histogram) -> KLView:
    p, q = kl_distributions(magnitude.counts, int(search.bins[search.best]), search.levels)
    merge = -(-p.size // MAX_PQ_POINTS)
    pad = (-p.size) % merge
    width = magnitude.width
    p_shown, q_shown = (np.pad(v, (0, pad)).reshape(-1, merge).sum(axis=1) for v in (p, q))
    centers = (np.arange(p_shown.size) + 0.5) * merge * width
    divergences = np.where(np.isfinite(search.divergences), search.divergences, np.nan)
    return KLView(search.thresholds, divergences, search.threshold, kl(p, q),
                  int(search.bins[search.best]), search.levels, width, centers, p_shown,
                  q_shown)


def most_batches(size: int) -> int:
    """The most batches a tensor of ``size`` values splits into (at least the fewest
    allowed: a tensor of one value is then one batch).

    >>> most_batches(5), most_batches(1), most_batches(10**6)
    (5, 2, 32)
    """
    return max(BATCHES.low, min(BATCHES.high, size))


def batch_count(batches: int, size: int) -> int:
    """How many batches ``size`` values make when cut into ``batches``: never more than
    there are values.

    >>> batch_count(8, 16384), batch_count(8, 3), batch_count(2, 1)
    (8, 3, 1)
    """
    return min(batches, size)


def batches(x, settings: BatchSettings = BatchSettings()) -> BatchView:
    """Feed ``x``, split into batches, to three observers; their ranges after each batch.

    >>> b = batches([1.0, -1.0, 3.0, 0.5], BatchSettings(batches=2, symmetric=False))
    >>> b.minmax.tolist(), b.moving.tolist()
    ([[-1.0, 1.0], [-1.0, 3.0]], [[-1.0, 1.0], [-0.85, 1.2]])
    """
    x = as_float_array(x)
    s = settings
    BATCHES.check("batches", s.batches)
    parts = np.array_split(x.reshape(-1), batch_count(s.batches, x.size))
    observers = (MinMaxObserver(symmetric=s.symmetric),
                 MovingAverageMinMaxObserver(averaging_constant=s.averaging_constant,
                                             symmetric=s.symmetric),
                 HistogramObserver("percentile", symmetric=s.symmetric,
                                   percentile=s.percentile))
    ranges = np.empty((3, len(parts), 2))
    for k, part in enumerate(parts):
        for o, observer in enumerate(observers):
            ranges[o, k] = observer.update(part).compute_range()
    return BatchView(np.array([p.size for p in parts]), *ranges)


def report(x, settings: Settings = Settings()) -> Report:
    """Calibrate ``x`` with every chosen method and bin what the page draws."""
    x = as_float_array(x)
    s = settings
    BITS.check("bits", s.bits)
    calibration.method_options("mse", s.options("mse"))
    calibration.method_options("percentile", s.options("percentile"))
    lo_x, hi_x = calibration.calibrate(x, "minmax")
    unsigned = lo_x >= 0
    magnitude = magnitude_histogram(x, s.bins)
    values = value_histogram(x, calibration.mse_bins(s.bins, s.bits))
    search = entropy_search(magnitude, bits=s.bits, unsigned=unsigned) if magnitude.hi else None
    ranges = {}
    for method in METHODS:
        if method == "entropy" and search is not None:
            ranges[method] = calibration.entropy_range(search, unsigned)
        elif method == "mse":
            ranges[method] = search_range("mse", values=values, bits=s.bits,
                                          symmetric=s.symmetric, options=s.options("mse"))
        else:
            ranges[method] = calibration.calibrate(x, method, bits=s.bits, symmetric=s.symmetric,
                                                   **s.options(method))
    power = mean_square(x)
    done = [_result(x, m, *ranges[m], s, power) for m in ranges]
    display = binning.padded_range(min(lo_x, *(r[0] for r in ranges.values()), 0.0),
                                   max(hi_x, *(r[1] for r in ranges.values()), 0.0),
                                   margin=DISPLAY_MARGIN)
    small = x.size <= MAX_CODES
    return Report(
        size=int(x.size), x_min=lo_x, x_max=hi_x, constant=lo_x == hi_x,
        results=tuple(r for r, _ in done),
        edges=binning.edges(*display, HIST_BINS),
        counts=binning.histogram(x, HIST_BINS, *display)[0],
        curve=_curve(values, s, ranges),
        kl=None if search is None else _kl_view(search, magnitude),
        values=x.reshape(-1).astype(np.float64).tolist() if small else None,
        codes={r.method: quantize(x, qp).reshape(-1).tolist() for r, qp in done}
        if small else None,
    )
