"""Tests for lessons.granularity: the Granularity & outliers page's numbers (one scale
against finer ones, the four fixes of y = x @ w.T, SmoothQuant's alpha curve, the
formulas), against oracles written here (scales, codes and errors by hand, LLM.int8()'s
vector-wise product in int64)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import warnings

import numpy as np
import pytest

import quantlib as ql
from lessons import granularity
from lessons.granularity import (
    ALPHAS,
    CODE,
    CURVE_OUT,
    CURVE_ROWS,
    FIXES,
    HEAT_COLUMNS,
    HEAT_ROWS,
    MAX_CODES,
    MAX_POINTS,
    Build,
    Curve,
    Report,
    Settings,
    activations,
    latex,
    weights,
)
from lessons.text import num
from quantlib._validate import ParameterError
from quantlib.outliers import llm_int8_matmul, vectorwise_quantize
from quantlib.presets import seed_tensor


def quiet(fn, *args):
    """fn(*args) with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def report(x, **settings) -> Report:
    return quiet(granularity.report, x, Settings(**settings))


def fixes(x, **settings) -> granularity.Fixes:
    return quiet(granularity.fixes, x, Settings(**settings).fixes())


def granular(x, **settings) -> granularity.Granular:
    return quiet(granularity.granular, x, Settings(**settings).view())


def pooled(values: np.ndarray, bucket: int) -> np.ndarray:
    """The largest value of each run of ``bucket`` values, by a loop (NaN: all NaN)."""
    out = []
    for start in range(0, values.size, bucket):
        run = values[start:start + bucket]
        out.append(np.nan if np.isnan(run).all() else np.nanmax(run))
    return np.array(out)


