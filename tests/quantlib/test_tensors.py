"""Tests for quantlib.tensors: generators, safe upload readers and summaries.

Limits that live in one reader are patched in that reader's module: ``_arrays`` (the
element cap of binary formats), ``text``, ``npz``, ``safetensors`` and ``load``.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib

import ml_dtypes
import numpy as np
import pytest

from quantlib._validate import ParameterError, ParameterTypeError
from quantlib.tensors import (
    ACCEPTED_EXTENSIONS,
    GENERATORS,
    MAX_ELEMENTS,
    MAX_NPZ_UNCOMPRESSED,
    MAX_UPLOAD_BYTES,
    TensorLoadError,
    generate,
    load_tensors,
    summarize,
)
from quantlib.tensors.errors import megabytes
from quantlib.tensors.npz import read_member
from tests.helpers import (
    ONE_F32,
    npy_bytes,
    npz_bytes,
    raw_zip,
    safetensors_bytes,
    safetensors_file,
    zip_bytes,
)

KINDS = list(GENERATORS)


# --- helpers that build files by hand ------------------------------------------------


def deflated_zeros(blocks: int, block: int = 2**22) -> bytes:
    """A raw deflate stream of blocks * block zero bytes, built without compressing them all.

    After a full flush the compressor's output is byte aligned and refers to nothing
    before it, so one compressed block can simply be repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return piece * blocks + compressor.flush()


# --- generate ------------------------------------------------------------------------


def test_generators_order_and_params():
    assert KINDS == ["normal", "uniform", "laplace", "student_t", "lognormal", "bimodal",
                     "relu", "llm_activations", "constant"]
    assert GENERATORS["student_t"] == {"df": 3.0}
    assert GENERATORS["bimodal"] == {"separation": 2.0, "spread": 0.5}
    assert GENERATORS["llm_activations"] == {"outlier_channels": 2, "channel_scale": 20.0}
    assert GENERATORS["constant"] == {"value": 1.0}


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_every_kind_has_shape_dtype_and_finite_values(kind):
    x = generate(kind, (64, 32), seed=5, scale=2.0, loc=0.5, outliers=3)
    assert x.shape == (64, 32)
    assert x.dtype == np.float32
    assert x.flags.c_contiguous and x.flags.writeable
    assert np.isfinite(x).all()


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_same_arguments_give_identical_bytes(kind):
    first = generate(kind, (33, 17), seed=11, scale=0.3, loc=-1.0, outliers=4)
    again = generate(kind, (33, 17), seed=11, scale=0.3, loc=-1.0, outliers=4)
    assert first.tobytes() == again.tobytes()
    other = generate(kind, (33, 17), seed=12, scale=0.3, loc=-1.0)
    same_seed_no_outliers = generate(kind, (33, 17), seed=11, scale=0.3, loc=-1.0)
    if kind == "constant":
        assert other.tobytes() == same_seed_no_outliers.tobytes()
    else:
        assert other.tobytes() != same_seed_no_outliers.tobytes()


def test_int_shape_is_one_dimensional():
    assert generate("normal", 7).shape == (7,)
    assert generate("normal", np.int64(3)).shape == (3,)
    assert generate("uniform", [2, 3, 4, 5]).shape == (2, 3, 4, 5)


def test_full_size_tensor_is_allowed():
    assert generate("uniform", MAX_ELEMENTS).size == MAX_ELEMENTS


@pytest.mark.parametrize(("kind", "mean", "std"), [
    ("normal", 1.0, 2.0),
    ("uniform", 1.0, 2.0 / math.sqrt(3)),
    ("laplace", 1.0, 2.0 * math.sqrt(2)),
    ("student_t", 1.0, 2.0 * math.sqrt(3)),  # df=3: variance df / (df - 2)
    ("bimodal", 1.0, 2.0 * math.sqrt(2.0**2 + 0.5**2)),
], ids=["normal", "uniform", "laplace", "student_t", "bimodal"])
def test_moments_match_the_distribution(kind, mean, std):
    x = generate(kind, 200_000, seed=1, loc=1.0, scale=2.0).astype(np.float64)
    assert x.mean() == pytest.approx(mean, abs=0.05)
    # The t distribution with df=3 has infinite kurtosis: its sample std converges slowly.
    assert x.std() == pytest.approx(std, rel=0.2 if kind == "student_t" else 0.02)


def test_uniform_stays_in_its_interval():
    x = generate("uniform", 100_000, loc=3.0, scale=0.5)
    assert x.min() >= 2.5 and x.max() <= 3.5


def test_relu_has_a_spike_at_zero():
    x = generate("relu", 100_000, seed=2)
    assert x.min() == 0.0
    assert np.mean(x == 0) == pytest.approx(0.5, abs=0.01)


def test_lognormal_is_positive_and_skewed():
    x = generate("lognormal", 100_000, seed=3, sigma=1.0)
    assert x.min() > 0
    assert np.median(x) == pytest.approx(1.0, rel=0.03)
    assert x.mean() > np.median(x)


def test_bimodal_has_two_modes():
    x = generate("bimodal", 100_000, seed=4, separation=3.0, spread=0.2)
    assert np.mean(np.abs(x) < 1.0) < 0.001
    assert np.mean(x > 0) == pytest.approx(0.5, abs=0.01)


