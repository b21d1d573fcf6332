"""Tests for quantlib.analysis: uniform_report (the Uniform page's numbers) and range_used."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import quantlib as ql
from quantlib import analysis
from quantlib.analysis import range_used

# The Uniform page asks for this many step-table rows (ui.controls.MAX_TABLE_ROWS).
PAGE_TABLE_ROWS = 32
LAYOUTS = [
    # (granularity, axis, group_size, focus)
    ("tensor", 0, 64, 0),
    ("channel", 0, 64, 2),
    ("channel", 1, 64, 7),
    ("group", 1, 16, 5),
    ("group", 0, 3, 9),  # 6 rows: two whole groups of 3 per column
    ("group", 1, 64, 3),  # 100 columns: groups of 64 and a partial one of 36
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


def report(x, **kwargs):
    """uniform_report with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return ql.uniform_report(x, **kwargs)


def focus_part(x, r):
    if r.focus is None:
        return x.reshape(-1)
    qp = r.qparams
    return ql.select(x, qp.granularity, qp.axis, qp.group_size or 64, r.focus)


# --- structure ---------------------------------------------------------------------

def test_report_fields_and_fixed_sizes():
    x = tensor()
    r = report(x)
    names = {f.name for f in dataclasses.fields(ql.UniformReport)}
    assert names >= {
        "qparams", "focus", "focus_qparams", "focus_range", "range_used", "half_step",
        "n_levels", "focus_size", "focus_min", "focus_max", "level_range", "metrics",
        "display_range", "hist_edges", "hist_x", "hist_x_hat", "levels", "stair_x", "stair_q",
        "stair_x_hat", "error_edges", "error_counts", "heat_counts", "heat_x_edges",
        "heat_error_edges", "table", "scale_min", "scale_max", "q_head",
    }
    assert r.hist_edges.shape == (analysis.HIST_BINS + 1,)
    assert r.hist_x.shape == r.hist_x_hat.shape == (analysis.HIST_BINS,)
    assert r.error_edges.shape == (analysis.ERROR_BINS + 1,)
    assert r.error_counts.shape == (analysis.ERROR_BINS,)
    assert r.heat_counts.shape == analysis.HEAT_BINS
    assert r.heat_x_edges.shape == (analysis.HEAT_BINS[0] + 1,)
    assert r.heat_error_edges.shape == (analysis.HEAT_BINS[1] + 1,)
    assert r.stair_x.shape == r.stair_q.shape == r.stair_x_hat.shape == (
        analysis.STAIRCASE_POINTS,)


def test_report_sizes_do_not_grow_with_the_tensor():
    small, big = report(tensor((2, 50))), report(tensor((4, 20_000)))
    for field in ("hist_x", "error_counts", "heat_counts", "stair_x", "q_head"):
        assert getattr(small, field).shape == getattr(big, field).shape, field


def test_report_is_frozen():
    r = report(tensor())
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.focus = 3  # type: ignore[misc]


# --- every granularity -------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize(("granularity", "axis", "group_size", "focus"), LAYOUTS,
                         ids=LAYOUT_IDS)
def test_report_counts_and_metrics_per_layout(granularity, axis, group_size, focus, scheme):
    x = tensor()
    r = report(x, bits=4, granularity=granularity, axis=axis, group_size=group_size,
               focus=focus, table_rows=PAGE_TABLE_ROWS, **scheme)
    qp = ql.choose_qparams(x, bits=4, granularity=granularity, axis=axis,
                           group_size=group_size, **scheme)
    assert r.qparams == qp
    assert r.focus == (None if granularity == "tensor" else focus)
    part = focus_part(x, r)
    assert r.focus_size == part.size
    # The focus histograms hold every focus value; the error charts hold every value.
    assert r.hist_x.sum() == r.focus_size
    assert r.hist_x_hat.sum() == r.focus_size
    assert r.error_counts.sum() == x.size
    assert r.heat_counts.sum() == x.size
    assert r.metrics == ql.metrics(x, ql.fake_quantize(x, qp), qp)
    assert len(r.table["q"]) == PAGE_TABLE_ROWS
    assert r.scale_min == pytest.approx(float(np.min(qp.scale)))
    assert r.scale_max == pytest.approx(float(np.max(qp.scale)))


@pytest.mark.parametrize(("granularity", "axis", "group_size", "focus"), LAYOUTS,
                         ids=LAYOUT_IDS)
