"""AppTest: the Non-uniform page: its charts and tables, every control, the presets, the
reset, lesson links (hostile ones too) and degenerate workspace tensors."""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest

import quantlib as ql
from lessons import nonuniform
from tests.app.conftest import assert_ok, en, notices, open_app, widget
from views.nonuniform import controls
from views.nonuniform.controls import SCHEME_KEYS, TABLE

CHARTS = ("n_chart_levels", "n_chart_sqnr", "n_chart_used", "n_chart_usage", "n_chart_curve",
          "n_chart_blocks")
EVERY_SCHEME = {key: "true" for key in SCHEME_KEYS.values()}


def chart(at, key: str) -> dict:
    found = [el for el in at.main if getattr(el, "key", None) == key]
    assert found, f"no chart {key}"
    return json.loads(found[0].proto.spec)


def chart_keys(at) -> set[str]:
    return {el.key for el in at.main if str(getattr(el, "key", None)).startswith("n_chart_")}


def tick_rows(at) -> list[str]:
    """The names of the levels chart's rows of ticks (one per codebook shown)."""
    return [trace["name"] for trace in chart(at, "n_chart_levels")["data"]
            if trace.get("yaxis") == "y2"]


def numbers(values) -> np.ndarray:
    """A plotly array: a plain list, or the typed {"dtype", "bdata"} form (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=np.float64)


def hovers(at, name: str) -> list[str]:
    """The hover texts of one codebook's ticks in the levels chart."""
    trace = next(t for t in chart(at, "n_chart_levels")["data"]
                 if t.get("yaxis") == "y2" and t["name"] == name)
    return trace["customdata"]


HOVER_INTERVAL = re.compile(r"takes x in ([\[(])(\S+), (\S+?)([\])])<br>([\d,]+) values?$")


INFINITIES = {"−∞": -math.inf, "∞": math.inf}


def end(text: str) -> float:
    """An interval's end as the hover writes it (∞ and −∞ spelled out)."""
    return INFINITIES[text] if text in INFINITIES else float(text)


def table(at):
    """The codebooks table (the first dataframe) as a pandas DataFrame."""
    return at.dataframe[0].value


def shown(at) -> list[str]:
    return list(table(at)[en("n.col.scheme")])


def mse(at) -> list[float]:
    return list(table(at)[en("n.col.mse")])


def names(kinds) -> list[str]:
    return [en(f"n.scheme.{k}") for k in kinds]


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def skipped_caption(bits: int, kinds) -> str:
    return en("n.skipped", bits=bits, names=", ".join(
        en(f"n.only.{k}", name=en(f"n.scheme.{k}")) for k in kinds))


@pytest.fixture
def page():
    at = open_app("nonuniform")
    assert_ok(at)
    return at


# --- the default page ----------------------------------------------------------------


def test_default_page_shows_every_part(page):
    assert page.title[0].value == en("n.title")
    assert chart_keys(page) == set(CHARTS)
    default = nonuniform.DEFAULT_SCHEMES
    assert tick_rows(page) == names(default)
    assert [t["name"] for t in chart(page, "n_chart_usage")["data"]] == names(default)
    assert [t["name"] for t in chart(page, "n_chart_curve")["data"]] == names(default)
    assert len(page.dataframe) == 2  # the codebooks, the block formats
    assert shown(page) == names(default)
    blocks = page.dataframe[1].value
    assert list(blocks[en("n.col.format")]) == [en(f"n.bf.{n}") for n in nonuniform.BLOCK_NAMES]
    assert not page.info and not notices(page)
    not_shown = en("n.skipped", bits=4, names="").rstrip(".")
    assert not [c for c in captions(page) if c.startswith(not_shown)]


def test_default_tables_hold_the_lessons_numbers(page):
    x = ql.generate("normal", (64, 256))
    r = nonuniform.report(x, nonuniform.Settings())
    assert mse(page) == pytest.approx([s.mse for s in r.results], rel=1e-9)
    assert list(table(page)[en("n.col.bits")]) == pytest.approx(
        [s.bits_per_value for s in r.results])
    assert list(table(page)[en("n.col.used")]) == [
        en("n.used", used=s.used, of=s.levels.size) for s in r.results]
    blocks = page.dataframe[1].value
    assert list(blocks[en("n.col.sqnr")]) == pytest.approx(
        [b.sqnr_db for b in nonuniform.block_formats(x)], rel=1e-9)
    best = r.best()
    assert en("n.table.best", name=en(f"n.scheme.{best.kind}"),
              sqnr=f"{best.sqnr_db:.3g}") in captions(page)
    # one tick per level, at the tensor's scale
    ticks = [t for t in chart(page, "n_chart_levels")["data"] if t.get("yaxis") == "y2"]
    assert [len(t["x"]) for t in ticks] == [s.levels.size for s in r.results]
    assert ticks[0]["x"] == pytest.approx(r.results[0].levels.tolist())


