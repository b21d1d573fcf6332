"""AppTest: the Number formats page: the table, the inspector, the demos, the comparison."""

from __future__ import annotations

import json

import pytest

import quantlib as ql
from lessons import formats
from tests.app.conftest import assert_ok, en, open_app, widget
from ui.i18n import catalogue


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def page():
    at = open_app("formats")
    assert_ok(at)
    return at


def test_default_page_shows_every_part(page):
    assert page.title[0].value == en("f.title")
    assert len(page.dataframe) == 3  # the formats table, the demo, the comparison
    assert len(page.dataframe[0].value) == len(formats.SHOWN)
    assert any(getattr(el, "key", None) == "f_chart_spacing" for el in page.main)
    assert en("f.seed002_fp16") in [i.value for i in page.info]


def test_typing_a_value_changes_the_bits(page):
    before = markdown_text(page)
    widget(page, "f_value").set_value(1000.0).run()
    assert_ok(page)
    after = markdown_text(page)
    assert after != before and "1024" in after  # E5M2 and E8M0 round 1000 to 1024


def test_overflow_mode_shows_inf_and_nan():
    at = open_app("formats", {"f_value": "1000", "f_overflow": "ieee"})
    assert_ok(at)
    text = markdown_text(at)
    assert en("f.kind.nan") in text  # E4M3 has no inf
    at = open_app("formats", {"f_value": "1e6", "f_overflow": "ieee"})
    assert en("f.kind.inf") in markdown_text(at)


@pytest.mark.parametrize("demo", formats.DEMOS)
def test_every_demo(page, demo):
    widget(page, "f_demo").set_value(demo).run()
    assert_ok(page)
    assert en(f"f.demo.text.{demo}") in markdown_text(page)
    assert len(page.dataframe[1].value) == len(formats.DEMO_FORMATS)


def test_the_comparison_follows_the_workspace():
    at = open_app("formats", {"ws_kind": "laplace", "ws_outliers": "8"})
    assert_ok(at)
    table = at.dataframe[2].value
    assert list(table[en("f.col.format")])[-1] == en("f.name.int8")
    other = open_app("formats", {"ws_kind": "uniform"})
    assert not other.dataframe[2].value.equals(table)


@pytest.mark.parametrize("query", [
    {"ws_kind": "constant", "ws_constant_value": "0"}, {"ws_rows": "1", "ws_cols": "1"},
    {"f_value": "-0"}, {"f_value": "1e-45"}, {"f_value": "nan"}, {"f_value": "1e400"},
], ids=["zeros", "one-value", "minus-zero", "tiny", "nan-link", "huge-link"])
def test_edge_values_render(query):
    assert_ok(open_app("formats", query))


def test_vietnamese():
    at = open_app("formats", {"lang": "vi"})
    assert_ok(at)
    assert at.title[0].value == catalogue("vi")["f.title"]


def test_stochastic_rounding_chart_follows_the_seed(page):
    def chart(at):
        return next(el for el in at.main if getattr(el, "key", None) == "f_chart_sr").proto.spec

    before = chart(page)
    widget(page, "f_seed").set_value(5).run()
    assert_ok(page)
    assert chart(page) != before


@pytest.mark.parametrize("fmt", formats.GRID_FORMATS)
def test_every_small_format_shows_all_its_codes(fmt):
    at = open_app("formats", {"f_grid": fmt})
    assert_ok(at)
    grid = next(el for el in at.main if getattr(el, "key", None) == "f_chart_grid")
    z = json.loads(grid.proto.spec)["data"][0]["text"]  # one label a cell
    assert len(z) * len(z[0]) == 1 << ql.format_info(fmt).bits


def test_bit_buttons_flip_bits_and_the_code_is_in_the_link(page):
    buttons = [b for b in page.button if (b.key or "").startswith("f_bit_fp16_")]
    assert len(buttons) == 16
    buttons[0].click().run()  # the sign bit of 1.0
    assert_ok(page)
    assert page.session_state["f_code"] == 0b1011110000000000
    assert page.query_params["f_code"] in (str(0b1011110000000000), [str(0b1011110000000000)])
    widget(page, "f_bits_fmt").set_value("bf16").run()
    assert_ok(page)
    assert page.session_state["f_code"] == ql.decompose(-1.0, "bf16").code


