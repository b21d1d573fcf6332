"""The .safetensors reader: the JSON header is checked whole before any buffer is touched.

The format is an 8-byte little-endian header length, a JSON header (name -> dtype, shape,
data_offsets) and the data buffer. Every entry's offsets are checked against its shape,
dtype, the buffer's length and the other entries before a single value is read.
"""

from __future__ import annotations

import json
import struct
from types import MappingProxyType
from typing import NamedTuple

import ml_dtypes
import numpy as np

from ._arrays import MAX_TENSORS_PER_FILE, ML_FLOATS, check_tensor_shape, to_float
from .errors import LoadText, TensorLoadError, load_error, load_text, show

# The safetensors library's own limit on its JSON header.
MAX_SAFETENSORS_HEADER_BYTES = 100 * 2**20
_MIN_HEADER = 2  # the shortest JSON object: "{}"
_LENGTH_FIELD = struct.Struct("<Q")

DTYPES = MappingProxyType({
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype(ml_dtypes.bfloat16), "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U64": np.dtype("<u8"), "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
})


class _TensorEntry(NamedTuple):
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise load_error("safetensors_duplicate_name", name=show(key))
        result[key] = value
    return result


def _header(data: bytes) -> tuple[dict, int]:
    """The parsed JSON header and the offset where the data buffer starts."""
    if len(data) < _LENGTH_FIELD.size + _MIN_HEADER:
        raise load_error("safetensors_too_short", size=str(len(data)))
    (length,) = _LENGTH_FIELD.unpack_from(data)
    available = len(data) - _LENGTH_FIELD.size
    if length < _MIN_HEADER or length > MAX_SAFETENSORS_HEADER_BYTES:
        raise load_error("safetensors_header_size", length=f"{length:,}", low=str(_MIN_HEADER),
                         high=f"{MAX_SAFETENSORS_HEADER_BYTES:,}")
    if length > available:
        raise load_error("safetensors_header_truncated", length=f"{length:,}",
                         available=f"{available:,}")
    try:
        header = json.loads(data[_LENGTH_FIELD.size:_LENGTH_FIELD.size + length]
                            .decode("utf-8"), object_pairs_hook=_unique_keys)
    except TensorLoadError:  # a duplicate name, from _unique_keys
        raise
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested too deep
        header = None
    if not isinstance(header, dict):
        raise load_error("safetensors_header_not_json")
    return header, _LENGTH_FIELD.size + length


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _label(name: str) -> LoadText:
    return load_text("label_tensor", name=show(name))


def _entry(name: str, entry, buffer_len: int) -> _TensorEntry:
    """One header entry, fully checked against the data buffer's length."""
    label = _label(name)
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise load_error("safetensors_entry_keys", label=label)
    dtype = DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    if dtype is None:
        raise load_error("safetensors_dtype", label=label, dtype=show(str(entry["dtype"])),
                         supported=", ".join(DTYPES))
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
        raise load_error("safetensors_shape", label=label)
    count = check_tensor_shape(tuple(shape), label)
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_int, offsets))
            or not 0 <= offsets[0] <= offsets[1]):
        raise load_error("safetensors_offsets", label=label)
    begin, end = offsets
    if end > buffer_len:
        raise load_error("safetensors_offsets_past_end", label=label, end=f"{end:,}",
                         size=f"{buffer_len:,}")
    if end - begin != count * dtype.itemsize:
        raise load_error("safetensors_size_mismatch", label=label, shape=str(shape),
                         dtype=entry["dtype"], expected=f"{count * dtype.itemsize:,}",
                         actual=f"{end - begin:,}")
    return _TensorEntry(name, dtype, tuple(shape), begin, end)


def _entries(header: dict, buffer_len: int) -> list[_TensorEntry]:
    """Every tensor entry of the header, checked, in header order."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise load_error("safetensors_metadata")
    items = [(name, entry) for name, entry in header.items() if name != "__metadata__"]
    if not items:
        raise load_error("safetensors_empty")
    if len(items) > MAX_TENSORS_PER_FILE:
        raise load_error("safetensors_too_many", count=f"{len(items):,}",
                         limit=f"{MAX_TENSORS_PER_FILE:,}")
    entries = [_entry(name, entry, buffer_len) for name, entry in items]
    by_start = sorted(entries, key=lambda e: e.begin)
    for before, after in zip(by_start, by_start[1:], strict=False):
        if after.begin < before.end:
            raise load_error("safetensors_overlap", first=show(before.name),
                             second=show(after.name))
    return entries


def read_safetensors(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file, keyed by name; nothing is read unchecked.

    >>> header = b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'
    >>> data = len(header).to_bytes(8, "little") + header + np.float32([1, 2]).tobytes()
    >>> read_safetensors(data, "model")
    {'w': array([1., 2.], dtype=float32)}
    """
    header, start = _header(data)
    arrays = {}
    for entry in _entries(header, len(data) - start):
        count = (entry.end - entry.begin) // entry.dtype.itemsize
        # File data is little-endian; ml_dtypes types exist only in native order.
        stored = entry.dtype if entry.dtype in ML_FLOATS else entry.dtype.newbyteorder("<")
        flat = np.frombuffer(data, dtype=stored, count=count, offset=start + entry.begin)
        arrays[entry.name] = to_float(flat.reshape(entry.shape), _label(entry.name))
    return arrays
