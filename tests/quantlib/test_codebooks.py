"""quantlib.codebooks: level sets, nearest-level quantization, block scaling, block formats.

Every check compares against an oracle written here, independently of the module: the
published NF4 table, the formats' codes enumerated with ml_dtypes, a brute-force argmin
over |x - level|, and per-block Python loops that follow the OCP MX v1.0 and NVFP4 recipes
line by line.
"""

from __future__ import annotations

import itertools
import math

import ml_dtypes
import numpy as np
import pytest

import quantlib as ql
from quantlib._validate import ParameterError, ParameterTypeError
from quantlib.codebooks import (
    BLOCK_FORMATS,
    DATA_KINDS,
    KINDS,
    binary_alphas,
    bits_allowed,
    block_quantize,
    blockwise,
    code_bits,
    codebook,
    codebook_max,
    dequantize_codebook,
    lloyd_max,
    quantile_bins,
    quantize_to_codebook,
    thresholds,
)

# bitsandbytes' NF4 table (QLoRA, Appendix E), as published: the oracle for the NF4 levels.
NF4_PUBLISHED = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]
FP_DTYPES = {"fp4_e2m1": (ml_dtypes.float4_e2m1fn, 4, 15),
             "fp8_e4m3": (ml_dtypes.float8_e4m3fn, 8, 253),
             "fp8_e5m2": (ml_dtypes.float8_e5m2, 8, 247)}


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def nearest(y, levels) -> np.ndarray:
    """Brute force: the index of the level nearest each value (the first on a tie)."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    levels = np.asarray(levels, dtype=np.float64)
    return np.argmin(np.abs(y[:, None] - levels[None, :]), axis=1)


def finite_values(fmt: str) -> list[float]:
    """Every finite value of a format, code by code, -0 and +0 as one."""
    dtype, bits, _ = FP_DTYPES[fmt]
    values = set()
    for code in range(1 << bits):
        value = float(np.array([code], np.uint8).view(dtype)[0])
        if math.isfinite(value):
            values.add(value + 0.0)
    return sorted(values)


def to_format(values, dtype) -> np.ndarray:
    """Round to nearest even in ``dtype``, saturating at its max, as float64."""
    top = float(ml_dtypes.finfo(dtype).max)
    return np.clip(np.asarray(values, np.float64), -top, top).astype(dtype).astype(np.float64)


# --- the data-free codebooks -------------------------------------------------------------


def test_nf4_matches_the_published_table():
    levels = codebook("nf4")
    assert levels.dtype == np.float64 and levels.size == 16
    np.testing.assert_allclose(levels, NF4_PUBLISHED, rtol=0, atol=1e-6)
    # 0 is a level exactly, and so are both ends; 8 levels above 0 and 7 below.
    assert levels[7] == 0.0 and levels[0] == -1.0 and levels[-1] == 1.0
    assert (levels > 0).sum() == 8 and (levels < 0).sum() == 7


def test_nf4_zero_weights_come_back_exactly():
    x = rng().standard_normal(256).astype(np.float32)
    x[::5] = 0.0
    x[-37:] = 0.0  # a whole block of zeros and the short last block's padding
    r = blockwise(x[:-1], codebook("nf4"), block_size=64)
    assert np.all(r.x_hat[x[:-1] == 0] == 0.0)
    assert not np.signbit(r.x_hat[x[:-1] == 0]).any()


def expected_dynamic(signed: bool) -> list[float]:
    """bitsandbytes' dynamic map by its definition: decade 10^(e-6) for e = 0..6 holds n
    values (n = 2^e signed, 2^(e+1) unsigned), the midpoints of n equal steps on [0.1, 1]."""
    values = [0.0, 1.0]
    for e in range(7):
        n = 2**e if signed else 2 ** (e + 1)
        for j in range(n):
            value = (0.1 + (j + 0.5) * 0.9 / n) * 10.0 ** (e - 6)
            values += [value, -value] if signed else [value]
    return sorted(values)


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_dynamic_map_is_bitsandbytes_tree(signed):
    levels = codebook("dynamic", signed=signed)
    assert levels.size == 256 and np.all(np.diff(levels) > 0)
    np.testing.assert_allclose(levels, expected_dynamic(signed), rtol=1e-12, atol=0)
    assert levels[-1] == 1.0
    if signed:
        assert levels[0] > -1.0 and -1.0 not in levels  # +1 but no -1
    else:
        assert levels[0] == 0.0


@pytest.mark.parametrize("fmt", list(FP_DTYPES))
def test_fp_grids_are_every_finite_value_of_the_format(fmt):
    levels = codebook(fmt)
    assert levels.tolist() == finite_values(fmt)
    assert levels.size == FP_DTYPES[fmt][2]
    assert not np.signbit(levels[levels == 0]).any()
    assert codebook_max(levels) == float(ml_dtypes.finfo(FP_DTYPES[fmt][0]).max)


@pytest.mark.parametrize("bits", range(2, 9))
def test_uniform_and_log2_levels(bits):
    top = 2 ** (bits - 1) - 1
    assert codebook("uniform", bits=bits).tolist() == sorted(k / top for k in range(-top, top + 1))
    powers = [2.0**-k for k in range(2 ** (bits - 1) - 1)]
    assert codebook("log2", bits=bits).tolist() == sorted([0.0] + powers + [-p for p in powers])
    assert codebook("uniform", bits=bits).size == codebook("log2", bits=bits).size == 2**bits - 1


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_sorted_distinct_float64(kind):
    x = rng(1).standard_normal(5000) if kind in DATA_KINDS else None
    levels = codebook(kind, x=x)
    assert levels.dtype == np.float64 and levels.ndim == 1
    assert np.all(np.diff(levels) > 0) and np.isfinite(levels).all()
    if kind in ("uniform", "log2", "nf4", "dynamic"):
        assert codebook_max(levels) == 1.0
    if kind in DATA_KINDS:
        assert levels.size == 16  # bits=None is 4: 16 levels (binary: 4 terms)


def test_bits_allowed():
    assert bits_allowed("nf4") == bits_allowed("fp4_e2m1") == (4,)
    assert bits_allowed("fp8_e4m3") == bits_allowed("fp8_e5m2") == bits_allowed("dynamic") == (8,)
    for kind in ("uniform", "log2", "kmeans", "quantile"):
        assert bits_allowed(kind) == tuple(range(2, 9))
    assert bits_allowed("binary") == (1, 2, 3, 4)


# --- the codebooks fitted to data ----------------------------------------------------------


def test_kmeans_beats_uniform_absmax_at_the_same_bits():
    x = rng(2).standard_normal(200_000).astype(np.float32)
    # Uniform absmax int4 written out: scale amax / 7, codes -7..7.
    scale = np.abs(x).max() / 7
    uniform_hat = np.clip(np.round(x / scale), -7, 7) * scale
    levels = codebook("kmeans", bits=4, x=x)
    assert levels.size == 16
    kmeans_hat = levels[nearest(x, levels)]
    mse_uniform = np.mean((x - uniform_hat) ** 2)
    mse_kmeans = np.mean((x - kmeans_hat) ** 2)
    assert mse_kmeans <= mse_uniform
    assert mse_kmeans < 0.5 * mse_uniform  # by a wide margin on a normal tensor


@pytest.mark.parametrize("bits", range(2, 9))
def test_kmeans_is_no_worse_than_the_uniform_absmax_grid_at_every_width(bits):
    """Lloyd-Max also starts from an even grid and keeps the smaller error, so it never
    loses to uniform absmax quantization at the same bits (2^b - 1 levels k * amax / m,
    m = 2^(b-1) - 1). (From the quantile start alone, its rounds end above the uniform
    error at 7 and 8 bits on this tensor, 1.6 and 3.2 times it: the tails converge
    slowly.)"""
    x = ql.generate("normal", (64, 256)).astype(np.float64).reshape(-1)
    m = 2 ** (bits - 1) - 1
    grid = np.arange(-m, m + 1) * (np.abs(x).max() / m)
    mse_uniform = np.mean((x - grid[nearest(x, grid)]) ** 2)
    levels = codebook("kmeans", bits=bits, x=x)
    assert levels.size == 1 << bits
    mse_kmeans = np.mean((x - levels[nearest(x, levels)]) ** 2)
    assert mse_kmeans <= mse_uniform, (bits, mse_kmeans, mse_uniform)


def test_kmeans_converges_to_a_lloyd_fixed_point_within_the_cap():
    x = rng(3).standard_normal(100_000)
    result = lloyd_max(x, 16, max_iter=500)
    assert result.converged and 1 <= result.iterations <= 500
    # One more Lloyd round on the raw values (not the histogram) barely moves a level.
    cell = nearest(x, result.levels)
    again = np.array([x[cell == k].mean() for k in range(result.levels.size)])
    np.testing.assert_allclose(again, result.levels, atol=1e-3)
    # Max (1960)'s optimal 16 levels for N(0, 1): the MSE is as low, on this sample (the
    # levels themselves may drift: the MSE is flat along a common shift of all levels).
    half = np.array([0.1284, 0.3881, 0.6568, 0.9424, 1.2562, 1.6181, 2.0690, 2.7326])
    table = np.concatenate((-half[::-1], half))
    mse_table = np.mean((x - table[nearest(x, table)]) ** 2)
    assert np.mean((x - result.levels[cell]) ** 2) <= mse_table * (1 + 1e-3)


def test_kmeans_cap_is_respected():
    x = rng(3).standard_normal(10_000)
    result = lloyd_max(x, 16, max_iter=3, tol=0.0)
    assert result.iterations == 3 and not result.converged


def test_kmeans_on_few_distinct_values_gives_those_values():
    assert codebook("kmeans", bits=2, x=[1.0, 1.0, 2.0, 2.0, 3.0]).tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("n", [100_003, 64, 7], ids=["large", "exact", "fewer-than-bins"])
def test_quantile_bins_hold_equal_populations(n):
    x = rng(4).standard_normal(n)  # tie-free
    bins = quantile_bins(x, 16)
    # Oracle: bin of each value by its rank, ranks floor(i n / 16) up to the next.
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(x)] = np.arange(n)
    starts = sorted({i * n // 16 for i in range(16)})
    which = np.array([sum(1 for s in starts if s <= r) - 1 for r in rank.tolist()])
    counts = np.bincount(which, minlength=len(starts))
    assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert counts.tolist() == bins.counts.tolist()
    means = [x[which == i].mean() for i in range(counts.size)]
    np.testing.assert_allclose(bins.levels, means, rtol=1e-12)
    np.testing.assert_array_equal(codebook("quantile", bits=4, x=x), bins.levels)
    lows = [x[which == i].min() for i in range(counts.size)]
    tops = [x[which == i].max() for i in range(counts.size)]
    assert bins.edges.tolist() == [*lows, x.max()] and bins.tops.tolist() == tops
    # each value goes back to its own bin (so every bin keeps its population), and the
    # thresholds between the levels are the bins' tops
    assert bins.indices(x).tolist() == which.tolist()
    assert bins.thresholds().tolist() == tops[:-1]


def test_quantile_bins_send_values_between_and_beyond_the_bins():
    """[0, 1, 2, 9, 10, 11] in 3 bins: {0, 1}, {2, 9}, {10, 11}. A bin takes the values
    above the previous bin's top up to its own: a gap between two bins goes up, values
    beyond the data go to the outer bins."""
    bins = quantile_bins([11.0, 0.0, 9.0, 1.0, 2.0, 10.0], 3)
    assert bins.tops.tolist() == [1.0, 9.0, 11.0] and bins.levels.tolist() == [0.5, 5.5, 10.5]
    y = [-100.0, 0.0, 1.0, 1.5, 2.0, 5.0, 9.0, 9.5, 10.0, 11.0, 100.0]
    assert bins.indices(y).tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]


def test_quantile_bins_on_ties_pick_the_bin_that_fills_or_the_nearer_mean():
    """Copies of a value v in several bins: when whole bins hold nothing but v, v goes
    to them (their mean is v, exact); when only two neighbouring bins hold v, to the
    one whose mean is nearer v, the lower one on a tie of distances."""
    # ranks 0-3, 4-7, 8-11, 12-15: {0, 0, 0, 0}, {0, 0, 5, 5}, {5, 5, 5, 5}, {5, 5, 5, 9}:
    # 0 is in bins 0 and 1, and bin 0's mean (0) is nearer than bin 1's (2.5); 5 is in
    # bins 1 to 3 and fills bin 2
    x = np.repeat([0.0, 5.0, 9.0], [6, 9, 1])
    bins = quantile_bins(x, 4)
    assert bins.means.tolist() == [0.0, 2.5, 5.0, 6.0]
    assert bins.levels[bins.indices([0.0, 5.0, 9.0])].tolist() == [0.0, 5.0, 6.0]
    # two bins hold 1: {0, 0, 0, 1} and {1, 3, 3, 3}, means 0.25 and 2.5: the lower
    down = quantile_bins(np.repeat([0.0, 1.0, 3.0], [3, 2, 3]), 2)
    assert down.means.tolist() == [0.25, 2.5] and down.indices([1.0]).tolist() == [0]
    # {0, 0, 0, 1} and {1, 1.5, 1.5, 1.5}, means 0.25 and 1.375: the upper
    up = quantile_bins(np.repeat([0.0, 1.0, 1.5], [3, 2, 3]), 2)
    assert up.means.tolist() == [0.25, 1.375] and up.indices([1.0]).tolist() == [1]
    # {-1, -1, -1, 0} and {0, 1, 1, 1}, means -0.75 and 0.75: equally near, the lower
    tie = quantile_bins(np.repeat([-1.0, 0.0, 1.0], [3, 2, 3]), 2)
    assert tie.means.tolist() == [-0.75, 0.75] and tie.indices([0.0]).tolist() == [0]


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_data_kinds_on_a_float64_constant_that_does_not_sum_exactly(kind):
    x = np.full(1000, 0.1)
    levels = codebook(kind, x=x)  # the default bits, as test_data_kinds_on_constant_tensors
    assert levels.tolist() == ([-0.1, 0.1] if kind == "binary" else [0.1])


def test_quantile_with_ties_has_no_nan_and_distinct_levels():
    x = np.repeat([0.0, 1.0, 5.0], [900, 50, 50])
    levels = codebook("quantile", bits=3, x=x)
    assert np.isfinite(levels).all() and np.all(np.diff(levels) > 0)
    assert levels[0] == 0.0


def greedy_binary(x, terms):
    r = np.asarray(x, np.float64).reshape(-1).copy()
    alphas = []
    for _ in range(terms):
        a = np.abs(r).mean()
        b = np.where(r >= 0, 1.0, -1.0)
        r = r - a * b
        alphas.append(a)
    return alphas


@pytest.mark.parametrize("terms", [1, 2, 3, 4])
def test_binary_codes_are_greedy_sums(terms):
    x = rng(5).standard_normal((30, 40))
    alphas = greedy_binary(x, terms)
    np.testing.assert_allclose(binary_alphas(x, terms), alphas, rtol=1e-12)
    sums = sorted({sum(s * a for s, a in zip(signs, alphas, strict=True))
                   for signs in itertools.product((-1, 1), repeat=terms)})
    np.testing.assert_allclose(codebook("binary", bits=terms, x=x), sums, rtol=1e-12)
    assert codebook("binary", bits=terms, x=x).size == 2**terms


@pytest.mark.parametrize("kind", DATA_KINDS)
@pytest.mark.parametrize("value", [0.0, -2.5], ids=["zeros", "constant"])
def test_data_kinds_on_constant_tensors(kind, value):
    levels = codebook(kind, x=np.full(50, value))
    assert np.isfinite(levels).all()
    if kind == "binary" and value:
        assert levels.tolist() == [-2.5, 2.5]  # +-alpha_1, the other alphas are 0
    else:
        assert levels.tolist() == [value]


# --- nearest-level quantization --------------------------------------------------------------


def test_thresholds_are_midpoints():
    assert thresholds([-1.0, 0.0, 0.5, 1.0]).tolist() == [-0.5, 0.25, 0.75]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["nf4", "fp8_e4m3", "random"])
def test_quantize_to_codebook_is_the_nearest_level(kind, dtype):
    levels = (np.unique(rng(6).standard_normal(40)) if kind == "random" else codebook(kind))
    x = (rng(7).standard_normal(20_000) * codebook_max(levels)).astype(dtype)
    idx = quantize_to_codebook(x, levels)
    assert idx.dtype == np.uint8 and idx.shape == x.shape
    np.testing.assert_array_equal(idx, nearest(x, levels))


def test_quantize_to_codebook_with_scales():
    levels = codebook("nf4")
    x = rng(8).standard_normal((50, 64)).astype(np.float32)
    scale = np.float32(0.37)
    np.testing.assert_array_equal(quantize_to_codebook(x, levels, scale=0.37).reshape(-1),
                                  nearest(x / scale, levels))
    rows = np.abs(x).max(axis=1, keepdims=True).astype(np.float32)
    idx = quantize_to_codebook(x, levels, scale=rows)
    np.testing.assert_array_equal(idx.reshape(-1), nearest(x / rows, levels))


def test_values_on_levels_and_ties():
    levels = codebook("fp8_e4m3")
    np.testing.assert_array_equal(quantize_to_codebook(levels.astype(np.float32), levels),
                                  np.arange(levels.size))
    nf4 = codebook("nf4")
    np.testing.assert_array_equal(quantize_to_codebook(nf4, nf4), np.arange(16))
    # Exactly on a midpoint: the lower level.
    assert quantize_to_codebook([-0.5, 0.25, 0.75], [-1.0, 0.0, 0.5, 1.0]).tolist() == [0, 1, 2]


@pytest.mark.parametrize("n_levels", [16, 100], ids=["compare", "searchsorted"])
def test_ties_go_to_the_lower_level_for_any_number_of_levels(n_levels):
    levels = np.arange(float(n_levels))
    x = np.arange(n_levels - 1) + 0.5
    np.testing.assert_array_equal(quantize_to_codebook(x, levels), np.arange(n_levels - 1))
    np.testing.assert_array_equal(quantize_to_codebook(levels, levels), np.arange(n_levels))


def test_float32_midpoint_that_rounds_up_is_decided_exactly():
    # The midpoint m = 1 + 3 * 2^-25 rounds up to the float32 x = 1 + 2^-23, which is
    # nearer the upper level than the lower one.
    upper = 2 * (1 + 3 * 2.0**-25)
    x = np.array([1 + 2.0**-23], dtype=np.float32)
    assert nearest(x, [0.0, upper]).tolist() == [1]
    assert quantize_to_codebook(x, [0.0, upper]).tolist() == [1]


def test_zero_scale_reads_as_zero_and_inf_saturates():
    levels = codebook("nf4")
    assert quantize_to_codebook([1.0, -3.0], levels, scale=0.0).tolist() == [7, 7]
    idx = quantize_to_codebook(np.ones((2, 3)), levels, scale=np.array([[0.0], [2.0]]))
    assert idx.tolist() == [[7, 7, 7], [12, 12, 12]]
    assert quantize_to_codebook([np.inf, -np.inf], levels).tolist() == [15, 0]
    assert dequantize_codebook(idx, levels, scale=np.array([[0.0], [2.0]]))[0].tolist() == [0.0] * 3


def test_dequantize_codebook_is_a_lookup():
    levels = codebook("nf4")
    idx = rng(9).integers(0, 16, size=(5, 7))
    out = dequantize_codebook(idx, levels, scale=1.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, (levels[idx] * 1.5).astype(np.float32))


def test_many_levels_use_a_wider_index():
    levels = np.arange(300.0)
    assert quantize_to_codebook([0.4, 299.0], levels).dtype == np.uint16


# --- block-wise scaling ------------------------------------------------------------------


def test_one_block_covering_x_is_per_tensor_absmax():
    levels = codebook("nf4")
    x = rng(10).standard_normal(1000).astype(np.float32)
    s = np.float32(np.abs(x).max() / 1.0)
    idx = nearest(x / s, levels)
    expected = (levels[idx] * np.float64(s)).astype(np.float32)
    for block in (1000, 4096):
        r = blockwise(x, levels, block_size=block)
        np.testing.assert_array_equal(r.indices, idx)
        np.testing.assert_array_equal(r.x_hat, expected)
        assert r.n_blocks == 1 and r.scales.tolist() == [float(s)]


SCALE_DTYPES = {"fp32": np.float32, "fp8_e4m3": ml_dtypes.float8_e4m3fn,
                "e8m0": ml_dtypes.float8_e8m0fnu, "fp16": np.float16}


def blockwise_oracle(x, levels, block, scale_format):
    """Per-block loop: absmax / max|level|, the scale rounded to its format, nearest levels."""
    flat = np.asarray(x).reshape(-1)
    out = np.empty(flat.size, np.float32)
    top = np.abs(levels).max()
    for start in range(0, flat.size, block):
        b = flat[start:start + block]
        amax = float(np.abs(b).max())
        s = 0.0 if amax == 0 else float(to_format([amax / top], SCALE_DTYPES[scale_format])[0])
        y = b / b.dtype.type(s) if s else np.zeros_like(b)
        out[start:start + block] = levels[nearest(y, levels)] * s
    return out.reshape(np.shape(x))


@pytest.mark.parametrize(("kind", "scale_format"),
                         [("nf4", "fp32"), ("fp4_e2m1", "fp8_e4m3"), ("uniform", "e8m0"),
                          ("log2", "fp16")])
def test_blockwise_matches_a_per_block_loop(kind, scale_format):
    levels = codebook(kind)
    x = rng(11).standard_normal((7, 13)).astype(np.float32)  # 91 values: a short last block
    x[2, :] *= 50.0
    r = blockwise(x, levels, block_size=16, scale_format=scale_format)
    assert r.x_hat.shape == r.indices.shape == x.shape and r.n_blocks == 6
    np.testing.assert_array_equal(r.x_hat, blockwise_oracle(x, levels, 16, scale_format))
    scale_bits = 32 if scale_format == "fp32" else (16 if scale_format == "fp16" else 8)
    assert r.bits_per_value == pytest.approx(code_bits(levels.size) + 6 * scale_bits / 91)


@pytest.mark.parametrize("scale_format", ["fp32", "fp8_e4m3", "e8m0"])
@pytest.mark.parametrize("kind", ["nf4", "uniform", "fp4_e2m1"])
def test_blockwise_all_zero_block_gives_zeros(kind, scale_format):
    x = rng(12).standard_normal(200).astype(np.float32)
    x[64:128] = 0.0
    r = blockwise(x, codebook(kind), block_size=64, scale_format=scale_format)
    assert np.isfinite(r.x_hat).all() and np.isfinite(r.scales).all()
    assert np.all(r.x_hat[64:128] == 0.0) and r.scales[1] == 0.0
    zeros = blockwise(np.zeros((3, 5)), codebook(kind), scale_format=scale_format)
    assert np.all(zeros.x_hat == 0.0)


@pytest.mark.parametrize("double_quant", [False, True], ids=["plain", "double-quant"])
def test_blockwise_on_a_codebook_without_zero_keeps_zero_blocks_zero(double_quant):
    levels = codebook("binary", bits=1, x=[1.0, -1.0])  # [-1, 1]: no zero level
    x = np.concatenate((np.zeros(4), np.full(4, 3.0), np.zeros(4)))
    r = blockwise(x, levels, block_size=4, double_quant=double_quant)
    assert np.all(r.x_hat[:4] == 0.0) and np.all(r.x_hat[8:] == 0.0)
    assert r.x_hat[4:8].tolist() == pytest.approx([3.0] * 4, rel=1e-2)
    assert not np.signbit(r.x_hat).any()  # a level times a zero scale is +0


def test_double_quant_follows_qlora():
    n = 64 * 256 * 4
    x = rng(13).standard_normal(n).astype(np.float32)
    x[: 64 * 3] *= 20.0  # scales that differ
    levels = codebook("nf4")
    plain = blockwise(x, levels, block_size=64)
    dq = blockwise(x, levels, block_size=64, double_quant=True)
    assert dq.bits_per_value == pytest.approx(4 + 8 / 64 + 32 / (64 * 256) + 32 / n, abs=1e-12)
    assert dq.bits_per_value == pytest.approx(4.127, abs=1e-3)
    # Oracle: FP32 scales minus their mean, in blocks of 256 on the dynamic map.
    s = plain.scales.astype(np.float32)
    mean = np.float32(s.astype(np.float64).mean())
    centered = (s - mean).reshape(-1, 256)
    dmap = np.array(expected_dynamic(signed=True))
    restored = np.empty_like(centered)
    for i, row in enumerate(centered):
        a = np.float32(np.abs(row).max())
        y = row / a if a else np.zeros_like(row)
        restored[i] = (dmap[nearest(y, dmap)] * np.float64(a)).astype(np.float32)
    s_hat = (restored.reshape(-1) + mean).astype(np.float64)
    np.testing.assert_allclose(dq.scales, s_hat, rtol=1e-6)
    np.testing.assert_array_equal(dq.indices, plain.indices)  # codes from the exact scales
    expected = (levels[plain.indices] * np.repeat(s_hat, 64)).astype(np.float32)
    np.testing.assert_allclose(dq.x_hat, expected, rtol=1e-6, atol=1e-7)


# --- block formats -------------------------------------------------------------------------


def mx_oracle(x, dtype, emax):
    """OCP MX v1.0, 6.3, block by block: X = 2^(floor(log2 amax) - emax), clamped to
    E8M0's exponents [-127, 127]; elements V / X rounded (ties to even, saturating)."""
    flat = np.asarray(x, np.float64).reshape(-1)
    out, scales = np.empty(flat.size), []
    for start in range(0, flat.size, 32):
        b = flat[start:start + 32]
        amax = np.abs(b).max()
        exponent = math.floor(math.log2(amax)) - emax if amax > 0 else -127
        scale = 2.0 ** min(max(exponent, -127), 127)
        out[start:start + 32] = to_format(b / scale, dtype) * scale
        scales.append(scale)
    return out.astype(np.float32).reshape(np.shape(x)), scales


