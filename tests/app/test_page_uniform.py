"""AppTest: the Uniform quantization page, its controls, presets and lesson links."""

from __future__ import annotations

import pytest

import quantlib as ql
from tests.app.conftest import assert_ok, en, metric, open_app, widget
from views.uniform import controls


def sqnr(at) -> float:
    return float(metric(at, "u.metric.sqnr").split()[0])


def scale_shown(at) -> str:
    return [m.value for m in at.metric if m.label.startswith(en("u.metric.scale"))][0]


def test_default_page_shows_every_part(uniform):
    assert uniform.title[0].value == en("u.title")
    keys = {"u_chart_hist", "u_chart_stair", "u_chart_err", "u_chart_heat"}
    charts = [el for el in uniform.main if getattr(el, "type", "") == "plotly_chart"]
    assert len(charts) == len(keys)
    assert uniform.dataframe, "the step-by-step table is missing"
    assert uniform.expander, "the maths expander is missing"
    assert not uniform.latex, "a closed expander's content is not computed"


def test_the_maths_open_from_a_link_with_the_live_numbers():
    at = open_app("uniform", {"u_maths": "true"})
    assert_ok(at)
    assert len(at.latex) >= 4
    assert len(at.code) == 3  # quantlib, numpy, PyTorch
    assert "0.509198" in at.latex[0].value  # the default tensor's scale, to 6 digits


def test_more_bits_raise_sqnr(uniform):
    before = sqnr(uniform)
    widget(uniform, "u_bits").set_value(8).run()
    assert_ok(uniform)
    # About 6 dB per bit for a well-spread tensor: 4 extra bits give well over 18 dB.
    assert sqnr(uniform) - before > 18


@pytest.mark.parametrize("control", [
    ("u_mode", "scale"), ("u_sign", "unsigned"), ("u_range", "percentile"),
    ("u_round", "floor"), ("u_gran", "channel"), ("u_bits", 3), ("u_narrow", True),
], ids=lambda c: f"{c[0]}={c[1]}")
def test_each_control_changes_the_numbers(uniform, control):
    key, value = control

    def numbers():
        return scale_shown(uniform), metric(uniform, "u.metric.zero"), metric(
            uniform, "u.metric.mse"), metric(uniform, "u.metric.levels")

    before = numbers()
    widget(uniform, key).set_value(value).run()
    assert_ok(uniform)
    assert numbers() != before


def test_log_toggle_and_table_rows_redraw_their_blocks(uniform):
    rows = widget(uniform, "u_rows")
    rows.set_value(3).run()
    assert_ok(uniform)
    assert len(uniform.dataframe[0].value) == 3
    widget(uniform, "u_log").set_value(True).run()
    assert_ok(uniform)
    hist = next(el for el in uniform.main if getattr(el, "key", None) == "u_chart_hist")
    assert '"type":"log"' in hist.proto.spec


@pytest.mark.parametrize("name", list(ql.SEED_EXAMPLES), ids=list(ql.SEED_EXAMPLES))
def test_every_seed_preset_renders_and_reproduces_the_seed(uniform, name):
    widget(uniform, "u_preset").set_value(name).run()
    assert_ok(uniform)
    example = ql.SEED_EXAMPLES[name]
    assert uniform.session_state["ws_source"] == "preset"
    assert uniform.session_state["ws_preset"] == example.tensor_name
    if example.expected_q is not None:
        assert [s.value for s in uniform.success], "no confirmation that the seed matches"
        assert str(list(example.expected_q)) in uniform.success[0].value


def test_seed_003_rounding_modes_differ(uniform):
    widget(uniform, "u_preset").set_value("seed003_affine_half_away").run()
    assert "[0, 63, 106, 149, 255]" in uniform.success[0].value
    widget(uniform, "u_round").set_value("half_even").run()
    assert_ok(uniform)
    assert "[0, 64, 106, 148, 255]" in uniform.warning[0].value


