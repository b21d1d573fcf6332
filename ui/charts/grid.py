"""A grid of cells coloured by category, each labelled (every code of a small format)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import base

TEXT_SIZE = 11
_HOVER = "%{customdata}<extra></extra>"
# Pixels of a cell's click target, and the width of the marked cell's outline.
CELL_POINT = 26
OUTLINE = 3


def category_grid(kinds: np.ndarray, text: Sequence[Sequence[str]],
                  hover: Sequence[Sequence[str]], x_labels: Sequence[str],
                  y_labels: Sequence[str], categories: Sequence[str], colors: Sequence[str],
                  x_title: str, y_title: str, height: int = base.HEIGHT,
                  marked: int | None = None) -> dict:
    """Cells coloured by ``kinds`` (indices into ``categories``), labelled with ``text``;
    the first row on top, a legend of the categories as the colour bar.

    The cells can be clicked: an invisible point sits on each (heatmaps send no clicks),
    and point ``k`` is cell ``k`` in row-major order. Cell ``marked`` is outlined.
    """
    n = len(categories)
    scale = []
    for k, color in enumerate(colors[:n]):  # one flat band of colour per category
        scale += [[k / n, color], [(k + 1) / n, color]]
    data = [{"type": "heatmap", "z": kinds.astype(np.int32), "x": list(x_labels),
             "y": list(y_labels), "zmin": -0.5, "zmax": n - 0.5, "colorscale": scale,
             "text": [list(row) for row in text], "texttemplate": "%{text}",
             "textfont": {"size": TEXT_SIZE}, "hoverinfo": "skip", "xgap": 1, "ygap": 1,
             "colorbar": {"tickvals": list(range(n)), "ticktext": list(categories)}}]
    rows, columns = kinds.shape
    cell_x = [x_labels[k % columns] for k in range(rows * columns)]
    cell_y = [y_labels[k // columns] for k in range(rows * columns)]
    clear = {"marker": {"opacity": 0}}
    data.append({"type": "scatter", "x": cell_x, "y": cell_y, "mode": "markers",
                 "marker": {"size": CELL_POINT, "symbol": "square", "opacity": 0},
                 "selected": clear, "unselected": clear, "showlegend": False,
                 "customdata": [h for row in hover for h in row], "hovertemplate": _HOVER})
    # A category axis puts cell k at position k: the outline spans the cell around it.
    shapes = [] if marked is None else [{
        "type": "rect", "x0": marked % columns - 0.5, "x1": marked % columns + 0.5,
        "y0": marked // columns - 0.5, "y1": marked // columns + 0.5,
        "line": {"color": "black", "width": OUTLINE}}]
    return {"data": data, "layout": base.layout(
        x_title, y_title, height=height, shapes=shapes, hovermode="closest", dragmode=False,
        # Fixed ranges: the click layer's points would pad an automatic range.
        yaxis={"range": [rows - 0.5, -0.5], "type": "category"},
        xaxis={"range": [-0.5, columns - 0.5], "type": "category", "side": "top"})}
