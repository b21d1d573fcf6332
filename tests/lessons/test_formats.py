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
    rows = {r.fmt: r for r in formats.compare(x)}
    assert "int8" in rows and "e8m0" not in rows
    assert rows["fp32"].mse == 0.0
    assert rows["fp16"].mse < rows["fp8_e4m3"].mse < rows["fp4_e2m1"].mse
    assert rows["int8"].bytes == x.size + 4
    for r in rows.values():
        assert 0 <= r.overflowed <= 1 and 0 <= r.flushed <= 1


def test_compare_counts_overflow_and_flush():
    x = np.array([1e6, 1e-9, 1.0, -2.0], np.float32)
    rows = {r.fmt: r for r in formats.compare(x)}
    assert rows["fp16"].overflowed == 0.25 and rows["fp16"].flushed == 0.25
    assert rows["fp32"].flushed == 0.0


@pytest.mark.parametrize("x", [np.zeros(5), np.full(3, 7.0), np.array([2.5])],
                         ids=["zeros", "constant", "one"])
def test_compare_on_degenerate_tensors(x):
    rows = formats.compare(x)
    assert all(np.isfinite(r.mse) for r in rows)


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
    assert g.kinds.max() < len(formats.CLASSES)
    # the staircase saturates at ±max and only takes values of the format
    assert g.stair_y.max() == info.max and g.stair_y.min() == -info.max
    assert set(np.unique(g.stair_y)) <= set(finite)
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
