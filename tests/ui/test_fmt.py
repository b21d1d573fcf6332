"""ui.fmt: numbers and names as display text, at their edges (missing, NaN, infinite,
zero, huge, negative) and in both languages."""

from __future__ import annotations

import math

import pytest

import ui.i18n
from ui import fmt
from ui.i18n import LANGUAGES, catalogue

INF, NAN = math.inf, math.nan
MISSING = "—"
UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}


@pytest.fixture(params=list(LANGUAGES))
def lang(request, monkeypatch):
    monkeypatch.setattr(ui.i18n, "current_language", lambda: request.param)
    return request.param


# --- count -------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "form", "shown"), [
    pytest.param(1, "one", "1", id="one"),
    pytest.param(0, "other", "0", id="zero"),
    pytest.param(2, "other", "2", id="two"),
    pytest.param(4096, "other", "4,096", id="thousands"),
    pytest.param(16_777_216, "other", "16,777,216", id="16M"),
    pytest.param(-1, "other", "-1", id="minus-one"),
])
def test_count_grammatical_number(lang, n, form, shown):
    template = catalogue(lang)[f"fmt.values.{form}"]
    assert fmt.count(n, "fmt.values") == template.format(n=shown)
    assert shown in fmt.count(n, "fmt.values")


@pytest.mark.parametrize(("n", "expected"), [(1, "1 value"), (2, "2 values"),
                                             (0, "0 values"), (4096, "4,096 values")])
def test_count_english(monkeypatch, n, expected):
    monkeypatch.setattr(ui.i18n, "current_language", lambda: "en")
    assert fmt.count(n, "fmt.values") == expected


@pytest.mark.parametrize(("n", "expected"), [(1, "1 giá trị"), (4096, "4,096 giá trị")])
def test_count_vietnamese(monkeypatch, n, expected):
    monkeypatch.setattr(ui.i18n, "current_language", lambda: "vi")
    assert fmt.count(n, "fmt.values") == expected


# --- num -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(None, MISSING, id="None"),
    pytest.param(NAN, MISSING, id="nan"),
    pytest.param(INF, "∞", id="inf"),
    pytest.param(-INF, "−∞", id="-inf"),
    pytest.param(0, "0", id="0"),
    pytest.param(-0.0, "0", id="-0.0"),
    pytest.param(-128.0, "-128", id="-128.0"),
    pytest.param(1e15, "1e+15", id="1e15"),
    pytest.param(1e15 - 1, "999999999999999", id="1e15-1"),
    pytest.param(0.00588235294, "0.005882", id="seed-scale"),
    pytest.param(-2.5e-12, "-2.5e-12", id="tiny-negative"),
])
def test_num_edges(value, expected):
    assert fmt.num(value) == expected


# --- db --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(None, MISSING, id="None"),
    pytest.param(NAN, MISSING, id="nan"),
    pytest.param(INF, "∞ dB", id="inf-exact-reconstruction"),
    pytest.param(-INF, "−∞ dB", id="-inf"),
    pytest.param(0, "0 dB", id="0"),
    pytest.param(42.1234, "42.1 dB", id="typical"),
    pytest.param(-3.5, "-3.5 dB", id="negative"),
    pytest.param(1e15, "1e+15 dB", id="1e15"),
])
def test_db_edges(value, expected):
    assert fmt.db(value) == expected


# --- pct -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(None, MISSING, id="None"),
    pytest.param(NAN, MISSING, id="nan"),
    pytest.param(0, "0%", id="0"),
    pytest.param(-0.0, "0%", id="-0.0"),
    pytest.param(0.25, "25%", id="quarter"),
    pytest.param(1, "100%", id="all"),
    pytest.param(1e-5, "0.001%", id="tiny"),
    pytest.param(-0.5, "-50%", id="negative"),
])
def test_pct_edges(value, expected):
    assert fmt.pct(value) == expected


@pytest.mark.parametrize("formatter", [fmt.num, fmt.db, fmt.pct, fmt.size],
                         ids=["num", "db", "pct", "size"])
@pytest.mark.parametrize("value", [INF, -INF], ids=["inf", "-inf"])
def test_infinity_is_written_as_num_writes_it(formatter, value):
    text = formatter(value)
    assert fmt.num(value) in text, text
    assert "inf" not in text.lower(), text


def test_pct_huge_has_no_python_spelling():
    assert "inf" not in fmt.pct(1e15) and fmt.pct(1e15).endswith("%")


# --- size ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(None, MISSING, id="None"),
    pytest.param(NAN, MISSING, id="nan"),
    pytest.param(0, "0 B", id="0"),
    pytest.param(64, "64 B", id="64"),
    pytest.param(999, "999 B", id="999"),
    pytest.param(1000, "1 KB", id="1000"),
    pytest.param(1_500_000, "1.5 MB", id="1.5MB"),
    pytest.param(2**24 * 4, "67.1 MB", id="16M-float32"),
    pytest.param(999_999, "1 MB", id="999999-rounds-up-a-unit"),
    pytest.param(-1500, "-1.5 KB", id="negative"),
])
def test_size_edges(value, expected):
    assert fmt.size(value) == expected


@pytest.mark.parametrize("value", [1e15, 999_999_999, 1e18],
                         ids=["1e15", "999999999", "1e18"])
def test_size_reads_back_without_exponent(value):
    text = fmt.size(value)
    number, unit = text.split(" ")
    assert "e" not in number, text
    assert math.isclose(float(number) * UNITS[unit], value, rel_tol=5e-3), text


# --- shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("dims", "expected"), [
    pytest.param((8,), "8", id="1d"),
    pytest.param((4096, 4096), "4096 × 4096", id="2d"),
    pytest.param((2, 3, 4), "2 × 3 × 4", id="3d"),
    pytest.param((0,), "0", id="empty"),
    pytest.param([64, 256], "64 × 256", id="list"),
])
def test_shape(dims, expected):
    assert fmt.shape(dims) == expected


def test_shape_scalar_in_each_language(lang):
    assert fmt.shape(()) == catalogue(lang)["fmt.scalar"]
    assert fmt.shape(()) != ""


def test_plain_is_reexported():
    assert fmt.plain("a*b") == "a\\*b"
