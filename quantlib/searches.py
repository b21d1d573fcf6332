"""The two calibration searches that run on a histogram: TensorRT's KL divergence
(``"entropy"``) and the fake-quantization MSE (``"mse"``).

Both evaluate every candidate threshold at once with array arithmetic; a search costs
about the same for 1e3 values as for 1e7, once the histogram is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import BITS, Interval
from .histogram import Histogram
from .qtypes import Layout
from .uniform import qparams_from_range

#: TensorRT's first candidate: P keeps at least this many bins of the histogram.
ENTROPY_START_BIN = 128
#: Candidate thresholds per side of the MSE search (the issue asks for at least 100).
MSE_CANDIDATES = Interval(int, 100, 4096)
DEFAULT_MSE_CANDIDATES = 200
# The asymmetric MSE search walks a grid of (lo, hi) pairs, then a finer grid around
# the best pair; this many fractions of each side per pass.
_GRID = 32
# KL values that differ only by rounding noise are ties; ties go to the widest
# threshold, as pytorch-quantization does: clipping that buys nothing is not worth it.
_TIE = 1e-12
# Work in chunks of about this many matrix entries (candidates x bins or levels): small
# enough to stay in cache, which made the MSE search three times faster than 1M chunks.
_CHUNK = 1 << 14


def kl_levels(bits: int, unsigned: bool) -> int:
    """How many levels Q is merged into: 2^(b-1) for a sign-magnitude range, 2^b when
    the data are non-negative (TensorRT's unsigned case).

    >>> kl_levels(8, False), kl_levels(8, True)
    (128, 256)
    """
    bits = BITS.check("bits", bits)
    return 1 << (bits if unsigned else bits - 1)


def _xlogx(v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, v * np.log(np.where(v > 0, v, 1.0)), 0.0)


def _level_bounds(i: np.ndarray, levels: int) -> np.ndarray:
    """First bin of each level (and one past the last) when ``i`` bins are merged into
    ``levels`` levels: bin j belongs to level floor(j * levels / i), the split that
    ``np.digitize(range(i), np.linspace(0, i, levels + 1))`` makes, in exact integers."""
    level = np.arange(levels + 1, dtype=np.int64)
    return -((-level[None, :] * i[:, None]) // levels)


def kl_divergences(counts, levels: int,
                   start: int = ENTROPY_START_BIN) -> tuple[np.ndarray, np.ndarray]:
    """KL(P || Q) for every candidate ``i`` from ``start`` to ``len(counts)`` bins.

    P is the first ``i`` bins with the clipped tail's count added to the last one. Q is
    the first ``i`` bins *without* the tail, merged into ``levels`` levels and spread
    back evenly over the bins that were non-empty. (Merging P itself, tail included,
    would make KL = 0 at i = levels: the narrowest range would always win.) A tail that
    lands in a bin Q leaves empty gives KL = inf.

    >>> i, kl = kl_divergences([4.0, 0, 2, 2, 0, 1], levels=2, start=3)
    >>> i.tolist(), kl.round(4).tolist()
    ([3, 4, 5, 6], [0.1036, 0.0174, inf, 0.0566])

    Returns ``(i, kl)``: int64 and float64 arrays, one entry per candidate.
    """
    c = np.asarray(counts, dtype=np.float64)
    n_bins = c.size
    i = np.arange(min(start, n_bins), n_bins + 1, dtype=np.int64)
    cum = np.concatenate(([0.0], np.cumsum(c)))
    # The tail from the same running sum: c.sum() adds in another order, and an empty
    # tail would come out as 1e-16 instead of 0.
    total = cum[-1]
    full = np.concatenate(([0], np.cumsum(c > 0)))
    cum_xlogx = np.concatenate(([0.0], np.cumsum(_xlogx(c))))
    kept = cum[i]
    tail = total - kept
    last = c[i - 1]
    # sum over levels of M log(M / n): M a level's count, n its non-empty bins.
    merged = cum_xlogx[i].copy()  # when levels >= i every bin is its own level
    q_last = last.copy()
    wide = np.flatnonzero(i > levels)
    step = max(1, _CHUNK // (levels + 1))
    for s in range(0, wide.size, step):
        rows = wide[s:s + step]
        bounds = _level_bounds(i[rows], levels)
        mass = np.diff(cum[bounds], axis=1)
        nonempty = np.diff(full[bounds], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            merged[rows] = np.where(mass > 0, mass * np.log(mass / np.maximum(nonempty, 1)),
                                    0.0).sum(axis=1)
            # Q is 0 on a bin that was empty, even inside a level that is not.
            q_last[rows] = np.where(last[rows] > 0, mass[:, -1] / nonempty[:, -1], 0.0)
    p_log_p = cum_xlogx[i - 1] + _xlogx(last + tail)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail_log_q = np.where(tail > 0, tail * (np.log(q_last) - np.log(kept)), 0.0)
        p_log_q = merged - kept * np.log(kept) + tail_log_q
        kl = (p_log_p - total * np.log(total) - p_log_q) / total
    impossible = (kept <= 0) | ((tail > 0) & (q_last <= 0))
    kl = np.where(impossible, np.inf, np.maximum(kl, 0.0))
    return i, kl


def kl_distributions(counts, i: int, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """P and Q of one candidate ``i``, built one step at a time as TensorRT describes
    (the straightforward form of what :func:`kl_divergences` computes for all ``i``).

    >>> p, q = kl_distributions([4.0, 0, 2, 2, 0, 1], 3, levels=2)
    >>> p.round(3).tolist(), q.round(3).tolist()
    ([0.444, 0.0, 0.556], [0.667, 0.0, 0.333])
    """
    c = np.asarray(counts, dtype=np.float64)
    p = c[:i].copy()
    p[-1] += c[i:].sum()
    q = np.zeros(i)
    level_of = np.arange(i) * levels // i
    for level in np.unique(level_of):
        members = (level_of == level) & (c[:i] > 0)
        if members.any():
            q[members] = c[:i][members].sum() / members.sum()
    return p / p.sum(), q / max(q.sum(), np.finfo(np.float64).tiny)


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats, 0 log 0 = 0; inf where p has mass and q has none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0)
    return float(terms.sum())


@dataclass(frozen=True, eq=False)
class KLSearch:
    """The entropy search on one histogram of |x|: every candidate and the pick."""

    thresholds: np.ndarray  # float64, the clipping threshold of each candidate
    divergences: np.ndarray  # float64, KL(P || Q) of each candidate (inf: impossible)
    bins: np.ndarray  # int64, how many histogram bins each candidate keeps
    best: int  # index of the pick in the arrays above
    levels: int

    @property
    def threshold(self) -> float:
        return float(self.thresholds[self.best])


def entropy_search(hist: Histogram, *, bits: int = 8, unsigned: bool = False,
                   start: int = ENTROPY_START_BIN) -> KLSearch:
    """TensorRT's threshold search on a histogram of |x| over ``[0, max|x|]``.

    Every candidate keeps the first ``i`` bins (threshold ``i`` bin widths); the pick has
    the smallest KL(P || Q), the widest one among ties.
    """
    levels = kl_levels(bits, unsigned)
    i, divergences = kl_divergences(hist.counts, levels, start)
    finite = np.isfinite(divergences)
    best = int(np.flatnonzero(divergences <= divergences[finite].min() + _TIE)[-1]) \
        if finite.any() else int(i.size - 1)
    # i / bins of the range, not i bin widths: a subnormal width rounds to 0.
    f = i / hist.bins
    return KLSearch(hist.lo * (1 - f) + hist.hi * f, divergences, i, best, levels)


def range_mse(hist: Histogram, lo, hi, *, bits: int = 8, symmetric: bool = False,
              split: bool = False):
    """The fake-quantization MSE of the histogram's values for each candidate range.

    ``lo`` and ``hi`` are equal-shape arrays of candidate ranges; each is quantized as
    ``qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)`` would (signed, round
    half to even), and every non-empty bin stands for its count of values at its mean.

    >>> h = Histogram.of([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99, 0.2], -99, 0.7, sums=True)
    >>> errors = range_mse(h, np.array([-99.0, -0.7]), np.array([99.0, 0.7]), symmetric=True)
    >>> errors.round(3).tolist()
    [0.042, 1207.726]

    With ``split``, returns ``(mse, clip_mse)``: the second is the part from values that
    clipping moves (more than half a step beyond the end levels), as ``error_split``.
    """
    lo, hi = (np.atleast_1d(np.asarray(v, np.float64)) for v in (lo, hi))
    qp = qparams_from_range(lo.reshape(-1), hi.reshape(-1), bits=bits, symmetric=symmetric,
                            layout=Layout.channel(0))
    values, weights = hist.means()
    scale, zero = qp.scale, qp.zero_point.astype(np.float64)
    out, clip = np.empty(scale.size), np.empty(scale.size)
    step = max(1, _CHUNK // max(values.size, 1))
    buffer = np.empty((min(step, scale.size), values.size))
    for s in range(0, scale.size, step):
        sc, zp = scale[s:s + step, None], zero[s:s + step, None]
        buf = buffer[:sc.shape[0]]
        # In place, one buffer: this loop is the whole cost of an MSE search.
        np.divide(values[None, :], sc, out=buf)
        buf += zp
        if split:
            # Half a step beyond an end level still rounds onto it: clipping starts there.
            moved = (buf < qp.qmin - 0.5) | (buf > qp.qmax + 0.5)
        np.rint(buf, out=buf)
        np.maximum(buf, qp.qmin, out=buf)
        np.minimum(buf, qp.qmax, out=buf)
        buf -= zp
        buf *= sc
        buf -= values[None, :]
        buf *= buf
        out[s:s + step] = buf @ weights
        if split:
            clip[s:s + step] = np.where(moved, buf, 0.0) @ weights
    total = max(weights.sum(), 1.0)
    if split:
        return (out / total).reshape(lo.shape), (clip / total).reshape(lo.shape)
    return (out / total).reshape(lo.shape)


@dataclass(frozen=True, eq=False)
class MSESearch:
    lo: float
    hi: float
    mse: float
    evaluated: int  # how many candidate ranges were tried


def _sides(lo: float, hi: float, fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate ends on each side of zero (a side the data do not reach stays 0)."""
    return (lo * fractions if lo < 0 else np.zeros(1)), (hi * fractions if hi > 0 else np.zeros(1))


