"""Tests for lessons.calibration and lessons.calibration_maths: the Calibration page's
report (every method, the MSE curve, the KL view, the codes), the observers fed batch
by batch, and the formulas with the live numbers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import quantlib as ql
from lessons import calibration, calibration_maths
from lessons.calibration import BatchSettings, Report, Settings
from lessons.text import num

F32 = dict(rel=1e-6, abs=1e-7)


def report(x, **settings) -> Report:
    """lessons.calibration.report with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return calibration.report(x, Settings(**settings))


def exact_mse(x, lo, hi, bits, symmetric) -> float:
    qp = ql.qparams_from_range(lo, hi, bits=bits, symmetric=symmetric)
    return ql.metrics(x, ql.fake_quantize(x, qp))["mse"]


@pytest.fixture(scope="module")
def workspace_x() -> np.ndarray:
    """The workspace's default tensor: normal, 64 x 256, seed 0."""
    return ql.generate("normal", (64, 256))


@pytest.fixture(scope="module")
def default_report(workspace_x) -> Report:
    return report(workspace_x)


@pytest.fixture(scope="module")
def outliers_x() -> np.ndarray:
    """The tensor of the page's "laplace_outliers" preset."""
    return ql.generate("laplace", (64, 256), outliers=8, outlier_scale=25.0)


# --- every method on one tensor ------------------------------------------------------


@pytest.mark.parametrize("settings", [
    {}, dict(symmetric=False), dict(bits=4, percentile=99.0), dict(bits=2, bins=256),
    dict(bits=6, symmetric=False, percentile=70.0, bins=8192),
], ids=["default", "affine", "4-bit-p99", "2-bit-256-bins", "6-bit-affine-p70"])
def test_one_result_per_method_each_consistent(workspace_x, settings):
    r = report(workspace_x, **settings)
    s = Settings(**settings)
    assert [m.method for m in r.results] == list(ql.METHODS)
    for m in r.results:
        assert m.lo <= m.hi, m
        assert m.clip_mse + m.round_mse == pytest.approx(m.mse, rel=1e-9), m
        assert m.mse == pytest.approx(exact_mse(workspace_x, m.lo, m.hi, s.bits, s.symmetric),
                                      rel=1e-9), m
        qp = ql.qparams_from_range(m.lo, m.hi, bits=s.bits, symmetric=s.symmetric)
        assert m.scale == pytest.approx(float(qp.scale), rel=1e-12)
        assert m.zero_point == int(qp.zero_point)
        assert 0.0 <= m.clipped_fraction <= 1.0
        assert math.isfinite(m.sqnr_db)
    minmax = r.result("minmax")
    assert minmax.clip_mse == 0.0 and minmax.clipped_fraction == 0.0
    if s.symmetric:
        assert minmax.hi == pytest.approx(float(np.abs(workspace_x).max()))
        assert all(m.zero_point == 0 for m in r.results)


def test_default_report_summary(default_report, workspace_x):
    r = default_report
    assert r.size == workspace_x.size
    assert (r.x_min, r.x_max) == (float(workspace_x.min()), float(workspace_x.max()))
    assert not r.constant
    assert r.counts.sum() == workspace_x.size  # the display range holds every value
    assert r.edges.size == r.counts.size + 1 == calibration.HIST_BINS + 1
    assert r.edges[0] <= r.x_min and r.edges[-1] >= r.x_max
    # A large tensor is not listed value by value.
    assert r.values is None and r.codes is None
    assert r.result("nonexistent") is None


def test_on_a_normal_tensor_clipping_methods_beat_minmax_at_8_bits(default_report):
    r = default_report
    minmax = r.result("minmax")
    for method in ("percentile", "mse"):
        clipped = r.result(method)
        assert clipped.hi < minmax.hi
        assert clipped.clip_mse > 0 and clipped.mse < minmax.mse


# --- the seeds' worked examples ------------------------------------------------------


