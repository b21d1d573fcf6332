"""quantlib: the numerics behind Quantization Lab, usable on its own from a notebook.

>>> import quantlib as ql
>>> qp = ql.qparams_from_range(-1.8, 0.5, bits=8)
>>> ql.quantize([-1.8, -1.0, 0.0, 0.5], qp)
array([-128,  -39,   72,  127], dtype=int8)

Only numpy and ml_dtypes are used; nothing here imports a UI library.
"""

from .analysis import UniformReport, uniform_report
from .binning import histogram, histogram2d, padded_range
from .calibration import METHODS, calibrate, calibrate_rows, choose_qparams
from .granularity import param_shape, select
from .metrics import (
    BYTES_PER_GB,
    STORAGE_FORMATS,
    bits_per_value,
    block_bits,
    clipped_fraction,
    memory_bytes,
    memory_gb,
    memory_table,
    metrics,
)
from .presets import MODEL_SIZES, SEED_EXAMPLES, SEED_TENSORS, SeedExample, seed_tensor
from .qtypes import GRANULARITIES, MAX_BITS, MIN_BITS, QParams, int_range, storage_dtype
from .tensors import (
    ACCEPTED_EXTENSIONS,
    GENERATORS,
    MAX_ELEMENTS,
    MAX_UPLOAD_BYTES,
    NONFINITE_POLICIES,
    TensorLoadError,
    clean_nonfinite,
    generate,
    load_tensors,
    summarize,
)
from .uniform import (
    ROUNDING_MODES,
    dequantize,
    fake_quantize,
    level_bounds,
    levels,
    param_pair,
    qparams_at,
    qparams_from_range,
    quantize,
    round_values,
    step_table,
)

__all__ = [
    "ACCEPTED_EXTENSIONS", "GENERATORS", "GRANULARITIES", "MAX_BITS", "MAX_ELEMENTS",
    "MAX_UPLOAD_BYTES", "METHODS", "MIN_BITS", "ROUNDING_MODES", "QParams", "TensorLoadError",
    "bits_per_value", "calibrate", "calibrate_rows", "choose_qparams", "clipped_fraction",
    "dequantize", "fake_quantize", "generate", "histogram", "histogram2d", "int_range",
    "levels", "load_tensors", "memory_bytes", "metrics", "padded_range", "param_pair",
    "param_shape", "qparams_from_range", "quantize", "round_values", "select", "step_table",
    "storage_dtype", "summarize", "NONFINITE_POLICIES", "SEED_EXAMPLES", "SEED_TENSORS",
    "SeedExample", "UniformReport", "clean_nonfinite", "qparams_at", "seed_tensor",
    "uniform_report", "BYTES_PER_GB", "MODEL_SIZES", "STORAGE_FORMATS", "block_bits",
    "memory_gb", "memory_table", "level_bounds",
]
