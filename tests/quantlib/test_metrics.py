"""Tests for quantlib.metrics: error metrics, clipped fraction, storage cost, model memory.

The Home page's memory table (model sizes, storage formats) is tested in
tests/lessons/test_home.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantlib as ql
from quantlib import Layout
from quantlib.metrics import BYTES_PER_GB, block_bits, memory_gb

ERROR_KEYS = {"mse", "mae", "max_abs_error", "sqnr_db", "cosine"}
QPARAM_KEYS = {"clipped_fraction", "bits_per_value", "bytes_after", "compression"}
ALL_KEYS = ERROR_KEYS | QPARAM_KEYS | {"bytes_before"}
SEED002 = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2]


def hand_metrics(x, x_hat):
    """mse, mae, max error, SQNR and cosine in plain Python floats (no numpy)."""
    err = [h - v for v, h in zip(x, x_hat, strict=True)]
    signal, noise = sum(v * v for v in x), sum(e * e for e in err)
    dot = sum(v * h for v, h in zip(x, x_hat, strict=True))
    return {
        "mse": noise / len(x), "mae": sum(abs(e) for e in err) / len(x),
        "max_abs_error": max(abs(e) for e in err),
        "sqnr_db": 10 * math.log10(signal / noise),
        "cosine": dot / math.sqrt(signal * sum(h * h for h in x_hat)),
    }


# --- metrics: values -----------------------------------------------------------------

@pytest.mark.parametrize(("x", "x_hat"), [
    ([1.0, -1.0, 0.5], [1.0, -1.0, 0.0]),
    ([3.0, 4.0], [3.0, 3.0]),
    ([0.25, -2.0, 8.0, 1e-3], [0.5, -1.5, 7.0, 0.0]),
], ids=["docstring", "three-four", "mixed"])
def test_metrics_match_a_hand_computation(x, x_hat):
    m = ql.metrics(x, x_hat)
    for key, value in hand_metrics(x, x_hat).items():
        assert m[key] == pytest.approx(value, rel=1e-12), key


def test_sqnr_of_three_four_is_ten_log10_of_25():
    # Signal power 9 + 16 = 25 and error power 1.
    assert ql.metrics([3.0, 4.0], [3.0, 3.0])["sqnr_db"] == pytest.approx(10 * math.log10(25))


def test_metrics_on_seed_002_symmetric_quantization():
    x = np.array(SEED002)
    qp = ql.choose_qparams(x, symmetric=True)
    x_hat = ql.fake_quantize(x, qp)
    m = ql.metrics(x, x_hat, qp)
    ref = hand_metrics(x.tolist(), x_hat.astype(np.float64).tolist())
    for key, value in ref.items():
        assert m[key] == pytest.approx(value, rel=1e-9), key
    # Minmax never clips, so every error is at most half a step.
    assert m["max_abs_error"] <= qp.scale / 2 + 1e-9
    assert m["clipped_fraction"] == 0.0


def test_metrics_keys_and_types():
    m = ql.metrics([1.0, 2.0], [1.0, 2.5], ql.qparams_from_range(0.0, 2.0))
    assert set(m) == ALL_KEYS
    assert all(type(v) is float for v in m.values())


def test_metrics_without_qparams_leaves_storage_metrics_nan():
    m = ql.metrics([1.0, 2.0, 3.0], [1.0, 2.0, 3.5])
    assert all(math.isnan(m[k]) for k in QPARAM_KEYS)
    assert m["bytes_before"] == 3 * 4  # float32


def test_metrics_with_qparams_counts_storage():
    x = np.linspace(-1.0, 1.0, 1000)
    qp = ql.choose_qparams(x, bits=4, symmetric=True)
    m = ql.metrics(x, ql.fake_quantize(x, qp), qp)
    bpv = 4 + 32 / 1000  # codes plus one float32 scale
    assert m["bits_per_value"] == pytest.approx(bpv)
    assert m["bytes_before"] == 1000 * 4
    assert m["bytes_after"] == pytest.approx(1000 * bpv / 8)
    assert m["compression"] == pytest.approx(32 / bpv)


@pytest.mark.parametrize(("x_hat", "cosine"), [
    ([2.0, 0.0, -4.0], 1.0), ([-1.0, 0.0, 2.0], -1.0), ([0.0, 5.0, 0.0], 0.0),
], ids=["scaled", "negated", "orthogonal"])
def test_cosine(x_hat, cosine):
    assert ql.metrics([1.0, 0.0, -2.0], x_hat)["cosine"] == pytest.approx(cosine, abs=1e-15)


# --- metrics: degenerate cases -------------------------------------------------------

@pytest.mark.parametrize("x", [[0.7], [1.0, -2.0, 3.0], np.zeros(5), np.full((2, 3), -4.25)],
                         ids=["single", "vector", "zeros", "constant-2d"])
def test_exact_reconstruction_has_infinite_sqnr_without_warnings(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ql.metrics(x, np.array(x, dtype=np.float64))
    assert m["sqnr_db"] == math.inf
    assert m["mse"] == m["mae"] == m["max_abs_error"] == 0.0
    assert m["cosine"] == 1.0


def test_zero_signal_with_error_has_minus_infinite_sqnr_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ql.metrics([0.0, 0.0], [0.0, 1.0])
    # 10 log10(0 / 0.5): no signal power at all.
    assert m["sqnr_db"] == -math.inf
    assert m["mse"] == 0.5 and m["max_abs_error"] == 1.0
    assert m["cosine"] == 0.0


def test_zero_reconstruction_of_a_signal_has_0_db():
    # Error power equals signal power when x_hat is all zeros.
    m = ql.metrics([1.0, -2.0], [0.0, 0.0])
    assert m["sqnr_db"] == pytest.approx(0.0, abs=1e-12)
    assert m["cosine"] == 0.0


def test_empty_input_raises():
    with pytest.raises(ValueError, match="empty"):
        ql.metrics([], [])


@pytest.mark.parametrize(("x", "x_hat"), [
    ([1.0, 2.0], [1.0]), (np.zeros((2, 3)), np.zeros((3, 2))),
], ids=["length", "transposed"])
def test_shape_mismatch_raises_with_both_shapes(x, x_hat):
    with pytest.raises(ValueError, match="same shape"):
        ql.metrics(x, x_hat)


@pytest.mark.parametrize("bad", [["a", "b"], np.array([1 + 1j, 2])], ids=["string", "complex"])
def test_non_real_input_raises_type_error(bad):
    with pytest.raises(TypeError, match="real numbers"):
        ql.metrics(bad, [1.0, 2.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("x", "x_hat"), [
    ([1.0, np.nan, 2.0], [1.0, 0.0, 2.0]),
    ([1.0, 2.0], [1.0, np.nan]),
    ([1.0, np.inf], [1.0, 2.0]),
], ids=["nan-in-x", "nan-in-x_hat", "inf-in-x"])
def test_non_finite_input_raises(x, x_hat):
    with pytest.raises(ValueError, match="NaN|Inf|finite"):
        ql.metrics(x, x_hat)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.float16, np.float32],
                         ids=["int8", "int32", "float16", "float32"])
def test_metrics_accept_integer_and_narrow_float_dtypes(dtype):
    x = np.array([1, -2, 3, 4], dtype=dtype)
    m = ql.metrics(x, x)
    assert m["mse"] == 0.0 and m["sqnr_db"] == math.inf


def test_metrics_accumulate_across_blocks_in_float64():
    # More than one 2^18 accumulation block, with the largest error in the last block.
    n = (1 << 18) + 1000
    rng = np.random.default_rng(0)
    x = rng.normal(size=n).astype(np.float32)
    err = rng.uniform(-1e-3, 1e-3, size=n).astype(np.float32)
    err[-5] = 0.25
    x_hat = x + err
    m = ql.metrics(x, x_hat)
    e64 = x_hat.astype(np.float64) - x.astype(np.float64)
    assert m["mse"] == pytest.approx(np.mean(e64**2), rel=1e-12)
    assert m["mae"] == pytest.approx(np.mean(np.abs(e64)), rel=1e-12)
    assert m["max_abs_error"] == pytest.approx(float(np.abs(e64).max()), rel=1e-12)
    sqnr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum(e64**2))
    assert m["sqnr_db"] == pytest.approx(sqnr, rel=1e-12)


def test_metrics_do_not_mutate_inputs():
    x = np.array([0.3, -0.8, 0.7], np.float32)
    x_hat = np.array([0.25, -0.8, 0.75], np.float32)
    before = (x.copy(), x_hat.copy())
    ql.metrics(x, x_hat, ql.choose_qparams(x))
    assert np.array_equal(x, before[0]) and np.array_equal(x_hat, before[1])


# Magnitudes stay well inside float32's normal range: dequantize returns float32, so a
# float64 subnormal like 2e-313 would reconstruct as 0.
finite_vectors = hnp.arrays(
    np.float64, st.integers(2, 200),
    elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e4), st.floats(-1e4, -1e-6)),
)


@settings(max_examples=40, deadline=None)
@given(x=finite_vectors, b=st.sampled_from([2, 3, 4, 5]))
def test_more_bits_on_a_nested_grid_never_increase_mse(x, b):
    """Symmetric minmax per-tensor: the b-bit levels k * amax / (2^(b-1) - 1) are a subset of
    the b'-bit levels whenever (b - 1) divides (b' - 1), so the nearest level is never farther.

    (For arbitrary bit pairs this is false: [0, 1/3, 2/3, 1] is exact with unsigned 2-bit
    codes but not with 3-bit ones.)
    """
    finer = 2 * b - 1  # (b - 1) divides (2b - 2)
    mse = []
    for bits in (b, finer):
        qp = ql.choose_qparams(x, bits=bits, symmetric=True, narrow_range=True)
        # Reconstruct in float64 so that float32 rounding cannot blur the comparison.
        x_hat = ql.quantize(x, qp).astype(np.float64) * qp.scale
        mse.append(ql.metrics(x, x_hat)["mse"])
    amax = float(np.abs(x).max())
    assert mse[1] <= mse[0] * (1 + 1e-9) + (amax * 1e-12) ** 2


@settings(max_examples=40, deadline=None)
@given(x=finite_vectors, bits=st.integers(2, 12), symmetric=st.booleans())
def test_minmax_error_is_within_half_a_step_and_nothing_is_clipped(x, bits, symmetric):
    qp = ql.choose_qparams(x, bits=bits, symmetric=symmetric)
    m = ql.metrics(x, ql.fake_quantize(x, qp), qp)
    amax = float(np.abs(x).max())
    assert m["max_abs_error"] <= qp.scale / 2 + amax * 2.0**-22
    assert m["clipped_fraction"] == 0.0
    assert m["mse"] <= m["max_abs_error"] ** 2 * (1 + 1e-12)
    assert m["mae"] <= m["max_abs_error"] * (1 + 1e-12)


def test_the_unsigned_counterexample_to_monotone_mse():
    x = np.array([0.0, 1 / 3, 2 / 3, 1.0])
    mse = {b: ql.metrics(x, ql.fake_quantize(x, ql.choose_qparams(x, bits=b, signed=False)))
           ["mse"] for b in (2, 3)}
    assert mse[2] < 1e-12 < mse[3]


# --- clipped_fraction ----------------------------------------------------------------

def test_clipped_fraction_docstring_example():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    assert ql.clipped_fraction([0.3, 0.6, -0.3, 2.0], qp) == 0.25


@pytest.mark.parametrize(("narrow", "expected"), [(True, 2 / 5), (False, 1 / 5)],
                         ids=["narrow", "full"])
def test_clipped_fraction_counts_values_beyond_half_a_step_past_the_outer_levels(narrow,
                                                                                 expected):
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True, narrow_range=narrow)
    s = qp.scale
    # Outer levels: +127 s = 1 and -127 s (narrow) or -128 s (full range).
    x = [1 + 0.4 * s, 1 + 0.6 * s, -1 - 0.6 * s, -1 - 0.4 * s, 0.0]
    assert ql.clipped_fraction(x, qp) == pytest.approx(expected)


def test_a_value_exactly_half_a_step_past_the_end_is_not_clipped():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True, narrow_range=True)
    # 127.5 s rounds onto 128 and clips to 127, but its error is exactly s/2, as rounding's.
    assert ql.clipped_fraction([(qp.qmax + 0.5) * qp.scale], qp) == 0.0


def test_clipped_fraction_affine_uses_the_zero_point():
    qp = ql.qparams_from_range(0.0, 2.55, bits=8, signed=False)  # levels 0, 0.01, ..., 2.55
    assert (qp.zero_point, qp.scale) == (0, pytest.approx(0.01))
    x = [-0.006, -0.004, 2.554, 2.556, 1.0]
    assert ql.clipped_fraction(x, qp) == pytest.approx(2 / 5)


def test_clipped_fraction_ignores_nan_and_counts_inf():
    qp = ql.qparams_from_range(-1.0, 1.0)
    assert ql.clipped_fraction([np.nan, np.inf, -np.inf, 0.0], qp) == 0.5


def test_clipped_fraction_of_an_empty_tensor_is_zero():
    assert ql.clipped_fraction(np.array([]), ql.qparams_from_range(-1.0, 1.0)) == 0.0


def _per_element_bounds(x, qp):
    """Lower and upper clip thresholds for every element, from the QParams layout."""
    scale = np.asarray(qp.scale, np.float64)
    zero = np.asarray(qp.zero_point, np.float64)
    layout = qp.layout
    if layout.granularity == "channel":
        shape = [1] * x.ndim
        shape[layout.axis] = -1
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    elif layout.granularity == "group":
        scale, zero = (np.repeat(p, layout.group_size, axis=layout.axis) for p in (scale, zero))
        cut = tuple(slice(0, n) for n in x.shape)
        scale, zero = scale[cut], zero[cut]
    lo = (qp.qmin - 0.5 - zero) * scale
    hi = (qp.qmax + 0.5 - zero) * scale
    return np.broadcast_to(lo, x.shape), np.broadcast_to(hi, x.shape)


@pytest.mark.parametrize("layout", [
    Layout.tensor(), Layout.channel(0), Layout.channel(1), Layout.group(4, axis=1),
    Layout.group(3, axis=0),
], ids=["tensor", "channel-axis0", "channel-axis1", "group4-axis1", "group3-axis0-partial"])
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_clipped_fraction_per_layout_matches_an_independent_count(layout, symmetric):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 10))
    # Calibrate on a shrunken copy so that some values of x fall outside their range.
    qp = ql.choose_qparams(0.5 * x, bits=4, symmetric=symmetric, layout=layout)
    lo, hi = _per_element_bounds(x, qp)
    expected = np.mean((x < lo) | (x > hi))
    assert 0 < expected < 1
    assert ql.clipped_fraction(x, qp) == pytest.approx(expected)
    # The same values are the ones whose error exceeds half their step.
    err = np.abs(ql.fake_quantize(x, qp) - x)
    step = (hi - lo) / (qp.qmax - qp.qmin + 1)
    assert np.mean(err > step / 2 + 1e-6) == pytest.approx(expected)


# --- bits_per_value and block_bits ---------------------------------------------------

def test_bits_per_value_docstring_example():
    qp = ql.qparams_from_range(np.full(2, -1.0), np.full(2, 1.0), bits=4, symmetric=True)
    assert ql.bits_per_value(qp, 128) == 4.5


@pytest.mark.parametrize(("symmetric", "bits", "size", "expected"), [
    (True, 8, 1000, 8 + 32 / 1000),
    (False, 8, 1000, 8 + (32 + 8) / 1000),
    (False, 4, 16, 4 + (32 + 4) / 16),
    (True, 2, 1, 2 + 32),
], ids=["sym-int8", "affine-int8", "affine-int4", "single-value"])
def test_bits_per_value_per_tensor(symmetric, bits, size, expected):
    qp = ql.qparams_from_range(-1.0, 1.0, bits=bits, symmetric=symmetric)
    assert ql.bits_per_value(qp, size) == pytest.approx(expected)


@pytest.mark.parametrize(("granularity", "pairs"), [("channel", 4), ("group", 4 * 3)],
                         ids=["channel", "group"])
@pytest.mark.parametrize("symmetric", [False, True], ids=["affine", "symmetric"])
def test_bits_per_value_counts_one_scale_per_pair(granularity, pairs, symmetric):
    x = np.random.default_rng(0).normal(size=(4, 10))
    qp = ql.choose_qparams(x, bits=4, symmetric=symmetric, granularity=granularity, axis=0
                           if granularity == "channel" else 1, group_size=4)
    assert qp.num_params == pairs
    zero_bits = 0 if symmetric else 4
    assert ql.bits_per_value(qp, x.size) == pytest.approx(4 + pairs * (32 + zero_bits) / 40)


@pytest.mark.parametrize("size", [0, -5], ids=["zero", "negative"])
def test_bits_per_value_needs_a_positive_size(size):
    with pytest.raises(ValueError, match=f"size must be an integer >= 1, got {size}"):
        ql.bits_per_value(ql.qparams_from_range(-1.0, 1.0), size)


@pytest.mark.parametrize(("bits", "block", "kwargs", "expected"), [
    (4, 64, {}, 4.5), (8, 256, {}, 8 + 32 / 256), (4, 64, {"scale_bits": 16}, 4.25),
    (3, 1, {}, 35.0),
], ids=["nf4-qlora", "int8-256", "fp16-scale", "block-of-one"])
def test_block_bits(bits, block, kwargs, expected):
    assert block_bits(bits, block, **kwargs) == pytest.approx(expected)


@pytest.mark.parametrize("block", [0, -64], ids=["zero", "negative"])
def test_block_bits_needs_a_positive_block(block):
    match = f"block_size must be an integer from 1 to .*, got {block}"
    with pytest.raises(ValueError, match=match):
        block_bits(4, block)


def test_block_bits_agrees_with_bits_per_value_for_per_group_absmax():
    x = np.random.default_rng(1).normal(size=(2, 128))
    qp = ql.choose_qparams(x, bits=4, symmetric=True, granularity="group", axis=1,
                           group_size=64)
    assert ql.bits_per_value(qp, x.size) == pytest.approx(block_bits(4, 64))


# --- model memory: seed 002's FP16 VRAM table ----------------------------------------

# "VRAM Usage: Model Size * 2 (Loading with FP16)", copied from seed 002.
SEED002_VRAM_GB = [("GPT-3", 175, 350), ("BLOOM", 176, 352), ("Llama-2-70B", 70, 140),
                   ("Mistral 7B", 7, 14)]


def test_bytes_per_gb_is_decimal():
    # 175e9 parameters x 2 bytes = 350 GB only with decimal gigabytes.
    assert BYTES_PER_GB == 10**9


@pytest.mark.parametrize(("model", "billions", "gb"), SEED002_VRAM_GB,
                         ids=[row[0] for row in SEED002_VRAM_GB])
def test_seed_002_fp16_vram_table(model, billions, gb):
    assert ql.memory_bytes(billions * 1e9, 16) == gb * BYTES_PER_GB
    assert memory_gb(billions * 1e9, 16) == gb


def test_memory_bytes_of_zero_parameters_is_zero():
    assert ql.memory_bytes(0, 4) == 0.0


@pytest.mark.parametrize(("num_params", "bits"), [
    (7e9, 1), (7e9, 64), (7e9, 4.5), (np.int64(7_000_000_000), np.float32(16.0)), (10**15, 2),
], ids=["one-bit", "float64-wide", "nf4-fraction", "numpy-scalars", "python-int"])
def test_memory_bytes_accepts_the_storage_bit_range(num_params, bits):
    assert ql.memory_bytes(num_params, bits) == float(num_params) * float(bits) / 8


@pytest.mark.parametrize(("num_params", "bits", "error", "match"), [
    (-1, 16, ValueError, "num_params must be a finite number >= 0, got -1"),
    (math.nan, 16, ValueError, "num_params must be a finite number >= 0, got nan"),
    (math.inf, 16, ValueError, "num_params must be a finite number >= 0, got inf"),
    ("7e9", 16, TypeError, "num_params must be a finite number >= 0, got '7e9'"),
    (7e9, 0, ValueError, "bits_per_param must be a finite number from 1 to 64, got 0"),
    (7e9, -4, ValueError, "bits_per_param must be a finite number from 1 to 64, got -4"),
    (7e9, math.nan, ValueError, "bits_per_param must be a finite number from 1 to 64, got nan"),
    (7e9, 0.5, ValueError, "bits_per_param must be a finite number from 1 to 64, got 0.5"),
    (7e9, 65, ValueError, "bits_per_param must be a finite number from 1 to 64, got 65"),
    (7e9, True, TypeError, "bits_per_param must be a finite number from 1 to 64, got True"),
], ids=["negative-params", "nan-params", "inf-params", "string-params", "zero-bits",
        "negative-bits", "nan-bits", "half-bit", "65-bits", "bool-bits"])
def test_memory_bytes_rejects_bad_arguments(num_params, bits, error, match):
    with pytest.raises(error, match=match):
        ql.memory_bytes(num_params, bits)
    with pytest.raises(error, match=match):
        memory_gb(num_params, bits)


@pytest.mark.parametrize(("x", "x_hat", "sqnr", "cosine"), [
    ([1e200, 1.0], [1e200, 1.0], math.inf, 1.0),
    ([1e200, 1.0], [-1e200, 1.0], 10 * math.log10(1 / 4), -1.0),
    ([1e100, 2e100], [1e100, 2.1e100], 10 * math.log10(5 / 0.01), None),
], ids=["exact", "negated", "slightly-off"])
def test_huge_finite_values_give_finite_metrics_without_warnings(x, x_hat, sqnr, cosine):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = ql.metrics(np.array(x), np.array(x_hat))
    assert m["sqnr_db"] == pytest.approx(sqnr)
    if cosine is not None:
        assert m["cosine"] == pytest.approx(cosine)
    assert -1.0 <= m["cosine"] <= 1.0
    assert math.isfinite(m["max_abs_error"]) and math.isfinite(m["mae"])
