"""The seed documents' worked examples (DESIGN.md, "Seed examples"), reproduced exactly.

Every expected code below is a literal copied from the seed documents in ../shared/seeds/
(or, for seed 001, whose article prints no output, computed by a plain-numpy transcription
of its PyTorch code written here), never recomputed by quantlib.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from lessons import uniform
from quantlib import Layout
from quantlib.presets import SeedExample

# --- the seeds' inputs, transcribed from the documents --------------------------------

SEED000_X = [-1.8, -1.0, 0.0, 0.5]
SEED002_X = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2]
SEED002_OUTLIER_X = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99.0, 0.2]
SEED003_X = [-2.5, -1.0, 0.0, 1.0, 3.5]
SEED003_GROUPS = [[30.0, 10.0, 20.0, 30.0], [0.0, 2.0, 2.0, 0.0]]
SEED001_W_4X4 = [
    [2.158, 19.568, 20.41, 44.25],
    [0.142, 0.45, 2.158, 0.37],
    [99.14, 18.56, 45.25, 0.25],
    [10.2, 9.45, 6.57, 7.85],
]
SEED001_W_2X10 = [
    [43.91, -44.93, 0, 22.99, -43.93, -11.35, 38.48, -20.49, -38.61, -28.02],
    [56.45, 0, 125, 22, 154, 0.15, -125, 256, 36, -365],
]

# --- the codes the seeds print ---------------------------------------------------------

SEED000_Q = [-128, -39, 72, 127]
SEED000_X_HAT = [-1.803921568627451, -1.0011764705882353, 0.0, 0.49607843137254903]
SEED002_SYM_Q = [48, 95, -48, -79, 0, 111, -127, 32]
SEED002_AFFINE_Q = [59, 110, -43, -77, 8, 127, -128, 42]
SEED002_AFFINE_X_HAT = [0.30, 0.60, -0.30, -0.50, 0.0, 0.70, -0.80, 0.20]  # 2 decimals
SEED002_OUTLIER_Q = [0, 1, 0, -1, 0, 1, -127, 0]
SEED003_SYM_Q = [-91, -36, 0, 36, 127]
SEED003_HALF_AWAY_Q = [0, 63, 106, 149, 255]
SEED003_HALF_EVEN_Q = [0, 64, 106, 148, 255]

# Seed 001's PyTorch code run on its own matrices (see seed001_reference below).
SEED001_ASYM_Q = [[0, 106, 111, 255], [0, 39, 255, 29], [255, 47, 116, 0], [255, 202, 0, 89]]
SEED001_ASYM_ZERO = [-13, -18, -1, -462]
SEED001_SYM_Q = [
    [124, -127, 0, 65, -124, -32, 109, -58, -109, -79],
    [20, 0, 43, 8, 54, 0, -43, 89, 13, -127],
]


def test_preset_tensors_are_the_seeds_numbers():
    expected = {
        "seed000_vector": SEED000_X, "seed002_vector": SEED002_X,
        "seed002_outlier": SEED002_OUTLIER_X, "seed003_vector": SEED003_X,
        "seed003_groups": SEED003_GROUPS, "seed001_matrix_4x4": SEED001_W_4X4,
        "seed001_matrix_2x10": SEED001_W_2X10, "seed003_kl": (0.1, 0.15, 0.2, 5.0),
    }
    assert set(ql.SEED_TENSORS) == set(expected) | {"seed003_percentile"}
    for name, values in expected.items():
        assert np.array_equal(np.asarray(ql.SEED_TENSORS[name]), np.asarray(values)), name
        t = ql.seed_tensor(name)
        assert t.dtype == np.float32
        assert np.array_equal(t, np.asarray(values, dtype=np.float32)), name


def test_seed_003_percentile_tensor_has_the_seeds_percentiles():
    """Seed 003 prints only clip(x, -0.2, 0.3) from the 1st and 99th percentiles; the
    reconstructed vector has exactly those, and two outliers beyond them."""
    x = ql.seed_tensor("seed003_percentile")
    assert x.size == 101
    np.testing.assert_array_equal(np.percentile(x, [1, 99]), np.float32([-0.2, 0.3]))
    assert x.min() < -0.2 and x.max() > 0.3


def test_seed_tensor_rejects_unknown_names():
    match = r"name must be one of 'seed000_vector', .*, got 'seed999'"
    with pytest.raises(ValueError, match=match):
        ql.seed_tensor("seed999")


# --- each row of the seed table, through quantlib's own functions ------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_seed_000_affine_int8_on_its_range(dtype):
    qp = ql.qparams_from_range(-1.8, 0.5, bits=8)
    assert qp.zero_point == 72
    assert (qp.qmin, qp.qmax) == (-128, 127)
    q = ql.quantize(np.array(SEED000_X, dtype=dtype), qp)
    assert q.dtype == np.int8
    assert q.tolist() == SEED000_Q
    assert ql.dequantize(q, qp) == pytest.approx(SEED000_X_HAT, rel=1e-6, abs=1e-7)


def test_seed_000_scale_is_the_inverse_of_the_articles_s():
    # The article's s = (2^b - 1) / (alpha - beta) is quantlib's 1 / scale.
    qp = ql.qparams_from_range(-1.8, 0.5, bits=8)
    assert 1 / qp.scale == pytest.approx(255 / 2.3, rel=1e-12)


@pytest.mark.parametrize("narrow", [True, False], ids=["narrow", "full-range"])
@pytest.mark.parametrize(("x", "expected"), [
    (SEED002_X, SEED002_SYM_Q), (SEED002_OUTLIER_X, SEED002_OUTLIER_Q),
    (SEED003_X, SEED003_SYM_Q),
], ids=["seed002", "seed002-outlier", "seed003"])
def test_symmetric_int8_minmax_rows(x, expected, narrow):
    # The seeds divide by 127 either way (DESIGN: scale = max|x| / (2^(b-1) - 1)).
    qp = ql.choose_qparams(np.array(x, np.float32), bits=8, symmetric=True, method="minmax",
                           narrow_range=narrow)
    assert qp.zero_point == 0
    assert qp.scale == pytest.approx(max(abs(v) for v in x) / 127, rel=1e-7)
    assert ql.quantize(np.array(x, np.float32), qp).tolist() == expected


def test_seed_002_symmetric_scale_is_one_over_158_75():
    qp = ql.choose_qparams(np.array(SEED002_X), symmetric=True)
    assert 1 / qp.scale == pytest.approx(158.75)


def test_seed_002_affine_int8_minmax():
    x = np.array(SEED002_X, np.float32)
    qp = ql.choose_qparams(x, bits=8, method="minmax")
    assert qp.zero_point == 8
    assert 1 / qp.scale == pytest.approx(170.0, rel=1e-6)  # the slide's 1/S = 255 / 1.5
    q = ql.quantize(x, qp)
    assert q.tolist() == SEED002_AFFINE_Q
    assert ql.dequantize(q, qp) == pytest.approx(SEED002_AFFINE_X_HAT, abs=0.005)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("rounding", "expected"), [
    ("half_away", SEED003_HALF_AWAY_Q), ("half_even", SEED003_HALF_EVEN_Q),
], ids=["half_away", "half_even"])
def test_seed_003_affine_uint8_rounding_mode_matters(rounding, expected, dtype):
    x = np.array(SEED003_X, dtype=dtype)
    qp = ql.choose_qparams(x, bits=8, signed=False, method="minmax")
    assert (qp.qmin, qp.qmax, qp.zero_point) == (0, 255, 106)
    q = ql.quantize(x, qp, rounding=rounding)
    assert q.dtype == np.uint8
    assert q.tolist() == expected


def test_seed_003_the_two_rounding_modes_differ_exactly_on_the_ties():
    x = np.array(SEED003_X)
    qp = ql.choose_qparams(x, signed=False)
    # -1.0 / (6 / 255) = -42.5 and 1.0 / (6 / 255) = 42.5: exact ties.
    assert x[1] / qp.scale == -42.5 and x[3] / qp.scale == 42.5
    away = ql.quantize(x, qp, rounding="half_away")
    even = ql.quantize(x, qp, rounding="half_even")
    assert (away != even).tolist() == [False, True, False, True, False]
    assert (away[1], even[1], away[3], even[3]) == (63, 64, 149, 148)


def test_seed_003_toy_example_rounds_1_33_to_2_not_0():
    # dt2 = {0, 2, 4}: the seed rounds 1.33 to 0, but 2 is nearer (the app says so).
    qp = ql.QParams(scale=2.0, zero_point=0, qmin=0, qmax=2, bits=2, symmetric=True,
                    signed=False)
    scaled = np.array([4.0, 4 / 3, 8 / 3, 4.0])
    assert ql.fake_quantize(scaled, qp).tolist() == [4.0, 2.0, 2.0, 4.0]


def test_seed_003_groups_per_tensor_loses_group_b_and_per_row_keeps_it():
    x = np.array(SEED003_GROUPS)
    per_tensor = ql.choose_qparams(x, bits=4, symmetric=True, narrow_range=True)
    per_row = ql.choose_qparams(x, bits=4, symmetric=True, narrow_range=True,
                                granularity="channel", axis=0)
    # Hand arithmetic: scale = amax / 7, q = round(x / scale).
    assert per_tensor.scale == pytest.approx(30 / 7)
    assert per_row.scale.tolist() == pytest.approx([30 / 7, 2 / 7])
    assert ql.quantize(x, per_tensor).tolist() == [[7, 2, 5, 7], [0, 0, 0, 0]]
    assert ql.quantize(x, per_row).tolist() == [[7, 2, 5, 7], [0, 7, 7, 0]]


# --- seed 001: an independent numpy transcription of the article's PyTorch code ---------

def seed001_asymmetric(weight_matrix, bits, dtype):
    """``asymmetric_quantization`` from seed 001, line by line, in numpy."""
    w = np.asarray(weight_matrix, dtype=dtype)
    alphas = w.max(axis=-1)[:, None]
    betas = w.min(axis=-1)[:, None]
    scale = (alphas - betas) / dtype(2**bits - 1)
    zero = -1 * np.round(betas / scale)
    lower_bound, upper_bound = 0, 2**bits - 1
    w = np.round(w / scale + zero)
    w[w < lower_bound] = lower_bound
    w[w > upper_bound] = upper_bound
    return w.astype(np.uint8), scale.ravel(), zero.ravel()


def seed001_symmetric(weight_matrix, bits, dtype):
    """``symmetric_quantization`` from seed 001, line by line, in numpy."""
    w = np.asarray(weight_matrix, dtype=dtype)
    alphas = np.abs(w).max(axis=-1)[:, None]
    scale = alphas / dtype(2 ** (bits - 1) - 1)
    lower_bound, upper_bound = -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    w = np.round(w / scale)
    w[w < lower_bound] = lower_bound
    w[w > upper_bound] = upper_bound
    return w.astype(np.int8), scale.ravel()


def float32_tensor(values):
    """``torch.tensor(w)``: float32, then (for the float64 reference) widened exactly."""
    return np.asarray(values, dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["torch-float32", "float64"])
def test_seed_001_reference_gives_the_hardcoded_codes(dtype):
    w4 = float32_tensor(SEED001_W_4X4).astype(dtype)
    q, _, zero = seed001_asymmetric(w4, 8, dtype)
    assert q.tolist() == SEED001_ASYM_Q
    assert zero.tolist() == SEED001_ASYM_ZERO
    w2 = float32_tensor(SEED001_W_2X10).astype(dtype)
    assert seed001_symmetric(w2, 8, dtype)[0].tolist() == SEED001_SYM_Q


@pytest.mark.parametrize("source", ["preset", "transcribed"])
def test_seed_001_per_row_affine_uint8_without_zero(source):
    w = (ql.seed_tensor("seed001_matrix_4x4") if source == "preset"
         else float32_tensor(SEED001_W_4X4))
    qp = ql.choose_qparams(w, bits=8, symmetric=False, signed=False, method="minmax",
                           granularity="channel", axis=0, include_zero=False)
    q = ql.quantize(w, qp)
    ref_q, ref_scale, ref_zero = seed001_asymmetric(w.astype(np.float64), 8, np.float64)
    _, ref_scale32, _ = seed001_asymmetric(w, 8, np.float32)
    assert q.dtype == np.uint8
    assert np.array_equal(q, ref_q)
    assert q.tolist() == SEED001_ASYM_Q
    assert np.array_equal(qp.scale, ref_scale)  # same formula in float64: bit-identical
    assert qp.scale == pytest.approx(ref_scale32, rel=1e-7)  # torch's float32 scale
    assert qp.zero_point.tolist() == ref_zero.tolist() == SEED001_ASYM_ZERO
    # Not clipped into [0, 255]: the last row's zero point lies far below qmin.
    assert qp.zero_point[3] < qp.qmin


@pytest.mark.parametrize("source", ["preset", "transcribed"])
def test_seed_001_per_row_symmetric_int8_narrow(source):
    w = (ql.seed_tensor("seed001_matrix_2x10") if source == "preset"
         else float32_tensor(SEED001_W_2X10))
    qp = ql.choose_qparams(w, bits=8, symmetric=True, narrow_range=True, method="minmax",
                           granularity="channel", axis=0)
    q = ql.quantize(w, qp)
    ref_q, ref_scale = seed001_symmetric(w.astype(np.float64), 8, np.float64)
    _, ref_scale32 = seed001_symmetric(w, 8, np.float32)
    assert (qp.qmin, qp.qmax) == (-127, 127)
    assert q.dtype == np.int8
    assert np.array_equal(q, ref_q)
    assert q.tolist() == SEED001_SYM_Q
    assert np.array_equal(qp.scale, ref_scale)
    assert qp.scale == pytest.approx(ref_scale32, rel=1e-7)
    assert qp.zero_point.tolist() == [0, 0]


def test_seed_001_per_row_is_per_row_slices():
    # Each row quantized alone, per tensor, gives the same codes as per-channel axis 0.
    w = ql.seed_tensor("seed001_matrix_4x4")
    for row, expected in zip(w, SEED001_ASYM_Q, strict=True):
        qp = ql.choose_qparams(row, signed=False, include_zero=False)
        assert ql.quantize(row, qp).tolist() == expected


# --- presets.SEED_EXAMPLES ---------------------------------------------------------------

# name -> (the seed's printed codes, the zero point), literals from the seed documents.
PRINTED = {
    "seed000_affine": (SEED000_Q, 72),
    "seed002_symmetric": (SEED002_SYM_Q, 0),
    "seed002_affine": (SEED002_AFFINE_Q, 8),
    "seed002_outlier": (SEED002_OUTLIER_Q, 0),
    "seed003_symmetric": (SEED003_SYM_Q, 0),
    "seed003_affine_half_away": (SEED003_HALF_AWAY_Q, 106),
    "seed003_affine_half_even": (SEED003_HALF_EVEN_Q, 106),
}
# Examples whose seed prints no codes: what quantlib must give, from the tests above.
UNPRINTED = {
    "seed003_groups": [[7, 2, 5, 7], [0, 7, 7, 0]],
    "seed001_asymmetric_rows": SEED001_ASYM_Q,
    "seed001_symmetric_rows": SEED001_SYM_Q,
}


def test_seed_examples_cover_every_seed_table_row():
    assert set(ql.SEED_EXAMPLES) == set(PRINTED) | set(UNPRINTED)
    for name, ex in ql.SEED_EXAMPLES.items():
        assert isinstance(ex, SeedExample)
        assert ex.tensor_name in ql.SEED_TENSORS, name
        assert name.startswith(f"seed{ex.seed}_"), name


def quantize_example(ex):
    x = ex.tensor()
    qp = ql.choose_qparams(x, **ex.qparams_kwargs())
    return qp, ql.quantize(x, qp, rounding=ex.rounding)


@pytest.mark.parametrize("name", list(PRINTED))
def test_seed_example_reproduces_the_printed_codes(name):
    ex = ql.SEED_EXAMPLES[name]
    expected_q, expected_zero = PRINTED[name]
    assert list(ex.expected_q) == expected_q
    assert ex.expected_zero_point == expected_zero
    qp, q = quantize_example(ex)
    assert q.tolist() == expected_q
    assert qp.zero_point == expected_zero
    assert ex.matches(q) is True


@pytest.mark.parametrize("name", list(UNPRINTED))
def test_seed_example_without_printed_codes(name):
    ex = ql.SEED_EXAMPLES[name]
    assert ex.expected_q is None and ex.expected_zero_point is None
    qp, q = quantize_example(ex)
    assert q.tolist() == UNPRINTED[name]
    assert ex.matches(q) is None


@pytest.mark.parametrize("name", list(PRINTED))
def test_seed_example_through_the_uniform_report(name):
    ex = ql.SEED_EXAMPLES[name]
    kwargs = {k: v for k, v in ex.qparams_kwargs().items() if k != "method"}
    r = uniform.report(ex.tensor(), uniform.Settings(rounding=ex.rounding, **kwargs))
    assert r.table["q"].tolist() == PRINTED[name][0]


def test_seed_003_presets_differ_only_in_rounding():
    away = ql.SEED_EXAMPLES["seed003_affine_half_away"]
    even = ql.SEED_EXAMPLES["seed003_affine_half_even"]
    assert (away.rounding, even.rounding) == ("half_away", "half_even")
    assert away.qparams_kwargs() == even.qparams_kwargs()
    _, q_away = quantize_example(away)
    _, q_even = quantize_example(even)
    # Each example's codes fail the other's check: the rounding mode matters.
    assert away.matches(q_even) is False and even.matches(q_away) is False


def test_matches_compares_the_head_in_flat_order():
    ex = ql.SEED_EXAMPLES["seed003_symmetric"]
    assert ex.matches(np.array(SEED003_SYM_Q + [5, 6])) is True
    assert ex.matches(np.array(SEED003_SYM_Q).reshape(1, 5)) is True
    assert ex.matches([-91, -36, 0, 36, 126]) is False
    assert ex.matches(SEED003_SYM_Q[:4]) is False


def test_qparams_kwargs_use_minmax_and_the_examples_scheme():
    ex = ql.SEED_EXAMPLES["seed001_asymmetric_rows"]
    assert ex.qparams_kwargs() == dict(
        bits=8, symmetric=False, signed=False, narrow_range=False, layout=Layout.channel(0),
        include_zero=False, method="minmax")


@pytest.mark.parametrize(("name", "layout"), [
    ("seed000_affine", Layout.tensor()), ("seed003_groups", Layout.channel(0)),
    ("seed001_asymmetric_rows", Layout.channel(0)), ("seed001_symmetric_rows", Layout.channel(0)),
], ids=["per-tensor", "seed003-rows", "seed001-asymmetric-rows", "seed001-symmetric-rows"])
def test_seed_examples_carry_their_layout(name, layout):
    ex = ql.SEED_EXAMPLES[name]
    assert ex.layout == layout
    qp, _ = quantize_example(ex)
    assert qp.layout == layout


def test_seed_examples_are_frozen():
    ex = ql.SEED_EXAMPLES["seed000_affine"]
    with pytest.raises(AttributeError):
        ex.bits = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        ql.SEED_EXAMPLES["new"] = ex  # type: ignore[index]
