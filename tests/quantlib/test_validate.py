"""Tests for quantlib._validate: Interval, Options, check_shape and the coded errors.

The last part checks the MESSAGES table against the library itself: every code is raised
through a public function (or listed, with the reason, as unreachable), and every raise
site fills exactly the placeholders of its template.
"""

from __future__ import annotations

import copy
import math
import string

import numpy as np
import pytest

import quantlib as ql
from lessons.uniform import Settings
from quantlib import Layout, binning
from quantlib._validate import (
    BITS,
    DIM,
    GROUP_SIZE,
    MAX_ELEMENTS,
    MESSAGES,
    PERCENTILE,
    SEED,
    CodedError,
    Interval,
    Options,
    ParameterError,
    ParameterTypeError,
    check_shape,
)
from quantlib.calibration import calibrate_layout
from quantlib.explain import param_pair
from quantlib.granularity import select
from quantlib.observers import MinMaxObserver
from quantlib.uniform import round_values


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# --- Interval.check and contains ---------------------------------------------------------


@pytest.mark.parametrize(("interval", "value", "expected"), [
    (BITS, 8, 8), (BITS, np.int64(2), 2), (BITS, np.uint8(16), 16),
    (PERCENTILE, 99.9, 99.9), (PERCENTILE, 50, 50.0), (PERCENTILE, np.float32(100.0), 100.0),
    (SEED, 2**32 - 1, 2**32 - 1), (Interval(float, None, None), -1e308, -1e308),
    (Interval(int, 0, None), 10**30, 10**30),
], ids=["bits", "numpy-int", "numpy-uint-at-high", "percentile", "int-for-float",
        "numpy-float32", "seed-max", "unbounded-float", "unbounded-huge-int"])
def test_check_returns_the_value_as_a_python_number_of_its_kind(interval, value, expected):
    got = interval.check("p", value)
    assert got == expected and type(got) is interval.kind


@pytest.mark.parametrize(("interval", "value", "error", "code", "shown"), [
    (BITS, 1, ParameterError, "param_range", "1"),
    (BITS, 17, ParameterError, "param_range", "17"),
    (BITS, 8.0, ParameterTypeError, "param_type", "8.0"),
    (BITS, True, ParameterTypeError, "param_type", "True"),
    (BITS, np.bool_(False), ParameterTypeError, "param_type", "False"),
    (BITS, "8", ParameterTypeError, "param_type", "'8'"),
    (BITS, None, ParameterTypeError, "param_type", "None"),
    (BITS, 8 + 0j, ParameterTypeError, "param_type", "(8+0j)"),
    (PERCENTILE, math.nan, ParameterError, "param_range", "nan"),
    (PERCENTILE, math.inf, ParameterError, "param_range", "inf"),
    (PERCENTILE, 49.999, ParameterError, "param_range", "49.999"),
    (Interval(float), -math.inf, ParameterError, "param_range", "-inf"),
    (PERCENTILE, "x" * 100, ParameterTypeError, "param_type", "'" + "x" * 38 + "…"),
], ids=["below", "above", "float-for-int", "bool", "numpy-bool", "string", "none", "complex",
        "nan", "inf", "just-below", "unbounded-minus-inf", "long-value-is-cut"])
def test_check_refuses_with_a_coded_error(interval, value, error, code, shown):
    with pytest.raises(error) as info:
        interval.check("p", value)
    err = info.value
    assert isinstance(err, ValueError if error is ParameterError else TypeError)
    assert err.code == code
    assert err.params == {"name": "p", "allowed": interval.describe(), "value": shown}
    assert str(err) == f"p must be {interval.describe()}, got {shown}"


@pytest.mark.parametrize(("value", "inside"), [
    (2, True), (16, True), (np.int16(9), True), (1, False), (17, False), (8.0, False),
    (True, False), (np.bool_(True), False), ("8", False), (None, False), (math.nan, False),
], ids=["low", "high", "numpy", "below", "above", "float", "bool", "numpy-bool", "string",
        "none", "nan"])
def test_contains_any_value(value, inside):
    assert BITS.contains(value) == inside


@pytest.mark.parametrize("value", [0.0, 1.0, 1e308, -1e308, 5e-324],
                         ids=["zero", "one", "huge", "minus-huge", "subnormal"])
def test_unbounded_float_interval_holds_every_finite_number(value):
    assert Interval(float).contains(value)
    assert not Interval(float).contains(math.inf) and not Interval(float).contains(math.nan)


