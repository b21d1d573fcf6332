"""Tensors for the workspace: seeded synthetic generators, safe upload readers, summaries.

Uploads come from strangers on the internet, so every reader validates the whole file
layout before it touches the payload and never unpickles anything.
"""

from __future__ import annotations

import io
import json
import lzma
import math
import re
import string
import struct
import tokenize
import zipfile
import zlib
from functools import partial
from types import MappingProxyType
from typing import NamedTuple

import ml_dtypes
import numpy as np

MAX_ELEMENTS = 2**24
MAX_UPLOAD_BYTES = 50 * 2**20  # the server's maxUploadSize (50 MB)
ACCEPTED_EXTENSIONS = (".npy", ".npz", ".csv", ".txt", ".safetensors")
PICKLE_EXTENSIONS = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib")

# --- generate ------------------------------------------------------------------------

MAX_NDIM = 4
# Far beyond any real weight or activation, yet 20 orders of magnitude below float32's
# largest value (3.4e38), so heavy tails times scale, plus loc, cannot overflow.
MAX_MAGNITUDE = 1e18
# Upper bound of the unitless parameters (separation, spread, channel_scale, outlier_scale,
# df): multiplied by scale <= MAX_MAGNITUDE they stay below 1e25, far from float32's max.
MAX_FACTOR = 1e6
# Student's t with df < 1 has tails so heavy that 2**24 draws can exceed float32.
MIN_DF = 1.0
# exp(MAX_SIGMA * z) stays below 1e18 even for a 10-sigma draw of z.
MAX_SIGMA = 4.0
# Second entropy word of the outlier stream, so outliers never reuse the values' stream.
_OUTLIER_STREAM = 1


class _Param(NamedTuple):
    default: float
    low: float
    high: float
    open_low: bool = False
    integer: bool = False


_PARAMS = {
    "normal": {},
    "uniform": {},
    "laplace": {},
    "student_t": {"df": _Param(3.0, MIN_DF, MAX_FACTOR)},
    "lognormal": {"sigma": _Param(1.0, 0.0, MAX_SIGMA, open_low=True)},
    "bimodal": {"separation": _Param(2.0, 0.0, MAX_FACTOR),
                "spread": _Param(0.5, 0.0, MAX_FACTOR, open_low=True)},
    "relu": {},
    "llm_activations": {"outlier_channels": _Param(2, 0, MAX_ELEMENTS, integer=True),
                        "channel_scale": _Param(20.0, 0.0, MAX_FACTOR, open_low=True)},
    "constant": {"value": _Param(1.0, -MAX_MAGNITUDE, MAX_MAGNITUDE)},
}

#: Generator kinds, in menu order, each with its extra parameters and their defaults.
GENERATORS = MappingProxyType({
    kind: MappingProxyType({name: p.default for name, p in params.items()})
    for kind, params in _PARAMS.items()
})


def _number(name: str, value, low: float, high: float, *, open_low: bool = False,
            integer: bool = False) -> float | int:
    """``value`` checked to be a finite number in [low, high] ((low, high] if open_low)."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool | np.bool_) or not isinstance(value, kinds):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {value!r}")
    value = int(value) if integer else float(value)
    too_low = value <= low if open_low else value < low
    if not math.isfinite(value) or too_low or value > high:
        if integer:
            allowed = f"from {low} to {high}" if math.isfinite(high) else f">= {low}"
            raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be a finite number in {bracket}{low:g}, {high:g}], "
                         f"got {value!r}")
    return value


def _check_shape(shape) -> tuple[int, ...]:
    """``shape`` as a tuple of 1 to MAX_NDIM positive ints within MAX_ELEMENTS."""
    dims = (shape,) if isinstance(shape, int | np.integer) else shape
    if not isinstance(dims, tuple | list) or not 1 <= len(dims) <= MAX_NDIM or any(
            isinstance(d, bool | np.bool_) or not isinstance(d, int | np.integer) for d in dims):
        raise TypeError(f"shape must be an int or a tuple of 1 to {MAX_NDIM} ints, got {shape!r}")
    dims = tuple(int(d) for d in dims)
    if any(d < 1 for d in dims):
        raise ValueError(f"every dimension of shape must be at least 1, got {dims}")
    count = math.prod(dims)
    if count > MAX_ELEMENTS:
        raise ValueError(f"shape {dims} has {count:,} elements, more than the cap of "
                         f"{MAX_ELEMENTS:,} (2**24)")
    return dims


def _check_params(kind: str, params: dict) -> dict:
    """The kind's extra parameters, defaults filled in and each one validated."""
    allowed = _PARAMS[kind]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        names = ", ".join(allowed) or "none"
        raise TypeError(f"unknown parameter(s) {unknown} for kind {kind!r}; allowed: {names}")
    checked = {}
    for name, spec in allowed.items():
        value = params.get(name, spec.default)
        checked[name] = _number(name, value, spec.low, spec.high, open_low=spec.open_low,
                                integer=spec.integer)
    return checked


def _affine(z: np.ndarray, loc: float, scale: float) -> np.ndarray:
    z *= np.float32(scale)
    z += np.float32(loc)
    return z


