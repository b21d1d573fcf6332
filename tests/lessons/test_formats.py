"""lessons.formats: the Number formats page's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import quantlib as ql
from lessons import formats


def test_the_table_has_every_format_in_order():
    assert [i.name for i in formats.format_table()] == list(ql.FORMATS)


@pytest.mark.parametrize("overflow", ql.OVERFLOW_MODES)
@pytest.mark.parametrize("value", [0.1, -0.0, 1e-8, 464.0, 1000.0, 65520.0, 3e38, -7.0])
def test_inspect_matches_cast_and_decompose(value, overflow):
    rows = formats.inspect(value, overflow)
    assert [r.fmt for r in rows] == list(formats.SHOWN)
    for r in rows:
        stored = float(ql.cast([value], r.fmt, overflow=overflow)[0])
        assert r.value == stored or (math.isnan(r.value) and math.isnan(stored))
        if r.bits is not None:
            assert r.bits.value == stored or math.isnan(stored)


def test_inspect_shows_the_overflow_behaviours():
    rows = {r.fmt: r for r in formats.inspect(1000.0, "ieee")}
    assert rows["fp8_e4m3"].bits.kind == "nan"
    assert rows["fp4_e2m1"].value == 6.0
    assert formats.inspect(1e6, "ieee")[1].bits.kind == "inf"  # fp16


def test_formula_reads_the_fields():
    fp16 = {r.fmt: r for r in formats.inspect(-1.5, "saturate")}["fp16"]
    assert fp16.formula == "(−1)^1 · 1.5 · 2^0 = -1.5"
    zero = {r.fmt: r for r in formats.inspect(0.0, "saturate")}["fp16"]
    assert zero.formula == "—"


@pytest.mark.parametrize("fmt", list(ql.FORMATS))
def test_spacing_is_positive_and_grows(fmt):
    s = formats.spacing(fmt)
    assert s.magnitude.size == s.gap.size > 0
    assert (s.gap > 0).all() and np.isfinite(s.gap).all()
    assert s.gap[-1] >= s.gap[0]


def test_fp16_spacing_has_its_subnormal_floor_and_the_ulp_of_one():
    s = formats.spacing("fp16")
    assert s.gap.min() == ql.format_info("fp16").smallest_subnormal
    one = np.flatnonzero(s.magnitude == 1.0)
    if one.size:
        assert s.gap[one[0]] == ql.format_info("fp16").eps


def test_the_demos_tell_their_stories():
    rows = {d: {r.fmt: r for r in formats.demo(d)} for d in formats.DEMOS}
    over = rows["fp16_overflow"]
    assert math.isinf(over["fp16"].result) and math.isfinite(over["bf16"].result)
    under = rows["underflow"]
    assert under["fp16"].result == 0.0 and under["bf16"].result > 0
    assert all(r.result != 0.3 for r in rows["point_three"].values())
    sums = rows["small_sums"]
    assert sums["fp16"].result < 0.5 < sums["fp32"].result
    assert sums["fp32"].result == pytest.approx(1.0, rel=1e-3)


def test_compare_includes_int8_and_ranks_by_bits():
    x = ql.generate("normal", (64, 256))
    rows = {r.fmt: r for r in formats.compare(x).rows}
    assert "int8" in rows and "e8m0" not in rows
    assert rows["fp32"].mse == 0.0
    assert rows["fp16"].mse < rows["fp8_e4m3"].mse < rows["fp4_e2m1"].mse
    assert rows["int8"].bytes == x.size + 4
    for r in rows.values():
        assert 0 <= r.overflowed <= 1 and 0 <= r.flushed <= 1


def test_compare_counts_overflow_and_flush():
    x = np.array([1e6, 1e-9, 1.0, -2.0], np.float32)
    rows = {r.fmt: r for r in formats.compare(x).rows}
    assert rows["fp16"].overflowed == 0.25 and rows["fp16"].flushed == 0.25
    assert rows["fp32"].flushed == 0.0


@pytest.mark.parametrize("x", [np.zeros(5), np.full(3, 7.0), np.array([2.5])],
                         ids=["zeros", "constant", "one"])
def test_compare_on_degenerate_tensors(x):
    c = formats.compare(x)
    assert all(np.isfinite(r.mse) for r in c.rows)
    assert all(np.isfinite(p).all() for p in c.shares.values())
    assert all(np.isfinite(curve.centres).all() for curve in formats.error_curves(c))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_stochastic_sums_tell_the_story(seed):
    s = formats.stochastic_sums(None, seed)
    assert s.steps.size == formats.SR_STEPS + 1
    assert (s.nearest == formats.SR_START).all()  # round to nearest never moves
    assert s.reference[-1] == pytest.approx(2.0, abs=1e-3)
    assert 1.8 < s.stochastic[-1] < 2.2


@pytest.mark.parametrize("fmt", formats.GRID_FORMATS)
def test_code_grid_has_every_code_once(fmt):
    g = formats.code_grid(None, fmt)
    info = ql.format_info(fmt)
    assert g.values.size == 1 << info.bits
    bits = [b for row in g.bits for b in row]
    assert bits == [format(c, f"0{info.bits}b") for c in range(1 << info.bits)]
    finite = g.values[np.isfinite(g.values)]
    assert np.unique(finite).size == info.finite_values
    assert g.kinds.max() < len(g.classes) and set(g.classes) <= set(formats.CLASSES)
    # the legend lists exactly the classes the format's codes have
    kinds = {ql.compose(code, fmt).kind for code in range(1 << info.bits)}
    assert set(g.classes) == kinds
    assert ("inf" in g.classes) == info.has_inf and ("nan" in g.classes) == info.has_nan
    columns, rows = formats.grid_labels(g)
    assert len(columns) == g.values.shape[1] and len(rows) == g.values.shape[0]


def test_flipping_bits_and_changing_format():
    one = formats.default_code("fp16")
    assert formats.compose_shown(one, "fp16").value == 1.0
    assert formats.compose_shown(formats.flipped(one, "fp16", 0), "fp16").value == -1.0
    inf = formats.flipped(one, "fp16", 1)  # the top exponent bit: all ones, an infinity
    assert formats.compose_shown(inf, "fp16").bits.kind == "inf"
    assert formats.compose_shown(formats.same_value_code(inf, "fp16", "fp32"),
                                 "fp32").bits.kind == "inf"
    assert formats.same_value_code(inf, "fp16", "fp4_e2m1") == 0b0111  # clamps to 6
    nan = formats.decompose(float("nan"), "fp16").code
    assert formats.same_value_code(nan, "fp16", "fp4_e2m1") == formats.default_code("fp4_e2m1")
    shown = formats.compose_shown(formats.default_code("fp8_e4m3"), "fp8_e4m3")
    assert shown.fields == ("sign",) + ("exponent",) * 4 + ("mantissa",) * 3
    assert formats.code_bounds("fp4_e2m1").high == 15


# --- the compared tensor's metrics and error histogram ------------------------------


def _oracle_row(x: np.ndarray, fmt: str) -> dict:
    """Straight from the definitions, on the whole tensor at once."""
    y = ql.cast(x, fmt).astype(np.float64)
    err = y - x.astype(np.float64)
    return {"mse": np.mean(err**2), "max_error": np.abs(err).max(),
            "exact": np.mean(err == 0), "flushed": np.mean((y == 0) & (x != 0)),
            "overflowed": np.mean(np.abs(x) > ql.format_info(fmt).max)}


def test_compare_in_blocks_equals_the_whole_tensor_at_once(monkeypatch):
    monkeypatch.setattr(formats, "COMPARE_BLOCK", 1000)  # many blocks, a short last one
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(4321) * np.exp(rng.uniform(-12, 12, 4321))).astype(np.float32)
    c = formats.compare(x)
    for row in c.rows:
        if row.fmt == "int8":
            continue
        want = _oracle_row(x, row.fmt)
        assert row.mse == pytest.approx(want["mse"], rel=1e-9)
        for key in ("max_error", "exact", "flushed", "overflowed"):
            assert getattr(row, key) == pytest.approx(want[key], rel=1e-12), (row.fmt, key)


def test_error_histogram_puts_every_inexact_value_in_its_bin():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(5000).astype(np.float32)
    c = formats.compare(x)
    rows = {r.fmt: r for r in c.rows}
    for fmt, shares in c.shares.items():
        # every value is either exact or in exactly one bin
        assert shares.sum() + rows[fmt].exact == pytest.approx(1.0, abs=1e-12)
        if fmt in ("int8", "fp32"):
            continue
        err = np.abs(ql.cast(x, fmt).astype(np.float64) - x).astype(np.float32)
        err = err[err > 0]
        # the oracle: np.histogram on the same edges
        counts, _ = np.histogram(err, bins=c.edges)
        assert np.allclose(counts / x.size, shares, atol=1e-12), fmt
    assert np.all(np.diff(c.edges) > 0)
    # one bin per octave: each edge is twice the previous one
    assert np.allclose(c.edges[1:] / c.edges[:-1], 2.0)


def test_error_curves_skip_exact_formats_and_gap_empty_bins():
    c = formats.compare(ql.generate("normal", (32, 32)))
    curves = {k.fmt: k for k in formats.error_curves(c)}
    assert "fp32" not in curves and "fp4_e2m1" in curves
    for curve in curves.values():
        shown = curve.percent[np.isfinite(curve.percent)]
        assert (shown > 0).all() and shown.sum() <= 100 + 1e-9
        assert np.all(np.diff(curve.centres) > 0)
        lo, hi = c.edges[:-1], c.edges[1:]
        assert np.all((curve.centres > lo) & (curve.centres < hi))


# --- the number line: which reals round to each value --------------------------------


@pytest.mark.parametrize("overflow", ql.OVERFLOW_MODES)
@pytest.mark.parametrize("fmt", formats.GRID_FORMATS)
def test_number_line_intervals_are_what_the_cast_does(fmt, overflow):
    line = formats.number_line(fmt, overflow)
    values = line.values
    # the intervals tile [0, overflow_at) and their ends are where the cast switches
    assert values[0] == 0 and np.all(np.diff(values) > 0)
    assert np.all(line.lows[1:] == line.highs[:-1])
    assert np.all((line.lows <= values) & (values <= line.highs))
    for i, v in enumerate(values):
        lo, hi = line.lows[i], line.highs[i]
        probes = [lo + (hi - lo) * f for f in (0.01, 0.5, 0.99)] if np.isfinite(hi) else [v]
        got = ql.cast(np.array(probes), fmt, overflow=overflow)
        assert np.all(got == v), (fmt, i, probes, got)
        # the closed ends are the ones the cast sends here
        ends = ql.cast(np.array([lo]), fmt, overflow=overflow)[0]
        assert (ends == v) == bool(line.low_closed[i]), (fmt, i, "low")
        if np.isfinite(hi):
            end = ql.cast(np.array([hi]), fmt, overflow=overflow)[0]
            assert (end == v) == bool(line.high_closed[i]), (fmt, i, "high")
    # beyond the line's end: the overflow the format does in this mode
    far = ql.cast(np.array([values[-1] * 4]), fmt, overflow=overflow)[0]
    kind = formats.overflow_kind(line)
    assert {"max": far == values[-1], "inf": np.isinf(far), "nan": np.isnan(far)}[kind]
    assert line.labelled[0] and line.labelled.sum() <= formats.LINE_LABELS + 1
    assert line.view[0] < np.log10(values[1]) and line.view[1] > np.log10(values[-1])


def test_number_line_overflow_for_each_format():
    """OCP FP8: E4M3 has no inf (past 464 it is NaN, 464 itself ties to 448); E5M2 and
    IEEE formats overflow to inf from the midpoint up (the tie goes to the even code,
    inf); FP4 and FP6 clamp."""
    e4m3 = formats.number_line("fp8_e4m3", "ieee")
    assert (e4m3.overflow_at, e4m3.overflow_closed) == (464.0, False)
    assert formats.overflow_interval(e4m3) == "(464, ∞)"
    e5m2 = formats.number_line("fp8_e5m2", "ieee")
    assert (e5m2.overflow_at, e5m2.overflow_closed, e5m2.overflow_to) == (61440.0, True, np.inf)
    assert formats.overflow_interval(e5m2) == "[61440, ∞)"
    for fmt in formats.GRID_FORMATS:
        saturated = formats.number_line(fmt, "saturate")
        assert formats.overflow_kind(saturated) == "max"
        assert formats.overflow_interval(saturated) == ""
    assert formats.overflow_kind(formats.number_line("fp4_e2m1", "ieee")) == "max"


def test_grid_marks_the_editor_code_only_in_its_format():
    grid = formats.code_grid(None, "fp4_e2m1")
    assert formats.grid_mark(grid, "fp4_e2m1", 5) == 5
    assert formats.grid_mark(grid, "fp16", 5) is None
