"""Tests for quantlib.granularity: the per-tensor / per-channel / per-group row layouts."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib import granularity as gran

SHAPE = (3, 4, 5)
X = np.arange(np.prod(SHAPE), dtype=np.float64).reshape(SHAPE) - 17.5

# (granularity, axis, group_size) layouts of X, with readable ids.
LAYOUTS = [
    ("tensor", 0, 64),
    ("channel", 0, 64), ("channel", 1, 64), ("channel", 2, 64),
    ("channel", -1, 64), ("channel", -2, 64), ("channel", -3, 64),
    ("group", 2, 2),   # 5 = 2 + 2 + 1: partial trailing group
    ("group", 1, 4),   # exact fit
    ("group", 0, 2),   # 3 = 2 + 1 along the first axis
    ("group", -1, 64),  # group larger than the axis: one partial group per row
    ("group", 1, 1),   # one value per group
    ("group", -2, 3),
]
LAYOUT_IDS = ["tensor", "channel0", "channel1", "channel2", "channel-1", "channel-2",
              "channel-3", "group-last-partial", "group-middle-exact", "group-first-partial",
              "group-oversized", "group-size-1", "group-negative-axis"]


def expected_groups(x, granularity, axis, group_size):
    """The values of each parameter pair, in row order, built with plain slicing."""
    if granularity == "tensor":
        return [x.reshape(-1)]
    axis %= x.ndim
    if granularity == "channel":
        return [np.take(x, i, axis=axis).reshape(-1) for i in range(x.shape[axis])]
    moved = np.moveaxis(x, axis, -1)
    n = moved.shape[-1]
    return [moved[lead][start:start + group_size]
            for lead in np.ndindex(moved.shape[:-1]) for start in range(0, n, group_size)]


@pytest.mark.parametrize(("granularity", "axis", "group_size"), LAYOUTS, ids=LAYOUT_IDS)
def test_to_rows_holds_each_pairs_values_in_row_order(granularity, axis, group_size):
    rows = gran.to_rows(X, granularity, axis, group_size)
    groups = expected_groups(X, granularity, axis, group_size)
    assert rows.shape[0] == len(groups) == int(np.prod(gran.param_shape(
        X.shape, granularity, axis, group_size)))
    for row, values in zip(rows, groups, strict=True):
        assert np.array_equal(row[: values.size], values)
        assert np.isnan(row[values.size:]).all()  # padding of a partial group only


@pytest.mark.parametrize(("granularity", "axis", "group_size"), LAYOUTS, ids=LAYOUT_IDS)
def test_to_rows_round_trip(granularity, axis, group_size):
    rows = gran.to_rows(X, granularity, axis, group_size, fill=0)
    back = gran.rows_to_tensor(rows, X.shape, granularity, axis, group_size)
    assert back.shape == X.shape
    assert np.array_equal(back, X)
    assert not np.isnan(rows).any()


@pytest.mark.parametrize(("granularity", "axis", "group_size"), LAYOUTS, ids=LAYOUT_IDS)
def test_from_rows_gives_the_param_layout(granularity, axis, group_size):
    n = len(expected_groups(X, granularity, axis, group_size))
    values = np.arange(n, dtype=np.float64) * 10
    params = gran.from_rows(values, X.shape, granularity, axis, group_size)
    assert params.shape == gran.param_shape(X.shape, granularity, axis, group_size)
    # row_params reads them back in the same row order, shaped to broadcast on to_rows.
    back = gran.row_params(params, X.shape, granularity, axis, group_size)
    assert back.shape == (n, 1)
    assert np.array_equal(back[:, 0], values)


@pytest.mark.parametrize(("granularity", "axis", "group_size"), LAYOUTS, ids=LAYOUT_IDS)
def test_row_params_broadcast_against_rows(granularity, axis, group_size):
    """A parameter that is the group's own min broadcasts onto exactly that group."""
    rows = gran.to_rows(X, granularity, axis, group_size)
    mins = gran.from_rows(np.nanmin(rows, axis=1), X.shape, granularity, axis, group_size)
    shifted = rows - gran.row_params(mins, X.shape, granularity, axis, group_size)
    assert np.nanmin(shifted, axis=1).tolist() == [0.0] * rows.shape[0]
    # The same minimum, recomputed per group by slicing, matches the param layout.
    for i, values in enumerate(expected_groups(X, granularity, axis, group_size)):
        one = gran.select(X, granularity, axis, group_size, index=i)
        assert np.array_equal(one, values)
        assert gran.row_params(mins, X.shape, granularity, axis, group_size)[i, 0] == \
            values.min()


@pytest.mark.parametrize(("granularity", "axis", "group_size"), LAYOUTS, ids=LAYOUT_IDS)
def test_row_of_matches_to_rows(granularity, axis, group_size):
    positions = np.arange(X.size)
    rows = gran.to_rows(X, granularity, axis, group_size)
    row = gran.row_of(positions, X.shape, granularity, axis, group_size)
    for p, r in zip(positions, row, strict=True):
        assert X.reshape(-1)[p] in rows[r]


@pytest.mark.parametrize(("granularity", "axis", "group_size", "expected"), [
    ("tensor", 0, 64, ()),
    ("tensor", 5, 0, ()),  # axis and group_size are ignored per tensor
    ("channel", 0, 64, (3,)),
    ("channel", 1, 64, (4,)),
    ("channel", -1, 64, (5,)),
    ("group", 2, 2, (3, 4, 3)),
    ("group", 1, 4, (3, 1, 5)),
    ("group", 0, 2, (2, 4, 5)),
    ("group", -1, 64, (3, 4, 1)),
    ("group", 1, 1, (3, 4, 5)),
], ids=["tensor", "tensor-ignores-axis", "channel0", "channel1", "channel-1", "group-partial",
        "group-exact", "group-first", "group-oversized", "group-size-1"])