def test_every_tick_says_its_interval_open_below_closed_above(page):
    """Each level takes x in (low, high] (the last one up to ∞, open): the hover says so,
    with the lesson's bounds (to 4 digits) and the number of values counted by hand
    between them."""
    x = ql.generate("normal", (64, 256))
    r = nonuniform.report(x, nonuniform.Settings())
    x = x.astype(np.float64).reshape(-1)
    for s in r.results:
        texts = hovers(page, en(f"n.scheme.{s.kind}"))
        assert len(texts) == s.levels.size, s.kind
        for i, text in enumerate(texts):
            found = HOVER_INTERVAL.search(text)
            assert found, text
            opening, lo, hi, closing, count = found.groups()
            last = i == len(texts) - 1  # up to infinity: open, "∞)"
            assert (opening, closing) == ("(", ")" if last else "]"), text
            assert [end(lo), end(hi)] == pytest.approx([s.lows[i], s.highs[i]], rel=1e-3)
            by_hand = np.count_nonzero((x > s.lows[i]) & (x <= s.highs[i]))
            assert int(count.replace(",", "")) == by_hand, text
        assert end(HOVER_INTERVAL.search(texts[0]).group(2)) == -math.inf, s.kind
        assert end(HOVER_INTERVAL.search(texts[-1]).group(3)) == math.inf, s.kind


def test_quantile_ticks_take_their_equal_population_bins(page):
    """Quantile's thresholds are its bins' tops (the largest value of each run of 1024
    values of the sorted tensor), not the midpoints, and each level takes exactly its
    bin's 1024 values."""
    x = np.sort(ql.generate("normal", (64, 256)).astype(np.float64).reshape(-1))
    tops = x[1024 * np.arange(1, 16) - 1]  # the largest value of bins 0 to 14
    # (float32 has two pairs of equal values in here, none across two bins)
    assert np.all(tops < x[1024 * np.arange(1, 16)])
    texts = hovers(page, en("n.scheme.quantile"))
    assert len(texts) == 16
    found = [HOVER_INTERVAL.search(t).groups() for t in texts]
    assert all((f[0], f[3]) == ("(", "]") for f in found[:-1])
    assert (found[-1][0], found[-1][3]) == ("(", ")")  # up to infinity
    highs = np.array([end(f[2]) for f in found[:-1]])
    assert highs == pytest.approx(tops, rel=1e-3)
    lows = np.array([end(f[1]) for f in found[1:]])
    assert lows == pytest.approx(tops, rel=1e-3)
    counts = [int(f[4].replace(",", "")) for f in found]
    assert counts == [int(np.count_nonzero((x > lo) & (x <= hi))) for lo, hi in
                      zip([-math.inf, *tops], [*tops, math.inf], strict=True)]
    assert counts == [1024] * 16
    # and the usage chart draws that: quantile's line is flat at exactly 1
    usage = next(t for t in chart(page, "n_chart_usage")["data"]
                 if t["name"] == en("n.scheme.quantile"))
    assert numbers(usage["y"]).tolist() == [1.0] * 16


# --- every control changes the numbers -----------------------------------------------


def test_more_bits_change_the_numbers_and_drop_nf4(page):
    before = mse(page)
    widget(page, "n_bits").set_value(6).run()
    assert_ok(page)
    assert page.session_state["n_bits"] == 6
    kinds = [k for k in nonuniform.DEFAULT_SCHEMES if k != "nf4"]
    assert shown(page) == names(kinds) == tick_rows(page)
    after = dict(zip(kinds, mse(page), strict=True))
    before = dict(zip(nonuniform.DEFAULT_SCHEMES, before, strict=True))
    for kind in ("uniform", "kmeans", "quantile"):
        assert after[kind] < before[kind] / 4, kind  # two more bits: about 16x less
    assert skipped_caption(6, ["nf4"]) in captions(page)
    assert page.query_params["n_bits"] in ("6", ["6"])


