"""Tests for lessons.uniform: the Uniform page's report (what it computes and bins)."""

from __future__ import annotations

import dataclasses
import math
import pickle
import warnings

import numpy as np
import pytest

import quantlib as ql
from lessons import uniform
from lessons.binned import ErrorCloud, ErrorHistogram, LevelHistogram, Staircase, nbytes
from lessons.uniform import Settings
from quantlib import Layout, binning
from quantlib import granularity as gran
from quantlib.explain import levels, qparams_at

F32_MAX = float(np.finfo(np.float32).max)
LAYOUTS = [
    # (layout, focus)
    (Layout.tensor(), 0),
    (Layout.channel(0), 2),
    (Layout.channel(1), 7),
    (Layout.group(16, axis=1), 5),
    (Layout.group(3, axis=0), 9),  # 6 rows: two whole groups of 3 per column
    (Layout.group(64, axis=1), 3),  # 100 columns: groups of 64 and a partial one of 36
]
LAYOUT_IDS = ["tensor", "channel-axis0", "channel-axis1", "group16-axis1", "group3-axis0",
              "group64-partial"]
SCHEMES = [
    dict(symmetric=False), dict(symmetric=True), dict(symmetric=True, narrow_range=True),
    dict(symmetric=False, signed=False), dict(symmetric=False, include_zero=False),
]
SCHEME_IDS = ["affine", "symmetric", "symmetric-narrow", "affine-unsigned", "affine-as-given"]


def tensor(shape=(6, 100), seed=3):
    x = ql.generate("normal", shape, seed=seed)
    # Give each row its own scale so that per-channel focus choices differ.
    return (x * np.arange(1, shape[0] + 1, dtype=np.float32)[:, None]).astype(np.float32)


