"""Charts of one quantity against another: the staircase and the error against x."""

from __future__ import annotations

import numpy as np

from lessons.binned import ErrorCloud, Staircase

from . import base

# Point clouds: a few values get big dots, a few thousand small ones.
FEW_POINTS, BIG_MARKER, SMALL_MARKER = 64, 8, 4
_STAIR_HOVER = "x = %{x:.4g}<br>x̂ = %{y:.4g}<br>q = %{customdata}<extra></extra>"
_POINT_HOVER = "x = %{x:.6g}<br>x̂ − x = %{y:.4g}<extra></extra>"
_CELL_HOVER = "x ≈ %{x:.4g}<br>x̂ − x ≈ %{y:.4g}<br>log₁₀ n = %{z:.2f}<extra></extra>"


def staircase(s: Staircase, names: dict[str, str]) -> dict:
    """x -> x_hat as a staircase against the identity, with the integer code on the right."""
    lo, hi = float(s.x[0]), float(s.x[-1])
    data = [
        {"type": "scatter", "x": [lo, hi], "y": [lo, hi], "mode": "lines",
         "name": names["identity"], "line": {"color": base.COLOR_IDENTITY, "dash": "dash"},
         "hoverinfo": "skip"},
        {"type": "scatter", "x": s.x.astype(np.float32), "y": s.x_hat.astype(np.float32),
         "mode": "lines", "name": names["staircase"],
         "line": {"color": base.COLOR_X_HAT, "width": 2.5},
         "customdata": s.q.astype(np.int32), "hovertemplate": _STAIR_HOVER},
    ]
    extra = {}
    if s.q_axis is not None:
        # The right axis shows q: x_hat = (q - z) * s is linear, so matching ranges line up.
        data.append({"type": "scatter", "x": [lo, hi], "y": list(s.q_axis), "yaxis": "y2",
                     "mode": "markers", "showlegend": False, "marker": {"opacity": 0},
                     "hoverinfo": "skip"})
        # Integer ticks of their own: synced ticks would land on codes such as 3.93.
        extra["yaxis2"] = {"range": list(s.q_axis), "overlaying": "y", "side": "right",
                           "title": {"text": names["code"]}, "showgrid": False,
                           "tickmode": "linear", "tick0": 0,
                           "dtick": base.integer_step(abs(s.q_axis[1] - s.q_axis[0])),
                           "automargin": True}
    return {"data": data, "layout": base.layout(
        names["input"], names["output"], yaxis={"range": [lo, hi]},
        shapes=base.outside((lo, hi), s.clip), **extra)}


def error_cloud(c: ErrorCloud, names: dict[str, str]) -> dict:
    """(x, x_hat - x): the rounding band inside the range, clipping outside.

    Every value is a dot when ``c.points`` is given; otherwise a heatmap of log10 counts.
    """
    if c.points is not None:
        size = BIG_MARKER if c.points.shape[1] <= FEW_POINTS else SMALL_MARKER
        data = [{"type": "scatter", "x": c.points[0], "y": c.points[1], "mode": "markers",
                 "marker": {"color": base.COLOR_ACCENT, "size": size},
                 "hovertemplate": _POINT_HOVER}]
    else:
        with np.errstate(divide="ignore"):
            z = np.where(c.counts > 0, np.log10(c.counts), np.nan).T.astype(np.float32)
        data = [{"type": "heatmap", "x": base.centers(c.x_edges), "y": base.centers(c.error_edges),
                 "z": z, "colorscale": "Viridis",
                 "colorbar": {"title": {"text": names["log_count"]}},
                 "hovertemplate": _CELL_HOVER}]
    shapes = []
    if c.half_step is not None:
        shapes = [base.line(sign * c.half_step, horizontal=True) for sign in (-1, 1)]
    shapes += base.outside((float(c.x_edges[0]), float(c.x_edges[-1])), c.clip)
    return {"data": data, "layout": base.layout(names["input"], names["error_axis"],
                                                shapes=shapes)}
