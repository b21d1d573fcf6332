"""A linear layer ``y = x @ w.T`` through the integer path, with its zero-point terms.

With ``x ≈ s_x (qx - zx)`` and ``w ≈ s_w (qw - zw)``, each output is
``s_x s_w Σ_k (qx - zx)(qw - zw)``, and the sum expands into four integer terms:

    acc = Σ qx·qw  −  zw·Σ qx  −  zx·Σ qw  +  K·zx·zw

Shifted codes ``qx - zx`` need 9 bits, so int8 kernels (gemmlowp, TFLite) multiply the
codes as they are and add the corrections after: row sums of qx, row sums of qw (known
ahead for weights) and a constant. All four are returned, so a page can show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .. import granularity as gran
from .._validate import ParameterError, ParameterTypeError
from ..qtypes import QParams
from ..uniform import as_float_array, quantize
from .integer import ACCUMULATOR, as_codes, check_inner, exact_product, to_accumulator
from .requantize import Requantized, check_output_qparams, requantize

#: Seed 002's "integer only" slide: x and w as int8 codes, both with S = 1/127 (range
#: [-1, 1]), and the int32 accumulators it shows. The slide prints the first row of x as
#: -64, 32, -16, but its float row (-0.5, 0.25, 0.12) and every accumulator need +16.
SEED002_MATMUL = MappingProxyType({
    "x_codes": ((-64, 32, 16), (96, -48, 112), (-12, 60, -56)),
    "w_codes": ((32, 50, 16), (16, 32, 44)),
    "scale": 1 / 127,
    "acc": ((-192, 704), (2464, 4928), (1720, -736)),
})

_ROLES = {"x_qparams": "one per token: a row of x", "w_qparams": "one per output channel: "
          "a row of w, torch.nn.Linear's (out_features, in_features) layout"}


@dataclass(frozen=True, eq=False)
class MatmulResult:
    """``y = x @ w.T`` by the integer path, with every integer that went into it.

    - ``y``: float32 (M, N), ``scale · acc``.
    - ``acc``: the (M, N) accumulator, ``products + zw_term + zx_term + zz_term``.
    - ``products``: (M, N) ``Σ qx·qw``, the integer matmul.
    - ``zw_term`` ``−zw·Σqx``, ``zx_term`` ``−zx·Σqw`` and ``zz_term`` ``K·zx·zw``: the
      zero-point corrections, zero when symmetric, in shapes that broadcast to (M, N)
      (``terms`` gives all four at full size).
    - ``scale``: ``s_x·s_w`` (float64), a scalar or broadcastable to (M, N).
    - ``qx``, ``qw``: the codes; ``requantized``: the int8 output, if asked for.

    Integer parts have the accumulator's dtype (int32 by default). ``np.asarray(result)``
    is ``y``, the float32 that DESIGN.md's ``quantized_matmul`` returns.
    """

    y: np.ndarray
    acc: np.ndarray
    products: np.ndarray
    zw_term: np.ndarray
    zx_term: np.ndarray
    zz_term: np.ndarray
    scale: np.ndarray
    qx: np.ndarray
    qw: np.ndarray
    requantized: Requantized | None = None

    @property
    def terms(self) -> dict[str, np.ndarray]:
        """The four parts of ``acc``, each (M, N) (read-only broadcast views)."""
        names = ("products", "zw_term", "zx_term", "zz_term")
        return {name: np.broadcast_to(getattr(self, name), self.acc.shape) for name in names}

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        y = self.y if dtype is None else self.y.astype(dtype)
        return y.copy() if copy else y


def _describe(layout) -> str:
    if layout.granularity == "tensor":
        return "per tensor"
    axis = f" along axis {layout.axis}"
    size = "" if layout.group_size is None else f" of {layout.group_size}"
    return f"per {layout.granularity}{size}{axis}"


def check_layout(qparams, shape: tuple[int, int], name: str) -> QParams:
    """``qparams`` if it fits a row-wise product: per tensor, or per row (axis 0)."""
    if not isinstance(qparams, QParams):
        raise ParameterTypeError("param_type", name=name, allowed="a QParams",
                                 value=type(qparams).__name__)
    layout = qparams.layout.resolve(shape)
    # A scale per column (per input feature) would differ along the sum over K, so it
    # cannot be taken out of the sum: only per-tensor and per-row scales can.
    if layout.granularity != "tensor" and (layout.granularity, layout.axis) != ("channel", 0):
        raise ParameterError("param_option", name=f"{name}.layout",
                             allowed=f"per tensor or per channel along axis 0 ({_ROLES[name]})",
                             value=_describe(layout))
    return qparams


def _row_params(qparams: QParams, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(scale float64, zero_point int64): 0-d, or (rows, 1) for per-row parameters."""
    if qparams.layout.granularity == "tensor":
        return np.float64(qparams.scale), np.int64(qparams.zero_point)
    return tuple(gran.row_params(np.asarray(p, dtype=dtype), shape, qparams.layout)
                 for p, dtype in ((qparams.scale, np.float64),
                                  (qparams.zero_point, np.int64)))


