"""The .npz reader: a zip of .npy files, unpacked a chunk at a time within a budget.

The sizes a zip declares are only claims. The declared total is checked before anything
is unpacked, and each member is then inflated in bounded chunks and refused the moment it
yields more than its header declared, so a small file that inflates to gigabytes costs a
chunk of memory, not the gigabytes.
"""

from __future__ import annotations

import copy
import io
import lzma
import struct
import zipfile
import zlib

import numpy as np

from .._validate import MAX_ELEMENTS
from ._arrays import MAX_TENSORS_PER_FILE
from .errors import load_error, load_text, megabytes, show
from .npy import read_npy

# Two of the largest arrays the lab accepts (float64 at MAX_ELEMENTS): more than any
# honest 50 MB .npz needs, small enough that a zip bomb cannot exhaust the server.
MAX_NPZ_UNCOMPRESSED = 2 * MAX_ELEMENTS * 8
# How much of a member is inflated at once: peak memory stays at a few of these, whatever
# the member's header claims or its data holds.
READ_CHUNK = 2**20
# numpy.savez stores its members and numpy.savez_compressed deflates them. Other methods
# are refused: zipfile inflates bzip2 and LZMA input without bounding the output, and
# 4 KiB of bzip2 can hold gigabytes of zeros.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Everything zipfile and its decompressors raise on damaged or hostile archives.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               RuntimeError, NotImplementedError, zlib.error, lzma.LZMAError, struct.error)


def _members(infos: list[zipfile.ZipInfo]) -> list[tuple[str, zipfile.ZipInfo]]:
    """``(array name, member)`` pairs, after checking names, methods and declared sizes."""
    if not infos:
        raise load_error("npz_empty")
    if len(infos) > MAX_TENSORS_PER_FILE:
        raise load_error("npz_too_many_entries", count=f"{len(infos):,}",
                         limit=f"{MAX_TENSORS_PER_FILE:,}")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_NPZ_UNCOMPRESSED:
        raise load_error("npz_too_large", size=megabytes(declared),
                         limit=megabytes(MAX_NPZ_UNCOMPRESSED))
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not info.filename.lower().endswith(".npy") or info.is_dir():
            raise load_error("npz_not_npy", name=show(info.filename))
        if info.compress_type not in _METHODS:
            raise load_error("npz_compression", name=show(info.filename))
        name = info.filename[: -len(".npy")]
        if name in members:
            raise load_error("npz_duplicate_name", name=show(name))
        members[name] = info
    return list(members.items())


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytearray:
    """A member's bytes, refused as soon as they outgrow its declared size or ``limit``.

    >>> buf = io.BytesIO()
    >>> np.savez_compressed(buf, w=np.zeros(3))
    >>> archive = zipfile.ZipFile(buf)
    >>> len(read_member(archive, archive.getinfo("w.npy"), limit=10**6))
    152
    """
    accepted = min(info.file_size, limit)
    # zipfile stops quietly at the declared size, hiding any data beyond it. Declare a
    # chunk more than we accept, so that a member that keeps inflating shows it, and
    # zipfile's CRC check still runs where an honest stream ends.
    widened = copy.copy(info)
    widened.file_size = accepted + READ_CHUNK + 1
    data = bytearray()
    try:
        with archive.open(widened) as member:
            while len(data) <= accepted and (chunk := member.read(READ_CHUNK)):
                data += chunk
    except _ZIP_ERRORS:
        raise load_error("npz_damaged_entry", name=show(info.filename)) from None
    if len(data) > info.file_size:
        raise load_error("npz_entry_size_mismatch", name=show(info.filename),
                         declared=f"{info.file_size:,}")
    if len(data) > limit:
        raise load_error("npz_entry_too_large", name=show(info.filename),
                         limit=megabytes(MAX_NPZ_UNCOMPRESSED))
    return data


def read_npz(data: bytes, stem: str) -> dict[str, np.ndarray]:
    """Every array in an .npz (a zip of .npy files), keyed by member name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        raise load_error("npz_not_zip") from None
    with archive:
        members = _members(archive.infolist())
        budget = MAX_NPZ_UNCOMPRESSED
        arrays = {}
        for name, info in members:
            raw = read_member(archive, info, budget)
            budget -= len(raw)
            arrays[name] = read_npy(raw, load_text("label_npz_array", name=show(name)))
    return arrays