def nvfp4_oracle(x):
    flat = np.asarray(x, np.float64).reshape(-1)
    amax = np.abs(flat).max()
    tensor = float(np.float32(amax / (6.0 * 448.0))) if amax > 0 else 1.0
    out, scales = np.empty(flat.size), []
    for start in range(0, flat.size, 16):
        b = flat[start:start + 16]
        scale = float(to_format([np.abs(b).max() / 6.0 / tensor], ml_dtypes.float8_e4m3fn)[0])
        both = scale * tensor
        y = b / both if both > 0 else np.zeros_like(b)
        out[start:start + 16] = to_format(y, ml_dtypes.float4_e2m1fn) * both
        scales.append(scale)
    return out.astype(np.float32).reshape(np.shape(x)), scales, tensor


def int4_oracle(x):
    flat = np.asarray(x, np.float64).reshape(-1)
    out = np.empty(flat.size)
    for start in range(0, flat.size, 128):
        g = flat[start:start + 128]
        lo, hi = min(g.min(), 0.0), max(g.max(), 0.0)
        scale = (hi - lo) / 15 if hi > lo else 1.0
        zero = int(np.clip(-np.round(lo / scale), 0, 15))
        s16 = float(np.float16(scale))
        q = np.clip(np.rint(g / s16) + zero, 0, 15) if s16 else np.full(g.size, zero)
        out[start:start + 128] = (q - zero) * s16
    return out.astype(np.float32).reshape(np.shape(x))


