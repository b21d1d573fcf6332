"""ui.urlstate's pure parts: reading lesson-link values, clamping them, writing them back.

A link is input: whatever text arrives, ``parse`` then ``nearest`` must give a value the
control allows, and every allowed value must survive ``code`` -> ``parse`` unchanged.
"""

from __future__ import annotations

import math

import pytest

from quantlib._validate import Interval
from ui import language, workspace
from ui.urlstate import Control, ControlTable
from views.home import controls as home_controls
from views.uniform import controls as uniform_controls

NINES = "9" * 2000
HOSTILE = ("64", "-1", "1e400", "-inf", "nan", "abc", NINES, "", "1.5", "0x10", "true",
           "<script>")
HOSTILE_IDS = ("64", "-1", "1e400", "-inf", "nan", "abc", "2000-nines", "empty", "1.5", "0x10",
               "true", "script")
GROUP_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
INF, NAN = math.inf, math.nan

CONTROLS = {
    "bool": Control("b", False, "checkbox", "l"),
    "option": Control("o", "a", "select", "l", options=("a", "b")),
    "int-options": Control("g", 64, "select_slider", "l", options=GROUP_SIZES),
    "int-bounds": Control("n", 4, "slider", "l", bounds=Interval(int, 2, 8)),
    "float-bounds": Control("f", 99.9, "slider", "l", bounds=Interval(float, 90.0, 100.0)),
    "dynamic-option": Control("d", "", "select", "l"),
}

# What parse reads from each hostile text (None: unreadable), by kind of control.
_NUMBERS = (64, -1, INF, -INF, NAN, None, INF, None, 1.5, None, None, None)
PARSED = {
    "bool": (None,) * 10 + (True, None),
    "option": (None,) * len(HOSTILE),
    "int-options": _NUMBERS,
    "int-bounds": _NUMBERS,
    "float-bounds": tuple(float(v) if isinstance(v, int) else v for v in _NUMBERS),
    "dynamic-option": HOSTILE,
}
# What the control ends up with: the parsed value clamped, or the default if unreadable.
RESOLVED = {
    "bool": (False,) * 10 + (True, False),
    "option": ("a",) * len(HOSTILE),
    "int-options": (64, 2, 256, 2, 64, 64, 256, 64, 2, 64, 64, 64),
    "int-bounds": (8, 2, 8, 2, 4, 4, 8, 4, 2, 4, 4, 4),
    "float-bounds": (90.0, 90.0, 100.0, 90.0, 99.9, 99.9, 100.0, 99.9, 90.0, 99.9, 99.9, 99.9),
    "dynamic-option": HOSTILE,
}


