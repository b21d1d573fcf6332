"""AppTest: the Granularity & outliers page: its charts, metrics and fixes table, every
control, the presets, the reset, the maths, hostile lesson links, degenerate workspace
tensors and the Vietnamese page."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from lessons import granularity
from lessons.granularity import FIXES, Settings
from tests.app.conftest import assert_ok, en, metric, notices, open_app, widget
from ui import i18n
from ui.i18n import catalogue
from views.granularity import controls
from views.granularity.controls import TABLE

CHARTS = ("g_chart_absmax", "g_chart_scales", "g_chart_row_error", "g_chart_column_error",
          "g_chart_fixes", "g_chart_llm", "g_chart_migration", "g_chart_alpha")


def chart_keys(at) -> list[str]:
    return [el.key for el in at.main if str(getattr(el, "key", None)).startswith("g_chart_")]


def table(at):
    """The fixes table (always the last dataframe: the codes table, if any, comes first)."""
    assert at.dataframe, "the fixes table is missing"
    return at.dataframe[-1].value


def sqnr(at) -> list[float]:
    return list(table(at)[en("g.col.sqnr")])


def codes(at):
    """The codes table of a tiny tensor (only drawn when it is small enough)."""
    assert len(at.dataframe) == 2, "no codes table"
    return at.dataframe[0].value


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def scales(n: int) -> str:
    return en(f"g.scales.{'one' if n == 1 else 'other'}", n=f"{n:,}")


def in_url(at, key: str, value) -> bool:
    code = TABLE[key].code(value)
    return at.query_params[key] in (code, [code])


def lesson_fixes(**settings) -> granularity.Fixes:
    return granularity.fixes(ql.generate("normal", (64, 256)), Settings(**settings).fixes())


@pytest.fixture(scope="module")
def default():
    """One default run, read (never changed) by the tests of the default page."""
    at = open_app("granularity")
    assert_ok(at)
    return at


@pytest.fixture
def page():
    at = open_app("granularity")
    assert_ok(at)
    return at


# --- the default page ----------------------------------------------------------------


def test_default_page_shows_every_part(default):
    assert default.title[0].value == en("g.title")
    assert chart_keys(default) == list(CHARTS)
    assert len(default.dataframe) == 1  # 16,384 values: no codes table
    assert list(table(default)[en("g.col.fix")]) == [en(f"g.fix.{name}") for name in FIXES]
    assert list(table(default)[en("g.col.how")]) == [en(f"g.how.{name}") for name in FIXES]
    assert default.expander and not default.latex  # the maths stay closed
    assert not notices(default)
    assert widget(default, "g_preset").value == controls.NO_PRESET
    assert not [m for m in default.markdown if m.value.startswith("**Seed")]


def test_default_fixes_table_holds_the_lessons_numbers(default):
    fixed = lesson_fixes()
    assert [f.name for f in fixed.fixes] == list(FIXES)
    assert sqnr(default) == pytest.approx([f.sqnr_db for f in fixed.fixes], rel=1e-9)
    assert list(table(default)[en("g.col.rel")]) == pytest.approx(
        [100 * f.rel_error for f in fixed.fixes], rel=1e-9)
    assert list(table(default)[en("g.col.cosine")]) == pytest.approx(
        [f.cosine for f in fixed.fixes], rel=1e-9)
    # the module docstring's promise: every fix beats the baseline at the defaults
    assert all(s > sqnr(default)[0] for s in sqnr(default)[1:])
    assert en("g.fixes.shape", tokens=64, features=256, out=128, bits=8) in captions(default)


def test_default_metrics(default):
    assert metric(default, "g.m.collapsed_one") == "54.1%"
    assert metric(default, "g.m.scales") == scales(256)  # per column by default
    view = granularity.granular(ql.generate("normal", (64, 256)), Settings().view())
    assert metric(default, "g.m.scale_one") == "0.501"
    assert view.scale_tensor == pytest.approx(0.501, abs=5e-4)
    assert view.collapsed_tensor == pytest.approx(0.541, abs=5e-4)


def test_default_llm_int8_sends_the_four_outlier_channels_to_float(default):
    fixed = lesson_fixes()
    assert fixed.llm_columns.size == 4
    result = [m.value for m in default.markdown
              if m.value.startswith(en("g.llm.result", count=en("g.columns.other", n="4"),
                                       columns="", share="", sqnr="").split("(")[0])]
    assert len(result) == 1
    assert ", ".join(str(int(c)) for c in fixed.llm_columns) in result[0]


# --- every control changes the numbers -----------------------------------------------


def test_bits_change_the_fixes_table(page):
    before = sqnr(page)
    widget(page, "g_bits").set_value(4).run()
    assert_ok(page)
    assert page.session_state["g_bits"] == 4
    after = sqnr(page)
    assert after != before
    assert after == pytest.approx([f.sqnr_db for f in lesson_fixes(bits=4).fixes], rel=1e-9)
    assert all(a < b for a, b in zip(after, before, strict=True))  # fewer bits, more noise
    assert en("g.fixes.shape", tokens=64, features=256, out=128, bits=4) in captions(page)
    assert in_url(page, "g_bits", 4)


def test_alpha_changes_only_the_smoothquant_row(page):
    before = table(page).copy()
    widget(page, "g_alpha").set_value(0.8).run()
    assert_ok(page)
    after = table(page)
    changed = [row for row in range(len(after)) if not after.iloc[row].equals(before.iloc[row])]
    assert changed == [FIXES.index("smooth_quant")]
    assert sqnr(page)[-1] == pytest.approx(lesson_fixes(alpha=0.8).fix("smooth_quant").sqnr_db,
                                           rel=1e-9)
    assert in_url(page, "g_alpha", 0.8)


def test_a_threshold_above_every_value_sends_no_column_to_float(page):
    widget(page, "g_threshold").set_value(100.0).run()
    assert_ok(page)
    fixed = lesson_fixes(threshold=100.0)
    assert fixed.llm_columns.size == 0
    expected = en("g.llm.result", count=en("g.columns.other", n="0"),
                  columns=en("g.llm.no_columns"), share="0%",
                  sqnr=f"{fixed.fix('llm_int8').sqnr_db:.3g} dB")
    assert expected in [m.value for m in page.markdown]
    # with no column in float LLM.int8() is its vector-wise int path alone
    assert sqnr(page)[FIXES.index("llm_int8")] == pytest.approx(
        fixed.fix("llm_int8").sqnr_db, rel=1e-9)
    assert sqnr(page)[FIXES.index("llm_int8")] < 40


@pytest.mark.parametrize("gran,count", [
    ("tensor", 1), ("row", 64), ("column", 256), ("group", 64 * 256 // 16),
])
def test_each_granularity_stores_its_scales(gran, count):
    at = open_app("granularity", {"g_gran": gran} if gran != "column" else {})
    assert_ok(at)
    assert metric(at, "g.m.scales") == scales(count)
    assert widget(at, "g_group").disabled == (gran != "group")
    name = en(f"g.gran.{gran}")
    assert [m.label for m in at.metric if m.label == en("g.m.sqnr", name=name)]


def test_granularity_control_changes_the_scales_and_the_group_size(page):
    assert metric(page, "g.m.scales") == scales(256)
    assert widget(page, "g_group").disabled
    widget(page, "g_gran").set_value("tensor").run()
    assert_ok(page)
    assert metric(page, "g.m.scales") == scales(1)
    widget(page, "g_gran").set_value("group").run()
    assert_ok(page)
    assert not widget(page, "g_group").disabled
    assert metric(page, "g.m.scales") == scales(64 * 16)
    widget(page, "g_group").set_value(64).run()
    assert_ok(page)
    assert metric(page, "g.m.scales") == scales(64 * 4)
    assert in_url(page, "g_gran", "group") and in_url(page, "g_group", 64)


def test_percentile_is_only_enabled_with_the_percentile_clip(page):
    assert widget(page, "g_pct").disabled
    before = table(page).copy()
    widget(page, "g_clip").set_value("percentile").run()
    assert_ok(page)
    assert not widget(page, "g_pct").disabled
    clipping = FIXES.index("clipping")
    assert sqnr(page)[clipping] != before[en("g.col.sqnr")].iloc[clipping]
    widget(page, "g_pct").set_value(90.0).run()
    assert_ok(page)
    fixed = lesson_fixes(clip="percentile", percentile=90.0)
    assert sqnr(page)[clipping] == pytest.approx(fixed.fix("clipping").sqnr_db, rel=1e-9)
    assert en("g.clip.percentile") in markdown_text(page)
    widget(page, "g_clip").set_value("entropy").run()
    assert_ok(page)
    assert widget(page, "g_pct").disabled


def test_no_outliers_disables_how_many_and_how_large(page):
    assert not widget(page, "g_count").disabled and not widget(page, "g_magnitude").disabled
    before = sqnr(page)
    widget(page, "g_outliers").set_value("none").run()
    assert_ok(page)
    assert widget(page, "g_count").disabled and widget(page, "g_magnitude").disabled
    assert sqnr(page) != before
    assert sqnr(page) == pytest.approx([f.sqnr_db for f in lesson_fixes(outliers="none").fixes],
                                       rel=1e-9)
    assert metric(page, "g.m.collapsed_one") != "54.1%"
    widget(page, "g_outliers").set_value("isolated").run()
    assert_ok(page)
    assert not widget(page, "g_count").disabled and not widget(page, "g_magnitude").disabled
    widget(page, "g_count").set_value(2).run()
    widget(page, "g_magnitude").set_value(50.0).run()
    assert_ok(page)
    fixed = lesson_fixes(outliers="isolated", count=2, magnitude=50.0)
    assert sqnr(page) == pytest.approx([f.sqnr_db for f in fixed.fixes], rel=1e-9)


def test_isolated_outliers_sharing_a_column_count_it_once():
    """64 isolated outliers in 256 columns: some share a column, which holds one injected
    column, not two (the summary used to add up the outliers instead)."""
    at = open_app("granularity", {"g_outliers": "isolated", "g_count": "64"})
    assert_ok(at)
    built = granularity.activations(ql.generate("normal", (64, 256)),
                                    Settings(outliers="isolated", count=64).build())
    distinct = np.unique(built.columns).size
    assert built.columns.size == 64 and distinct < 64
    assert en("g.problem.summary", columns=256,
              injected=en("g.columns.other", n=f"{distinct:,}")) in captions(at)


def test_output_features_change_the_shape(page):
    widget(page, "g_out").set_value(512).run()
    assert_ok(page)
    assert en("g.fixes.shape", tokens=64, features=256, out=512, bits=8) in captions(page)
    assert not [c for c in captions(page) if c.startswith(en("g.fixes.sampled", measured=0,
                                                                 out=0)[:10])]
    assert sqnr(page) == pytest.approx([f.sqnr_db for f in lesson_fixes(out_features=512).fixes],
                                       rel=1e-9)


# --- presets and reset ---------------------------------------------------------------


def check_preset(at, name: str) -> None:
    assert_ok(at)
    assert not notices(at)
    assert en(f"g.preset.note.{name}") in [m.value for m in at.markdown]
    for key, value in controls.PRESETS[name].items():
        assert at.session_state[key] == value, key
        if key.startswith("g_"):
            assert widget(at, key).value == value, key
    assert chart_keys(at) == list(CHARTS)


@pytest.mark.parametrize("name", list(controls.PRESETS))
def test_every_preset_from_a_link(name):
    at = open_app("granularity", {"g_preset": name})
    check_preset(at, name)


@pytest.mark.parametrize("name", list(controls.PRESETS))
def test_every_preset_from_the_selectbox(page, name):
    widget(page, "g_preset").set_value(name).run()
    check_preset(page, name)
    assert page.session_state["g_preset"] == name


def test_seed002_lists_the_collapsed_codes(page):
    widget(page, "g_preset").set_value("seed002").run()
    assert_ok(page)
    df = codes(page)
    assert list(df[en("g.col.q_one")]) == [0, 1, 0, -1, 0, 1, -127, 0]
    assert list(df[en("g.col.x")]) == ["0.3", "0.6", "-0.3", "-0.5", "0", "0.7", "-99", "0.2"]
    # groups of 4: the first half gets its own scale and uses the whole range
    chosen = list(df[en("g.col.q_chosen", name=en("g.gran.group"))])
    assert chosen[1] == 127 and chosen[6] == -127
    assert metric(page, "g.m.scales") == scales(2)


def test_groups_gives_group_b_its_own_scale(page):
    widget(page, "g_preset").set_value("groups").run()
    assert_ok(page)
    df = codes(page)
    per_row = list(df[en("g.col.q_chosen", name=en("g.gran.row"))])
    one = list(df[en("g.col.q_one")])
    assert per_row[4:] == [0, 7, 7, 0]  # group B, back exactly
    assert one[4:] == [0, 0, 0, 0]  # group B with the shared scale: all zeros
    assert per_row[:4] == one[:4] == [7, 2, 5, 7]  # group A sets the shared scale
    assert metric(page, "g.m.scales") == scales(2)


def test_reset_restores_every_control(page):
    widget(page, "g_preset").set_value("isolated").run()
    widget(page, "g_threshold").set_value(20.0).run()
    widget(page, "g_alpha").set_value(0.9).run()
    widget(page, "g_out").set_value(1024).run()
    assert_ok(page)
    changed = {key: page.session_state[key] for key in ("g_bits", "g_gran", "g_clip",
                                                       "g_outliers", "g_threshold")}
    assert all(changed[key] != TABLE[key].default for key in changed), changed
    next(b for b in page.button if b.label == en("g.reset")).click().run()
    assert_ok(page)
    for control in TABLE.controls:
        assert page.session_state[control.key] == control.default, control.key
        shown = widget(page, control.key)
        if shown is not None:  # the maths expander has no value to read
            assert shown.value == control.default, control.key
    assert not any(key.startswith("g_") for key in page.query_params)
    assert page.session_state["ws_kind"] == "normal"  # the workspace keeps its tensor
    assert not [m for m in page.markdown if m.value == en("g.preset.note.isolated")]


# --- the maths -----------------------------------------------------------------------


def test_the_maths_open_from_a_link_with_the_live_numbers():
    at = open_app("granularity", {"g_maths": "true"})
    assert_ok(at)
    x = ql.generate("normal", (64, 256))
    expected = granularity.latex(granularity.granular(x, Settings().view()),
                                 lesson_fixes(), 8)
    assert len(at.latex) == len(expected) == 6
    for shown, line in zip(at.latex, expected, strict=True):
        assert line in shown.value
    assert r"\frac{63.63}{127} = 0.501" in at.latex[0].value
    assert en("g.maths.intro") in markdown_text(at)
    assert any(i.value == en("g.maths.note") for i in at.info)
    assert len(at.code) == 1 and "llm_int8_matmul" in at.code[0].value
    assert at.code[0].value == granularity.CODE


# --- hostile lesson links ------------------------------------------------------------


HOSTILE = {"g_bits": ("99", 8), "g_alpha": ("-3", 0.0), "g_threshold": ("nan", 6.0),
           "g_out": ("7", 16), "g_gran": ("<script>", "column"), "g_pct": ("1e999", 99.999)}


@pytest.mark.parametrize("key", list(HOSTILE))
def test_a_hostile_link_value_is_clamped_with_a_notice(key):
    text, used = HOSTILE[key]
    at = open_app("granularity", {key: text})
    assert_ok(at)
    assert widget(at, key).value == used
    assert at.session_state[key] == used
    said = notices(at)
    assert len(said) == 1 and key.replace("_", "\\_") in said[0]
    assert "<script>" not in said[0]
    assert chart_keys(at) == list(CHARTS)


def test_every_hostile_value_at_once():
    at = open_app("granularity", {key: text for key, (text, _) in HOSTILE.items()})
    assert_ok(at)
    assert len(notices(at)) == len(HOSTILE)
    for key, (_, used) in HOSTILE.items():
        assert widget(at, key).value == used, key
    fixed = lesson_fixes(alpha=0.0, out_features=16, percentile=99.999)
    assert sqnr(at) == pytest.approx([f.sqnr_db for f in fixed.fixes], rel=1e-9)


# --- degenerate workspace tensors ----------------------------------------------------


@pytest.mark.parametrize("query", [
    {"ws_kind": "constant", "ws_constant_value": "0"},
    {"ws_kind": "constant", "ws_constant_value": "0", "g_outliers": "isolated",
     "g_gran": "group"},
    {"ws_kind": "constant", "ws_constant_value": "3", "g_gran": "tensor"},
    {"ws_kind": "constant", "ws_constant_value": "-2", "g_outliers": "none", "g_gran": "row"},
    {"ws_rows": "1", "ws_cols": "256"},
    {"ws_rows": "1", "ws_cols": "256", "g_gran": "row", "g_outliers": "isolated"},
    {"ws_rows": "1", "ws_cols": "1", "g_gran": "group", "g_group": "128"},
    {"ws_rows": "64", "ws_cols": "1", "g_clip": "entropy"},
], ids=["zeros", "zeros-isolated-group", "constant", "negative-constant-none", "vector",
        "vector-row-isolated", "one-value", "one-column"])
def test_degenerate_workspace_tensors_render(query):
    at = open_app("granularity", query)
    assert_ok(at)
    assert not notices(at)
    assert chart_keys(at) == list(CHARTS)
    assert list(table(at)[en("g.col.fix")]) == [en(f"g.fix.{name}") for name in FIXES]
    assert not [w.value for w in at.warning]


def test_all_zeros_are_exact_everywhere():
    at = open_app("granularity", {"ws_kind": "constant", "ws_constant_value": "0",
                                  "g_outliers": "none"})
    assert_ok(at)
    assert metric(at, "g.m.sqnr_one") == "∞ dB"
    assert metric(at, "g.m.collapsed_one") == "100%"
    assert list(table(at)[en("g.col.rel")]) == [0.0] * len(FIXES)


def test_one_value_lists_its_code():
    at = open_app("granularity", {"ws_rows": "1", "ws_cols": "1", "g_gran": "row"})
    assert_ok(at)
    assert metric(at, "g.m.scales") == scales(1)
    df = codes(at)
    assert len(df) == 1
    assert list(df[en("g.col.q_one")]) == [127]  # a lone value sets its own scale


def test_a_large_tensor_with_many_output_features():
    at = open_app("granularity", {"ws_rows": "256", "ws_cols": "4096", "g_out": "4096"})
    assert_ok(at)
    assert not notices(at)
    assert chart_keys(at) == list(CHARTS)
    assert metric(at, "g.m.scales") == scales(4096)
    said = captions(at)
    assert en("g.fixes.shape", tokens=256, features=4096, out=4096, bits=8) in said
    assert en("g.heat.cut", rows=1, columns=granularity.HEAT_COLUMNS, all_rows=1,
              all_columns=4096) in said
    assert en("g.curve.sampled", rows=granularity.CURVE_ROWS,
              out=granularity.CURVE_OUT) in said
    assert en("g.pooled", bucket=4096 // granularity.MAX_POINTS) in said
    measured = min(4096, granularity.MEASURE_OUT)
    assert (en("g.fixes.sampled", measured=measured, out=4096) in said) == (measured < 4096)


# --- the page in Vietnamese ----------------------------------------------------------


def test_vietnamese_after_a_switch(page, outside_language):
    vi = catalogue("vi")
    before = sqnr(page)
    widget(page, i18n.LANG_KEY).set_value("vi").run()
    outside_language("vi")
    assert_ok(page)
    assert page.title[0].value == vi["g.title"] != en("g.title")
    assert widget(page, "g_bits", "vi") is not None and widget(page, "g_bits") is None
    assert list(table(page)[vi["g.col.fix"]]) == [vi[f"g.fix.{name}"] for name in FIXES]
    assert list(table(page)[vi["g.col.sqnr"]]) == pytest.approx(before, rel=1e-12)
    assert chart_keys(page) == list(CHARTS)
    widget(page, "g_gran", "vi").set_value("tensor").run()
    assert_ok(page)
    assert page.session_state["g_gran"] == "tensor"


def test_vietnamese_from_a_link():
    vi = catalogue("vi")
    at = open_app("granularity", {"lang": "vi", "g_maths": "true", "g_preset": "seed002"})
    assert_ok(at)
    assert at.title[0].value == vi["g.title"]
    assert vi["g.preset.note.seed002"] in [m.value for m in at.markdown]
    assert len(at.latex) == 6


def test_one_column_is_singular():
    """One isolated outlier: "1 column", never "1 columns" (English has a singular)."""
    at = open_app("granularity", {"g_outliers": "isolated", "g_count": "1"})
    assert_ok(at)
    one = en("g.columns.one", n="1")
    assert any(one in c and "1 columns" not in c for c in captions(at))
    assert any(m.value.startswith(en("g.llm.result", count=one, columns="", share="",
                                     sqnr="").split("(")[0]) for m in at.markdown)
