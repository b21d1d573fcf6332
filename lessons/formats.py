"""The Number formats page: every format's range and precision, one value in every
format bit by bit, the classic float demos, and the workspace tensor cast to each format.

>>> rows = inspect(0.1, "saturate")
>>> [(r.fmt, r.value) for r in rows][:3]
[('fp32', 0.10000000149011612), ('fp16', 0.0999755859375), ('bf16', 0.10009765625)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lessons.text import interval_text
from quantlib import formats
from quantlib._validate import Interval
from quantlib.codebooks import fp_grid
from quantlib.formats import FORMATS, Decomposition, cast, decompose, format_info
from quantlib.metrics import mean_square, sqnr_db
from quantlib.uniform import as_float_array, fake_quantize, qparams_from_range

#: The bit editor's formats, narrowest first.
BY_WIDTH = tuple(sorted(FORMATS, key=lambda f: format_info(f).bits))
#: Bit buttons per row in the bit editor.
BITS_PER_ROW = 16
#: The formats a value is shown in (e8m0 is a scale format: it has its own row).
SHOWN = tuple(FORMATS)
DEMOS = ("fp16_overflow", "underflow", "point_three", "small_sums")
#: The demos' numbers, from seeds 002 and 003.
OVERFLOW_FACTORS = (10_000.0, 10_000.0)
GRADIENT = 1e-8
SMALL_TERM, SMALL_COUNT = 1e-4, 10_000
DEMO_FORMATS = ("fp32", "fp16", "bf16")
#: Spacing curve: points per format (magnitudes on a log grid).
SPACING_POINTS = 400
#: The spacing chart shows 1e-9 to 1e6 (log10 units), where FP16, FP8, FP6 and FP4 live;
#: FP32, BF16 and E8M0 run on far beyond both ends.
SPACING_VIEW = (-9.0, 6.0)
#: ...and gaps from 1e-17 (FP32 near 1e-9) to 1e4 (E5M2 near its max), in log10 units.
SPACING_GAPS = (-17.0, 4.0)
INT8_BITS = 8


def format_table() -> list[formats.FormatInfo]:
    """Every format's facts, in FORMATS order."""
    return [format_info(f) for f in FORMATS]


@dataclass(frozen=True)
class Shown:
    """One value in one format: its fields, what it became, and the error."""

    fmt: str
    bits: Decomposition | None  # None where the format cannot hold the value (NaN)
    value: float
    error: float

    @property
    def fields(self) -> tuple[str, ...]:
        """Which field each bit belongs to, left to right: sign, exponent, mantissa."""
        d = self.bits
        return (("sign",) * len(d.sign) + ("exponent",) * len(d.exponent)
                + ("mantissa",) * len(d.mantissa))

    def bit_rows(self, width: int = BITS_PER_ROW) -> list[list[tuple[int, str, str]]]:
        """``(position, bit, field)`` of every bit, in rows of at most ``width`` (a row of
        32 buttons is too narrow to read)."""
        cells = list(zip(range(len(self.fields)), self.bits.bits, self.fields, strict=True))
        return [cells[i:i + width] for i in range(0, len(cells), width)]

    @property
    def formula(self) -> str:
        """(-1)^s · 1.m · 2^(e - bias) with this value's numbers (0.m for subnormals)."""
        d = self.bits
        if d is None or d.kind in ("nan", "inf", "zero"):
            return "—"
        lead = 0 if d.kind == "subnormal" else 1
        fraction = lead + (int(d.mantissa, 2) / (1 << len(d.mantissa)) if d.mantissa else 0)
        sign = f"(−1)^{d.sign} · " if d.sign else ""
        return f"{sign}{fraction:g} · 2^{d.unbiased_exponent} = {d.value:.8g}"


def compose_shown(code: int, fmt: str) -> Shown:
    """The value a code of ``fmt`` stands for, shown like :func:`inspect`'s rows."""
    d = formats.compose(int(code), fmt)
    return Shown(fmt, d, d.value, 0.0)


def inspect(value: float, overflow: str) -> list[Shown]:
    """``value`` cast to every format, with its bit fields and rounding error."""
    out = []
    for fmt in SHOWN:
        stored = float(cast([value], fmt, overflow=overflow)[0])
        bits = None
        if not (np.isnan(stored) and not format_info(fmt).has_nan):
            bits = decompose(value, fmt, overflow=overflow)
        with np.errstate(invalid="ignore", over="ignore"):
            error = stored - value
        out.append(Shown(fmt, bits, stored, error))
    return out


