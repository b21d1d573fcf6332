"""The Granularity & outliers page: outliers break one shared scale; finer granularity,
clipping, LLM.int8() and SmoothQuant fix it, each measured on y = x @ w.T.

The workspace tensor is the activations x (tokens x features, one row per token); the
page injects outliers into it and multiplies it by seeded weights w in torch.nn.Linear's
layout (out_features x features), so every fix is judged on the layer's output.

>>> import quantlib as ql
>>> r = report(ql.generate("normal", (64, 256)), Settings())
>>> [f.name for f in r.fixes.fixes]
['per_tensor', 'clipping', 'finer', 'llm_int8', 'smooth_quant']
>>> base = r.fixes.fix("per_tensor").sqnr_db
>>> all(f.sqnr_db > base for f in r.fixes.fixes[1:])  # every fix helps at the defaults
True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from quantlib._validate import Interval, Options, ParameterError
from quantlib.calibration import calibrate, choose_qparams
from quantlib.matmul import quantized_matmul
from quantlib.metrics import sqnr_db
from quantlib.outliers import (
    channel_absmax,
    inject_outliers,
    int_dot,
    llm_int8_matmul,
    smoothing_scales,
)
from quantlib.uniform import dequantize, qparams_from_range, quantize

from .binned import integer_step
from .layer import W_SEED, as_rows, measure, weights  # noqa: F401 (the page's layer)
from .text import num

OUTLIER_KINDS = ("none", "isolated", "channels")
OUTLIER_KIND = Options(OUTLIER_KINDS)
#: Isolated outliers, or outlier channels (columns of x).
COUNT = Interval(int, 0, 64)
#: Isolated: standard deviations from the mean. Channels: how many times larger.
MAGNITUDE = Interval(float, 1.0, 100.0)
#: One width for x and w everywhere on the page (8 is what LLM.int8() and SmoothQuant use).
BITS = Interval(int, 2, 8)
GRANULARITIES = ("tensor", "row", "column", "group")
GRANULARITY = Options(GRANULARITIES)
GROUP_SIZES = (2, 4, 8, 16, 32, 64, 128)
GROUP_SIZE = Options(GROUP_SIZES)
CLIPS = ("mse", "percentile", "entropy")
CLIP = Options(CLIPS)
PERCENTILES = (90.0, 99.0, 99.9, 99.99, 99.999)
PERCENTILE = Options(PERCENTILES)
#: LLM.int8()'s outlier threshold, in x's own units (6 in the paper).
THRESHOLD = Interval(float, 0.5, 100.0)
ALPHA = Interval(float, 0.0, 1.0)
OUT_FEATURES = (16, 64, 128, 512, 1024, 4096)
OUT_FEATURE = Options(OUT_FEATURES)
FIXES = ("per_tensor", "clipping", "finer", "llm_int8", "smooth_quant")
#: The alpha curve's points (the slider moves in steps of 0.05; the curve is drawn in 0.1).
ALPHAS = tuple(round(a / 10, 1) for a in range(11))
#: The alpha curve is computed on at most this many tokens and output features (with the
#: scales of the whole tensors), so that it stays cheap at 512 x 4096 by 4096 x 4096.
CURVE_ROWS, CURVE_OUT = 64, 256
#: How much higher than the best finite SQNR an exact result's bar stands (dB).
EXACT_BAR_DB = 10.0
#: The fixes are measured on at most this many output features (scales from all of w),
MEASURE_OUT = 1024
#: on a batch of at most this many tokens and multiply-adds (512 x 4096 by 1024 x 4096),
MAX_TOKENS, MEASURE_MACS = 1024, 2**31
#: and x has at most this many features (seeded weights of up to 4096 x 8192).
MAX_FEATURES = 8192
#: Per-channel charts beyond this many channels show each bucket's largest value.
MAX_POINTS = 512
#: Up to this many points, each is marked on a per-channel line.
FEW_POINTS = 64
#: The heatmap of scales shows at most this many rows and columns of scales.
HEAT_ROWS, HEAT_COLUMNS = 64, 256
#: Codes are listed for a tensor this small (the seed examples).
MAX_CODES = 32


@dataclass(frozen=True)
class Build:
    """How the activations are built from the workspace tensor: the outliers put in."""

    outliers: str = "channels"
    count: int = 4
    magnitude: float = 20.0

    def check(self) -> Build:
        OUTLIER_KIND.check("outliers", self.outliers)
        COUNT.check("count", self.count)
        MAGNITUDE.check("magnitude", self.magnitude)
        return self


@dataclass(frozen=True)
class View:
    """The granularity section: x quantized at one granularity, next to one scale."""

    build: Build = Build()
    granularity: str = "column"
    group_size: int = 16
    bits: int = 8

    def check(self) -> View:
        self.build.check()
        GRANULARITY.check("granularity", self.granularity)
        GROUP_SIZE.check("group_size", self.group_size)
        BITS.check("bits", self.bits)
        return self


@dataclass(frozen=True)
class Curve:
    """The SmoothQuant alpha curve: what it depends on (not alpha itself)."""

    build: Build = Build()
    bits: int = 8
    out_features: int = 128

    def check(self) -> Curve:
        self.build.check()
        BITS.check("bits", self.bits)
        OUT_FEATURE.check("out_features", self.out_features)
        return self


@dataclass(frozen=True)
class FixSettings:
    """The four fixes of the matmul, and the per-tensor baseline they are judged by."""

    curve: Curve = Curve()
    clip: str = "mse"
    percentile: float = 99.9
    threshold: float = 6.0
    alpha: float = 0.5

    def check(self) -> FixSettings:
        self.curve.check()
        CLIP.check("clip", self.clip)
        PERCENTILE.check("percentile", self.percentile)
        THRESHOLD.check("threshold", self.threshold)
        ALPHA.check("alpha", self.alpha)
        return self


@dataclass(frozen=True)
class Settings:
    """Everything the page's controls decide."""

    outliers: str = "channels"
    count: int = 4
    magnitude: float = 20.0
    granularity: str = "column"
    group_size: int = 16
    bits: int = 8
    clip: str = "mse"
    percentile: float = 99.9
    threshold: float = 6.0
    alpha: float = 0.5
    out_features: int = 128

    def build(self) -> Build:
        return Build(self.outliers, self.count, self.magnitude)

    def view(self) -> View:
        return View(self.build(), self.granularity, self.group_size, self.bits)

    def curve(self) -> Curve:
        return Curve(self.build(), self.bits, self.out_features)

    def fixes(self) -> FixSettings:
        return FixSettings(self.curve(), self.clip, self.percentile, self.threshold,
                           self.alpha)