def _sample(kind: str, rng: np.random.Generator, shape: tuple[int, ...], loc: float,
            scale: float, p: dict) -> np.ndarray:
    """A fresh float32 array of ``shape`` drawn from ``kind``."""
    f32 = np.float32
    if kind == "constant":
        return np.full(shape, p["value"], dtype=f32)
    if kind == "uniform":
        return _affine(rng.random(shape, dtype=f32) * f32(2) - f32(1), loc, scale)
    if kind == "laplace":
        # The difference of two unit exponentials is Laplace(0, 1), drawn in float32.
        z = rng.standard_exponential(shape, dtype=f32)
        return _affine(z - rng.standard_exponential(shape, dtype=f32), loc, scale)
    if kind == "student_t":
        # float64: numpy has no float32 t, and float32 gamma draws can be exactly 0.
        return _affine(rng.standard_t(p["df"], shape).astype(f32), loc, scale)
    if kind == "llm_activations":
        channels = rng.choice(shape[-1], size=p["outlier_channels"], replace=False)
        x = _affine(rng.standard_normal(shape, dtype=f32), loc, scale)
        x[..., channels] *= f32(p["channel_scale"])
        return x
    z = rng.standard_normal(shape, dtype=f32)
    if kind == "lognormal":
        return _affine(np.exp(z * f32(p["sigma"]), out=z), loc, scale)
    if kind == "bimodal":
        side = rng.integers(0, 2, size=shape, dtype=np.int8) * np.int8(2) - np.int8(1)
        z *= f32(p["spread"])
        z += side * f32(p["separation"])
    x = _affine(z, loc, scale)
    return np.maximum(x, f32(0), out=x) if kind == "relu" else x


def _add_outliers(x: np.ndarray, count: int, seed: int, loc: float, size: float) -> None:
    """Overwrite ``count`` distinct random elements of the fresh ``x`` with ``loc ± size``."""
    rng = np.random.default_rng([seed, _OUTLIER_STREAM])
    flat = x.reshape(-1)
    positions = rng.choice(flat.size, size=count, replace=False)
    signs = rng.integers(0, 2, size=count) * 2 - 1
    flat[positions] = loc + signs * size


