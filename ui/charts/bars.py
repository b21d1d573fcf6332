"""Bar charts with reference lines."""

from __future__ import annotations

import itertools

from . import base

_LINE_COLORS = (base.COLOR_CLIP, base.COLOR_X_HAT, base.COLOR_ACCENT)
#: A bar's hover that repeats its category and its label (already in the page's language
#: and units): for ``bars_with_lines``' ``hover``.
TEXT_HOVER = "%{x}: %{text}<extra></extra>"
CATEGORY_GAP = 0.15


def bars_with_lines(labels: list[str], values: list[float], texts: list[str],
                    lines: dict[str, float], names: dict[str, str], hover: str) -> dict:
    """Bars with their values written above them, and named horizontal reference lines.

    The lines are named in the legend, not beside the lines, where a label would cover
    the numbers on the bars.
    """
    data = [{"type": "bar", "x": labels, "y": values, "marker": {"color": base.COLOR_X},
             "text": texts, "textposition": "outside", "cliponaxis": False,
             "hovertemplate": hover, "showlegend": False}]
    shapes = []
    for (name, size), color in zip(lines.items(), itertools.cycle(_LINE_COLORS)):
        style = {"color": color, "dash": "dot", "width": 2}
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": size,
                       "y1": size, "line": style})
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                     "line": style, "name": name})
    # Categories, not a histogram: gaps between the bars.
    return {"data": data, "layout": base.layout(names["x"], names["y"], shapes=shapes,
                                                bargap=CATEGORY_GAP)}
