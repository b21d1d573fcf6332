"""Tests for quantlib.qtypes.Layout: per tensor, per channel(axis), per group(size, axis)."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest

import quantlib as ql
from quantlib import Layout

SHAPES = [(7,), (4, 6), (2, 3, 5), (2, 1, 3, 4)]
SHAPE_IDS = ["1d", "2d", "3d", "4d"]
GROUP_SIZES = [1, 2, 4, 64]


def oracle_param_shape(shape, granularity, axis=None, group_size=None):
    """The shape of scale and zero_point, from DESIGN.md's words, without quantlib."""
    if granularity == "tensor":
        return ()
    axis = axis + len(shape) if axis < 0 else axis
    if granularity == "channel":
        return (shape[axis],)
    dims = list(shape)
    dims[axis] = math.ceil(shape[axis] / group_size)
    return tuple(dims)


def every_layout(shape):
    """(id, Layout, granularity, axis, group_size) for every axis of ``shape``."""
    ndim = len(shape)
    yield "tensor", Layout.tensor(), "tensor", None, None
    for axis in range(-ndim, ndim):
        yield f"channel{axis}", Layout.channel(axis), "channel", axis, None
        for size in GROUP_SIZES:
            yield f"group{size}-axis{axis}", Layout.group(size, axis=axis), "group", axis, size


CASES = [(shape, *rest) for shape in SHAPES for rest in every_layout(shape)]
CASE_IDS = [f"{'x'.join(map(str, c[0]))}-{c[1]}" for c in CASES]


# --- construction ------------------------------------------------------------------------


def test_constructors():
    assert Layout() == Layout.tensor() == Layout("tensor")
    assert Layout.channel() == Layout("channel", 0)
    assert Layout.channel(2) == Layout("channel", 2)
    assert Layout.group() == Layout("group", -1, 64)  # GPTQ/AWQ: groups along the last axis
    assert Layout.group(32, axis=0) == Layout("group", 0, 32)
    t, c, g = Layout.tensor(), Layout.channel(1), Layout.group(8, axis=2)
    assert (t.granularity, t.axis, t.group_size) == ("tensor", None, None)
    assert (c.granularity, c.axis, c.group_size) == ("channel", 1, None)
    assert (g.granularity, g.axis, g.group_size) == ("group", 2, 8)


@pytest.mark.parametrize(("kwargs", "expected"), [
    (dict(granularity="tensor", axis=3, group_size=0), Layout.tensor()),
    (dict(granularity="channel", axis=1, group_size=0), Layout.channel(1)),
    (dict(granularity="channel"), Layout.channel(0)),
    (dict(granularity="group", axis=1, group_size=8), Layout.group(8, axis=1)),
    (dict(granularity="group"), Layout.group(64, axis=0)),  # the keyword form's axis is 0
    (dict(), Layout.tensor()),
], ids=["tensor-ignores-axis-and-size", "channel-ignores-size", "channel-default-axis",
        "group", "group-defaults", "default"])
def test_of_builds_from_loose_keywords(kwargs, expected):
    assert Layout.of(**kwargs) == expected


@pytest.mark.parametrize("name", ["row", "Tensor", "per-channel", "", None, 0],
                         ids=["row", "capitalised", "per-channel", "empty", "none", "int"])
def test_bad_granularity(name):
    pattern = r"granularity must be one of 'tensor', 'channel', 'group', got "
    for make in (lambda: Layout(name), lambda: Layout.of(name)):
        with pytest.raises(ValueError, match=pattern) as info:
            make()
        assert info.value.code == "param_option"


@pytest.mark.parametrize("axis", [1.0, True, False, np.bool_(True), "0", None, 0.5],
                         ids=["float", "true", "false", "numpy-bool", "string", "none", "half"])
@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_axis_must_be_an_integer(granularity, axis):
    match = rf"a per-{granularity} layout needs an integer axis, got {axis!r}"
    with pytest.raises(TypeError, match=match.replace("(", r"\(").replace(")", r"\)")) as info:
        Layout(granularity, axis, 4 if granularity == "group" else None)
    assert info.value.code == "layout_axis"