def test_seed002_outlier_codes():
    x = ql.seed_tensor("seed002_outlier")
    r = report(x, percentile=70.0)
    assert r.codes["percentile"] == [65, 127, -65, -108, 0, 127, -128, 43]
    assert r.codes["minmax"] == [0, 1, 0, -1, 0, 1, -127, 0]
    assert r.values == pytest.approx([0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -99.0, 0.2])
    assert set(r.codes) == set(ql.METHODS)
    assert r.result("percentile").hi == pytest.approx(0.59, abs=1e-6)
    # The seed's expected codes, as the page checks them.
    expected = calibration.EXAMPLES["seed002_outlier"].expected_q
    assert {m: list(q) for m, q in expected.items()} == {m: r.codes[m] for m in expected}


def test_seed003_percentile_range():
    x = ql.seed_tensor("seed003_percentile")
    r = report(x, symmetric=False, percentile=99.0)
    p = r.result("percentile")
    assert (p.lo, p.hi) == (pytest.approx(-0.2, **F32), pytest.approx(0.3, **F32))
    assert r.size == 101 and r.codes is None  # more than MAX_CODES values
    assert calibration.EXAMPLES["seed003_percentile"].expected_range["percentile"] == (-0.2, 0.3)


def test_seed003_kl_keeps_five():
    x = ql.seed_tensor("seed003_kl")
    r = report(x, symmetric=False)
    e = r.result("entropy")
    assert (e.lo, e.hi) == (0.0, pytest.approx(5.0))
    assert r.kl is not None and r.kl.threshold == pytest.approx(5.0)
    assert r.kl.levels == 256  # all values >= 0: unsigned, 2^b levels
    assert len(r.codes["entropy"]) == 4


# --- the MSE curve -------------------------------------------------------------------


def curve_tensors():
    return {
        "normal": ql.generate("normal", (64, 256)),
        "laplace-outliers": ql.generate("laplace", (64, 256), outliers=8, outlier_scale=25.0),
        "relu": ql.generate("relu", (64, 64)),
        "negative": -np.abs(ql.generate("normal", (32, 32), seed=4)),
        "llm": ql.generate("llm_activations", (64, 256)),
    }


CURVE_TENSORS = curve_tensors()


def test_symmetric_curve_shape(default_report):
    c = default_report.curve
    assert c.symmetric
    assert c.x.size == c.mse.size == c.clip_mse.size == calibration.CURVE_POINTS
    assert np.all(np.diff(c.x) > 0)
    assert np.all(c.mse >= 0) and np.all(c.clip_mse >= 0)
    assert np.all(c.round_mse >= 0)
    assert np.all(c.clip_mse <= c.mse * (1 + 1e-12))
    assert c.x[-1] == pytest.approx(default_report.result("minmax").hi)
    # Nothing is clipped at the widest threshold: the whole of the MSE is rounding.
    assert c.clip_mse[-1] == 0.0
    x_low, mse_low = c.lowest
    assert x_low in c.x and mse_low == np.nanmin(c.mse)
    # The curve starts low enough to show every pick.
    assert c.x[0] <= min(r.hi for r in default_report.results)


def test_mse_search_is_at_least_as_good_as_the_drawn_grid(default_report):
    assert default_report.result("mse").mse <= default_report.curve.lowest[1] * 1.01


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
@pytest.mark.parametrize("name", list(CURVE_TENSORS))
def test_mse_search_beats_the_curve_everywhere(name, symmetric, bits):
    """At the default 2048 bins, the MSE pick's exact MSE is within 1 % of the exact MSE
    at the drawn curve's lowest point (the curve itself is a histogram estimate)."""
    x = CURVE_TENSORS[name]
    r = report(x, bits=bits, symmetric=symmetric)
    c, best = r.curve, r.result("mse")
    t, _ = c.lowest
    if symmetric:
        lo, hi = -t, t
    else:  # a point of a slice through the best range: one end moves
        lo, hi = (t, max(best.hi, 0.0)) if t < 0 else (min(best.lo, 0.0), t)
    assert best.mse <= exact_mse(x, lo, hi, bits, symmetric) * 1.01
    assert np.nanmin(c.mse) >= 0