def test_student_t_has_heavier_tails_than_normal():
    t = generate("student_t", 100_000, seed=6, df=1.5)
    z = generate("normal", 100_000, seed=6)
    assert np.abs(t).max() > 10 * np.abs(z).max()


def test_constant_ignores_seed_and_scale():
    x = generate("constant", (4, 5), seed=9, scale=7.0, value=-2.5)
    assert (x == np.float32(-2.5)).all()
    assert generate("constant", 3).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("kind", ["normal", "constant", "relu"])
def test_outliers_count_and_magnitude(kind):
    x = generate(kind, (100, 100), seed=8, loc=1.0, scale=2.0, outliers=7, outlier_scale=50.0)
    hits = np.abs(x - 1.0) == np.float32(100.0)
    assert hits.sum() == 7
    base = generate(kind, (100, 100), seed=8, loc=1.0, scale=2.0)
    assert (x[~hits] == base[~hits]).all()


def test_outliers_have_both_signs():
    x = generate("normal", 10_000, seed=1, outliers=200, outlier_scale=30.0)
    big = x[np.abs(x) == 30.0]
    assert len(big) == 200 and (big > 0).any() and (big < 0).any()


def test_every_element_can_be_an_outlier():
    x = generate("normal", 50, outliers=50, outlier_scale=4.0)
    assert (np.abs(x) == 4.0).all()


def test_llm_outlier_channels_are_the_largest_columns():
    x = generate("llm_activations", (256, 64), seed=3, outlier_channels=3, channel_scale=20.0)
    col_max = np.sort(np.abs(x).max(axis=0))[::-1]
    assert col_max[2] > 4 * col_max[3]
    plain = generate("llm_activations", (256, 64), seed=3, outlier_channels=0)
    assert np.sort(np.abs(plain).max(axis=0))[-1] < 7


def test_llm_activations_use_the_last_axis_as_channels():
    x = generate("llm_activations", (4, 128, 32), seed=1, outlier_channels=1, channel_scale=100)
    col_max = np.abs(x).max(axis=(0, 1))
    assert np.sum(col_max > 50) == 1
    assert generate("llm_activations", 16, outlier_channels=16).shape == (16,)


def test_extreme_allowed_parameters_stay_finite():
    x = generate("student_t", 100_000, df=1.0, scale=1e6, loc=-1e6, outliers=5,
                 outlier_scale=1e6)
    assert np.isfinite(x).all()
    assert np.isfinite(generate("lognormal", 100_000, sigma=4.0, scale=1e6, loc=1e6)).all()
    assert np.isfinite(generate("llm_activations", (256, 64), scale=1e6,
                                outlier_channels=64, channel_scale=1e6)).all()
    assert np.isfinite(generate("bimodal", 100_000, scale=1e6, separation=1e6,
                                spread=1e6)).all()
    assert (generate("constant", 3, value=-1e18) == np.float32(-1e18)).all()


BAD_GENERATE = [
    ("unknown kind", ("gauss", 3), {}, ParameterError, "kind must be one of 'normal'.*'constant'"),
    ("kind not a str", (1, 3), {}, ParameterTypeError, "kind must be a string"),
    ("zero shape", ("normal", 0), {}, ParameterError, "every dimension of shape.*got 0"),
    ("zero dim", ("normal", (2, 0)), {}, ParameterError, "every dimension of shape.*got 0"),
    ("negative dim", ("normal", (-2, 3)), {}, ParameterError, "dimension.*got -2"),
    ("five dims", ("normal", (1, 2, 1, 2, 1)), {}, ParameterTypeError, "1 to 4"),
    ("empty shape", ("normal", ()), {}, ParameterTypeError, "1 to 4"),
    ("float dim", ("normal", (2.0, 3)), {}, ParameterTypeError, "shape"),
    ("str shape", ("normal", "3"), {}, ParameterTypeError, "shape"),
    ("bool shape", ("normal", True), {}, ParameterTypeError, "shape"),
    ("too many elements", ("normal", (2**12, 2**12, 2)), {}, ParameterError,
     "33,554,432 elements.*16,777,216"),
    ("scale zero", ("normal", 3), {"scale": 0.0}, ParameterError, "scale.*got 0.0"),
    ("scale negative", ("normal", 3), {"scale": -1}, ParameterError, "scale"),
    ("scale inf", ("normal", 3), {"scale": math.inf}, ParameterError, "scale.*inf"),
    ("scale nan", ("normal", 3), {"scale": math.nan}, ParameterError, "scale.*nan"),
    ("scale huge", ("normal", 3), {"scale": 1e30}, ParameterError,
     r"scale must be a finite number from 1e-06 to 1e\+06, got 1e\+30"),
    ("scale str", ("normal", 3), {"scale": "1"}, ParameterTypeError,
     "scale must be a finite number"),
    ("loc inf", ("normal", 3), {"loc": -math.inf}, ParameterError, "loc"),
    ("loc huge", ("normal", 3), {"loc": 1e18}, ParameterError, "loc"),
    ("seed negative", ("normal", 3), {"seed": -1}, ParameterError,
     "seed must be an integer from 0 to .*, got -1"),
    ("seed past 32 bits", ("normal", 3), {"seed": 2**32}, ParameterError, "seed"),
    ("seed float", ("normal", 3), {"seed": 1.5}, ParameterTypeError, "seed must be an integer"),
    ("seed bool", ("normal", 3), {"seed": True}, ParameterTypeError, "seed"),
    ("outliers negative", ("normal", 3), {"outliers": -1}, ParameterError, "outliers"),
    ("outliers > size", ("normal", 3), {"outliers": 4}, ParameterError,
     "outliers must be an integer from 0 to 3, got 4"),
    ("outliers float", ("normal", 3), {"outliers": 1.0}, ParameterTypeError, "outliers"),
    ("outlier_scale negative", ("normal", 3), {"outlier_scale": -1.0}, ParameterError,
     "outlier_scale"),
    ("outlier_scale nan", ("normal", 3), {"outlier_scale": math.nan}, ParameterError,
     "outlier_scale"),
    ("param for normal", ("normal", 3), {"df": 3}, TypeError, "allowed: none"),
    ("wrong param", ("student_t", 3), {"sigma": 1}, TypeError, "'sigma'.*allowed: df"),
    ("df zero", ("student_t", 3), {"df": 0}, ParameterError, "df"),
    ("df below one", ("student_t", 3), {"df": 0.5}, ParameterError,
     "df must be a finite number from 1 to"),
    ("df bool", ("student_t", 3), {"df": True}, ParameterTypeError, "df"),
    ("sigma zero", ("lognormal", 3), {"sigma": 0.0}, ParameterError,
     "sigma must be a finite number from 0.01 to 4, got 0.0"),
    ("sigma large", ("lognormal", 3), {"sigma": 10.0}, ParameterError, "sigma"),
    ("spread zero", ("bimodal", 3), {"spread": 0}, ParameterError, "spread"),
    ("separation negative", ("bimodal", 3), {"separation": -1}, ParameterError, "separation"),
    ("channel_scale zero", ("llm_activations", (2, 4)), {"channel_scale": 0}, ParameterError,
     "channel_scale"),
    ("too many outlier channels", ("llm_activations", (2, 4)), {"outlier_channels": 5},
     ParameterError, "outlier_channels must be an integer from 0 to 4, got 5"),
    ("outlier_channels float", ("llm_activations", (2, 4)), {"outlier_channels": 1.5},
     ParameterTypeError, "outlier_channels"),
    ("value inf", ("constant", 3), {"value": math.inf}, ParameterError, "value"),
    ("value past float32", ("constant", 3), {"value": 1e39}, ParameterError, "value"),
]


