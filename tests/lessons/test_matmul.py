"""lessons.matmul: the Int8 matmul page's numbers (float32, simulated and integer-only
y = x @ w.T, every integer of a tiny product, the int16 overflow, the cost), against
oracles written here (dequantized operands multiplied in float64, the four zero-point
terms and the running sums by hand in int64, the bytes of w as a formula)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quantlib as ql
from lessons import matmul
from lessons.matmul import (
    CODE,
    FEATURES,
    HEAT,
    MODES,
    OUTS,
    RUNNING_STEPS,
    STORAGE,
    TINY_VALUES,
    W_GRANULARITIES,
    X_GRANULARITIES,
    Report,
    Settings,
    Shapes,
    latex,
)
from lessons.text import num
from quantlib._validate import ParameterError
from quantlib.matmul import SEED002_MATMUL, int_matmul
from quantlib.uniform import dequantize, qparams_from_range, quantize

#: The page's tiny preset: every integer listed, both zero points nonzero.
TINY = Settings(tokens=3, features=5, out_features=2, x_kind="relu", x_mode="asymmetric",
                w_mode="asymmetric", w_granularity="tensor")
SLIDES = Settings(source="slides")
#: Small but not tiny: 16 tokens, 64 features, 16 outputs.
SMALL = {"tokens": 16, "features": 64, "out_features": 16}
INT16_MIN, INT16_MAX = -(2**15), 2**15 - 1


def report(ws_x=None, s: Settings | None = None) -> Report:
    """lessons.matmul.report with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return matmul.report(ws_x, Settings() if s is None else s)


def workspace(**settings) -> Settings:
    return Settings(source="workspace", **settings)


