"""Upload limits of quantlib.tensors: a lying .npz member, values beyond float32, the size cap.

Each test here failed before its fix: the lying member was read (about 1 s and 0.5 GB of
peak memory), float64 values beyond float32's range were accepted, and the upload cap
counted MB as 2**20 bytes while Streamlit's uploader counts 10**6.
"""

from __future__ import annotations

import time
import tomllib
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from quantlib.tensors import MAX_UPLOAD_BYTES, TensorLoadError, load_tensors
from tests.helpers import npy_bytes, npz_bytes, raw_zip, safetensors_bytes

ROOT = Path(__file__).resolve().parents[2]
FLOAT32_MAX = float(np.finfo(np.float32).max)
ZERO_BLOCK = 2**22  # 4 MiB: the piece of zeros that is compressed once and repeated
GIB = 2**30


# --- a .npz member that inflates past the size its header declares ------------------


def deflate(payload: bytes, zero_bytes: int) -> bytes:
    """A raw deflate stream of ``payload`` then ``zero_bytes`` zeros, built cheaply.

    After a full flush the compressor's output is byte aligned and refers to nothing
    before it, so one compressed block of zeros can simply be repeated: 1 GiB costs the
    test 4 MiB of compression.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(payload) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(zero_bytes, ZERO_BLOCK)
    piece = compressor.compress(bytes(ZERO_BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + piece * blocks + compressor.compress(bytes(rest)) + compressor.flush()


def lying_npz(zero_bytes: int, crc_over_everything: bool = False) -> tuple[bytes, int]:
    """An .npz whose member declares the size of a valid .npy but inflates ``zero_bytes`` more.

    The CRC covers the declared bytes (so a reader that stops there finds nothing
    wrong), or everything the member inflates to.
    """
    payload = npy_bytes(np.zeros(125))  # a 128-byte header and 1,000 bytes of data
    crc = zlib.crc32(payload)
    if crc_over_everything:
        crc = zlib.crc32(bytes(zero_bytes), crc)
    return raw_zip("w.npy", deflate(payload, zero_bytes), len(payload), crc), len(payload)


def _inflated_size(deflated: bytes) -> int:
    inflater = zlib.decompressobj(-15)
    size, rest = 0, deflated
    while rest and not inflater.eof:
        size += len(inflater.decompress(rest, 2**20))
        rest = inflater.unconsumed_tail
    return size


def test_the_builder_repeats_a_valid_block_of_zeros():
    # Checked on 9 MiB rather than a whole GiB, which would take seconds to inflate.
    payload = b"head"
    assert _inflated_size(deflate(payload, 2 * ZERO_BLOCK + 5)) == len(payload) + 2 * ZERO_BLOCK + 5


def test_the_lying_member_is_what_the_bug_report_describes():
    data, declared = lying_npz(GIB)
    assert declared == 1128
    assert 1.0e6 < len(data) < 1.1e6
    # The raw deflate data follows the 30-byte local header and the member's name: a
    # valid .npy of the declared size, then more.
    start = zlib.decompressobj(-15).decompress(data[30 + len("w.npy"):], declared + 1)
    assert start == npy_bytes(np.zeros(125)) + b"\0"


def test_a_small_npz_inflating_to_a_gibibyte_is_refused_fast_and_light():
    data, declared = lying_npz(GIB)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        with pytest.raises(TensorLoadError) as info:
            load_tensors(data, "liar.npz")
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = info.value
    assert err.code == "npz_entry_size_mismatch"
    assert err.params["declared"] == f"{declared:,}"
    assert "'w.npy'" in str(err) and "header" in str(err)
    assert seconds < 0.5
    assert peak < 20 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"


def test_a_member_a_few_bytes_longer_than_declared_is_refused():
    # The CRC matches all the data, so only the size tells the lie.
    data, _ = lying_npz(10, crc_over_everything=True)
    with pytest.raises(TensorLoadError, match="more data than the 1,128 bytes its header"):
        load_tensors(data, "liar.npz")


def test_an_honest_compressed_npz_still_loads():
    arrays = {"w": np.arange(300_000, dtype=np.float32), "b": np.zeros(3)}
    out = load_tensors(npz_bytes(True, **arrays), "ok.npz")
    for name, arr in arrays.items():
        np.testing.assert_array_equal(out[name], arr)


# --- values beyond float32's range -------------------------------------------------

BEYOND = {
    "huge": ([1e300, -1e300, 5e299, 0.0, 1.0], "1e300"),
    "near float64 max": ([-1.7e308, 1.7e308, 0.0, 1.0], "1.7e308"),
    "just past float32": ([np.nextafter(FLOAT32_MAX, np.inf), 0.0], "3.4e38"),
    "beside nan and inf": ([np.nan, np.inf, -np.inf, -2e39], "2e39"),
}


def _csv(values: list[float]) -> bytes:
    return (",".join(repr(float(v)) for v in values) + "\n").encode()


READERS = {
    "npy": ("x.npy", lambda v: npy_bytes(np.array(v, np.float64)), "This .npy file"),
    "npz": ("x.npz", lambda v: npz_bytes(True, w=np.array(v)), "The array 'w' in this .npz"),
    "csv": ("x.csv", _csv, "This text file"),
    "txt": ("x.txt", lambda v: _csv(v).replace(b",", b" "), "This text file"),
    "safetensors": ("x.safetensors",
                    lambda v: safetensors_bytes({"w": ("F64", np.array(v, "<f8"))}),
                    "The tensor 'w'"),
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("case", list(BEYOND))
def test_finite_values_beyond_float32_are_refused(reader, case):
    filename, build, label = READERS[reader]
    values, largest = BEYOND[case]
    with pytest.raises(TensorLoadError) as info:
        load_tensors(build(values), filename)
    err = info.value
    assert err.code == "beyond_float32"
    assert err.params["largest"] == largest
    assert str(err).startswith(label)
    assert "3.4e38" in str(err) and "power of ten" in str(err)


@pytest.mark.parametrize("reader", list(READERS))
def test_float64_within_float32_range_nan_and_inf_still_load(reader):
    filename, build, _ = READERS[reader]
    values = [FLOAT32_MAX, -FLOAT32_MAX, 1e-300, np.nan, np.inf, -np.inf, 1e38]
    (got,) = load_tensors(build(values), filename).values()
    np.testing.assert_array_equal(got, np.array(values))
    assert got.dtype == np.float64


# --- the upload cap and Streamlit's own --------------------------------------------


def _widget_cap_mb() -> int:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return config["server"]["maxUploadSize"]


def test_upload_cap_is_the_uploader_widgets_cap():
    # Streamlit's file_uploader refuses files over server.maxUploadSize * 10**6 bytes.
    widget_cap = _widget_cap_mb() * 10**6
    assert widget_cap == MAX_UPLOAD_BYTES


def test_a_file_a_tenth_of_a_megabyte_over_the_widgets_cap_is_refused():
    cap = _widget_cap_mb()
    with pytest.raises(TensorLoadError,
                       match=rf"{cap}\.1 MB, more than the lab's limit of {cap}\.0 MB"):
        load_tensors(bytes(cap * 10**6 + 10**5), "big.npy")