@pytest.mark.parametrize(("args", "kwargs", "error", "match"),
                         [case[1:] for case in BAD_GENERATE],
                         ids=[case[0] for case in BAD_GENERATE])
def test_generate_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        generate(*args, **kwargs)


# --- load_tensors: round trips -------------------------------------------------------


NPY_CASES = [
    ("float16", np.float16, np.float32),
    ("float32", np.float32, np.float32),
    ("float64", np.float64, np.float64),
    ("int8", np.int8, np.float32),
    ("uint16", np.uint16, np.float32),
    ("int64", np.int64, np.float32),
    ("big-endian float32", ">f4", np.float32),
    ("big-endian float64", ">f8", np.float64),
    ("big-endian int32", ">i4", np.float32),
]


@pytest.mark.parametrize(("stored", "expected"), [c[1:] for c in NPY_CASES],
                         ids=[c[0] for c in NPY_CASES])
def test_npy_round_trip(stored, expected):
    arr = (np.arange(24).reshape(2, 3, 4) - 12).astype(stored)
    if np.dtype(stored).kind == "u":
        arr = np.arange(24, dtype=stored).reshape(2, 3, 4)
    out = load_tensors(npy_bytes(arr), "weights.npy")
    assert list(out) == ["weights"]
    got = out["weights"]
    assert got.dtype == expected and got.dtype.isnative
    assert got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, arr.astype(np.float64))
    assert got.flags.writeable and got.flags.owndata and got.flags.c_contiguous


def test_npy_fortran_order():
    arr = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    got = load_tensors(npy_bytes(arr), "f.npy")["f"]
    np.testing.assert_array_equal(got, arr)
    assert got.flags.c_contiguous


def test_npy_keeps_nan_and_inf():
    arr = np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32)
    got = load_tensors(npy_bytes(arr), "x.npy")["x"]
    np.testing.assert_array_equal(got, arr)


def test_npy_version_2_header():
    arr = np.ones(5, dtype=np.float32)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(2, 0))
    np.testing.assert_array_equal(load_tensors(buf.getvalue(), "v2.npy")["v2"], arr)


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview],
                         ids=["bytes", "bytearray", "memoryview"])
def test_accepts_bytes_like_and_does_not_alias_them(wrap):
    raw = bytearray(npy_bytes(np.arange(4, dtype=np.float32)))
    got = load_tensors(wrap(raw), "a.npy")["a"]
    raw[-4:] = b"\0\0\0\0"
    assert got.tolist() == [0.0, 1.0, 2.0, 3.0]
    got[0] = 9.0  # writeable


@pytest.mark.parametrize(("filename", "name"), [
    ("W.NPY", "W"),
    ("C:\\Users\\me\\layer.0.npy", "layer.0"),
    ("/home/me/acts.npy", "acts"),
    (".npy", "tensor"),
], ids=["upper-case extension", "windows path", "posix path", "no stem"])
def test_names_come_from_the_base_name(filename, name):
    assert list(load_tensors(npy_bytes(np.ones(2)), filename)) == [name]


