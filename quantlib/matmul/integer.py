"""Exact integer matrix products, computed by a float BLAS, and the accumulator they land in.

numpy's integer matmul has no BLAS behind it (about 270x slower than float32 BLAS at
1024³). Small integers are exact in floating point, so a float BLAS can do the work: see
:func:`plan` for when that is exact, and :func:`to_accumulator` for int32 and int16.
"""

from __future__ import annotations

import numpy as np

from .._validate import Options, ParameterError, ParameterTypeError

ACCUMULATORS = ("int32", "int16", "int64")
ACCUMULATOR = Options(ACCUMULATORS)
#: Codes of up to 16 bits, signed or not (int16, uint16): |q| <= 2**16.
CODE_LIMIT = 2**16
# Every integer of magnitude up to 2**24 is a float32 number, and up to 2**53 a float64 one.
F32_EXACT = 2**24
F64_EXACT = 2**53
# A float32 chunk shorter than this costs more in per-chunk int64 additions (one pass over
# the M x N output each) than it saves over float64 BLAS (only ~1.3-2x slower).
_MIN_F32_CHUNK = 256
_INT64_LIMIT = 2**63


def magnitude(q: np.ndarray) -> int:
    """The largest |code| in ``q``, as a Python int (0 when empty).

    >>> magnitude(np.array([[-128, 3]], dtype=np.int8))
    128
    """
    return max(-int(q.min()), int(q.max()), 0) if q.size else 0


def as_codes(q, name: str) -> tuple[np.ndarray, int]:
    """``q`` as a 2-D integer array, with its largest |code|; a ParameterError otherwise.

    >>> as_codes([[1, -2]], "qa")[1]
    2
    """
    arr = np.asarray(q)
    if arr.dtype.kind not in "iu":
        raise ParameterTypeError("param_type", name=name,
                                 allowed="an array of integer codes (int8, uint8, int16, ...)",
                                 value=f"dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ParameterError("param_range", name=name, allowed="a 2-D array (a matrix)",
                             value=f"shape {arr.shape}")
    amax = magnitude(arr)
    if amax > CODE_LIMIT:
        raise ParameterError("param_range", name=name,
                             allowed=f"codes of up to 16 bits (|q| <= {CODE_LIMIT})",
                             value=f"a code of magnitude {amax}")
    return arr, amax


def check_inner(k: int, other: int, name: str, expected: str) -> None:
    """Raise unless the inner dimensions of a product match."""
    if other != k:
        raise ParameterError("param_range", name=name,
                             allowed=f"{expected} = {k} (the inner dimensions must match)",
                             value=str(other))


def plan(k: int, amax_a: int, amax_b: int) -> tuple[np.dtype, int]:
    """The float dtype and the chunk of K that make a BLAS product of these codes exact.

    BLAS forms each output as sums of some of its K products, in any order or blocking
    it likes, with or without FMA; every product and every partial sum of a chunk is an
    integer of magnitude at most ``chunk * amax_a * amax_b``. While that bound is at most
    2**24 (float32) or 2**53 (float64), each of those integers is a float number, so no
    step rounds and the float result is the exact integer. (Only Strassen-like
    algorithms, which form other sums, would break this; no BLAS numpy uses does.)

    int8 codes reach 128 · 128 = 2**14, so one float32 chunk holds K = 1024:

    >>> plan(4096, 128, 128)
    (dtype('float32'), 1024)
    >>> plan(4096, 32767, 32767)  # int16 codes: float32 cannot hold even one product
    (dtype('float64'), 8389120)
    """
    per_term = max(amax_a * amax_b, 1)
    f32_chunk = F32_EXACT // per_term
    if f32_chunk >= min(k, _MIN_F32_CHUNK) and f32_chunk > 0:
        return np.dtype(np.float32), f32_chunk
    return np.dtype(np.float64), F64_EXACT // per_term


def exact_product(a: np.ndarray, b: np.ndarray, amax_a: int, amax_b: int) -> np.ndarray:
    """``a @ b`` exactly, for integer codes: float values that are exact integers, or int64.

    >>> exact_product(np.array([[1, -2]]), np.array([[3], [4]]), 2, 4)
    array([[-5.]], dtype=float32)
    """
    k = a.shape[1]
    if k * amax_a * amax_b >= _INT64_LIMIT:  # K >= 2**31 with 16-bit codes: 2 GB a row
        raise ParameterError("param_range", name="the inner dimension K",
                             allowed=f"below {_INT64_LIMIT // max(amax_a * amax_b, 1)} for "
                                     "these codes (int64 must hold the sums)", value=str(k))
    dtype, chunk = plan(k, amax_a, amax_b)
    fa, fb = a.astype(dtype), b.astype(dtype)
    if chunk >= k:
        return fa @ fb
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.int64)
    for start in range(0, k, chunk):
        # Each chunk is exact in the float dtype; int64 adds the chunks exactly.
        out += (fa[:, start:start + chunk] @ fb[start:start + chunk]).astype(np.int64)
    return out


