"""Block-wise absmax scaling for any codebook, with QLoRA's double quantization of the
scales.

>>> from quantlib.codebooks import codebook
>>> r = blockwise([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2], codebook("nf4"), block_size=4)
>>> r.n_blocks, r.scales.round(4).tolist()
(2, [0.6, 0.8])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import GROUP_SIZE, Options, ParameterError
from ..formats import FORMATS, cast, format_info
from ..uniform import as_float_array
from .levels import dynamic_map
from .nearest import (
    _check_levels,
    code_bits,
    codebook_max,
    dequantize_codebook,
    quantize_to_codebook,
)

SCALE_FORMAT = Options(tuple(FORMATS))

# Double quantization (QLoRA): the block scales are quantized again, in blocks of 256,
# with the 8-bit dynamic map after subtracting their mean; each block of 256 keeps an
# FP32 absmax, and the mean is one more FP32 number.
DQ_BLOCK = 256
FP32_BITS = 32
_FLAG = Options((True, False))


@dataclass(frozen=True, eq=False)
class BlockResult:
    """A tensor quantized block by block: ``x_hat = (levels[indices] - zero_point)
    * scale * tensor_scale``, with one scale (and zero point) per block.

    ``x_hat`` (float32) and ``indices`` have x's shape; ``scales``, ``absmax`` and
    ``zero_points`` (None without zero points) have one entry per block of ``block_size``
    consecutive values of x's flat, row-major order. ``scales`` are the stored ones (in
    their format, after double quantization if any). ``bits_per_value`` counts the codes
    and every stored scale, zero point and tensor-level number, divided by x's size.
    """

    x_hat: np.ndarray
    indices: np.ndarray
    levels: np.ndarray
    scales: np.ndarray
    absmax: np.ndarray
    block_size: int
    bits_per_value: float
    tensor_scale: float = 1.0
    zero_points: np.ndarray | None = None

    @property
    def n_blocks(self) -> int:
        return int(self.scales.size)


def _block_input(x) -> np.ndarray:
    x = as_float_array(x)
    if x.size == 0:
        raise ParameterError("empty_tensor")
    low, high = np.min(x), np.max(x)
    if np.isnan(low) or np.isnan(high):
        raise ParameterError("nan_input")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ParameterError("nonfinite_input")
    return x


def _to_blocks(x: np.ndarray, block_size: int) -> np.ndarray:
    """x's flat values as (blocks, block_size) rows; a short last block is padded with
    zeros, which change no absmax nor any range that includes 0, and are cut off again."""
    flat = x.reshape(-1)
    pad = -flat.size % block_size
    if pad:
        flat = np.concatenate((flat, np.zeros(pad, dtype=flat.dtype)))
    return flat.reshape(-1, block_size)


def _from_blocks(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return rows.reshape(-1)[: math.prod(shape)].reshape(shape)


def _stored(values: np.ndarray, fmt: str) -> np.ndarray:
    """Scales as their format stores them (float64 of its values); a zero scale stays 0,
    which E8M0 (no zero) could not hold, so that an all-zero block comes back as zeros."""
    with np.errstate(invalid="ignore"):
        rounded = cast(values, fmt).astype(np.float64)
    return np.where(values == 0, 0.0, rounded)


def blockwise(x, levels, *, block_size: int = 64, scale_format: str = "fp32",
              double_quant: bool = False) -> BlockResult:
    """Quantize x to a codebook block by block, each block scaled by its absmax.

    QLoRA's NF4 on seed 002's vector, in blocks of 4: each block's largest magnitude is
    exact.

    >>> from quantlib.codebooks import codebook
    >>> x = np.array([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2])
    >>> r = blockwise(x, codebook("nf4"), block_size=4)
    >>> r.x_hat.round(4), r.scales.round(4), r.bits_per_value
    (array([ 0.2644,  0.6   , -0.315 , -0.4177,  0.    ,  0.8   , -0.8   ,  0.1969],
          dtype=float32), array([0.6, 0.8]), 12.0)

    Blocks are ``block_size`` consecutive values of x's flat (row-major) order; a short
    last block is handled as if padded with zeros. A block's scale is
    ``absmax / max|level|`` (:func:`codebook_max`), rounded to ``scale_format`` (any
    name of ``quantlib.formats.FORMATS``: "fp32", "fp16", "bf16", "fp8_e4m3", "e8m0",
    ...), and the codes are the nearest levels of ``x / scale``. A scale rounded down
    pushes the block's largest values beyond the end levels, where they saturate; one
    that underflows to 0 zeroes its block. An all-zero block has scale 0 and comes back
    as zeros. One block covering x is per-tensor absmax quantization.

    ``double_quant`` is QLoRA's: the FP32 scales are themselves quantized, in blocks of
    256, to the 8-bit dynamic map after subtracting their mean (which is kept in FP32),
    as bitsandbytes does. The codes still come from the exact FP32 scales; x_hat uses the
    dequantized ones. For NF4 in blocks of 64 that stores ``4 + 8/64 + 32/(64*256)``
    (about 4.127) bits per value, plus the mean's 32 bits over the whole tensor.

    ``bits_per_value`` is ``code_bits(len(levels))`` plus every stored scale's bits over
    x's size (block count times the format's width, so a short last block counts whole).
    """
    x = _block_input(x)
    lv = _check_levels(levels)
    block_size = GROUP_SIZE.check("block_size", block_size)
    _FLAG.check("double_quant", double_quant)
    scale_bits = format_info(SCALE_FORMAT.check("scale_format", scale_format)).bits
    if double_quant and scale_format != "fp32":
        raise ParameterError("param_option", name="scale_format",
                             allowed="'fp32' with double_quant (its scales are quantized "
                                     "again)", value=repr(scale_format))
    rows = _to_blocks(x, block_size)
    absmax = np.max(np.abs(rows), axis=1).astype(np.float64)
    top = codebook_max(lv)
    exact = absmax / top if top > 0 else np.zeros_like(absmax)
    scales = _stored(exact, scale_format)
    scale_overhead = scales.size * scale_bits
    code_scales = scales
    if double_quant:
        scales, scale_overhead = _double_quantize(scales)
    codes = quantize_to_codebook(rows, lv, scale=code_scales[:, None])
    x_hat = dequantize_codebook(codes, lv, scale=scales[:, None])
    bits = code_bits(lv.size) + scale_overhead / x.size
    return BlockResult(_from_blocks(x_hat, x.shape), _from_blocks(codes, x.shape), lv, scales,
                       absmax, block_size, bits)


def _double_quantize(scales: np.ndarray) -> tuple[np.ndarray, float]:
    """FP32 scales through QLoRA's second quantization: the dequantized scales, and the
    bits that store them (8-bit codes, an FP32 absmax per 256, the FP32 mean)."""
    s32 = scales.astype(np.float32)
    mean = np.float32(np.mean(s32, dtype=np.float64))
    inner = blockwise(s32 - mean, dynamic_map(signed=True), block_size=DQ_BLOCK)
    restored = (inner.x_hat + mean).astype(np.float64)
    # A zero absmax stays zero: its block is all zeros, and must come back so.
    restored = np.where(scales == 0, 0.0, restored)
    return restored, inner.bits_per_value * scales.size + FP32_BITS