def tensors():
    r = rng(14)
    normal = r.standard_normal((64, 48)).astype(np.float32)
    ragged = r.standard_normal((37, 29)).astype(np.float32)  # 1073: short last blocks
    outliers = r.standard_normal((32, 64)).astype(np.float32)
    outliers[:, 5] *= 300.0  # an outlier channel
    outliers.reshape(-1)[r.integers(0, outliers.size, 20)] = 2e4
    tiny = (r.standard_normal(256) * 1e-40).astype(np.float32)  # below E8M0: clamped
    tiny[128:] = r.standard_normal(128).astype(np.float32) * 1e3
    return {"normal": normal, "ragged": ragged, "outliers": outliers, "tiny": tiny}


TENSORS = tensors()


@pytest.mark.parametrize("name", list(TENSORS))
@pytest.mark.parametrize(("fmt", "dtype", "emax"),
                         [("mxfp4", ml_dtypes.float4_e2m1fn, 2),
                          ("mxfp8", ml_dtypes.float8_e4m3fn, 8)], ids=["mxfp4", "mxfp8"])
def test_mx_matches_a_per_block_loop(fmt, dtype, emax, name):
    x = TENSORS[name]
    expected, scales = mx_oracle(x, dtype, emax)
    r = block_quantize(x, fmt)
    np.testing.assert_array_equal(r.x_hat, expected)
    assert r.scales.tolist() == scales
    np.testing.assert_array_equal(r.levels[r.indices] * np.repeat(r.scales, 32)[:x.size]
                                  .reshape(x.shape), expected.astype(np.float64))