# --- nearest -------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "value", "expected"), [
    (BITS, 64, 16), (BITS, 1.6, 2), (BITS, 1, 2), (BITS, -3, 2), (BITS, 8, 8),
    (BITS, 2.5, 3), (BITS, 7.5, 8), (BITS, 7.49, 7), (BITS, np.float32(4.4), 4),
    (BITS, math.inf, 16), (BITS, -math.inf, 2), (BITS, 1e308, 16), (BITS, -1e308, 2),
    (BITS, 10**400, 16), (BITS, -(10**400), 2),
    (PERCENTILE, 99.95, 99.95), (PERCENTILE, 120, 100.0), (PERCENTILE, 10.0, 50.0),
    (PERCENTILE, math.inf, 100.0),
    (Interval(int, 0, None), -5, 0), (Interval(int, 0, None), 2.5, 3),
    (Interval(float, None, 1.0), -1e308, -1e308),
], ids=["above", "round-up-to-low", "below", "negative", "inside", "half-away", "half-away-8",
        "below-half", "numpy-float32", "inf", "minus-inf", "huge", "minus-huge", "huge-int",
        "minus-huge-int", "percentile-inside", "percentile-above", "percentile-below",
        "percentile-inf", "half-open-below", "half-open-round", "half-open-float"])
def test_nearest_clamps_and_rounds(interval, value, expected):
    got = interval.nearest(value)
    assert got == expected and type(got) is interval.kind


@pytest.mark.parametrize(("interval", "value"), [
    (BITS, math.nan), (Interval(int, 0, None), math.inf), (Interval(float), -math.inf),
    (Interval(float, None, 0.0), -math.inf),
], ids=["nan", "unbounded-above-inf", "unbounded-minus-inf", "half-open-minus-inf"])
def test_nearest_is_none_when_nothing_is_near(interval, value):
    assert interval.nearest(value) is None


@pytest.mark.parametrize("interval", [BITS, SEED, PERCENTILE, Interval(int, 0, None),
                                      Interval(float)],
                         ids=["bits", "seed", "percentile", "non-negative-int", "any-float"])
def test_nearest_keeps_every_allowed_value(interval):
    if interval.integer:
        lows = [interval.low if interval.low is not None else -(2**60)]
        samples = [lows[0], lows[0] + 1, 2**31 + 1, 2**53 + 1, 2**63 + 1]
    else:
        samples = [interval.low or -1e308, 99.99, 0.1 + 0.2, 1e308, 5e-324]
    allowed = [v for v in samples if interval.contains(v)]
    assert allowed, "no sample is allowed"
    assert [interval.nearest(v) for v in allowed] == allowed


@pytest.mark.parametrize("value", ["8", "abc", "", None, True, False, np.bool_(True), [8],
                                   8 + 0j, object()],
                         ids=["numeric-string", "string", "empty", "none", "true", "false",
                              "numpy-bool", "list", "complex", "object"])
def test_nearest_never_turns_a_non_number_into_a_value(value):
    """A link may carry anything. check() refuses these (bools too); nearest must not turn
    them into an allowed value. None ("nothing near", as for NaN) or a TypeError are both
    safe for a caller; a number is not, and neither is a ValueError or an OverflowError."""
    try:
        got = BITS.nearest(value)
    except TypeError:
        return
    assert got is None


# --- within ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "expected"), [
    (dict(high=8), Interval(int, 2, 8)), (dict(low=4), Interval(int, 4, 16)),
    (dict(low=4, high=4), Interval(int, 4, 4)), (dict(), BITS),
    (dict(low=2, high=16), BITS),
], ids=["high", "low", "one-value", "nothing", "same"])
def test_within_narrows(kwargs, expected):
    got = BITS.within(**kwargs)
    assert got == expected
    assert all(BITS.contains(v) for v in range(-5, 30) if got.contains(v))


def test_within_an_unbounded_interval():
    assert Interval(int, 1, None).within(high=10) == Interval(int, 1, 10)
    assert Interval(float).within(low=-1.0, high=1.0) == Interval(float, -1.0, 1.0)


@pytest.mark.parametrize("kwargs", [
    dict(low=1), dict(high=17), dict(low=9, high=3), dict(low=-math.inf),
    dict(high=math.inf), dict(low=math.nan), dict(high=math.nan),
], ids=["lower-low", "higher-high", "reversed", "minus-inf", "inf", "nan-low", "nan-high"])
def test_within_never_widens(kwargs):
    with pytest.raises(ValueError, match=r"is not inside an integer from 2 to 16"):
        BITS.within(**kwargs)