def test_drawn_curve_agrees_with_the_exact_mse_at_coarse_bins(workspace_x):
    r = report(workspace_x, bits=8, bins=256)
    c = r.curve
    exact = np.array([exact_mse(workspace_x, -t, t, 8, True) for t in c.x])
    assert np.max(np.abs(c.mse - exact) / exact) < 0.25


def test_asymmetric_curve_has_two_slices_with_a_gap(workspace_x):
    r = report(workspace_x, symmetric=False)
    c = r.curve
    assert not c.symmetric
    gaps = np.flatnonzero(np.isnan(c.mse))
    assert gaps.tolist() == [calibration.CURVE_POINTS]  # after the left slice
    assert np.isnan(c.x[gaps[0]]) and np.isnan(c.clip_mse[gaps[0]])
    left, right = c.x[:gaps[0]], c.x[gaps[0] + 1:]
    assert left.size == right.size == calibration.CURVE_POINTS
    assert np.all(left < 0) and np.all(right > 0)
    assert np.all(np.diff(left) > 0) and np.all(np.diff(right) > 0)
    assert left[0] == pytest.approx(r.x_min) and right[-1] == pytest.approx(r.x_max)
    finite = ~np.isnan(c.mse)
    assert np.all(c.mse[finite] >= 0)
    assert np.all(c.round_mse[finite] >= 0)
    assert not np.isnan(c.lowest[1])


def test_asymmetric_curve_of_non_negative_data_has_no_left_slice():
    x = ql.generate("relu", (64, 64))
    assert x.min() >= 0
    c = report(x, symmetric=False).curve
    assert not np.isnan(c.mse).any()
    assert np.all(c.x > 0) and c.x.size == calibration.CURVE_POINTS
    assert np.all(np.diff(c.x) > 0)


def test_asymmetric_curve_of_non_positive_data_has_no_right_slice():
    x = -np.abs(ql.generate("normal", (32, 32), seed=4))
    c = report(x, symmetric=False).curve
    assert np.all(c.x[~np.isnan(c.x)] < 0)
    assert c.x.size == calibration.CURVE_POINTS + 1  # the left slice and its NaN end


# --- the KL view ---------------------------------------------------------------------


@pytest.mark.parametrize("settings", [{}, dict(bits=4, bins=512), dict(symmetric=False)],
                         ids=["default", "4-bit-512", "affine"])
def test_kl_view(workspace_x, settings):
    r = report(workspace_x, **settings)
    k = r.kl
    assert k is not None
    assert k.threshold == pytest.approx(r.result("entropy").hi)
    assert float(np.sum(k.p)) == pytest.approx(1.0, abs=1e-9)
    assert float(np.sum(k.q)) == pytest.approx(1.0, abs=1e-9)
    assert np.all(k.p >= 0) and np.all(k.q >= 0)
    assert k.p.size == k.q.size == k.centers.size <= calibration.MAX_PQ_POINTS
    assert np.all(np.diff(k.centers) > 0)
    assert k.thresholds.size == k.divergences.size
    assert np.nanmin(k.divergences) == pytest.approx(k.divergence, rel=1e-6, abs=1e-12)
    assert k.kept_bins >= 128 and k.threshold == pytest.approx(k.kept_bins * k.width)
    assert k.levels == 1 << (Settings(**settings).bits - 1)  # signed data: 2^(b-1) levels


def test_kl_view_is_none_for_an_all_zero_tensor():
    assert report(np.zeros((8, 8))).kl is None
    assert report(np.zeros((8, 8)), symmetric=False).kl is None


# --- degenerate inputs ---------------------------------------------------------------