def mse_search(hist: Histogram, *, bits: int = 8, symmetric: bool = False,
               candidates: int = DEFAULT_MSE_CANDIDATES) -> MSESearch:
    """The range with the smallest fake-quantization MSE on the histogram's values.

    Symmetric: ``candidates`` thresholds ``t = k/K * max|x|``, then as many again between
    the best one's neighbours. Asymmetric: a grid of (lo, hi) pairs shrinking each end
    towards zero, then a finer grid around the best pair. Ranges always hold 0, as
    ``qparams_from_range`` widens them to.
    """
    candidates = MSE_CANDIDATES.check("candidates", candidates)
    opts = dict(bits=bits, symmetric=symmetric)
    # A range whose step underflows (subnormal data) has no scale: say so for this range,
    # not for an array of candidates.
    qparams_from_range(min(hist.lo, 0.0), max(hist.hi, 0.0), **opts)
    # Search on values scaled by a power of two to about 1 (exact, and quantizing
    # commutes with it): squared errors of values near 1e308 would overflow.
    shift = math.frexp(max(abs(hist.lo), abs(hist.hi)))[1]
    found = _mse_search(_scaled(hist, -shift), candidates, opts)
    return MSESearch(math.ldexp(found.lo, shift), math.ldexp(found.hi, shift),
                     _ldexp_or_inf(found.mse, 2 * shift), found.evaluated)


