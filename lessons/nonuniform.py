"""The Non-uniform page: codebooks against the data, what they cost, and the block
formats hardware ships, compared on the workspace tensor.

>>> import quantlib as ql
>>> r = report(ql.generate("normal", (64, 256)), Settings(schemes=("uniform", "nf4")))
>>> [(s.kind, s.levels.size) for s in r.results]
[('uniform', 15), ('nf4', 16)]
>>> r.result("nf4").mse < r.result("uniform").mse  # NF4 follows the bell
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quantlib import binning
from quantlib._validate import Interval, Options, ParameterError
from quantlib.codebooks import (
    BLOCK_FORMATS,
    DATA_KINDS,
    KINDS,
    bits_allowed,
    block_quantize,
    blockwise,
    code_bits,
    codebook,
    codebook_max,
    dequantize_codebook,
    quantile_bins,
    quantize_to_codebook,
    thresholds,
)
from quantlib.metrics import mean_square, metrics, sqnr_db
from quantlib.uniform import as_float_array

SCHEMES = KINDS
SCHEME = Options(SCHEMES)
DEFAULT_SCHEMES = ("uniform", "log2", "nf4", "kmeans", "quantile")
#: The page compares 2 to 8 bits (binary codes: 2 to 4 terms).
BITS = Interval(int, 2, 8)
DEFAULT_BITS = 4
GRANULARITIES = ("tensor", "block")
GRANULARITY = Options(GRANULARITIES)
BLOCK_SIZES = (16, 32, 64, 128, 256, 1024)
DEFAULT_BLOCK = 64
BLOCK_SIZE = Options(BLOCK_SIZES)
#: The histogram under the levels.
HIST_BINS = 160
DISPLAY_MARGIN = 0.04
#: A stored scale, and a fitted codebook's levels, are FP32 numbers.
FP32_BITS = 32
#: The block formats, compared at their own bit budgets.
BLOCK_NAMES = tuple(BLOCK_FORMATS)
#: The lookup-table dequantize against the uniform multiply-add (seed 000).
LUT_CODE = """# q is an index into a table
levels = np.array([-1.0, -0.696, ..., 1.0])
x_hat = levels[q] * scale  # gather, multiply"""
AFFINE_CODE = """# q is the number itself
x_hat = (q - zero_point) * scale
# in a matmul the scales factor out:
# sum(qx * qw) runs on int8 units"""


@dataclass(frozen=True)
class Settings:
    """The schemes compared, their bits, and per-tensor or block-wise absmax scaling."""

    schemes: tuple[str, ...] = DEFAULT_SCHEMES
    bits: int = DEFAULT_BITS
    granularity: str = "tensor"
    block_size: int = DEFAULT_BLOCK

    def __post_init__(self) -> None:
        _ignore_block_size_per_tensor(self)

    def ones(self) -> tuple[One, ...]:
        """Each chosen scheme that runs at these bits, as its own settings."""
        self.check()
        return tuple(One(kind, self.bits, self.granularity, self.block_size)
                     for kind in self.schemes if runs_at(kind, self.bits))

    def curve_ones(self) -> tuple[One, ...]:
        """Each chosen scheme's curve settings (the bits are every width: not a key)."""
        self.check()
        return tuple(One(kind, DEFAULT_BITS, self.granularity, self.block_size)
                     for kind in self.schemes)

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(kind for kind in self.schemes if not runs_at(kind, self.bits))

    def view(self) -> View:
        """The histogram's range: symmetric around 0 when a fixed codebook is drawn (its
        levels span [-absmax, absmax]), else the data's own range."""
        return View(any(kind not in DATA_KINDS for kind in self.schemes))

    def check(self) -> Settings:
        for kind in self.schemes:
            SCHEME.check("scheme", kind)
        BITS.check("bits", self.bits)
        GRANULARITY.check("granularity", self.granularity)
        BLOCK_SIZE.check("block_size", self.block_size)
        return self


def _ignore_block_size_per_tensor(settings) -> None:
    """Per tensor, the block size means nothing: keep the default, so that a cache key
    (and a chart's) does not change with a slider the page shows disabled."""
    if settings.granularity == "tensor" and settings.block_size in BLOCK_SIZES:
        object.__setattr__(settings, "block_size", DEFAULT_BLOCK)  # (check() refuses others)