# --- describe --------------------------------------------------------------------------------


@pytest.mark.parametrize(("constraint", "text"), [
    (BITS, "an integer from 2 to 16"),
    (PERCENTILE, "a finite number from 50 to 100"),
    (Interval(int, 1, None), "an integer >= 1"),
    (Interval(float, 0.0, None), "a finite number >= 0"),
    (Interval(float, None, 0.5), "a finite number <= 0.5"),
    (Interval(int), "an integer"),
    (Interval(float), "a finite number"),
    (SEED, "an integer from 0 to 4294967295"),
    (GROUP_SIZE, f"an integer from 1 to {MAX_ELEMENTS}"),
    (DIM, f"an integer from 1 to {MAX_ELEMENTS}"),
    (Options(("tensor", "channel")), "one of 'tensor', 'channel'"),
    (Options((1, 2.5)), "one of 1, 2.5"),
], ids=["bits", "percentile", "int-low", "float-low", "float-high", "int", "float", "seed",
        "group-size", "dim", "strings", "numbers"])
def test_describe(constraint, text):
    # The bounds in words must be the exact bounds: "from 0 to 4.29497e+09" is not.
    assert constraint.describe() == text


@pytest.mark.parametrize("kind", [str, bool, complex, np.float32, None],
                         ids=["str", "bool", "complex", "numpy-float32", "none"])
def test_interval_kind_is_int_or_float(kind):
    with pytest.raises(TypeError, match="Interval kind must be int or float"):
        Interval(kind, 0, 1)


def test_constraints_are_frozen_and_hashable():
    with pytest.raises(AttributeError):
        BITS.low = 1  # type: ignore[misc]
    assert hash(Interval(int, 2, 16)) == hash(BITS)
    assert hash(Options(("a",))) == hash(Options(("a",)))


# --- Options -----------------------------------------------------------------------------------


def test_options_check_returns_the_value():
    assert Options(("tensor", "channel")).check("granularity", "channel") == "channel"
    assert Options((0, 1)).check("n", 1) == 1


@pytest.mark.parametrize(("options", "value", "shown"), [
    (("tensor", "channel"), "Tensor", "'Tensor'"),
    (("tensor", "channel"), None, "None"),
    ((0, 1), True, "True"),
    ((1, 2), 1.0, "1.0"),
    ((True, False), 1, "1"),
], ids=["case", "none", "bool-is-not-int", "float-is-not-int", "int-is-not-bool"])
def test_options_refuse_other_values_and_types(options, value, shown):
    constraint = Options(options)
    assert not constraint.contains(value)
    with pytest.raises(ParameterError) as info:
        constraint.check("name", value)
    err = info.value
    assert err.code == "param_option"
    assert err.params == {"name": "name", "allowed": constraint.describe(), "value": shown}
    assert str(err) == f"name must be {constraint.describe()}, got {shown}"


# --- check_shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "expected"), [
    (5, (5,)), ((2, 3), (2, 3)), ([2, 3], (2, 3)), (np.int64(7), (7,)),
    ((np.int32(2), 3), (2, 3)), ((1, 1, 1, 1), (1, 1, 1, 1)), ((4096, 4096), (4096, 4096)),
], ids=["int", "tuple", "list", "numpy-int", "numpy-dim", "four-dims", "at-the-cap"])
def test_check_shape_accepts(shape, expected):
    got = check_shape(shape, max_ndim=4, max_elements=MAX_ELEMENTS)
    assert got == expected and all(type(d) is int for d in got)


@pytest.mark.parametrize(("shape", "error", "code", "match"), [
    ((), ParameterTypeError, "shape_type", r"shape must be an int or a tuple of 1 to 4 ints"),
    ((1, 1, 1, 1, 1), ParameterTypeError, "shape_type", r"got \(1, 1, 1, 1, 1\)"),
    ((2, 2.0), ParameterTypeError, "shape_type", r"got \(2, 2\.0\)"),
    (True, ParameterTypeError, "shape_type", r"got True"),
    ((2, True), ParameterTypeError, "shape_type", r"got \(2, True\)"),
    ("12", ParameterTypeError, "shape_type", r"got '12'"),
    (None, ParameterTypeError, "shape_type", r"got None"),
    ((2, 0), ParameterError, "param_range",
     r"every dimension of shape must be an integer from 1 to .*, got 0"),
    (-3, ParameterError, "param_range", r"got -3"),
    ((4097, 4096), ParameterError, "shape_too_large",
     r"shape \(4097, 4096\) has 16,781,312 elements, more than the cap of 16,777,216"),
    ((2**20, 2**20, 2**20), ParameterError, "shape_too_large", r"more than the cap"),
], ids=["empty", "five-dims", "float-dim", "bool", "bool-dim", "string", "none", "zero-dim",
        "negative", "just-over-the-cap", "huge"])