def _same(got, expected) -> bool:
    """Equal and of the same type, with NaN equal to NaN."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    return got == expected


def _cases(table: dict[str, tuple]) -> list:
    return [pytest.param(kind, text, expected, id=f"{kind}-{text_id}")
            for kind, values in table.items()
            for text, text_id, expected in zip(HOSTILE, HOSTILE_IDS, values, strict=True)]


@pytest.mark.parametrize(("kind", "text", "expected"), _cases(PARSED))
def test_parse_hostile_text(kind, text, expected):
    got = CONTROLS[kind].parse(text)
    assert _same(got, expected), f"parse({text[:20]!r}) = {got!r}, expected {expected!r}"


@pytest.mark.parametrize(("kind", "text", "expected"), _cases(RESOLVED))
def test_hostile_text_resolves_to_allowed_value(kind, text, expected):
    control = CONTROLS[kind]
    parsed = control.parse(text)
    got = control.default if parsed is None else control.nearest(parsed)
    assert control.allowed(got)
    assert _same(got, expected), f"{text[:20]!r} -> {got!r}, expected {expected!r}"


@pytest.mark.parametrize("kind", CONTROLS)
def test_parse_refuses_overlong_text(kind):
    assert CONTROLS[kind].parse("1" * 5000) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("on", True),
    ("false", False), ("0", False), ("no", False), (" off ", False),
])
def test_parse_bool_words(text, expected):
    assert CONTROLS["bool"].parse(text) is expected


def test_parse_strips_and_reads_whole_floats_as_int():
    assert _same(CONTROLS["int-bounds"].parse(" 6 "), 6)
    assert _same(CONTROLS["int-bounds"].parse("6.0"), 6)
    assert _same(CONTROLS["float-bounds"].parse("95"), 95.0)


# --- allowed ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("bool", True, True), ("bool", 1, False), ("bool", "true", False),
    ("option", "a", True), ("option", "c", False), ("option", 1, False),
    ("int-options", 64, True), ("int-options", 64.0, False), ("int-options", 65, False),
    ("int-options", True, False),
    ("int-bounds", 2, True), ("int-bounds", 8, True), ("int-bounds", 9, False),
    ("int-bounds", 4.0, False), ("int-bounds", True, False), ("int-bounds", "4", False),
    ("float-bounds", 90.0, True), ("float-bounds", 100.0, True), ("float-bounds", 95, True),
    ("float-bounds", 100.5, False), ("float-bounds", NAN, False), ("float-bounds", INF, False),
    ("dynamic-option", "anything", True), ("dynamic-option", 3, False),
    ("dynamic-option", None, False),
])
def test_allowed(kind, value, expected):
    assert CONTROLS[kind].allowed(value) is expected


def test_allowed_with_narrowed_options_and_bounds():
    axis = uniform_controls.TABLE["u_ch_axis"]
    assert axis.allowed(1, options=(0, 1))
    assert not axis.allowed(2, options=(0, 1))
    assert not CONTROLS["int-bounds"].allowed(7, bounds=Interval(int, 2, 6))


# --- nearest ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "value", "expected"), [
    pytest.param("int-bounds", 64, 8, id="int-above"),
    pytest.param("int-bounds", -1, 2, id="int-below"),
    pytest.param("int-bounds", INF, 8, id="int-inf"),
    pytest.param("int-bounds", -INF, 2, id="int-minus-inf"),
    pytest.param("int-bounds", 2.5, 3, id="int-half-rounds-away"),
    pytest.param("int-bounds", 5.4, 5, id="int-fraction"),
    pytest.param("int-bounds", NAN, 4, id="int-nan-default"),
    pytest.param("int-bounds", "abc", 4, id="int-string-default"),
    pytest.param("float-bounds", 1e300, 100.0, id="float-above"),
    pytest.param("float-bounds", -INF, 90.0, id="float-minus-inf"),
    pytest.param("float-bounds", 95.5, 95.5, id="float-inside"),
    pytest.param("float-bounds", NAN, 99.9, id="float-nan-default"),
    pytest.param("int-options", 100, 128, id="options-nearest-above"),
    pytest.param("int-options", 70, 64, id="options-nearest-below"),
    pytest.param("int-options", 1e9, 256, id="options-huge"),
    pytest.param("int-options", INF, 256, id="options-inf"),
    pytest.param("int-options", -INF, 2, id="options-minus-inf"),
    pytest.param("int-options", 0.1, 2, id="options-tiny"),
    pytest.param("int-options", NAN, 64, id="options-nan-default"),
    pytest.param("int-options", "64", 64, id="options-string-default"),
    pytest.param("option", "zzz", "a", id="unknown-string-default"),
    pytest.param("option", 3, "a", id="number-for-string-option-default"),
    pytest.param("option", NAN, "a", id="nan-for-string-option-default"),
    pytest.param("bool", "yes", False, id="bool-string-default"),
    pytest.param("bool", NAN, False, id="bool-nan-default"),
    pytest.param("dynamic-option", 5, "", id="dynamic-number-default"),
])
def test_nearest(kind, value, expected):
    control = CONTROLS[kind]
    got = control.nearest(value)
    assert _same(got, expected), f"nearest({value!r}) = {got!r}, expected {expected!r}"
    assert control.allowed(got)


def test_nearest_within_narrowed_options_and_bounds():
    axis = uniform_controls.TABLE["u_ch_axis"]
    assert axis.nearest(5, options=(0, 1)) == 1
    assert axis.nearest(NAN, options=(0, 1)) == 0
    assert CONTROLS["int-bounds"].nearest(7, bounds=Interval(int, 2, 6)) == 6


# --- the real tables -------------------------------------------------------------------

TABLES = {
    "uniform": uniform_controls.TABLE,
    "home": home_controls.TABLE,
    "workspace": workspace.table(),
    "language": language.TABLE,
}
REAL_CONTROLS = [pytest.param(control, id=f"{name}:{control.key}")
                 for name, table in TABLES.items() for control in table.controls]
#: Names an upload's arrays can have (any text is allowed until a file is read).
ARRAY_NAMES = ("", "weights", "model.layers.0.mlp.up_proj.weight", "a b", "trọng_số",
               " padded ", "[x](http://e.com)", "true", "1e400")


def _samples(control: Control) -> list:
    """Allowed values of a control: all of them where finite, else its edges and inside."""
    if control.is_bool:
        return [False, True]
    if control.options:
        return list(control.options)
    bounds = control.bounds
    if bounds is None:
        return list(ARRAY_NAMES)
    low = bounds.low if bounds.low is not None else control.default - 1000
    high = bounds.high if bounds.high is not None else control.default + 1000
    values = [low, high, control.default, bounds.kind((low + high) / 2)]
    if not bounds.integer:
        values += [low + (high - low) / 3, low + (high - low) * 0.1]
    return list(dict.fromkeys(v for v in values if bounds.contains(v)))


REAL_VALUES = [pytest.param(param.values[0], value, id=f"{param.id}={value!r}")
               for param in REAL_CONTROLS for value in _samples(param.values[0])]


@pytest.mark.parametrize(("control", "value"), REAL_VALUES)
def test_code_round_trips_through_parse(control, value):
    assert control.allowed(value)  # the premise: a value the control can hold
    text = control.code(value)
    back = control.parse(text)
    assert _same(back, value), f"{value!r} -> {text!r} -> {back!r}"


@pytest.mark.parametrize("control", REAL_CONTROLS)
def test_default_is_allowed(control):
    assert control.allowed(control.default)
    assert _same(control.nearest(control.default), control.default)


@pytest.mark.parametrize("control", REAL_CONTROLS)
def test_every_hostile_text_resolves_to_allowed_value(control):
    for text in (*HOSTILE, "1" * 5000):
        parsed = control.parse(text)
        got = control.default if parsed is None else control.nearest(parsed)
        assert control.allowed(got), f"{text[:20]!r} -> {got!r}"


@pytest.mark.parametrize("name", TABLES)
def test_table_keys_are_unique(name):
    keys = TABLES[name].keys
    assert len(keys) == len(set(keys))


# --- refusals --------------------------------------------------------------------------


def test_table_unknown_key_raises_key_error():
    with pytest.raises(KeyError, match="no_such_control"):
        uniform_controls.TABLE["no_such_control"]


def test_table_lookup_finds_control():
    assert uniform_controls.TABLE["u_bits"].key == "u_bits"


@pytest.mark.parametrize(("kwargs", "message"), [
    pytest.param(dict(default="c", widget="select", options=("a", "b")),
                 r"default 'c' is not an option", id="default-not-an-option"),
    pytest.param(dict(default=64, widget="select_slider", options=(2, 4, 8)),
                 r"default 64 is not an option", id="default-not-a-numeric-option"),
    pytest.param(dict(default=9, widget="slider", bounds=Interval(int, 2, 8)),
                 r"default 9 is outside its bounds", id="default-above-bounds"),
    pytest.param(dict(default=NAN, widget="number", bounds=Interval(float, 0.0, 1.0)),
                 r"default nan is outside its bounds", id="default-nan"),
    pytest.param(dict(default=2.0, widget="slider", bounds=Interval(int, 2, 8)),
                 r"default 2\.0 is outside its bounds", id="default-float-for-int-bounds"),
    pytest.param(dict(default=1, widget="dial"), r"widget must be one of .* got 'dial'",
                 id="unknown-widget"),
])
def test_control_refuses_bad_definition(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Control("k", label="l", **kwargs)


def test_control_table_defaults():
    table = ControlTable("t", (CONTROLS["bool"], CONTROLS["int-bounds"]))
    assert table.defaults() == {"b": False, "n": 4}
    assert table.keys == ("b", "n")