@dataclass(frozen=True)
class One:
    """One scheme on the page: a cache key of its own, so that turning another scheme on
    or off leaves this one's result (and curve) where it is."""

    kind: str
    bits: int = DEFAULT_BITS
    granularity: str = "tensor"
    block_size: int = DEFAULT_BLOCK

    def __post_init__(self) -> None:
        _ignore_block_size_per_tensor(self)

    def check(self) -> One:
        Settings((self.kind,), self.bits, self.granularity, self.block_size).check()
        if not runs_at(self.kind, self.bits):
            raise ParameterError("param_range", name="bits",
                                 allowed=str(bits_allowed(self.kind)), value=str(self.bits))
        return self


@dataclass(frozen=True)
class View:
    """What the histogram's range depends on (a cache key)."""

    symmetric: bool = True


def runs_at(kind: str, bits: int) -> bool:
    """Whether ``kind`` has a ``bits``-bit version (NF4 and FP4 are 4-bit only, FP8 and
    the dynamic map 8-bit only, binary codes 1 to 4 terms)."""
    return bits in bits_allowed(kind)


@dataclass(frozen=True, eq=False)
class SchemeResult:
    """One codebook on the tensor: its levels (in the data's units, at the tensor's
    scale), which values each level takes, and the error."""

    kind: str
    bits: int
    levels: np.ndarray
    lows: np.ndarray  # level i takes x from lows[i] to highs[i] (the outer ends -inf, inf)
    highs: np.ndarray
    low_closed: np.ndarray  # per level: is lows[i] itself in (a tie sent up to it)?
    high_closed: np.ndarray  # per level: is highs[i] itself in? (usually: ties go down)
    usage: np.ndarray  # values on each level
    balance: np.ndarray  # usage as a multiple of an equal share (1 = balanced)
    mse: float
    sqnr_db: float
    max_error: float
    bits_per_value: float

    @property
    def used(self) -> int:
        return int(np.count_nonzero(self.usage))

    @property
    def ranks(self) -> np.ndarray:
        """Each level's place from lowest (near 0) to highest (near 1), whatever the
        number of levels: usage curves of 15 and 253 levels share one axis."""
        return (np.arange(self.levels.size) + 0.5) / self.levels.size


@dataclass(frozen=True, eq=False)
class Report:
    size: int
    settings: Settings
    results: tuple[SchemeResult, ...]
    skipped: tuple[str, ...]  # chosen schemes with no version at these bits
    edges: np.ndarray
    counts: np.ndarray

    def result(self, kind: str) -> SchemeResult | None:
        return next((r for r in self.results if r.kind == kind), None)

    def best(self) -> SchemeResult | None:
        return min(self.results, key=lambda r: r.mse, default=None)