def _scaled(hist: Histogram, shift: int) -> Histogram:
    return Histogram(math.ldexp(hist.lo, shift), math.ldexp(hist.hi, shift), hist.counts,
                     None if hist.sums is None else np.ldexp(hist.sums, shift))


def _ldexp_or_inf(value: float, shift: int) -> float:
    try:
        return math.ldexp(value, shift)
    except OverflowError:
        return math.inf


def _mse_search(hist: Histogram, candidates: int, opts: dict) -> MSESearch:
    symmetric = opts["symmetric"]
    lo0, hi0 = min(hist.lo, 0.0), max(hist.hi, 0.0)
    if symmetric:
        amax = max(-lo0, hi0)
        t = amax * (np.arange(1, candidates + 1) / candidates)  # amax * k overflows
        k = int(np.argmin(range_mse(hist, -t, t, **opts)))
        fine = np.linspace(t[max(k - 1, 0)] if k else 0.0, t[min(k + 1, t.size - 1)],
                           candidates + 1)[1:]
        t = np.concatenate((t, fine))
        errors = range_mse(hist, -t, t, **opts)
        best = int(np.argmin(errors))
        return MSESearch(-float(t[best]), float(t[best]), float(errors[best]), t.size)
    # One-sided data (all >= 0, say) leave one end at 0: then a line, not a grid.
    per_side = candidates if min(-lo0, hi0) == 0 else _GRID
    fractions = np.arange(1, per_side + 1) / per_side
    los, his = _sides(lo0, hi0, fractions)
    a, b = np.meshgrid(los, his, indexing="ij")
    errors = range_mse(hist, a, b, **opts)
    ia, ib = np.unravel_index(int(np.argmin(errors)), errors.shape)
    tried = errors.size
    # Between the best pair's neighbours on each side, a grid as fine again.
    near = np.linspace(-1.0, 1.0, per_side // 2) / per_side
    fa = np.clip(fractions[min(ia, per_side - 1)] + near, 1 / per_side**2, 1.0)
    fb = np.clip(fractions[min(ib, per_side - 1)] + near, 1 / per_side**2, 1.0)
    a2, b2 = np.meshgrid(_sides(lo0, hi0, fa)[0], _sides(lo0, hi0, fb)[1], indexing="ij")
    a, b = np.concatenate((a.ravel(), a2.ravel())), np.concatenate((b.ravel(), b2.ravel()))
    errors = range_mse(hist, a, b, **opts)
    best = int(np.argmin(errors))
    return MSESearch(float(a[best]), float(b[best]), float(errors[best]), tried + a2.size)
