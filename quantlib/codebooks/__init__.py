"""Non-uniform quantization: level sets (codebooks), nearest-level quantization, block-wise
absmax scaling, and the block formats hardware ships (MXFP4, MXFP8, NVFP4, NF4 with double
quantization, INT4 per group of 128).

A codebook is a sorted array of distinct levels. Quantizing maps each value to the index
of its nearest level; dequantizing looks the level up again. Block-wise, every block of
values gets its own scale, ``absmax / max|level|``, the way QLoRA uses NF4:

>>> levels = codebook("nf4")
>>> levels.size, float(levels[0]), float(levels[7]), float(levels[-1])
(16, -1.0, 0.0, 1.0)
>>> idx = quantize_to_codebook([0.3, -0.8, 0.0], levels, scale=0.8)
>>> idx, dequantize_codebook(idx, levels, scale=0.8)
(array([11,  0,  7], dtype=uint8), array([ 0.2703321, -0.8      ,  0.       ], dtype=float32))
>>> block_quantize([k / 32 for k in range(-32, 32)], "mxfp4").bits_per_value
4.25

Where the levels live (``codebook_max`` is ``max|level|``, which block scaling divides by):

- ``uniform``, ``log2``, ``nf4`` and ``dynamic`` are normalised: ``max|level| = 1``, to be
  multiplied by an absmax scale.
- ``fp4_e2m1``, ``fp8_e4m3`` and ``fp8_e5m2`` are the format's own finite values (up to 6,
  448 and 57344). Used block-wise, the scale is ``absmax / format max``, so that a block's
  largest value lands on the format's largest one, as MX and NVFP4 scale.
- ``kmeans``, ``quantile`` and ``binary`` are fitted to ``x`` and are in its units: use them
  with ``scale=1``.

The modules: ``levels`` (the kinds and :func:`codebook`), ``fitted`` (Lloyd-Max, quantile
bins, binary codes), ``nearest`` (quantize and dequantize onto levels), ``blocks``
(:func:`blockwise`, double quantization) and ``block_formats`` (:data:`BLOCK_FORMATS`,
:func:`block_quantize`).
"""

from .block_formats import BLOCK_FORMATS, BlockFormat, block_quantize
from .blocks import DQ_BLOCK, SCALE_FORMAT, BlockResult, blockwise
from .fitted import (
    LloydMaxResult,
    QuantileBins,
    binary_alphas,
    binary_levels,
    lloyd_max,
    quantile_bins,
)
from .levels import (
    DATA_KINDS,
    KINDS,
    OPTIONS,
    bits_allowed,
    codebook,
    dynamic_map,
    fp_grid,
)
from .nearest import (
    code_bits,
    codebook_max,
    dequantize_codebook,
    quantize_to_codebook,
    thresholds,
)

__all__ = [
    "BLOCK_FORMATS", "DATA_KINDS", "DQ_BLOCK", "KINDS", "OPTIONS", "SCALE_FORMAT", "BlockFormat",
    "BlockResult", "LloydMaxResult", "QuantileBins", "binary_alphas", "binary_levels",
    "bits_allowed", "block_quantize", "blockwise", "code_bits", "codebook", "codebook_max",
    "dequantize_codebook", "dynamic_map", "fp_grid", "lloyd_max",
    "quantile_bins", "quantize_to_codebook", "thresholds",
]