# --- the activations and the weights -------------------------------------------------

@dataclass(frozen=True, eq=False)
class Activations:
    """x as tokens x features, with the page's outliers, and where they went."""

    x: np.ndarray
    channels: np.ndarray  # injected outlier columns
    rows: np.ndarray  # isolated outliers: their rows and columns
    columns: np.ndarray


def activations(x, build: Build = Build()) -> Activations:
    """The workspace tensor as 2-D activations (a vector is one token; more axes are
    folded into tokens), with ``build``'s outliers injected (seeded: always the same)."""
    build = build.check()
    x = as_rows(x)
    if x.shape[1] > MAX_FEATURES:
        raise ParameterError(
            "param_range", name="features (the last axis of x)",
            allowed=f"at most {MAX_FEATURES:,}: give the workspace tensor at most "
                    f"{MAX_FEATURES:,} columns (a vector is one token of that many features)",
            value=f"{x.shape[1]:,}")
    none = np.zeros(0, dtype=np.int64)
    if build.outliers == "none" or build.count == 0:
        return Activations(x, none, none, none)
    if build.outliers == "channels":
        done = inject_outliers(x, count=0, magnitude=build.magnitude,
                               channels=min(build.count, x.shape[1]), axis=-1)
        return Activations(done.x, done.channels, none, none)
    done = inject_outliers(x, count=min(build.count, x.size), magnitude=build.magnitude)
    rows, columns = done.coordinates
    return Activations(done.x, none, rows, columns)


