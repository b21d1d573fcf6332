"""Tests for quantlib.granularity: the per-tensor / per-channel / per-group row layouts."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout
from quantlib import granularity as gran
from quantlib.qtypes import num_groups

SHAPE = (3, 4, 5)
X = np.arange(np.prod(SHAPE), dtype=np.float64).reshape(SHAPE) - 17.5

# Layouts of X, with readable ids.
LAYOUTS = [
    Layout.tensor(),
    Layout.channel(0), Layout.channel(1), Layout.channel(2),
    Layout.channel(-1), Layout.channel(-2), Layout.channel(-3),
    Layout.group(2, axis=2),   # 5 = 2 + 2 + 1: partial trailing group
    Layout.group(4, axis=1),   # exact fit
    Layout.group(2, axis=0),   # 3 = 2 + 1 along the first axis
    Layout.group(64, axis=-1),  # group larger than the axis: one partial group per row
    Layout.group(1, axis=1),   # one value per group
    Layout.group(3, axis=-2),
]
LAYOUT_IDS = ["tensor", "channel0", "channel1", "channel2", "channel-1", "channel-2",
              "channel-3", "group-last-partial", "group-middle-exact", "group-first-partial",
              "group-oversized", "group-size-1", "group-negative-axis"]


def expected_groups(x, layout):
    """The values of each parameter pair, in row order, built with plain slicing."""
    if layout.granularity == "tensor":
        return [x.reshape(-1)]
    axis = layout.axis % x.ndim
    if layout.granularity == "channel":
        return [np.take(x, i, axis=axis).reshape(-1) for i in range(x.shape[axis])]
    size = layout.group_size
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    return [moved[lead][start:start + size]
            for lead in np.ndindex(moved.shape[:-1]) for start in range(0, n, size)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_to_rows_holds_each_pairs_values_in_row_order(layout):
    rows = gran.to_rows(X, layout)
    groups = expected_groups(X, layout)
    assert rows.shape[0] == len(groups) == layout.num_params(X.shape)
    for row, values in zip(rows, groups, strict=True):
        assert np.array_equal(row[: values.size], values)
        assert np.isnan(row[values.size:]).all()  # padding of a partial group only


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_to_rows_round_trip(layout):
    rows = gran.to_rows(X, layout, fill=0)
    back = gran.rows_to_tensor(rows, X.shape, layout)
    assert back.shape == X.shape
    assert np.array_equal(back, X)
    assert not np.isnan(rows).any()


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_from_rows_gives_the_param_layout(layout):
    n = len(expected_groups(X, layout))
    values = np.arange(n, dtype=np.float64) * 10
    params = gran.from_rows(values, X.shape, layout)
    assert params.shape == layout.param_shape(X.shape)
    # row_params reads them back in the same row order, shaped to broadcast on to_rows.
    back = gran.row_params(params, X.shape, layout)
    assert back.shape == (n, 1)
    assert np.array_equal(back[:, 0], values)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_row_params_broadcast_against_rows(layout):
    """A parameter that is the group's own min broadcasts onto exactly that group."""
    rows = gran.to_rows(X, layout)
    mins = gran.from_rows(np.nanmin(rows, axis=1), X.shape, layout)
    shifted = rows - gran.row_params(mins, X.shape, layout)
    assert np.nanmin(shifted, axis=1).tolist() == [0.0] * rows.shape[0]
    # The same minimum, recomputed per group by slicing, matches the param layout.
    for i, values in enumerate(expected_groups(X, layout)):
        one = gran.select(X, layout, index=i)
        assert np.array_equal(one, values)
        assert gran.row_params(mins, X.shape, layout)[i, 0] == values.min()


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_row_of_matches_to_rows(layout):
    positions = np.arange(X.size)
    rows = gran.to_rows(X, layout)
    row = gran.row_of(positions, X.shape, layout)
    for p, r in zip(positions, row, strict=True):
        assert X.reshape(-1)[p] in rows[r]


@pytest.mark.parametrize(("layout", "expected"), [
    (Layout.tensor(), ()),
    (Layout.of("tensor", axis=5, group_size=0), ()),  # axis and group_size are ignored
    (Layout.channel(0), (3,)),
    (Layout.channel(1), (4,)),
    (Layout.channel(-1), (5,)),
    (Layout.group(2, axis=2), (3, 4, 3)),
    (Layout.group(4, axis=1), (3, 1, 5)),
    (Layout.group(2, axis=0), (2, 4, 5)),
    (Layout.group(64, axis=-1), (3, 4, 1)),
    (Layout.group(1, axis=1), (3, 4, 5)),
], ids=["tensor", "tensor-ignores-axis", "channel0", "channel1", "channel-1", "group-partial",
        "group-exact", "group-first", "group-oversized", "group-size-1"])
def test_param_shape(layout, expected):
    assert layout.param_shape(SHAPE) == expected
    assert layout.num_params(SHAPE) == math.prod(expected)


def test_num_groups():
    assert [num_groups(n, 4) for n in (1, 3, 4, 5, 8, 9)] == [1, 1, 1, 2, 2, 3]


def test_choose_qparams_uses_the_param_layout():
    for layout in LAYOUTS:
        qp = ql.choose_qparams(X, layout=layout)
        assert np.shape(qp.scale) == layout.param_shape(X.shape)
        assert qp.layout == layout.resolve(X.shape)


# --- select -------------------------------------------------------------------------


