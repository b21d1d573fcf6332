"""Tests for lessons.home: the model-memory calculator of the Home page."""

from __future__ import annotations

import dataclasses

import pytest

from lessons import home
from lessons.home import Settings, memory_table, report
from quantlib.metrics import block_bits

# "VRAM Usage: Model Size * 2 (Loading with FP16)", copied from seed 002: model, billions
# of parameters, GB.
SEED002_VRAM_GB = [("GPT-3", 175, 350), ("BLOOM", 176, 352), ("Llama-2-70B", 70, 140),
                   ("Mistral 7B", 7, 14)]
FP16 = "FP16 / BF16"


@pytest.mark.parametrize(("model", "billions", "gb"), SEED002_VRAM_GB,
                         ids=[row[0] for row in SEED002_VRAM_GB])
def test_seed_002_fp16_vram_table(model, billions, gb):
    assert home.MODEL_SIZES[model] == billions
    r = report(Settings(model=model))
    assert r.gb(FP16) == gb
    rows = {name: (bits, size) for name, bits, size in r.rows}
    assert rows[FP16] == (16.0, gb)
    # Every other format scales with its bits: FP32 doubles the FP16 figure, INT8 halves it.
    assert r.gb("FP32") == 2 * gb and r.gb("FP8 / INT8") == gb / 2


def test_model_sizes_are_the_seed_table():
    assert dict(home.MODEL_SIZES) == {name: b for name, b, _ in SEED002_VRAM_GB}
    assert home.MODELS.values == (*home.MODEL_SIZES, home.CUSTOM)


def test_storage_formats():
    expected = {
        "FP32": 32.0, "FP16 / BF16": 16.0, "FP8 / INT8": 8.0,
        "NF4 (QLoRA)": block_bits(4, 64), "INT4": 4.0, "INT2": 2.0,
    }
    assert dict(home.STORAGE_FORMATS) == expected
    assert home.STORAGE_FORMATS["NF4 (QLoRA)"] == 4 + 32 / 64  # one float32 absmax per 64
    widths = list(home.STORAGE_FORMATS.values())
    assert widths == sorted(widths, reverse=True)


def test_memory_table_docstring_and_order():
    assert memory_table(175, {"FP16": 16}) == (("FP16", 16, 350.0),)
    table = memory_table(7)
    assert [name for name, _, _ in table] == list(home.STORAGE_FORMATS)
    for name, bits, gb in table:
        assert bits == home.STORAGE_FORMATS[name]
        assert gb == pytest.approx(7e9 * bits / 8 / 1e9)


def test_memory_table_with_custom_bits():
    rows = memory_table(70, {**home.STORAGE_FORMATS, "mine": 3.25})
    assert rows[-1] == ("mine", 3.25, pytest.approx(70 * 3.25 / 8))


# --- custom parameter counts and the chosen bits ---------------------------------------------


@pytest.mark.parametrize(("billions", "bits", "gb"), [
    (7.0, 4.0, 3.5), (1.0, 16.0, 2.0), (0.001, 8.0, 0.001), (100_000.0, 2.0, 25_000.0),
    (13.0, 4.5, 13 * 4.5 / 8), (0.5, 1.0, 0.0625),
], ids=["7b-int4", "1b-fp16", "a-million-int8", "100t-int2", "13b-nf4", "half-b-one-bit"])
def test_custom_parameter_count(billions, bits, gb):
    r = report(Settings(model=home.CUSTOM, params_billions=billions, bits=bits))
    assert r.yours == (bits, pytest.approx(gb))
    assert r.gb(FP16) == pytest.approx(billions * 2)


def test_a_known_model_ignores_the_custom_count():
    a = report(Settings(model="Mistral 7B", params_billions=123.0))
    b = report(Settings(model="Mistral 7B", params_billions=1.0))
    assert a == b and a.gb(FP16) == 14


@pytest.mark.parametrize("billions", [home.PARAMS_BILLIONS.low, home.PARAMS_BILLIONS.high],
                         ids=["smallest", "largest"])
def test_parameter_count_bounds_are_usable(billions):
    r = report(Settings(model=home.CUSTOM, params_billions=billions, bits=2.0))
    assert r.gb("INT2") == pytest.approx(billions / 4)
    assert r.yours[1] == pytest.approx(billions / 4)


@pytest.mark.parametrize("bits", [1.0, 2.0, 3.0, 4.5, 16.0, 32.0, 64.0],
                         ids=lambda b: f"{b:g}bits")
def test_bits_from_one_to_sixty_four(bits):
    r = report(Settings(model="GPT-3", bits=bits))
    assert r.yours == (bits, pytest.approx(175 * bits / 8))


@pytest.mark.parametrize(("bits", "error", "match"), [
    (0.5, ValueError, r"bits_per_param must be a finite number from 1 to 64, got 0\.5"),
    (0.0, ValueError, r"got 0\.0"),
    (-4.0, ValueError, r"got -4\.0"),
    (65.0, ValueError, r"got 65\.0"),
    (float("nan"), ValueError, r"got nan"),
    (float("inf"), ValueError, r"got inf"),
    ("4", TypeError, r"got '4'"),
], ids=["half-bit", "zero", "negative", "65", "nan", "inf", "string"])
def test_bits_out_of_bounds_are_refused(bits, error, match):
    with pytest.raises(error, match=match):
        report(Settings(model="GPT-3", bits=bits))


def test_default_settings_and_report_are_frozen():
    s = Settings()
    r = report(s)
    assert s.model in home.MODEL_SIZES and s.billions == home.MODEL_SIZES[s.model]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.bits = 4.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.yours = (1.0, 1.0)  # type: ignore[misc]
    assert hash(s) == hash(Settings())


def test_gpu_reference_lines():
    assert dict(home.GPU_MEMORY_GB) == {"consumer": 24, "datacenter": 80}
    # Seed 002's point: a 7B model fits a 24 GB card in FP16, a 70B one does not.
    assert report(Settings(model="Mistral 7B")).gb(FP16) < home.GPU_MEMORY_GB["consumer"]
    assert report(Settings(model="Llama-2-70B")).gb(FP16) > home.GPU_MEMORY_GB["datacenter"]


@pytest.mark.parametrize("model", ["GPT-4", "", None], ids=["unknown", "empty", "none"])
def test_an_unknown_model_is_refused_with_the_models_named(model):
    # MODELS is the constraint the page's select box is built from: the lesson checks with it.
    with pytest.raises(ValueError, match=r"model must be one of 'GPT-3', .*'custom', got "):
        report(Settings(model=model))


@pytest.mark.parametrize("billions", [0.0, -5.0, 1e9, float("nan")],
                         ids=["zero", "negative", "beyond-the-bound", "nan"])
def test_a_custom_count_outside_its_bounds_is_refused_in_billions(billions):
    # PARAMS_BILLIONS bounds the page's number input; a value outside it is refused in the
    # unit the user typed (billions), not as a raw parameter count.
    match = rf"params_billions must be {home.PARAMS_BILLIONS.describe()}, got "
    with pytest.raises(ValueError, match=match):
        report(Settings(model=home.CUSTOM, params_billions=billions))