def generate(kind: str, shape, *, seed: int = 0, scale: float = 1.0, loc: float = 0.0,
             outliers: int = 0, outlier_scale: float = 20.0, **params) -> np.ndarray:
    """A seeded synthetic float32 tensor; the same arguments give bit-identical arrays.

    >>> x = generate("normal", (2, 3), seed=1)
    >>> x.shape, x.dtype, bool(np.array_equal(x, generate("normal", (2, 3), seed=1)))
    ((2, 3), dtype('float32'), True)
    >>> generate("constant", 3, value=0.5)
    array([0.5, 0.5, 0.5], dtype=float32)

    Kinds (extra parameters and defaults in ``GENERATORS``):

    - ``normal``: loc + scale * N(0, 1)
    - ``uniform``: U(loc - scale, loc + scale)
    - ``laplace``: loc + Laplace(0, scale)
    - ``student_t``: loc + scale * t(df); ``df=3.0`` (heavy tails), df >= 1
    - ``lognormal``: loc + scale * exp(N(0, sigma)); ``sigma=1.0``, 0 < sigma <= 4
    - ``bimodal``: equal mixture of N(loc -/+ separation*scale, (spread*scale)^2);
      ``separation=2.0``, ``spread=0.5``
    - ``relu``: max(0, loc + scale * N(0, 1)), a spike at 0 like ReLU activations
    - ``llm_activations``: (tokens, channels), channels on the LAST axis:
      loc + scale * N(0, 1), then ``outlier_channels=2`` random channels are multiplied
      by ``channel_scale=20.0``: the systematic outlier features of LLM.int8()
    - ``constant``: every element is ``value=1.0``; seed and scale have no effect

    Then, for every kind, ``outliers`` distinct random elements (from a second seeded
    stream) become loc ± outlier_scale * scale, with a random sign.

    shape: an int or a tuple of 1 to 4 positive ints, at most MAX_ELEMENTS elements.
    Returns a new C-contiguous float32 array of that shape, every value finite.
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, one of {list(GENERATORS)}, got {kind!r}")
    if kind not in GENERATORS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {list(GENERATORS)}")
    shape = _check_shape(shape)
    seed = _number("seed", seed, 0, math.inf, integer=True)
    scale = _number("scale", scale, 0.0, MAX_MAGNITUDE, open_low=True)
    loc = _number("loc", loc, -MAX_MAGNITUDE, MAX_MAGNITUDE)
    outliers = _number("outliers", outliers, 0, math.prod(shape), integer=True)
    outlier_scale = _number("outlier_scale", outlier_scale, 0.0, MAX_FACTOR)
    p = _check_params(kind, params)
    if kind == "llm_activations" and p["outlier_channels"] > shape[-1]:
        raise ValueError(f"outlier_channels must be at most the {shape[-1]} channels "
                         f"(last axis of shape {shape}), got {p['outlier_channels']}")
    x = _sample(kind, np.random.default_rng(seed), shape, loc, scale, p)
    if outliers:
        _add_outliers(x, outliers, seed, loc, outlier_scale * scale)
    if not np.isfinite(x).all():
        raise ValueError(f"these parameters overflow float32 for kind {kind!r}; "
                         "use a smaller scale, loc or tail parameter")
    return x


# --- load_tensors --------------------------------------------------------------------


class LoadText(NamedTuple):
    """An English text with a stable ``code``, so that a UI can show it translated.

    ``template`` has ``{placeholders}``; ``params`` holds their values as display strings,
    or as a LoadText for a part that is translated on its own (the array a message is about).

    >>> label = LoadText("label_npz_array", "The array '{name}' in this .npz file", {"name": "w"})
    >>> str(label)
    "The array 'w' in this .npz file"
    """

    code: str
    template: str
    params: dict

    def __str__(self) -> str:
        return self.template.format_map(self.params)


class TensorLoadError(ValueError):
    """An uploaded file the lab will not read; the message is shown to the student.

    ``str(err)`` is the message in English. ``err.code`` names the message stably
    (snake_case) and ``err.params`` holds the values of the ``{placeholders}`` of
    ``err.template``, the English text: display strings (numbers already formatted, as in
    "12,345" or "50.0 MB"), and for ``label`` a LoadText naming the array. A UI can look
    the code up in its own catalogue and fill in the same params. Params the template does
    not name are left out, so that one call can raise any message of a table.

    >>> try:
    ...     load_tensors(b"1,2\\n3,x\\n", "t.csv")
    ... except TensorLoadError as err:
    ...     print(err.code, err.params)
    ...     print(err)
    text_not_a_number {'line': '2', 'column': '2', 'token': 'x'}
    Line 2: column 2 holds 'x', which is not a number. Below the header only numbers
    (and nan, inf, -inf) are allowed.
    """

    def __init__(self, code: str, template: str, /, **params: str | LoadText) -> None:
        named = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        params = {name: value for name, value in params.items() if name in named}
        super().__init__(template.format_map(params))
        self.code, self.template, self.params = code, template, params

    def __reduce__(self):
        return partial(type(self), self.code, self.template, **self.params), ()


# Two of the largest arrays the lab accepts (float64 at MAX_ELEMENTS): more than any
# honest 50 MB .npz needs, small enough that a zip bomb cannot exhaust the server.
MAX_NPZ_UNCOMPRESSED = 2 * MAX_ELEMENTS * 8
# The safetensors library's own limit on its JSON header.
MAX_SAFETENSORS_HEADER_BYTES = 100 * 2**20
# Tensors per .npz or .safetensors file: plenty for a workspace, and bounds the work a
# file with millions of tiny entries could cause.
MAX_TENSORS_PER_FILE = 1024
# Below numpy's own limit on dimensions (64 in numpy 2, 32 in numpy 1).
MAX_LOAD_NDIM = 32
_MIN_SAFETENSORS_HEADER = 2  # the shortest JSON object: "{}"
_LENGTH_FIELD = struct.Struct("<Q")
_NPY_MAGIC = b"\x93NUMPY"
_NPY_VERSIONS = ((1, 0), (2, 0), (3, 0))
_SHOW_CHARS = 30
_MB = 2**20
_DEFAULT_NAME = "tensor"

_ML_FLOATS = tuple(np.dtype(t) for t in (ml_dtypes.bfloat16, ml_dtypes.float8_e4m3fn,
                                         ml_dtypes.float8_e5m2))
_SAFETENSORS_DTYPES = MappingProxyType({
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype(ml_dtypes.bfloat16), "F8_E4M3": np.dtype(ml_dtypes.float8_e4m3fn),
    "F8_E5M2": np.dtype(ml_dtypes.float8_e5m2),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"), "U64": np.dtype("<u8"), "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"), "U8": np.dtype("u1"),
})
# Everything zipfile and its decompressors raise on damaged or hostile archives.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError, struct.error)
_RESAVE = "Save it again with numpy.save(...) or safetensors and upload that file."


def _show(text: str, limit: int = _SHOW_CHARS) -> str:
    """``text`` made safe to quote in a message: printable and at most ``limit`` chars."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mb(nbytes: int) -> str:
    return f"{nbytes / _MB:.1f} MB"


def _check_tensor_shape(shape: tuple, label: LoadText) -> int:
    """The element count of ``shape``, refusing 0-d, empty, oversized or odd shapes."""
    if len(shape) > MAX_LOAD_NDIM:
        raise TensorLoadError("too_many_dims", "{label} has {ndim} dimensions, more than the "
                              "lab's limit of {limit}. Reshape it to fewer dimensions.",
                              label=label, ndim=str(len(shape)), limit=str(MAX_LOAD_NDIM))
    if any(d < 0 for d in shape):
        raise TensorLoadError("impossible_shape", "{label} has an impossible shape {shape}; "
                              "the file may be damaged. " + _RESAVE,
                              label=label, shape=_show(str(shape)))
    if not shape:
        raise TensorLoadError("zero_dim", "{label} is a single number with no shape (a 0-d "
                              "array), so there is nothing to quantize along. Save it as a "
                              "1-D array with at least one element, e.g. numpy.atleast_1d(x).",
                              label=label)
    count = math.prod(shape)
    if count == 0:
        raise TensorLoadError("no_values", "{label} has no values (shape {shape}). Upload a "
                              "tensor with at least one value.", label=label, shape=str(shape))
    if count > MAX_ELEMENTS:
        raise TensorLoadError("too_many_values", "{label} has {count} values (shape {shape}), "
                              "more than the lab's limit of {limit} per tensor. Upload a "
                              "smaller slice of it.", label=label, count=f"{count:,}",
                              shape=str(shape), limit=f"{MAX_ELEMENTS:,}")
    return count