def test_a_code_too_wide_for_its_format_is_clamped_with_a_notice():
    at = open_app("formats", {"f_bits_fmt": "fp4_e2m1", "f_code": "99999"})
    assert_ok(at)
    assert at.session_state["f_code"] == 15
    assert any("f\\_code" in i.value for i in at.info)


def _chart(at, key: str) -> dict:
    return json.loads(next(el for el in at.main if getattr(el, "key", None) == key).proto.spec)


def test_the_editor_code_is_outlined_in_its_format_grid():
    at = open_app("formats", {"f_bits_fmt": "fp8_e4m3", "f_code": "72", "f_grid": "fp8_e4m3"})
    assert_ok(at)
    outline = _chart(at, "f_chart_grid")["layout"]["shapes"]
    assert len(outline) == 1 and (outline[0]["x0"], outline[0]["y0"]) == (8 - 0.5, 4 - 0.5)
    assert "**01001000** = 4" in markdown_text(at)
    # another format in the editor: nothing outlined, no line
    other = open_app("formats", {"f_bits_fmt": "fp16", "f_grid": "fp8_e4m3"})
    assert not _chart(other, "f_chart_grid")["layout"].get("shapes")
    assert "**" + "0" * 8 not in markdown_text(other)


def test_a_click_on_the_grid_picks_the_point_it_lands_on(monkeypatch):
    """The click callback reads Streamlit's selection state: the first point picked."""
    from ui import layout
    picked = []
    state = {"grid": {"selection": {"points": [{"point_index": 7, "curve_number": 1}]}}}
    monkeypatch.setattr(layout.st, "session_state", state)
    layout._picked("grid", picked.append)
    state["grid"] = {"selection": {"points": []}}  # a click that only clears the selection
    layout._picked("grid", picked.append)
    state.pop("grid")
    layout._picked("grid", picked.append)
    assert picked == [7]


@pytest.mark.parametrize("overflow", ql.OVERFLOW_MODES)
@pytest.mark.parametrize("fmt", formats.GRID_FORMATS)
def test_the_number_line_follows_format_and_overflow(fmt, overflow):
    at = open_app("formats", {"f_grid": fmt, "f_overflow": overflow})
    assert_ok(at)
    line = formats.number_line(fmt, overflow)
    data = _chart(at, "f_chart_line")["data"]
    marks = next(trace for trace in data if trace.get("mode") == "markers+text")
    assert len(marks["x"]) == line.values.size
    tails = [trace for trace in data if "NaN" in trace["name"] or "inf" in trace["name"]]
    assert len(tails) == (formats.overflow_kind(line) != "max")
    kind = formats.overflow_kind(line)
    summary = en(f"f.line.summary.{kind}").split("}")[1].split("{")[0]  # after {name}
    assert len(summary) > 8 and any(summary in c.value for c in at.caption)


def test_the_comparison_has_an_error_histogram(page):
    data = _chart(page, "f_chart_errors")["data"]
    names = [trace["name"] for trace in data]
    assert en("f.name.fp32") not in names and en("f.name.fp4_e2m1") in names
    assert len(page.dataframe[2].value.columns) == 8


@pytest.mark.parametrize("fmt, has_inf", [("fp8_e4m3", False), ("fp8_e5m2", True),
                                          ("fp4_e2m1", False)])
def test_the_grid_legend_lists_only_the_classes_the_format_has(fmt, has_inf):
    at = open_app("formats", {"f_grid": fmt})
    assert_ok(at)
    legend = _chart(at, "f_chart_grid")["data"][0]["colorbar"]["ticktext"]
    assert (en("f.kind.inf") in legend) == has_inf
    assert (en("f.kind.nan") in legend) == ql.format_info(fmt).has_nan
