"""A grid of cells coloured by category, each labelled (every code of a small format)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import base

TEXT_SIZE = 11
_HOVER = "%{customdata}<extra></extra>"


def category_grid(kinds: np.ndarray, text: Sequence[Sequence[str]],
                  hover: Sequence[Sequence[str]], x_labels: Sequence[str],
                  y_labels: Sequence[str], categories: Sequence[str], colors: Sequence[str],
                  x_title: str, y_title: str, height: int = base.HEIGHT) -> dict:
    """Cells coloured by ``kinds`` (indices into ``categories``), labelled with ``text``;
    the first row on top, a legend of the categories as the colour bar."""
    n = len(categories)
    scale = []
    for k, color in enumerate(colors[:n]):  # one flat band of colour per category
        scale += [[k / n, color], [(k + 1) / n, color]]
    data = [{"type": "heatmap", "z": kinds.astype(np.int32), "x": list(x_labels),
             "y": list(y_labels), "zmin": -0.5, "zmax": n - 0.5, "colorscale": scale,
             "text": [list(row) for row in text], "texttemplate": "%{text}",
             "textfont": {"size": TEXT_SIZE}, "customdata": [list(row) for row in hover],
             "hovertemplate": _HOVER, "xgap": 1, "ygap": 1,
             "colorbar": {"tickvals": list(range(n)), "ticktext": list(categories)}}]
    return {"data": data, "layout": base.layout(
        x_title, y_title, height=height, yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "side": "top"})}