def test_block_scales_change_the_numbers_and_the_block_size_matters(page):
    assert widget(page, "n_block").disabled  # per tensor: no block size to choose
    tensor = mse(page)
    widget(page, "n_gran").set_value("block").run()
    assert_ok(page)
    assert not widget(page, "n_block").disabled
    blocks64 = mse(page)
    assert blocks64 != tensor
    assert blocks64[0] < tensor[0]  # 64 scales beat one on the uniform grid
    assert en("n.levels.block", size=64) in captions(page)
    widget(page, "n_block").set_value(1024).run()
    assert_ok(page)
    blocks1024 = mse(page)
    assert blocks1024 != blocks64
    assert blocks64[0] < blocks1024[0]  # smaller blocks, smaller error
    assert en("n.levels.block", size=1024) in captions(page)
    assert page.query_params["n_block"] in ("1024", ["1024"])


def test_a_scheme_toggle_adds_and_removes_its_row(page):
    widget(page, "n_use_binary").check().run()
    assert_ok(page)
    kinds = [*nonuniform.DEFAULT_SCHEMES, "binary"]
    assert shown(page) == names(kinds) == tick_rows(page)
    widget(page, "n_use_nf4").uncheck().run()
    assert_ok(page)
    kinds.remove("nf4")
    assert shown(page) == names(kinds) == tick_rows(page)
    assert page.query_params["n_use_nf4"] in ("false", ["false"])


# --- presets and reset ---------------------------------------------------------------


@pytest.mark.parametrize("preset", list(controls.PRESETS))
def test_every_preset_loads_its_tensor_and_its_codebooks(page, preset):
    widget(page, "n_preset").set_value(preset).run()
    assert_ok(page)
    values = controls.PRESETS[preset]
    assert en(f"n.preset.note.{preset}") in [m.value for m in page.markdown]
    assert page.session_state["ws_kind"] == values["ws_kind"]
    assert widget(page, "ws_kind").value == values["ws_kind"]
    assert en(f"gen.kind.{values['ws_kind']}") in "\n".join(m.value for m in page.sidebar.markdown)
    for key in SCHEME_KEYS.values():
        assert widget(page, key).value is values[key], key
    chosen = [k for k, key in SCHEME_KEYS.items() if values[key]]
    assert shown(page) == names(chosen) == tick_rows(page)
    assert widget(page, "n_gran").value == values["n_gran"]
    if "n_block" in values:
        assert widget(page, "n_block").value == values["n_block"]
    # the table shows the preset's tensor: the lesson on that tensor, by hand
    x = ql.generate(values["ws_kind"], (64, 256), outliers=values["ws_outliers"],
                    outlier_scale=values.get("ws_outlier_scale", 20.0))
    r = nonuniform.report(x, nonuniform.Settings(
        schemes=tuple(chosen), bits=values["n_bits"], granularity=values["n_gran"],
        block_size=values.get("n_block", 64)))
    assert mse(page) == pytest.approx([s.mse for s in r.results], rel=1e-9)
    if preset == "bimodal":  # "k-means wins": the lowest error is k-means'
        assert en("n.preset.bimodal") == "Bimodal: k-means wins"
        assert min(r.results, key=lambda s: s.mse).kind == "kmeans"
        best = r.best()
        assert en("n.table.best", name=en("n.scheme.kmeans"),
                  sqnr=f"{best.sqnr_db:.3g}") in captions(page)


def test_reset_restores_the_defaults_and_keeps_the_tensor(page):
    widget(page, "n_preset").set_value("outliers").run()
    widget(page, "n_bits").set_value(8).run()
    widget(page, "n_use_dynamic").check().run()
    assert_ok(page)
    assert page.session_state["n_gran"] == "block"
    next(b for b in page.button if b.label == en("n.reset")).click().run()
    assert_ok(page)
    for control in TABLE.controls:
        assert page.session_state[control.key] == control.default, control.key
        assert widget(page, control.key).value == control.default, control.key
    assert shown(page) == names(nonuniform.DEFAULT_SCHEMES)
    assert page.session_state["ws_kind"] == "laplace"  # the workspace keeps its tensor
    assert not any(key.startswith("n_") for key in page.query_params)


# --- captions and notices ------------------------------------------------------------


def test_three_bits_say_which_codebooks_are_not_shown():
    at = open_app("nonuniform", {"n_bits": "3"})
    assert_ok(at)
    assert skipped_caption(3, ["nf4"]) in captions(at)
    assert "NF4" in skipped_caption(3, ["nf4"])
    assert shown(at) == names(k for k in nonuniform.DEFAULT_SCHEMES if k != "nf4")
    assert not notices(at)