def _block_absmax(x: np.ndarray, block_size: int) -> np.ndarray:
    """Each value's block absmax (blocks of consecutive values; a short last block)."""
    n = x.size
    padded = np.zeros(-(-n // block_size) * block_size, np.float64)
    padded[:n] = np.abs(x)
    return np.repeat(padded.reshape(-1, block_size).max(axis=1), block_size)[:n]


@dataclass(frozen=True, eq=False)
class _Applied:
    levels: np.ndarray
    cuts: np.ndarray  # the decision thresholds, in the levels' units
    indices: np.ndarray
    x_hat: np.ndarray
    bits_per_value: float
    shown: float  # the scale the levels are drawn at (the tensor's)
    up: np.ndarray | None = None  # per threshold: a value right on it goes up


def _fit(kind: str, bits: int, data: np.ndarray):
    """A fitted codebook: (levels, thresholds, index function). Quantile levels keep
    their bins' edges as thresholds (that is what makes them balanced: equal
    populations), where every other codebook decides at the midpoints between levels."""
    if kind == "quantile":
        bins = quantile_bins(data, 1 << bits)
        return bins.levels, bins.thresholds(), bins.indices
    levels = codebook(kind, bits=bits, x=data)
    return levels, thresholds(levels), lambda y: quantize_to_codebook(y, levels)


def _goes_up(index, cuts: np.ndarray) -> np.ndarray:
    """Whether a value right on each threshold goes to the upper level. Midpoints send
    it down; a quantile bin's top can send a tied value up, to the bin whose mean is
    nearer or whose bins it fills."""
    return index(cuts).astype(np.int64) > np.arange(cuts.size)


def _table_bits(levels: np.ndarray, n: int) -> float:
    """Bits per value of a fitted codebook's table, stored with the codes (FP32 levels)."""
    return FP32_BITS * levels.size / n


def _scale_bits(n: int, block_size: int) -> float:
    """Bits per value of one FP32 scale per block (a short last block counts whole)."""
    return FP32_BITS * -(-n // block_size) / n


def _quantize(x: np.ndarray, kind: str, bits: int, s: Settings) -> _Applied:
    n = x.size
    absmax = float(np.abs(x).max()) if n else 0.0
    if kind in DATA_KINDS:
        if s.granularity == "block":
            # Fitted codebooks learn the shape of the normalised blocks (x / block
            # absmax), as NF4 assumes for its normal one; each value uses its block's
            # scale.
            scale = _block_absmax(x, s.block_size)
            unit = np.divide(x, scale, out=np.zeros(n), where=scale > 0)
            levels, cuts, index = _fit(kind, bits, unit)
            idx = index(unit)
            per_value = (code_bits(levels.size) + _scale_bits(n, s.block_size)
                         + _table_bits(levels, n))
            return _Applied(levels, cuts, idx, dequantize_codebook(idx, levels, scale=scale),
                            per_value, absmax, _goes_up(index, cuts))
        levels, cuts, index = _fit(kind, bits, x)  # per tensor: in x's units already
        idx = index(x)
        return _Applied(levels, cuts, idx, dequantize_codebook(idx, levels),
                        code_bits(levels.size) + _table_bits(levels, n), 1.0,
                        _goes_up(index, cuts))
    levels = codebook(kind, bits=bits)
    # The tensor's scale (NF4: absmax; FP4: absmax / 6), stored as FP32 like a block's.
    shown = float(np.float32(absmax / codebook_max(levels)))
    if s.granularity == "block":
        r = blockwise(x, levels, block_size=s.block_size)
        return _Applied(levels, thresholds(levels), r.indices, r.x_hat, r.bits_per_value,
                        shown)
    idx = quantize_to_codebook(x, levels, scale=shown)
    return _Applied(levels, thresholds(levels), idx,
                    dequantize_codebook(idx, levels, scale=shown),
                    code_bits(levels.size) + _scale_bits(n, n), shown)


# Error sums run over blocks of this many values: float64 temporaries stay in cache.
_ERROR_BLOCK = 1 << 16


def _errors(x: np.ndarray, x_hat: np.ndarray, power: float) -> tuple[float, float, float]:
    """(MSE, SQNR in dB, max |error|), summed in float64 block by block: two passes
    over the data, where the general ``metrics`` makes six (it also gives the cosine)."""
    sq, top = 0.0, 0.0
    for start in range(0, x.size, _ERROR_BLOCK):
        err = x_hat[start:start + _ERROR_BLOCK].astype(np.float64)
        err -= x[start:start + _ERROR_BLOCK]
        with np.errstate(over="ignore"):  # handled below
            sq += float(err @ err)
        top = max(top, float(np.abs(err, out=err).max()))
    if not math.isfinite(sq):  # squares beyond float64 (|x| near 1e154 and up)
        m = metrics(x, x_hat)
        return m["mse"], m["sqnr_db"], m["max_abs_error"]
    mse = sq / x.size
    return mse, sqnr_db(power, mse), top


def _usage(indices: np.ndarray, n_levels: int) -> np.ndarray:
    """Values per level, counted a block at a time (bincount widens uint8 indices to
    int64: a block's copy stays in cache)."""
    usage = np.zeros(n_levels, np.int64)
    for start in range(0, indices.size, _ERROR_BLOCK):
        usage += np.bincount(indices[start:start + _ERROR_BLOCK], minlength=n_levels)
    return usage


def _scheme(x: np.ndarray, kind: str, s: Settings, power: float) -> SchemeResult:
    a = _quantize(x, kind, s.bits, s)
    levels = a.levels
    mse, sqnr, top = _errors(x, a.x_hat, power)
    cuts = a.cuts * a.shown
    up = np.zeros(cuts.size, bool) if a.up is None else a.up
    usage = _usage(a.indices.reshape(-1), levels.size)
    return SchemeResult(
        kind, s.bits, levels * a.shown, np.concatenate([[-math.inf], cuts]),
        np.concatenate([cuts, [math.inf]]), np.concatenate([[False], up]),
        np.concatenate([~up, [False]]), usage,
        np.where(usage > 0, usage * levels.size / max(x.size, 1), np.nan),  # a gap: unused
        mse, sqnr, top, a.bits_per_value)


def _flat(x) -> np.ndarray:
    x = as_float_array(x).reshape(-1)
    if x.size == 0:
        raise ParameterError("empty_tensor")
    return x


def scheme(x, one: One) -> SchemeResult:
    """One codebook applied to x (see :class:`SchemeResult`)."""
    one.check()
    x = _flat(x)
    return _scheme(x, one.kind, one, mean_square(x))


def histogram(x, view: View = View()) -> tuple[np.ndarray, np.ndarray]:
    """The histogram under the levels: (edges, counts), over [-absmax, absmax] when a
    fixed codebook is drawn, else over [min, max] (padded)."""
    x = _flat(x)
    lo, hi = float(x.min()), float(x.max())
    if view.symmetric:
        top = max(abs(lo), abs(hi))
        lo, hi = -top, top
    display = binning.padded_range(lo, hi, margin=DISPLAY_MARGIN)
    return binning.edges(*display, HIST_BINS), binning.histogram(x, HIST_BINS, *display)[0]


def assemble(size: int, settings: Settings, results: tuple[SchemeResult, ...],
             hist: tuple[np.ndarray, np.ndarray]) -> Report:
    """The page's report from its parts (each cached on its own by the page)."""
    return Report(int(size), settings, tuple(results), settings.skipped, *hist)


def report(x, settings: Settings = Settings()) -> Report:
    """Every chosen scheme that runs at ``settings.bits`` on x, and the histogram of x.

    Raises ParameterError for settings outside the page's choices, or an empty tensor.
    """
    s = settings.check()
    x = _flat(x)
    return assemble(x.size, s, tuple(scheme(x, one) for one in s.ones()),
                    histogram(x, s.view()))


@dataclass(frozen=True, eq=False)
class Curve:
    """One scheme's MSE at every width it runs at on the page."""

    kind: str
    bits: np.ndarray
    bits_per_value: np.ndarray
    mse: np.ndarray


#: The curves fit and apply every codebook at every width (up to 35 runs): on a larger
#: tensor they use an even sample of whole runs of SAMPLE_RUN consecutive values (every
#: block size divides it, so blocks stay whole), about CURVE_SAMPLE values in all.
CURVE_SAMPLE = 1 << 20
SAMPLE_RUN = 1024


def curve_sample(size: int) -> int:
    """How many values the curves are computed on, for a tensor of ``size`` values.

    >>> curve_sample(5000), curve_sample(16 * 2**20)
    (5000, 1048576)
    """
    if size <= CURVE_SAMPLE:
        return size
    runs = size // SAMPLE_RUN
    step = -(-runs // (CURVE_SAMPLE // SAMPLE_RUN))
    return len(range(0, runs, step)) * SAMPLE_RUN


def _sample(x: np.ndarray) -> np.ndarray:
    if x.size <= CURVE_SAMPLE:
        return x
    runs = x.size // SAMPLE_RUN
    step = -(-runs // (CURVE_SAMPLE // SAMPLE_RUN))
    return x[:runs * SAMPLE_RUN].reshape(runs, SAMPLE_RUN)[::step].reshape(-1)


def scheme_curve(x, one: One) -> Curve:
    """One scheme's MSE at every width it runs at (2 to 8), with ``one``'s granularity
    (its bits are ignored), on an even sample of a tensor over CURVE_SAMPLE values."""
    Settings((one.kind,), DEFAULT_BITS, one.granularity, one.block_size).check()
    x = _sample(_flat(x))
    power = mean_square(x)
    rows = []
    for b in range(BITS.low, BITS.high + 1):
        if runs_at(one.kind, b):
            a = _quantize(x, one.kind, b, one)
            rows.append((b, a.bits_per_value, _errors(x, a.x_hat, power)[0]))
    b, per_value, mse = (np.array(col) for col in zip(*rows, strict=True))
    return Curve(one.kind, b, per_value, mse)


def curves(x, settings: Settings = Settings()) -> list[Curve]:
    """MSE against bits for every chosen scheme (see :func:`scheme_curve`): the cost of
    each extra bit, scheme by scheme."""
    return [scheme_curve(x, one) for one in settings.check().curve_ones()]


@dataclass(frozen=True)
class BlockRow:
    """One block format on the tensor, at its own bit budget (every scale counted)."""

    name: str
    bits_per_value: float
    mse: float
    sqnr_db: float
    max_error: float


@dataclass(frozen=True)
class Blocks:
    """The block-format comparison has no settings of its own (a cache key)."""


def block_formats(x, settings: Blocks = Blocks()) -> list[BlockRow]:
    """MXFP4, MXFP8, NVFP4, NF4 with double quantization and INT4 per group of 128 on
    the same tensor."""
    x = as_float_array(x).reshape(-1)
    if x.size == 0:
        raise ParameterError("empty_tensor")
    power = mean_square(x)
    rows = []
    for name in BLOCK_NAMES:
        r = block_quantize(x, name)
        rows.append(BlockRow(name, r.bits_per_value, *_errors(x, r.x_hat, power)))
    return rows
