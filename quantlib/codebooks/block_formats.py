"""The block formats hardware ships, built from the same pieces: MXFP4 and MXFP8 (OCP MX
v1.0), NVFP4, NF4 with double quantization (QLoRA) and INT4 per group of 128.

>>> r = block_quantize([0.1, -0.5, 2.0, 7.0], "mxfp4")
>>> r.x_hat.tolist(), r.scales.tolist()
([0.0, -0.5, 2.0, 6.0], [1.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .._validate import Options
from ..formats import FORMATS, _codes, cast, format_info
from ..uniform import qparams_from_range
from .blocks import (
    DQ_BLOCK,
    FP32_BITS,
    BlockResult,
    _block_input,
    _from_blocks,
    _stored,
    _to_blocks,
    blockwise,
)
from .levels import codebook, dynamic_map, fp_grid
from .nearest import _index_dtype, code_bits, dequantize_codebook

# Element types that are integer codes rather than a float format or a codebook kind.
_INT_ELEMENTS = MappingProxyType({"int4": 4})


@dataclass(frozen=True)
class BlockFormat:
    """A block format: elements of one type, ``block_size`` of them sharing a scale
    stored in ``scale_format``, maybe a zero point per block and one FP32 scale per
    tensor. ``bits_per_value`` is its nominal cost (a per-tensor number left out).

    >>> BLOCK_FORMATS["nvfp4"].bits_per_value, BLOCK_FORMATS["mxfp8"].bits_per_value
    (4.5, 8.25)
    """

    name: str
    element: str  # a float format, a codebook kind ("nf4") or "int4"
    block_size: int
    scale_format: str
    tensor_scale: bool = False
    double_quant: bool = False
    zero_point_format: str | None = None

    @property
    def element_bits(self) -> int:
        if self.element in _INT_ELEMENTS:
            return _INT_ELEMENTS[self.element]
        if self.element in FORMATS:
            return format_info(self.element).bits
        return code_bits(codebook(self.element).size)

    @property
    def bits_per_value(self) -> float:
        if self.double_quant:
            per_scale = code_bits(dynamic_map(signed=True).size) + FP32_BITS / DQ_BLOCK
        else:
            per_scale = format_info(self.scale_format).bits
        if self.zero_point_format:
            per_scale += format_info(self.zero_point_format).bits
        return self.element_bits + per_scale / self.block_size


#: The block formats :func:`block_quantize` knows, by name.
BLOCK_FORMATS = MappingProxyType({fmt.name: fmt for fmt in (
    # OCP Microscaling (MX) v1.0: 32 elements share a power-of-two E8M0 scale.
    BlockFormat("mxfp4", "fp4_e2m1", 32, "e8m0"),
    BlockFormat("mxfp8", "fp8_e4m3", 32, "e8m0"),
    # NVIDIA Blackwell's NVFP4: 16 E2M1 elements share an E4M3 scale, under an FP32 one.
    BlockFormat("nvfp4", "fp4_e2m1", 16, "fp8_e4m3", tensor_scale=True),
    # QLoRA: NF4 in blocks of 64 with double-quantized FP32 absmax scales.
    BlockFormat("nf4_dq", "nf4", 64, "fp32", double_quant=True),
    # GPTQ/AWQ-style asymmetric INT4 per group of 128: an FP16 scale and a zero point
    # counted as 16 bits too (checkpoints that pack zero points in 4 bits: 4.156).
    BlockFormat("int4_g128", "int4", 128, "fp16", zero_point_format="fp16"),
)})
BLOCK_FORMAT = Options(tuple(BLOCK_FORMATS))


def _exponent(value: float) -> int:
    """floor(log2(value)) of a positive float, exactly (frexp, not a rounded log)."""
    return math.frexp(value)[1] - 1


def _element_codes(y: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Indices into the format's grid of ``cast(y, fmt)`` (ties to even, saturating), and
    the grid: the bit pattern ml_dtypes stores, looked up in a table of code -> index,
    with no float round trip and no search over the values."""
    dtype, info = FORMATS[fmt], format_info(fmt)
    grid = fp_grid(fmt)
    by_code = _codes(dtype, info.bits)
    table = np.searchsorted(grid, np.where(np.isfinite(by_code), by_code, 0.0))
    stored = np.clip(y, -info.max, info.max).astype(dtype)  # what cast() does, kept as bits
    return table.astype(_index_dtype(grid.size))[stored.view(np.uint8)], grid


def _mx(x: np.ndarray, fmt: BlockFormat) -> BlockResult:
    # OCP MX v1.0, 6.3: shared_exp = floor(log2(amax)) - emax_elem, X = 2^shared_exp
    # (clamped to E8M0's range; amax = 0 takes the smallest), elements = V / X cast to
    # the element format with saturation. Scaling by a power of two (ldexp) is exact;
    # in float32 a result can lose bits only below 2^-126, where every element format
    # rounds it to 0 anyway.
    scale_info = format_info(fmt.scale_format)
    lowest, highest = _exponent(scale_info.smallest_normal), _exponent(scale_info.max)
    rows = _to_blocks(x, fmt.block_size)
    absmax = np.max(np.abs(rows), axis=1).astype(np.float64)
    _, exponents = np.frexp(absmax)
    shared = np.where(absmax > 0, exponents - 1 - _exponent(format_info(fmt.element).max),
                      lowest)
    shared = np.clip(shared, lowest, highest).astype(np.int32)  # int32 keeps ldexp in float32
    codes, grid = _element_codes(np.ldexp(rows, -shared[:, None]), fmt.element)
    return _element_result(x, fmt, codes, grid, np.ldexp(1.0, shared), absmax, 1.0, 0)