@pytest.mark.parametrize("compressed", [False, True], ids=["savez", "savez_compressed"])
def test_npz_with_several_arrays(compressed):
    arrays = {"w": np.ones((2, 3), np.float16), "b": np.arange(3, dtype=np.int32),
              "x": np.linspace(0, 1, 5)}
    out = load_tensors(npz_bytes(compressed, **arrays), "model.npz")
    assert list(out) == ["w", "b", "x"]
    assert [a.dtype for a in out.values()] == [np.float32, np.float32, np.float64]
    for name, arr in arrays.items():
        np.testing.assert_array_equal(out[name], arr)


CSV_CASES = [
    ("comma with header", b"w0,w1,w2\n1,2,3\n4,5,6\n", [[1, 2, 3], [4, 5, 6]]),
    ("comma without header", b"1,2\n3,4\n", [[1, 2], [3, 4]]),
    ("spaces after commas", b"1, 2\n3 , 4\n", [[1, 2], [3, 4]]),
    ("semicolon", b"a;b\n1.5;-2e3\n0;1\n", [[1.5, -2000], [0, 1]]),
    ("tab", b"x\ty\n1\t2\n3\t4\n", [[1, 2], [3, 4]]),
    ("runs of whitespace", b"  1   2\t 3\n4 5    6  \n", [[1, 2, 3], [4, 5, 6]]),
    ("single column", b"value\n1\n2\n3\n", [1, 2, 3]),
    ("single row", b"1,2,3,4\n", [1, 2, 3, 4]),
    ("single number", b"42", [42]),
    ("comments and blank lines", b"# exported\n\n1,2\n  \n# mid\n3,4\n\n", [[1, 2], [3, 4]]),
    ("windows line ends", b"a,b\r\n1,2\r\n3,4\r\n", [[1, 2], [3, 4]]),
    ("old mac line ends", b"1,2\r3,4", [[1, 2], [3, 4]]),
    ("utf-8 BOM", b"\xef\xbb\xbfcol\n1\n2\n", [1, 2]),
    ("header with an empty name", b",a,b\n0,1,2\n1,3,4\n", [[0, 1, 2], [1, 3, 4]]),
    ("unicode header", "poids,biais\u00e9\n1,2\n".encode(), [1, 2]),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CSV_CASES],
                         ids=[c[0] for c in CSV_CASES])
def test_csv_round_trip(data, expected):
    out = load_tensors(data, "table.csv")
    assert list(out) == ["table"]
    assert out["table"].dtype == np.float64
    np.testing.assert_array_equal(out["table"], np.array(expected, dtype=np.float64))


def test_csv_keeps_nan_and_inf():
    got = load_tensors(b"nan,inf,-inf\nNaN,INF,1\n", "x.csv")["x"]
    assert np.isnan(got[:, 0]).all()
    assert got[0, 1] == np.inf and got[1, 1] == np.inf and got[0, 2] == -np.inf


def test_txt_uses_the_same_reader():
    text = b"# from numpy.savetxt\n1.000000000000000000e+00 2.5\n3 4\n"
    np.testing.assert_array_equal(load_tensors(text, "acts.TXT")["acts"], [[1, 2.5], [3, 4]])
    arr = np.random.default_rng(0).standard_normal((5, 3))
    buf = io.StringIO()
    np.savetxt(buf, arr)
    np.testing.assert_array_equal(load_tensors(buf.getvalue().encode(), "r.txt")["r"], arr)


SAFETENSORS_CASES = [
    ("F32", "F32", np.float32, np.float32),
    ("F64", "F64", np.float64, np.float64),
    ("F16", "F16", np.float16, np.float32),
    ("BF16", "BF16", ml_dtypes.bfloat16, np.float32),
    ("F8_E4M3", "F8_E4M3", ml_dtypes.float8_e4m3fn, np.float32),
    ("F8_E5M2", "F8_E5M2", ml_dtypes.float8_e5m2, np.float32),
    ("I8", "I8", np.int8, np.float32),
    ("U8", "U8", np.uint8, np.float32),
    ("I64", "I64", np.int64, np.float32),
]


@pytest.mark.parametrize(("tag", "stored", "expected"), [c[1:] for c in SAFETENSORS_CASES],
                         ids=[c[0] for c in SAFETENSORS_CASES])
def test_safetensors_round_trip(tag, stored, expected):
    arr = np.array([[0.5, -1.0, 2.0], [4.0, 0.25, 8.0]]).astype(stored)
    if np.dtype(stored).kind == "u":
        arr = np.array([[0, 1, 2], [3, 4, 255]], dtype=stored)
    got = load_tensors(safetensors_bytes({"w": (tag, arr)}), "m.safetensors")["w"]
    assert got.dtype == expected and got.shape == (2, 3)
    np.testing.assert_array_equal(got, arr.astype(np.float64))
    assert got.flags.writeable and got.flags.owndata


