"""A histogram with rows of ticks under it: where each level set puts its levels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import base

TICK_SIZE = 16
ROW_PX = 34
HIST_PX = 300
_HOVER = "%{customdata}<extra></extra>"


@dataclass(frozen=True, eq=False)
class TickRow:
    """One row of ticks: a name, the tick positions, a hover text per tick."""

    name: str
    xs: np.ndarray
    hover: Sequence[str]
    color: str


def histogram_with_ticks(edges: np.ndarray, counts: np.ndarray, rows: Sequence[TickRow],
                         x_title: str, y_title: str, bars_name: str) -> dict:
    """The histogram on top; under it one row of ticks per ``TickRow``, sharing its x axis
    (a row per scheme reads at a glance where levels are dense and where sparse)."""
    bars = {"type": "bar", "x": base.centers(edges), "y": counts.astype(np.int32),
            "width": float(edges[1] - edges[0]), "name": bars_name,
            "marker": {"color": base.COLOR_X}, "opacity": 0.6, "hoverinfo": "skip"}
    data = [bars]
    for row in rows:
        data.append({"type": "scatter", "x": np.asarray(row.xs, np.float64).tolist(),
                     "y": [row.name] * len(row.xs), "yaxis": "y2", "mode": "markers",
                     "marker": {"symbol": "line-ns-open", "size": TICK_SIZE,
                                "color": row.color, "line": {"width": 2, "color": row.color}},
                     "customdata": list(row.hover), "hovertemplate": _HOVER,
                     "showlegend": False, "name": row.name})
    ticks_px = ROW_PX * max(len(rows), 1)
    height = HIST_PX + ticks_px + base.MARGIN["t"] + 60
    split = ticks_px / (HIST_PX + ticks_px)
    layout = base.layout(x_title, y_title, height=height, hovermode="closest",
                         yaxis={"domain": [split + 0.04, 1.0]},
                         showlegend=False)
    layout["yaxis2"] = {"domain": [0.0, split], "type": "category", "automargin": True,
                        "autorange": "reversed", "showgrid": False,
                        "categoryorder": "array", "categoryarray": [r.name for r in rows]}
    # The ticks' rows share the histogram's x axis; its title sits under them.
    layout["xaxis"] = {**layout["xaxis"], "anchor": "y2"}
    return {"data": data, "layout": layout}
