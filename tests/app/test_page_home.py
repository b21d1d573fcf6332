"""AppTest: the Home page renders, computes model memory and lists the learning path."""

from __future__ import annotations

import pytest

from tests.app.conftest import assert_ok, en, open_app
from ui import nav
from ui.i18n import catalogue


def test_home_renders_with_memory_chart_and_path():
    at = open_app()
    assert_ok(at)
    assert at.title[0].value == en("home.title")
    table = at.dataframe[0].value
    gb = dict(zip(table[en("home.memory.col_format")], table[en("home.memory.col_gb")],
                  strict=True))
    assert gb["FP16 / BF16"] == "350"  # seed 002: GPT-3 in FP16
    assert gb["FP32"] == "700"
    coming = [m.value for m in at.markdown if en("home.coming") in m.value]
    assert len(coming) == sum(1 for p in nav.PAGES[1:] if p.path is None)


@pytest.mark.parametrize(("model", "fp16_gb"), [("BLOOM", "352"), ("Llama-2-70B", "140"),
                                                 ("Mistral 7B", "14")],
                         ids=["bloom", "llama2-70b", "mistral-7b"])
def test_seed_002_vram_table(model, fp16_gb):
    at = open_app(query={"h_model": model})
    assert_ok(at)
    table = at.dataframe[0].value
    row = list(table[en("home.memory.col_format")]).index("FP16 / BF16")
    assert table[en("home.memory.col_gb")][row] == fp16_gb


def test_custom_parameter_count_and_bits_change_the_numbers():
    at = open_app()
    at.selectbox(key="h_model").set_value("custom").run()
    at.number_input(key="h_params").set_value(1.0).run()
    at.number_input(key="h_bits").set_value(8.0).run()
    assert_ok(at)
    table = at.dataframe[0].value
    assert list(table[en("home.memory.col_gb")])[-1] == "1"  # 1B parameters x 8 bits = 1 GB


def test_home_in_vietnamese():
    at = open_app(query={"lang": "vi"})
    assert_ok(at)
    assert at.segmented_control(key="lang").value == "vi"
    assert catalogue("vi")["home.intro"] in [m.value for m in at.markdown]