def test_choosing_no_example_keeps_the_settings(uniform):
    widget(uniform, "u_bits").set_value(6).run()
    widget(uniform, "u_preset").set_value(controls.NO_PRESET).run()
    assert widget(uniform, "u_bits").value == 6


@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_focus_picks_another_channel_or_group(uniform, granularity):
    widget(uniform, "u_gran").set_value(granularity).run()
    first = scale_shown(uniform)
    widget(uniform, "u_focus").set_value(5).run()
    assert_ok(uniform)
    assert scale_shown(uniform) != first


@pytest.mark.parametrize("rounding", list(ql.ROUNDING_MODES))
def test_every_rounding_mode_renders(uniform, rounding):
    widget(uniform, "u_round").set_value(rounding).run()
    assert_ok(uniform)


def test_manual_range_and_a_reversed_one(uniform):
    widget(uniform, "u_range").set_value("manual").run()
    assert_ok(uniform)
    hi = widget(uniform, "u_hi").value
    widget(uniform, "u_lo").set_value(hi + 1).run()
    # lo > hi: a translated warning, and the page goes on with the two ends swapped.
    assert_ok(uniform)
    assert any(w.value == en("u.manual_swapped", lo=f"{hi + 1:g}", hi=f"{hi:g}")
               for w in uniform.warning)


@pytest.mark.parametrize("bits", [2, 8])
@pytest.mark.parametrize("value", [0.0, 3.7], ids=["all-zero", "constant"])
def test_degenerate_tensors_at_extreme_bits(value, bits):
    at = open_app("uniform", {"ws_kind": "constant", "ws_constant_value": str(value),
                              "u_bits": str(bits)})
    assert_ok(at)
    assert metric(at, "u.metric.max_error") == "0"


def test_reset_restores_defaults(uniform):
    widget(uniform, "u_bits").set_value(7).run()
    widget(uniform, "u_mode").set_value("scale").run()
    next(b for b in uniform.button if b.label == en("u.reset")).click().run()
    assert_ok(uniform)
    assert widget(uniform, "u_bits").value == controls.TABLE["u_bits"].default
    assert widget(uniform, "u_mode").value == "affine"


def test_one_dimensional_tensor_with_groups():
    at = open_app("uniform", {"ws_rows": "1", "ws_cols": "100", "u_gran": "group",
                              "u_group": "8"})
    assert_ok(at)
    assert widget(at, "u_focus").max == 12  # 13 groups of 8 cover 100 values


def test_preset_lesson_link_loads_the_example():
    at = open_app("uniform", {"u_preset": "seed002_affine"})
    assert_ok(at)
    assert at.session_state["ws_preset"] == "seed002_vector"
    assert "[59, 110, -43, -77, 8, 127, -128, 42]" in at.success[0].value


def test_preset_lesson_link_keeps_explicit_changes():
    at = open_app("uniform", {"u_preset": "seed003_affine_half_even", "u_round": "half_away"})
    assert_ok(at)
    assert widget(at, "u_round").value == "half_away"
    assert widget(at, "u_sign").value == "unsigned"  # from the preset
    assert "[0, 63, 106, 149, 255]" in at.warning[0].value  # differs from half_even's seed


def test_per_channel_focus_draws_that_channel_only():
    at = open_app("uniform", {"ws_kind": "llm_activations", "u_gran": "channel",
                              "u_ch_axis": "1"})
    assert_ok(at)
    assert any("#0" in i.value for i in at.info)
    rows = 64  # the default workspace: a channel along axis 1 holds one value per row
    assert any(c.value.startswith(f"{rows} values from ") for c in at.caption)


def test_the_maths_snippets_are_in_vietnamese_in_vietnamese():
    at = open_app("uniform", {"lang": "vi", "u_maths": "true"})
    assert_ok(at)
    numpy_code = at.code[1].value
    assert "mỗi hàng của x" in numpy_code and "one row of x" not in numpy_code