def _nvfp4(x: np.ndarray, fmt: BlockFormat) -> BlockResult:
    # The per-tensor FP32 scale maps the global amax onto the largest product of an E4M3
    # scale and an E2M1 element (448 * 6); then each block's E4M3 scale maps its amax
    # onto 6. An all-zero tensor takes tensor scale 1 (no division by zero). Divisions
    # are in float64: the product of the two scales has up to 28 significant bits.
    element_max = format_info(fmt.element).max
    rows = _to_blocks(x, fmt.block_size).astype(np.float64)
    absmax = np.max(np.abs(rows), axis=1)
    tensor = float(cast(np.max(absmax) / (element_max * format_info(fmt.scale_format).max),
                        "fp32")[()])
    tensor = tensor if tensor > 0 else 1.0
    scales = _stored(absmax / element_max / tensor, fmt.scale_format)
    effective = scales * tensor
    # A scale that underflowed E4M3 to 0 reads its block as zeros, as all-zero blocks.
    np.divide(rows, effective[:, None], out=rows, where=effective[:, None] > 0)
    rows[effective == 0] = 0.0
    codes, grid = _element_codes(rows, fmt.element)
    return _element_result(x, fmt, codes, grid, scales, absmax, tensor, FP32_BITS)


def _element_result(x, fmt: BlockFormat, codes, grid, scales, absmax, tensor: float,
                    tensor_bits: int) -> BlockResult:
    x_hat = dequantize_codebook(codes, grid, scale=scales[:, None] * tensor)
    bits = (fmt.element_bits + (scales.size * format_info(fmt.scale_format).bits
                                + tensor_bits) / x.size)
    return BlockResult(_from_blocks(x_hat, x.shape), _from_blocks(codes, x.shape), grid, scales,
                       absmax, fmt.block_size, bits, tensor)


def _int_groups(x: np.ndarray, fmt: BlockFormat) -> BlockResult:
    # Min-max affine qparams per group (the library's: range widened to contain 0, zero
    # point clipped to the codes), the scale rounded to FP16 as checkpoints store it.
    bits = _INT_ELEMENTS[fmt.element]
    rows = _to_blocks(x, fmt.block_size).astype(np.float64)
    qp = qparams_from_range(rows.min(axis=1), rows.max(axis=1), bits=bits, signed=False)
    scales = np.atleast_1d(cast(qp.scale, fmt.scale_format).astype(np.float64))
    zeros = np.atleast_1d(qp.zero_point).astype(np.float64)
    y = np.zeros_like(rows)
    np.divide(rows, scales[:, None], out=y, where=scales[:, None] > 0)  # FP16 underflow
    codes = np.clip(np.rint(y) + zeros[:, None], qp.qmin, qp.qmax)
    x_hat = ((codes - zeros[:, None]) * scales[:, None]).astype(np.float32)
    absmax = np.max(np.abs(rows), axis=1)
    overhead = scales.size * (format_info(fmt.scale_format).bits
                              + format_info(fmt.zero_point_format).bits)
    levels = np.arange(qp.qmin, qp.qmax + 1, dtype=np.float64)
    return BlockResult(_from_blocks(x_hat, x.shape),
                       _from_blocks(codes.astype(_index_dtype(levels.size)), x.shape), levels,
                       scales, absmax, fmt.block_size, bits + overhead / x.size,
                       zero_points=zeros)


def block_quantize(x, name: str) -> BlockResult:
    """Quantize x to one of :data:`BLOCK_FORMATS`, blocks along x's flat (row-major) order.

    >>> r = block_quantize([0.1, -0.5, 2.0, 7.0], "mxfp4")
    >>> r.x_hat, r.scales, r.bits_per_value
    (array([ 0. , -0.5,  2. ,  6. ], dtype=float32), array([1.]), 6.0)

    (Four values in one block of 32: the E8M0 scale's 8 bits count over 4 values. 7.0
    saturates to E2M1's largest value, 6.)

    - ``mxfp4`` / ``mxfp8``: OCP MX v1.0. Blocks of 32 share ``X = 2^(floor(log2 amax) -
      emax)``, emax being the element format's largest exponent (2 for E2M1, 8 for E4M3),
      stored in E8M0; elements are ``x / X`` cast to E2M1 / E4M3 (ties to even,
      saturating). 4.25 and 8.25 bits per value.
    - ``nvfp4``: a per-tensor FP32 scale ``amax / (6 * 448)``; blocks of 16 store
      ``cast(block_amax / 6 / tensor_scale, E4M3)``; elements are x over the product
      cast to E2M1. 4.5 bits per value, plus the FP32 scale's 32 bits over x's size.
    - ``nf4_dq``: NF4 in blocks of 64 with double quantization (:func:`blockwise`): about
      4.127 bits per value.
    - ``int4_g128``: asymmetric min-max INT4 per group of 128 (``qparams_from_range``,
      unsigned, range widened to contain 0), with an FP16 scale and a zero point counted
      as 16 bits: 4.25 bits per value.

    ``indices`` index ``levels`` (the element grid; for ``int4_g128`` the codes 0..15,
    with ``zero_points``). A short last block is handled as if padded with zeros. NaN
    and Inf raise ParameterError.
    """
    fmt = BLOCK_FORMATS[BLOCK_FORMAT.check("name", name)]
    x = _block_input(x)
    if fmt.element in _INT_ELEMENTS:
        return _int_groups(x, fmt)
    if fmt.double_quant:
        return blockwise(x, codebook(fmt.element), block_size=fmt.block_size,
                         scale_format=fmt.scale_format, double_quant=True)
    if fmt.tensor_scale:
        return _nvfp4(x, fmt)
    return _mx(x, fmt)