@pytest.mark.parametrize(("size", "error"), [
    (0, ValueError), (-2, ValueError), (2**24 + 1, ValueError), (2.0, TypeError),
    (True, TypeError), (None, TypeError), ("8", TypeError),
], ids=["zero", "negative", "beyond-max-elements", "float", "bool", "none", "string"])
def test_group_size_must_be_a_positive_integer(size, error):
    with pytest.raises(error, match=r"group_size must be an integer from 1 to "):
        Layout.group(size)
    with pytest.raises(error, match=r"group_size must be an integer from 1 to "):
        Layout("group", 0, size)


@pytest.mark.parametrize(("args", "code", "match"), [
    (("tensor", 0), "layout_tensor", r"a per-tensor layout has no axis or group size"),
    (("tensor", None, 64), "layout_tensor", r"a per-tensor layout has no axis or group size"),
    (("channel", 0, 64), "layout_channel", r"a per-channel layout has no group size"),
], ids=["tensor-with-axis", "tensor-with-size", "channel-with-size"])
def test_fields_a_granularity_does_not_use_are_refused(args, code, match):
    with pytest.raises(ValueError, match=match) as info:
        Layout(*args)
    assert info.value.code == code


def test_numpy_integers_become_python_ints():
    layout = Layout.group(np.int64(8), axis=np.int32(1))
    assert type(layout.axis) is int and type(layout.group_size) is int
    assert layout == Layout.group(8, axis=1)
    assert type(Layout.channel(np.uint8(2)).axis) is int


def test_layout_is_frozen():
    layout = Layout.channel(0)
    with pytest.raises(AttributeError):
        layout.axis = 1  # type: ignore[misc]


# --- resolve, param_shape and num_params against the oracle --------------------------------


@pytest.mark.parametrize(("shape", "name", "layout", "granularity", "axis", "group_size"),
                         CASES, ids=CASE_IDS)
def test_param_shape_and_num_params_match_the_oracle(shape, name, layout, granularity, axis,
                                                     group_size):
    expected = oracle_param_shape(shape, granularity, axis, group_size)
    assert layout.param_shape(shape) == expected
    assert layout.num_params(shape) == math.prod(expected)
    assert type(layout.num_params(shape)) is int
    # What choose_qparams builds has exactly that shape.
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    assert np.shape(ql.choose_qparams(x, layout=layout).scale) == expected


@pytest.mark.parametrize(("shape", "name", "layout", "granularity", "axis", "group_size"),
                         CASES, ids=CASE_IDS)
def test_resolve_makes_the_axis_non_negative(shape, name, layout, granularity, axis,
                                             group_size):
    resolved = layout.resolve(shape)
    assert resolved.granularity == granularity and resolved.group_size == group_size
    if axis is None:
        assert resolved is layout
    else:
        assert resolved.axis == axis % len(shape) and 0 <= resolved.axis < len(shape)
        assert resolved.param_shape(shape) == layout.param_shape(shape)
        assert resolved.resolve(shape) == resolved  # idempotent
        if axis >= 0:
            assert resolved == layout


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_an_axis_outside_the_tensor_is_refused(shape, granularity):
    ndim = len(shape)
    for axis in (ndim, -ndim - 1, 99):
        layout = Layout.of(granularity, axis=axis, group_size=2)
        match = (rf"axis {axis} is out of range for a {ndim}-D tensor "
                 rf"\(allowed: {-ndim} to {ndim - 1}\)")
        for call in (layout.resolve, layout.param_shape, layout.num_params):
            with pytest.raises(ValueError, match=match) as info:
                call(shape)
            assert info.value.code == "layout_axis_range"


@pytest.mark.parametrize("layout", [Layout.channel(0), Layout.group(2, axis=0)],
                         ids=["channel", "group"])
def test_a_scalar_has_no_axis(layout):
    with pytest.raises(ValueError, match=rf"per-{layout.granularity} quantization needs at "
                                         "least a 1-D tensor"):
        layout.resolve(())
    assert Layout.tensor().param_shape(()) == () and Layout.tensor().num_params(()) == 1