def test_focus_fields_describe_the_focused_slice(granularity, axis, group_size, focus):
    x = tensor()
    r = report(x, granularity=granularity, axis=axis, group_size=group_size, focus=focus)
    part = focus_part(x, r)
    assert (r.focus_min, r.focus_max) == (float(part.min()), float(part.max()))
    assert r.focus_qparams == ql.qparams_at(r.qparams, r.focus)
    assert r.focus_qparams.granularity == "tensor"
    assert r.focus_range == ql.calibrate(part, "minmax")
    assert r.half_step == r.focus_qparams.scale / 2
    fq = r.focus_qparams
    assert r.level_range == pytest.approx(((fq.qmin - fq.zero_point) * fq.scale,
                                           (fq.qmax - fq.zero_point) * fq.scale))
    lo, hi = r.display_range
    assert lo < min(r.focus_min, r.level_range[0]) and max(r.focus_max, r.level_range[1]) < hi
    assert r.hist_edges[0] == lo and r.hist_edges[-1] == pytest.approx(hi)
    # Same fake-quantized values for the slice as for the whole tensor.
    part_hat = ql.fake_quantize(part, fq)
    assert r.hist_x_hat.tolist() == ql.histogram(part_hat, analysis.HIST_BINS, lo, hi)[0].tolist()


def test_focus_channel_changes_the_focus_stats():
    x = tensor()
    reports = [report(x, granularity="channel", axis=0, focus=i) for i in range(x.shape[0])]
    for i, r in enumerate(reports):
        assert r.focus == i
        assert (r.focus_min, r.focus_max) == (float(x[i].min()), float(x[i].max()))
        assert r.focus_qparams.scale == pytest.approx(r.qparams.scale[i])
    # Rows have scales 1..6, so every focus differs from the others ...
    assert len({r.focus_qparams.scale for r in reports}) == x.shape[0]
    assert not np.array_equal(reports[0].hist_x, reports[-1].hist_x)
    assert reports[0].half_step < reports[-1].half_step
    # ... while the whole-tensor numbers stay the same.
    assert all(r.metrics == reports[0].metrics for r in reports)
    assert all(np.array_equal(r.error_counts, reports[0].error_counts) for r in reports)


def test_focus_is_ignored_per_tensor():
    x = tensor()
    a, b = report(x, focus=0), report(x, focus=4)
    assert a.focus is None and b.focus is None
    assert a.focus_size == b.focus_size == x.size
    assert np.array_equal(a.hist_x, b.hist_x)


@pytest.mark.parametrize(("granularity", "focus", "match"), [
    ("channel", 6, "index 6 is out of range: there are 6 pairs"),
    ("channel", -1, "index -1 is out of range"),
    ("group", 12, "index 12 is out of range: there are 12 pairs"),
], ids=["channel-past-end", "negative", "group-past-end"])
def test_focus_out_of_range_raises(granularity, focus, match):
    with pytest.raises(ValueError, match=match):
        ql.uniform_report(tensor(), granularity=granularity, axis=0 if granularity == "channel"
                          else 1, group_size=64, focus=focus)


# --- step table and staircase -------------------------------------------------------

@pytest.mark.parametrize(("size", "rows", "expected"), [
    (600, PAGE_TABLE_ROWS, PAGE_TABLE_ROWS), (600, 8, 8), (5, PAGE_TABLE_ROWS, 5), (1, 8, 1),
], ids=["page-32", "default-8", "short-tensor", "single"])
def test_step_table_has_at_most_the_requested_rows(size, rows, expected):
    x = ql.generate("normal", size, seed=1)
    r = report(x, table_rows=rows)
    assert {len(col) for col in r.table.values()} == {expected}
    assert r.q_head.tolist() == ql.quantize(x, r.qparams).reshape(-1)[:expected].tolist()
    assert r.table["q"].tolist() == r.q_head.tolist()


def test_default_table_rows():
    assert len(report(tensor()).table["x"]) == 8


@pytest.mark.parametrize("rounding", ["half_even", "half_away", "floor"])
def test_staircase_is_the_focus_quantizer(rounding):
    x = tensor()
    r = report(x, bits=3, granularity="channel", focus=1, rounding=rounding)
    assert r.stair_x[0] == pytest.approx(r.display_range[0])
    assert r.stair_x[-1] == pytest.approx(r.display_range[1])
    assert r.stair_q.tolist() == ql.quantize(r.stair_x, r.focus_qparams,
                                             rounding=rounding).tolist()
    assert np.all(np.diff(r.stair_q.astype(np.int64)) >= 0)
    assert set(r.stair_q.tolist()) == set(range(r.focus_qparams.qmin, r.focus_qparams.qmax + 1))
    assert np.allclose(r.stair_x_hat, ql.dequantize(r.stair_q, r.focus_qparams))