@pytest.mark.parametrize("name", list(TENSORS))
def test_nvfp4_matches_a_per_block_loop(name):
    x = TENSORS[name]
    expected, scales, tensor = nvfp4_oracle(x)
    r = block_quantize(x, "nvfp4")
    np.testing.assert_array_equal(r.x_hat, expected)
    assert r.scales.tolist() == scales and r.tensor_scale == tensor


@pytest.mark.parametrize("name", list(TENSORS))
def test_int4_g128_matches_a_per_group_loop(name):
    x = TENSORS[name]
    r = block_quantize(x, "int4_g128")
    np.testing.assert_array_equal(r.x_hat, int4_oracle(x))
    assert r.zero_points is not None and r.indices.max() <= 15


def test_bits_per_value_count_every_scale():
    n = 64 * 256 * 4
    x = rng(15).standard_normal(n).astype(np.float32)
    bits = {name: block_quantize(x, name).bits_per_value for name in BLOCK_FORMATS}
    assert bits["mxfp4"] == 4.25 and bits["mxfp8"] == 8.25
    assert bits["nvfp4"] == pytest.approx(4.5 + 32 / n, abs=1e-12)
    assert bits["nf4_dq"] == pytest.approx(4.127, abs=1e-3)
    assert bits["int4_g128"] == 4.25
    nominal = {name: fmt.bits_per_value for name, fmt in BLOCK_FORMATS.items()}
    assert nominal == pytest.approx({"mxfp4": 4.25, "mxfp8": 8.25, "nvfp4": 4.5,
                                     "nf4_dq": 4 + 8 / 64 + 32 / (64 * 256),
                                     "int4_g128": 4.25})


