"""The .npy reader: the header is parsed and checked before the payload is touched.

``allow_pickle`` never comes into it: the payload is read with ``np.frombuffer`` once the
dtype is known to be plain numbers, so an object array is refused, never unpickled.
"""

from __future__ import annotations

import io
import tokenize
from types import MappingProxyType

import numpy as np

from ._arrays import check_tensor_shape, to_float
from .errors import LoadText, TensorLoadError, load_error, load_text

_NPY_MAGIC = b"\x93NUMPY"
_NPY_VERSIONS = ((1, 0), (2, 0), (3, 0))

# The message for each reason a .npy dtype is refused, keyed by dtype.kind, or by
# "object", "structured" or "extended_float" where the kind alone does not tell.
_DTYPE_ERRORS = MappingProxyType({
    "object": "npy_object", "structured": "npy_structured", "b": "npy_bool",
    "c": "npy_complex", "S": "npy_bytes", "U": "npy_text", "M": "npy_dates",
    "m": "npy_time_spans", "extended_float": "npy_extended_float",
    "unknown": "npy_unknown_dtype",
})


def _dtype_error(dtype: np.dtype, label: LoadText) -> TensorLoadError | None:
    """Why ``dtype`` is not a numeric tensor type, or None when it is fine."""
    if dtype.hasobject:
        key = "object"
    elif dtype.fields is not None or dtype.subdtype is not None or dtype.kind == "V":
        key = "structured"
    elif dtype.kind == "f" and dtype.itemsize not in (2, 4, 8):
        key = "extended_float"
    elif dtype.kind in "fiu":
        return None
    else:
        key = dtype.kind if dtype.kind in _DTYPE_ERRORS else "unknown"
    # One call for the whole family: each template keeps only the params it names.
    return load_error(_DTYPE_ERRORS[key], label=label, dtype=str(dtype))


def _header(raw: bytes, label: LoadText) -> tuple[tuple, bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, data_offset)`` from a .npy header, payload untouched."""
    if not raw.startswith(_NPY_MAGIC):
        raise load_error("npy_no_signature", label=label)
    stream = io.BytesIO(raw)
    damaged = load_error("npy_damaged_header", label=label)
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError:
        raise damaged from None
    if version not in _NPY_VERSIONS:
        raise load_error("npy_unknown_version", label=label,
                         version=f"{version[0]}.{version[1]}")
    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
            else np.lib.format.read_array_header_2_0)  # 3.0 differs only in name encoding
    try:
        shape, fortran_order, dtype = read(stream)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError,
            tokenize.TokenError):
        raise damaged from None
    return shape, fortran_order, dtype, stream.tell()


def read_npy(raw: bytes, label: LoadText) -> np.ndarray:
    """One .npy file's array as a float copy; ``label`` names it in messages.

    >>> buf = io.BytesIO()
    >>> np.save(buf, np.array([[1, 2]], np.int16))
    >>> read_npy(buf.getvalue(), load_text("label_npy"))
    array([[1., 2.]], dtype=float32)
    """
    shape, fortran_order, dtype, offset = _header(raw, label)
    error = _dtype_error(dtype, label)
    if error:
        raise error
    count = check_tensor_shape(shape, label)
    have, want = len(raw) - offset, count * dtype.itemsize
    if have < want:
        raise load_error("npy_truncated", label=label, count=f"{count:,}", want=f"{want:,}",
                         have=f"{have:,}")
    if have > want:
        raise load_error("npy_extra_bytes", label=label, extra=f"{have - want:,}")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return to_float(flat.reshape(shape, order="F" if fortran_order else "C"), label)


def read_single_npy(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """A .npy upload: its one array, named after the file."""
    return {stem: read_npy(data, load_text("label_npy"))}