DEGENERATE = {
    "constant": (np.full((4, 4), 2.5, dtype=np.float32), True),
    "negative-constant": (np.full(5, -3.0), True),
    "all-zero": (np.zeros((3, 3), dtype=np.float32), True),
    "one-element": (np.array([1.5]), True),
    "two-elements": (np.array([-1.0, 2.0]), False),
    "int-dtype": (np.arange(-5, 6), False),
    "int-constant": (np.full(7, 4, dtype=np.int32), True),
}


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
@pytest.mark.parametrize("name", list(DEGENERATE))
def test_degenerate_tensors(name, symmetric):
    x, constant = DEGENERATE[name]
    r = report(x, symmetric=symmetric, bits=4)
    assert r.constant is constant
    assert r.size == x.size
    assert [m.method for m in r.results] == list(ql.METHODS)
    for m in r.results:
        values = (m.lo, m.hi, m.scale, m.mse, m.clip_mse, m.round_mse, m.clipped_fraction)
        assert all(math.isfinite(v) for v in values), m
        assert m.lo <= m.hi and m.scale > 0
    finite = ~np.isnan(r.curve.mse)
    assert finite.any() and np.all(np.isfinite(r.curve.x[finite]))
    assert np.all(r.curve.mse[finite] >= 0)
    assert np.isfinite(r.edges).all() and r.counts.sum() == x.size
    # Small: every value listed, with its code under every method.
    assert r.values == pytest.approx(np.asarray(x, np.float64).reshape(-1).tolist())
    assert all(len(r.codes[m]) == x.size for m in ql.METHODS)
    assert (r.kl is None) == (name == "all-zero")


@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize(("value", "symmetric"), [
    (2.5, True), (2.5, False), (0.0, True), (0.0, False), (4, True), (4, False),
    (-3.0, True),
], ids=lambda v: str(v))
def test_constant_tensor_every_method_gives_the_same_error(value, symmetric, bits):
    r = report(np.full(5, value), symmetric=symmetric, bits=bits)
    assert r.constant and r.x_min == r.x_max == value
    assert len({m.mse for m in r.results}) == 1, [(m.method, m.lo, m.hi, m.mse)
                                                  for m in r.results]


def test_constant_negative_tensor_affine_entropy_is_symmetric():
    """Entropy works on |x|: a negative constant gets [-|c|, |c|] (only data >= 0 get
    [0, t]); the others keep [c, c]. The page does not claim the errors are equal."""
    r = report(np.full(5, -3.0), symmetric=False, bits=4)
    assert r.constant
    assert (r.result("entropy").lo, r.result("entropy").hi) == (-3.0, 3.0)
    assert r.result("minmax").mse == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_nonfinite_tensor_is_refused(bad):
    x = np.array([1.0, bad, -2.0])
    with pytest.raises(ql.ParameterError, match="NaN or Inf"):
        calibration.report(x)


@pytest.mark.parametrize("settings", [dict(bits=1), dict(bits=17), dict(percentile=0.0),
                                      dict(percentile=101.0), dict(bins=0)],
                         ids=["bits-1", "bits-17", "p-0", "p-101", "bins-0"])
def test_bad_settings_are_refused(workspace_x, settings):
    with pytest.raises(ql.ParameterError):
        calibration.report(workspace_x, Settings(**settings))


# --- observers over batches ----------------------------------------------------------


@pytest.mark.parametrize("n", [2, 8, 32])
def test_batch_count_and_sizes(outliers_x, n):
    view = calibration.batches(outliers_x, BatchSettings(batches=n))
    assert view.count == n
    assert view.sizes.sum() == outliers_x.size
    assert view.minmax.shape == view.moving.shape == view.histogram.shape == (n, 2)