def test_safetensors_two_tensors_metadata_and_padding():
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.5, -2.5], dtype=ml_dtypes.bfloat16)
    header = {"__metadata__": {"format": "pt"},
              "layer.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "layer.bias": {"dtype": "BF16", "shape": [2], "data_offsets": [24, 28]}}
    padded = json.dumps(header).encode() + b"   "  # the format pads the header with spaces
    out = load_tensors(safetensors_file(padded, w.tobytes() + b.tobytes()), "x.safetensors")
    assert list(out) == ["layer.weight", "layer.bias"]
    np.testing.assert_array_equal(out["layer.weight"], w)
    assert out["layer.bias"].tolist() == [1.5, -2.5]


def test_safetensors_tensors_may_be_stored_out_of_order():
    a, b = np.ones(2, np.float32), np.full(3, 2.0, np.float32)
    header = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]},
              "b": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}
    out = load_tensors(safetensors_file(header, b.tobytes() + a.tobytes()), "s.safetensors")
    assert out["a"].tolist() == [1, 1] and out["b"].tolist() == [2, 2, 2]


# --- load_tensors: malformed uploads -------------------------------------------------


def _object_npy() -> bytes:
    return npy_bytes(np.array([1, "a", None], dtype=object), allow_pickle=True)


def _structured_npy() -> bytes:
    return npy_bytes(np.zeros(3, dtype=[("a", "f4"), ("b", "i4")]))


def _corrupt_header_npy() -> bytes:
    raw = bytearray(npy_bytes(np.ones(3, np.float32)))
    raw[10:20] = b"!!garbage!"
    return bytes(raw)


BAD_NPY = [
    ("object array (pickle)", _object_npy, "pickle"),
    ("truncated", lambda: npy_bytes(np.ones(10, np.float32))[:-5],
     "truncated: its header promises 10 values .* only 35 bytes"),
    ("extra bytes", lambda: npy_bytes(np.ones(3, np.float32)) + b"xx", "2 unexpected bytes"),
    ("not npy at all", lambda: b"just some text", "does not start with the .npy signature"),
    ("only the magic", lambda: b"\x93NUMPY", "damaged header"),
    ("garbage header", _corrupt_header_npy, "damaged header"),
    ("unknown version", lambda: b"\x93NUMPY\x09\x00" + bytes(100), "version 9.0"),
    ("bool", lambda: npy_bytes(np.array([True, False])), "True/False"),
    ("complex", lambda: npy_bytes(np.array([1 + 2j])), "complex"),
    ("str", lambda: npy_bytes(np.array(["a", "b"])), "text"),
    ("bytes", lambda: npy_bytes(np.array([b"a"])), "text"),
    ("datetime", lambda: npy_bytes(np.array(["2024-01-01"], dtype="M8[D]")), "dates"),
    ("structured", _structured_npy, "structured"),
    ("bfloat16 via numpy", lambda: npy_bytes(np.ones(2, ml_dtypes.bfloat16)),
     "structured or raw-bytes|pickle"),
    ("0-d", lambda: npy_bytes(np.float32(3.0)), "0-d"),
    ("no elements", lambda: npy_bytes(np.zeros((0, 3), np.float32)), r"no values \(shape"),
]


@pytest.mark.parametrize(("build", "match"), [c[1:] for c in BAD_NPY],
                         ids=[c[0] for c in BAD_NPY])
def test_bad_npy_is_refused(build, match):
    with pytest.raises(TensorLoadError, match=match):
        load_tensors(build(), "bad.npy")


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8, reason="long double is float64 here")
def test_long_double_npy_is_refused():
    with pytest.raises(TensorLoadError, match="extended-precision"):
        load_tensors(npy_bytes(np.ones(2, np.longdouble)), "ld.npy")


def _npz_with_bad_member() -> bytes:
    return zip_bytes({"good.npy": npy_bytes(np.ones(2)), "evil.npy": _object_npy()})


BAD_NPZ = [
    ("not a zip", lambda: b"PK\x03\x04 definitely not a zip", "not a valid zip"),
    ("empty zip", lambda: zip_bytes({}), "contains no arrays"),
    ("member not npy", lambda: zip_bytes({"readme.txt": b"hi"}), "'readme.txt'.*not a .npy"),
    ("bad member named", _npz_with_bad_member, "The array 'evil' in this .npz file.*pickle"),
    ("truncated member",
     lambda: zip_bytes({"w.npy": npy_bytes(np.ones(8, np.float32))[:-4]}), "'w'.*truncated"),
    ("0-d member", lambda: zip_bytes({"s.npy": npy_bytes(np.float64(1))}), "'s'.*0-d"),
    ("truncated archive", lambda: npz_bytes(a=np.ones(100))[:-30], "not a valid zip"),
]


@pytest.mark.parametrize(("build", "match"), [c[1:] for c in BAD_NPZ],
                         ids=[c[0] for c in BAD_NPZ])
def test_bad_npz_is_refused(build, match):
    with pytest.raises(TensorLoadError, match=match):
        load_tensors(build(), "bad.npz")


def test_npz_bomb_declaring_gigabytes_is_refused_before_unpacking():
    data = deflated_zeros(768)  # 3 GiB of zeros in about 3 MB
    assert len(data) < 8 * 2**20
    bomb = raw_zip("w.npy", data, declared_size=768 * 2**22)
    with pytest.raises(TensorLoadError, match=rf"unpack to {megabytes(768 * 2**22)}.*limit of "
                                              rf"{megabytes(MAX_NPZ_UNCOMPRESSED)}") as info:
        load_tensors(bomb, "bomb.npz")
    assert info.value.params == {"size": "3221.2 MB", "limit": "268.4 MB"}