def test_check_shape_refuses(shape, error, code, match):
    with pytest.raises(error, match=match) as info:
        check_shape(shape, max_ndim=4, max_elements=MAX_ELEMENTS)
    assert info.value.code == code


# --- CodedError ---------------------------------------------------------------------------------


def test_coded_error_formats_its_template_and_keeps_only_named_params():
    err = CodedError("demo", "{a} and {b}", a="1", b="2", unused="3")
    assert str(err) == "1 and 2"
    assert (err.code, err.template, err.params) == ("demo", "{a} and {b}", {"a": "1", "b": "2"})


def test_parameter_errors_take_their_template_from_messages():
    err = ParameterError("param_range", name="bits", allowed="an integer from 2 to 16",
                         value="1")
    assert err.template == MESSAGES["param_range"]
    assert str(err) == "bits must be an integer from 2 to 16, got 1"
    assert isinstance(err, ValueError) and isinstance(err, CodedError)
    terr = ParameterTypeError("param_type", name="bits", allowed="x", value="'8'")
    assert isinstance(terr, TypeError) and not isinstance(terr, ValueError)


def test_an_unknown_code_is_a_key_error():
    with pytest.raises(KeyError, match="no_such_code"):
        ParameterError("no_such_code")


def test_a_missing_param_is_a_key_error():
    with pytest.raises(KeyError, match="value"):
        ParameterError("param_range", name="bits", allowed="2 to 16")


ERRORS = {
    "parameter-error": ParameterError("param_range", name="bits", allowed="2 to 16",
                                      value="1"),
    "parameter-type-error": ParameterTypeError("layout_axis", granularity="channel",
                                               value="1.0"),
    "no-params": ParameterError("stochastic_rng"),
    "coded-error": CodedError("demo", "{a}!", a="x"),
}


