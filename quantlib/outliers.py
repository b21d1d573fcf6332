"""Outliers, and two ways around them: LLM.int8()'s decomposition and SmoothQuant.

- :func:`inject_outliers` puts isolated outliers, or whole outlier channels, into a tensor,
  the way LLM activations have a few huge feature dimensions.
- :func:`llm_int8_matmul` computes ``x @ w.T`` the LLM.int8() way (Dettmers et al., 2022):
  the input features where x has an outlier go through float, the rest through int8.
- :func:`smooth_quant` moves the difficulty from the activations to the weights with
  per-channel scales (Xiao et al., 2022); :func:`channel_absmax` gives the picture.

Weights follow torch.nn.Linear's layout: ``w`` is (out_features, in_features) and
``y = x @ w.T``. The *channels* both fixes act on are the K input features: the columns
of x and the columns of w.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from ._validate import SEED, Interval, ParameterError, ParameterTypeError, _show
from .matmul.integer import exact_product
from .qtypes import Layout
from .uniform import as_float_array

#: Vector-wise absmax scaling maps the largest |value| of a row onto code 127.
INT8_MAX = 127
#: LLM.int8()'s default: features with |x| >= 6 are the systematic outliers.
DEFAULT_THRESHOLD = 6.0
#: SmoothQuant's floor on the channel maxima and on s (the reference implementation's).
SMOOTH_MIN = 1e-5
DEFAULT_ALPHA = 0.5
#: How strongly SmoothQuant migrates: 0 leaves x's maxima, 1 makes them all 1.
ALPHA = Interval(float, 0.0, 1.0)
#: Vector-wise codes: 8 bits is LLM.int8(); fewer bits run the same scheme, for teaching.
VECTORWISE_BITS = Interval(int, 2, 8)
#: How large an outlier is: a multiple of x's spread, or of its channel's own values.
MAGNITUDE = Interval(float, 1e-6, 1e6)

_F32_MAX = float(np.finfo(np.float32).max)
_F64_TINY = float(np.finfo(np.float64).tiny)
# Codes are computed in row blocks of about this many values: float64 scratch in cache.
_BLOCK = 1 << 16
_THRESHOLD_ALLOWED = "a number > 0 (inf sends no column to float)"


# --- validation ----------------------------------------------------------------------

def _require_finite(name: str, arr: np.ndarray, summary: np.ndarray | None = None) -> None:
    """Raise when ``arr`` holds NaN/Inf; ``summary`` (maxima of it, which propagate NaN and
    Inf) spares a second pass over a big array when it is finite."""
    if not np.isfinite(arr if summary is None else summary).all():
        raise ParameterError("param_range", name=name,
                             allowed="finite (drop or replace NaN and Inf first)",
                             value=f"{np.count_nonzero(~np.isfinite(arr))} NaN or Inf value(s)")


def _operands(x, w) -> tuple[np.ndarray, np.ndarray]:
    """x (M, K) and w (N, K) as float arrays, or a ParameterError naming the bad one."""
    x, w = as_float_array(x), as_float_array(w, name="w")
    if x.ndim != 2 or x.size == 0:
        raise ParameterError("param_range", name="x", value=f"shape {x.shape}",
                             allowed="a non-empty 2-D array (tokens, in_features)")
    k = x.shape[1]
    if w.ndim != 2 or w.size == 0 or w.shape[1] != k:
        raise ParameterError("param_range", name="w",
                             allowed=f"of shape (out_features, {k}), torch.nn.Linear's "
                                     f"layout for x with {k} columns",
                             value=f"shape {w.shape}")
    return x, w


def _check_threshold(value) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        raise ParameterTypeError("param_type", name="threshold", allowed=_THRESHOLD_ALLOWED,
                                 value=_show(value))
    if not value > 0:  # NaN fails this too
        raise ParameterError("param_range", name="threshold", allowed=_THRESHOLD_ALLOWED,
                             value=_show(value))
    return float(value)


def _absmax(a: np.ndarray, axis: int) -> np.ndarray:
    """max |a| along ``axis`` as float64, 0 for an empty axis; NaN and Inf propagate.

    max and -min take two passes but no |a| temporary: twice as fast on 16M values.
    """
    top = np.max(a, axis=axis, initial=0.0)
    # abs: for a zero row, -min is -0.0, which np.maximum may return.
    return np.abs(np.maximum(top, -np.min(a, axis=axis, initial=0.0)), dtype=np.float64)


# --- injecting outliers --------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Injected:
    """A tensor with outliers put in, and where they are.

    ``x``: a new float32 array of the input's shape. ``positions``: sorted flat indices
    (into ``x.reshape(-1)``) of the isolated outliers; ``coordinates`` gives them per axis.
    ``channels``: sorted indices along ``axis`` (non-negative; None without channels) of
    the outlier channels, empty if none.
    """

    x: np.ndarray
    positions: np.ndarray
    channels: np.ndarray
    axis: int | None

    @property
    def coordinates(self) -> tuple[np.ndarray, ...]:
        """The isolated outliers' indices per axis, as ``np.nonzero`` gives them."""
        return np.unravel_index(self.positions, self.x.shape)