# --- per-channel pictures ------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Channels:
    """Values per channel for a chart: ``index[i]`` is the first channel of point i, and
    each point is the largest value of ``bucket`` consecutive channels (1: every one)."""

    index: np.ndarray
    bucket: int
    series: dict = field(default_factory=dict)

    @property
    def few(self) -> bool:
        """Few enough points to mark each one."""
        return self.index.size <= FEW_POINTS

    @property
    def step(self) -> int:
        """A whole-number tick step along the channels (1-2-5, about six ticks)."""
        return integer_step(int(self.index[-1]) if self.index.size else 1)


def _bucket(n: int) -> int:
    return max(1, math.ceil(n / MAX_POINTS))


def _pool(values: np.ndarray, bucket: int) -> np.ndarray:
    """The largest value of each run of ``bucket`` (NaN where a whole run is NaN)."""
    values = np.asarray(values, np.float64)
    if bucket == 1:
        return values
    pad = (-values.size) % bucket
    padded = np.concatenate([values, np.full(pad, np.nan)]).reshape(-1, bucket)
    with warnings.catch_warnings():  # an all-NaN run is a gap, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(padded, axis=1)


def channels(n: int, **series: np.ndarray) -> Channels:
    bucket = _bucket(n)
    return Channels(np.arange(0, n, bucket), bucket,
                    {name: _pool(v, bucket) for name, v in series.items()})


