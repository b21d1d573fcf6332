"""``load_tensors``: an upload's bytes to named float arrays, the reader chosen by extension.

Uploads come from strangers on the internet, so every reader validates the whole file
layout before it touches the payload and never unpickles anything.
"""

from __future__ import annotations

import re
from types import MappingProxyType

import numpy as np

from .errors import load_error, megabytes, show
from .npy import read_single_npy
from .npz import read_npz
from .safetensors import read_safetensors
from .text import read_text

# Streamlit's uploader refuses files over server.maxUploadSize MB (.streamlit/config.toml,
# 50) and counts a MB as 10**6 bytes. Our cap is the same number of bytes, so that a file
# the widget lets through is never refused here for its size, and the other way round.
MAX_UPLOAD_BYTES = 50 * 10**6
ACCEPTED_EXTENSIONS = (".npy", ".npz", ".csv", ".txt", ".safetensors")
PICKLE_EXTENSIONS = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".joblib")
# File names are quoted whole when they can be, the way a student typed them.
_NAME_CHARS = 60
_DEFAULT_NAME = "tensor"

_READERS = MappingProxyType({
    ".npy": read_single_npy, ".npz": read_npz, ".csv": read_text, ".txt": read_text,
    ".safetensors": read_safetensors,
})


def _name_parts(filename: str) -> tuple[str, str, str]:
    """``(base name, stem, lower-case extension)``, dropping any folders of the path.

    >>> _name_parts("C:\\\\Users\\\\me\\\\layer.0.NPY")
    ('layer.0.NPY', 'layer.0', '.npy')
    """
    base = re.split(r"[\\/]", filename)[-1]
    dot = base.rfind(".")
    if dot < 0:
        return base, base, ""
    return base, base[:dot], base[dot:].lower()


def _check_extension(base: str, extension: str) -> None:
    accepted = ", ".join(ACCEPTED_EXTENSIONS)
    if extension in PICKLE_EXTENSIONS:
        raise load_error("pickle_file", name=show(base, _NAME_CHARS), extension=extension,
                         accepted=accepted)
    if not extension:
        raise load_error("no_extension", name=show(base, _NAME_CHARS), accepted=accepted)
    if extension not in ACCEPTED_EXTENSIONS:
        raise load_error("unsupported_extension", extension=show(extension),
                         accepted=accepted)


def load_tensors(data: bytes, filename: str) -> dict[str, np.ndarray]:
    """Float arrays read safely from an uploaded file, chosen by its extension.

    >>> import io
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
    (rows, cols), or (n,) for one row or one column. NaN and Inf are kept; finite values
    beyond float32's range are refused, since the lab computes in float32.
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
        raise load_error("empty_file")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise load_error("file_too_large", size=megabytes(len(raw)),
                         limit=megabytes(MAX_UPLOAD_BYTES))
    return _READERS[extension](raw, stem or _DEFAULT_NAME)
