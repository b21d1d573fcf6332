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
    quantize_to_codebook,
    thresholds,
)
from quantlib.metrics import mean_square, sqnr_db
from quantlib.uniform import as_float_array

SCHEMES = KINDS
SCHEME = Options(SCHEMES)
DEFAULT_SCHEMES = ("uniform", "log2", "nf4", "kmeans", "quantile")
#: The page compares 2 to 8 bits (binary codes: 2 to 4 terms).
BITS = Interval(int, 2, 8)
GRANULARITIES = ("tensor", "block")
GRANULARITY = Options(GRANULARITIES)
BLOCK_SIZES = (16, 32, 64, 128, 256, 1024)
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
    bits: int = 4
    granularity: str = "tensor"
    block_size: int = 64

    def check(self) -> Settings:
        for kind in self.schemes:
            SCHEME.check("scheme", kind)
        BITS.check("bits", self.bits)
        GRANULARITY.check("granularity", self.granularity)
        BLOCK_SIZE.check("block_size", self.block_size)
        return self


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
    lows: np.ndarray  # level i takes x in [lows[i], highs[i]) (the ends are +-inf)
    highs: np.ndarray
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

    def result(self, kind: str) -> SchemeResult:
        return next(r for r in self.results if r.kind == kind)

    def best(self) -> SchemeResult | None:
        return min(self.results, key=lambda r: r.mse, default=None)


def _block_absmax(x: np.ndarray, block_size: int) -> np.ndarray:
    """Each value's block absmax (blocks of consecutive values; a short last block)."""
    n = x.size
    padded = np.zeros(-(-n // block_size) * block_size, np.float64)
    padded[:n] = np.abs(x)
    return np.repeat(padded.reshape(-1, block_size).max(axis=1), block_size)[:n]


def _quantize(x: np.ndarray, kind: str, bits: int, s: Settings) -> tuple:
    """(levels, indices, x_hat, bits per value, the scale the levels are shown at)."""
    n = x.size
    absmax = float(np.abs(x).max()) if n else 0.0
    fitted = kind in DATA_KINDS
    if s.granularity == "block" and fitted:
        # Fitted codebooks learn the shape of the normalised blocks (x / block absmax),
        # as NF4 assumes for its normal one; each value then uses its block's scale.
        scale = _block_absmax(x, s.block_size)
        unit = np.divide(x, scale, out=np.zeros(n), where=scale > 0)
        levels = codebook(kind, bits=bits, x=unit)
        idx = quantize_to_codebook(x, levels, scale=scale)
        x_hat = dequantize_codebook(idx, levels, scale=scale)
        per_value = code_bits(levels.size) + FP32_BITS / s.block_size
        return levels, idx, x_hat, per_value + FP32_BITS * levels.size / n, absmax
    if fitted:  # per tensor: the levels are in x's units already
        levels = codebook(kind, bits=bits, x=x)
        idx = quantize_to_codebook(x, levels)
        per_value = code_bits(levels.size) + FP32_BITS * levels.size / n
        return levels, idx, dequantize_codebook(idx, levels), per_value, 1.0
    levels = codebook(kind, bits=bits)
    shown = absmax / codebook_max(levels)  # the tensor's scale (NF4: absmax; FP4: absmax/6)
    if s.granularity == "block":
        r = blockwise(x, levels, block_size=s.block_size)
        return levels, r.indices, r.x_hat, r.bits_per_value, shown
    idx = quantize_to_codebook(x, levels, scale=shown)
    x_hat = dequantize_codebook(idx, levels, scale=shown)
    return levels, idx, x_hat, code_bits(levels.size) + FP32_BITS / n, shown


def _scheme(x: np.ndarray, kind: str, s: Settings, power: float) -> SchemeResult:
    levels, idx, x_hat, per_value, shown = _quantize(x, kind, s.bits, s)
    err = x_hat.astype(np.float64) - x
    mse = float(np.mean(err * err)) if x.size else 0.0
    cuts = thresholds(levels) * shown
    usage = np.bincount(idx.reshape(-1), minlength=levels.size)
    return SchemeResult(
        kind, s.bits, levels * shown, np.concatenate([[-math.inf], cuts]),
        np.concatenate([cuts, [math.inf]]), usage,
        np.where(usage > 0, usage * levels.size / max(x.size, 1), np.nan),  # a gap: unused
        mse, sqnr_db(power, mse), float(np.abs(err).max()) if x.size else 0.0, per_value)


def report(x, settings: Settings = Settings()) -> Report:
    """Every chosen scheme that runs at ``settings.bits`` on x, and the histogram of x.

    Raises ParameterError for settings outside the page's choices, or an empty tensor.
    """
    s = settings.check()
    x = as_float_array(x).reshape(-1).astype(np.float64)
    if x.size == 0:
        raise ParameterError("empty_tensor")
    power = mean_square(x)
    results = tuple(_scheme(x, kind, s, power) for kind in s.schemes if runs_at(kind, s.bits))
    skipped = tuple(kind for kind in s.schemes if not runs_at(kind, s.bits))
    lo = min([float(x.min()), *(float(r.levels[0]) for r in results)])
    hi = max([float(x.max()), *(float(r.levels[-1]) for r in results)])
    display = binning.padded_range(lo, hi, margin=DISPLAY_MARGIN)
    return Report(int(x.size), s, results, skipped, binning.edges(*display, HIST_BINS),
                  binning.histogram(x, HIST_BINS, *display)[0])


@dataclass(frozen=True, eq=False)
class Curve:
    """One scheme's MSE at every width it runs at on the page."""

    kind: str
    bits: np.ndarray
    bits_per_value: np.ndarray
    mse: np.ndarray


def curves(x, settings: Settings = Settings()) -> list[Curve]:
    """MSE against bits (2 to 8, where each scheme runs) for every chosen scheme, with the
    settings' granularity: the cost of each extra bit, scheme by scheme."""
    s = settings.check()
    x = as_float_array(x).reshape(-1).astype(np.float64)
    out = []
    for kind in s.schemes:
        widths = [b for b in range(BITS.low, BITS.high + 1) if runs_at(kind, b)]
        rows = []
        for b in widths:
            _, _, x_hat, per_value, _ = _quantize(x, kind, b, s)
            err = x_hat.astype(np.float64) - x
            rows.append((b, per_value, float(np.mean(err * err))))
        if rows:
            b, per_value, mse = (np.array(col) for col in zip(*rows, strict=True))
            out.append(Curve(kind, b, per_value, mse))
    return out


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
        err = r.x_hat.astype(np.float64) - x
        mse = float(np.mean(err * err))
        rows.append(BlockRow(name, r.bits_per_value, mse, sqnr_db(power, mse),
                             float(np.abs(err).max())))
    return rows