def _square_sums(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of a² per row and per column, in float64 (one float32 square of a)."""
    sq = np.square(a, dtype=np.float32)
    return sq.sum(axis=1, dtype=np.float64), sq.sum(axis=0, dtype=np.float64)


def _relative_error(err: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """||x_hat - x|| / ||x|| per channel in percent, from the channels' sums of squares;
    0 for an exact channel, NaN (a gap) for a channel of zeros that did not stay zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 100.0 * np.sqrt(err / norm)
    return np.where(err == 0, 0.0, np.where(norm == 0, np.nan, rel))


def _collapsed(q: np.ndarray) -> float:
    """The share of values that land on the codes -1, 0 and 1."""
    return float(np.count_nonzero((q >= -1) & (q <= 1)) / q.size)


def _column_list(columns: np.ndarray, most: int, more: str) -> str:
    """Column numbers as text, the first ``most`` of them, then ``more`` if cut."""
    shown = ", ".join(str(int(c)) for c in columns[:most])
    return shown + (more if columns.size > most else "")


# --- the granularity section ---------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Granular:
    """x quantized at one granularity, next to one scale for the whole tensor."""

    shape: tuple[int, int]
    outlier_channels: np.ndarray
    outlier_rows: np.ndarray
    outlier_columns: np.ndarray
    granularity: str
    group_size: int  # the group size used (at most a row's length)
    scale_count: int
    scales: np.ndarray  # 2-D, at most HEAT_ROWS x HEAT_COLUMNS of them
    scales_shape: tuple[int, int]  # the whole array of scales
    scale_tensor: float
    sqnr_db: float
    sqnr_db_tensor: float
    collapsed: float  # share of codes in {-1, 0, 1}
    collapsed_tensor: float
    row_error: Channels  # "one" and "chosen", relative error in percent
    column_error: Channels
    column_absmax: Channels  # "absmax" and "outlier" (NaN off the outlier columns)
    values: list | None  # a tiny x (the seed examples), its codes and theirs
    codes: list | None
    codes_tensor: list | None

    @property
    def injected(self) -> int:
        """How many columns hold an injected outlier (channels or isolated values)."""
        return int(np.union1d(self.outlier_channels, self.outlier_columns).size)


def _layout(granularity: str, group_size: int, shape: tuple[int, int]) -> dict:
    if granularity == "tensor":
        return {"granularity": "tensor"}
    if granularity == "group":
        return {"granularity": "group", "axis": 1, "group_size": min(group_size, shape[1])}
    return {"granularity": "channel", "axis": 0 if granularity == "row" else 1}


def _scale_grid(scales, granularity: str, shape: tuple[int, int]) -> np.ndarray:
    s = np.asarray(scales, np.float64)
    if granularity == "tensor":
        return s.reshape(1, 1)
    if granularity == "row":
        return s.reshape(-1, 1)
    if granularity == "column":
        return s.reshape(1, -1)
    return s.reshape(shape[0], -1)


def _marked(values: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``values`` on ``columns``, NaN (a gap in a line) elsewhere: marks on a chart."""
    marked = np.full(values.shape, np.nan)
    marked[columns] = values[columns]
    return marked


def granular(x, view: View = View()) -> Granular:
    """x (with its outliers) at ``view``'s granularity, against one symmetric scale."""
    view = view.check()
    a = activations(x, view.build)
    x = a.x
    one = choose_qparams(x, bits=view.bits, symmetric=True, narrow_range=True)
    layout = _layout(view.granularity, view.group_size, x.shape)
    chosen = choose_qparams(x, bits=view.bits, symmetric=True, narrow_range=True, **layout)
    q_one, q = quantize(x, one), quantize(x, chosen)
    power_rows, power_columns = _square_sums(x)
    err_one = _square_sums(dequantize(q_one, one) - x)
    err = _square_sums(dequantize(q, chosen) - x)
    power, n = float(power_rows.sum()), x.size
    grid = _scale_grid(chosen.scale, view.granularity, x.shape)
    absmax = np.max(np.abs(x), axis=0).astype(np.float64)
    small = x.size <= MAX_CODES
    return Granular(
        shape=x.shape, outlier_channels=a.channels, outlier_rows=a.rows,
        outlier_columns=a.columns, granularity=view.granularity,
        group_size=layout.get("group_size", view.group_size), scale_count=grid.size,
        scales=grid[:HEAT_ROWS, :HEAT_COLUMNS], scales_shape=grid.shape,
        scale_tensor=float(one.scale),
        sqnr_db=sqnr_db(power / n, float(err[0].sum()) / n),
        sqnr_db_tensor=sqnr_db(power / n, float(err_one[0].sum()) / n),
        collapsed=_collapsed(q), collapsed_tensor=_collapsed(q_one),
        row_error=channels(x.shape[0], one=_relative_error(err_one[0], power_rows),
                           chosen=_relative_error(err[0], power_rows)),
        column_error=channels(x.shape[1], one=_relative_error(err_one[1], power_columns),
                              chosen=_relative_error(err[1], power_columns)),
        column_absmax=channels(x.shape[1], absmax=absmax, outlier=_marked(
            absmax, np.union1d(a.channels, a.columns).astype(np.int64))),
        values=x.reshape(-1).tolist() if small else None,
        codes=q.reshape(-1).tolist() if small else None,
        codes_tensor=q_one.reshape(-1).tolist() if small else None)


# --- the four fixes ------------------------------------------------------------------

@dataclass(frozen=True)
class Fix:
    """One way to quantize the matmul, measured on y = x @ w.T against float."""

    name: str
    rel_error: float  # ||y_hat - y|| / ||y||
    sqnr_db: float
    cosine: float
    max_error: float

    @property
    def rel_error_pct(self) -> float:
        return 100.0 * self.rel_error


@dataclass(frozen=True, eq=False)
class Fixes:
    shape: tuple[int, int]  # the batch of x the layer is run on
    tokens: int  # all the tokens of x (the batch is the first ones)
    out_features: int
    measured_out: int  # the output features y is measured on (the first ones)
    fixes: tuple[Fix, ...]
    clip_range: tuple[float, float]  # the clipping fix's range for x
    minmax_range: tuple[float, float]
    clipped_share: float  # values of x beyond the clipping range
    llm_columns: np.ndarray  # the columns LLM.int8() sends through float
    float_share: float
    threshold: float
    column_absmax: Channels  # "absmax", "float" (NaN off the float columns)
    migration: Channels  # "x_before", "w_before", "x_after", "w_after"
    smoothing: tuple[float, float]  # min and max of s
    absmax_x: tuple[float, float]  # max|x| before and after smoothing
    absmax_w: tuple[float, float]

    def fix(self, name: str) -> Fix:
        return next(f for f in self.fixes if f.name == name)

    def float_columns(self, most: int = 12) -> str:
        """The columns LLM.int8() does in float, as text ("" for none), cut after ``most``."""
        return _column_list(self.llm_columns, most, "…")

    def bar_heights(self) -> tuple[float, ...]:
        """SQNR of each fix for a bar chart: an exact result (∞ dB) stands a bar's
        length above the highest finite one, so that it shows (its label says ∞)."""
        finite = [f.sqnr_db for f in self.fixes if math.isfinite(f.sqnr_db)]
        top = max(finite, default=0.0) + EXACT_BAR_DB
        return tuple(f.sqnr_db if math.isfinite(f.sqnr_db) else top for f in self.fixes)


def _measure(name: str, y: np.ndarray, y_hat: np.ndarray) -> Fix:
    m = measure(y, y_hat)
    return Fix(name, m.rel_error, m.sqnr_db, m.cosine, m.max_error)


def _symmetric(amax: float, bits: int):
    return qparams_from_range(-amax, amax, bits=bits, symmetric=True, narrow_range=True)


def _int(x: np.ndarray, w: np.ndarray, qx, qw) -> np.ndarray:
    """y through the integer path, from ready scales (or layouts to calibrate on x, w)."""
    if isinstance(qx, dict):
        qx = choose_qparams(x, symmetric=True, narrow_range=True, **qx)
    if isinstance(qw, dict):
        qw = choose_qparams(w, symmetric=True, narrow_range=True, **qw)
    return quantized_matmul(x, w, qx, qw).y


def clip_range(x: np.ndarray, s: FixSettings) -> tuple[float, float]:
    """The clipping fix's symmetric range for x, from the calibration methods."""
    options = {"percentile": s.percentile} if s.clip == "percentile" else {}
    return calibrate(x, s.clip, bits=s.curve.bits, symmetric=True, **options)


def _smoothed(x: np.ndarray, w: np.ndarray, maxima, alpha: float, bits: int) -> np.ndarray:
    """y of SmoothQuant at ``alpha`` with one scale for x / s and one for w * s, where s
    and both scales come from the channel maxima of the whole x and w (``maxima``): the
    rows of ``w`` may be a sample of the layer's."""
    s = smoothing_scales(maxima.x_before, maxima.w_before, alpha=alpha).astype(np.float32)
    qx = _symmetric(float(np.max(maxima.x_before / s)), bits)
    qw = _symmetric(float(np.max(maxima.w_before * s)), bits)
    # Symmetric codes have no zero-point terms: the exact integer product, one rescale
    # (quantized_matmul's path, without its checks: the alpha curve takes 11 of these).
    codes_x = quantize(x / s, qx).astype(np.float32)
    codes_w = quantize(w * s, qw).astype(np.float32)
    return (int_dot(codes_x, codes_w) * (qx.scale * qw.scale)).astype(np.float32)


def batch_tokens(shape: tuple[int, int], out: int) -> int:
    """How many tokens of x (the first ones) the layer is run on: all of them, unless
    the product with ``out`` output features would take over ``MEASURE_MACS``
    multiply-adds or ``MAX_TOKENS`` tokens (a batch, as a layer sees one)."""
    return max(1, min(shape[0], MAX_TOKENS, MEASURE_MACS // (out * shape[1])))


def fixes(x, settings: FixSettings = FixSettings()) -> Fixes:
    """The int matmul y = x @ w.T per tensor, and with each of the four fixes.

    The layer runs on a batch of x's tokens (all of them up to ``batch_tokens``), and
    every scale of x comes from that batch, as a layer would see it. Every scale of w
    comes from all of w; the products are measured on the first ``MEASURE_OUT`` output
    features (all of them up to that many): each output feature is a dot product of its
    own, so a sample of them measures the same error, at a quarter of the cost for a
    4096 x 4096 layer.
    """
    s = settings.check()
    bits = s.curve.bits
    x_all = activations(x, s.curve.build).x
    w_all = weights(s.curve.out_features, x_all.shape[1])
    w = w_all[:MEASURE_OUT]
    x = x_all[:batch_tokens(x_all.shape, w.shape[0])]
    y = x @ w.T
    maxima = channel_absmax(x, w_all, np.ones(x.shape[1]))
    amax, w_amax = float(maxima.x_before.max()), float(maxima.w_before.max())
    lo_hi = clip_range(x, s)
    llm = llm_int8_matmul(x, w, threshold=s.threshold, bits=bits)
    moved = channel_absmax(x, w_all, smoothing_scales(maxima.x_before, maxima.w_before,
                                                      alpha=s.alpha))
    per_tensor_w = _symmetric(w_amax, bits)
    per_row = {"granularity": "channel", "axis": 0, "bits": bits}
    clip_at = max(abs(lo_hi[0]), abs(lo_hi[1]))
    found = (
        _measure("per_tensor", y, _int(x, w, _symmetric(amax, bits), per_tensor_w)),
        _measure("clipping", y, _int(x, w, _symmetric(clip_at, bits), per_tensor_w)),
        _measure("finer", y, _int(x, w, per_row, per_row)),
        _measure("llm_int8", y, llm.y),
        _measure("smooth_quant", y, _smoothed(x, w, maxima, s.alpha, bits)),
    )
    absmax = maxima.x_before
    return Fixes(
        shape=x.shape, tokens=x_all.shape[0], out_features=w_all.shape[0],
        measured_out=w.shape[0], fixes=found,
        clip_range=(float(lo_hi[0]), float(lo_hi[1])), minmax_range=(-amax, amax),
        clipped_share=float(np.mean(np.abs(x) > clip_at)) if clip_at < amax else 0.0,
        llm_columns=np.asarray(llm.outlier_columns), float_share=float(llm.float_share),
        threshold=s.threshold,
        column_absmax=channels(absmax.size, absmax=absmax,
                               float=_marked(absmax, llm.outlier_columns)),
        migration=channels(absmax.size, x_before=moved.x_before, w_before=moved.w_before,
                           x_after=moved.x_after, w_after=moved.w_after),
        smoothing=(float(moved.s.min()), float(moved.s.max())),
        absmax_x=(float(moved.x_before.max()), float(moved.x_after.max())),
        absmax_w=(float(moved.w_before.max()), float(moved.w_after.max())))


# --- SmoothQuant's alpha -------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AlphaCurve:
    alphas: np.ndarray
    sqnr_db: np.ndarray
    rows: int  # tokens and output features the curve was measured on
    out_features: int
    sampled: bool  # fewer than all of them
    best: float  # the alpha with the highest SQNR
    best_sqnr: float


def alpha_curve(x, curve: Curve = Curve()) -> AlphaCurve:
    """SQNR of y after SmoothQuant (per-tensor int codes) for every alpha in ``ALPHAS``.

    The scales come from the whole of x and w (their channel maxima); the product is
    measured on the first ``CURVE_ROWS`` tokens and ``CURVE_OUT`` output features.
    """
    curve = curve.check()
    x = activations(x, curve.build).x
    w = weights(curve.out_features, x.shape[1])
    x = x[:batch_tokens(x.shape, min(w.shape[0], MEASURE_OUT))]
    maxima = channel_absmax(x, w, np.ones(x.shape[1]))
    xa, wa = x[:CURVE_ROWS], w[:CURVE_OUT]
    y = xa @ wa.T
    out = [measure(y, _smoothed(xa, wa, maxima, alpha, curve.bits)).sqnr_db
           for alpha in ALPHAS]
    sqnr = np.array(out)
    finite = np.where(np.isnan(sqnr), -np.inf, sqnr)
    return AlphaCurve(np.array(ALPHAS), sqnr, xa.shape[0], wa.shape[0],
                      xa.shape[0] < x.shape[0] or wa.shape[0] < w.shape[0],
                      float(ALPHAS[int(np.argmax(finite))]), float(np.max(finite)))


@dataclass(frozen=True, eq=False)
class Report:
    granular: Granular
    fixes: Fixes
    curve: AlphaCurve


def report(x, settings: Settings = Settings()) -> Report:
    """Everything the page shows (it computes the three parts apart, each cached)."""
    return Report(granular(x, settings.view()), fixes(x, settings.fixes()),
                  alpha_curve(x, settings.curve()))


# --- the maths -----------------------------------------------------------------------

def latex(g: Granular, f: Fixes, bits: int) -> list[str]:
    """The decompositions of y = x @ w.T, filled in with the live numbers."""
    qmax = 2 ** (bits - 1) - 1
    k = f.shape[1]
    outliers = (_column_list(f.llm_columns, 8, r", \dots") if f.llm_columns.size
                else r"\varnothing")
    return [
        rf"s_x = \frac{{\max|x|}}{{{qmax}}} = \frac{{{num(f.minmax_range[1])}}}{{{qmax}}}"
        rf" = {num(g.scale_tensor)},\qquad q_x = \operatorname{{clip}}\!\left("
        rf"\operatorname{{round}}(x / s_x), -{qmax}, {qmax}\right)",
        rf"y_{{ij}} \approx s_x\, s_w \sum_{{k=1}}^{{{k}}} q_{{x,ik}}\, q_{{w,jk}}"
        r"\quad\text{(per tensor)}",
        rf"y_{{ij}} \approx s_{{x,i}}\, s_{{w,j}} \sum_{{k=1}}^{{{k}}} q_{{x,ik}}\, q_{{w,jk}}"
        r"\quad\text{(per token} \times \text{per output channel)}",
        rf"y = X_{{:,O}}\, W_{{:,O}}^{{\top}} + \operatorname{{diag}}(s_x)\,"
        rf"\big(Q_{{x,:,\bar O}}\, Q_{{w,:,\bar O}}^{{\top}}\big)\,\operatorname{{diag}}(s_w),"
        rf"\quad O = \{{{outliers}\}}\;(|x| \ge {num(f.threshold)})",
        rf"y = \big(X \operatorname{{diag}}(s)^{{-1}}\big)\big(\operatorname{{diag}}(s)\,"
        rf"W^{{\top}}\big),\quad s_j = \frac{{\max|x_j|^{{\alpha}}}}"
        rf"{{\max|w_j|^{{1-\alpha}}}} \in [{num(f.smoothing[0])}, {num(f.smoothing[1])}]",
        rf"\max|x| : {num(f.absmax_x[0])} \to {num(f.absmax_x[1])},\qquad"
        rf" \max|w| : {num(f.absmax_w[0])} \to {num(f.absmax_w[1])}",
    ]


CODE = """import quantlib as ql

x = ql.inject_outliers(ql.generate("normal", (64, 256)), count=0, magnitude=20,
                       channels=4).x                     # activations, 4 outlier channels
w = ql.generate("normal", (128, 256), seed=7, scale=1 / 16)  # Linear weights (out, in)
y = x @ w.T

def int_path(x, w, **layout):
    qx = ql.choose_qparams(x, bits=8, symmetric=True, narrow_range=True, **layout)
    qw = ql.choose_qparams(w, bits=8, symmetric=True, narrow_range=True, **layout)
    return ql.quantized_matmul(x, w, qx, qw).y

per_tensor = int_path(x, w)
finer = int_path(x, w, granularity="channel", axis=0)   # per token, per output channel
llm = ql.llm_int8_matmul(x, w, threshold=6.0).y          # outlier columns in float
xs, ws, s = ql.smooth_quant(x, w, alpha=0.5)
smooth = int_path(xs, ws)
for name, y_hat in [("per tensor", per_tensor), ("finer", finer),
                    ("LLM.int8()", llm), ("SmoothQuant", smooth)]:
    print(name, round(ql.metrics(y, y_hat)["sqnr_db"], 1), "dB")"""
