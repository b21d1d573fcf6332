"""AppTest: the Calibration page, its controls, method toggles, seed presets, the batch
stepper, tiny tensors and the Vietnamese page."""

from __future__ import annotations

import numpy as np
import pytest

import quantlib as ql
from lessons import calibration
from lessons.text import num
from tests.app.conftest import assert_ok, en, open_app, widget
from ui import fmt
from ui.i18n import catalogue
from views.calibration import controls
from views.calibration.controls import TABLE

PRESETS = [name for name in TABLE["c_preset"].options if name != controls.NO_PRESET]


def chart_keys(at) -> list[str]:
    return [el.key for el in at.main
            if getattr(el, "type", "") == "plotly_chart" or (
                isinstance(getattr(el, "key", None), str) and el.key.startswith("c_chart_"))]


def batch_charts(at) -> list[str]:
    return [k for k in chart_keys(at) if k.startswith("c_chart_batch_")]


def table(at):
    """The methods table (the first dataframe) as a pandas DataFrame."""
    assert at.dataframe, "the methods table is missing"
    return at.dataframe[0].value


def methods_shown(at) -> list[str]:
    return list(table(at)[en("c.col.method")])


def button(at, key: str):
    label = en(key)
    return next(b for b in at.button if b.label == label)


def step(at) -> int:
    """How many batches have been fed (the control's canonical value)."""
    try:
        return at.session_state["c_step"]
    except KeyError:  # never set: still its default
        return TABLE["c_step"].default


@pytest.fixture
def page():
    at = open_app("calibration")
    assert_ok(at)
    return at


# --- the default page ----------------------------------------------------------------


def test_default_page_shows_every_part(page):
    assert page.title[0].value == en("c.title")
    assert len(page.dataframe) == 1
    assert methods_shown(page) == [en(f"c.method.{m}") for m in ql.METHODS]
    keys = chart_keys(page)
    assert {"c_chart_hist", "c_chart_curve", "c_chart_kl", "c_chart_pq"} <= set(keys)
    assert batch_charts(page) == [f"c_chart_batch_{calibration.BatchSettings().batches}"]
    assert len(keys) == 5
    assert page.expander, "the maths expander is missing"
    assert not page.latex, "a closed expander's content is not computed"
    assert any(c.value.startswith(en("c.table.best", method="", mse="")[:10])
               for c in page.caption)
    assert not page.info  # neither "no method" nor "constant" nor a link notice


def test_default_table_holds_the_report_numbers(page):
    r = calibration.report(ql.generate("normal", (64, 256)))
    df = table(page)
    assert list(df[en("c.col.hi")]) == pytest.approx([m.hi for m in r.results])
    assert list(df[en("c.col.mse")]) == pytest.approx([m.mse for m in r.results])
    assert list(df[en("c.col.zero_point")]) == [0, 0, 0, 0]


def test_the_maths_open_from_a_link_with_the_live_numbers():
    at = open_app("calibration", {"c_maths": "true"})
    assert_ok(at)
    assert len(at.latex) == 7
    hi = calibration.report(ql.generate("normal", (64, 256))).result("minmax").hi
    assert num(hi, 6) in at.latex[0].value
    assert r"\text{min-max}" in at.latex[0].value  # the translated word
    assert any(i.value == en("c.maths.tensorrt") for i in at.info)


# --- every control changes the numbers -----------------------------------------------


@pytest.mark.parametrize("control", [
    ("c_bits", 4), ("c_mode", "affine"), ("c_pct", 99.0), ("c_bins", 512),
], ids=lambda c: f"{c[0]}={c[1]}")
def test_each_control_changes_the_numbers(page, control):
    key, value = control
    before = table(page).copy()
    widget(page, key).set_value(value).run()
    assert_ok(page)
    assert page.session_state[key] == value
    after = table(page)
    assert after.shape == before.shape
    assert not after.equals(before)
    assert page.query_params[key] in ([TABLE[key].code(value)], TABLE[key].code(value))


def test_percentile_changes_only_the_percentile_row(page):
    before = table(page).copy()
    widget(page, "c_pct").set_value(99.0).run()
    after = table(page)
    changed = [row for row in range(len(after)) if not after.iloc[row].equals(before.iloc[row])]
    assert changed == [list(ql.METHODS).index("percentile")]


def test_log_toggle_redraws_the_histogram(page):
    widget(page, "c_log").set_value(False).run()
    assert_ok(page)
    assert "c_chart_hist" in chart_keys(page)
    assert page.query_params["c_log"] in (["false"], "false")


def test_reset_restores_defaults(page):
    widget(page, "c_bits").set_value(3).run()
    widget(page, "c_use_mse").set_value(False).run()
    button(page, "c.reset").click().run()
    assert_ok(page)
    assert widget(page, "c_bits").value == TABLE["c_bits"].default
    assert widget(page, "c_use_mse").value is True
    assert len(table(page)) == len(ql.METHODS)


# --- choosing methods ----------------------------------------------------------------


