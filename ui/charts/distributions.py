"""Histograms: a tensor's values with the quantization levels, and the error."""

from __future__ import annotations

import numpy as np

from lessons.binned import ErrorHistogram, LevelHistogram

from . import base


def level_histogram(h: LevelHistogram, names: dict[str, str], *, log_y: bool = False) -> dict:
    """Histogram of x (and x_hat on the same bins), the levels, and the clipped regions.

    ``names``: the legend texts of ``x``, ``x_hat`` and ``levels``, and the axis titles
    ``value`` and ``count``.
    """
    centers, width = base.centers(h.edges), float(h.edges[1] - h.edges[0])
    data = [{"type": "bar", "x": centers, "y": h.counts.astype(np.int32), "width": width,
             "name": names["x"], "marker": {"color": base.COLOR_X}, "opacity": 0.55}]
    top = int(max(h.counts.max(), 1))
    if h.counts_hat is not None:
        data.append({"type": "bar", "x": centers, "y": h.counts_hat.astype(np.int32),
                     "width": width, "name": names["x_hat"],
                     "marker": {"color": base.COLOR_X_HAT}, "opacity": 0.75})
        top = max(top, int(h.counts_hat.max()))
    if h.levels is not None:
        inside = h.levels[(h.levels >= h.edges[0]) & (h.levels <= h.edges[-1])]
        lx, ly = base.vlines(inside, float(top))
        data.append({"type": "scatter", "x": lx, "y": ly, "mode": "lines",
                     "name": names["levels"], "hoverinfo": "skip",
                     "line": {"color": base.COLOR_X_HAT, "width": 1, "dash": "dot"}})
    display = (float(h.edges[0]), float(h.edges[-1]))
    return {"data": data, "layout": base.layout(
        names["value"], names["count"], barmode="overlay", shapes=base.outside(display, h.clip),
        yaxis={"type": "log"} if log_y else {})}


def error_histogram(e: ErrorHistogram, names: dict[str, str]) -> dict:
    """Histogram of x_hat - x, with ±s/2 (the largest rounding error) marked."""
    data = [{"type": "bar", "x": base.centers(e.edges), "y": e.counts.astype(np.int32),
             "width": float(e.edges[1] - e.edges[0]), "name": names["error"],
             "marker": {"color": base.COLOR_ACCENT}}]
    shapes, notes = [], []
    if e.half_step is not None:
        shapes = [base.line(sign * e.half_step) for sign in (-1, 1)]
        notes = [{"x": e.half_step, "y": 1, "yref": "paper", "text": "±s/2", "showarrow": False,
                  "xanchor": "left", "font": {"color": base.COLOR_CLIP}}]
    return {"data": data, "layout": base.layout(names["error_axis"], names["count"],
                                                shapes=shapes, annotations=notes)}
