"""AppTest: the Int8 matmul page: its charts, metrics, under-the-hood integers, overflow
and cost, every control, the presets (the large one once), the reset, the maths, the
workspace as w, hostile lesson links and the Vietnamese page."""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest

import quantlib as ql
from lessons import matmul
from lessons.matmul import Settings
from tests.app.conftest import assert_ok, en, notices, open_app, widget
from ui import fmt, i18n
from ui.i18n import catalogue
from views.matmul import controls
from views.matmul.controls import TABLE

CHARTS = ("m_chart_y_float", "m_chart_y_simulated", "m_chart_y_integer",
          "m_chart_err_simulated", "m_chart_err_integer", "m_chart_overflow")
PATHS = ("simulated", "integer")
# The Settings field each control of the page decides.
FIELDS = {"m_source": "source", "m_tokens": "tokens", "m_features": "features",
          "m_out": "out_features", "m_x_kind": "x_kind", "m_x_mode": "x_mode",
          "m_x_gran": "x_granularity", "m_w_mode": "w_mode", "m_w_gran": "w_granularity"}
# The controls seed 002's slide fixes (its operands and S = 1/127 are given).
SLIDE_FIXED = ("m_tokens", "m_features", "m_out", "m_x_kind", "m_x_mode", "m_x_gran",
               "m_w_mode", "m_w_gran")
SLIDE_ACC = [[-192, 704], [2464, 4928], [1720, -736]]
SMALL_PRESETS = [name for name in controls.PRESETS if name != "large"]
LARGE_BUDGET_S = 20


def settings_of(values: dict) -> Settings:
    return Settings(**{FIELDS[key]: value for key, value in values.items() if key in FIELDS})


def chart_keys(at) -> list[str]:
    return [el.key for el in at.main if str(getattr(el, "key", None)).startswith("m_chart_")]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def metric(at, key: str, **names) -> str:
    label = en(key, **names)
    shown = metrics(at)
    assert label in shown, f"no metric labelled {label!r}; have {list(shown)}"
    return shown[label]


def path_metrics(report) -> dict[str, str]:
    """The eight result metrics as the page formats them, by their English labels."""
    expected = {}
    for name in PATHS:
        measure = getattr(report, name)
        path = en(f"m.path.{name}")
        expected |= {en("m.metric.sqnr", path=path): fmt.db(measure.sqnr_db),
                     en("m.metric.rel", path=path): fmt.pct(measure.rel_error),
                     en("m.metric.max", path=path): fmt.num(measure.max_error, 4),
                     en("m.metric.cosine", path=path): fmt.num(measure.cosine, 8)}
    return expected


def assert_results(at, report) -> None:
    shown = metrics(at)
    for label, expected in path_metrics(report).items():
        assert shown.get(label) == expected, label


def sqnr(at, path: str = "simulated") -> str:
    return metric(at, "m.metric.sqnr", path=en(f"m.path.{path}"))


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def shape_caption(m: int, k: int, n: int) -> str:
    return en("m.inputs.shape", m=m, k=k, n=n)


def markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def agree(at) -> list[str]:
    lead = en("m.results.agree", gap="{}").split("{}")[0]
    return [s.value for s in at.success if s.value.startswith(lead)]


def in_url(at, key: str, value) -> bool:
    code = TABLE[key].code(value)
    return at.query_params[key] in (code, [code])


DEFAULT = Settings()


@functools.cache
def lesson(settings: Settings = DEFAULT) -> matmul.Report:
    """The lesson's report on generated operands (or the slide's), as the page computes it."""
    return matmul.report(None, settings)


@functools.cache
def linked(name: str):
    """The page opened from ``?m_preset=<name>``, read (never changed) by several tests."""
    return open_app("matmul", {"m_preset": name})


@pytest.fixture(scope="module")
def default():
    """One default run, read (never changed) by the tests of the default page."""
    at = open_app("matmul")
    assert_ok(at)
    return at


@pytest.fixture
def page():
    at = open_app("matmul")
    assert_ok(at)
    return at


# --- the default page ----------------------------------------------------------------


def test_default_page_shows_every_part(default):
    assert default.title[0].value == en("m.title")
    assert chart_keys(default) == list(CHARTS)
    assert not notices(default)
    assert widget(default, "m_preset").value == controls.NO_PRESET
    for control in TABLE.controls:
        shown = widget(default, control.key)
        if shown is not None:
            assert shown.value == control.default, control.key
            assert not shown.disabled, control.key
    assert shape_caption(64, 256, 128) in captions(default)
    assert en("m.inputs.workspace") not in captions(default)
    assert default.expander and not default.latex  # the maths stay closed
    assert not default.code