def test_unticking_entropy_removes_its_row_and_the_kl_charts(page):
    widget(page, "c_use_entropy").set_value(False).run()
    assert_ok(page)
    assert methods_shown(page) == [en(f"c.method.{m}") for m in ql.METHODS if m != "entropy"]
    keys = chart_keys(page)
    assert "c_chart_kl" not in keys and "c_chart_pq" not in keys
    assert {"c_chart_hist", "c_chart_curve"} <= set(keys)


def test_percentile_and_bins_are_disabled_without_their_methods(page):
    widget(page, "c_use_percentile").set_value(False).run()
    assert widget(page, "c_pct").disabled and not widget(page, "c_bins").disabled
    widget(page, "c_use_entropy").set_value(False).run()
    widget(page, "c_use_mse").set_value(False).run()
    assert_ok(page)
    assert widget(page, "c_bins").disabled
    assert methods_shown(page) == [en("c.method.minmax")]


def test_no_method_chosen(page):
    for method in ql.METHODS:
        widget(page, controls.METHOD_KEYS[method]).set_value(False).run()
    assert_ok(page)
    assert [i.value for i in page.info] == [en("c.none_chosen")]
    assert not page.dataframe
    keys = chart_keys(page)
    assert "c_chart_kl" not in keys and "c_chart_hist" in keys and batch_charts(page)


# --- the worked examples -------------------------------------------------------------


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_renders(page, name):
    widget(page, "c_preset").set_value(name).run()
    assert_ok(page)
    assert page.session_state["c_preset"] == name
    for key, value in TABLE.presets[name].items():
        assert page.session_state[key] == value, key
    assert page.dataframe and batch_charts(page)
    assert not [w.value for w in page.warning]
    assert any(m.value == en(f"c.preset.note.{name}") for m in page.markdown)


def test_seed002_outlier_reproduces_the_slides(page):
    widget(page, "c_preset").set_value("seed002_outlier").run()
    assert_ok(page)
    assert page.session_state["ws_preset"] == "seed002_outlier"
    assert widget(page, "c_pct").value == 70.0
    successes = [s.value for s in page.success]
    assert len(successes) == 2
    assert "[0, 1, 0, -1, 0, 1, -127, 0]" in successes[0]
    assert en("c.method.minmax") in successes[0]
    assert "[65, 127, -65, -108, 0, 127, -128, 43]" in successes[1]
    assert en("c.method.percentile") in successes[1]
    # The small tensor's codes: x and one column per chosen method, one row per value.
    assert len(page.dataframe) == 2
    codes = page.dataframe[1].value
    assert list(codes.columns) == [en("c.codes.x"), *(en(f"c.method.{m}") for m in ql.METHODS)]
    assert list(codes[en("c.method.percentile")]) == [65, 127, -65, -108, 0, 127, -128, 43]
    assert list(codes[en("c.codes.x")]) == pytest.approx([0.3, 0.6, -0.3, -0.5, 0.0, 0.7,
                                                          -99.0, 0.2])


def test_seed002_mismatch_is_a_warning(page):
    widget(page, "c_preset").set_value("seed002_outlier").run()
    widget(page, "c_pct").set_value(99.0).run()
    assert_ok(page)
    assert len(page.success) == 1  # min-max still matches
    assert len(page.warning) == 1
    assert "[65, 127, -65, -108, 0, 127, -128, 43]" in page.warning[0].value


def test_seed003_percentile_shows_the_range(page):
    widget(page, "c_preset").set_value("seed003_percentile").run()
    assert_ok(page)
    assert widget(page, "c_mode").value == "affine" and widget(page, "c_pct").value == 99.0
    assert len(page.success) == 1
    assert page.success[0].value == en(
        "c.seed_range", method=en("c.method.percentile"), seed="003", lo="-0.2", hi="0.3",
        got_lo="-0.2", got_hi="0.3")
    assert len(page.dataframe) == 1  # 101 values: no codes table


def test_laplace_outliers_preset(page):
    widget(page, "c_preset").set_value(controls.OUTLIER_PRESET).run()
    assert_ok(page)
    assert page.session_state["ws_outliers"] == 8
    assert page.session_state["ws_kind"] == "laplace"
    assert widget(page, "c_bits").value == 4
    assert widget(page, "c_pct").value == 99.9
    df = table(page)
    mse = dict(zip(df[en("c.col.method")], df[en("c.col.mse")], strict=True))
    # At 4 bits min-max's range is stretched to the outliers and costs the most.
    assert max(mse, key=mse.get) == en("c.method.minmax")


def test_preset_lesson_link():
    at = open_app("calibration", {"c_preset": "seed002_outlier"})
    assert_ok(at)
    assert len(at.success) == 2


def test_a_seed_preset_with_another_workspace_tensor_says_so(page):
    widget(page, "c_preset").set_value("seed002_outlier").run()
    widget(page, "ws_preset").set_value("seed003_kl").run()
    assert_ok(page)
    assert en("c.seed_other_tensor") in [i.value for i in page.info]
    assert not page.success


# --- observers, batch by batch -------------------------------------------------------