# --- degenerate tensors --------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@pytest.mark.parametrize(("granularity", "axis", "group_size", "focus"), LAYOUTS,
                         ids=LAYOUT_IDS)
@pytest.mark.parametrize("c", [0.0, 3.0, -0.125], ids=["all-zero", "three", "neg-eighth"])
def test_constant_tensor_works_without_warnings(c, granularity, axis, group_size, focus,
                                                scheme):
    x = np.full((6, 100), c, np.float32)
    r = report(x, granularity=granularity, axis=axis, group_size=group_size, focus=focus,
               **scheme)
    assert r.metrics["mse"] == 0.0 and r.metrics["max_abs_error"] == 0.0
    assert r.metrics["sqnr_db"] == math.inf
    assert r.metrics["clipped_fraction"] == 0.0
    assert r.focus_min == r.focus_max == c
    assert r.hist_x.sum() == r.hist_x_hat.sum() == r.focus_size
    assert r.error_counts.sum() == r.heat_counts.sum() == x.size
    lo, hi = r.display_range
    assert math.isfinite(lo) and math.isfinite(hi) and lo < c < hi
    assert np.all(r.q_head == r.q_head[0])


def test_all_zero_tensor_uses_scale_one():
    r = report(np.zeros(50, np.float32), symmetric=True)
    assert r.qparams.scale == 1.0 and r.half_step == 0.5
    assert r.metrics["cosine"] == 1.0


@pytest.mark.parametrize("value", [0.7, -2.0, 0.0], ids=["positive", "negative", "zero"])
def test_single_element(value):
    r = report(np.array([value]))
    assert r.focus_size == 1 and r.hist_x.sum() == 1
    assert len(r.table["x"]) == 1
    assert r.metrics["max_abs_error"] <= r.half_step + 1e-7


def test_integer_tensor():
    x = np.arange(-20, 21, dtype=np.int32)
    r = report(x, bits=4)
    assert r.hist_x.sum() == x.size
    assert r.metrics == ql.metrics(x, ql.fake_quantize(x, r.qparams), r.qparams)


@pytest.mark.parametrize("bad", [np.array([1.0, np.nan]), np.array([1.0, np.inf]),
                                 np.array([], np.float32)], ids=["nan", "inf", "empty"])
def test_unusable_tensors_raise(bad):
    with pytest.raises(ValueError, match="NaN or Inf|empty"):
        ql.uniform_report(bad)


@pytest.mark.parametrize("x", [
    np.array([-2e38, 0.0, 1e38, 2e38], np.float32),
    np.array([1e-39, 2e-39, 3e-39], np.float32),
], ids=["huge", "subnormal"])
def test_extreme_float32_tensors_are_fully_counted_without_warnings(x):
    r = report(x)
    assert r.hist_x.sum() == r.hist_x_hat.sum() == x.size
    assert r.heat_counts.sum() == x.size


def test_report_does_not_mutate_its_input():
    x = tensor()
    before = x.copy()
    report(x, granularity="group", axis=1, group_size=16, rounding="stochastic", seed=4)
    assert np.array_equal(x, before)


# --- bits, rounding, calibration ----------------------------------------------------

@pytest.mark.parametrize(("bits", "n_levels", "drawn"), [(2, 4, True), (8, 256, False),
                                                         (16, 65536, False)],
                         ids=["2bit", "8bit", "16bit"])
@pytest.mark.parametrize("granularity", ["tensor", "channel"])
def test_bits_2_and_16(bits, n_levels, drawn, granularity):
    x = tensor()
    r = report(x, bits=bits, granularity=granularity, focus=3)
    assert r.n_levels == n_levels
    if drawn:
        assert r.levels.tolist() == pytest.approx(ql.levels(r.focus_qparams).tolist())
    else:
        assert r.levels is None  # too many to draw
    assert r.hist_x.sum() == r.focus_size and r.hist_x_hat.sum() == r.focus_size
    expected_dtype = np.int8 if bits <= 8 else np.int16
    assert r.q_head.dtype == expected_dtype


