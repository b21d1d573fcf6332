"""Tests for quantlib.explain: levels, param_pair, qparams_at and step_table."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout
from quantlib.explain import levels, param_pair, qparams_at, step_table
from quantlib.granularity import select

# A per-tensor symmetric int8 scheme whose scale is exactly 1.0 (127 / 127).
UNIT = ql.qparams_from_range(-127.0, 127.0, symmetric=True)


# --- step_table ---------------------------------------------------------------------

TABLE_KEYS = {"x", "scale", "x/s", "round", "zero_point", "+z", "q", "clipped", "x_hat", "error"}


@pytest.mark.parametrize("mode", ql.ROUNDING_MODES, ids=list(ql.ROUNDING_MODES))
@pytest.mark.parametrize(
    "layout",
    [Layout.tensor(), Layout.channel(0), Layout.channel(1), Layout.group(3, axis=1),
     Layout.group(3, axis=0)],
    ids=["tensor", "channel-rows", "channel-cols", "group-rows", "group-cols"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_step_table_q_equals_quantize(mode, layout, dtype):
    x = np.random.default_rng(4).standard_normal((5, 7)).astype(dtype) * 2
    qp = ql.choose_qparams(x * 0.6, layout=layout)
    count = 20  # several rows/groups, and values beyond the (narrowed) range get clipped
    table = step_table(x, qp, rounding=mode, seed=13, count=count)
    assert set(table) == TABLE_KEYS
    assert all(v.shape == (count,) for v in table.values())
    q = ql.quantize(x, qp, rounding=mode, seed=13).reshape(-1)[:count]
    assert np.array_equal(table["q"], q)
    x_hat = ql.fake_quantize(x, qp, rounding=mode, seed=13)
    assert np.array_equal(table["x_hat"], x_hat.reshape(-1)[:count])
    assert np.array_equal(table["x"], x.reshape(-1)[:count].astype(np.float64))
    assert np.array_equal(table["error"], table["x_hat"] - table["x"])
    assert np.array_equal(table["+z"], table["round"] + table["zero_point"])
    assert np.array_equal(table["clipped"], table["+z"] != table["q"])
    assert np.all((table["q"] >= qp.qmin) & (table["q"] <= qp.qmax))
    assert table["clipped"].any()


def test_step_table_columns_on_seed_002():
    x = [0.3, 0.6, -0.3, -0.5, 0.0, 0.7, -0.8, 0.2]
    qp = ql.choose_qparams(x)
    t = step_table(x, qp)
    assert t["q"].tolist() == [59, 110, -43, -77, 8, 127, -128, 42]
    assert np.all(t["zero_point"] == 8)
    assert np.allclose(t["x/s"], np.array(x) / qp.scale)
    assert np.array_equal(t["round"], np.rint(t["x/s"]))
    assert not t["clipped"].any()
    assert np.allclose(t["error"], t["x_hat"] - np.array(x))


def test_step_table_clipped_flags():
    qp = ql.qparams_from_range(-1.0, 1.0, symmetric=True)
    t = step_table([0.5, 3.0, -3.0, 1.0, -1.0], qp)
    assert t["clipped"].tolist() == [False, True, True, False, False]
    assert t["q"].tolist()[1:3] == [127, -128]
    assert t["error"][1] == pytest.approx(127 * qp.scale - 3.0)


def test_step_table_count_is_capped_by_size():
    t = step_table([0.1, 0.2], UNIT, count=8)
    assert all(v.shape == (2,) for v in t.values())


# --- levels and param_pair ----------------------------------------------------------


def test_levels_per_tensor():
    qp = ql.qparams_from_range(-1.8, 0.5)
    lv = levels(qp)
    assert lv.shape == (256,) and lv.dtype == np.float64
    assert np.allclose(lv, (np.arange(-128, 128) - qp.zero_point) * qp.scale, rtol=0, atol=0)
    assert 0.0 in lv
    assert np.all(np.diff(lv) > 0)
    assert param_pair(qp) == (qp.scale, qp.zero_point)
    assert param_pair(qp, 5) == param_pair(qp)  # index is ignored per tensor


def test_levels_and_param_pair_per_channel():
    x = np.array([[1.0, -2.0, 0.5], [10.0, 3.0, -4.0]])
    qp = ql.choose_qparams(x, symmetric=True, granularity="channel", axis=1)
    for i in range(3):
        amax = np.abs(x[:, i]).max()
        assert param_pair(qp, i) == (amax / 127, 0)
        assert np.allclose(levels(qp, i), np.arange(-128, 128) * amax / 127)
    with pytest.raises(ValueError, match="channel qparams hold 3 pairs; pass index"):
        levels(qp)
    with pytest.raises(ValueError,
                       match=r"index 3 is out of range: there are 3 channel parameter pairs"):
        param_pair(qp, 3)
    with pytest.raises(ValueError, match="out of range"):
        param_pair(qp, -1)


def test_param_pair_group_order_is_row_order():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 11.5
    qp = ql.choose_qparams(x, granularity="group", axis=1, group_size=2)
    assert qp.scale.shape == (2, 2, 4)
    n = qp.num_params
    assert n == 16
    for i in range(n):
        part = select(x, Layout.group(2, axis=1), index=i)
        one = ql.choose_qparams(part)
        assert param_pair(qp, i) == (one.scale, one.zero_point)
        assert np.array_equal(levels(qp, i), levels(one))


@pytest.mark.parametrize("layout", [Layout.channel(1), Layout.group(2, axis=0),
                                    Layout.group(4, axis=-1)],
                         ids=["channel-axis1", "group2-axis0-partial", "group4-last"])
def test_qparams_at_is_the_per_tensor_quantizer_of_one_pair(layout):
    x = np.random.default_rng(6).standard_normal((3, 6))
    qp = ql.choose_qparams(x, bits=5, signed=False, layout=layout)
    for i in range(qp.num_params):
        one = qparams_at(qp, i)
        assert one.layout == Layout.tensor()
        assert (one.scale, one.zero_point) == param_pair(qp, i)
        assert (one.qmin, one.qmax, one.bits, one.symmetric, one.signed, one.narrow_range) == (
            qp.qmin, qp.qmax, qp.bits, qp.symmetric, qp.signed, qp.narrow_range)
        part = select(x, layout, index=i)
        # The pair's quantizer gives the slice exactly the codes the whole tensor gets.
        assert np.array_equal(ql.quantize(part, one),
                              select(ql.quantize(x, qp), layout, index=i))


def test_qparams_at_per_tensor_is_the_same_quantizer():
    qp = ql.qparams_from_range(-1.8, 0.5)
    assert qparams_at(qp) == qp and qparams_at(qp, 3) == qp


@pytest.mark.parametrize(("index", "match"), [
    (None, r"group qparams hold 6 pairs; pass index to pick one"),
    (6, r"index 6 is out of range: there are 6 group parameter pairs"),
    (-1, r"index -1 is out of range"),
], ids=["missing", "one-past", "negative"])
def test_qparams_at_needs_a_valid_index(index, match):
    qp = ql.choose_qparams(np.ones((2, 5)), layout=Layout.group(2, axis=1))
    with pytest.raises(ValueError, match=match):
        qparams_at(qp, index)
