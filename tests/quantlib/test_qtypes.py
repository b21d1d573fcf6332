"""Tests for quantlib.qtypes: integer ranges, storage dtypes and the QParams record.

The Layout value has its own module of tests, test_layout.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from quantlib._validate import BITS
from quantlib.qtypes import Layout, storage_dtype

ALL_BITS = list(range(BITS.low, BITS.high + 1))


# --- int_range ---------------------------------------------------------------------


@pytest.mark.parametrize("bits", ALL_BITS, ids=[f"{b}bit" for b in ALL_BITS])
@pytest.mark.parametrize(
    ("signed", "narrow"),
    [(True, False), (True, True), (False, False), (False, True)],
    ids=["signed", "signed-narrow", "unsigned", "unsigned-narrow"],
)
def test_int_range_matches_the_design_formulas(bits, signed, narrow):
    qmin, qmax = ql.int_range(bits, signed=signed, narrow_range=narrow)
    if signed:
        expected = (-(2 ** (bits - 1)) + narrow, 2 ** (bits - 1) - 1)
    else:
        expected = (0 + narrow, 2**bits - 1)
    assert (qmin, qmax) == expected
    assert all(type(v) is int for v in (qmin, qmax))
    # The number of codes is 2^b, one fewer with narrow range.
    assert qmax - qmin + 1 == 2**bits - narrow


def test_int_range_signed_narrow_is_symmetric():
    for bits in ALL_BITS:
        qmin, qmax = ql.int_range(bits, narrow_range=True)
        assert qmin == -qmax


def test_int_range_accepts_numpy_integers():
    assert ql.int_range(np.int64(8)) == ql.int_range(8) == (-128, 127)


@pytest.mark.parametrize(
    ("bits", "error", "match"),
    [
        (1, ValueError, r"bits must be an integer from 2 to 16, got 1"),
        (17, ValueError, r"bits must be an integer from 2 to 16, got 17"),
        (0, ValueError, r"got 0"),
        (-8, ValueError, r"got -8"),
        (8.0, TypeError, r"bits must be an integer from 2 to 16, got 8\.0"),
        (True, TypeError, r"got True"),
        ("8", TypeError, r"got '8'"),
        (None, TypeError, r"got None"),
    ],
    ids=["one", "seventeen", "zero", "negative", "float", "bool", "string", "none"],
)
def test_bad_bits_raise_with_the_value_and_the_allowed_range(bits, error, match):
    with pytest.raises(error, match=match):
        ql.int_range(bits)
    with pytest.raises(error, match=match):
        BITS.check("bits", bits)
    with pytest.raises(error, match=match):
        ql.qparams_from_range(-1.0, 1.0, bits=bits)


# --- storage_dtype -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("qmin", "qmax", "dtype"),
    [
        (-128, 127, np.int8),
        (-127, 127, np.int8),
        (0, 255, np.uint8),
        (1, 255, np.uint8),
        (0, 15, np.int8),
        (-32768, 32767, np.int16),
        (0, 65535, np.uint16),
        (-256, 255, np.int16),
        (0, 511, np.int16),
        (-(2**31), 2**31 - 1, np.int32),
        (0, 2**40, np.int64),
    ],
    ids=["int8", "int8-narrow", "uint8", "uint8-narrow", "uint4-in-int8", "int16", "uint16",
         "int9", "uint9", "int32", "too-wide-int64"],
)
def test_storage_dtype_is_the_smallest_holding_the_range(qmin, qmax, dtype):
    dt = storage_dtype(qmin, qmax)
    assert dt == np.dtype(dtype)
    info = np.iinfo(dt)
    assert info.min <= qmin and qmax <= info.max


@pytest.mark.parametrize("bits", ALL_BITS, ids=[f"{b}bit" for b in ALL_BITS])
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_storage_dtype_width_for_every_bit_width(bits, signed):
    dt = storage_dtype(*ql.int_range(bits, signed=signed))
    assert dt.itemsize == (1 if bits <= 8 else 2)


# --- QParams -------------------------------------------------------------------------

BASE = dict(qmin=-128, qmax=127, bits=8, symmetric=False)


def test_qparams_per_tensor_defaults():
    qp = ql.QParams(scale=0.5, zero_point=3, **BASE)
    assert qp.layout == Layout.tensor()
    assert qp.layout.granularity == "tensor"
    assert qp.num_params == 1
    assert qp.dtype == np.dtype(np.int8)
    assert qp.signed and not qp.narrow_range
    assert qp.layout.axis is None and qp.layout.group_size is None


def test_qparams_is_frozen():
    qp = ql.QParams(scale=0.5, zero_point=3, **BASE)
    with pytest.raises(AttributeError):
        qp.scale = 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(scale=np.ones(3), zero_point=np.zeros(2, np.int64), layout=Layout.channel(0)),
         ValueError, r"same shape.*\(3,\) and \(2,\)"),
        (dict(scale=np.ones(3), zero_point=np.zeros(3, np.int64)), ValueError,
         r"per-tensor QParams need"),
        (dict(scale=1.0, zero_point=0, layout=Layout.channel(0)), ValueError, r"need arrays"),
        (dict(scale=np.ones((2, 2)), zero_point=np.zeros((2, 2), np.int64),
              layout=Layout.channel(0)), ValueError, r"per-channel QParams need 1-D"),
        (dict(scale=1.0, zero_point=0, layout=Layout.group(4, axis=1)), ValueError,
         r"need arrays"),
        (dict(scale=1.0, zero_point=0, layout="channel"), TypeError,
         r"layout must be a Layout, got 'channel'"),
        (dict(scale=1.0, zero_point=0, layout=None), TypeError,
         r"layout must be a Layout, got None"),
    ],
    ids=["shape-mismatch", "tensor-with-array", "channel-with-scalar", "channel-2d",
         "group-with-scalar", "layout-as-string", "layout-none"],
)
def test_qparams_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        ql.QParams(**BASE, **kwargs)


@pytest.mark.parametrize("name", ["granularity", "axis", "group_size"])
def test_qparams_takes_a_layout_not_loose_layout_fields(name):
    # QParams used to take granularity/axis/group_size; a Layout replaces all three.
    with pytest.raises(TypeError, match=name):
        ql.QParams(scale=1.0, zero_point=0, **BASE, **{name: 0})
    assert not hasattr(ql.QParams(scale=1.0, zero_point=0, **BASE), name)


def test_qparams_equality_compares_arrays_and_metadata():
    def make(**over):
        kw = dict(scale=np.array([0.5, 0.25]), zero_point=np.array([1, 2]),
                  layout=Layout.channel(0), **BASE)
        kw.update(over)
        return ql.QParams(**kw)

    assert make() == make()
    assert make() != make(scale=np.array([0.5, 0.3]))
    assert make() != make(zero_point=np.array([1, 3]))
    assert make() != make(layout=Layout.channel(1))
    assert make() == make(layout=Layout.channel(np.int64(0)))
    assert make() != make(narrow_range=True)
    assert make() != "not qparams"
    with pytest.raises(TypeError):
        hash(make())


def test_qparams_arrays_are_copied_and_read_only():
    scale = np.array([0.5, 0.25])
    zero = np.array([1, 2])
    qp = ql.QParams(scale=scale, zero_point=zero, layout=Layout.channel(0), **BASE)
    scale[0] = 99.0
    zero[0] = 99
    assert qp.scale[0] == 0.5 and qp.zero_point[0] == 1
    assert not qp.scale.flags.writeable and not qp.zero_point.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        qp.scale[0] = 1.0


def test_qparams_group_counts_every_group():
    qp = ql.QParams(scale=np.ones((4, 3)), zero_point=np.zeros((4, 3), np.int64),
                    layout=Layout.group(4, axis=1), **BASE)
    assert qp.num_params == 12


@pytest.mark.parametrize(
    ("bits", "signed", "dtype"),
    [(8, True, np.int8), (8, False, np.uint8), (16, True, np.int16), (16, False, np.uint16),
     (4, True, np.int8), (12, True, np.int16)],
    ids=["int8", "uint8", "int16", "uint16", "int4", "int12"],
)
def test_qparams_dtype_follows_its_range(bits, signed, dtype):
    qmin, qmax = ql.int_range(bits, signed=signed)
    qp = ql.QParams(scale=1.0, zero_point=0, qmin=qmin, qmax=qmax, bits=bits,
                    symmetric=True, signed=signed)
    assert qp.dtype == np.dtype(dtype)
