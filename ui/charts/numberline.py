"""A number line cut into intervals: which stretch of reals goes to which value."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import base
from .lines import LOG_AXIS

BAND_WIDTH = 18
# Neighbouring intervals alternate between a light and the house blue.
BAND_LIGHT = "#9ECAE9"
# Where zero sits, as a share of the view from its left end.
ZERO_INSET = 0.015
HEIGHT = 230
_HOVER = "%{customdata}<extra></extra>"


def interval_line(lows: np.ndarray, highs: np.ndarray, values: np.ndarray,
                  hover: Sequence[str], labels: Sequence[str], names: tuple[str, str, str],
                  x_title: str, *, view: tuple[float, float],
                  tail: tuple[float, str] | None = None) -> dict:
    """Intervals [lows[i], highs[i]] in alternating colours on a log axis over ``view``
    (log10 units), each value a point with its ``hover`` text and optional label.

    Ends beyond the view (0, inf) are drawn at its edge. ``names``: the intervals, the
    values and the tail; ``tail`` = (where it starts, its hover text), drawn to the right
    edge in the warning colour.
    """
    left, right = 10.0 ** view[0], 10.0 ** view[1]
    # Zero (and the stretch rounding to it) starts a little inside the left end, where
    # its label is not cut off.
    zero = 10.0 ** (view[0] + ZERO_INSET * (view[1] - view[0]))

    def inside(v: float) -> float:
        return min(max(float(v), left), right)

    def mark(v: float) -> float:
        return zero if v <= 0 else inside(v)

    bands = ([], []), ([], [])
    for i, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
        xs, ys = bands[i % 2]
        xs += [inside(lo), inside(hi), None]
        ys += [0, 0, None]
    data = [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip",
             "line": {"width": BAND_WIDTH, "color": color}, "name": names[0],
             "showlegend": k == 0, "legendgroup": "bands"}
            for k, ((xs, ys), color) in enumerate(zip(bands, (BAND_LIGHT, base.COLOR_X),
                                                      strict=True))]
    data.append({"type": "scatter", "x": [mark(v) for v in values], "y": [0] * len(values),
                 "mode": "markers+text", "text": list(labels), "textposition": "top center",
                 "customdata": list(hover), "hovertemplate": _HOVER, "name": names[1],
                 "marker": {"size": 7, "color": "black", "symbol": "line-ns-open",
                            "line": {"width": 2}}})
    if tail is not None and math.isfinite(tail[0]):
        data.append({"type": "scatter", "x": [inside(tail[0]), right], "y": [0, 0],
                     "mode": "lines", "line": {"width": BAND_WIDTH, "color": base.COLOR_CLIP},
                     "name": names[2], "customdata": [tail[1], tail[1]],
                     "hovertemplate": _HOVER})
    return {"data": data, "layout": base.layout(
        x_title, "", height=HEIGHT, xaxis={**LOG_AXIS, "range": list(view)},
        yaxis={"visible": False, "range": [-1, 1.6]}, hovermode="closest")}