def test_no_codebook_chosen():
    at = open_app("nonuniform", {key: "false" for key in SCHEME_KEYS.values()})
    assert_ok(at)
    assert en("n.none_chosen") in [i.value for i in at.info]
    assert len(at.dataframe) == 1  # only the block formats
    assert list(at.dataframe[0].value[en("n.col.format")]) == [
        en(f"n.bf.{n}") for n in nonuniform.BLOCK_NAMES]
    assert chart_keys(at) == set(CHARTS) - {"n_chart_sqnr", "n_chart_used"}
    assert tick_rows(at) == []
    assert not notices(at)


def test_a_lesson_link_sets_every_control():
    at = open_app("nonuniform", {"n_bits": "6", "n_gran": "block", "n_block": "128",
                                 "n_use_binary": "true", "n_use_log2": "false"})
    assert_ok(at)
    assert not notices(at)
    assert widget(at, "n_bits").value == 6
    assert widget(at, "n_gran").value == "block"
    assert widget(at, "n_block").value == 128 and not widget(at, "n_block").disabled
    assert widget(at, "n_use_binary").value is True
    assert widget(at, "n_use_log2").value is False
    # binary has no 6-term version, NF4 no 6-bit one
    assert skipped_caption(6, ["nf4", "binary"]) in captions(at)
    assert shown(at) == names(["uniform", "kmeans", "quantile"])
    x = ql.generate("normal", (64, 256))
    r = nonuniform.report(x, nonuniform.Settings(
        schemes=("uniform", "nf4", "kmeans", "quantile", "binary"), bits=6,
        granularity="block", block_size=128))
    assert mse(at) == pytest.approx([s.mse for s in r.results], rel=1e-9)


@pytest.mark.parametrize("query,key,used", [
    ({"n_bits": "99"}, "n_bits", 8),
    ({"n_block": "17"}, "n_block", 16),
    ({"n_gran": "<script>"}, "n_gran", "tensor"),
    ({"n_use_nf4": "maybe"}, "n_use_nf4", True),
    ({"n_preset": "[x](http://evil.example)"}, "n_preset", controls.NO_PRESET),
], ids=["bits-99", "block-17", "gran-script", "bool-maybe", "preset-link"])
def test_hostile_link_values_are_clamped_with_a_notice(query, key, used):
    at = open_app("nonuniform", query)
    assert_ok(at)
    assert widget(at, key).value == used
    said = notices(at)
    assert len(said) == 1 and key.replace("_", "\\_") in said[0]
    assert "<script>" not in said[0] and "](http" not in said[0]


# --- degenerate tensors and the extreme widths ---------------------------------------


@pytest.mark.parametrize("workspace", [
    {"ws_kind": "constant", "ws_constant_value": "0"},
    {"ws_kind": "constant", "ws_constant_value": "3"},
    {"ws_rows": "1", "ws_cols": "1"},
], ids=["zeros", "constant", "one-value"])
@pytest.mark.parametrize("gran", ["tensor", "block"])
def test_degenerate_workspace_tensors_render(workspace, gran):
    at = open_app("nonuniform", {**workspace, **EVERY_SCHEME, "n_gran": gran, "n_block": "16"})
    assert_ok(at)
    assert not notices(at)
    runs = [k for k in nonuniform.SCHEMES if nonuniform.runs_at(k, 4)]
    assert shown(at) == names(runs) == tick_rows(at)
    # every codebook holds +max|level| and 0: a constant >= 0 is exact everywhere
    assert mse(at) == [0.0] * len(runs)
    assert chart_keys(at) == set(CHARTS)


@pytest.mark.parametrize("gran", ["tensor", "block"])
@pytest.mark.parametrize("bits", [2, 8])
def test_the_extreme_widths_with_every_codebook(bits, gran):
    at = open_app("nonuniform", {**EVERY_SCHEME, "n_bits": str(bits), "n_gran": gran})
    assert_ok(at)
    assert not notices(at)
    runs = [k for k in nonuniform.SCHEMES if nonuniform.runs_at(k, bits)]
    skipped = [k for k in nonuniform.SCHEMES if k not in runs]
    assert shown(at) == names(runs) == tick_rows(at)
    assert skipped_caption(bits, skipped) in captions(at)
    assert chart_keys(at) == set(CHARTS)
    curve = chart(at, "n_chart_curve")["data"]
    assert [t["name"] for t in curve] == names(nonuniform.SCHEMES)  # every width, every one