@pytest.mark.parametrize(("layout", "shape", "expected"), [
    (Layout.group(4, axis=0), (0, 3), (0, 3)),
    (Layout.group(4, axis=1), (2, 0), (2, 0)),
    (Layout.channel(1), (5, 0), (0,)),
], ids=["group-empty-axis", "group-empty-other", "channel-empty"])
def test_empty_dimensions(layout, shape, expected):
    assert layout.param_shape(shape) == expected
    assert layout.num_params(shape) == 0


# --- hashing and equality: a Layout keys caches ----------------------------------------------


def test_equal_layouts_hash_equal_and_different_ones_differ():
    layouts = [Layout.tensor(), Layout.channel(0), Layout.channel(1), Layout.channel(-1),
               Layout.group(2, axis=0), Layout.group(2, axis=1), Layout.group(4, axis=0)]
    for a, b in itertools.combinations(layouts, 2):
        assert a != b, (a, b)
    again = [Layout(), Layout.of("channel", axis=0), Layout.channel(np.int64(1)),
             Layout("channel", -1), Layout.of("group", axis=0, group_size=2),
             Layout.group(np.int16(2), axis=1), Layout.group(4, axis=0)]
    for a, b in zip(layouts, again, strict=True):
        assert a == b and hash(a) == hash(b)
    cache = dict.fromkeys(layouts, "hit")
    assert all(cache[b] == "hit" for b in again)
    assert len(set(layouts + again)) == len(layouts)


def test_layouts_are_not_equal_to_their_fields():
    assert Layout.channel(0) != ("channel", 0, None)
    assert Layout.tensor() != "tensor"


@pytest.mark.parametrize("layout", [Layout.tensor(), Layout.channel(-1), Layout.group(8, axis=2)],
                         ids=["tensor", "channel", "group"])
@pytest.mark.parametrize("clone", [copy.deepcopy, copy.copy], ids=["deepcopy", "copy"])
def test_layouts_survive_copying(layout, clone):
    other = clone(layout)
    assert other == layout and hash(other) == hash(layout)


# --- the keyword form of choose_qparams equals the Layout form ----------------------------------


@pytest.mark.parametrize(("kwargs", "layout"), [
    (dict(granularity="tensor"), Layout.tensor()),
    (dict(granularity="tensor", axis=2, group_size=3), Layout.tensor()),
    (dict(granularity="channel", axis=0), Layout.channel(0)),
    (dict(granularity="channel", axis=-1), Layout.channel(-1)),
    (dict(granularity="channel", axis=1, group_size=5), Layout.channel(1)),
    (dict(granularity="group", axis=2, group_size=2), Layout.group(2, axis=2)),
    (dict(granularity="group", axis=0, group_size=2), Layout.group(2, axis=0)),
    (dict(granularity="group", axis=-2, group_size=64), Layout.group(64, axis=-2)),
    (dict(granularity="group"), Layout.group(64, axis=0)),
], ids=["tensor", "tensor-ignores-axis", "channel0", "channel-last", "channel-ignores-size",
        "group-last-partial", "group-first-partial", "group-oversized", "group-defaults"])
@pytest.mark.parametrize("scheme", [dict(), dict(symmetric=True, bits=4),
                                    dict(signed=False, include_zero=False)],
                         ids=["affine", "symmetric4", "unsigned-as-given"])
def test_keyword_form_equals_the_layout_form(kwargs, layout, scheme):
    x = np.random.default_rng(9).standard_normal((3, 4, 5))
    by_keywords = ql.choose_qparams(x, **kwargs, **scheme)
    by_layout = ql.choose_qparams(x, layout=Layout.of(**kwargs), **scheme)
    assert by_keywords == by_layout == ql.choose_qparams(x, layout=layout, **scheme)
    assert by_keywords.layout == layout.resolve(x.shape)
    assert np.array_equal(ql.quantize(x, by_keywords), ql.quantize(x, by_layout))