def _to_float(arr: np.ndarray, label: LoadText) -> np.ndarray:
    """A fresh, writeable, C-ordered float copy: float32/float64 kept, the rest float32."""
    dtype = arr.dtype
    if dtype.kind == "f" and dtype.itemsize in (4, 8):
        target = np.dtype(f"f{dtype.itemsize}")
    elif dtype.kind in "iu" or (dtype.kind == "f" and dtype.itemsize == 2) or (
            dtype in _ML_FLOATS):
        target = np.dtype(np.float32)
    else:
        raise TensorLoadError("not_real_numbers", "{label} has the data type {dtype}, which "
                              "is not a tensor of real numbers. Use a float or integer type.",
                              label=label, dtype=_show(str(dtype)))
    return np.array(arr, dtype=target, order="C", copy=True)


# (code, template) for each reason a .npy dtype is refused, keyed by dtype.kind, or by
# "object", "structured" or "extended_float" where the kind alone does not tell.
_NPY_DTYPE_ERRORS = MappingProxyType({
    "object": ("npy_object", "{label} holds Python objects (dtype object). Reading them needs "
               "pickle, which can run arbitrary code on the server, so the lab never does. "
               "Save a numeric array instead, e.g. numpy.save('x.npy', x.astype('float32'))."),
    "structured": ("npy_structured", "{label} is a structured or raw-bytes array, not a plain "
                   "tensor of numbers. Save each field as its own array; for bfloat16 data, "
                   "convert to float32 first or use safetensors."),
    "b": ("npy_bool", "{label} holds True/False values, not numbers to quantize. Convert it "
          "first with x.astype('float32')."),
    "c": ("npy_complex", "{label} holds complex numbers; the lab quantizes real numbers only. "
          "Save x.real or abs(x) instead."),
    "S": ("npy_bytes", "{label} holds text (bytes strings), not numbers."),
    "U": ("npy_text", "{label} holds text (strings), not numbers."),
    "M": ("npy_dates", "{label} holds dates, not numbers."),
    "m": ("npy_time_spans", "{label} holds time spans, not numbers."),
    "extended_float": ("npy_extended_float", "{label} holds extended-precision floats "
                       "({dtype}), which are not portable. Convert it to float64 first."),
    "unknown": ("npy_unknown_dtype", "{label} has the data type {dtype}, which the lab cannot "
                "read."),
})


def _npy_dtype_error(dtype: np.dtype, label: LoadText) -> TensorLoadError | None:
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
        key = dtype.kind if dtype.kind in _NPY_DTYPE_ERRORS else "unknown"
    code, template = _NPY_DTYPE_ERRORS[key]
    return TensorLoadError(code, template, label=label, dtype=str(dtype))


def _npy_header(raw: bytes, label: LoadText) -> tuple[tuple, bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, data_offset)`` from a .npy header, payload untouched."""
    if not raw.startswith(_NPY_MAGIC):
        raise TensorLoadError("npy_no_signature", "{label} is not a NumPy .npy file: it does "
                              "not start with the .npy signature. " + _RESAVE, label=label)
    stream = io.BytesIO(raw)
    damaged = TensorLoadError("npy_damaged_header", "{label} has a damaged header, so it "
                              "cannot be read. " + _RESAVE, label=label)
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError:
        raise damaged from None
    if version not in _NPY_VERSIONS:
        raise TensorLoadError("npy_unknown_version", "{label} uses .npy format version "
                              "{version}, which this lab does not know. " + _RESAVE,
                              label=label, version=f"{version[0]}.{version[1]}")
    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
            else np.lib.format.read_array_header_2_0)  # 3.0 differs only in name encoding
    try:
        shape, fortran_order, dtype = read(stream)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError,
            tokenize.TokenError):
        raise damaged from None
    return shape, fortran_order, dtype, stream.tell()


def _read_npy(raw: bytes, label: LoadText) -> np.ndarray:
    """One .npy file's array as a float copy; ``label`` names it in messages."""
    shape, fortran_order, dtype, offset = _npy_header(raw, label)
    error = _npy_dtype_error(dtype, label)
    if error:
        raise error
    count = _check_tensor_shape(shape, label)
    have, want = len(raw) - offset, count * dtype.itemsize
    if have < want:
        raise TensorLoadError("npy_truncated", "{label} is truncated: its header promises "
                              "{count} values ({want} bytes) but only {have} bytes of data "
                              "follow. Upload the complete file.", label=label,
                              count=f"{count:,}", want=f"{want:,}", have=f"{have:,}")
    if have > want:
        raise TensorLoadError("npy_extra_bytes", "{label} has {extra} unexpected bytes after "
                              "its data, so it may be damaged. " + _RESAVE,
                              label=label, extra=f"{have - want:,}")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return _to_float(flat.reshape(shape, order="F" if fortran_order else "C"), label)


