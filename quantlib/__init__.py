"""quantlib: the numerics behind Quantization Lab, usable on its own from a notebook.

>>> import quantlib as ql
>>> qp = ql.qparams_from_range(-1.8, 0.5, bits=8)
>>> ql.quantize([-1.8, -1.0, 0.0, 0.5], qp)
array([-128,  -39,   72,  127], dtype=int8)

Only numpy and ml_dtypes are used; nothing here imports a UI library. The names below
are the library's contract (see DESIGN.md); the modules hold more helpers
(``quantlib.binning``, ``quantlib.granularity``, ``quantlib.presets``, ...).
"""

from . import (
    binning,
    codebooks,
    explain,
    formats,
    granularity,
    histogram,
    matmul,
    observers,
    outliers,
    presets,
    searches,
    tensors,
)
from ._validate import ParameterError, ParameterTypeError
from .calibration import METHODS, calibrate, choose_qparams
from .codebooks import (
    BLOCK_FORMATS,
    block_quantize,
    blockwise,
    codebook,
    dequantize_codebook,
    quantize_to_codebook,
)
from .formats import (
    FORMATS,
    OVERFLOW_MODES,
    cast,
    compose,
    decompose,
    format_info,
    stochastic_cast,
)
from .matmul import int_matmul, quantized_matmul
from .metrics import bits_per_value, clipped_fraction, error_split, memory_bytes, metrics
from .observers import HistogramObserver, MinMaxObserver, MovingAverageMinMaxObserver
from .outliers import channel_absmax, inject_outliers, llm_int8_matmul, smooth_quant
from .presets import SEED_EXAMPLES, SEED_TENSORS, seed_tensor
from .qtypes import GRANULARITIES, Layout, QParams, int_range
from .tensors import (
    GENERATORS,
    NONFINITE_POLICIES,
    TensorLoadError,
    clean_nonfinite,
    generate,
    load_tensors,
    summarize,
)
from .uniform import ROUNDING_MODES, dequantize, fake_quantize, qparams_from_range, quantize

__all__ = [
    # Integer formats and layouts
    "GRANULARITIES", "Layout", "QParams", "int_range",
    # Uniform quantization
    "ROUNDING_MODES", "dequantize", "fake_quantize", "qparams_from_range", "quantize",
    # Calibration
    "METHODS", "calibrate", "choose_qparams",
    # Number formats: casts and bit fields (via ml_dtypes)
    "FORMATS", "OVERFLOW_MODES", "cast", "compose", "decompose", "format_info",
    "stochastic_cast",
    # Non-uniform quantization: codebooks, block scaling, MX / NVFP4 block formats
    "BLOCK_FORMATS", "block_quantize", "blockwise", "codebook", "dequantize_codebook",
    "quantize_to_codebook",
    # Integer matmul, and the fixes for outliers (LLM.int8(), SmoothQuant)
    "channel_absmax", "inject_outliers", "int_matmul", "llm_int8_matmul", "quantized_matmul",
    "smooth_quant",
    # Observers: running ranges over calibration batches
    "HistogramObserver", "MinMaxObserver", "MovingAverageMinMaxObserver",
    # Error metrics and storage
    "bits_per_value", "clipped_fraction", "error_split", "memory_bytes", "metrics",
    # Tensors: seeded generators and safe uploads
    "GENERATORS", "NONFINITE_POLICIES", "TensorLoadError", "clean_nonfinite", "generate",
    "load_tensors", "summarize",
    # The source documents' worked examples
    "SEED_EXAMPLES", "SEED_TENSORS", "seed_tensor",
    # Errors raised for bad arguments (ValueError and TypeError subclasses)
    "ParameterError", "ParameterTypeError",
    # Modules with more helpers
    "binning", "codebooks", "explain", "formats", "granularity", "histogram", "matmul",
    "observers", "outliers", "presets", "searches", "tensors",
]