def test_npz_real_bomb_over_the_cap_is_refused():
    blocks = MAX_NPZ_UNCOMPRESSED // 2**22 + 1
    zeros = bytes(2**22)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(zeros, crc)
    bomb = raw_zip("w.npy", deflated_zeros(blocks), declared_size=blocks * 2**22, crc=crc)
    with pytest.raises(TensorLoadError, match=f"unpack to {megabytes(blocks * 2**22)}"):
        load_tensors(bomb, "bomb.npz")


def test_npz_member_that_inflates_past_its_declared_size_is_refused():
    # The header claims 1,000 bytes; the data inflates to 8 MiB of zeros.
    bomb = raw_zip("w.npy", deflated_zeros(2), declared_size=1000, crc=zlib.crc32(bytes(1000)))
    with pytest.raises(TensorLoadError, match="'w.npy'.*more data than the 1,000 bytes its "
                                              "header declares"):
        load_tensors(bomb, "liar.npz")


@pytest.mark.parametrize("compressed", [False, True], ids=["stored", "deflated"])
def test_npz_bounded_read_stops_at_the_budget(compressed):
    archive = zipfile.ZipFile(io.BytesIO(npz_bytes(compressed, a=np.zeros(1000))))
    info = archive.infolist()[0]
    assert len(read_member(archive, info, info.file_size)) == info.file_size
    with pytest.raises(TensorLoadError, match="'a.npy'.*unpacks to more data"):
        read_member(archive, info, info.file_size - 1)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_npz_members_compressed_without_an_output_bound_are_refused(method):
    # zipfile inflates these without bounding the output: a few KiB can hold gigabytes.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as archive:
        archive.writestr("w.npy", npy_bytes(np.ones(3)))
    with pytest.raises(TensorLoadError, match="'w.npy'.*compressed with a method"):
        load_tensors(buf.getvalue(), "w.npz")


def test_npz_total_of_members_counts_against_the_cap(monkeypatch):
    data = npz_bytes(a=np.zeros(1000), b=np.zeros(1000))
    monkeypatch.setattr("quantlib.tensors.npz.MAX_NPZ_UNCOMPRESSED", 12_000)
    with pytest.raises(TensorLoadError, match="would unpack to"):
        load_tensors(data, "two.npz")


def test_npz_with_too_many_members(monkeypatch):
    monkeypatch.setattr("quantlib.tensors.npz.MAX_TENSORS_PER_FILE", 2)
    with pytest.raises(TensorLoadError, match="3 entries.*limit of 2"):
        load_tensors(npz_bytes(a=np.ones(1), b=np.ones(1), c=np.ones(1)), "many.npz")


def _st(header: dict, buffer: bytes = bytes(8)) -> bytes:
    return safetensors_file(header, buffer)


BAD_SAFETENSORS = [
    ("too short", lambda: b"\x02\0\0", "too short"),
    ("header length beyond file", lambda: safetensors_file(b"{}", length=500),
     "inconsistent with the file size.*500 bytes.*only 2"),
    ("header length absurd", lambda: safetensors_file(b"{}" * 8, length=2**62), "impossible"),
    ("header length one", lambda: safetensors_file(b"{}", length=1), "impossible"),
    ("not json", lambda: safetensors_file(b"{this is not json}"), "not a valid JSON"),
    ("json list", lambda: safetensors_file(b"[1, 2]"), "not a valid JSON"),
    ("header not utf-8", lambda: safetensors_file(b'{"\xff": 1}'), "not a valid JSON"),
    ("deep nesting", lambda: safetensors_file(b"[" * 100_000 + b"]" * 100_000),
     "not a valid JSON"),
    ("duplicate name", lambda: safetensors_file(
        b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
        b'"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', bytes(8)), "'w' twice"),
    ("no tensors", lambda: _st({"__metadata__": {"a": "b"}}), "no tensors"),
    ("metadata not str", lambda: _st({"__metadata__": {"a": 1}, "w": ONE_F32}), "__metadata__"),
    ("entry not a dict", lambda: _st({"w": [1, 2]}), "exactly the keys"),
    ("missing key", lambda: _st({"w": {"dtype": "F32", "shape": [2]}}), "exactly the keys"),
    ("extra key", lambda: _st({"w": {**ONE_F32, "more": 1}}), "exactly the keys"),
    ("BOOL dtype", lambda: _st({"w": {**ONE_F32, "dtype": "BOOL"}}),
     "'BOOL'.*Supported: F64, F32, F16, BF16"),
    ("unknown dtype", lambda: _st({"w": {**ONE_F32, "dtype": "F128"}}), "'F128'"),
    ("shape not a list", lambda: _st({"w": {**ONE_F32, "shape": "2"}}), "invalid shape"),
    ("shape of floats", lambda: _st({"w": {**ONE_F32, "shape": [2.0]}}), "invalid shape"),
    ("negative dim", lambda: _st({"w": {**ONE_F32, "shape": [-2]}}), "impossible shape"),
    ("0-d", lambda: _st({"w": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}), "0-d"),
    ("too many dims", lambda: _st({"w": {**ONE_F32, "shape": [1] * 40 + [2]}}),
     "41 dimensions, more than the lab's limit of 32"),
    ("absurd shape", lambda: _st({"w": {**ONE_F32, "shape": [2**40, 2**40]}}),
     "1,208,925,819,614,629,174,706,176 values"),
    ("zero elements", lambda: _st({"w": {**ONE_F32, "shape": [0, 2], "data_offsets": [0, 0]}}),
     "no values"),
    ("offsets reversed", lambda: _st({"w": {**ONE_F32, "data_offsets": [8, 0]}}),
     "invalid data_offsets"),
    ("offsets negative", lambda: _st({"w": {**ONE_F32, "data_offsets": [-8, 0]}}),
     "invalid data_offsets"),
    ("offsets not ints", lambda: _st({"w": {**ONE_F32, "data_offsets": [0, 8.0]}}),
     "invalid data_offsets"),
    ("offsets past buffer", lambda: _st({"w": {**ONE_F32, "data_offsets": [4, 12]}}),
     "runs to byte 12.*only 8 bytes.*inconsistent with the file size"),
    ("offsets disagree with shape", lambda: _st({"w": {**ONE_F32, "data_offsets": [0, 4]}}),
     r"shape \[2\] of F32 \(8 bytes\).*cover 4 bytes"),
    ("overlapping tensors", lambda: _st({"a": ONE_F32, "b": {**ONE_F32, "data_offsets": [4, 12]}},
                                        bytes(12)), "'a' and 'b' overlap"),
]