def _check_code_range(q: np.ndarray, qparams: QParams, name: str) -> None:
    if q.size and (q.min() < qparams.qmin or q.max() > qparams.qmax):
        raise ParameterError("param_range", name=name,
                             allowed=f"codes from {qparams.qmin} to {qparams.qmax} (its qparams)",
                             value=f"codes from {q.min()} to {q.max()}")


def quantized_matmul_codes(qx, qw, x_qparams: QParams, w_qparams: QParams, *,
                           out_qparams: QParams | None = None,
                           accumulator: str = "int32") -> MatmulResult:
    """:func:`quantized_matmul` from codes already quantized: ``y ≈ x @ w.T``.

    The slides' int8 matrices, S = 1/127 for both, symmetric: the zero-point terms vanish.

    >>> from quantlib.uniform import qparams_from_range
    >>> s = qparams_from_range(-1.0, 1.0, symmetric=True)
    >>> qx = np.array(SEED002_MATMUL["x_codes"], np.int8)
    >>> qw = np.array(SEED002_MATMUL["w_codes"], np.int8)
    >>> r = quantized_matmul_codes(qx, qw, s, s)
    >>> r.acc.tolist() == [list(row) for row in SEED002_MATMUL["acc"]]
    True
    >>> r.y.round(4)
    array([[-0.0119,  0.0436],
           [ 0.1528,  0.3055],
           [ 0.1066, -0.0456]], dtype=float32)

    The slide shows these as -0.01, 0.04, 0.15, 0.30, 0.10, -0.04: cut, not rounded, to
    two decimals. Parameters and result as :func:`quantized_matmul`, with ``qx`` (M, K)
    and ``qw`` (N, K) integer codes inside their qparams' [qmin, qmax].
    """
    ACCUMULATOR.check("accumulator", accumulator)
    qx, amax_x = as_codes(qx, "qx")
    qw, amax_w = as_codes(qw, "qw")
    k = qx.shape[1]
    check_inner(k, qw.shape[1], "qw.shape[1]", "qx.shape[1]")
    x_qparams = check_layout(x_qparams, qx.shape, "x_qparams")
    w_qparams = check_layout(w_qparams, qw.shape, "w_qparams")
    if out_qparams is not None:
        out_qparams = check_output_qparams(out_qparams)
    _check_code_range(qx, x_qparams, "qx")
    _check_code_range(qw, w_qparams, "qw")
    sx, zx = _row_params(x_qparams, qx.shape)  # () or (M, 1)
    sw, zw = (p.T for p in _row_params(w_qparams, qw.shape))  # () or (1, N)
    exact = exact_product(qx, qw.T, amax_x, amax_w)
    products = to_accumulator(exact, accumulator, bound=k * amax_x * amax_w, what="Σ qx·qw")
    x_sums = qx.sum(axis=1, dtype=np.int64)[:, None]  # (M, 1)
    w_sums = qw.sum(axis=1, dtype=np.int64)[None, :]  # (1, N)
    corrections = (-zw * x_sums, -zx * w_sums, k * zx * zw)
    # Each part is checked (int32) or wrapped (int16) like the register it would live in;
    # wrapped parts add up, modulo 2**16, to the wrapped sum.
    zw_term, zx_term, zz_term = (to_accumulator(np.asarray(t), accumulator, what=what)
                                 for t, what in zip(corrections, ("zw·Σqx", "zx·Σqw", "K·zx·zw"),
                                                    strict=True))
    total = exact.astype(np.int64)
    for term in corrections:
        total += term
    acc = to_accumulator(total, accumulator, what="accumulator (Σ (qx - zx)(qw - zw))")
    scale = sx * sw
    y = (scale * acc).astype(np.float32)  # formed in float64, rounded once
    return MatmulResult(
        y=y, acc=acc, products=products, zw_term=zw_term, zx_term=zx_term, zz_term=zz_term,
        scale=scale, qx=qx, qw=qw,
        requantized=None if out_qparams is None else requantize(acc, scale, out_qparams))