def report(x, **settings):
    """lessons.uniform.report with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return uniform.report(x, Settings(**settings))


def focus_part(x, r, layout):
    if r.focus is None:
        return np.asarray(x).reshape(-1)
    return gran.select(np.asarray(x), layout, r.focus)


def display_range(r):
    return float(r.histogram.edges[0]), float(r.histogram.edges[-1])


def cloud_total(r):
    cloud = r.cloud
    return int(cloud.counts.sum()) if cloud.counts is not None else cloud.points.shape[1]


# --- structure ---------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 100), (64, 100)], ids=["points", "2d-counts"])
def test_report_fields_and_fixed_sizes(shape):
    x = tensor(shape)
    r = report(x)
    names = {f.name for f in dataclasses.fields(uniform.Report)}
    assert names >= {
        "focus", "focus_qparams", "num_params", "scale_range", "work_dtype", "calibrated",
        "degenerate", "range_used", "n_levels", "focus_size", "focus_min", "focus_max",
        "focus_clipped", "level_range", "metrics", "histogram", "staircase", "errors",
        "cloud", "table",
    }
    assert isinstance(r.histogram, LevelHistogram) and isinstance(r.staircase, Staircase)
    assert isinstance(r.errors, ErrorHistogram) and isinstance(r.cloud, ErrorCloud)
    assert r.histogram.edges.shape == (uniform.HIST_BINS + 1,)
    assert r.histogram.counts.shape == r.histogram.counts_hat.shape == (uniform.HIST_BINS,)
    assert r.errors.edges.shape == (uniform.ERROR_BINS + 1,)
    assert r.errors.counts.shape == (uniform.ERROR_BINS,)
    assert r.cloud.x_edges.shape == (uniform.CLOUD_BINS[0] + 1,)
    assert r.cloud.error_edges.shape == (uniform.CLOUD_BINS[1] + 1,)
    if x.size <= uniform.MAX_ERROR_POINTS:
        assert r.cloud.counts is None and r.cloud.points.shape == (2, x.size)
    else:
        assert r.cloud.points is None and r.cloud.counts.shape == uniform.CLOUD_BINS
    assert r.staircase.x.shape == r.staircase.q.shape == r.staircase.x_hat.shape == (
        uniform.STAIRCASE_POINTS,)


def test_report_sizes_do_not_grow_with_the_tensor():
    small, big = report(tensor((64, 100))), report(tensor((4, 20_000)))
    for part in ("histogram", "staircase", "errors", "cloud"):
        assert nbytes(getattr(small, part)) == nbytes(getattr(big, part)), part
    assert {k: v.shape for k, v in small.table.items()} == {k: v.shape for k, v in
                                                           big.table.items()}


@pytest.fixture(scope="module")
def megatensor():
    return ql.generate("normal", (1024, 1024), seed=5)


@pytest.mark.parametrize("layout", [
    Layout.group(2, axis=1), Layout.group(2, axis=0), Layout.channel(1), Layout.tensor(),
], ids=["group2-last", "group2-axis0", "channel-axis1", "tensor"])
def test_a_report_of_a_million_values_holds_only_small_arrays(megatensor, layout):
    # Per group of 2, the QParams alone hold 524288 scales and zero points: the report
    # keeps the focused pair only, so a cache of reports stays small.
    r = uniform.report(megatensor, Settings(layout=layout, focus=3))
    assert r.num_params == layout.num_params(megatensor.shape)
    assert nbytes(r) < 100_000
    assert len(pickle.dumps(r)) < 1_000_000 // 4  # no large object outside the arrays either


def test_nbytes_counts_nested_arrays():
    hist = LevelHistogram(np.zeros(3), np.zeros(2, np.int64), None, None, (0.0, 1.0))
    assert nbytes(hist) == 3 * 8 + 2 * 8
    assert nbytes({"a": [hist, (np.zeros(4, np.float32),)], "b": 1.0}) == 40 + 16
    assert nbytes(None) == 0


def test_report_is_frozen():
    r = report(tensor())
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.focus = 3  # type: ignore[misc]


def test_settings_are_hashable_and_frozen():
    a, b = Settings(layout=Layout.channel(0)), Settings(layout=Layout.channel(0))
    assert a == b and hash(a) == hash(b)
    assert Settings(layout=Layout.channel(1)) != a
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.bits = 8  # type: ignore[misc]


# --- every layout ------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize(("layout", "focus"), LAYOUTS, ids=LAYOUT_IDS)
def test_report_counts_and_metrics_per_layout(layout, focus, scheme):
    x = tensor()
    r = report(x, bits=4, layout=layout, focus=focus, **scheme)
    qp = ql.choose_qparams(x, bits=4, layout=layout, **scheme)
    assert uniform.qparams_for(x, Settings(bits=4, layout=layout, **scheme)) == qp
    assert r.num_params == qp.num_params
    assert r.focus == (None if layout.granularity == "tensor" else focus)
    part = focus_part(x, r, layout)
    assert r.focus_size == part.size
    # The focus histograms hold every focus value; the error charts hold every value.
    assert r.histogram.counts.sum() == r.focus_size
    assert r.histogram.counts_hat.sum() == r.focus_size
    assert r.errors.counts.sum() == x.size
    assert cloud_total(r) == x.size
    assert r.metrics == ql.metrics(x, ql.fake_quantize(x, qp), qp)
    assert len(r.table["q"]) == uniform.TABLE_ROWS
    assert r.scale_range == pytest.approx((float(np.min(qp.scale)), float(np.max(qp.scale))))


@pytest.mark.parametrize(("layout", "focus"), LAYOUTS, ids=LAYOUT_IDS)
def test_focus_fields_describe_the_focused_slice(layout, focus):
    x = tensor()
    r = report(x, layout=layout, focus=focus)
    qp = uniform.qparams_for(x, Settings(layout=layout))
    part = focus_part(x, r, layout)
    assert (r.focus_min, r.focus_max) == (float(part.min()), float(part.max()))
    assert r.focus_qparams == qparams_at(qp, r.focus)
    assert r.focus_qparams.layout == Layout.tensor()
    assert r.calibrated == ql.calibrate(part, "minmax")
    assert r.half_step == r.focus_qparams.scale / 2
    fq = r.focus_qparams
    assert r.level_range == pytest.approx(((fq.qmin - fq.zero_point) * fq.scale,
                                           (fq.qmax - fq.zero_point) * fq.scale))
    lo, hi = display_range(r)
    assert lo < min(r.focus_min, r.level_range[0]) and max(r.focus_max, r.level_range[1]) < hi
    # Same fake-quantized values for the slice as for the whole tensor.
    part_hat = ql.fake_quantize(part, fq)
    assert r.histogram.counts_hat.tolist() == binning.histogram(
        part_hat, uniform.HIST_BINS, lo, hi)[0].tolist()


def test_focus_channel_changes_the_focus_stats():
    x = tensor()
    layout = Layout.channel(0)
    qp = uniform.qparams_for(x, Settings(layout=layout))
    reports = [report(x, layout=layout, focus=i) for i in range(x.shape[0])]
    for i, r in enumerate(reports):
        assert r.focus == i
        assert (r.focus_min, r.focus_max) == (float(x[i].min()), float(x[i].max()))
        assert r.focus_qparams.scale == pytest.approx(qp.scale[i])
    # Rows have scales 1..6, so every focus differs from the others ...
    assert len({r.focus_qparams.scale for r in reports}) == x.shape[0]
    assert not np.array_equal(reports[0].histogram.counts, reports[-1].histogram.counts)
    assert reports[0].half_step < reports[-1].half_step
    # ... while the whole-tensor numbers stay the same.
    assert all(r.metrics == reports[0].metrics for r in reports)
    assert all(np.array_equal(r.errors.counts, reports[0].errors.counts) for r in reports)


def test_focus_is_ignored_per_tensor():
    x = tensor()
    a, b = report(x, focus=0), report(x, focus=4)
    assert a.focus is None and b.focus is None
    assert a.focus_size == b.focus_size == x.size
    assert np.array_equal(a.histogram.counts, b.histogram.counts)


@pytest.mark.parametrize(("layout", "focus", "match"), [
    (Layout.channel(0), 6, "index 6 is out of range: there are 6 channel parameter pairs"),
    (Layout.channel(0), -1, "index -1 is out of range"),
    (Layout.group(64, axis=1), 12, "index 12 is out of range: there are 12 group parameter"),
], ids=["channel-past-end", "negative", "group-past-end"])
def test_focus_out_of_range_raises(layout, focus, match):
    with pytest.raises(ValueError, match=match):
        uniform.report(tensor(), Settings(layout=layout, focus=focus))


# --- step table and staircase -------------------------------------------------------

@pytest.mark.parametrize(("size", "expected"), [
    (600, uniform.TABLE_ROWS), (5, 5), (1, 1),
], ids=["page-rows", "short-tensor", "single"])
def test_step_table_has_at_most_table_rows(size, expected):
    x = ql.generate("normal", size, seed=1)
    r = report(x)
    assert {len(col) for col in r.table.values()} == {expected}
    qp = uniform.qparams_for(x, Settings())
    assert r.table["q"].tolist() == ql.quantize(x, qp).reshape(-1)[:expected].tolist()


@pytest.mark.parametrize("rounding", ["half_even", "half_away", "floor"])
def test_staircase_is_the_focus_quantizer(rounding):
    x = tensor()
    r = report(x, bits=3, layout=Layout.channel(0), focus=1, rounding=rounding)
    stair = r.staircase
    lo, hi = display_range(r)
    assert stair.x[0] == pytest.approx(lo)
    assert stair.x[-1] == pytest.approx(hi)
    assert stair.q.tolist() == ql.quantize(stair.x, r.focus_qparams, rounding=rounding).tolist()
    assert np.all(np.diff(stair.q.astype(np.int64)) >= 0)
    assert set(stair.q.tolist()) == set(range(r.focus_qparams.qmin, r.focus_qparams.qmax + 1))
    assert np.allclose(stair.x_hat, ql.dequantize(stair.q, r.focus_qparams))
    assert (stair.scale, stair.zero_point) == (r.focus_qparams.scale,
                                               r.focus_qparams.zero_point)
    # The code axis lines up with x: x_hat = (q - z) * s is linear.
    q_lo, q_hi = stair.q_axis
    assert q_lo == pytest.approx(float(stair.x[0]) / stair.scale + stair.zero_point)
    assert q_hi == pytest.approx(float(stair.x[-1]) / stair.scale + stair.zero_point)


# --- degenerate tensors --------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize(("layout", "focus"), LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("c", [0.0, 3.0, -0.125], ids=["all-zero", "three", "neg-eighth"])
def test_constant_tensor_works_without_warnings(c, layout, focus, scheme):
    x = np.full((6, 100), c, np.float32)
    r = report(x, layout=layout, focus=focus, **scheme)
    assert r.metrics["mse"] == 0.0 and r.metrics["max_abs_error"] == 0.0
    assert r.metrics["sqnr_db"] == math.inf
    assert r.metrics["clipped_fraction"] == 0.0
    assert r.focus_min == r.focus_max == c
    assert r.histogram.counts.sum() == r.histogram.counts_hat.sum() == r.focus_size
    assert r.errors.counts.sum() == cloud_total(r) == x.size
    lo, hi = display_range(r)
    assert math.isfinite(lo) and math.isfinite(hi) and lo < c < hi
    assert np.all(r.table["q"] == r.table["q"][0])


def test_all_zero_tensor_uses_scale_one():
    r = report(np.zeros(50, np.float32), symmetric=True)
    assert r.focus_qparams.scale == 1.0 and r.half_step == 0.5
    assert r.metrics["cosine"] == 1.0
    assert r.degenerate


@pytest.mark.parametrize("value", [0.7, -2.0, 0.0], ids=["positive", "negative", "zero"])
def test_single_element(value):
    r = report(np.array([value]))
    assert r.focus_size == 1 and r.histogram.counts.sum() == 1
    assert len(r.table["x"]) == 1
    assert r.metrics["max_abs_error"] <= r.half_step + 1e-7


def test_integer_tensor():
    x = np.arange(-20, 21, dtype=np.int32)
    r = report(x, bits=4)
    qp = uniform.qparams_for(x, Settings(bits=4))
    assert r.histogram.counts.sum() == x.size
    assert r.metrics == ql.metrics(x, ql.fake_quantize(x, qp), qp)


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([1.0, np.inf]),
                                 np.array([], np.float32)], ids=["nan", "inf", "empty"])
def test_unusable_tensors_raise(bad):
    with pytest.raises(ValueError, match="NaN or Inf|empty"):
        uniform.report(bad)


@pytest.mark.parametrize("x", [
    np.array([-2e38, 0.0, 1e38, 2e38], np.float32),
    np.array([1e-39, 2e-39, 3e-39], np.float32),
], ids=["huge", "subnormal"])
def test_extreme_float32_tensors_are_fully_counted_without_warnings(x):
    r = report(x)
    assert r.histogram.counts.sum() == r.histogram.counts_hat.sum() == x.size
    assert cloud_total(r) == x.size


def test_report_does_not_mutate_its_input():
    x = tensor()
    before = x.copy()
    report(x, layout=Layout.group(16, axis=1), rounding="stochastic", seed=4)
    assert np.array_equal(x, before)


# --- bits, rounding, calibration ----------------------------------------------------

@pytest.mark.parametrize(("bits", "n_levels", "drawn"), [(2, 4, True), (8, 256, False),
                                                         (16, 65536, False)],
                         ids=["2bit", "8bit", "16bit"])
@pytest.mark.parametrize("layout", [Layout.tensor(), Layout.channel(0)],
                         ids=["tensor", "channel"])
def test_bits_2_to_16(bits, n_levels, drawn, layout):
    x = tensor()
    r = report(x, bits=bits, layout=layout, focus=3)
    assert r.n_levels == n_levels
    if drawn:
        assert r.histogram.levels.tolist() == pytest.approx(levels(r.focus_qparams).tolist())
    else:
        assert r.histogram.levels is None  # too many to draw
    assert r.histogram.counts.sum() == r.focus_size == r.histogram.counts_hat.sum()
    expected_dtype = np.int8 if bits <= 8 else np.int16
    assert r.focus_qparams.dtype == expected_dtype and r.staircase.q.dtype == expected_dtype


def test_more_bits_give_a_higher_sqnr_on_the_page_tensor():
    x = tensor()
    sqnr = [report(x, bits=b).metrics["sqnr_db"] for b in (2, 4, 8, 16)]
    assert sqnr == sorted(sqnr)
    # About 6 dB per bit between 8 and 16 bits.
    assert sqnr[3] - sqnr[2] == pytest.approx(8 * 6.02, abs=3)


@pytest.mark.parametrize(("rounding", "seed"), [("half_even", 0), ("half_away", 0),
                                                ("floor", 0), ("stochastic", 7)])
@pytest.mark.parametrize("layout", [Layout.tensor(), Layout.channel(0), Layout.group(16, axis=1)],
                         ids=["tensor", "channel", "group"])
def test_report_sqnr_equals_metrics_on_fake_quantize(rounding, seed, layout):
    x = tensor()
    s = Settings(bits=3, layout=layout, rounding=rounding, seed=seed)
    r = report(x, bits=3, layout=layout, rounding=rounding, seed=seed)
    x_hat = ql.fake_quantize(x, uniform.qparams_for(x, s), rounding=rounding, seed=seed)
    m = ql.metrics(x, x_hat)
    assert r.metrics["sqnr_db"] == m["sqnr_db"]
    assert r.metrics["mse"] == m["mse"]
    assert r.metrics["max_abs_error"] == m["max_abs_error"]


def test_percentile_calibration_and_its_focus_range():
    x = tensor()
    x[0, 0] = 500.0  # an outlier in channel 0
    r = report(x, method="percentile", percentile=99.0, layout=Layout.channel(0), focus=0)
    assert r.calibrated == pytest.approx(ql.calibrate(x[0], "percentile", percentile=99.0))
    assert r.metrics["clipped_fraction"] > 0
    assert r.focus_max == 500.0


def test_manual_range_replaces_calibration():
    x = np.arange(12.0)
    s = Settings(bits=8, method="manual", manual_range=(0.0, 5.0))
    r = report(x, bits=8, method="manual", manual_range=(0.0, 5.0))
    assert uniform.qparams_for(x, s) == ql.qparams_from_range(0.0, 5.0)
    assert r.calibrated == (0.0, 5.0) and r.range_used == (0.0, 5.0)
    # 6..11 lie beyond half a step past 5.0.
    assert r.metrics["clipped_fraction"] == 0.5
    assert r.histogram.counts.sum() == x.size


@pytest.mark.parametrize("kwargs", [
    dict(layout=Layout.channel(0), method="manual", manual_range=(-1.0, 1.0)),
    dict(layout=Layout.group(4), method="manual", manual_range=(-1.0, 1.0)),
    dict(method="manual"),
], ids=["channel", "group", "no-range"])
def test_manual_range_needs_per_tensor_and_a_range(kwargs):
    with pytest.raises(ValueError, match="a manual range applies to the whole tensor"):
        Settings(**kwargs)


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be one of 'minmax', 'percentile'"):
        uniform.report(tensor(), Settings(method="kl"))


def test_docstring_example_seed_003():
    r = report([-2.5, -1.0, 0.0, 1.0, 3.5], symmetric=True, narrow_range=True, bits=8)
    assert r.table["q"].tolist() == [-91, -36, 0, 36, 127]
    assert round(r.metrics["sqnr_db"], 1) == 50.4


@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
def test_range_used_gives_the_reports_scale(scheme):
    x = tensor()[2] + 3.0  # mostly positive, so widening to zero matters
    r = report(x, **scheme)
    lo, hi = r.range_used
    assert uniform.qparams_for(x, Settings(**scheme)) == ql.qparams_from_range(
        lo, hi, bits=4, **scheme)


def test_focus_clipped_covers_the_focused_slice_only():
    x = ql.generate("llm_activations", (64, 32), seed=0)
    layout = Layout.channel(1)
    r = uniform.report(x, Settings(layout=layout, method="percentile", percentile=99.0,
                                   focus=3))
    part = gran.select(x, layout, index=3)
    assert r.focus_clipped == ql.clipped_fraction(part, r.focus_qparams)
    whole = uniform.report(x, Settings(method="percentile", percentile=99.0))
    assert whole.focus_clipped == whole.metrics["clipped_fraction"]


# --- edge cases: every chart gets finite axes -----------------------------------------

X3 = ql.generate("laplace", (3, 5, 7), seed=4)
LAPLACE = ql.generate("laplace", (8, 96), seed=3)


def _edge_cases():
    cases = {}
    for text in ("1e-320", "1e-310", "1e308", "3.4e38"):
        hi = float(text)
        for name, scheme in (("affine", {}), ("symmetric", dict(symmetric=True))):
            cases[f"manual-pm{text}-{name}"] = (LAPLACE, Settings(
                method="manual", manual_range=(-hi, hi), **scheme))
    cases["one-value"] = (np.array([0.7], np.float32), Settings())
    cases["all-zero"] = (np.zeros((4, 6), np.float32), Settings())
    cases["constant"] = (np.full((4, 6), -2.5, np.float32), Settings(layout=Layout.channel(1)))
    near_max = np.array([-F32_MAX, -3.3e38, 0.0, 3.4e38, F32_MAX], np.float32)
    for name, scheme in (("affine", {}), ("symmetric", dict(symmetric=True)),
                         ("unsigned", dict(signed=False)),
                         ("as-given", dict(include_zero=False))):
        cases[f"f32-max-{name}"] = (near_max, Settings(**scheme))
    for bits in (2, 8):
        for rounding in ql.ROUNDING_MODES:
            cases[f"{bits}bit-{rounding}"] = (LAPLACE, Settings(bits=bits, rounding=rounding,
                                                                 seed=3))
    for axis in (0, 1, 2, -1):
        cases[f"3d-channel{axis}"] = (X3, Settings(layout=Layout.channel(axis), focus=1))
        # Groups of 2 leave a partial last group along every axis (3, 5 and 7 values).
        cases[f"3d-group2-axis{axis}"] = (X3, Settings(layout=Layout.group(2, axis=axis),
                                                       focus=5))
    return cases


EDGE_CASES = _edge_cases()


def axis_ranges(r):
    """Every (name, low, high) range a chart puts on an axis."""
    h, st, e, c = r.histogram, r.staircase, r.errors, r.cloud
    ranges = [("histogram.edges", h.edges[0], h.edges[-1]),
              ("staircase.x", st.x[0], st.x[-1]),
              ("staircase.x_hat", st.x_hat.min(), st.x_hat.max()),
              ("staircase.clip", *st.clip),
              ("errors.edges", e.edges[0], e.edges[-1]),
              ("cloud.x_edges", c.x_edges[0], c.x_edges[-1]),
              ("cloud.error_edges", c.error_edges[0], c.error_edges[-1])]
    if h.clip is not None:
        ranges.append(("histogram.clip", *h.clip))
    if h.levels is not None:
        ranges.append(("histogram.levels", h.levels.min(), h.levels.max()))
    if c.clip is not None:
        ranges.append(("cloud.clip", *c.clip))
    if c.points is not None:
        ranges.append(("cloud.points", c.points.min(), c.points.max()))
    if st.q_axis is not None:
        ranges.append(("staircase.q_axis", *st.q_axis))
    return ranges


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("x", "s"), EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_case_gives_a_report_with_finite_axes(x, s):
    r = uniform.report(x, s)
    bad = [(name, lo, hi) for name, lo, hi in axis_ranges(r)
           if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi)]
    assert bad == []
    # The bins are usable: a non-empty range, and every value of the focus counted.
    assert r.histogram.edges[0] < r.histogram.edges[-1]
    assert r.errors.edges[0] < r.errors.edges[-1]
    assert r.histogram.counts.sum() == r.focus_size
    assert r.errors.counts.sum() == cloud_total(r) == x.size
    assert math.isfinite(r.half_step) and r.half_step > 0


@pytest.mark.parametrize(("x", "s"), EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_case_gives_a_report_without_warnings(x, s):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = uniform.report(x, s)
    assert r.histogram.counts.sum() == r.focus_size


ONE_VALUE_TENSORS = {
    "one-positive": np.array([0.7], np.float32), "one-negative": np.array([-2.0], np.float32),
    "one-huge": np.array([3e38], np.float32), "one-subnormal": np.array([1e-40], np.float32),
    "one-zero": np.zeros(1, np.float32), "all-zero": np.zeros((3, 4), np.float32),
}
# Symmetric unsigned codes really clip a negative value (to code 0): not in this grid.
ONE_VALUE_CASES = {
    f"{name}-{scheme_id}": (x, scheme)
    for name, x in ONE_VALUE_TENSORS.items()
    for scheme_id, scheme in zip(SCHEME_IDS + ["symmetric-unsigned"],
                                 SCHEMES + [dict(symmetric=True, signed=False)], strict=True)
    if not (scheme_id == "symmetric-unsigned" and x.min() < 0)
}


@pytest.mark.parametrize("bits", [2, 8], ids=["2bit", "8bit"])
@pytest.mark.parametrize(("x", "scheme"), ONE_VALUE_CASES.values(), ids=ONE_VALUE_CASES.keys())
def test_one_value_and_all_zeros_are_never_shown_as_clipped(x, scheme, bits):
    r = report(x, bits=bits, **scheme)
    assert r.metrics["clipped_fraction"] == 0.0 and r.focus_clipped == 0.0
    # Nothing is clipped, so the charts shade nothing (and the staircase's clip bounds,
    # drawn whatever the data, hold every value).
    assert r.histogram.clip is None and r.cloud.clip is None
    clip = r.staircase.clip
    assert clip[0] <= float(x.min()) and float(x.max()) <= clip[1]