def _npz_members(infos: list[zipfile.ZipInfo]) -> list[tuple[str, zipfile.ZipInfo]]:
    """``(array name, member)`` pairs, after checking names and declared sizes."""
    if not infos:
        raise TensorLoadError("npz_empty", "This .npz file contains no arrays. Save at least "
                              "one array with numpy.savez(...).")
    if len(infos) > MAX_TENSORS_PER_FILE:
        raise TensorLoadError("npz_too_many_entries", "This .npz file holds {count} entries, "
                              "more than the lab's limit of {limit}. Upload fewer arrays.",
                              count=f"{len(infos):,}", limit=f"{MAX_TENSORS_PER_FILE:,}")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_NPZ_UNCOMPRESSED:
        raise TensorLoadError("npz_too_large", "This .npz file would unpack to {size}, more "
                              "than the lab's limit of {limit}, so it was not opened. Upload "
                              "fewer or smaller arrays.",
                              size=_mb(declared), limit=_mb(MAX_NPZ_UNCOMPRESSED))
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not info.filename.lower().endswith(".npy") or info.is_dir():
            raise TensorLoadError("npz_not_npy", "This .npz file holds '{name}', which is not "
                                  "a .npy array. An .npz must contain only .npy files, as "
                                  "numpy.savez(...) writes them.", name=_show(info.filename))
        name = info.filename[: -len(".npy")]
        if name in members:
            raise TensorLoadError("npz_duplicate_name", "This .npz file holds two arrays "
                                  "named '{name}'. Save it again with numpy.savez(...).",
                                  name=_show(name))
        members[name] = info
    return list(members.items())


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than ``limit``: declared sizes in a zip can lie."""
    name = _show(info.filename)
    try:
        with archive.open(info) as member:
            raw = member.read(limit + 1)
    except _ZIP_ERRORS:
        raise TensorLoadError("npz_damaged_entry", "The entry '{name}' in this .npz file is "
                              "damaged or encrypted and cannot be unpacked. Save the arrays "
                              "again with numpy.savez(...).", name=name) from None
    if len(raw) > limit:
        raise TensorLoadError("npz_entry_too_large", "The entry '{name}' in this .npz file "
                              "unpacks to more data than its header says, past the lab's "
                              "limit of {limit}, so the file was refused.",
                              name=name, limit=_mb(MAX_NPZ_UNCOMPRESSED))
    return raw


def _read_npz(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """Every array in an .npz (a zip of .npy files), keyed by member name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise TensorLoadError("npz_not_zip", "This .npz file is not a valid zip archive (an "
                              ".npz is a zip of .npy files), so it cannot be read. Save it "
                              "again with numpy.savez(...) or numpy.savez_compressed(...)."
                              ) from None
    with archive:
        members = _npz_members(archive.infolist())
        budget = MAX_NPZ_UNCOMPRESSED
        arrays = {}
        for name, info in members:
            raw = _read_member(archive, info, budget)
            budget -= len(raw)
            label = LoadText("label_npz_array", "The array '{name}' in this .npz file",
                             {"name": _show(name)})
            arrays[name] = _read_npy(raw, label)
    return arrays


def _read_single_npy(data: bytes, stem: str) -> dict[str, np.ndarray]:
    return {stem: _read_npy(data, LoadText("label_npy", "This .npy file", {}))}


# --- text ----------------------------------------------------------------------------

# A blank or '#' comment line, with its newline, so numpy never sees it.
_SKIPPED_LINE = re.compile(r"^[ \t\f\v]*(?:#[^\n]*)?(?:\n|\Z)", re.MULTILINE)
_INNER_SPACE = re.compile(r"\S\s+\S")


def _decode_text(data: bytes) -> str:
    """UTF-8 text (BOM dropped) with ``\\n`` line ends, or a message naming the bad line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise TensorLoadError("text_not_utf8", "Line {line} of this file is not valid UTF-8 "
                              "text. Save the file as UTF-8 plain text (\"CSV UTF-8\" in "
                              "spreadsheet programs), or upload a .npy file.",
                              line=str(line)) from None
    if "\x00" in text:
        raise TensorLoadError("text_nul_bytes", "This file contains NUL bytes, so it is not "
                              "plain text (it may be binary or UTF-16). Save the numbers as a "
                              "UTF-8 CSV file, or upload a .npy file.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _delimiter(line: str) -> str | None:
    r"""The field separator of a table row; None means runs of whitespace.

    >>> _delimiter("1,5\t2,5"), _delimiter("1;2"), _delimiter("1 2\t3"), _delimiter("1, 2")
    ('\t', ';', None, ',')
    """
    # A tab is the separator only when no field holds spaces; else it is just whitespace.
    if "\t" in line and not any(_INNER_SPACE.search(f) for f in line.split("\t")):
        return "\t"
    return next((d for d in (";", ",") if d in line), None)


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    return [field.strip() for field in line.split(delimiter)]


def _is_number(token: str) -> bool:
    """Whether numpy's text parser reads ``token`` as a float (it refuses ``1_000``)."""
    try:
        float(token)
    except ValueError:
        return False
    return "_" not in token


# A token below the header that numpy cannot read; text_decimal_comma adds a hint.
_NOT_A_NUMBER = ("Line {line}: column {column} holds '{token}', which is not a number. Below "
                 "the header only numbers (and nan, inf, -inf) are allowed.")