def own_operands(s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """x and w as the page's docstring describes them, generated here."""
    w = ql.generate("normal", (s.out_features, s.features), seed=7,
                    scale=1 / math.sqrt(s.features))
    x = ql.generate("normal" if s.x_kind == "relu" else s.x_kind, (s.tokens, s.features))
    return (np.maximum(x, 0) if s.x_kind == "relu" else x), w


def codes(x, w, r: Report) -> tuple[np.ndarray, np.ndarray]:
    """x's and w's codes under the qparams the report shows, as int64."""
    return (quantize(x, r.x_qparams).astype(np.int64),
            quantize(w, r.w_qparams).astype(np.int64))


def rows(p, n: int) -> np.ndarray:
    """A scale or zero point per tensor or per row, as a column of ``n`` float64 values."""
    return np.broadcast_to(np.asarray(p, dtype=np.float64).reshape(-1, 1), (n, 1))


def reference(x, w, r: Report) -> tuple[np.ndarray, np.ndarray]:
    """dequantize(quantize(x)) @ dequantize(quantize(w)).T in float64, and the sum of
    |terms| of each output (a bound for float32 rounding)."""
    xd = dequantize(quantize(x, r.x_qparams), r.x_qparams).astype(np.float64)
    wd = dequantize(quantize(w, r.w_qparams), r.w_qparams).astype(np.float64)
    return xd @ wd.T, np.abs(xd) @ np.abs(wd).T


def assert_same(a, b, where: str = "") -> None:
    """Two results equal field by field (arrays too; NaN equals NaN)."""
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, tuple | list) and any(dataclasses.is_dataclass(v) for v in a):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same(u, v, f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(np.asarray(a, dtype=object if a is None else None),
                                      np.asarray(b, dtype=object if b is None else None),
                                      err_msg=where)


@pytest.fixture(scope="module")
def tiny_report() -> Report:
    return report(None, TINY)


@pytest.fixture(scope="module")
def default_report() -> Report:
    return report(None, Settings())


# --- the three paths -----------------------------------------------------------------


@pytest.mark.parametrize("x_kind", ["normal", "relu"])
@pytest.mark.parametrize("x_mode,w_mode,x_granularity,w_granularity",
                         list(itertools.product(MODES, MODES, X_GRANULARITIES,
                                                W_GRANULARITIES)))
def test_simulated_and_integer_paths_agree(x_kind, x_mode, w_mode, x_granularity,
                                           w_granularity):
    r = report(None, Settings(**SMALL, x_kind=x_kind, x_mode=x_mode, w_mode=w_mode,
                              x_granularity=x_granularity, w_granularity=w_granularity))
    assert r.shape == (16, 64, 16)
    assert r.agreement < 1e-5
    assert r.integer.sqnr_db == pytest.approx(r.simulated.sqnr_db, abs=0.01)
    assert r.integer.rel_error == pytest.approx(r.simulated.rel_error, rel=1e-3)
    assert r.integer.sqnr_db > 30.0
    assert 0.0 < r.integer.rel_error < 0.05 and r.integer.cosine > 0.999
    # SQNR and the relative error are two views of one number
    assert r.integer.sqnr_db == pytest.approx(-20 * math.log10(r.integer.rel_error),
                                              rel=1e-9)
    # the granularities reach the qparams: one scale per token / per output channel
    assert np.size(r.x_qparams.scale) == (16 if x_granularity == "token" else 1)
    assert np.size(r.w_qparams.scale) == (16 if w_granularity == "channel" else 1)
    assert r.asymmetric == bool(np.any(np.asarray(r.x_qparams.zero_point) != 0)
                                or np.any(np.asarray(r.w_qparams.zero_point) != 0))
    if x_mode == w_mode == "symmetric":
        assert not r.asymmetric


@pytest.mark.parametrize("s", [TINY, Settings(**SMALL, x_kind="uniform", x_mode="asymmetric",
                                              x_granularity="token", w_mode="asymmetric")],
                         ids=["tiny", "per-token-asymmetric"])
def test_integer_result_equals_dequantized_operands_multiplied_in_float64(s):
    x, w = own_operands(s)
    np.testing.assert_array_equal(matmul.operands(None, s)[0], x)
    np.testing.assert_array_equal(matmul.operands(None, s)[1], w)
    r = report(None, s)
    ref, size = reference(x, w, r)
    tol = 2.0**-21 * size + np.finfo(np.float32).eps * np.abs(ref)
    assert np.all(np.abs(r.integer_y - ref) <= tol)
    assert np.all(np.abs(r.simulated_y - ref) <= tol)
    np.testing.assert_allclose(r.float_y, x.astype(np.float64) @ w.astype(np.float64).T,
                               rtol=1e-5, atol=1e-6)
    # the errors shown are the results minus the float32 baseline
    np.testing.assert_array_equal(r.integer_error, r.integer_y - r.float_y)
    np.testing.assert_array_equal(r.simulated_error, r.simulated_y - r.float_y)
    # and the accumulators are Σ (qx - zx)(qw - zw), exactly
    qx, qw = codes(x, w, r)
    m, _, n = r.shape
    zx = rows(r.x_qparams.zero_point, m).astype(np.int64)
    zw = rows(r.w_qparams.zero_point, n).astype(np.int64)
    acc = (qx - zx) @ (qw - zw).T
    assert r.acc_range == (acc.min(), acc.max())


# --- every integer of a tiny product -------------------------------------------------


def test_tiny_lists_every_integer(tiny_report):
    r, t = tiny_report, tiny_report.tiny
    assert t is not None and r.shape == (3, 5, 2)
    x, w = own_operands(TINY)
    qx, qw = codes(x, w, r)
    zx, zw = int(r.x_qparams.zero_point), int(r.w_qparams.zero_point)
    assert zx != 0 and zw != 0
    assert (t.zx_text, t.zw_text) == (num(zx), num(zw))  # one zero point each
    np.testing.assert_array_equal(t.qx, qx)
    np.testing.assert_array_equal(t.qw, qw)
    np.testing.assert_array_equal(t.zx, [zx] * 3)
    np.testing.assert_array_equal(t.zw, [zw] * 2)
    np.testing.assert_array_equal(t.products, qx @ qw.T)
    np.testing.assert_array_equal(t.zw_term, np.broadcast_to(-zw * qx.sum(axis=1)[:, None],
                                                             (3, 2)))
    np.testing.assert_array_equal(t.zx_term, np.broadcast_to(-zx * qw.sum(axis=1)[None, :],
                                                             (3, 2)))
    np.testing.assert_array_equal(t.zz_term, np.full((3, 2), 5 * zx * zw))
    np.testing.assert_array_equal(t.acc, t.products + t.zw_term + t.zx_term + t.zz_term)
    np.testing.assert_array_equal(t.acc, (qx - zx) @ (qw - zw).T)
    assert r.acc_range == (t.acc.min(), t.acc.max())
    sx, sw = float(r.x_qparams.scale), float(r.w_qparams.scale)
    np.testing.assert_allclose(t.sx, sx, rtol=1e-15)
    np.testing.assert_allclose(t.sw, sw, rtol=1e-15)
    np.testing.assert_allclose(t.scale, sx * sw, rtol=1e-15)
    np.testing.assert_allclose(t.y, (sx * sw * t.acc.astype(np.float64)), rtol=2**-23)
    np.testing.assert_array_equal(t.y, r.integer_y)


def test_tiny_terms_table_has_one_row_per_output(tiny_report):
    t = tiny_report.tiny
    table = t.terms_table()
    assert list(table) == ["i", "j", "products", "zw_term", "zx_term", "zz_term", "acc",
                           "scale", "y"]
    assert all(len(column) == 6 for column in table.values())
    for row in range(6):
        i, j = divmod(row, 2)
        assert (table["i"][row], table["j"][row]) == (i, j)
        for name in ("products", "zw_term", "zx_term", "zz_term", "acc", "scale", "y"):
            assert table[name][row] == getattr(t, name)[i, j], (name, i, j)
        parts = sum(table[name][row] for name in ("products", "zw_term", "zx_term", "zz_term"))
        assert parts == table["acc"][row]


def test_tiny_requantization_to_int8(tiny_report):
    t = tiny_report.tiny
    out = qparams_from_range(min(float(t.y.min()), 0.0), max(float(t.y.max()), 0.0), bits=8)
    assert t.out_scale == pytest.approx(float(out.scale), rel=1e-12)
    assert t.out_zero_point == int(out.zero_point)
    assert t.out_codes.shape == (3, 2)
    assert t.out_codes.min() >= -128 and t.out_codes.max() <= 127
    assert 2**30 <= t.m0 < 2**31
    assert t.multiplier == pytest.approx(t.sx[0] * t.sw[0] / t.out_scale, rel=1e-12)
    assert abs(t.m0 * 2.0**-t.shift - t.multiplier) <= t.multiplier * 2.0**-30
    # the codes are y on the output's grid, give or take a near-tie
    expected = np.clip(np.rint(t.acc * t.multiplier) + t.out_zero_point, -128, 127)
    assert np.max(np.abs(t.out_codes.astype(np.int64) - expected)) <= 1


def test_tiny_per_token_and_per_channel_zero_points():
    s = Settings(tokens=4, features=8, out_features=3, x_kind="uniform", x_mode="asymmetric",
                 x_granularity="token", w_mode="asymmetric", w_granularity="channel")
    r = report(None, s)
    t = r.tiny
    assert t is not None
    np.testing.assert_array_equal(t.zx, np.asarray(r.x_qparams.zero_point))
    np.testing.assert_array_equal(t.zw, np.asarray(r.w_qparams.zero_point))
    np.testing.assert_allclose(t.scale, np.outer(r.x_qparams.scale, r.w_qparams.scale),
                               rtol=1e-15)
    zx, zw = t.zx.astype(np.int64)[:, None], t.zw.astype(np.int64)[None, :]
    np.testing.assert_array_equal(t.zw_term, -zw * t.qx.astype(np.int64).sum(axis=1)[:, None])
    np.testing.assert_array_equal(t.zx_term, -zx * t.qw.astype(np.int64).sum(axis=1)[None, :])
    np.testing.assert_array_equal(t.zz_term, 8 * zx * zw)
    np.testing.assert_array_equal(t.acc, t.products + t.zw_term + t.zx_term + t.zz_term)
    # zero points that differ are all listed, in order
    for text, points in ((t.zx_text, t.zx), (t.zw_text, t.zw)):
        if len(set(points.tolist())) > 1:
            assert text == ", ".join(num(v) for v in points)
    assert len(set(t.zx.tolist())) > 1


def test_seed002_slides():
    r = report(None, SLIDES)
    t = r.tiny
    assert r.shape == (3, 3, 2) and t is not None
    np.testing.assert_array_equal(t.qx, SEED002_MATMUL["x_codes"])
    np.testing.assert_array_equal(t.qw, SEED002_MATMUL["w_codes"])
    np.testing.assert_array_equal(t.acc, SEED002_MATMUL["acc"])
    for qp in (r.x_qparams, r.w_qparams):
        assert float(qp.scale) == pytest.approx(1 / 127, rel=1e-12)
        assert int(qp.zero_point) == 0
    assert not r.asymmetric
    np.testing.assert_array_equal(t.zw_term, 0)
    np.testing.assert_array_equal(t.zx_term, 0)
    np.testing.assert_array_equal(t.zz_term, 0)
    y = np.array(SEED002_MATMUL["acc"], np.float64) / 127**2
    np.testing.assert_allclose(r.integer_y, y, rtol=2**-23)
    np.testing.assert_allclose(t.y, y, rtol=2**-23)
    # x and w are exactly their codes / 127, so only float32 rounding is left
    assert r.integer.sqnr_db > 100


def test_slides_store_one_scale_and_no_zero_point():
    stored = {r.name: r.bytes for r in report(None, SLIDES).storage}
    assert stored == {"fp32": 24, "fp16": 12, "int8": 6 + 4, "int4": 3 + 4}
    c = matmul.cost(None, Shapes(source="slides"), repeats=1)
    assert {r.name: r.bytes for r in c.storage} == stored


def test_slides_ignore_the_quantizer_controls():
    other = report(None, Settings(source="slides", x_mode="asymmetric", w_mode="asymmetric",
                                  x_granularity="token", w_granularity="tensor", tokens=1024))
    np.testing.assert_array_equal(other.tiny.acc, SEED002_MATMUL["acc"])
    assert other.shape == (3, 3, 2) and not other.asymmetric


@pytest.mark.parametrize("size,tiny", [
    ((8, 8, 8), True),  # 64 values each: the limit
    ((3, 5, 2), True),
    ((16, 8, 2), False),  # x has 128 values
    ((1, 16, 8), False),  # w has 128
    ((64, 256, 128), False),
])
def test_tiny_only_when_both_operands_are_small(size, tiny):
    m, k, n = size
    r = report(None, Settings(tokens=m, features=k, out_features=n))
    assert (r.tiny is not None) == tiny == (max(m * k, n * k) <= TINY_VALUES)
    assert len(latex(r)) == (5 if tiny else 2)


@pytest.mark.parametrize("size", [(64, 256, 128), (3, 5, 2), (256, 16, 4), (2, 8, 1024)])
def test_heatmaps_are_cropped_to_heat(size):
    m, k, n = size
    s = Settings(tokens=m, features=k, out_features=n)
    r = report(None, s)
    x, w = own_operands(s)
    shown = (min(m, HEAT), min(n, HEAT))
    for crop in (r.float_y, r.simulated_y, r.integer_y, r.simulated_error, r.integer_error):
        assert crop.shape == shown
    assert r.cut == (shown != (m, n))
    np.testing.assert_array_equal(r.float_y, (x @ w.T)[:HEAT, :HEAT])
    assert r.y_span == float(np.max(np.abs(r.float_y)))
    assert r.error_span == max(float(np.max(np.abs(r.simulated_error))),
                               float(np.max(np.abs(r.integer_error))))
    assert r.error_span > 0


# --- the int16 overflow --------------------------------------------------------------


def own_overflow(s: Settings, ws_x=None) -> dict:
    """The running sum of the output with the largest |Σ qx·qw|, by hand in int64."""
    x, w = matmul.operands(ws_x, s)
    qx, qw = codes(x, w, report(ws_x, s))
    exact = qx @ qw.T
    row, column = np.unravel_index(int(np.argmax(np.abs(exact))), exact.shape)
    running = np.cumsum(qx[row] * qw[column])
    return {"exact": exact, "row": int(row), "column": int(column), "running": running,
            "qx": qx, "qw": qw}


OVERFLOWS = {
    "default": Settings(),
    "tiny": TINY,
    "slides": SLIDES,
    "per-token": Settings(tokens=16, features=256, out_features=16, x_kind="normal",
                          x_granularity="token", w_mode="asymmetric"),
    "llm": Settings(tokens=16, features=64, out_features=16, x_kind="llm_activations"),
    # the largest |Σ qx·qw| is a negative sum here (-38,653 against at most 35,611)
    "negative": Settings(tokens=16, features=64, out_features=16, x_kind="normal",
                         x_mode="symmetric"),
}


@pytest.mark.parametrize("name", OVERFLOWS)
def test_overflow_running_sum_by_hand(name):
    s = OVERFLOWS[name]
    o, own = matmul.overflow(None, s), own_overflow(s)
    assert (o.row, o.column) == (own["row"], own["column"])
    assert o.largest == int(np.max(np.abs(own["exact"])))
    assert abs(int(own["exact"][o.row, o.column])) == o.largest
    k = own["running"].size
    np.testing.assert_array_equal(o.ks, np.arange(1, min(k, RUNNING_STEPS) + 1))
    np.testing.assert_array_equal(o.running, own["running"][:RUNNING_STEPS])
    np.testing.assert_array_equal(o.running_int16,
                                  ((o.running + 2**15) % 2**16) - 2**15)
    assert np.all((o.running_int16 >= INT16_MIN) & (o.running_int16 <= INT16_MAX))
    outside = np.flatnonzero((o.running < INT16_MIN) | (o.running > INT16_MAX))
    assert o.first_wrap == (int(outside[0]) + 1 if outside.size else None)
    # an int16 accumulator ends at the exact sum modulo 2^16
    wrapped = int_matmul(own["qx"], own["qw"].T, accumulator="int16").astype(np.int64)
    assert o.wrapped_share == float(np.mean(wrapped != own["exact"]))
    assert o.int16_worst_k == 2 and o.int32_worst_k == 131072
    # the report carries the same overflow
    assert_same(report(None, s).overflow, o)


def test_worst_case_k_is_where_128_squared_stops_fitting():
    o = matmul.overflow(None, SLIDES)
    for k, top in ((o.int16_worst_k, INT16_MAX), (o.int32_worst_k, 2**31 - 1)):
        assert (k - 1) * 128 * 128 <= top < k * 128 * 128


def test_default_settings_wrap_int16():
    o = matmul.overflow(None, Settings())
    assert 0.0 < o.wrapped_share < 1.0
    assert o.largest > INT16_MAX
    assert o.first_wrap is not None and 1 < o.first_wrap <= 256
    assert o.running[o.first_wrap - 1] != o.running_int16[o.first_wrap - 1]
    np.testing.assert_array_equal(o.running[:o.first_wrap - 1],
                                  o.running_int16[:o.first_wrap - 1])
    assert not o.recovers  # its final sum is beyond int16
    assert abs(int(o.running[-1])) > INT16_MAX


def test_slides_never_leave_int16():
    o = matmul.overflow(None, SLIDES)
    assert o.first_wrap is None and not o.recovers
    assert o.wrapped_share == 0.0 and o.largest == 4928
    np.testing.assert_array_equal(o.running, o.running_int16)
    assert (o.row, o.column) == (1, 1)
    np.testing.assert_array_equal(o.running, np.cumsum([96 * 16, -48 * 32, 112 * 44]))


def test_tiny_wraps_and_recovers():
    o = matmul.overflow(None, TINY)
    assert o.first_wrap == 4
    assert o.running[-1] == o.running_int16[-1]
    assert INT16_MIN <= o.running[-1] <= INT16_MAX
    assert o.recovers
    assert o.wrapped_share == 0.0  # every output's final sum fits


@pytest.mark.parametrize("name", OVERFLOWS)
def test_recovers_means_wrapped_yet_ends_in_int16(name):
    # K <= RUNNING_STEPS here: the running sum shown is the whole sum
    o = matmul.overflow(None, OVERFLOWS[name])
    final = int(own_overflow(OVERFLOWS[name])["running"][-1])
    wrapped = o.first_wrap is not None
    assert o.recovers == (wrapped and INT16_MIN <= final <= INT16_MAX)


@pytest.mark.parametrize("s", [
    Settings(tokens=4, features=1024, out_features=4, x_kind="normal"),
    Settings(tokens=4, features=4096, out_features=4, x_kind="relu", x_mode="symmetric"),
], ids=["recovers-but-final-is-78513", "never-wraps-but-final-is-minus-124672"])
def test_overflow_verdicts_hold_for_the_whole_sum(s):
    o = matmul.overflow(None, s)
    running = own_overflow(s)["running"]
    leaves = bool(np.any((running < INT16_MIN) | (running > INT16_MAX)))
    fits = INT16_MIN <= int(running[-1]) <= INT16_MAX
    assert (o.first_wrap is not None) == leaves  # "stays within int16 all the way"
    assert o.recovers == (leaves and fits)  # "wrapped and still ended right"


def test_overflow_chart_helpers():
    o = matmul.overflow(None, Settings())
    span = int(o.ks[-1]) - 1
    assert span / o.x_step <= 6
    smaller = [m * 10**e for e in range(12) for m in (1, 2, 5) if m * 10**e < o.x_step]
    assert not smaller or span / max(smaller) > 6
    xs, ys = o.limits()
    assert xs[:2] == [1.0, float(o.ks[-1])] and ys[:2] == [INT16_MAX, INT16_MAX]
    assert math.isnan(xs[2]) and ys[3:] == [INT16_MIN, INT16_MIN]


# --- what it costs -------------------------------------------------------------------


def storage_bytes(n: int, k: int, fmt: str, w_mode: str, w_granularity: str) -> float:
    """w's bytes: N·K values, plus an FP32 scale per tensor or channel and an int8 zero
    point when asymmetric (integer formats only)."""
    values = n * k * {"fp32": 4, "fp16": 2, "int8": 1, "int4": 0.5}[fmt]
    if not fmt.startswith("int"):
        return values
    params = n if w_granularity == "channel" else 1
    return values + params * (4 + (1 if w_mode == "asymmetric" else 0))


@pytest.mark.parametrize("w_mode,w_granularity",
                         list(itertools.product(MODES, W_GRANULARITIES)))
def test_storage_follows_w_quantizer(w_mode, w_granularity):
    s = Settings(tokens=4, features=16, out_features=8, w_mode=w_mode,
                 w_granularity=w_granularity)
    for rows_ in (report(None, s).storage, matmul.cost(None, s, repeats=1).storage):
        assert [r.name for r in rows_] == list(STORAGE) == ["fp32", "fp16", "int8", "int4"]
        for r in rows_:
            assert r.bytes == storage_bytes(8, 16, r.name, w_mode, w_granularity), r
            assert r.ratio == pytest.approx(r.bytes / (8 * 16 * 4), rel=1e-15), r
    assert rows_[0].ratio == 1.0 and rows_[1].ratio == 0.5


def test_cost_counts_and_timings():
    c = matmul.cost(None, Shapes(tokens=4, features=16, out_features=8))
    m, k, n = 4, 16, 8
    assert c.macs == m * n * k
    assert c.correction_ops == m * k + n * k + 3 * m * n
    assert c.rescale_ops == m * n
    assert c.repeats == 3
    for t in (c.float_s, c.integer_s):
        assert 0.0 < t < math.inf
    assert c.ratio == c.integer_s / c.float_s
    # Shapes carry no quantizer: w's bytes are those of the default (symmetric, per channel)
    assert [r.bytes for r in c.storage] == [
        storage_bytes(n, k, name, "symmetric", "channel") for name in STORAGE]


def test_cost_of_the_workspace_and_the_slides():
    ws = ql.generate("normal", (3, 5), seed=2)
    c = matmul.cost(ws, Shapes(source="workspace", tokens=2), repeats=1)
    assert c.macs == 2 * 3 * 5 and c.repeats == 1
    c = matmul.cost(None, Shapes(source="slides"), repeats=1)
    assert c.macs == 3 * 3 * 2 and c.rescale_ops == 6


# --- the workspace tensor as w -------------------------------------------------------


@pytest.mark.parametrize("shape,w_shape", [
    ((3, 5), (3, 5)),
    ((5,), (1, 5)),
    ((2, 3, 4), (6, 4)),
    ((4096, 2), (4096, 2)),
    ((1, 4096), (1, 4096)),
])
def test_workspace_is_w(shape, w_shape):
    ws = ql.generate("normal", shape, seed=3)
    s = workspace(tokens=2)
    x, w = matmul.operands(ws, s)
    np.testing.assert_array_equal(w, ws.reshape(w_shape))
    assert w.dtype == np.float32 and x.dtype == np.float32
    assert x.shape == (2, w_shape[1])
    np.testing.assert_array_equal(x, np.maximum(ql.generate("normal", (2, w_shape[1])), 0))
    if ws.size <= 4096:
        r = report(ws, s)
        assert r.shape == (2, w_shape[1], w_shape[0])
        assert r.agreement < 1e-5


def test_workspace_of_ints_is_w_in_float32():
    ws = np.arange(-6, 6).reshape(3, 4)
    _, w = matmul.operands(ws, workspace(tokens=1))
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, ws)


