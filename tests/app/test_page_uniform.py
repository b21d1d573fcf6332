"""AppTest: the Uniform quantization page, its controls, presets and lesson links."""

from __future__ import annotations

import pytest

import quantlib as ql
from tests.app.conftest import assert_ok, en, metric, open_app
from ui import workspace


def sqnr(at) -> float:
    return float(metric(at, "u.metric.sqnr").split()[0])


def test_default_page_shows_every_part(uniform):
    assert uniform.title[0].value == en("u.title")
    keys = {"u_chart_hist", "u_chart_stair", "u_chart_err", "u_chart_heat"}
    charts = [el for el in uniform.main if getattr(el, "type", "") == "plotly_chart"]
    assert len(charts) == len(keys)
    assert uniform.dataframe, "the step-by-step table is missing"
    assert uniform.expander, "the maths expander is missing"
    assert len(uniform.latex) >= 4


def test_more_bits_raise_sqnr(uniform):
    before = sqnr(uniform)
    uniform.slider(key="u_bits").set_value(8).run()
    assert_ok(uniform)
    after = sqnr(uniform)
    # About 6 dB per bit for a well-spread tensor: 4 extra bits give well over 18 dB.
    assert after - before > 18, (before, after)


@pytest.mark.parametrize("control", [
    ("u_mode", "scale"), ("u_sign", "unsigned"), ("u_range", "percentile"),
    ("u_round", "floor"), ("u_gran", "channel"),
], ids=lambda c: f"{c[0]}={c[1]}")
def test_each_control_changes_the_numbers(uniform, control):
    key, value = control

    def numbers():
        scale = [m.value for m in uniform.metric if m.label.startswith(en("u.metric.scale"))]
        return scale[0], metric(uniform, "u.metric.zero"), metric(uniform, "u.metric.mse")

    before = numbers()
    widget = next(w for w in uniform.main if getattr(w, "key", None) == key)
    widget.set_value(value).run()
    assert_ok(uniform)
    # Affine signed -> unsigned keeps s and the error and moves z by 2^(b-1): still a change.
    assert numbers() != before


@pytest.mark.parametrize("name", list(ql.SEED_EXAMPLES), ids=list(ql.SEED_EXAMPLES))
def test_every_seed_preset_renders_and_reproduces_the_seed(uniform, name):
    uniform.selectbox(key="u_preset").set_value(name).run()
    assert_ok(uniform)
    example = ql.SEED_EXAMPLES[name]
    assert uniform.session_state["ws_source"] == "preset"
    assert uniform.session_state["ws_preset"] == example.tensor_name
    if example.expected_q is not None:
        assert [s.value for s in uniform.success], "no confirmation that the seed matches"
        assert str(list(example.expected_q)) in uniform.success[0].value


def test_seed_003_rounding_modes_differ(uniform):
    uniform.selectbox(key="u_preset").set_value("seed003_affine_half_away").run()
    assert "[0, 63, 106, 149, 255]" in uniform.success[0].value
    uniform.selectbox(key="u_round").set_value("half_even").run()
    assert_ok(uniform)
    assert "[0, 64, 106, 148, 255]" in uniform.warning[0].value


def test_lesson_link_reproduces_settings():
    at = open_app("uniform", {"u_bits": "3", "u_mode": "scale", "u_range": "percentile",
                              "u_pct": "99.5", "ws_kind": "laplace", "ws_rows": "32"})
    assert_ok(at)
    assert at.slider(key="u_bits").value == 3
    assert at.segmented_control(key="u_mode").value == "scale"
    assert at.segmented_control(key="u_range").value == "percentile"
    assert at.slider(key="u_pct").value == pytest.approx(99.5)
    assert at.selectbox(key="ws_kind").value == "laplace"
    assert at.number_input(key="ws_rows").value == 32