def test_default_metrics_are_the_lessons(default):
    report = lesson()
    assert report.shape == (64, 256, 128)
    assert_results(default, report)
    # both quantized paths compute the same numbers
    assert sqnr(default, "simulated") == sqnr(default, "integer")


def test_default_paths_agree_and_the_heatmaps_are_cut(default):
    report = lesson()
    assert agree(default) == [en("m.results.agree", gap=fmt.num(report.agreement, 3))]
    assert report.cut
    assert en("m.heat.cut", rows=matmul.HEAT, columns=matmul.HEAT, m=64, n=128) in \
        captions(default)


def test_default_under_the_hood_is_too_big_and_gives_the_accumulator_range(default):
    lo, hi = lesson().acc_range
    assert lo < 0 < hi
    too_big = [i for i in default.info if i.icon == ":material/zoom_in:"]
    assert [i.value for i in too_big] == [en("m.hood.too_big", lo=f"{lo:,}", hi=f"{hi:,}")]
    assert len(default.dataframe) == 1  # the cost table only: no integers listed
    assert en("m.hood.intro") not in markdown(default)


def test_default_overflow_metrics(default):
    flow = lesson().overflow
    assert metric(default, "m.overflow.wrapped") == fmt.pct(flow.wrapped_share)
    assert 0 < flow.wrapped_share < 1  # some outputs leave int16 at K = 256, not all
    assert metric(default, "m.overflow.largest") == f"{flow.largest:,}"
    assert flow.largest > matmul.INT16_MAX
    assert metric(default, "m.overflow.k16") == "2"
    assert metric(default, "m.overflow.k32") == "131,072"


def test_default_cost_table_and_the_honest_warning(default):
    table = default.dataframe[-1].value
    assert list(table[en("m.col.format")]) == [en(f"m.format.{name}")
                                               for name in ("fp32", "fp16", "int8", "int4")]
    storage = lesson().storage
    assert list(table[en("m.col.bytes")]) == [fmt.size(s.bytes) for s in storage]
    assert list(table[en("m.col.ratio")]) == [fmt.pct(s.ratio) for s in storage]
    assert list(table[en("m.col.ratio")])[0] == "100%"
    assert metric(default, "m.cost.macs") == f"{64 * 128 * 256:,}"
    assert [w.value for w in default.warning] == [en("m.cost.honest")]


# --- every control changes the numbers -----------------------------------------------


def test_modes_and_granularities_change_the_sqnr(page):
    before = sqnr(page)
    widget(page, "m_x_mode").set_value("symmetric").run()
    assert_ok(page)
    symmetric = Settings(x_mode="symmetric")
    assert sqnr(page) != before
    assert_results(page, lesson(symmetric))
    assert in_url(page, "m_x_mode", "symmetric")
    widget(page, "m_x_mode").set_value("asymmetric").run()
    widget(page, "m_w_gran").set_value("tensor").run()
    assert_ok(page)
    assert sqnr(page) != before
    assert_results(page, lesson(Settings(w_granularity="tensor")))
    assert in_url(page, "m_w_gran", "tensor")


def test_llm_activations_need_scales_per_token(page):
    per_tensor = Settings(x_kind="llm_activations")
    per_token = Settings(x_kind="llm_activations", x_granularity="token")
    assert lesson(per_tensor).simulated.sqnr_db < lesson().simulated.sqnr_db
    assert lesson(per_token).simulated.sqnr_db > lesson(per_tensor).simulated.sqnr_db
    widget(page, "m_x_kind").set_value("llm_activations").run()
    assert_ok(page)
    assert sqnr(page) == fmt.db(lesson(per_tensor).simulated.sqnr_db)
    assert_results(page, lesson(per_tensor))
    widget(page, "m_x_gran").set_value("token").run()
    assert_ok(page)
    assert_results(page, lesson(per_token))
    assert in_url(page, "m_x_kind", "llm_activations") and in_url(page, "m_x_gran", "token")