@pytest.mark.parametrize(("build", "match"), [c[1:] for c in BAD_SAFETENSORS],
                         ids=[c[0] for c in BAD_SAFETENSORS])
def test_bad_safetensors_is_refused(build, match):
    with pytest.raises(TensorLoadError, match=match):
        load_tensors(build(), "bad.safetensors")


BAD_TEXT = [
    ("ragged row", b"a,b,c\n1,2,3\n4,5,6\n7,8\n",
     "Line 4: has 2 values but the first row of numbers has 3"),
    ("long row", b"1 2\n3 4 5\n", "Line 2: has 3 values"),
    ("text in body", b"1,2\n3,4\n5,oops,\n", "Line 3: has 3 values"),
    ("word in body", b"x;y\n1;2\n# note\n3;hello\n", "Line 4: column 2 holds 'hello'"),
    ("long token cut", b"1,2\n3," + b"z" * 80 + b"\n", "'z{29}…'"),
    ("empty field", b"1,2,3\n4,,6\n", "Line 2: column 2 is empty"),
    ("empty field in first row", b"1,,3\n4,5,6\n", "Line 1: column 2 is empty"),
    ("comma decimals", b"a;b\n1,5;2,5\n", "Line 2: column 1 holds '1,5'.*decimal mark"),
    ("comma decimals with tabs", b"x\ty\n1,5\t2,5\n", "Line 2: column 1 holds '1,5'.*decimal mark"),
    ("underscore", b"1,2\n1_000,2\n", "Line 2: column 1 holds '1_000'"),
    ("only a header", b"weight,bias\n", "header line but no rows"),
    ("only comments", b"# nothing\n\n   \n", "no numbers"),
    ("not utf-8", b"1,2\n3,4\n\xff\xfe,5\n", "Line 3 of this file is not valid UTF-8"),
    ("utf-16", "1,2\n".encode("utf-16-le"), "NUL bytes"),
]


@pytest.mark.parametrize(("data", "match"), [c[1:] for c in BAD_TEXT],
                         ids=[c[0] for c in BAD_TEXT])
def test_bad_text_is_refused(data, match):
    with pytest.raises(TensorLoadError, match=match):
        load_tensors(data, "bad.csv")


@pytest.mark.parametrize("filename", ["model.pt", "model.pth", "data.pkl", "x.pickle",
                                      "last.ckpt", "pytorch_model.bin", "clf.joblib", "M.PT"])
def test_pickle_formats_are_never_opened(filename):
    with pytest.raises(TensorLoadError, match="pickle.*arbitrary code.*safetensors"):
        load_tensors(b"\x80\x04anything", filename)


@pytest.mark.parametrize(("filename", "match"), [
    ("weights.xlsx", "ending in '.xlsx' are not supported. Accepted: .npy, .npz"),
    ("README", "'README' has no extension"),
    ("/secret/server/path/x.h5", "ending in '.h5'"),
], ids=["xlsx", "no extension", "h5 with a path"])
def test_unknown_extensions_are_refused(filename, match):
    with pytest.raises(TensorLoadError, match=match) as info:
        load_tensors(b"data", filename)
    assert "/secret" not in str(info.value)


def test_every_accepted_extension_refuses_an_empty_file():
    for extension in ACCEPTED_EXTENSIONS:
        with pytest.raises(TensorLoadError, match="The file is empty"):
            load_tensors(b"", "x" + extension)