@pytest.mark.parametrize("name", list(BLOCK_FORMATS))
def test_block_formats_on_zero_and_constant_tensors(name):
    zeros = block_quantize(np.zeros((4, 40)), name)
    assert np.all(zeros.x_hat == 0.0) and np.isfinite(zeros.scales).all()
    for value in (3.7, -0.02):
        r = block_quantize(np.full(100, value, np.float32), name)
        assert np.isfinite(r.x_hat).all() and np.unique(r.x_hat).size == 1
        # Close for every format; MX's power-of-two scale saturates 3.7 to 6 * 2^-1 = 3.
        assert abs(float(r.x_hat[0]) - value) <= 0.2 * abs(value)


def test_block_formats_keep_zero_blocks_among_others():
    x = rng(16).standard_normal(512).astype(np.float32)
    x[128:256] = 0.0
    for name in BLOCK_FORMATS:
        r = block_quantize(x, name)
        assert np.all(r.x_hat[128:256] == 0.0), name
        assert np.isfinite(r.x_hat).all(), name


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("name", list(BLOCK_FORMATS))
def test_block_formats_refuse_nan_and_inf(name, bad):
    x = np.ones(100)
    x[17] = bad
    code = "nan_input" if np.isnan(bad) else "nonfinite_input"
    with pytest.raises(ParameterError) as info:
        block_quantize(x, name)
    assert info.value.code == code
    with pytest.raises(ParameterError, match="NaN"):
        blockwise(x, codebook("nf4"))