@dataclass(frozen=True, eq=False)
class Spacing:
    """The gap to the next representable value against magnitude, for one format."""

    fmt: str
    magnitude: np.ndarray
    gap: np.ndarray


def spacing(fmt: str) -> Spacing:
    """Gaps between neighbouring positive values (every value of a small format; a log
    grid for fp32), so the subnormal floor and the rise with magnitude both show."""
    info = format_info(fmt)
    if info.bits <= 16:
        dtype = FORMATS[fmt]
        codes = np.arange(1 << info.bits, dtype=np.uint8 if dtype.itemsize == 1 else np.uint16)
        with np.errstate(invalid="ignore"):
            values = np.unique(codes.view(dtype).astype(np.float64))
        positive = values[np.isfinite(values) & (values > 0)]
    else:  # FP32: too many values to list; the gap at sampled magnitudes (its ULP)
        # The largest value has no next one: its gap is left out.
        magnitude = np.unique(cast(np.geomspace(info.smallest_subnormal, info.max,
                                                SPACING_POINTS), fmt))[:-1]
        return Spacing(fmt, magnitude.astype(np.float64),
                       np.spacing(magnitude).astype(np.float64))
    gaps = np.diff(positive)
    keep = np.unique(np.linspace(0, gaps.size - 1, min(gaps.size, SPACING_POINTS)).astype(int))
    return Spacing(fmt, positive[:-1][keep], gaps[keep])


@dataclass(frozen=True)
class DemoRow:
    fmt: str
    result: float
    exact: float


def spacings() -> list[Spacing]:
    """The spacing curve of every format."""
    return [spacing(f) for f in SHOWN]


def demo(name: str) -> list[DemoRow]:
    """One classic demo in FP32, FP16 and BF16: what each format computes."""
    rows = []
    for fmt in DEMO_FORMATS:
        def r(v, fmt=fmt):  # every operand and result rounded to the format
            return float(cast([v], fmt, overflow="ieee")[0])

        if name == "fp16_overflow":
            a, b = OVERFLOW_FACTORS
            result, exact = r(r(a) * r(b)), a * b
        elif name == "underflow":
            result, exact = r(GRADIENT), GRADIENT
        elif name == "point_three":
            result, exact = r(r(0.1) + r(0.2)), 0.1 + 0.2
        else:  # summing many small terms: every partial sum rounded to the format
            # Scalars of the format itself: each + rounds once, as the hardware does,
            # and 10,000 of them take milliseconds, not a cast call each.
            kind = FORMATS[fmt].type
            total, term = kind(0.0), kind(SMALL_TERM)
            for _ in range(SMALL_COUNT):
                total = kind(total + term)
            result, exact = float(total), SMALL_TERM * SMALL_COUNT
        rows.append(DemoRow(fmt, result, exact))
    return rows


def demo_rows(_x, name: str) -> list[DemoRow]:
    """:func:`demo` in the (tensor, settings) shape that the page's lesson cache takes."""
    return demo(name)


#: Stochastic rounding: add this to 1.0 this many times in BF16 (FP32 reaches 2.0).
SR_STEP, SR_STEPS, SR_START, SR_FORMAT = 0.001, 1000, 1.0, "bf16"


#: The classes a value can be in, in the grid's colour order.
CLASSES = formats.CLASSES
#: Any code of any format (FP32 is the widest, 32 bits).
CODE = Interval(int, 0, (1 << 32) - 1)


def code_bounds(fmt: str) -> Interval:
    """The codes of ``fmt``: 0 to 2^bits - 1."""
    return Interval(int, 0, (1 << format_info(fmt).bits) - 1)


def default_code(fmt: str) -> int:
    """The code of 1.0 in ``fmt``: a friendly start for toggling bits."""
    return decompose(1.0, fmt).code


def same_value_code(code: int, old_fmt: str, new_fmt: str) -> int:
    """The code of ``new_fmt`` for the value that ``code`` stands for in ``old_fmt``, as
    the new format itself rounds and overflows (inf stays inf where it can; NaN where
    the new format has none becomes its code of 1.0).

    >>> same_value_code(0b0011110000000000, "fp16", "bf16") == default_code("bf16")
    True
    """
    old = formats.compose(int(code) % (1 << format_info(old_fmt).bits), old_fmt).value
    if np.isnan(old) and not format_info(new_fmt).has_nan:
        return default_code(new_fmt)
    return decompose(old, new_fmt, overflow="ieee").code


def flipped(code: int, fmt: str, position: int) -> int:
    """``code`` with bit ``position`` toggled, counting from the leftmost (the sign).

    >>> format(flipped(0b0011110000000000, "fp16", 0), "016b")
    '1011110000000000'
    """
    bits = format_info(fmt).bits
    return int(code) ^ (1 << (bits - 1 - position))


