"""Lesson links, for every Control table of every page: they reproduce the page, and hostile
values are clamped or ignored with a notice, never an exception.

The tables come from the page registry, so a new page gets these checks without a test.
"""

from __future__ import annotations

import math

import pytest

import views
from tests.app.conftest import assert_ok, notices, open_app, widget
from ui import language, workspace
from ui.urlstate import Control, ControlTable

BUILT = [page for page in views.PAGES if page.path]
SHARED = (language.TABLE, workspace.table())
WORKSPACE_TABLE = workspace.table().name


def tables(page) -> tuple[ControlTable, ...]:
    """The tables a page's link reaches: the language, the workspace (on the pages that
    show it) and the page's own."""
    shared = SHARED if page.workspace else SHARED[:1]
    return (*shared, page.table) if page.table else shared


def _step(control: Control) -> float:
    return control.step or (1 if control.bounds.integer else 1.0)


def non_default(control: Control):
    """A value other than the default that the control allows on the default tensor."""
    if control.is_bool:
        return not control.default
    if control.options:
        # The last option: the most different one (upload, manual range, per group, ...).
        return [o for o in control.options if o != control.default][-1]
    if control.bounds is None:  # options known only when drawn (an upload's arrays)
        return "another"
    up = control.default + _step(control)
    return up if control.bounds.contains(up) else control.default - _step(control)


def state(at, control: Control):
    """A control's canonical value in the app (its default if it never had one)."""
    try:
        return at.session_state[control.key]
    except KeyError:
        return control.default


def query_of(values: dict) -> dict[str, str]:
    return {key: ("true" if v is True else "false" if v is False else str(v))
            for key, v in values.items()}


@pytest.mark.parametrize("page", BUILT, ids=[p.key for p in BUILT])
def test_a_link_setting_every_control_reproduces_the_page(page):
    values = {c.key: non_default(c) for table in tables(page) for c in table.controls}
    at = open_app(page.key if page.key != "home" else None, query_of(values))
    assert not at.exception, [e.value for e in at.exception]
    assert notices(at) == []
    lang = values["lang"]
    for key, expected in values.items():
        assert at.session_state[key] == pytest.approx(expected) if isinstance(
            expected, float) else at.session_state[key] == expected, key
        shown = widget(at, key, lang)
        if shown is not None:
            assert shown.value == (pytest.approx(expected) if isinstance(expected, float)
                                   else expected), key
    # The page keeps its link: every value that differs from its default is in the URL.
    for key, expected in query_of(values).items():
        assert at.query_params[key] == [expected] or at.query_params[key] == expected, key


HOSTILE = ["64", "-1", "1e400", "-inf", "nan", "abc", "9" * 2000, "", "1.5", "0x10",
           "true", "<script>alert(1)</script>", "[x](http://evil.example)"]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda v: v[:12] or "empty")
@pytest.mark.parametrize("page", BUILT, ids=[p.key for p in BUILT])
def test_hostile_values_for_every_control_are_clamped_with_a_notice(page, text):
    # The workspace's controls are the same code on every page: they are tried on the
    # Uniform page (a huge tensor from "1e400" cost seconds on each page).
    controls = [c for table in tables(page) for c in table.controls
                if page.key == "uniform" or table.name != WORKSPACE_TABLE]
    at = open_app(page.key if page.key != "home" else None, {c.key: text for c in controls})
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page is blank"
    said = "\n".join(notices(at))
    for control in controls:
        value = state(at, control)
        assert control.allowed(value) or not control.options and control.bounds is None, (
            control.key, value)
        if isinstance(value, float):
            assert math.isfinite(value), control.key
        parsed = control.parse(text)
        if parsed is None or not control.allowed(parsed):
            assert control.key.replace("_", "\\_") in said, (control.key, said)
    assert "http://evil" not in said and "<script>" not in said


@pytest.mark.parametrize(("query", "key", "expected"), [
    ({"u_bits": "1"}, "u_bits", 2), ({"u_bits": "0"}, "u_bits", 2),
    ({"u_bits": "64"}, "u_bits", 8), ({"u_bits": "abc"}, "u_bits", 4),
    ({"u_group": "0"}, "u_group", 2), ({"u_group": "3"}, "u_group", 2),
    ({"u_group": "4096"}, "u_group", 256), ({"u_ch_axis": "9", "u_gran": "channel"},
                                             "u_ch_axis", 1),
    ({"ws_rows": "inf"}, "ws_rows", 2**24), ({"ws_cols": "-inf"}, "ws_cols", 1),
    ({"ws_seed": "inf"}, "ws_seed", 2**32 - 1), ({"ws_outliers": "-inf"}, "ws_outliers", 0),
    ({"u_rseed": "inf", "u_round": "stochastic"}, "u_rseed", 2**32 - 1),
    ({"u_focus": "inf", "u_gran": "channel"}, "u_focus", 63),
    ({"ws_kind": "llm_activations", "ws_llm_activations_outlier_channels": "inf"},
     "ws_llm_activations_outlier_channels", 256),
    ({"ws_rows": "9" * 2000}, "ws_rows", 2**24),
    ({"ws_kind": "student_t", "ws_student_t_df": "0.5"}, "ws_student_t_df", 1.0),
    ({"ws_kind": "lognormal", "ws_lognormal_sigma": "100"}, "ws_lognormal_sigma", 4.0),
    ({"ws_kind": "constant", "ws_constant_value": "1e300"}, "ws_constant_value", 1e18),
    ({"u_range": "manual", "u_lo": "nan"}, "u_lo", -1.0),
    ({"u_gran": "banana"}, "u_gran", "tensor"),
], ids=lambda v: "&".join(f"{k}={t[:8]}" for k, t in v.items()) if isinstance(v, dict)
    else None)
def test_the_issues_hostile_links_clamp_to_the_nearest_allowed_value(query, key, expected):
    """Each of these crashed the page, or silently fell back to the default, before."""
    at = open_app("uniform", query)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[key] == expected
    assert any(key.replace("_", "\\_") in n for n in notices(at)), notices(at)
    assert at.metric, "the page must still show its numbers"


def test_too_many_values_from_a_link_keep_the_rows_and_clamp_the_columns():
    at = open_app("uniform", {"ws_rows": "100000", "ws_cols": "100000"})
    assert_ok(at)
    assert at.session_state["ws_rows"] == 100_000
    assert at.session_state["ws_cols"] == 2**24 // 100_000
    assert at.session_state["_ws_last"].x.size <= 2**24
    assert any("ws\\_cols" in n for n in notices(at)), notices(at)


@pytest.mark.parametrize(("lo", "hi"), [("-1e-320", "1e-320"), ("-1e-310", "1e-310"),
                                        ("-1e308", "1e308"), ("-3.4e38", "3.4e38")],
                         ids=["1e-320", "1e-310", "1e308", "f32-max"])
def test_tiny_and_huge_manual_ranges_draw_the_page(lo, hi):
    at = open_app("uniform", {"u_range": "manual", "u_lo": lo, "u_hi": hi})
    assert not at.exception, [e.value for e in at.exception]
    assert len([el for el in at.main if getattr(el, "type", "") == "plotly_chart"]) == 4
    assert not any("inf" in e.value for e in at.error)
