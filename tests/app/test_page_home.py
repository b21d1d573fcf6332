"""AppTest: the Home page renders, computes model memory and lists the learning path."""

from __future__ import annotations

import pytest

import views
from lessons import home
from tests.app.conftest import assert_ok, en, open_app, widget
from ui.i18n import catalogue


def gb_by_format(at) -> dict:
    table = at.dataframe[0].value
    return dict(zip(table[en("home.memory.col_format")], table[en("home.memory.col_gb")],
                    strict=True))


def test_home_renders_with_memory_chart_and_path():
    at = open_app()
    assert_ok(at)
    assert at.title[0].value == en("home.title")
    gb = gb_by_format(at)
    assert gb["FP16 / BF16"] == "350"  # seed 002: GPT-3 in FP16
    assert gb["FP32"] == "700"
    coming = [m.value for m in at.markdown if en("home.coming") in m.value]
    assert len(coming) == sum(1 for p in views.PAGES[1:] if p.path is None)
    assert [el for el in at.main if getattr(el, "type", "") == "plotly_chart"]


@pytest.mark.parametrize(("model", "fp16_gb"), [("BLOOM", "352"), ("Llama-2-70B", "140"),
                                                 ("Mistral 7B", "14")],
                         ids=["bloom", "llama2-70b", "mistral-7b"])
def test_seed_002_vram_table(model, fp16_gb):
    at = open_app(query={"h_model": model})
    assert_ok(at)
    assert gb_by_format(at)["FP16 / BF16"] == fp16_gb


def test_custom_parameter_count_and_bits_change_the_numbers():
    at = open_app()
    widget(at, "h_model").set_value(home.CUSTOM).run()
    widget(at, "h_params").set_value(1.0).run()
    widget(at, "h_bits").set_value(8.0).run()
    assert_ok(at)
    assert list(gb_by_format(at).values())[-1] == "1"  # 1B parameters x 8 bits = 1 GB


def test_home_in_vietnamese():
    at = open_app(query={"lang": "vi"})
    assert_ok(at)
    assert widget(at, "lang", "vi").value == "vi"
    assert catalogue("vi")["home.intro"] in [m.value for m in at.markdown]