def _spread(x: np.ndarray) -> tuple[float, float]:
    """(mean, unit): the standard deviation, or |value| of a constant, or 1 for zeros."""
    mean, std = float(np.mean(x, dtype=np.float64)), float(np.std(x, dtype=np.float64))
    return mean, std if std > 0 else (abs(mean) if mean != 0 else 1.0)


def inject_outliers(x, *, count: int, magnitude: float, channels: int | None = None,
                    axis: int = -1, seed: int = 0) -> Injected:
    """A copy of ``x`` with ``count`` isolated outliers and, if asked, outlier channels.

    >>> x = np.zeros((2, 4), np.float32)
    >>> got = inject_outliers(x, count=2, magnitude=20, seed=0)
    >>> got.positions, float(np.abs(got.x).max())
    (array([5, 7]), 20.0)
    >>> got = inject_outliers(np.ones((3, 4)), count=0, magnitude=20, channels=1, seed=0)
    >>> got.channels, got.x[0]
    (array([3]), array([ 1.,  1.,  1., 20.], dtype=float32))

    - Isolated outliers: ``count`` distinct random elements are set to
      ``mean ± magnitude * std`` of x (random signs): ``magnitude`` standard deviations
      from the mean, as ``generate``'s ``outlier_scale`` is a multiple of its scale. A
      constant tensor has no spread, so its |value| is the unit, and all zeros use 1.
    - Outlier channels (``channels=k``): k random whole channels along ``axis`` (the
      feature dimension: the last axis of (tokens, features) activations) are multiplied
      by ``magnitude``, as ``generate``'s ``llm_activations`` does. Isolated outliers,
      if any, are placed afterwards, with x's mean and std from before.

    The same arguments always give the same outliers; ``x`` itself is never changed.
    count: 0 to x.size. magnitude: within ``MAGNITUDE``, and small enough that the
    outliers stay within float32. channels: 0 to ``x.shape[axis]``.
    """
    out = np.array(as_float_array(x), dtype=np.float32)  # always a copy: x stays untouched
    if out.ndim == 0 or out.size == 0:
        raise ParameterError("param_range", name="x", allowed="a non-empty array of 1 or more "
                             "dimensions", value=f"shape {out.shape}")
    _require_finite("x", out)
    count = Interval(int, 0, out.size).check("count", count)
    mean, unit = _spread(out)
    # Scaled channels stay within float32 up to FLOAT32_MAX / max|x|, and mean ± m * unit
    # up to (FLOAT32_MAX - |mean|) / unit; a mean within a millionth of FLOAT32_MAX leaves
    # no room at all, and its outliers saturate below.
    bound = (_F32_MAX - abs(mean)) / unit
    if (top := float(np.max(np.abs(out)))) > 0:
        bound = min(bound, _F32_MAX / top)
    magnitude = MAGNITUDE.within(high=min(MAGNITUDE.high, max(MAGNITUDE.low, bound))).check(
        "magnitude", magnitude)
    seed = SEED.check("seed", seed)
    rng = np.random.default_rng(seed)
    chosen, channel_axis = np.empty(0, dtype=np.int64), None
    if channels is not None:
        channel_axis = Layout.channel(axis).resolve(out.shape).axis
        n = out.shape[channel_axis]
        k = Interval(int, 0, n).check("channels", channels)
        chosen = np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
        index = [slice(None)] * out.ndim
        index[channel_axis] = chosen
        out[tuple(index)] *= np.float32(magnitude)
    flat = out.reshape(-1)
    positions = np.sort(rng.choice(flat.size, size=count, replace=False)).astype(np.int64)
    signs = rng.choice(np.array([-1.0, 1.0]), size=count)
    flat[positions] = np.clip(mean + signs * (magnitude * unit), -_F32_MAX, _F32_MAX)
    return Injected(x=out, positions=positions, channels=chosen, axis=channel_axis)