def test_sizes_change_the_shape(page):
    widget(page, "m_tokens").set_value(16).run()
    assert_ok(page)
    assert shape_caption(16, 256, 128) in captions(page)
    widget(page, "m_features").set_value(64).run()
    assert_ok(page)
    assert shape_caption(16, 64, 128) in captions(page)
    widget(page, "m_out").set_value(8).run()
    assert_ok(page)
    assert shape_caption(16, 64, 8) in captions(page)
    # 16 x 8 outputs fit the heatmaps whole: no cut caption
    assert not [c for c in captions(page) if c.startswith(en("m.heat.cut", rows=0, columns=0,
                                                            m=0, n=0)[:20])]
    sizes = Settings(tokens=16, features=64, out_features=8)
    assert_results(page, lesson(sizes))
    assert metric(page, "m.cost.macs") == f"{16 * 64 * 8:,}"
    assert all(in_url(page, key, v) for key, v in (("m_tokens", 16), ("m_features", 64),
                                                    ("m_out", 8)))


def test_the_source_disables_what_it_fixes(page):
    widget(page, "m_source").set_value("slides").run()
    assert_ok(page)
    for key in SLIDE_FIXED:
        assert widget(page, key).disabled, key
    assert not widget(page, "m_source").disabled
    assert shape_caption(3, 3, 2) in captions(page)
    widget(page, "m_source").set_value("workspace").run()
    assert_ok(page)
    for key in SLIDE_FIXED:
        assert widget(page, key).disabled == (key in ("m_features", "m_out")), key
    assert en("m.inputs.workspace") in captions(page)
    # w is the default 64 x 256 workspace tensor: 64 outputs of 256 features
    assert shape_caption(64, 256, 64) in captions(page)


# --- presets and reset ---------------------------------------------------------------


def check_preset(at, name: str) -> None:
    assert_ok(at)
    assert not notices(at)
    assert en(f"m.preset.note.{name}") in markdown(at)
    for key, preset_value in controls.PRESETS[name].items():
        assert at.session_state[key] == preset_value, key
        assert widget(at, key).value == preset_value, key
    assert chart_keys(at) == list(CHARTS)
    expected = lesson(settings_of({**{c.key: c.default for c in TABLE.controls},
                                   **controls.PRESETS[name]}))
    assert shape_caption(*expected.shape) in captions(at)
    assert_results(at, expected)


@pytest.mark.parametrize("name", SMALL_PRESETS)
def test_every_preset_from_a_link(name):
    at = linked(name)
    check_preset(at, name)
    assert widget(at, "m_preset").value == name


def test_every_preset_from_the_selectbox(page):
    for name in SMALL_PRESETS:
        widget(page, "m_preset").set_value(name).run()
        check_preset(page, name)
        assert page.session_state["m_preset"] == name
        assert in_url(page, "m_preset", name)


def test_tiny_lists_every_integer():
    at = linked("tiny")
    assert_ok(at)
    tiny = lesson(settings_of(controls.PRESETS["tiny"])).tiny
    assert tiny is not None
    assert len(at.dataframe) == 5  # q_x, q_w, acc, the terms, then the cost table
    qx, qw, acc, terms = (df.value for df in at.dataframe[:4])
    assert qx.shape == (3, 5) and qw.shape == (2, 5) and acc.shape == (3, 2)
    np.testing.assert_array_equal(qx.to_numpy(), tiny.qx)
    np.testing.assert_array_equal(qw.to_numpy(), tiny.qw)
    np.testing.assert_array_equal(acc.to_numpy(), tiny.acc)
    assert len(terms) == 6
    assert list(terms.columns) == [en(f"m.col.{name}") for name in tiny.terms_table()]
    assert list(terms[en("m.col.acc")]) == tiny.acc.reshape(-1).tolist()
    # both zero points are nonzero: all four terms of the accumulator show
    assert tiny.zx[0] != 0 and tiny.zw[0] != 0
    assert en("m.hood.qx", zero=fmt.num(tiny.zx[0])) in markdown(at)
    assert en("m.hood.qw", zero=fmt.num(tiny.zw[0])) in markdown(at)
    assert not [i for i in at.info if i.icon == ":material/zoom_in:"]


def test_tiny_works_output_zero_through_in_latex():
    at = linked("tiny")
    report = lesson(settings_of(controls.PRESETS["tiny"]))
    lines = matmul.latex(report)[2:]
    assert len(lines) == 3
    assert len(at.latex) == len(lines)
    for shown, line in zip(at.latex, lines, strict=True):
        assert line in shown.value
    assert rf"= {int(report.tiny.acc[0, 0])}" in at.latex[0].value
    assert en("m.hood.requant", scale=fmt.num(report.tiny.out_scale, 4),
              zero=report.tiny.out_zero_point) in captions(at)