def _row_problem(fields: list[str], expected: int, delimiter: str | None,
                 line: str) -> TensorLoadError | None:
    """What is wrong with data row number ``line``, or None."""
    if len(fields) != expected:
        return TensorLoadError("text_row_length", "Line {line}: has {count} values but the "
                               "first row of numbers has {expected}. Every row needs the same "
                               "number of values.", line=line, count=str(len(fields)),
                               expected=str(expected))
    for column, token in enumerate(fields, start=1):
        if not token:
            return TensorLoadError("text_empty_field", "Line {line}: column {column} is "
                                   "empty. Every row needs a number in every column.",
                                   line=line, column=str(column))
        if not _is_number(token) and "," in token and delimiter:
            return TensorLoadError("text_decimal_comma", _NOT_A_NUMBER + " Use a dot as the "
                                   "decimal mark.", line=line, column=str(column),
                                   token=_show(token))
        if not _is_number(token):
            return TensorLoadError("text_not_a_number", _NOT_A_NUMBER,
                                   line=line, column=str(column), token=_show(token))
    return None


def _text_error(text: str, delimiter: str | None, header: bool,
                expected: int) -> TensorLoadError:
    """The first bad row of a text table, found slowly: only used once numpy failed."""
    seen_header = not header
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not seen_header:
            seen_header = True
            continue
        problem = _row_problem(_split(line, delimiter), expected, delimiter, str(number))
        if problem:
            return problem
    return TensorLoadError("text_unreadable", "The numbers in this file could not be read. "
                           "Check that every row holds only numbers separated by commas, "
                           "semicolons, tabs or spaces.")


def _read_text(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """A CSV or whitespace table as one float64 array: (rows, cols), or 1-D (n,)."""
    text = _decode_text(data)
    numbers = _SKIPPED_LINE.sub("", text)
    lines = numbers.split("\n", 2)
    first = lines[0]
    if not first:
        raise TensorLoadError("text_no_numbers", "This file contains no numbers (only blank "
                              "or '#' comment lines). Put one row of numbers on each line.")
    delimiter = _delimiter(first)
    # Empty fields do not make a header: "1,,2" is a broken data row, reported as such.
    header = any(token and not _is_number(token) for token in _split(first, delimiter))
    row = lines[1] if header and len(lines) > 1 else ("" if header else first)
    if not row:
        raise TensorLoadError("text_header_only", "This file has a header line but no rows of "
                              "numbers below it.")
    columns = len(_split(row, delimiter))
    max_rows = MAX_ELEMENTS // columns + 1
    try:
        table = np.loadtxt(io.StringIO(numbers), dtype=np.float64,
                           delimiter=delimiter, comments=None, skiprows=int(header),
                           max_rows=max_rows, ndmin=2)
    except ValueError:
        raise _text_error(text, delimiter, header, columns) from None
    if table.size > MAX_ELEMENTS:
        raise TensorLoadError("text_too_many_values", "This file has more than {limit} "
                              "numbers, the lab's limit per tensor. Upload a smaller slice of "
                              "it.", limit=f"{MAX_ELEMENTS:,}")
    if 1 in table.shape:
        table = table.reshape(-1)
    return {stem: table}


# --- safetensors ---------------------------------------------------------------------


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
            raise TensorLoadError("safetensors_duplicate_name", "The safetensors header lists "
                                  "'{name}' twice; a valid file names each entry once.",
                                  name=_show(key))
        result[key] = value
    return result


def _safetensors_header(data: bytes) -> tuple[dict, int]:
    """The parsed JSON header and the offset where the data buffer starts."""
    if len(data) < _LENGTH_FIELD.size + _MIN_SAFETENSORS_HEADER:
        raise TensorLoadError("safetensors_too_short", "This file is only {size} bytes long, "
                              "too short to be a safetensors file. Save it with "
                              "safetensors.torch.save_file(...).", size=str(len(data)))
    (length,) = _LENGTH_FIELD.unpack_from(data)
    available = len(data) - _LENGTH_FIELD.size
    if length < _MIN_SAFETENSORS_HEADER or length > MAX_SAFETENSORS_HEADER_BYTES:
        raise TensorLoadError("safetensors_header_size", "This safetensors file declares a "
                              "header of {length} bytes, which is impossible (it must be "
                              "{low} to {high} bytes). The file is damaged or not a "
                              "safetensors file.", length=f"{length:,}",
                              low=str(_MIN_SAFETENSORS_HEADER),
                              high=f"{MAX_SAFETENSORS_HEADER_BYTES:,}")
    if length > available:
        raise TensorLoadError("safetensors_header_truncated", "This safetensors header is "
                              "inconsistent with the file size: it says the header is "
                              "{length} bytes long, but only {available} bytes follow. The "
                              "file is truncated or damaged.",
                              length=f"{length:,}", available=f"{available:,}")
    try:
        header = json.loads(data[_LENGTH_FIELD.size:_LENGTH_FIELD.size + length]
                            .decode("utf-8"), object_pairs_hook=_unique_keys)
    except TensorLoadError:
        raise
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise TensorLoadError("safetensors_header_not_json", "The header of this safetensors "
                              "file is not a valid JSON object, so the file cannot be read. "
                              "Save it again with safetensors.torch.save_file(...).")
    return header, _LENGTH_FIELD.size + length


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tensor_label(name: str) -> LoadText:
    return LoadText("label_tensor", "The tensor '{name}'", {"name": _show(name)})


def _safetensors_entry(name: str, entry, buffer_len: int) -> _TensorEntry:
    """One header entry, fully checked against the data buffer's length."""
    label = _tensor_label(name)
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise TensorLoadError("safetensors_entry_keys", "{label} in the safetensors header "
                              "must have exactly the keys dtype, shape and data_offsets. "
                              + _RESAVE, label=label)
    dtype = _SAFETENSORS_DTYPES.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    if dtype is None:
        raise TensorLoadError("safetensors_dtype", "{label} has the data type '{dtype}', which "
                              "the lab does not read. Supported: {supported}.", label=label,
                              dtype=_show(str(entry["dtype"])),
                              supported=", ".join(_SAFETENSORS_DTYPES))
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(_is_int(d) for d in shape):
        raise TensorLoadError("safetensors_shape", "{label} has an invalid shape in the "
                              "safetensors header; it must be a list of whole numbers. "
                              + _RESAVE, label=label)
    count = _check_tensor_shape(tuple(shape), label)
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_int, offsets))
            or not 0 <= offsets[0] <= offsets[1]):
        raise TensorLoadError("safetensors_offsets", "{label} has invalid data_offsets in the "
                              "safetensors header; they must be [begin, end] with 0 <= begin "
                              "<= end. " + _RESAVE, label=label)
    begin, end = offsets
    if end > buffer_len:
        raise TensorLoadError("safetensors_offsets_past_end", "{label} says its data runs to "
                              "byte {end}, but the data section is only {size} bytes long: "
                              "the header is inconsistent with the file size. The file is "
                              "truncated or damaged.",
                              label=label, end=f"{end:,}", size=f"{buffer_len:,}")
    if end - begin != count * dtype.itemsize:
        raise TensorLoadError("safetensors_size_mismatch", "{label} has shape {shape} of "
                              "{dtype} ({expected} bytes), but its data_offsets cover {actual} "
                              "bytes. The header is inconsistent. " + _RESAVE,
                              label=label, shape=str(shape), dtype=entry["dtype"],
                              expected=f"{count * dtype.itemsize:,}",
                              actual=f"{end - begin:,}")
    return _TensorEntry(name, dtype, tuple(shape), begin, end)