@pytest.mark.parametrize(("size", "n", "count"), [(1, 2, 1), (2, 8, 2), (5, 32, 5), (5, 2, 2)])
def test_never_more_batches_than_values(size, n, count):
    view = calibration.batches(np.arange(1.0, size + 1), BatchSettings(batches=n))
    assert view.count == count == min(n, size)
    assert view.sizes.sum() == size and np.all(view.sizes >= 1)


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_minmax_after_the_last_batch_is_minmax_of_the_whole(outliers_x, workspace_x,
                                                           symmetric):
    for x in (outliers_x, workspace_x):
        view = calibration.batches(x, BatchSettings(symmetric=symmetric))
        assert tuple(view.minmax[-1]) == pytest.approx(
            ql.calibrate(x, "minmax", symmetric=symmetric))


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_minmax_ranges_only_widen(outliers_x, symmetric):
    view = calibration.batches(outliers_x, BatchSettings(batches=32, symmetric=symmetric))
    lo, hi = view.minmax[:, 0], view.minmax[:, 1]
    assert np.all(np.diff(lo) <= 0) and np.all(np.diff(hi) >= 0)
    # The first batch's range is that batch's own.
    first = np.array_split(outliers_x.reshape(-1), 32)[0]
    assert tuple(view.minmax[0]) == pytest.approx(ql.calibrate(first, "minmax",
                                                               symmetric=symmetric))


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "affine"])
def test_averaging_constant_one_follows_the_last_batch(outliers_x, symmetric):
    view = calibration.batches(outliers_x, BatchSettings(averaging_constant=1.0,
                                                         symmetric=symmetric))
    parts = np.array_split(outliers_x.reshape(-1), view.count)
    for k, part in enumerate(parts):
        assert tuple(view.moving[k]) == pytest.approx(
            ql.calibrate(part, "minmax", symmetric=symmetric), rel=1e-6)


def test_moving_average_lags_behind_minmax(outliers_x):
    view = calibration.batches(outliers_x, BatchSettings(averaging_constant=0.01,
                                                         symmetric=False))
    # A slow average stays inside min-max's range (which only widens).
    assert np.all(view.moving[:, 0] >= view.minmax[:, 0] - 1e-9)
    assert np.all(view.moving[:, 1] <= view.minmax[:, 1] + 1e-9)
    assert view.moving[-1, 1] < view.minmax[-1, 1]


def test_histogram_observer_gives_finite_ranges_inside_minmax(outliers_x):
    view = calibration.batches(outliers_x, BatchSettings(percentile=99.0))
    assert np.isfinite(view.histogram).all()
    assert np.all(view.histogram[:, 1] <= view.minmax[:, 1] + 1e-6)
    assert np.all(view.histogram[:, 0] >= view.minmax[:, 0] - 1e-6)


def test_batches_docstring_example():
    b = calibration.batches([1.0, -1.0, 3.0, 0.5], BatchSettings(batches=2, symmetric=False))
    assert b.minmax.tolist() == [[-1.0, 1.0], [-1.0, 3.0]]
    np.testing.assert_allclose(b.moving, [[-1.0, 1.0], [-0.85, 1.2]])


@pytest.mark.parametrize("n", [1, 33])
def test_batches_out_of_bounds_are_refused(workspace_x, n):
    with pytest.raises(ql.ParameterError):
        calibration.batches(workspace_x, BatchSettings(batches=n))


def test_frames_and_after(outliers_x):
    view = calibration.batches(outliers_x, BatchSettings(batches=8))
    assert view.frames(3, False) == ([3], 0.0)
    assert view.frames(0, False) == ([1], 0.0)  # clamped to the batches there are
    assert view.frames(99, False) == ([8], 0.0)
    steps, pause = view.frames(3, True)  # playing draws every step, whatever the step
    assert steps == list(range(1, 9))
    assert pause == pytest.approx(min(calibration.MAX_FRAME_SECONDS,
                                      calibration.PLAY_SECONDS / 8))
    assert pause * len(steps) <= calibration.PLAY_SECONDS + 1e-9
    few = calibration.batches(outliers_x, BatchSettings(batches=2))
    assert few.frames(1, True)[1] == calibration.MAX_FRAME_SECONDS  # capped per batch
    index, ranges, fed = view.after(3)
    assert index == [1, 2, 3]
    assert set(ranges) == set(calibration.OBSERVERS)
    assert all(v.shape == (3, 2) for v in ranges.values())
    assert fed == int(view.sizes[:3].sum())
    assert view.after(100)[0] == list(range(1, 9)) and view.after(100)[2] == outliers_x.size
    assert view.after(0)[0] == [1]


def test_most_batches():
    low, high = calibration.BATCHES.low, calibration.BATCHES.high
    assert calibration.most_batches(1) == low
    assert calibration.most_batches(2) == 2
    assert calibration.most_batches(5) == 5
    assert calibration.most_batches(high) == high
    assert calibration.most_batches(10**6) == high