def test_param_shape(granularity, axis, group_size, expected):
    assert gran.param_shape(SHAPE, granularity, axis, group_size) == expected
    assert ql.param_shape(SHAPE, granularity, axis, group_size) == expected


def test_num_groups():
    assert [gran.num_groups(n, 4) for n in (1, 3, 4, 5, 8, 9)] == [1, 1, 1, 2, 2, 3]


def test_choose_qparams_uses_the_param_layout():
    for granularity, axis, group_size in LAYOUTS:
        qp = ql.choose_qparams(X, granularity=granularity, axis=axis, group_size=group_size)
        assert np.shape(qp.scale) == gran.param_shape(X.shape, granularity, axis, group_size)


# --- select -------------------------------------------------------------------------


def test_select_returns_exactly_the_channel():
    x = np.arange(12.0).reshape(3, 4)
    assert ql.select(x, "channel", 1, index=2).tolist() == [2.0, 6.0, 10.0]
    assert ql.select(x, "channel", 0, index=1).tolist() == [4.0, 5.0, 6.0, 7.0]
    assert ql.select(x, "tensor").tolist() == x.reshape(-1).tolist()


def test_select_returns_a_partial_group_without_padding():
    x = np.arange(10.0).reshape(2, 5)
    groups = [ql.select(x, "group", 1, 2, index=i).tolist() for i in range(6)]
    assert groups == [[0, 1], [2, 3], [4], [5, 6], [7, 8], [9]]
    assert ql.select(x, "group", 1, 64, index=1).tolist() == [5, 6, 7, 8, 9]


def test_select_returns_a_copy():
    x = np.arange(6.0).reshape(2, 3)
    part = ql.select(x, "channel", 0, index=0)
    part[:] = -1
    assert x[0].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("index", [-1, 3, 100], ids=["negative", "one-past", "far"])
def test_select_index_out_of_range(index):
    with pytest.raises(ValueError, match=rf"index {index} is out of range: there are 3 channel"):
        ql.select(np.zeros((3, 2)), "channel", 0, index=index)


def test_select_works_on_integer_tensors_with_whole_groups():
    x = np.arange(8).reshape(2, 4)
    assert ql.select(x, "group", 1, 2, index=3).tolist() == [6, 7]
    assert ql.select(x, "channel", 1, index=0).tolist() == [0, 4]


def test_select_partial_group_of_an_integer_tensor_is_clean():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ql.select(np.arange(5), "group", 0, 2, index=2).tolist() == [4]


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("axis", "error", "match"), [
    (3, ValueError, r"axis 3 is out of range for a 3-D tensor \(allowed: -3 to 2\)"),
    (-4, ValueError, r"axis -4 is out of range"),
    (1.0, TypeError, r"axis must be an integer, got 1\.0"),
    (True, TypeError, r"axis must be an integer, got True"),
    ("0", TypeError, r"got '0'"),
], ids=["too-big", "too-negative", "float", "bool", "string"])
@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_bad_axis(axis, error, match, granularity):
    with pytest.raises(error, match=match):
        gran.param_shape(SHAPE, granularity, axis, 2)
    with pytest.raises(error, match=match):
        gran.to_rows(X, granularity, axis, 2)
    with pytest.raises(error, match=match):
        ql.choose_qparams(X, granularity=granularity, axis=axis, group_size=2)


@pytest.mark.parametrize("group_size", [0, -1, 2.5, True, None, "4"],
                         ids=["zero", "negative", "float", "bool", "none", "string"])
def test_bad_group_size(group_size):
    match = rf"group_size must be a positive integer, got {group_size!r}"
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        gran.param_shape(SHAPE, "group", 0, group_size)
    with pytest.raises(ValueError, match="group_size must be a positive integer"):
        gran.to_rows(X, "group", 0, group_size)
    with pytest.raises(ValueError, match="group_size must be a positive integer"):
        ql.choose_qparams(X, granularity="group", axis=0, group_size=group_size)


@pytest.mark.parametrize("name", ["row", "per-channel", "Tensor", "", None],
                         ids=["row", "per-channel", "capitalised", "empty", "none"])
def test_bad_granularity_name(name):
    pattern = r"granularity must be one of \('tensor', 'channel', 'group'\)"
    with pytest.raises(ValueError, match=pattern):
        gran.param_shape(SHAPE, name)
    with pytest.raises(ValueError, match=pattern):
        gran.to_rows(X, name)
    with pytest.raises(ValueError, match=pattern):
        ql.choose_qparams(X, granularity=name)


@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_scalar_tensor_needs_per_tensor(granularity):
    with pytest.raises(ValueError, match=rf"per-{granularity} quantization needs at least a 1-D"):
        ql.choose_qparams(np.float64(3.0), granularity=granularity)


def test_row_params_with_the_wrong_shape_points_to_choose_qparams():
    with pytest.raises(ValueError, match=r"shape \(2,\).*needs shape \(3,\).*choose_qparams"):
        gran.row_params(np.ones(2), SHAPE, "channel", 0)


@pytest.mark.parametrize("shape", [(300, 517), (1000, 70), (17, 4000)])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_contiguous_copies_big_transposes_exactly(shape, dtype):
    x = (np.arange(np.prod(shape)) % 251).astype(dtype).reshape(shape)
    for view in (x.T, x[:, ::2], np.moveaxis(x[None], 0, 2)):
        out = gran.contiguous(view)
        assert out.flags.c_contiguous and np.array_equal(out, view) and out.dtype == x.dtype