def _safetensors_entries(header: dict, buffer_len: int) -> list[_TensorEntry]:
    """Every tensor entry of the header, checked, in header order."""
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TensorLoadError("safetensors_metadata", "The __metadata__ of this safetensors "
                              "file must map text to text. " + _RESAVE)
    items = [(name, entry) for name, entry in header.items() if name != "__metadata__"]
    if not items:
        raise TensorLoadError("safetensors_empty", "This safetensors file contains no "
                              "tensors.")
    if len(items) > MAX_TENSORS_PER_FILE:
        raise TensorLoadError("safetensors_too_many", "This safetensors file holds {count} "
                              "tensors, more than the lab's limit of {limit}.",
                              count=f"{len(items):,}", limit=f"{MAX_TENSORS_PER_FILE:,}")
    entries = [_safetensors_entry(name, entry, buffer_len) for name, entry in items]
    by_start = sorted(entries, key=lambda e: e.begin)
    for before, after in zip(by_start, by_start[1:], strict=False):
        if after.begin < before.end:
            raise TensorLoadError("safetensors_overlap", "The tensors '{first}' and "
                                  "'{second}' overlap in this safetensors file (their "
                                  "data_offsets share bytes), which a valid file never does. "
                                  + _RESAVE, first=_show(before.name), second=_show(after.name))
    return entries