def test_slides_give_the_slides_accumulators():
    at = linked("slides")
    assert_ok(at)
    assert len(at.dataframe) == 5
    acc = at.dataframe[2].value
    assert acc.to_numpy().tolist() == SLIDE_ACC
    assert lesson(Settings(source="slides")).tiny.acc.tolist() == SLIDE_ACC
    for key in SLIDE_FIXED:
        assert widget(at, key).disabled, key


def test_LARGE_PRESET_1024x4096_by_4096x4096():
    """THE LARGE PRESET, run once: 17 billion multiply-adds three ways, plus the timing
    (6 to 11 s on a 2-core machine). Skipped when it takes longer than LARGE_BUDGET_S seconds."""
    start = time.perf_counter()
    at = open_app("matmul", {"m_preset": "large"})
    took = time.perf_counter() - start
    if took > LARGE_BUDGET_S:
        pytest.skip(f"the large preset took {took:.1f} s (budget {LARGE_BUDGET_S} s)")
    assert_ok(at)
    assert not notices(at)
    assert en("m.preset.note.large") in markdown(at)
    assert shape_caption(1024, 4096, 4096) in captions(at)
    assert en("m.heat.cut", rows=matmul.HEAT, columns=matmul.HEAT, m=1024, n=4096) in \
        captions(at)
    assert chart_keys(at) == list(CHARTS)
    assert metric(at, "m.cost.macs") == f"{1024 * 4096 * 4096:,}"
    assert agree(at)


def test_reset_restores_every_control(page):
    widget(page, "m_preset").set_value("llm").run()
    widget(page, "m_tokens").set_value(8).run()
    widget(page, "m_preset").set_value("tiny").run()
    widget(page, "ws_kind").set_value("laplace").run()
    assert_ok(page)
    changed = {key: page.session_state[key] for key in controls.PRESETS["tiny"]
               if key in ("m_tokens", "m_features", "m_out", "m_w_mode", "m_w_gran")}
    assert all(changed[key] != TABLE[key].default for key in changed), changed
    next(b for b in page.button if b.label == en("m.reset")).click().run()
    assert_ok(page)
    for control in TABLE.controls:
        assert page.session_state[control.key] == control.default, control.key
        shown = widget(page, control.key)
        if shown is not None:  # the maths expander has no value to read
            assert shown.value == control.default, control.key
    assert not any(key.startswith("m_") for key in page.query_params)
    assert page.session_state["ws_kind"] == "laplace"  # the workspace keeps its tensor
    assert widget(page, "ws_kind").value == "laplace"
    assert en("m.preset.note.tiny") not in markdown(page)
    assert shape_caption(64, 256, 128) in captions(page)
    assert_results(page, lesson())


# --- the maths -----------------------------------------------------------------------


def test_the_maths_open_from_a_link():
    at = open_app("matmul", {"m_maths": "true"})
    assert_ok(at)
    expected = matmul.latex(lesson())
    assert len(expected) == 2  # no tiny example at the defaults: the formulas alone
    assert len(at.latex) == len(expected)
    for shown, line in zip(at.latex, expected, strict=True):
        assert line in shown.value
    assert en("m.maths.intro") in markdown(at)
    assert en("m.maths.code") in markdown(at)
    assert any(i.value == en("m.maths.note") for i in at.info)
    assert len(at.code) == 1 and "quantized_matmul" in at.code[0].value
    assert at.code[0].value == matmul.CODE


# --- the workspace as w --------------------------------------------------------------


def test_a_workspace_tensor_is_w():
    at = open_app("matmul", {"m_source": "workspace", "ws_rows": "16", "ws_cols": "64"})
    assert_ok(at)
    assert not notices(at)
    assert en("m.inputs.workspace") in captions(at)
    assert shape_caption(64, 64, 16) in captions(at)  # n = 16 outputs of k = 64 features
    w = ql.generate("normal", (16, 64))
    assert_results(at, matmul.report(w, Settings(source="workspace")))
    assert chart_keys(at) == list(CHARTS)


def test_a_workspace_with_too_many_features_is_refused():
    too_wide = max(matmul.FEATURES) * 2
    at = open_app("matmul", {"m_source": "workspace", "ws_rows": "1",
                             "ws_cols": str(too_wide)})
    assert not at.exception, [e.value for e in at.exception]
    assert not notices(at)  # the workspace allows it; the page refuses it as w
    lead = en("m.invalid", reason="")
    refused = [e.value for e in at.error]
    assert len(refused) == 1 and refused[0].startswith(lead)
    assert str(too_wide) in refused[0].replace("\\", "")
    # the page stops there, but its controls stay usable
    assert not chart_keys(at) and not at.metric
    assert widget(at, "m_source").value == "workspace"
    widget(at, "m_source").set_value("generate").run()
    assert_ok(at)
    assert chart_keys(at) == list(CHARTS)


