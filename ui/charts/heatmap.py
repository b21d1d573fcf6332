"""Heatmaps of matrices: positive values on a log colour scale (scales per row, column or
group), signed values on a diverging one centred on 0 (a matmul's output and its error)."""

from __future__ import annotations

import numpy as np

from . import base

_HOVER = "%{customdata}<extra></extra>"
# A heatmap of this many rows or fewer is drawn as a strip this high (pixels).
FEW_ROWS, STRIP_HEIGHT = 4, 220
# Cells are drawn apart (a 1-pixel gap) along an axis of at most this many.
GAP_CELLS = 24


def _matrix_layout(rows: int, columns: int, x_title: str, y_title: str, height: int) -> dict:
    """Row 0 on top, whole-number ticks (none along an axis of one cell); a strip of few
    rows is drawn low."""
    xaxis = {"dtick": base.integer_step(columns), "showticklabels": columns > 1}
    yaxis = {"autorange": "reversed", "dtick": base.integer_step(rows),
             "showticklabels": rows > 1}
    if rows <= FEW_ROWS:
        height = min(height, STRIP_HEIGHT)
    return base.layout(x_title, y_title, height=height, hovermode="closest", xaxis=xaxis,
                       yaxis=yaxis)


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
    return {"data": data, "layout": _matrix_layout(rows, columns, x_title, y_title, height)}


def signed_heatmap(z: np.ndarray, x_title: str, y_title: str, color_title: str, *,
                   hover: str, height: int = base.HEIGHT, span: float | None = None) -> dict:
    """Cells of a signed matrix on a diverging scale centred on 0 (blue below, red above),
    symmetric about 0 up to ``span`` (default: the largest |z|), so that two maps with
    the same ``span`` compare cell by cell. ``hover`` is a plotly template of %{x},
    %{y} and %{z}. Row 0 is on top, as in a matrix."""
    z = np.asarray(z, np.float64)
    top = float(np.max(np.abs(z))) if z.size else 0.0
    span = span if span and span > 0 else (top if top > 0 else 1.0)
    rows, columns = z.shape
    # float32 is plenty for colours and hovers, and goes to the browser as compact binary.
    data = [{"type": "heatmap", "z": z.astype(np.float32), "x": list(range(columns)),
             "y": list(range(rows)), "zmin": -span, "zmax": span, "zmid": 0.0,
             "colorscale": "RdBu", "reversescale": False, "hovertemplate": hover,
             "xgap": 1 if columns <= GAP_CELLS else 0, "ygap": 1 if rows <= GAP_CELLS else 0,
             "colorbar": {"title": {"text": color_title}}}]
    return {"data": data, "layout": _matrix_layout(rows, columns, x_title, y_title, height)}