def test_workspace_is_ignored_by_the_other_sources():
    ws = ql.generate("normal", (3, 5), seed=3)
    assert_same(report(ws, Settings(**SMALL)), report(None, Settings(**SMALL)))


@pytest.mark.parametrize("shape", [(1, max(FEATURES) + 1), (max(OUTS) + 1, 2),
                                   (max(FEATURES) + 1,), (2, 1, max(FEATURES) + 1)])
def test_workspace_too_large_is_refused(shape):
    with pytest.raises(ParameterError) as err:
        matmul.operands(np.ones(shape, np.float32), workspace())
    assert err.value.code == "param_range"
    assert "4,096" in str(err.value) and "workspace" in str(err.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_workspace_with_nan_or_inf_is_refused(bad):
    ws = np.ones((2, 3), np.float32)
    ws[1, 2] = bad
    with pytest.raises(ParameterError, match="finite"):
        report(ws, workspace())
    with pytest.raises(ParameterError):
        matmul.overflow(ws, workspace())


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)])
def test_empty_workspace_is_refused(shape):
    with pytest.raises(ParameterError) as err:
        report(np.zeros(shape, np.float32), workspace())
    assert err.value.code == "empty_tensor" and str(err.value)


@pytest.mark.parametrize("value", [0.0, 0.5, -3.0])
@pytest.mark.parametrize("w_mode", MODES)
def test_constant_workspace_gives_finite_measures(value, w_mode):
    ws = np.full((3, 4), value, np.float32)
    r = report(ws, workspace(tokens=2, w_mode=w_mode, w_granularity="tensor"))
    for m in (r.simulated, r.integer):
        assert not any(math.isnan(v) for v in dataclasses.astuple(m)), m
        assert math.isfinite(m.max_error) and math.isfinite(m.rel_error)
        assert m.sqnr_db > 30 or m.sqnr_db == math.inf
    assert r.tiny is not None
    assert np.all(np.isfinite(r.tiny.y)) and 2**30 <= r.tiny.m0 < 2**31
    if value == 0.0:
        np.testing.assert_array_equal(r.integer_y, 0)
        assert r.integer.sqnr_db == math.inf and r.integer.cosine == 1.0
    assert math.isfinite(r.agreement) and r.agreement < 1e-5