# --- the table and the best method ---------------------------------------------------


@pytest.mark.parametrize("methods", [
    ("mse", "minmax"), ("entropy",), tuple(reversed(ql.METHODS)), ("percentile", "bogus"),
])
def test_table_keeps_the_order_of_methods(default_report, methods):
    table = default_report.table(methods)
    assert tuple(table) == calibration.TABLE_COLUMNS
    expected = [m for m in ql.METHODS if m in methods]
    assert table["method"] == expected
    for column in calibration.TABLE_COLUMNS:
        assert len(table[column]) == len(expected)
    for k, method in enumerate(expected):
        r = default_report.result(method)
        assert table["hi"][k] == r.hi and table["mse"][k] == r.mse
        assert table["clipped"][k] == r.clipped_fraction


def test_empty_table_and_no_best(default_report):
    assert default_report.table(()) == {c: [] for c in calibration.TABLE_COLUMNS}
    assert default_report.chosen(()) == []
    assert default_report.best(()) is None


@pytest.mark.parametrize("methods", [tuple(ql.METHODS), ("minmax", "entropy"), ("minmax",)])
def test_best_is_the_smallest_mse(default_report, methods):
    best = default_report.best(methods)
    assert best.method in methods
    assert best.mse == min(default_report.result(m).mse for m in methods)


# --- the maths -----------------------------------------------------------------------


def say(key: str) -> str:
    return key


def test_latex_holds_the_live_numbers(default_report):
    r, s = default_report, Settings()
    lines = calibration_maths.latex(r, s, say)
    assert len(lines) == 7 and all(isinstance(line, str) and line for line in lines)
    text = "\n".join(lines)
    minmax, pct, mse = r.result("minmax"), r.result("percentile"), r.result("mse")
    assert num(minmax.hi, 6) in lines[0] and r"\text{minmax}" in lines[0]
    assert num(pct.hi, 6) in lines[1] and "P_{99.99}" in lines[1]
    assert num(r.kl.threshold, 6) in lines[2] and str(r.kl.kept_bins) in lines[2]
    assert num(r.kl.divergence, 4) in lines[3] and str(r.kl.levels) in lines[3]
    assert num(mse.lo, 6) in lines[4] and num(mse.hi, 6) in lines[4]
    best = r.best(ql.METHODS)
    assert best.method == "mse"
    assert num(best.mse, 4) in lines[5] and num(best.clip_mse, 4) in lines[5]
    assert num(best.scale, 6) in lines[6]
    for word in calibration_maths.WORDS:
        assert rf"\text{{{word}}}" in text


def test_latex_asymmetric_names_both_ends(workspace_x):
    s = Settings(symmetric=False, percentile=99.0)
    r = report(workspace_x, symmetric=False, percentile=99.0)
    lines = calibration_maths.latex(r, s, say)
    minmax, pct = r.result("minmax"), r.result("percentile")
    assert num(minmax.lo, 6) in lines[0] and num(minmax.hi, 6) in lines[0]
    assert num(pct.lo, 6) in lines[1] and "P_{1}" in lines[1] and "P_{99}" in lines[1]
    assert f"z = {r.best(ql.METHODS).zero_point}" in lines[-1]


def test_latex_uses_the_words_it_is_given(default_report):
    lines = calibration_maths.latex(default_report, Settings(), lambda k: f"<{k}>")
    assert r"\text{<minmax>}" in lines[0]
    assert r"\text{<clipped>}" in lines[5]


def test_latex_without_a_kl_view_skips_entropy():
    x = np.zeros(10)
    lines = calibration_maths.latex(report(x), Settings(), say)
    assert len(lines) == 5 and not any(r"\mathrm{KL}" in line for line in lines)


def test_latex_unsigned_kl_uses_all_levels():
    x = ql.seed_tensor("seed003_kl")
    s = Settings(symmetric=False)
    lines = calibration_maths.latex(report(x, symmetric=False), s, say)
    assert any("2^{b} = 256" in line for line in lines)