def test_upload_size_cap(monkeypatch):
    assert MAX_UPLOAD_BYTES == 50 * 10**6  # megabytes as Streamlit's uploader counts them
    monkeypatch.setattr("quantlib.tensors.load.MAX_UPLOAD_BYTES", 10**6)
    assert load_tensors(npy_bytes(np.zeros(10**6 // 8 - 16)), "fits.npy")
    with pytest.raises(TensorLoadError, match=r"2.0 MB, more than the lab's limit of 1.0 MB"):
        load_tensors(bytes(2 * 10**6), "big.npy")


@pytest.mark.parametrize(("filename", "data"), [
    ("big.npy", npy_bytes(np.ones((4, 5), np.float32))),
    ("big.safetensors", safetensors_bytes({"w": ("F32", np.ones((4, 5), np.float32))})),
    ("big.npz", npz_bytes(w=np.ones((4, 5)))),
], ids=["npy", "safetensors", "npz"])
def test_element_cap_on_binary_formats(monkeypatch, filename, data):
    monkeypatch.setattr("quantlib.tensors._arrays.MAX_ELEMENTS", 19)
    with pytest.raises(TensorLoadError, match=r"20 values \(shape \(4, 5\)\).*limit of 19"):
        load_tensors(data, filename)
    monkeypatch.setattr("quantlib.tensors._arrays.MAX_ELEMENTS", 20)
    assert load_tensors(data, filename)["w" if "npy" not in filename else "big"].size == 20


@pytest.mark.parametrize("data", [b"1,2,3\n4,5,6\n7,8,9\n", b"h\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"],
                         ids=["3x3", "column of 9"])
def test_element_cap_on_text(monkeypatch, data):
    monkeypatch.setattr("quantlib.tensors.text.MAX_ELEMENTS", 8)
    with pytest.raises(TensorLoadError, match="more than 8 numbers"):
        load_tensors(data, "t.csv")
    monkeypatch.setattr("quantlib.tensors.text.MAX_ELEMENTS", 9)
    assert load_tensors(data, "t.csv")["t"].size == 9


def test_argument_types():
    with pytest.raises(TypeError, match="data must be bytes"):
        load_tensors("1,2", "x.csv")
    with pytest.raises(TypeError, match="filename must be a str"):
        load_tensors(b"1,2", None)


def _valid_files() -> dict[str, bytes]:
    small = np.arange(6, dtype=np.float32).reshape(2, 3)
    return {
        "a.npy": npy_bytes(small),
        "a.npz": npz_bytes(True, w=small, b=np.ones(2, np.int8)),
        "a.safetensors": safetensors_bytes({"w": ("F32", small), "b": ("F16", np.ones(2, "f2"))},
                                           {"format": "pt"}),
        "a.csv": b"a,b,c\n0,1,2\n3,4,5\n",
    }


@pytest.mark.parametrize("filename", list(_valid_files()))
def test_damaged_files_only_ever_raise_tensor_load_error(filename):
    """Every truncation and many random byte flips: read or refused, never a crash."""
    good = _valid_files()[filename]
    rng = np.random.default_rng(0)
    variants = [good[:n] for n in range(1, len(good))]
    for _ in range(300):
        flipped = bytearray(good)
        for pos in rng.integers(0, len(good), size=rng.integers(1, 4)):
            flipped[pos] = int(rng.integers(0, 256))
        variants.append(bytes(flipped))
    for data in variants:
        try:
            result = load_tensors(data, filename)
        except TensorLoadError as err:
            assert str(err)
        else:
            assert all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in result.values())


# --- summarize -----------------------------------------------------------------------


def test_summarize_with_nan_and_inf():
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 5.0]], dtype=np.float32)
    s = summarize(x)
    assert s == {"shape": (2, 3), "dtype": "float32", "size": 6, "min": 1.0, "max": 5.0,
                 "mean": 3.0, "std": pytest.approx(math.sqrt(8 / 3)), "nan_count": 1,
                 "posinf_count": 1, "neginf_count": 1}
    assert all(type(s[k]) is float for k in ("min", "max", "mean", "std"))
    assert all(type(s[k]) is int for k in ("size", "nan_count", "posinf_count", "neginf_count"))


def test_summarize_all_nan():
    s = summarize(np.full(4, np.nan))
    assert s["min"] is s["max"] is s["mean"] is s["std"] is None
    assert s["nan_count"] == 4


def test_summarize_int_input():
    s = summarize(np.array([-128, 0, 127], dtype=np.int8))
    assert (s["dtype"], s["min"], s["max"], s["mean"]) == ("int8", -128.0, 127.0, -1 / 3)
    assert s["nan_count"] == s["posinf_count"] == s["neginf_count"] == 0


def test_summarize_uses_float64_accumulation():
    x = np.full(2**20, 0.1, dtype=np.float32) + np.float32(1000.0)
    s = summarize(x)
    assert s["mean"] == pytest.approx(float(np.float32(1000.1)), rel=1e-12)
    assert s["std"] == pytest.approx(0.0, abs=1e-9)


def test_summarize_bfloat16_and_lists_and_does_not_mutate():
    x = np.array([1.0, 2.0, np.nan], dtype=ml_dtypes.bfloat16)
    before = x.copy()
    s = summarize(x)
    assert (s["dtype"], s["mean"], s["nan_count"]) == ("bfloat16", 1.5, 1)
    assert np.array_equal(x, before, equal_nan=True)
    assert summarize([1, 2, 3])["mean"] == 2.0
    assert summarize(np.zeros((0, 3)))["min"] is None


@pytest.mark.parametrize("bad", [np.array([True]), np.array([1j]), np.array(["a"])],
                         ids=["bool", "complex", "str"])
def test_summarize_rejects_non_real(bad):
    with pytest.raises(TypeError, match="real numbers"):
        summarize(bad)