def test_select_returns_exactly_the_channel():
    x = np.arange(12.0).reshape(3, 4)
    assert gran.select(x, Layout.channel(1), index=2).tolist() == [2.0, 6.0, 10.0]
    assert gran.select(x, Layout.channel(0), index=1).tolist() == [4.0, 5.0, 6.0, 7.0]
    assert gran.select(x, Layout.tensor()).tolist() == x.reshape(-1).tolist()


def test_select_returns_a_partial_group_without_padding():
    x = np.arange(10.0).reshape(2, 5)
    groups = [gran.select(x, Layout.group(2, axis=1), index=i).tolist() for i in range(6)]
    assert groups == [[0, 1], [2, 3], [4], [5, 6], [7, 8], [9]]
    assert gran.select(x, Layout.group(64, axis=1), index=1).tolist() == [5, 6, 7, 8, 9]


def test_select_returns_a_copy():
    x = np.arange(6.0).reshape(2, 3)
    part = gran.select(x, Layout.channel(0), index=0)
    part[:] = -1
    assert x[0].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("index", [-1, 3, 100], ids=["negative", "one-past", "far"])
def test_select_index_out_of_range(index):
    with pytest.raises(ValueError, match=rf"index {index} is out of range: there are 3 channel"):
        gran.select(np.zeros((3, 2)), Layout.channel(0), index=index)


def test_select_works_on_integer_tensors_with_whole_groups():
    x = np.arange(8).reshape(2, 4)
    assert gran.select(x, Layout.group(2, axis=1), index=3).tolist() == [6, 7]
    assert gran.select(x, Layout.channel(1), index=0).tolist() == [0, 4]


def test_select_partial_group_of_an_integer_tensor_is_clean():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gran.select(np.arange(5), Layout.group(2, axis=0), index=2).tolist() == [4]


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("axis", "error", "match"), [
    (3, ValueError, r"axis 3 is out of range for a 3-D tensor \(allowed: -3 to 2\)"),
    (-4, ValueError, r"axis -4 is out of range"),
    (1.0, TypeError, r"layout needs an integer axis, got 1\.0"),
    (True, TypeError, r"layout needs an integer axis, got True"),
    ("0", TypeError, r"got '0'"),
], ids=["too-big", "too-negative", "float", "bool", "string"])
@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_bad_axis(axis, error, match, granularity):
    # A bad type is refused when the Layout is built, a bad axis when it meets a tensor.
    with pytest.raises(error, match=match):
        Layout.of(granularity, axis=axis, group_size=2).param_shape(SHAPE)
    with pytest.raises(error, match=match):
        gran.to_rows(X, Layout.of(granularity, axis=axis, group_size=2))
    with pytest.raises(error, match=match):
        ql.choose_qparams(X, granularity=granularity, axis=axis, group_size=2)


@pytest.mark.parametrize(("group_size", "error"), [
    (0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), (None, TypeError),
    ("4", TypeError),
], ids=["zero", "negative", "float", "bool", "none", "string"])
def test_bad_group_size(group_size, error):
    # Out-of-range sizes are ValueErrors; sizes of the wrong type are TypeErrors.
    match = rf"group_size must be an integer from 1 to .*, got {re.escape(repr(group_size))}"
    with pytest.raises(error, match=match):
        Layout.group(group_size, axis=0)
    with pytest.raises(error, match="group_size must be an integer"):
        Layout.of("group", axis=0, group_size=group_size)
    with pytest.raises(error, match="group_size must be an integer"):
        ql.choose_qparams(X, granularity="group", axis=0, group_size=group_size)


@pytest.mark.parametrize("name", ["row", "per-channel", "Tensor", "", None],
                         ids=["row", "per-channel", "capitalised", "empty", "none"])
def test_bad_granularity_name(name):
    pattern = (r"granularity must be one of 'tensor', 'channel', 'group', "
               rf"got {re.escape(repr(name))}")
    with pytest.raises(ValueError, match=pattern):
        Layout(name)
    with pytest.raises(ValueError, match=pattern):
        Layout.of(name)
    with pytest.raises(ValueError, match=pattern):
        ql.choose_qparams(X, granularity=name)


@pytest.mark.parametrize("layout", [Layout.channel(0), Layout.group(2, axis=0)],
                         ids=["channel", "group"])
def test_scalar_tensor_needs_per_tensor(layout):
    match = rf"per-{layout.granularity} quantization needs at least a 1-D"
    with pytest.raises(ValueError, match=match):
        ql.choose_qparams(np.float64(3.0), layout=layout)
    with pytest.raises(ValueError, match=match):
        gran.to_rows(np.float64(3.0), layout)


def test_row_params_with_the_wrong_shape_points_to_choose_qparams():
    with pytest.raises(ValueError, match=r"shape \(2,\).*needs shape \(3,\).*choose_qparams"):
        gran.row_params(np.ones(2), SHAPE, Layout.channel(0))


@pytest.mark.parametrize("shape", [(300, 517), (1000, 70), (17, 4000)])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_contiguous_copies_big_transposes_exactly(shape, dtype):
    x = (np.arange(np.prod(shape)) % 251).astype(dtype).reshape(shape)
    for view in (x.T, x[:, ::2], np.moveaxis(x[None], 0, 2)):
        out = gran.contiguous(view)
        assert out.flags.c_contiguous and np.array_equal(out, view) and out.dtype == x.dtype