@pytest.mark.parametrize("err", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize("clone", [copy.deepcopy, copy.copy], ids=["deepcopy", "copy"])
def test_errors_survive_copying(err, clone):
    # Copies rebuild an error through __reduce__, as pickling does (Streamlit's cache and
    # multiprocessing pickle exceptions); the UI needs code and params.
    other = clone(err)
    assert type(other) is type(err)
    assert (other.code, other.template, other.params) == (err.code, err.template, err.params)
    assert str(other) == str(err) and other.args == err.args


# --- every code of MESSAGES, raised through the public API ---------------------------------------

CHANNEL_QP = ql.choose_qparams(np.ones((3, 5)), layout=Layout.channel(0))
TENSOR_QP = ql.qparams_from_range(-1.0, 1.0)
QP_BASE = dict(qmin=-128, qmax=127, bits=8, symmetric=False)

# (code, error class, call): one row per code the public functions can raise.
TRIGGERS = [
    ("bin_range", ParameterError, lambda: binning.histogram([0.5], 4, 1.0, 1.0)),
    ("display_range", ParameterError, lambda: binning.padded_range(1.0, 0.0)),
    ("empty_metrics", ParameterError, lambda: ql.metrics([], [])),
    ("empty_tensor", ParameterError, lambda: ql.calibrate([])),
    ("format_bits", ParameterError, lambda: ql.formats.compose("101", "fp16")),
    ("format_no_nan", ParameterError, lambda: ql.decompose(float("nan"), "fp4_e2m1")),
    ("index_missing", ParameterError, lambda: param_pair(CHANNEL_QP)),
    ("index_range", ParameterError, lambda: select(np.zeros((3, 2)), Layout.channel(0), 3)),
    ("layout_axis", ParameterTypeError, lambda: Layout.channel(1.0)),
    ("layout_axis_range", ParameterError,
     lambda: ql.choose_qparams(np.ones((2, 2)), granularity="channel", axis=2)),
    ("layout_channel", ParameterError, lambda: Layout("channel", 0, 4)),
    ("layout_scalar", ParameterError,
     lambda: ql.choose_qparams(np.float64(3.0), granularity="channel")),
    ("layout_tensor", ParameterError, lambda: Layout("tensor", axis=0)),
    # Raised by the lessons layer with quantlib's error and table.
    ("manual_range_layout", ParameterError,
     lambda: Settings(method="manual", manual_range=(0.0, 1.0), layout=Layout.channel(0))),
    ("nan_input", ParameterError, lambda: ql.quantize([np.nan], TENSOR_QP)),
    ("nonfinite_input", ParameterError, lambda: ql.calibrate([1.0, np.inf])),
    ("nonfinite_metrics", ParameterError, lambda: ql.metrics([np.nan], [1.0])),
    ("not_codes", ParameterTypeError, lambda: ql.dequantize([1.0], TENSOR_QP)),
    ("not_real", ParameterTypeError, lambda: ql.quantize(["a"], TENSOR_QP)),
    ("observer_empty", ParameterError, lambda: MinMaxObserver().compute_range()),
    ("codebook_needs_x", ParameterError, lambda: ql.codebooks.codebook("kmeans")),
    ("param_option", ParameterError, lambda: ql.quantize([0.5], TENSOR_QP, rounding="up")),
    ("param_range", ParameterError, lambda: ql.int_range(1)),
    ("param_type", ParameterTypeError, lambda: ql.int_range(8.0)),
    ("qparams_channel", ParameterError,
     lambda: ql.QParams(scale=np.ones((2, 2)), zero_point=np.zeros((2, 2), np.int64),
                        layout=Layout.channel(0), **QP_BASE)),
    ("qparams_layout", ParameterTypeError,
     lambda: ql.QParams(scale=1.0, zero_point=0, layout="tensor", **QP_BASE)),
    ("qparams_mismatch", ParameterError, lambda: ql.quantize(np.ones((4, 5)), CHANNEL_QP)),
    ("qparams_scalar", ParameterError,
     lambda: ql.QParams(scale=np.ones(3), zero_point=np.zeros(3, np.int64), **QP_BASE)),
    ("qparams_shapes", ParameterError,
     lambda: ql.QParams(scale=np.ones(3), zero_point=np.zeros(2, np.int64),
                        layout=Layout.channel(0), **QP_BASE)),
    ("range_not_finite", ParameterError, lambda: ql.qparams_from_range(np.nan, 1.0)),
    ("range_reversed", ParameterError, lambda: ql.qparams_from_range(1.0, -1.0)),
    ("range_shapes", ParameterError, lambda: ql.qparams_from_range(np.zeros(2), np.ones(3))),
    ("range_too_small", ParameterError,
     lambda: ql.qparams_from_range(0.0, 5e-324, symmetric=True)),
    ("shape_mismatch", ParameterError, lambda: ql.metrics([1.0, 2.0], [1.0])),
    ("shape_too_large", ParameterError, lambda: ql.generate("normal", (8192, 4096))),
    ("shape_type", ParameterTypeError, lambda: ql.generate("normal", "big")),
    ("stochastic_rng", ParameterError, lambda: round_values(np.array([0.5]), "stochastic")),
    ("symmetric_unsigned_narrow", ParameterError,
     lambda: ql.qparams_from_range(0.0, 1.0, symmetric=True, signed=False, narrow_range=True)),
    ("unknown_options", ParameterTypeError,
     lambda: calibrate_layout([1.0], "minmax", layout=Layout.tensor(), percentile=99.0)),
]

# Codes that no public call can raise, each with the reason.
UNREACHABLE = {
    # generate() bounds scale, loc, outlier_scale and every kind's parameters so that no
    # allowed combination overflows float32 (see quantlib.tensors.generate): the check
    # after sampling is a safety net.
    "generate_overflow",
}


@pytest.mark.parametrize(("code", "error", "call"), TRIGGERS, ids=[row[0] for row in TRIGGERS])
def test_each_code_is_raised_with_its_template_filled(code, error, call):
    with pytest.raises(error) as info:
        call()
    err = info.value
    assert err.code == code
    assert err.template == MESSAGES[code]
    # The raise site gives exactly the placeholders of the template, as display strings.
    assert set(err.params) == placeholders(MESSAGES[code])
    assert all(isinstance(v, str) for v in err.params.values())
    assert str(err) == MESSAGES[code].format(**err.params)


def test_every_message_code_is_raised_or_listed_as_unreachable():
    triggered = {code for code, _, _ in TRIGGERS}
    assert len(triggered) == len(TRIGGERS), "one row per code"
    assert not triggered & UNREACHABLE
    assert set(MESSAGES) == triggered | UNREACHABLE


def test_message_templates_are_english_sentences_with_named_placeholders():
    for code, template in MESSAGES.items():
        assert template and template == template.strip(), code
        assert "{}" not in template, code  # positional fields cannot be translated by name