@settings(max_examples=40, deadline=None)
@given(ws=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1,
                                                 max_side=6),
                     elements=st.floats(-100, 100, width=32, allow_subnormal=False)),
       tokens=st.sampled_from([1, 2, 3, 4]), x_kind=st.sampled_from(["normal", "relu"]),
       x_mode=st.sampled_from(MODES), w_mode=st.sampled_from(MODES),
       x_granularity=st.sampled_from(X_GRANULARITIES),
       w_granularity=st.sampled_from(W_GRANULARITIES))
def test_any_small_workspace_decomposes_exactly(ws, tokens, x_kind, x_mode, w_mode,
                                                x_granularity, w_granularity):
    s = workspace(tokens=tokens, x_kind=x_kind, x_mode=x_mode, w_mode=w_mode,
                  x_granularity=x_granularity, w_granularity=w_granularity)
    r = report(ws, s)
    t = r.tiny
    assert t is not None  # at most 4 x 6 and 6 x 6 values
    x, w = matmul.operands(ws, s)
    qx, qw = codes(x, w, r)
    m, k, n = r.shape
    zx = rows(r.x_qparams.zero_point, m).astype(np.int64)
    zw = rows(r.w_qparams.zero_point, n).astype(np.int64)
    np.testing.assert_array_equal(t.acc, (qx - zx) @ (qw - zw).T)
    np.testing.assert_array_equal(t.acc, t.products + t.zw_term + t.zx_term + t.zz_term)
    ref, size = reference(x, w, r)
    assert np.all(np.abs(r.integer_y - ref) <= 2.0**-21 * size + 1e-30)
    assert t.out_codes.min() >= -128 and t.out_codes.max() <= 127
    assert not math.isnan(r.integer.sqnr_db) and not math.isnan(r.agreement)