def quantized_matmul(x, w, x_qparams: QParams, w_qparams: QParams, *,
                     out_qparams: QParams | None = None,
                     accumulator: str = "int32") -> MatmulResult:
    """``x @ w.T`` through the integer path: quantize both, int matmul, zero-point terms,
    one rescale by ``s_x·s_w`` (and optionally requantize to output codes).

    The slides' example, from the float values (S = 1/127, range [-1, 1]):

    >>> from quantlib.uniform import qparams_from_range
    >>> s = qparams_from_range(-1.0, 1.0, symmetric=True)
    >>> x = np.array(SEED002_MATMUL["x_codes"]) / 127
    >>> w = np.array(SEED002_MATMUL["w_codes"]) / 127
    >>> quantized_matmul(x, w, s, s).acc
    array([[-192,  704],
           [2464, 4928],
           [1720, -736]], dtype=int32)

    Parameters
    ----------
    x : array_like, (M, K)
        Activations, real values: M tokens of K features.
    w : array_like, (N, K)
        Weights in torch.nn.Linear layout (out_features, in_features).
    x_qparams, w_qparams : QParams
        Per tensor, or per channel along axis 0: per token for x, per output channel
        for w. A scale per input feature (axis 1) cannot be factored out of the sum.
    out_qparams : QParams, optional
        Per-tensor parameters of the output: then ``requantized`` holds its codes, from
        the integer multiplier-and-shift rescale (:func:`requantize`).
    accumulator : {"int32", "int16", "int64"}
        ``"int32"`` raises if any part or the accumulator leaves int32; ``"int16"``
        wraps them modulo 2**16 (the overflow demo); ``"int64"`` for 16-bit codes.

    Returns
    -------
    MatmulResult
        ``.y`` is the float32 (M, N) result; it equals the simulated path
        ``dequantize(qx) @ dequantize(qw).T`` up to that path's float32 rounding.
    """
    x, w = as_float_array(x), as_float_array(w, name="w")
    for name, arr in (("x", x), ("w", w)):
        if arr.ndim != 2:
            raise ParameterError("param_range", name=name, allowed="a 2-D array (a matrix)",
                                 value=f"shape {arr.shape}")
    check_inner(x.shape[1], w.shape[1], "w.shape[1]", "x.shape[1]")
    qx = quantize(x, check_layout(x_qparams, x.shape, "x_qparams"))
    qw = quantize(w, check_layout(w_qparams, w.shape, "w_qparams"))
    return quantized_matmul_codes(qx, qw, x_qparams, w_qparams, out_qparams=out_qparams,
                                  accumulator=accumulator)