def test_more_bits_give_a_higher_sqnr_on_the_page_tensor():
    x = tensor()
    sqnr = [report(x, bits=b).metrics["sqnr_db"] for b in (2, 4, 8, 16)]
    assert sqnr == sorted(sqnr)
    # About 6 dB per bit between 8 and 16 bits.
    assert sqnr[3] - sqnr[2] == pytest.approx(8 * 6.02, abs=3)


@pytest.mark.parametrize(("rounding", "seed"), [("half_even", 0), ("half_away", 0),
                                                ("floor", 0), ("stochastic", 7)])
@pytest.mark.parametrize("granularity", ["tensor", "channel", "group"])
def test_report_sqnr_equals_metrics_on_fake_quantize(rounding, seed, granularity):
    x = tensor()
    r = report(x, bits=3, granularity=granularity, axis=1 if granularity == "group" else 0,
               group_size=16, rounding=rounding, seed=seed)
    x_hat = ql.fake_quantize(x, r.qparams, rounding=rounding, seed=seed)
    m = ql.metrics(x, x_hat)
    assert r.metrics["sqnr_db"] == m["sqnr_db"]
    assert r.metrics["mse"] == m["mse"]
    assert r.metrics["max_abs_error"] == m["max_abs_error"]


def test_percentile_calibration_and_its_focus_range():
    x = tensor()
    x[0, 0] = 500.0  # an outlier in channel 0
    r = report(x, method="percentile", percentile=99.0, granularity="channel", focus=0)
    assert r.focus_range == pytest.approx(ql.calibrate(x[0], "percentile", percentile=99.0))
    assert r.metrics["clipped_fraction"] > 0
    assert r.focus_max == 500.0


def test_manual_range_replaces_calibration():
    x = np.arange(12.0)
    r = report(x, manual_range=(0.0, 5.0))
    assert r.qparams == ql.qparams_from_range(0.0, 5.0)
    assert r.focus_range == (0.0, 5.0) and r.range_used == (0.0, 5.0)
    # 6..11 lie beyond half a step past 5.0.
    assert r.metrics["clipped_fraction"] == 0.5
    assert r.hist_x.sum() == x.size


def test_manual_range_needs_per_tensor():
    with pytest.raises(ValueError, match="a manual range applies to the whole tensor"):
        ql.uniform_report(tensor(), granularity="channel", manual_range=(-1.0, 1.0))


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be one of"):
        ql.uniform_report(tensor(), method="kl")


def test_docstring_example_seed_003():
    r = report([-2.5, -1.0, 0.0, 1.0, 3.5], symmetric=True, narrow_range=True)
    assert r.q_head.tolist() == [-91, -36, 0, 36, 127]
    assert round(r.metrics["sqnr_db"], 1) == 50.4


# --- range_used ----------------------------------------------------------------------

@pytest.mark.parametrize(("lo", "hi", "symmetric", "include_zero", "expected"), [
    (0.5, 2.0, False, True, (0.0, 2.0)),
    (-0.8, 0.7, True, True, (-0.8, 0.8)),
    (0.5, 2.0, False, False, (0.5, 2.0)),
    (-3.0, -1.0, False, True, (-3.0, 0.0)),
    (-3.0, -1.0, True, False, (-3.0, 3.0)),
    (0.0, 0.0, False, True, (0.0, 0.0)),
], ids=["widen-up", "symmetrize", "as-given", "widen-down", "symmetric-ignores-zero", "zero"])
def test_range_used(lo, hi, symmetric, include_zero, expected):
    assert range_used(lo, hi, symmetric=symmetric, include_zero=include_zero) == expected


@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
def test_range_used_gives_the_reports_scale(scheme):
    x = tensor()[2] + 3.0  # mostly positive, so widening to zero matters
    r = report(x, **scheme)
    lo, hi = r.range_used
    assert r.qparams == ql.qparams_from_range(lo, hi, **scheme)


def test_focus_clipped_covers_the_focused_slice_only():
    x = ql.generate("llm_activations", (64, 32), seed=0)
    r = ql.uniform_report(x, granularity="channel", axis=1, method="percentile",
                          percentile=99.0, focus=3)
    part = ql.select(x, "channel", 1, index=3)
    assert r.focus_clipped == ql.clipped_fraction(part, r.focus_qparams)
    whole = ql.uniform_report(x, method="percentile", percentile=99.0)
    assert whole.focus_clipped == whole.metrics["clipped_fraction"]