# --- the settings --------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"source": "x"}, {"tokens": 7}, {"features": 9999}, {"out_features": 0},
    {"x_kind": "foo"}, {"x_mode": "bogus"}, {"w_mode": "bogus"},
    {"x_granularity": "channel"}, {"w_granularity": "token"},
])
def test_settings_check_refuses_bad_values(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        Settings(**bad).check()
    with pytest.raises(ValueError):
        matmul.report(None, Settings(**bad))


def test_settings_check_returns_the_settings():
    s = Settings()
    assert s.check() is s


def test_shapes_drop_the_quantizer():
    s = Settings(source="workspace", tokens=8, features=16, out_features=4,
                 x_mode="symmetric", w_mode="asymmetric", x_granularity="token",
                 w_granularity="tensor")
    shapes = s.shapes()
    assert isinstance(shapes, Shapes)
    names = {f.name for f in dataclasses.fields(Shapes)}
    assert names.isdisjoint({"x_mode", "w_mode", "x_granularity", "w_granularity"})
    assert {name: getattr(shapes, name) for name in names} == {
        name: getattr(s, name) for name in names}
    quantizer = {"x_mode": "asymmetric", "w_mode": "symmetric", "x_granularity": "tensor",
                 "w_granularity": "channel"}
    assert dataclasses.replace(s, **quantizer).shapes() == shapes


# --- determinism ---------------------------------------------------------------------


@pytest.mark.parametrize("s", [Settings(), TINY, SLIDES], ids=["default", "tiny", "slides"])
def test_reports_are_deterministic(s):
    assert_same(report(None, s), report(None, s))


def test_read_only_workspace_is_not_modified():
    ws = ql.generate("normal", (4, 8), seed=5)
    before = ws.copy()
    ws.setflags(write=False)
    s = workspace(tokens=4, x_mode="asymmetric", w_mode="asymmetric")
    first = report(ws, s)
    matmul.overflow(ws, s)
    matmul.cost(ws, s.shapes(), repeats=1)
    np.testing.assert_array_equal(ws, before)
    assert_same(report(ws, s), first)


# --- the maths -----------------------------------------------------------------------


def test_latex_shows_the_tiny_decomposition(tiny_report):
    r, t = tiny_report, tiny_report.tiny
    x, w = own_operands(TINY)
    qx, qw = codes(x, w, r)
    zx, zw = int(r.x_qparams.zero_point), int(r.w_qparams.zero_point)
    parts = (int(qx[0] @ qw[0]), -zw * int(qx[0].sum()), -zx * int(qw[0].sum()), 5 * zx * zw)
    signed = " ".join(f"+ {v}" if v >= 0 else f"- {-v}" for v in parts[1:])
    lines = latex(r)
    assert len(lines) == 5
    assert f"= {parts[0]} {signed} = {sum(parts)}" in lines[2]
    assert f"z_x = {zx}" in lines[2] and f"z_w = {zw}" in lines[2] and "K = 5" in lines[2]
    assert sum(parts) == int(t.acc[0, 0])
    assert f"= {num(t.y[0, 0], 6)}" in lines[3] and f"{sum(parts)}" in lines[3]
    assert f"{t.m0} \\cdot 2^{{-{t.shift}}}" in lines[4]
    assert f"q_{{out,00}} = {int(t.out_codes[0, 0])}" in lines[4]


def test_code_runs_and_prints_int32():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(CODE, {})
    first, second = out.getvalue().splitlines()
    assert first.split()[0] == "int32"
    assert float(first.split()[1]) < 1e-5
    assert second.endswith(" dB") and float(second.split()[0]) > 30


def test_the_overflow_chart_of_a_long_sum_is_thinned_but_ends_at_k():
    """4096 terms: the chart gets every 8th k and the last one; the verdicts use all."""
    s = Settings(tokens=4, features=4096, out_features=4, x_kind="relu", x_mode="symmetric")
    o = matmul.overflow(None, s)
    assert o.ks.size <= matmul.RUNNING_STEPS + 1 and int(o.ks[-1]) == 4096
    assert o.running[-1] == o.final
    assert np.all(np.diff(o.ks) > 0)