def test_lesson_link_in_vietnamese_uses_the_same_codes():
    at = open_app("uniform", {"lang": "vi", "u_mode": "scale"})
    assert_ok(at)
    assert at.segmented_control(key="u_mode").value == "scale"


@pytest.mark.parametrize("granularity", ["channel", "group"])
def test_focus_picks_another_channel_or_group(uniform, granularity):
    uniform.segmented_control(key="u_gran").set_value(granularity).run()
    first = [m.value for m in uniform.metric if m.label.startswith(en("u.metric.scale"))][0]
    uniform.number_input(key="u_focus").set_value(5).run()
    assert_ok(uniform)
    fifth = [m.value for m in uniform.metric if m.label.startswith(en("u.metric.scale"))][0]
    assert first != fifth


@pytest.mark.parametrize("rounding", list(ql.ROUNDING_MODES))
def test_every_rounding_mode_renders(uniform, rounding):
    uniform.selectbox(key="u_round").set_value(rounding).run()
    assert_ok(uniform)


def test_manual_range_and_a_reversed_one(uniform):
    uniform.segmented_control(key="u_range").set_value("manual").run()
    assert_ok(uniform)
    hi = uniform.number_input(key="u_hi").value
    uniform.number_input(key="u_lo").set_value(hi + 1).run()
    # lo > hi: a translated warning, and the page goes on with the two ends swapped.
    assert_ok(uniform)
    assert any(w.value == en("u.manual_swapped", lo=f"{hi + 1:g}", hi=f"{hi:g}")
               for w in uniform.warning)
    assert not uniform.error


@pytest.mark.parametrize("bits", [2, 8])
@pytest.mark.parametrize("value", [0.0, 3.7], ids=["all-zero", "constant"])
def test_degenerate_tensors_at_extreme_bits(value, bits):
    at = open_app("uniform", {"ws_kind": "constant", "ws_constant_value": str(value),
                              "u_bits": str(bits)})
    assert_ok(at)
    assert metric(at, "u.metric.max_error") == "0"


def test_reset_restores_defaults(uniform):
    uniform.slider(key="u_bits").set_value(7).run()
    uniform.segmented_control(key="u_mode").set_value("scale").run()
    reset = next(b for b in uniform.button if b.label == en("u.reset"))
    reset.click().run()
    assert_ok(uniform)
    assert uniform.slider(key="u_bits").value == 4
    assert uniform.segmented_control(key="u_mode").value == "affine"


def test_one_dimensional_tensor_with_channels():
    at = open_app("uniform", {"ws_rows": "1", "ws_cols": "100", "u_gran": "group",
                              "u_group": "8"})
    assert_ok(at)
    assert at.number_input(key="u_focus").max == 12  # 13 groups of 8 cover 100 values


def test_preset_lesson_link_loads_the_example():
    at = open_app("uniform", {"u_preset": "seed002_affine"})
    assert_ok(at)
    assert at.session_state["ws_preset"] == "seed002_vector"
    assert "[59, 110, -43, -77, 8, 127, -128, 42]" in at.success[0].value


def test_preset_lesson_link_keeps_explicit_changes():
    at = open_app("uniform", {"u_preset": "seed003_affine_half_even", "u_round": "half_away"})
    assert_ok(at)
    assert at.selectbox(key="u_round").value == "half_away"
    assert at.segmented_control(key="u_sign").value == "unsigned"  # from the preset
    assert "[0, 63, 106, 149, 255]" in at.warning[0].value  # differs from half_even's seed


def test_per_channel_focus_draws_that_channel_only():
    at = open_app("uniform", {"ws_kind": "llm_activations", "u_gran": "channel",
                              "u_ch_axis": "1"})
    assert_ok(at)
    assert any("#0" in i.value for i in at.info)
    rows = workspace.DEFAULTS["ws_rows"]  # a channel along axis 1 holds one value per row
    assert any(c.value.startswith(f"{rows} values from ") for c in at.caption)