def test_nan_refusals_elsewhere():
    with pytest.raises(ParameterError, match="NaN") as info:
        quantize_to_codebook([0.5, np.nan], codebook("nf4"))
    assert info.value.code == "nan_input"
    for kind in DATA_KINDS:
        with pytest.raises(ParameterError) as info:
            codebook(kind, x=[1.0, np.inf])
        assert info.value.code == "nonfinite_input"
        with pytest.raises(ParameterError) as info:
            codebook(kind, x=[])
        assert info.value.code == "empty_tensor"


@pytest.mark.parametrize(("kind", "bits"),
                         [("nf4", 3), ("uniform", 9), ("uniform", 1), ("fp8_e4m3", 4),
                          ("dynamic", 4), ("binary", 5), ("kmeans", 1), ("fp4_e2m1", 8)])
def test_bad_bits_are_refused(kind, bits):
    with pytest.raises(ParameterError, match=f"bits must be .* for '{kind}', got {bits}"):
        codebook(kind, bits=bits, x=np.arange(10.0))


def test_bad_arguments_are_refused():
    with pytest.raises(ParameterError, match="kind must be one of") as info:
        codebook("nf5")
    assert info.value.code == "param_option"
    with pytest.raises(ParameterTypeError):
        codebook("uniform", bits=4.0)
    with pytest.raises(ParameterTypeError, match="unknown options") as info:
        codebook("nf4", signed=False)
    assert info.value.code == "unknown_options"
    with pytest.raises(ParameterError, match="name must be one of"):
        block_quantize([1.0], "mxfp6")
    with pytest.raises(ParameterError, match="levels must be"):
        quantize_to_codebook([0.5], [1.0, 0.0])
    with pytest.raises(ParameterError, match="scale must be"):
        quantize_to_codebook([0.5], [0.0, 1.0], scale=-1.0)
    with pytest.raises(ParameterError, match="scale must be"):
        quantize_to_codebook(np.ones(4), [0.0, 1.0], scale=np.ones(3))
    with pytest.raises(ParameterError, match="indices must be"):
        dequantize_codebook([0, 2], [0.0, 1.0])
    with pytest.raises(ParameterError, match="block_size must be"):
        blockwise([1.0], codebook("nf4"), block_size=0)
    with pytest.raises(ParameterError, match="scale_format must be"):
        blockwise([1.0], codebook("nf4"), scale_format="fp12")
    with pytest.raises(ParameterError, match="scale_format must be"):
        blockwise([1.0], codebook("nf4"), scale_format="fp16", double_quant=True)


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_data_kinds_need_x(kind):
    with pytest.raises(ParameterError, match=kind) as info:
        codebook(kind)
    assert info.value.code == "codebook_needs_x"