def _read_safetensors(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file, keyed by name; nothing is read unchecked."""
    header, start = _safetensors_header(data)
    arrays = {}
    for entry in _safetensors_entries(header, len(data) - start):
        count = (entry.end - entry.begin) // entry.dtype.itemsize
        # File data is little-endian; ml_dtypes types exist only in native order.
        stored = entry.dtype if entry.dtype in _ML_FLOATS else entry.dtype.newbyteorder("<")
        flat = np.frombuffer(data, dtype=stored, count=count, offset=start + entry.begin)
        arrays[entry.name] = _to_float(flat.reshape(entry.shape), _tensor_label(entry.name))
    return arrays


# --- the public reader ---------------------------------------------------------------

_READERS = MappingProxyType({
    ".npy": _read_single_npy, ".npz": _read_npz, ".csv": _read_text, ".txt": _read_text,
    ".safetensors": _read_safetensors,
})


def _name_parts(filename: str) -> tuple[str, str, str]:
    """``(base name, stem, lower-case extension)``, dropping any folders of the path."""
    base = re.split(r"[\\/]", filename)[-1]
    dot = base.rfind(".")
    if dot < 0:
        return base, base, ""
    return base, base[:dot], base[dot:].lower()


def _check_extension(base: str, extension: str) -> None:
    accepted = ", ".join(ACCEPTED_EXTENSIONS)
    if extension in PICKLE_EXTENSIONS:
        raise TensorLoadError(
            "pickle_file", "'{name}' is a {extension} file. Files like this are Python "
            "pickles, and opening a pickle can run arbitrary code on the server, so the lab "
            "never opens them. Save your tensors with safetensors.torch.save_file(...) or "
            "numpy.save(...) and upload that file instead ({accepted}).",
            name=_show(base, 60), extension=extension, accepted=accepted)
    if not extension:
        raise TensorLoadError("no_extension", "The file name '{name}' has no extension, so "
                              "the lab cannot tell its format. Accepted: {accepted}.",
                              name=_show(base, 60), accepted=accepted)
    if extension not in ACCEPTED_EXTENSIONS:
        raise TensorLoadError("unsupported_extension", "Files ending in '{extension}' are not "
                              "supported. Accepted: {accepted}.",
                              extension=_show(extension), accepted=accepted)


def load_tensors(data: bytes, filename: str) -> dict[str, np.ndarray]:
    """Float arrays read safely from an uploaded file, chosen by its extension.

    >>> buf = io.BytesIO()
    >>> np.save(buf, np.arange(3, dtype=np.int8))
    >>> load_tensors(buf.getvalue(), "codes.npy")
    {'codes': array([0., 1., 2.], dtype=float32)}
    >>> load_tensors(b"w,b\\n1,2\\n3,4\\n", "layer.csv")
    {'layer': array([[1., 2.], [3., 4.]])}

    data: the file's bytes, at most MAX_UPLOAD_BYTES; filename: its name (folders are
    ignored). Extensions: ACCEPTED_EXTENSIONS. Names are the file stem (.npy, .csv,
    .txt), the member names (.npz) or the tensor names (.safetensors).
    Returns fresh C-ordered arrays: float32 and float64 kept, every other numeric type
    (float16, bfloat16, float8, ints) as float32; text tables as float64, shape
    (rows, cols), or (n,) for one row or one column. NaN and Inf are kept.
    Raises TensorLoadError (a ValueError) with a message meant for students, and a code
    and params to translate it.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, bytearray or memoryview, got {type(data).__name__}")
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a str, got {type(filename).__name__}")
    base, stem, extension = _name_parts(filename)
    _check_extension(base, extension)
    raw = data.tobytes() if isinstance(data, memoryview) else bytes(data)
    if not raw:
        raise TensorLoadError("empty_file", "The file is empty (0 bytes). Upload a file that "
                              "contains your tensor.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TensorLoadError("file_too_large", "The file is {size}, more than the lab's "
                              "limit of {limit}. Upload a smaller slice of the tensor.",
                              size=_mb(len(raw)), limit=_mb(MAX_UPLOAD_BYTES))
    return _READERS[extension](raw, stem or _DEFAULT_NAME)


# --- summarize -----------------------------------------------------------------------


def summarize(x) -> dict:
    """Shape, dtype, size, NaN/Inf counts and min/max/mean/std of the finite values.

    >>> s = summarize(np.array([1.0, 3.0, np.nan, np.inf], dtype=np.float32))
    >>> s["min"], s["max"], s["mean"], s["std"], s["nan_count"], s["posinf_count"]
    (1.0, 3.0, 2.0, 1.0, 1, 1)

    x: any real array (float, bfloat16/float8, int or uint). Statistics are Python floats
    over the finite values (population std, float64 accumulation), None when none are
    finite; counts are ints; shape is a tuple and dtype a str.
    """
    original = np.asarray(x)
    if original.dtype in _ML_FLOATS:
        arr = original.astype(np.float32)
    elif original.dtype.kind in "fiu":
        arr = original
    else:
        raise TypeError(f"x must hold real numbers (float or int), got dtype {original.dtype}")
    flat = arr.reshape(-1)
    counts = {"nan_count": 0, "posinf_count": 0, "neginf_count": 0}
    if arr.dtype.kind == "f":
        finite = np.isfinite(flat)
        if not finite.all():
            counts = {"nan_count": int(np.count_nonzero(np.isnan(flat))),
                      "posinf_count": int(np.count_nonzero(flat == np.inf)),
                      "neginf_count": int(np.count_nonzero(flat == -np.inf))}
            flat = flat[finite]
    stats = dict.fromkeys(("min", "max", "mean", "std"))
    if flat.size:
        mean = np.mean(flat, dtype=np.float64)
        stats = {"min": float(flat.min()), "max": float(flat.max()), "mean": float(mean),
                 "std": float(np.std(flat, dtype=np.float64, mean=mean))}
    return {"shape": original.shape, "dtype": str(original.dtype), "size": int(original.size),
            **stats, **counts}


NONFINITE_POLICIES = ("replace", "drop")


def clean_nonfinite(x, policy: str = "replace") -> np.ndarray:
    """A copy of ``x`` without NaN/Inf, so that it can be calibrated and quantized.

    ``replace`` keeps the shape: NaN becomes 0 and +-Inf the largest/smallest finite value
    (so the range is not widened). ``drop`` keeps only the finite values, as a 1-D array.

    >>> x = np.array([1.0, np.nan, -np.inf, 3.0], dtype=np.float32)
    >>> clean_nonfinite(x), clean_nonfinite(x, "drop")
    (array([1., 0., 1., 3.], dtype=float32), array([1., 3.], dtype=float32))
    """
    if policy not in NONFINITE_POLICIES:
        raise ValueError(f"policy must be one of {NONFINITE_POLICIES}, got {policy!r}")
    arr = np.asarray(x)
    finite = np.isfinite(arr)
    if policy == "drop":
        kept = arr[finite]
        if kept.size == 0:
            raise ValueError("every value is NaN or Inf: nothing finite is left to quantize")
        return kept
    values = arr[finite]
    low, high = (values.min(), values.max()) if values.size else (0.0, 0.0)
    return np.nan_to_num(arr, nan=0.0, posinf=high, neginf=low)
