"""Line charts and histograms with named vertical markers (a method's range, a pick)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import base

MARKER_WIDTH = 2.5
POINT_SIZE = 5
# Log axes: ticks on whole decades, written 10⁻⁴ (not 100µ: an MSE is not in micro-units).
LOG_AXIS = {"type": "log", "dtick": 1, "exponentformat": "power"}
# At most about this many decade ticks on a log axis.
LOG_TICKS = 10
# Data spanning fewer decades than this get ticks at 1, 2 and 5 times each power of ten.
FEW_DECADES = 2


def _log_axis(values: list, shown: tuple[float, float] | None = None) -> dict:
    """A log axis with a tick every 1, 2, 3... decades: about LOG_TICKS ticks, however
    many decades the data (or the ``shown`` range, in log10 units) span."""
    if shown is not None:
        decades = shown[1] - shown[0]
    else:
        positive = [v for v in values if v is not None and v > 0]
        decades = math.log10(max(positive) / min(positive)) if positive else 1.0
    if shown is None and decades < FEW_DECADES and positive:
        return _few_decades(min(positive), max(positive))
    return {**LOG_AXIS, "dtick": max(1, math.ceil(decades / LOG_TICKS))}


def _few_decades(low: float, high: float) -> dict:
    """Ticks at 1, 2 and 5 times the powers of ten, written out in full (a log axis over
    a decade or two would otherwise show one tick, or a bare "2" and "5")."""
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(low)) - 1,
                                          math.ceil(math.log10(high)) + 1) for m in (1, 2, 5)]
    ticks = [v for v in ticks if low / 2.5 <= v <= high * 2.5]
    return {"type": "log", "tickvals": ticks, "ticktext": [f"{v:g}" for v in ticks]}


@dataclass(frozen=True)
class Marker:
    """Vertical lines at ``xs``, named once in the legend."""

    name: str
    xs: tuple[float, ...]
    color: str
    dash: str = "dash"


@dataclass(frozen=True, eq=False)
class Series:
    """One line: ``y`` against ``x`` (NaN leaves a gap)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dash: str = "solid"
    width: float = 2.5
    shape: str = "linear"  # "hv" draws steps
    points: bool = False


def _finite_list(values) -> list:
    """Plain floats with None for NaN/inf (a gap), which every JSON encoder accepts."""
    arr = np.asarray(values, dtype=np.float64)
    return [float(v) if np.isfinite(v) else None for v in arr]


def _markers(markers: Sequence[Marker]) -> tuple[list[dict], list[dict]]:
    """Shapes spanning the plot's height (right on log axes too) and legend-only traces."""
    shapes, legend = [], []
    for m in markers:
        style = {"color": m.color, "dash": m.dash, "width": MARKER_WIDTH}
        shapes += [{"type": "line", "xref": "x", "x0": float(x), "x1": float(x), "yref": "paper",
                    "y0": 0, "y1": 1, "line": style} for x in m.xs if np.isfinite(x)]
        legend.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                       "line": style, "name": m.name})
    return shapes, legend


def marked_histogram(edges: np.ndarray, counts: np.ndarray, markers: Sequence[Marker],
                     names: dict[str, str], *, log_y: bool = False) -> dict:
    """A histogram with vertical markers; ``names``: ``x`` (the bars), ``value``, ``count``."""
    shapes, legend = _markers(markers)
    bars = {"type": "bar", "x": base.centers(edges), "y": counts.astype(np.int32),
            "width": float(edges[1] - edges[0]), "name": names["x"],
            "marker": {"color": base.COLOR_X}, "opacity": 0.6}
    return {"data": [bars, *legend], "layout": base.layout(
        names["value"], names["count"], shapes=shapes, yaxis=LOG_AXIS if log_y else {})}


def line_chart(series: Sequence[Series], markers: Sequence[Marker], x_title: str,
               y_title: str, *, log_y: bool = False, hover: str | None = None,
               x_range: tuple[float, float] | None = None,
               y_range: tuple[float, float] | None = None, x_step: float | None = None,
               log_x: bool = False) -> dict:
    """Lines (``Series``) with vertical markers; log-scale y on request. Fixed axis ranges
    (and an x tick step) keep the frames of an animation on one scale."""
    shapes, legend = _markers(markers)
    data = []
    xs, ys = [], []
    for s in series:
        trace = {"type": "scatter", "x": _finite_list(s.x), "y": _finite_list(s.y),
                 "mode": "lines+markers" if s.points else "lines", "name": s.name,
                 "line": {"color": s.color, "dash": s.dash, "width": s.width,
                          "shape": s.shape}, "marker": {"size": POINT_SIZE}}
        if hover:
            trace["hovertemplate"] = hover
        data.append(trace)
        xs += trace["x"]
        ys += trace["y"]
    xaxis = _log_axis(xs, x_range) if log_x else {}
    if x_range:
        xaxis["range"] = list(x_range)
    if x_step:
        xaxis["dtick"] = x_step
    yaxis = _log_axis(ys, y_range) if log_y else {}
    if y_range:
        yaxis["range"] = list(y_range)
    return {"data": [*data, *legend], "layout": base.layout(
        x_title, y_title, shapes=shapes, xaxis=xaxis, yaxis=yaxis)}
