"""A heatmap of positive values on a log colour scale (scales per row, column or group)."""

from __future__ import annotations

import numpy as np

from . import base

_HOVER = "%{customdata}<extra></extra>"
# A heatmap of this many rows or fewer is drawn as a strip this high (pixels).
FEW_ROWS, STRIP_HEIGHT = 4, 220
# Cells are drawn apart (a 1-pixel gap) along an axis of at most this many.
GAP_CELLS = 24


def log_heatmap(z: np.ndarray, hover: list[list[str]], x_title: str, y_title: str,
                color_title: str, *, height: int = base.HEIGHT) -> dict:
    """Cells coloured by log10 of ``z`` (values <= 0 are left blank); the colour bar is
    labelled in the values themselves, and each cell's hover is its ``hover`` text.
    Row 0 is on top, as in a matrix."""
    z = np.asarray(z, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(z > 0, np.log10(z), np.nan)
    finite = logs[np.isfinite(logs)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-9:  # one value: a colour bar needs a span
        lo, hi = lo - 0.5, hi + 0.5
    ticks = np.linspace(lo, hi, 3 if z.shape[0] <= FEW_ROWS else 5)
    cells = [[None if not np.isfinite(v) else float(v) for v in row] for row in logs]
    rows, columns = z.shape
    data = [{"type": "heatmap", "z": cells, "x": list(range(columns)), "y": list(range(rows)),
             "zmin": lo, "zmax": hi, "colorscale": "Viridis", "customdata": hover,
             "hovertemplate": _HOVER, "xgap": 1 if columns <= GAP_CELLS else 0,
             "ygap": 1 if rows <= GAP_CELLS else 0,
             "colorbar": {"title": {"text": color_title}, "tickvals": ticks.tolist(),
                          "ticktext": [f"{10 ** v:.3g}" for v in ticks]}}]
    # Whole-number ticks, none along an axis of one cell; a strip of few rows is low.
    xaxis = {"dtick": base.integer_step(columns), "showticklabels": columns > 1}
    yaxis = {"autorange": "reversed", "dtick": base.integer_step(rows),
             "showticklabels": rows > 1}
    if rows <= FEW_ROWS:
        height = min(height, STRIP_HEIGHT)
    return {"data": data, "layout": base.layout(
        x_title, y_title, height=height, hovermode="closest", xaxis=xaxis, yaxis=yaxis)}