def vectorwise(a: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric codes by hand: absmax / (2^(b-1) - 1), half to even, in int64."""
    qmax = 2 ** (bits - 1) - 1
    a = np.asarray(a, np.float64)
    scale = np.max(np.abs(a), axis=1) / qmax
    q = np.rint(a / np.where(scale > 0, scale, 1.0)[:, None]).astype(np.int64)
    return q, scale


def reference_matmul(x: np.ndarray, w: np.ndarray, bits: int, outliers=()) -> np.ndarray:
    """LLM.int8() by hand: the ``outliers`` columns in float64, the rest vector-wise."""
    keep = np.ones(x.shape[1], bool)
    keep[list(outliers)] = False
    qx, sx = vectorwise(np.where(keep, x, 0.0), bits)
    qw, sw = vectorwise(np.where(keep, w, 0.0), bits)
    y = (qx @ qw.T).astype(np.float64) * sx[:, None] * sw[None, :]
    return y + x[:, ~keep].astype(np.float64) @ w[:, ~keep].astype(np.float64).T


def assert_same(a, b, where: str = "") -> None:
    """Two results equal field by field (arrays too; NaN equals NaN)."""
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k}]")
    elif isinstance(a, tuple | list) and any(dataclasses.is_dataclass(v) for v in a):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same(u, v, f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(np.asarray(a, dtype=object if a is None else None),
                                      np.asarray(b, dtype=object if b is None else None),
                                      err_msg=where)


@pytest.fixture(scope="module")
def workspace_x() -> np.ndarray:
    """The workspace's default tensor: normal, 64 x 256, seed 0."""
    return ql.generate("normal", (64, 256))


@pytest.fixture(scope="module")
def default_report(workspace_x) -> Report:
    return report(workspace_x)


# --- the fixes at the defaults -------------------------------------------------------


@pytest.mark.parametrize("name", FIXES[1:])
def test_every_fix_beats_one_scale_at_the_defaults(default_report, name):
    r = default_report.fixes
    base, fix = r.fix("per_tensor"), r.fix(name)
    assert fix.sqnr_db > base.sqnr_db
    assert fix.rel_error < base.rel_error
    assert fix.cosine >= base.cosine


def test_fixes_are_listed_once_each_in_order(default_report):
    r = default_report.fixes
    assert [f.name for f in r.fixes] == list(FIXES)
    assert r.shape == (64, 256) and r.out_features == 128
    for f in r.fixes:
        assert 0.0 < f.rel_error < 1.0 and math.isfinite(f.sqnr_db), f
        # SQNR and the relative error are two views of one number
        assert f.sqnr_db == pytest.approx(-20 * math.log10(f.rel_error), rel=1e-6), f


def test_llm_int8_finds_exactly_the_injected_channels(default_report, workspace_x):
    injected = activations(workspace_x, Build()).channels
    assert injected.size == 4
    assert default_report.fixes.llm_columns.tolist() == injected.tolist()
    assert default_report.fixes.float_share == 4 / 256
    # the granularity section marks the same columns
    assert default_report.granular.outlier_channels.tolist() == injected.tolist()


@pytest.mark.parametrize("out_features", [16, 4096])
def test_fixes_measure_at_most_measure_out_outputs(out_features):
    r = fixes(ql.generate("normal", (8, 64), seed=6), out_features=out_features)
    assert r.out_features == out_features
    assert r.measured_out == min(out_features, granularity.MEASURE_OUT)
    assert all(math.isfinite(f.sqnr_db) for f in r.fixes)


def test_smoothing_equalizes_the_maxima_at_alpha_half(default_report):
    f = default_report.fixes
    assert f.absmax_x[1] < f.absmax_x[0] and f.absmax_w[1] > f.absmax_w[0]
    # alpha=0.5: every channel's x and w maxima meet at sqrt(max|x_j| max|w_j|)
    m = f.migration.series
    np.testing.assert_allclose(m["x_after"], m["w_after"], rtol=1e-12)
    np.testing.assert_allclose(m["x_after"], np.sqrt(m["x_before"] * m["w_before"]),
                               rtol=1e-6)


# --- clipping: isolated outliers against outlier channels ----------------------------


def test_clipping_isolated_outliers_at_4_bits_gains_several_db(workspace_x):
    r = fixes(workspace_x, outliers="isolated", count=8, bits=4, clip="percentile",
              percentile=99.9)
    assert r.fix("clipping").sqnr_db > r.fix("per_tensor").sqnr_db + 3.0
    assert r.fix("clipping").rel_error < r.fix("per_tensor").rel_error
    assert 0.0 < r.clipped_share < 0.01
    assert r.clip_range[1] < r.minmax_range[1]


def test_clipping_outlier_channels_at_8_bits_loses(workspace_x):
    # Whole outlier channels are signal, not noise: 4 of 256 channels are 1.6% of the
    # values, beyond the 99.9th percentile, so clipping them cuts real signal away and
    # y gets worse than with the one min-max scale (the page teaches this ordering).
    r = fixes(workspace_x, clip="percentile", percentile=99.9)
    assert r.fix("clipping").sqnr_db < r.fix("per_tensor").sqnr_db
    assert r.fix("clipping").rel_error > r.fix("per_tensor").rel_error
    assert r.clipped_share > 0.001


# --- the seed examples ---------------------------------------------------------------


def test_seed002_outlier_squeezes_the_rest_onto_few_codes():
    g = granular(seed_tensor("seed002_outlier"), outliers="none", granularity="tensor", bits=8)
    assert g.shape == (1, 8)
    assert g.codes_tensor == [0, 1, 0, -1, 0, 1, -127, 0]
    assert g.codes == g.codes_tensor  # per tensor is the chosen granularity
    assert g.values == pytest.approx(seed_tensor("seed002_outlier").tolist())
    assert g.scale_tensor == pytest.approx(99 / 127, rel=1e-12)
    assert g.collapsed_tensor == 7 / 8  # all but the outlier land on -1, 0 or 1


def test_seed003_groups_one_scale_per_row_saves_group_b():
    g = granular(seed_tensor("seed003_groups"), outliers="none", granularity="row", bits=4)
    assert g.shape == (2, 4)
    assert g.codes_tensor[:4] == g.codes[:4] == [7, 2, 5, 7]  # group A: its own max
    assert g.codes_tensor[4:] == [0, 0, 0, 0]  # group B: 2 < half a step of 30/7
    assert g.codes[4:] == [0, 7, 7, 0]
    one, chosen = g.row_error.series["one"], g.row_error.series["chosen"]
    assert one[1] == pytest.approx(100.0) and chosen[1] == 0.0
    assert one[0] == chosen[0] > 0.0
    assert g.scales.ravel().tolist() == pytest.approx([30 / 7, 2 / 7], rel=1e-12)


def test_codes_are_listed_only_for_tiny_tensors(default_report):
    g = default_report.granular
    assert g.values is g.codes is g.codes_tensor is None
    tiny = granular(np.linspace(-1, 1, MAX_CODES, dtype=np.float32), outliers="none")
    assert len(tiny.codes) == len(tiny.codes_tensor) == len(tiny.values) == MAX_CODES


# --- SmoothQuant's alpha curve -------------------------------------------------------


def test_alphas_run_from_0_to_1_in_11_steps():
    assert len(ALPHAS) == 11
    assert np.array(ALPHAS) == pytest.approx(np.linspace(0.0, 1.0, 11), abs=1e-12)
    assert ALPHAS[5] == 0.5


def test_alpha_curve_at_half_is_the_smooth_quant_fix(default_report):
    c = default_report.curve
    assert not c.sampled
    assert (c.rows, c.out_features) == (64, 128)
    assert c.alphas.tolist() == list(ALPHAS)
    assert c.sqnr_db[ALPHAS.index(0.5)] == pytest.approx(
        default_report.fixes.fix("smooth_quant").sqnr_db, rel=1e-6)
    assert c.best in ALPHAS
    assert c.sqnr_db[ALPHAS.index(c.best)] == np.max(c.sqnr_db)


@pytest.mark.parametrize(("shape", "out_features", "rows", "outs"), [
    ((100, 256), 128, CURVE_ROWS, 128), ((64, 256), 512, 64, CURVE_OUT),
], ids=["100-tokens", "512-outputs"])
def test_alpha_curve_is_sampled_on_big_tensors(shape, out_features, rows, outs):
    c = quiet(granularity.alpha_curve, ql.generate("normal", shape),
              Curve(out_features=out_features))
    assert c.sampled
    assert (c.rows, c.out_features) == (rows, outs)
    assert np.isfinite(c.sqnr_db).all()


# --- granularity: the grid of scales -------------------------------------------------


def expected_scales(x: np.ndarray, granularity_: str, group: int, qmax: int = 127):
    """The whole grid of symmetric scales by hand: absmax / qmax of each part."""
    a = np.abs(x.astype(np.float64))
    if granularity_ == "tensor":
        amax = a.max().reshape(1, 1)
    elif granularity_ == "row":
        amax = a.max(axis=1, keepdims=True)
    elif granularity_ == "column":
        amax = a.max(axis=0, keepdims=True)
    else:
        amax = np.stack([a[:, i:i + group].max(axis=1) for i in range(0, a.shape[1], group)],
                        axis=1)
    return amax / qmax


@pytest.mark.parametrize("shape", [(8, 40), (100, 300)], ids=["small", "big"])
@pytest.mark.parametrize(("gran", "group"), [
    ("tensor", 16), ("row", 16), ("column", 16), ("group", 16), ("group", 2),
], ids=["tensor", "row", "column", "group16", "group2"])
def test_scale_grid_shape_and_values(shape, gran, group):
    x = ql.generate("normal", shape, seed=3)
    g = granular(x, granularity=gran, group_size=group)
    rows, cols = shape
    full = {"tensor": (1, 1), "row": (rows, 1), "column": (1, cols),
            "group": (rows, math.ceil(cols / group))}[gran]
    assert g.scales_shape == full
    assert g.scale_count == full[0] * full[1]
    assert g.scales.shape == (min(full[0], HEAT_ROWS), min(full[1], HEAT_COLUMNS))
    a = activations(x, Build()).x
    want = expected_scales(a, gran, group)
    np.testing.assert_allclose(g.scales, want[:HEAT_ROWS, :HEAT_COLUMNS], rtol=1e-12)
    assert g.scale_tensor == pytest.approx(float(np.abs(a).max()) / 127, rel=1e-12)


def test_group_larger_than_a_row_is_capped():
    g = granular(ql.generate("normal", (8, 10)), granularity="group", group_size=128)
    assert g.group_size == 10
    assert g.scales_shape == (8, 1) and g.scale_count == 8


def test_finer_granularity_beats_one_scale_with_outlier_channels(default_report):
    g = default_report.granular
    assert g.granularity == "column"
    assert g.sqnr_db > g.sqnr_db_tensor + 10.0
    assert g.collapsed < g.collapsed_tensor


# --- per-channel charts: pooling ----------------------------------------------------


@pytest.fixture(scope="module")
def wide():
    """A 1 x 2001 tensor (more than MAX_POINTS columns, a short last bucket) at 4 bits
    per group of 16, with 4 outlier channels."""
    x = ql.generate("normal", (1, 2001), seed=11)
    return x, granular(x, granularity="group", group_size=16, bits=4)


def test_wide_tensor_is_pooled_into_buckets(wide):
    _, g = wide
    bucket = math.ceil(2001 / MAX_POINTS)
    for chart in (g.column_error, g.column_absmax):
        assert chart.bucket == bucket > 1
        assert chart.index.tolist() == list(range(0, 2001, bucket))
        assert all(v.size == chart.index.size for v in chart.series.values())
    assert g.row_error.bucket == 1 and g.row_error.index.tolist() == [0]


def test_pooled_column_errors_are_each_buckets_max(wide):
    x, g = wide
    a = activations(x, Build()).x.astype(np.float64)[0]
    qmax = 7
    tensor_scale = np.abs(a).max() / qmax
    group_scale = np.repeat([np.abs(a[i:i + 16]).max() / qmax for i in range(0, a.size, 16)],
                            16)[:a.size]
    for name, scale in (("one", tensor_scale), ("chosen", group_scale)):
        x_hat = (np.clip(np.rint(a / scale), -qmax, qmax) * scale).astype(np.float32)
        err = np.abs(x_hat - a)  # one row: the column's norm is |value|
        rel = np.where(err == 0, 0.0, 100.0 * err / np.abs(a))
        want = pooled(rel, g.column_error.bucket)
        np.testing.assert_allclose(g.column_error.series[name], want, rtol=1e-6, err_msg=name)


def test_pooled_absmax_and_outlier_marks(wide):
    x, g = wide
    act = activations(x, Build())
    absmax = np.abs(act.x.astype(np.float64))[0]
    bucket = g.column_absmax.bucket
    np.testing.assert_array_equal(g.column_absmax.series["absmax"], pooled(absmax, bucket))
    marked = np.full(absmax.size, np.nan)
    marked[act.channels] = absmax[act.channels]
    got = g.column_absmax.series["outlier"]
    np.testing.assert_array_equal(got, pooled(marked, bucket))
    assert np.count_nonzero(~np.isnan(got)) == np.unique(act.channels // bucket).size


def test_tall_tensor_pools_rows_with_a_short_last_bucket():
    x = ql.generate("normal", (1100, 2), seed=4)
    g = granular(x, outliers="none", granularity="row")
    bucket = math.ceil(1100 / MAX_POINTS)
    assert g.row_error.bucket == bucket == 3
    assert g.row_error.index.tolist() == list(range(0, 1100, 3))
    assert np.isfinite(g.row_error.series["one"]).all()
    assert g.row_error.series["one"][-1] >= 0.0


# --- degenerate inputs and invalid settings ------------------------------------------


DEGENERATE = {
    "zeros": (np.zeros((4, 8), np.float32), (4, 8)),
    "constant": (np.full((4, 8), 3.0, np.float32), (4, 8)),
    "vector": (np.arange(10, dtype=np.float32) - 4.5, (1, 10)),
    "3-d": (ql.generate("normal", (2, 3, 16)), (6, 16)),
    "single": (np.array([2.5], np.float32), (1, 1)),
}


@pytest.mark.parametrize(("outliers", "bits"), [("channels", 8), ("isolated", 2), ("none", 8)],
                         ids=["channels-8", "isolated-2", "none-8"])
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_inputs_give_sensible_numbers(name, outliers, bits):
    x, shape = DEGENERATE[name]
    r = report(x, outliers=outliers, bits=bits, granularity="group")
    assert r.granular.shape == r.fixes.shape == shape
    assert not math.isnan(r.granular.sqnr_db) and not math.isnan(r.granular.sqnr_db_tensor)
    for f in r.fixes.fixes:
        assert not math.isnan(f.sqnr_db), f
        assert math.isfinite(f.rel_error) and f.rel_error >= 0.0, f
        assert math.isfinite(f.cosine) and math.isfinite(f.max_error), f
    assert not np.isnan(r.curve.sqnr_db).any()
    assert r.curve.best in ALPHAS
    assert 0.0 <= r.granular.collapsed <= 1.0


def test_all_zeros_stay_exact():
    r = report(np.zeros((4, 8), np.float32))
    assert all(f.rel_error == 0.0 and f.sqnr_db == math.inf for f in r.fixes.fixes)
    assert r.granular.codes == [0] * 32 and r.granular.collapsed == 1.0
    # 20 x 0 is 0: the channels are chosen, but none reaches LLM.int8()'s threshold
    assert r.granular.outlier_channels.size == 4 and r.fixes.llm_columns.size == 0


@pytest.mark.parametrize(("outliers", "attr"), [("isolated", "rows"),
                                                ("channels", "channels")])
def test_outlier_count_beyond_the_tensor_is_capped(outliers, attr):
    x = ql.generate("normal", (2, 3), seed=1)
    a = activations(x, Build(outliers, count=10))
    assert getattr(a, attr).size == (6 if outliers == "isolated" else 3)
    if outliers == "channels":
        assert a.channels.tolist() == [0, 1, 2]
    assert report(x, outliers=outliers, count=10).granular.shape == (2, 3)


def test_isolated_outliers_land_where_reported(workspace_x):
    a = activations(workspace_x, Build("isolated", count=8, magnitude=20.0))
    assert a.rows.size == a.columns.size == 8 and a.channels.size == 0
    spread = 20.0 * float(np.std(workspace_x, dtype=np.float64))
    assert np.abs(a.x[a.rows, a.columns]) == pytest.approx(spread, rel=0.05)


@pytest.mark.parametrize("empty", [np.zeros(0, np.float32), np.zeros((0, 4), np.float32)],
                         ids=["1-d", "2-d"])
@pytest.mark.parametrize("part", ["granular", "fixes", "alpha_curve", "report"])
def test_empty_tensor_raises(empty, part):
    with pytest.raises(ParameterError):
        getattr(granularity, part)(empty)


@pytest.mark.parametrize("bad", [
    dict(outliers="bogus"), dict(bits=9), dict(alpha=1.5), dict(threshold=0.0),
    dict(group_size=3), dict(out_features=7), dict(clip="foo"), dict(percentile=42.0),
    dict(count=65), dict(magnitude=0.5), dict(granularity="block"), dict(bits=1),
], ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()))
def test_invalid_settings_raise(bad):
    s = Settings(**bad)
    with pytest.raises(ValueError):  # each bad value is caught by one of the two parts
        s.fixes().check()
        s.view().check()
    with pytest.raises(ValueError):
        granularity.report(np.ones((2, 4), np.float32), s)


# --- determinism, inputs untouched, the weights --------------------------------------


def test_report_is_deterministic(workspace_x, default_report):
    assert_same(default_report, report(workspace_x.copy()))


@pytest.mark.parametrize("settings", [
    {}, dict(outliers="none", granularity="tensor"), dict(outliers="isolated", bits=4,
                                                          granularity="group", group_size=8),
], ids=["default", "none-tensor", "isolated-group"])
def test_input_is_never_modified(settings):
    x = ql.generate("normal", (16, 32), seed=2)
    before = x.copy()
    x.flags.writeable = False
    report(x, **settings)  # a write into x would raise here
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize(("out", "features"), [(128, 256), (16, 64), (512, 1024)])
def test_weights_are_seeded_read_only_and_scaled(out, features):
    w = weights(out, features)
    assert w.shape == (out, features)
    assert not w.flags.writeable
    with pytest.raises(ValueError):
        w[0, 0] = 1.0
    assert float(np.std(w)) == pytest.approx(1 / math.sqrt(features), rel=0.05)
    np.testing.assert_array_equal(w, ql.generate("normal", (out, features), seed=7,
                                                 scale=1 / math.sqrt(features)))


# --- the maths and the code ----------------------------------------------------------


@pytest.mark.parametrize(("settings", "n_columns"), [
    ({}, 4), (dict(threshold=2.5), None), (dict(outliers="none", bits=4), 0),
], ids=["default-4-columns", "threshold-2.5-many", "none-4-bit-no-column"])
def test_latex_shows_threshold_and_outlier_columns(workspace_x, settings, n_columns):
    r = report(workspace_x, **settings)
    bits = Settings(**settings).bits
    lines = latex(r.granular, r.fixes, bits)
    assert all(isinstance(s, str) for s in lines)
    text = "\n".join(lines)
    assert rf"|x| \ge {num(r.fixes.threshold)}" in text
    qmax = 2 ** (bits - 1) - 1
    assert f"-{qmax}, {qmax}" in text and f"= {num(r.granular.scale_tensor)}" in text
    cols = r.fixes.llm_columns.tolist()
    if n_columns is None:  # more than 8: the list is cut short
        assert len(cols) > 8 and r"\dots" in text
    else:
        assert len(cols) == n_columns
    if not cols:
        assert r"\varnothing" in text
    else:
        shown = ", ".join(str(c) for c in cols[:8]) + (r", \dots" if len(cols) > 8 else "")
        assert "O = \\{" + shown + "\\}" in text


def test_code_snippet_prints_the_page_numbers(default_report):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(CODE, {})  # its own namespace: the snippet rebinds x and w
    printed = {}
    for line in out.getvalue().splitlines():
        name, value, unit = line.rsplit(" ", 2)
        assert unit == "dB"
        printed[name] = float(value)
    names = {"per tensor": "per_tensor", "finer": "finer", "LLM.int8()": "llm_int8",
             "SmoothQuant": "smooth_quant"}
    assert printed.keys() == names.keys()
    for shown, name in names.items():
        assert printed[shown] == round(default_report.fixes.fix(name).sqnr_db, 1), shown


# --- quantlib.outliers.llm_int8_matmul's bits ----------------------------------------


def ties_x(bits: int) -> np.ndarray:
    """Random activations, a row of exact half steps (scale 1) and a row of zeros."""
    qmax = 2 ** (bits - 1) - 1
    x = ql.generate("normal", (6, 24), seed=9).astype(np.float64)
    x[0] = 0.0
    halves = [qmax] + [(k + 0.5) * (-1) ** k for k in range(qmax)]
    x[0, :len(halves)] = halves[:24]
    x[1] = 0.0
    return x.astype(np.float32)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_vectorwise_codes_match_by_hand(bits):
    x = ties_x(bits)
    codes, scales = vectorwise_quantize(x, bits=bits)
    q, s = vectorwise(x, bits)
    np.testing.assert_array_equal(codes, q)
    np.testing.assert_array_equal(scales, s)
    assert scales[0] == 1.0 and scales[1] == 0.0 and not q[1].any()
    half = q[0, 1:min(24, 2 ** (bits - 1))]
    assert np.all(half % 2 == 0)  # every k + 0.5 went to its even neighbour


@pytest.mark.parametrize("threshold", [math.inf, 2.0], ids=["inf", "2"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_llm_int8_matmul_bits_matches_by_hand(bits, threshold):
    x = ties_x(bits)
    w = ql.generate("normal", (5, 24), seed=10)
    r = llm_int8_matmul(x, w, threshold=threshold, bits=bits)
    outliers = np.flatnonzero(np.abs(x).max(axis=0) >= threshold)
    assert r.outlier_columns.tolist() == outliers.tolist()
    if threshold == math.inf:
        assert outliers.size == 0
    want = reference_matmul(x, w, bits, outliers)
    np.testing.assert_allclose(r.y, want, rtol=1e-6, atol=1e-6 * np.abs(want).max())
    assert r.y.dtype == np.float32


def test_llm_int8_bits_default_is_8(workspace_x):
    w = weights(128, 256)
    assert_same(llm_int8_matmul(workspace_x, w, threshold=math.inf),
                llm_int8_matmul(workspace_x, w, threshold=math.inf, bits=8))


def test_page_passes_bits_to_llm_int8(workspace_x):
    r = fixes(workspace_x, bits=4)
    a = activations(workspace_x, Build()).x
    w = weights(128, 256)
    y = a.astype(np.float64) @ w.T.astype(np.float64)
    y_hat = reference_matmul(a, w, 4, activations(workspace_x, Build()).channels)
    rel = np.linalg.norm(y_hat - y) / np.linalg.norm(y)
    assert r.fix("llm_int8").rel_error == pytest.approx(rel, rel=1e-4)


@pytest.mark.parametrize("bits", [1, 9])
def test_llm_int8_bits_out_of_range_raise(bits):
    x = np.ones((2, 4), np.float32)
    with pytest.raises(ValueError):
        llm_int8_matmul(x, x, bits=bits)
