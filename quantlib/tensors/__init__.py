"""Tensors for the workspace: seeded synthetic generators, safe upload readers, summaries.

- ``generate``: seeded generators, with their parameter constraints (``GENERATORS``,
  ``GENERATOR_PARAMS``, ``SCALE``, ``LOC``, ``OUTLIERS``, ``OUTLIER_SCALE``).
- ``load_tensors``: reads an upload (.npy, .npz, .csv/.txt, .safetensors) or refuses it
  with a ``TensorLoadError`` whose code and template come from ``MESSAGES``.
- ``summarize`` and ``clean_nonfinite``: what the workspace reports, and NaN/Inf handling.

>>> x = generate("constant", (2, 2), value=3.0)
>>> summarize(x)["mean"], sorted(MESSAGES)[:2]
(3.0, ['beyond_float32', 'empty_file'])
"""

from .._validate import MAX_ELEMENTS
from ._arrays import FLOAT32_MAX, MAX_LOAD_NDIM, MAX_TENSORS_PER_FILE
from .errors import MESSAGES, LoadText, TensorLoadError, load_error, load_text
from .generate import (
    GENERATOR_PARAMS,
    GENERATORS,
    LOC,
    MAX_FACTOR,
    MAX_MAGNITUDE,
    MAX_NDIM,
    MAX_SIGMA,
    MIN_DF,
    MIN_SIGMA,
    OUTLIER_SCALE,
    OUTLIERS,
    SCALE,
    constraints_for,
    generate,
)
from .load import ACCEPTED_EXTENSIONS, MAX_UPLOAD_BYTES, PICKLE_EXTENSIONS, load_tensors
from .npz import MAX_NPZ_UNCOMPRESSED
from .safetensors import MAX_SAFETENSORS_HEADER_BYTES
from .summary import NONFINITE_POLICIES, clean_nonfinite, summarize

__all__ = [
    "ACCEPTED_EXTENSIONS", "FLOAT32_MAX", "GENERATORS", "GENERATOR_PARAMS",
    "LOC", "MAX_ELEMENTS", "MAX_FACTOR", "MAX_LOAD_NDIM", "MAX_MAGNITUDE", "MAX_NDIM",
    "MAX_NPZ_UNCOMPRESSED", "MAX_SAFETENSORS_HEADER_BYTES", "MAX_SIGMA", "MAX_TENSORS_PER_FILE",
    "MAX_UPLOAD_BYTES", "MESSAGES", "MIN_DF", "MIN_SIGMA", "NONFINITE_POLICIES", "OUTLIERS",
    "OUTLIER_SCALE", "PICKLE_EXTENSIONS", "SCALE", "LoadText", "TensorLoadError",
    "clean_nonfinite", "constraints_for", "generate", "load_error", "load_text", "load_tensors",
    "summarize",
]
