"""Helpers that several test modules share, kept here so that no test module imports another.

Files built by hand, the load messages of quantlib.tensors from its MESSAGES table, and a
step of an AppTest.
"""

from __future__ import annotations

import io
import json
import string
import struct
import zipfile

import numpy as np

from quantlib import tensors
from quantlib.tensors import LoadText
from ui.i18n import catalogue


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- files built by hand ------------------------------------------------------------


def npy_bytes(arr: np.ndarray, **kwargs) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, **kwargs)
    return buf.getvalue()


def npz_bytes(compressed: bool = False, **arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def safetensors_file(header: dict | bytes, buffer: bytes = b"", *, length: int | None = None,
                     ) -> bytes:
    """A safetensors file from a header (dict or raw bytes), optionally lying about N."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + buffer


def safetensors_bytes(tensors_: dict[str, tuple[str, np.ndarray]],
                      metadata: dict | None = None) -> bytes:
    """A valid safetensors file: name -> (dtype tag, array already in that dtype)."""
    header: dict = {} if metadata is None else {"__metadata__": metadata}
    buffer = b""
    for name, (tag, arr) in tensors_.items():
        raw = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": tag, "shape": list(arr.shape),
                        "data_offsets": [len(buffer), len(buffer) + len(raw)]}
        buffer += raw
    return safetensors_file(header, buffer)


ONE_F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def raw_zip(name: str, deflated: bytes, declared_size: int, crc: int = 0) -> bytes:
    """A one-member zip whose header declares ``declared_size``, whatever the data holds."""
    encoded = name.encode()
    dos_date = 33  # 1980-01-01
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, 0, dos_date,
                        crc, len(deflated), declared_size, len(encoded), 0) + encoded
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, zipfile.ZIP_DEFLATED, 0,
                          dos_date, crc, len(deflated), declared_size, len(encoded), 0, 0, 0,
                          0, 0, 0) + encoded
    start = len(local) + len(deflated)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), start, 0)
    return local + deflated + central + end


# --- the messages of quantlib.tensors, from its table --------------------------------


def source_texts() -> dict[str, str]:
    """Every code of quantlib.tensors' load messages and labels, with its English template."""
    return dict(tensors.MESSAGES)


def render(lang: str, code: str, params: dict) -> str:
    """What the UI shows for a code: its catalogue text with params, labels translated too."""
    values = {name: render(lang, v.code, v.params) if isinstance(v, LoadText) else v
              for name, v in params.items()}
    return catalogue(lang)[f"load.{code}"].format(**values)


# --- AppTest -------------------------------------------------------------------------


def upload(at, name: str, data: bytes, lang: str = "en"):
    """Switch the workspace to uploads and upload ``data`` as the file ``name``."""
    at.segmented_control(key=f"ws_source@{lang}").set_value("upload").run()
    at.file_uploader(key="ws_upload").set_value((name, data, "application/octet-stream")).run()
    return at
