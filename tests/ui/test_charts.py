"""The figure builders of ui.charts, fed with what lessons.uniform.report really produces.

Every spec must pass plotly's full validation (the app skips it on every rerun, so this is
the only place it happens), stay small whatever the tensor, and draw the clipped regions
only where clipping is.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np
import plotly.io as pio
import pytest

import quantlib as ql
from lessons import uniform
from quantlib.qtypes import Layout
from ui import charts, fmt
from ui.charts import base

NAMES = {name: name for name in charts.LABELS}
#: The design's budget for one chart's JSON.
MAX_PAYLOAD_BYTES = 300 * 1000
#: "About the same size": a 16M-element tensor's chart within this factor of a 1k one's.
SIZE_FACTOR = 2
DEFAULT_SHAPE = (64, 256)
SMALL_SHAPE, BIG_SHAPE = (32, 32), (4096, 4096)
#: A tensor this small is drawn as points in the error cloud (no heatmap).
POINTS_SIZE = 16


def _normal(shape=DEFAULT_SHAPE) -> np.ndarray:
    return ql.generate("normal", shape)


def _manual(lo: float, hi: float) -> uniform.Settings:
    return uniform.Settings(method="manual", manual_range=(lo, hi))


CASES = {
    "normal-64x256": (_normal, uniform.Settings()),
    "single-value": (lambda: np.array([0.7], dtype=np.float32), uniform.Settings()),
    "all-zeros": (lambda: np.zeros(DEFAULT_SHAPE, dtype=np.float32), uniform.Settings()),
    "constant": (lambda: np.full(DEFAULT_SHAPE, 3.0, dtype=np.float32), uniform.Settings()),
    "16-values": (lambda: _normal((POINTS_SIZE,)), uniform.Settings()),
    "per-channel": (_normal, uniform.Settings(layout=Layout.channel(0), focus=3)),
    "per-group": (_normal, uniform.Settings(layout=Layout.group(64, -1), focus=5)),
    "manual-1e-320": (_normal, _manual(-1e-320, 1e-320)),
    "manual-1e308": (_normal, _manual(-1e308, 1e308)),
    "manual-3.4e38": (_normal, _manual(-3.4e38, 3.4e38)),
    "manual-1": (_normal, _manual(-1.0, 1.0)),
}
MANUAL_CASES = [name for name in CASES if name.startswith("manual-")]


@cache
def _case(name: str) -> tuple[np.ndarray, uniform.Report]:
    make, settings = CASES[name]
    x = make()
    return x, uniform.report(x, settings)


def _specs(report: uniform.Report) -> dict[str, dict]:
    return {
        "level_histogram": charts.level_histogram(report.histogram, NAMES),
        "level_histogram-log_y": charts.level_histogram(report.histogram, NAMES, log_y=True),
        "staircase": charts.staircase(report.staircase, NAMES),
        "error_histogram": charts.error_histogram(report.errors, NAMES),
        "error_cloud": charts.error_cloud(report.cloud, NAMES),
    }


BUILDERS = ("level_histogram", "level_histogram-log_y", "staircase", "error_histogram",
            "error_cloud")


def _payload(spec: dict) -> int:
    return len(pio.to_json(charts.figure(spec), validate=False).encode())


def _rects(spec: dict) -> list[dict]:
    return [s for s in spec["layout"].get("shapes", []) if s["type"] == "rect"]


@pytest.fixture(scope="module")
def big_and_small() -> dict[str, dict[str, dict]]:
    """The charts of a 16M-element tensor and of a 1k one (the big one built once)."""
    return {"small": _specs(uniform.report(ql.generate("normal", SMALL_SHAPE))),
            "big": _specs(uniform.report(ql.generate("normal", BIG_SHAPE)))}


# --- every builder, every case: a valid, small spec ---------------------------------


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("case", CASES)
def test_spec_passes_plotly_validation(case, builder):
    spec = _specs(_case(case)[1])[builder]
    assert set(spec) == {"data", "layout"}
    charts.validate(spec)  # raises on any property plotly does not accept


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("case", CASES)
def test_payload_within_budget(case, builder):
    assert _payload(_specs(_case(case)[1])[builder]) <= MAX_PAYLOAD_BYTES


def test_small_tensor_is_drawn_as_points():
    cloud = _case("16-values")[1].cloud
    assert cloud.points is not None and cloud.counts is None
    spec = charts.error_cloud(cloud, NAMES)
    assert [trace["type"] for trace in spec["data"]] == ["scatter"]
    assert len(spec["data"][0]["x"]) == POINTS_SIZE


def test_log_y_sets_a_log_axis():
    histogram = _case("normal-64x256")[1].histogram
    assert charts.level_histogram(histogram, NAMES, log_y=True)["layout"]["yaxis"]["type"] == "log"
    assert "type" not in charts.level_histogram(histogram, NAMES)["layout"]["yaxis"]


@pytest.mark.parametrize("builder", BUILDERS)
def test_big_tensor_payload_within_budget(big_and_small, builder):
    assert _payload(big_and_small["big"][builder]) <= MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("builder", BUILDERS)
def test_payload_does_not_grow_with_the_tensor(big_and_small, builder):
    """The error cloud switches from points (small tensors) to a fixed heatmap, so its two
    sizes differ; every other chart is binned the same way whatever the tensor."""
    big, small = (_payload(big_and_small[size][builder]) for size in ("big", "small"))
    factor = MAX_PAYLOAD_BYTES / small if builder == "error_cloud" else SIZE_FACTOR
    assert small / SIZE_FACTOR <= big <= small * factor, (big, small)


# --- the clipped regions --------------------------------------------------------------


@pytest.mark.parametrize("builder", ["level_histogram", "error_cloud"])
@pytest.mark.parametrize("case", ["single-value", "all-zeros"])
def test_nothing_clipped_draws_no_band(case, builder):
    spec = _specs(_case(case)[1])[builder]
    assert _rects(spec) == []


@pytest.mark.parametrize("case", ["single-value", "all-zeros"])
def test_nothing_clipped_caption_says_zero(case):
    report = _case(case)[1]
    assert fmt.pct(report.focus_clipped) == "0%"
    assert fmt.pct(report.metrics["clipped_fraction"]) == "0%"


@pytest.mark.parametrize("builder", ["level_histogram", "staircase", "error_cloud"])
@pytest.mark.parametrize("case", ["manual-1e-320", "manual-1"])
def test_values_beyond_manual_range_are_banded_on_both_sides(case, builder):
    x, report = _case(case)
    lo, hi = CASES[case][1].manual_range
    assert x.min() < lo and x.max() > hi  # the premise: data on both sides of the range
    rects = _rects(_specs(report)[builder])
    assert any(r["x0"] <= x.min() and r["x1"] <= lo for r in rects), rects
    assert any(r["x1"] >= x.max() and r["x0"] >= hi for r in rects), rects


@pytest.mark.parametrize("builder", ["level_histogram", "staircase", "error_cloud"])
@pytest.mark.parametrize("case", MANUAL_CASES)
def test_bands_lie_outside_the_manual_range(case, builder):
    lo, hi = CASES[case][1].manual_range
    for rect in _rects(_specs(_case(case)[1])[builder]):
        assert rect["x0"] < rect["x1"]
        assert rect["x1"] <= lo or rect["x0"] >= hi, rect


# --- axes -------------------------------------------------------------------------------


@pytest.mark.parametrize("span", [0, 1, 15, 255, 1e300, math.inf, -math.inf, math.nan, -1],
                         ids=["0", "1", "15", "255", "1e300", "inf", "-inf", "nan", "-1"])
def test_integer_step_is_a_positive_int(span):
    step = base.integer_step(span)
    assert type(step) is int and step > 0


@pytest.mark.parametrize("span", [7, 15, 100, 255, 65535, 1e300], ids=str)
def test_integer_step_gives_about_ticks_ticks(span):
    ticks = 6
    step = base.integer_step(span, ticks)
    # A 1-2-5 step: at least span/ticks, and less than the next 1-2-5 value above it.
    assert span / ticks <= step < span / ticks * 2.5


def test_staircase_without_code_axis_has_no_yaxis2():
    stair = _case("manual-1e-320")[1].staircase
    assert stair.q_axis is None  # the premise: this range's code axis would overflow
    spec = charts.staircase(stair, NAMES)
    assert "yaxis2" not in spec["layout"]
    assert all(trace.get("yaxis") != "y2" for trace in spec["data"])
    charts.validate(spec)


def test_staircase_code_axis_is_dropped_when_none():
    stair = _case("normal-64x256")[1].staircase
    with_axis = charts.staircase(stair, NAMES)
    without = charts.staircase(dataclasses.replace(stair, q_axis=None), NAMES)
    assert "yaxis2" in with_axis["layout"]
    assert "yaxis2" not in without["layout"]
    assert len(without["data"]) == len(with_axis["data"]) - 1


# --- bars with reference lines --------------------------------------------------------

BAR_NAMES = {"x": "format", "y": "gb"}
LINES = {"consumer GPU": 24.0, "datacenter GPU": 80.0, "laptop": 8.0, "phone": 4.0}


@pytest.mark.parametrize("count", range(len(LINES) + 1), ids=lambda n: f"{n}-lines")
def test_bars_with_lines_one_legend_entry_per_line(count):
    lines = dict(list(LINES.items())[:count])
    spec = charts.bars_with_lines(["FP32", "FP16", "INT4"], [28.0, 14.0, 3.5],
                                  ["28 GB", "14 GB", "3.5 GB"], lines, BAR_NAMES,
                                  "%{x}: %{y} GB<extra></extra>")
    charts.validate(spec)
    legend = [trace["name"] for trace in spec["data"] if trace.get("showlegend", True)]
    assert legend == list(lines)
    drawn = [s["y0"] for s in spec["layout"]["shapes"] if s["type"] == "line"]
    assert drawn == list(lines.values())
