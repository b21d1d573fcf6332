"""Integer matrix products: exact int8 x int8 -> int32, zero-point terms, requantization.

The integer-only inference of seed 002's slides, in three steps:

- :func:`int_matmul`: ``qa @ qb`` for integer codes, exact, at float32 BLAS speed, with
  an int32 accumulator (an error on overflow) or a wrapping int16 one for the demo;
- :func:`quantized_matmul`: ``x @ w.T`` (torch.nn.Linear layout) through the integer
  path, with the zero-point correction terms as named parts of a :class:`MatmulResult`;
- :func:`requantize`: int32 accumulators to output codes with an integer multiplier
  ``M0`` and a rounding right shift, as gemmlowp and TFLite do.
"""

from .integer import ACCUMULATORS, int_matmul
from .linear import SEED002_MATMUL, MatmulResult, quantized_matmul, quantized_matmul_codes
from .requantize import Requantized, quantize_multiplier, requantize, rounding_shift

__all__ = [
    "ACCUMULATORS", "SEED002_MATMUL", "MatmulResult", "Requantized", "int_matmul",
    "quantize_multiplier", "quantized_matmul", "quantized_matmul_codes", "requantize",
    "rounding_shift",
]