def test_next_batch_steps_and_wraps(page):
    widget(page, "c_step").set_value(1).run()
    assert step(page) == 1 and batch_charts(page) == ["c_chart_batch_1"]
    button(page, "c.batch.next").click().run()
    assert_ok(page)
    assert step(page) == 2
    assert widget(page, "c_step").value == 2
    assert batch_charts(page) == ["c_chart_batch_2"]
    count = calibration.BatchSettings().batches
    widget(page, "c_step").set_value(count).run()
    button(page, "c.batch.next").click().run()
    assert_ok(page)
    assert step(page) == 1


def test_play_all_ends_at_the_last_batch(page):
    widget(page, "c_step").set_value(2).run()
    button(page, "c.batch.play").click().run()
    assert_ok(page)
    count = calibration.BatchSettings().batches
    assert step(page) == count
    assert batch_charts(page) == [f"c_chart_batch_{count}"]
    # The slider and the lesson link show the end of the play as well.
    assert widget(page, "c_step").value == count
    assert "c_step" not in page.query_params  # back at its default


def test_fewer_batches_clamp_the_step(page):
    assert step(page) == calibration.BatchSettings().batches
    widget(page, "c_batches").set_value(4).run()
    assert_ok(page)
    assert step(page) == 4
    assert widget(page, "c_step").max == 4
    assert batch_charts(page) == ["c_chart_batch_4"]
    widget(page, "c_avg").set_value(1.0).run()
    assert_ok(page)


# --- tiny tensors --------------------------------------------------------------------


@pytest.mark.parametrize(("query", "values"), [
    ({"c_preset": "seed003_kl"}, 4),
    ({"ws_rows": "1", "ws_cols": "3"}, 3),
    ({"ws_rows": "1", "ws_cols": "2"}, 2),
    ({"ws_rows": "1", "ws_cols": "1"}, 1),
], ids=["seed003_kl", "3-values", "2-values", "1-value"])
def test_tiny_tensors_render(query, values):
    at = open_app("calibration", query)
    assert_ok(at)
    assert at.dataframe, "the methods table is missing"
    assert len(at.dataframe) == 2  # and the codes of every value
    assert len(at.dataframe[1].value) == values
    drawn = widget(at, "c_batches")
    # A slider needs two different ends: with two values or fewer there is no choice.
    assert (drawn is None) == (values <= 2)
    if drawn is not None:
        assert drawn.max == values
    assert len(batch_charts(at)) == 1
    button(at, "c.batch.next").click().run()
    assert_ok(at)
    assert 1 <= step(at) <= max(values, 2)
    if values == 1:
        value = float(ql.generate("normal", (1, 1)).reshape(-1)[0])
        assert [i.value for i in at.info] == [en("c.constant", value=fmt.num(value))]


def test_seed003_kl_keeps_five_on_the_page():
    at = open_app("calibration", {"c_preset": "seed003_kl"})
    assert_ok(at)
    df = table(at)
    entropy = df[df[en("c.col.method")] == en("c.method.entropy")]
    assert float(entropy[en("c.col.hi")].iloc[0]) == pytest.approx(5.0)
    assert float(entropy[en("c.col.lo")].iloc[0]) == 0.0
    assert {"c_chart_kl", "c_chart_pq"} <= set(chart_keys(at))


def test_one_value_tensor_offers_one_batch_only():
    at = open_app("calibration", {"ws_rows": "1", "ws_cols": "1"})
    assert_ok(at)
    assert widget(at, "c_step") is None  # one batch: nothing to step through
    captions = [c.value for c in at.caption]
    assert any(c.startswith(en("c.batch.summary", k=1, count=1, values="1 value", lo="x",
                               hi="x", mlo="x", mhi="x").split(" (")[0]) for c in captions)


def test_all_zero_tensor():
    at = open_app("calibration", {"ws_kind": "constant", "ws_constant_value": "0"})
    assert_ok(at)
    infos = [i.value for i in at.info]
    assert en("c.kl.zero") in infos
    assert en("c.constant", value="0") in infos
    assert "c_chart_kl" not in chart_keys(at)
    assert len(table(at)) == len(ql.METHODS)


def test_constant_negative_tensor_affine_says_there_is_no_spread():
    at = open_app("calibration", {"ws_kind": "constant", "ws_constant_value": "-3",
                                  "c_mode": "affine", "c_bits": "4"})
    assert_ok(at)
    assert en("c.constant", value="-3") in [i.value for i in at.info]


# --- the page in Vietnamese ----------------------------------------------------------


def test_vietnamese_page():
    vi = catalogue("vi")
    at = open_app("calibration", {"lang": "vi", "c_maths": "true"})
    assert_ok(at)
    assert at.title[0].value == vi["c.title"]
    assert widget(at, "c_bits", "vi") is not None and widget(at, "c_bits") is None
    assert list(table(at)[vi["c.col.method"]]) == [vi[f"c.method.{m}"] for m in ql.METHODS]
    assert any(vi["c.maths.word.minmax"] in line.value for line in at.latex)
    assert len(batch_charts(at)) == 1


def test_huge_and_tiny_values_render():
    for value in ("1e18", "1e-30"):
        at = open_app("calibration", {"ws_kind": "constant", "ws_constant_value": value})
        assert_ok(at)
        assert np.isfinite(list(table(at)[en("c.col.scale")])).all()