#: The formats small enough to show every code.
GRID_FORMATS = ("fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1")


@dataclass(frozen=True, eq=False)
class CodeGrid:
    """Every code of a small format in a square grid (row = high bits, column = low
    bits), with its value and class."""

    fmt: str
    values: np.ndarray  # (side, side) float64, NaN for NaN codes
    kinds: np.ndarray  # (side, side) int: index into ``classes``
    bits: list[list[str]]
    classes: tuple[str, ...]  # the classes the format has, in formats.CLASSES order


def code_grid(_x, fmt: str) -> CodeGrid:
    """All 2^b codes of ``fmt``.

    >>> g = code_grid(None, "fp4_e2m1")
    >>> g.values.shape, g.values[0].tolist()
    ((4, 4), [0.0, 0.5, 1.0, 1.5])
    """
    info = format_info(fmt)
    side = 1 << (info.bits // 2)
    rows = [formats.compose(code, fmt) for code in range(1 << info.bits)]
    values = np.array([r.value for r in rows]).reshape(-1, side)
    # Only the classes the format has: E4M3's legend must not offer an infinity.
    classes = tuple(k for k in formats.CLASSES if any(r.kind == k for r in rows))
    kinds = np.array([classes.index(r.kind) for r in rows]).reshape(-1, side)
    bits = [[r.bits for r in rows[i:i + side]] for i in range(0, len(rows), side)]
    return CodeGrid(fmt, values, kinds, bits, classes)


@dataclass(frozen=True, eq=False)
class NumberLine:
    """Which reals round to each non-negative value of a format (negatives mirror it).

    Value ``values[i]`` takes every x from ``lows[i]`` to ``highs[i]``; an end is in the
    interval when ``low_closed[i]`` / ``high_closed[i]`` (a tie at a midpoint goes to the
    value with the even code). Beyond ``overflow_at`` the cast gives ``overflow_to``
    (inf, NaN, or the max itself when saturating: then ``overflow_at`` is inf).
    """

    fmt: str
    values: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    low_closed: np.ndarray
    high_closed: np.ndarray
    labelled: np.ndarray  # bool: every value of a tiny format; else some powers of two
    view: tuple[float, float]  # the x range to show, log10 units
    overflow_at: float
    overflow_closed: bool
    overflow_to: float


def number_line(fmt: str, overflow: str) -> NumberLine:
    """The rounding intervals of ``fmt``'s non-negative values, as its cast decides them.

    >>> line = number_line("fp4_e2m1", "saturate")
    >>> line.values.tolist()
    [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    >>> line.highs[:3].tolist(), line.high_closed[:3].tolist()
    ([0.25, 0.75, 1.25], [True, False, True])
    >>> e4m3 = number_line("fp8_e4m3", "ieee")
    >>> e4m3.overflow_at, e4m3.overflow_closed, e4m3.overflow_to
    (464.0, False, nan)
    """
    grid = fp_grid(fmt)  # every finite value, sorted, one zero
    values = grid[grid >= 0]
    mids = (values[:-1] + values[1:]) / 2
    # A midpoint belongs to the value its cast gives: ties go to the even code.
    down = cast(mids, fmt, overflow=overflow).astype(np.float64) == values[:-1]
    gap = values[-1] - values[-2]  # the last binade's spacing
    top = values[-1] + gap / 2  # where the next (missing) value would start to win
    beyond = float(cast([top], fmt, overflow=overflow)[0])
    past = float(cast([top * 2], fmt, overflow=overflow)[0])
    if past == values[-1]:  # saturates (or the format clamps): the last value never ends
        overflow_at, closed, to = math.inf, False, float(values[-1])
    else:
        overflow_at, closed, to = float(top), bool(beyond != values[-1]), past
    lows = np.concatenate([[0.0], mids])
    highs = np.concatenate([mids, [overflow_at]])
    low_closed = np.concatenate([[True], ~down])
    high_closed = np.concatenate([down, [not closed and math.isfinite(overflow_at)]])
    return NumberLine(fmt, values, lows, highs, low_closed, high_closed, _labelled(values),
                      (math.log10(values[1]) - LINE_PAD, math.log10(values[-1]) + LINE_PAD),
                      overflow_at, closed, to)


#: Number line: every value is labelled up to this many, else about this many powers of
#: two; the view runs this far (log10 units) past the smallest and largest values.
LINE_LABELS = 12
LINE_PAD = 0.5


def _labelled(values: np.ndarray) -> np.ndarray:
    if values.size <= LINE_LABELS:
        return np.ones(values.size, bool)
    mantissa, _ = np.frexp(values)
    powers = np.flatnonzero(mantissa == 0.5)  # binade starts
    keep = powers[::-(-powers.size // LINE_LABELS)]
    out = np.zeros(values.size, bool)
    out[keep] = True
    out[0] = True  # zero, at the line's left end
    out[1] = False  # the smallest value sits too near zero's label to carry its own
    return out


def number_line_of(_x, settings: tuple[str, str]) -> NumberLine:
    """:func:`number_line` of (format, overflow mode), in the shape of a page lesson."""
    return number_line(*settings)


def overflow_kind(line: NumberLine) -> str:
    """What lies beyond the number line's last interval: "inf", "nan" or "max" (the
    largest value again: saturation, or a format with neither inf nor NaN)."""
    if math.isnan(line.overflow_to):
        return "nan"
    return "inf" if math.isinf(line.overflow_to) else "max"


def overflow_interval(line: NumberLine) -> str:
    """The reals that overflow, as an interval (empty when nothing does)."""
    if math.isinf(line.overflow_at):
        return ""
    return interval_text(line.overflow_at, math.inf, line.overflow_closed, False)




def grid_mark(grid: CodeGrid, fmt: str, code: int) -> int | None:
    """The grid cell of the bit editor's code, when the editor shows the grid's format."""
    return code if fmt == grid.fmt else None


#: Pixels per grid row, plus room for the axis titles.
GRID_ROW_PX, GRID_MARGIN_PX = 34, 120


def grid_height(grid: CodeGrid) -> int:
    """A chart height that keeps every cell's label readable."""
    return grid.values.shape[0] * GRID_ROW_PX + GRID_MARGIN_PX


def grid_labels(grid: CodeGrid) -> tuple[list[str], list[str]]:
    """The column labels (low bits) and row labels (high bits) of a code grid."""
    side = grid.values.shape[1]
    low = side.bit_length() - 1
    high = len(grid.bits[0][0]) - low
    return ([format(c, f"0{low}b") for c in range(side)],
            [format(r, f"0{high}b") for r in range(grid.values.shape[0])])


@dataclass(frozen=True, eq=False)
class StochasticSums:
    """A running sum in BF16, rounded to nearest and stochastically, and in FP32."""

    steps: np.ndarray
    nearest: np.ndarray
    stochastic: np.ndarray
    reference: np.ndarray


def stochastic_sums(_x, seed: int) -> StochasticSums:
    """1.0 + 0.001, a thousand times: round-to-nearest BF16 never moves (0.001 is under
    half of BF16's spacing at 1, 2^-7), stochastic rounding ends near 2.0 on average.

    >>> s = stochastic_sums(None, 0)
    >>> float(s.nearest[-1]), bool(1.8 < s.stochastic[-1] < 2.2), round(float(s.reference[-1]), 3)
    (1.0, True, 2.0)
    """
    kind = FORMATS[SR_FORMAT].type
    nearest, stochastic, reference = [SR_START], [SR_START], [SR_START]
    rng = np.random.default_rng(seed)
    for _ in range(SR_STEPS):
        nearest.append(float(kind(nearest[-1] + SR_STEP)))
        draw = int(rng.integers(2**31))
        stochastic.append(float(formats.stochastic_cast([stochastic[-1] + SR_STEP], SR_FORMAT,
                                                        seed=draw)[0]))
        reference.append(float(np.float32(reference[-1] + SR_STEP)))
    return StochasticSums(np.arange(SR_STEPS + 1), np.array(nearest), np.array(stochastic),
                          np.array(reference))


@dataclass(frozen=True)
class CastRow:
    """The workspace tensor in one format (or INT8): error and storage."""

    fmt: str
    mse: float
    max_error: float
    sqnr_db: float
    overflowed: float  # fraction of values beyond the format's max
    flushed: float  # fraction of non-zero values that became 0
    exact: float  # fraction of values stored without error
    bytes: float


@dataclass(frozen=True)
class Compare:
    """The comparison has no settings of its own (a cache key)."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every format's row, and the histogram of |error| per format: ``shares[fmt][k]`` is
    the fraction of values whose |error| falls in [edges[k], edges[k + 1]) (exact values,
    error 0, are the row's ``exact``, not in the histogram)."""

    rows: list[CastRow]
    edges: np.ndarray
    shares: dict[str, np.ndarray]


# The tensor is compared in blocks: a block's float64 errors stay in cache, and a 16M
# tensor never needs several 128 MB temporaries at once.
COMPARE_BLOCK = 1 << 16
# |error| histogram: one bin per octave (a binade, [2^k, 2^(k+1))), read straight from
# the float32 exponent bits (bits >> 23), so binning costs a shift and a bincount. (Two
# bins per octave would have unequal widths on the log axis, a sawtooth.)
_ERROR_SHIFT = 23
_ERROR_BINS = 1 << (31 - _ERROR_SHIFT)


class _Tally:
    """Running sums of one format's errors over the blocks."""

    def __init__(self) -> None:
        self.sq = 0.0
        self.max = 0.0
        self.over = self.flushed = self.exact = 0
        self.counts = np.zeros(_ERROR_BINS, np.int64)

    def add(self, x: np.ndarray, y: np.ndarray, top: float) -> None:
        err = y.astype(np.float64) - x
        self.sq += float(np.dot(err, err))
        magnitude = np.abs(err)
        self.max = max(self.max, float(magnitude.max()))
        self.over += int(np.count_nonzero(np.abs(x) > top))
        self.flushed += int(np.count_nonzero((y == 0) & (x != 0)))
        zero = int(np.count_nonzero(magnitude == 0))
        self.exact += zero
        binned = magnitude.astype(np.float32).view(np.uint32) >> _ERROR_SHIFT
        self.counts += np.bincount(binned, minlength=_ERROR_BINS)
        self.counts[0] -= zero  # exact values have no bin of their own

    def row(self, fmt: str, n: int, power: float, nbytes: float) -> CastRow:
        mse = self.sq / n
        return CastRow(fmt, mse, self.max, sqnr_db(power, mse), self.over / n,
                       self.flushed / n, self.exact / n, nbytes)


@dataclass(frozen=True, eq=False)
class ErrorCurve:
    """One format's |error| histogram as a line: percent of values per bin (NaN where a
    bin is empty, a gap in the line)."""

    fmt: str
    centres: np.ndarray
    percent: np.ndarray


def error_curves(c: Comparison) -> list[ErrorCurve]:
    """The histogram lines of the formats that have any error (FP32 stores a float32
    tensor exactly: it has none)."""
    centres = np.sqrt(c.edges[:-1] * np.minimum(c.edges[1:], c.edges[:-1] * 2))  # geometric
    curves = []
    for fmt, shares in c.shares.items():
        if shares.any():
            curves.append(ErrorCurve(fmt, centres, np.where(shares > 0, 100 * shares, np.nan)))
    return curves


def compare(x, settings: Compare = Compare()) -> Comparison:
    """The workspace tensor cast to every format, and INT8 (per-tensor symmetric,
    min-max), side by side, with the histogram of each one's |error|.

    >>> c = compare(np.array([1.0, 0.1, 1e6], np.float32))
    >>> r = {row.fmt: row for row in c.rows}
    >>> r["fp32"].exact, r["fp16"].overflowed, r["fp4_e2m1"].max_error
    (1.0, 0.3333333333333333, 999994.0)
    """
    x = as_float_array(x).reshape(-1)
    n = x.size
    shown = [f for f in FORMATS if f != "e8m0"]  # e8m0 is a scale format: no sign, no zero
    tops = {f: format_info(f).max for f in shown}
    amax = float(np.abs(x).max())
    qp = qparams_from_range(-amax, amax, bits=INT8_BITS, symmetric=True)
    tallies = {f: _Tally() for f in (*shown, "int8")}
    for start in range(0, n, COMPARE_BLOCK):
        block = x[start:start + COMPARE_BLOCK]
        for fmt in shown:
            tallies[fmt].add(block, cast(block, fmt), tops[fmt])
        tallies["int8"].add(block, fake_quantize(block, qp), math.inf)
    power = mean_square(x)
    rows = [tallies[f].row(f, n, power, n * format_info(f).bits / 8) for f in shown]
    rows.append(tallies["int8"].row("int8", n, power, n * INT8_BITS / 8 + 4))
    edges = (np.arange(_ERROR_BINS + 1, dtype=np.uint64) << _ERROR_SHIFT)
    edges = edges.astype(np.uint32).view(np.float32).astype(np.float64)
    edges[-1] = math.inf  # the last edge's bits overflow 32 bits
    counts = np.array([tallies[f].counts for f in tallies])
    used = np.flatnonzero(counts.sum(axis=0))
    lo, hi = (used[0], used[-1] + 1) if used.size else (0, 1)
    return Comparison(rows, edges[lo:hi + 1],
                      {f: tallies[f].counts[lo:hi] / n for f in tallies})