@pytest.mark.parametrize("constant", ["0", "3"])
def test_a_constant_workspace_tensor(constant):
    at = open_app("matmul", {"m_source": "workspace", "ws_kind": "constant",
                             "ws_constant_value": constant})
    assert_ok(at)
    assert not notices(at)
    w = ql.generate("constant", (64, 256), value=float(constant))
    report = matmul.report(w, Settings(source="workspace"))
    assert_results(at, report)
    assert agree(at)
    assert chart_keys(at) == list(CHARTS)
    if constant == "0":  # y = 0 everywhere, exactly, on every path
        assert sqnr(at) == sqnr(at, "integer") == "∞ dB"
        assert metric(at, "m.metric.rel", path=en("m.path.integer")) == "0%"
        assert metric(at, "m.overflow.largest") == "0"


# --- hostile lesson links ------------------------------------------------------------


# ``?m_x_mode=%00`` reaches the page decoded: one NUL character.
HOSTILE = {"m_tokens": ("1e9", 1024), "m_features": ("-5", 2), "m_out": ("abc", 128),
           "m_source": ("<script>", "generate"), "m_x_mode": ("\x00", "asymmetric")}


def test_hostile_link_values_are_clamped_with_notices():
    at = open_app("matmul", {key: text for key, (text, _) in HOSTILE.items()})
    assert_ok(at)
    said = notices(at)
    assert len(said) == len(HOSTILE)
    for key, (_, used) in HOSTILE.items():
        assert widget(at, key).value == used, key
        assert at.session_state[key] == used, key
        assert sum(key.replace("_", "\\_") in line for line in said) == 1, key
    assert not [line for line in said if "<script>" in line]  # escaped, never HTML
    assert shape_caption(1024, 2, 128) in captions(at)
    assert_results(at, lesson(Settings(tokens=1024, features=2)))
    assert chart_keys(at) == list(CHARTS)


# --- the page in Vietnamese ----------------------------------------------------------


def test_vietnamese_after_a_switch(page, outside_language):
    vi = catalogue("vi")
    before = [m.value for m in page.metric]
    widget(page, i18n.LANG_KEY).set_value("vi").run()
    outside_language("vi")
    assert_ok(page)
    assert page.title[0].value == vi["m.title"] != en("m.title")
    assert widget(page, "m_x_mode", "vi") is not None and widget(page, "m_x_mode") is None
    assert [m.value for m in page.metric] == before
    assert vi["m.metric.sqnr"].format(path=vi["m.path.simulated"]) in \
        [m.label for m in page.metric]
    assert chart_keys(page) == list(CHARTS)
    widget(page, "m_w_gran", "vi").set_value("tensor").run()
    assert_ok(page)
    assert page.session_state["m_w_gran"] == "tensor"


def test_slides_storage_counts_the_one_scale_it_has():
    """Seed 002's slide has one scale (1/127) and no zero point, whatever the greyed-out w
    controls say: INT8 is 6 bytes of codes and 4 of scale."""
    for query in ({"m_source": "slides"},
                  {"m_source": "slides", "m_w_mode": "asymmetric", "m_w_gran": "tensor"}):
        report = matmul.report(None, matmul.Settings(source="slides"))
        assert {s.name: s.bytes for s in report.storage}["int8"] == 10
        at = open_app("matmul", query)
        assert_ok(at)
        table = next(df.value for df in at.dataframe if en("m.col.format") in df.value.columns)
        assert list(table[en("m.col.bytes")])[2] == "10 B"


def test_under_the_hood_lists_every_zero_point_when_they_differ():
    at = open_app("matmul", {"m_tokens": "3", "m_features": "5", "m_out": "2",
                             "m_x_kind": "normal", "m_x_gran": "token",
                             "m_w_mode": "asymmetric"})
    assert_ok(at)
    tiny = matmul.report(None, matmul.Settings(
        tokens=3, features=5, out_features=2, x_kind="normal", x_granularity="token",
        w_mode="asymmetric")).tiny
    assert len(set(tiny.zx.tolist())) > 1 and len(set(tiny.zw.tolist())) > 1
    texts = [m.value for m in at.markdown]
    assert en("m.hood.qx", zero=tiny.zx_text) in texts
    assert en("m.hood.qw", zero=tiny.zw_text) in texts
    assert ", " in tiny.zx_text and ", " in tiny.zw_text