# --- the bucket table that counts thresholds for many evenly spread levels ------------


def _brute_force(y: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Nearest level by distance, float64; a tie at a midpoint goes to the lower level."""
    d = np.abs(y.astype(np.float64)[:, None] - levels[None, :])
    best = d.min(axis=1, keepdims=True)
    return np.argmax(d == best, axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind, bits", [("uniform", 5), ("uniform", 8), ("kmeans", 6),
                                        ("quantile", 7)])
def test_the_bucket_table_counts_like_a_brute_force_search(kind, bits, dtype, monkeypatch):
    from quantlib.codebooks import nearest
    rng = np.random.default_rng(bits)
    data = rng.standard_normal(20_000)
    levels = codebook(kind, bits=bits, x=data)
    assert levels.size >= nearest._BUCKET_MIN_LEVELS  # the bucket path, not comparisons
    cuts = thresholds(levels)
    y = np.concatenate([
        rng.uniform(levels[0] - 1, levels[-1] + 1, 5000),
        cuts, np.nextafter(cuts, np.inf), np.nextafter(cuts, -np.inf),  # on and beside
        levels, [0.0]]).astype(dtype)
    got = quantize_to_codebook(y, levels)
    # random values: the nearest level by distance
    assert np.array_equal(got[:5000], _brute_force(y[:5000], levels))
    far = np.array([np.inf, 1e30, -np.inf, -1e30], dtype)  # saturate to the end levels
    assert quantize_to_codebook(far, levels).tolist() == [levels.size - 1] * 2 + [0] * 2
    # on and beside every threshold: the same decisions as comparing with each threshold
    # (float64 distances cannot judge a tie at a midpoint exactly; the thresholds can)
    monkeypatch.setattr(nearest, "_BUCKET_MIN_LEVELS", 10**9)
    assert np.array_equal(got, quantize_to_codebook(y, levels))


def test_crowded_thresholds_fall_back_and_still_agree():
    """log2's powers of two crowd near 0: the table would need many passes there, so the
    codebook keeps the comparisons (or searchsorted) and the answer is the same."""
    levels = codebook("log2", bits=8)
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.uniform(-1, 1, 3000), rng.uniform(-1e-6, 1e-6, 3000)])
    assert np.array_equal(quantize_to_codebook(y, levels), _brute_force(y, levels))