def to_accumulator(values: np.ndarray, accumulator: str, *, bound: int | None = None,
                   what: str = "qa @ qb") -> np.ndarray:
    """Exact integer ``values`` (float or int) stored in the accumulator's dtype.

    - ``"int64"``: as they are.
    - ``"int32"``: as they are, or a ParameterError when one is beyond int32: never a
      silent wrap. ``bound`` (a proven bound on |values|) skips the scan when below 2**31.
    - ``"int16"``: wrapped modulo 2**16 into [-2**15, 2**15), as a 16-bit two's-complement
      register does. Wrapping is reduction modulo 2**16, which commutes with addition and
      multiplication, so wrapping the exact sum once gives the same value as an int16
      accumulator wrapping after every multiply-add; only the intermediate values differ.
      (A saturating accumulator, as some DSPs have, would give something else.)

    >>> to_accumulator(np.array([40000.0, -70000.0]), "int16")
    array([-25536, -4464], dtype=int16)
    """
    if accumulator == "int64":
        return values.astype(np.int64)
    if accumulator == "int16":
        # Through int64: a float beyond int16 has no defined direct cast; int64 -> int16
        # keeps the low 16 bits.
        return values.astype(np.int64).astype(np.int16)
    info = np.iinfo(np.int32)
    if (bound is None or bound > info.max) and values.size:
        low, high = values.min(), values.max()
        if low < info.min or high > info.max:
            worst = low if -low > high else high
            row, col = np.unravel_index(int(np.argmax(values == worst)), values.shape)
            raise ParameterError(
                "param_range", name=f"every entry of the exact {what}",
                allowed=f"within int32 ({info.min} to {info.max}) for accumulator 'int32' "
                        "(use accumulator='int64' to keep it, or 'int16' to see a wrap)",
                value=f"{int(worst)} at row {row}, column {col}")
    return values.astype(np.int32)


def int_matmul(qa, qb, *, accumulator: str = "int32") -> np.ndarray:
    """``qa @ qb`` for integer codes, exactly, at float32 BLAS speed.

    The integer-only matmul of seed 002's slides (S = 1/127 for both): int8 codes in,
    int32 accumulators out, then one rescale by S1·S2:

    >>> qx = np.array([[-64, 32, 16], [96, -48, 112], [-12, 60, -56]], dtype=np.int8)
    >>> qw = np.array([[32, 50, 16], [16, 32, 44]], dtype=np.int8)
    >>> int_matmul(qx, qw.T)
    array([[-192,  704],
           [2464, 4928],
           [1720, -736]], dtype=int32)
    >>> int_matmul(np.full((1, 4), 127, np.int8), np.full((4, 1), 127, np.int8),
    ...            accumulator="int16")  # 4 · 127² = 64516 wraps to 64516 - 2**16
    array([[-1020]], dtype=int16)

    ``qa`` is (M, K) and ``qb`` (K, N), integer codes of up to 16 bits (int8, uint8,
    int16, ...). Returns (M, N) in the ``accumulator`` dtype: ``"int32"`` (the default;
    a ParameterError, never a silent wrap, if an exact entry does not fit), ``"int64"``,
    or ``"int16"``, which wraps modulo 2**16 to show overflow (see
    :func:`to_accumulator`). Exactness comes from :func:`plan`: float32 BLAS on chunks of
    K where chunk · max|qa| · max|qb| <= 2**24 (all of K = 1024 for int8), float64 where
    float32 chunks would be short, chunks added in int64.
    """
    ACCUMULATOR.check("accumulator", accumulator)
    qa, amax_a = as_codes(qa, "qa")
    qb, amax_b = as_codes(qb, "qb")
    k = qa.shape[1]
    check_inner(k, qb.shape[0], "qb.shape[0]", "qa.shape[1]")
    exact = exact_product(qa, qb, amax_a, amax_b)
    return to_accumulator(exact, accumulator, bound=k * amax_a * amax_b)