# --- LLM.int8() ----------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Int8Result:
    """What :func:`llm_int8_matmul` computed, part by part (M tokens, K inputs, N outputs).

    ``y`` (M, N) float32 is ``int8_part + float_part``: the exact integer product of the
    regular columns' codes times ``row_scales[:, None] * col_scales[None, :]``, plus
    ``x[:, outlier_columns] @ w[:, outlier_columns].T``. ``row_scales`` (M,) and
    ``col_scales`` (N,), float64: max|x[i, regular]| / 127 per token and max|w[o, regular]|
    / 127 per output channel (0 for a row of zeros). ``float_share``: the fraction of the
    K input features done in float, which is also that of the M·N·K multiply-adds.
    """

    y: np.ndarray
    outlier_columns: np.ndarray
    int8_part: np.ndarray
    float_part: np.ndarray
    row_scales: np.ndarray
    col_scales: np.ndarray
    float_share: float
    threshold: float


def vectorwise_quantize(a: np.ndarray, skip=(), *, bits: int = 8
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes per row, absmax / 127, leaving out the columns ``skip``
    (``bits`` below 8: absmax / (2^(bits-1) - 1), the same scheme on fewer codes).

    >>> codes, scales = vectorwise_quantize(np.array([[0.3, -0.6, 9.0], [0.0, 0.0, 1.0]]),
    ...                                     skip=np.array([2]))
    >>> codes, scales * 127
    (array([[  64., -127.,    0.],
           [   0.,    0.,    0.]], dtype=float32), array([0.6, 0. ]))

    Returns ``(codes, scales)``: float32 integers in [-127, 127] of ``a``'s shape (0 in
    the skipped columns), rounded half to even, and float64 scales, one per row: 0 for a
    row that is all zeros outside ``skip``, whose codes are all 0 (NaN or Inf gives a
    non-finite scale: callers check). Scales, division and rounding are float64, so
    float32 and float64 copies of ``a`` get the same codes.
    """
    qmax = 2 ** (VECTORWISE_BITS.check("bits", bits) - 1) - 1
    codes, scales = np.empty(a.shape, dtype=np.float32), np.empty(a.shape[0])
    step = max(1, _BLOCK // max(a.shape[1], 1))
    for start in range(0, a.shape[0], step):
        rows = slice(start, start + step)
        # One cache-sized float64 copy of the rows serves the scale and the codes, in one
        # pass over a: dropping the outlier columns needs no copy of a without them.
        block = a[rows].astype(np.float64)
        block[:, skip] = 0.0
        scale = scales[rows] = _absmax(block, axis=1) / qmax
        with np.errstate(invalid="ignore"):  # inf / inf: that row's scale is inf already
            block /= np.where(scale > 0, scale, 1.0)[:, None]
        np.rint(block, out=block)
        # |a| <= absmax makes |q| <= 127 for a normal scale; a subnormal float64 scale is
        # coarse enough to give 128, which the clip keeps in int8.
        if np.any((scale > 0) & (scale < _F64_TINY)):
            np.clip(block, -qmax, qmax, out=block)
        codes[rows] = block
    return codes, scales


def int_dot(qx: np.ndarray, qw: np.ndarray) -> np.ndarray:
    """``qx @ qw.T`` of integer codes (|q| <= 127), exact, as float64 integers.

    >>> int_dot(np.full((1, 3000), 127, np.float32), np.full((1, 3000), -127, np.float32))
    array([[-48387000.]])

    Equal to an int32 accumulator's value wherever that fits (K up to 133,143 columns of
    full codes); beyond that an int32 accumulator would wrap and this does not.
    """
    # The integer matmul's own exact product: float32 BLAS on chunks of K it keeps exact.
    return exact_product(qx, qw.T, INT8_MAX, INT8_MAX).astype(np.float64)


def llm_int8_matmul(x, w, *, threshold: float = DEFAULT_THRESHOLD, bits: int = 8
                    ) -> Int8Result:
    """``x @ w.T`` by LLM.int8(): outlier input features in float, the rest in int8.

    Seed 002's vector as two tokens, through an identity layer: the -99 sits in column 2,
    which goes through float, so row 1 keeps its small values; plain vector-wise int8
    (``threshold=inf``) squeezes them onto a step of 99/127.

    >>> x = np.array([[0.3, 0.6, -0.3, -0.5], [0.0, 0.7, -99, 0.2]], np.float32)
    >>> r = llm_int8_matmul(x, np.eye(4, dtype=np.float32))
    >>> r.outlier_columns, r.float_share, np.round(r.y[1], 3)
    (array([2]), 0.25, array([  0.   ,   0.7  , -99.   ,   0.198], dtype=float32))
    >>> np.round(llm_int8_matmul(x, np.eye(4), threshold=np.inf).y[1], 3)
    array([  0.  ,   0.78, -99.  ,   0.  ], dtype=float32)

    x: (M, K) activations; w: (N, K) weights in torch.nn.Linear's layout. The columns j
    of x with any ``|x[:, j]| >= threshold`` are outliers: ``x[:, j]`` and ``w[:, j]`` are
    multiplied in float (fp16 on a GPU in bitsandbytes; here the inputs' float dtype, then
    float32). The other columns are quantized vector-wise, symmetric absmax/127 (half to
    even) per row of x and per row of w over those columns only (bitsandbytes quantizes
    whole weight rows, once), multiplied exactly in integers (see :func:`int_dot`) and
    rescaled by the outer product of the scales. ``threshold=inf`` is plain vector-wise
    int8; a threshold at or below the smallest nonzero |x| sends every column with a
    nonzero value to float, which is the float result. ``bits`` (2 to 8; 8 is the paper's)
    runs the same decomposition with fewer codes, absmax / (2^(bits-1) - 1), for teaching.
    Returns an :class:`Int8Result`.
    """
    x, w = _operands(x, w)
    threshold = _check_threshold(threshold)
    VECTORWISE_BITS.check("bits", bits)
    column_absmax = _absmax(x, axis=0)
    _require_finite("x", x, column_absmax)
    outliers = np.flatnonzero(column_absmax >= threshold)
    x_codes, row_scales = vectorwise_quantize(x, outliers, bits=bits)
    w_codes, col_scales = vectorwise_quantize(w, outliers, bits=bits)
    w_float = w[:, outliers]
    _require_finite("w", w, np.append(col_scales, np.max(np.abs(w_float), initial=0.0)))
    float_part = (x[:, outliers] @ w_float.T).astype(np.float32)
    acc = int_dot(x_codes, w_codes)
    acc *= row_scales[:, None]
    acc *= col_scales[None, :]
    int8_part = acc.astype(np.float32)
    return Int8Result(y=int8_part + float_part, outlier_columns=outliers, int8_part=int8_part,
                      float_part=float_part, row_scales=row_scales, col_scales=col_scales,
                      float_share=outliers.size / x.shape[1], threshold=threshold)


# --- SmoothQuant ---------------------------------------------------------------------

def smoothing_scales(x_absmax, w_absmax, *, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """SmoothQuant's ``s_j = max|x_j|^alpha / max|w_j|^(1 - alpha)`` from channel maxima.

    >>> smoothing_scales(np.array([16.0, 1.0, 0.0]), np.array([1.0, 4.0, 2.0]))
    array([4. , 0.5, 1. ])

    Both maxima are clamped at ``SMOOTH_MIN`` (1e-5) before the power, and s after it: the
    reference implementation clamps the weight's maxima and s that way, so a nearly empty
    channel gives no division by zero and no 0 ** negative. A channel that is all zeros in
    x or in w adds nothing to ``x @ w.T``: it has nothing to migrate, and s_j = 1.
    Returns float64 of the maxima's shape (K,).
    """
    alpha = ALPHA.check("alpha", alpha)
    a, b = np.asarray(x_absmax, np.float64), np.asarray(w_absmax, np.float64)
    s = np.maximum(a, SMOOTH_MIN) ** alpha / np.maximum(b, SMOOTH_MIN) ** (1.0 - alpha)
    return np.where((a > 0) & (b > 0), np.maximum(s, SMOOTH_MIN), 1.0)


def _maxima(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per input channel: max|x[:, j]| and max|w[:, j]|, after checking both are finite."""
    x_absmax, w_absmax = _absmax(x, axis=0), _absmax(w, axis=0)
    _require_finite("x", x, x_absmax)
    _require_finite("w", w, w_absmax)
    return x_absmax, w_absmax


def smooth_quant(x, w, *, alpha: float = DEFAULT_ALPHA
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SmoothQuant: ``(x / s, w * s, s)``, which have the same product ``x @ w.T``.

    The outlier channel of x (max 16) and its weight column (max 1) meet at 4:

    >>> x = np.array([[16.0, 1.0], [-8.0, 0.5]], np.float32)
    >>> w = np.array([[1.0, 4.0], [0.5, -2.0]], np.float32)
    >>> xs, ws, s = smooth_quant(x, w)
    >>> s.tolist(), np.abs(xs).max(axis=0).tolist(), np.abs(ws).max(axis=0).tolist()
    ([4.0, 0.5], [4.0, 2.0], [4.0, 2.0])
    >>> bool(np.allclose(xs @ ws.T, x @ w.T))
    True

    x: (M, K) activations; w: (N, K) weights (torch.nn.Linear's layout); s: one scale per
    input channel from :func:`smoothing_scales`. alpha=0.5 equalizes the channel maxima
    of x_s and w_s (both become sqrt(max|x_j| * max|w_j|)); alpha=1 makes x_s's maxima 1,
    alpha=0 makes w_s's maxima 1. In a model, 1/s is folded into the previous LayerNorm
    and s into the weights, offline. All three arrays have the inputs' float dtype
    (float32 unless one is float64), and x_s is exactly ``x / s``, w_s ``w * s``.
    """
    x, w = _operands(x, w)
    s = smoothing_scales(*_maxima(x, w), alpha=alpha).astype(np.result_type(x, w))
    return x / s, w * s, s


@dataclass(frozen=True, eq=False)
class ChannelAbsmax:
    """Per input channel, max|x| and max|w| before and after smoothing by ``s``: the
    "difficulty migration" picture. Every array is float64 of shape (K,)."""

    x_before: np.ndarray
    w_before: np.ndarray
    x_after: np.ndarray
    w_after: np.ndarray
    s: np.ndarray


def channel_absmax(x, w, s=None, *, alpha: float = DEFAULT_ALPHA) -> ChannelAbsmax:
    """The per-channel maxima of |x| and |w| before and after SmoothQuant.

    >>> m = channel_absmax([[16.0, 1.0], [-8.0, 0.5]], [[1.0, 4.0], [0.5, -2.0]])
    >>> m.x_before, m.w_before, m.x_after, m.w_after
    (array([16.,  1.]), array([1., 4.]), array([4., 2.]), array([4., 2.]))

    ``s`` (K positive finite values) is the smoothing to show; without it, that of
    :func:`smooth_quant` at ``alpha``. The after-maxima are ``max|x_j| / s_j`` and
    ``max|w_j| * s_j``: what ``x / s`` and ``w * s`` have, up to their rounding.
    """
    x, w = _operands(x, w)
    x_before, w_before = _maxima(x, w)
    if s is None:
        s = smoothing_scales(x_before, w_before, alpha=alpha)
    elif (s := as_float_array(s, name="s").astype(np.float64)).shape != x_before.shape or not (
            np.isfinite(s).all() and s.min() > 0):
        raise ParameterError("param_range", name="s",
                             allowed=f"{x_before.size} positive finite numbers (one per channel)",
                             value=f"shape {s.shape}, min {np.min(s, initial=np.inf):g}")
    return ChannelAbsmax(x_before=x_before, w_before=w_before, x_after=x_before / s,
                         w_after=w_before * s, s=s)
