"""Figures as plain data: dicts of traces and layout, wrapped without plotly's validation.

Building a figure through plotly's object API validates every property, and that cost
dominated a page rerun (about 45 ms a chart, four charts a page). The builders here write
the same figures as dicts, checked once by the tests (``validate``) instead of on every
rerun, and Streamlit's own chart theme styles them, so no per-figure template is set.
"""

from __future__ import annotations

import itertools

import numpy as np
import plotly.graph_objects as go

from lessons.binned import integer_step  # noqa: F401 (the charts' tick steps)

COLOR_X = "#4C78A8"
COLOR_X_HAT = "#F58518"
COLOR_CLIP = "#E45756"
COLOR_IDENTITY = "#9D9D9D"
COLOR_ACCENT = "#54A24B"
#: Colours for categories (methods, observers), in order; distinct in greyscale too.
PALETTE = ("#E45756", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#9D755D", "#4C78A8",
           "#EECA3B", "#FF9DA6", "#BAB0AC")
# Fonts large enough to read from the back of a lecture room.
FONT_SIZE = 16
HEIGHT = 380
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
CLIP_OPACITY = 0.08


def cycle():
    """The palette's colours, round and round (for any number of lines)."""
    return itertools.cycle(PALETTE)


def figure(spec: dict) -> go.Figure:
    """A Figure of a spec, without validating it again (the tests validate every builder)."""
    return go.Figure(spec, _validate=False)


def validate(spec: dict) -> go.Figure:
    """The same Figure, fully validated by plotly: for tests."""
    return go.Figure(spec)


def layout(x_title: str, y_title: str, *, height: int = HEIGHT, **extra) -> dict:
    """The house layout: large fonts, a legend above the plot, titled axes."""
    base = {
        # No plotly template: Streamlit's chart theme styles the chart in the browser, and
        # the default template was most of a figure's bytes and of its copying time.
        "template": "none",
        "height": height, "margin": MARGIN, "font": {"size": FONT_SIZE},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        "hoverlabel": {"font": {"size": FONT_SIZE}}, "bargap": 0,
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
    }
    for key, value in extra.items():
        base[key] = {**base[key], **value} if isinstance(base.get(key), dict) else value
    return base


def centers(edges: np.ndarray) -> np.ndarray:
    return ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def vlines(xs, y_top: float) -> tuple[list, list]:
    """Vertical segments as one trace (None breaks the line): far cheaper than shapes."""
    px, py = [], []
    for x in xs:
        px += [float(x), float(x), None]
        py += [0.0, y_top, None]
    return px, py


def band(lo: float, hi: float, *, horizontal: bool = False) -> dict:
    """A translucent band over the whole plot height (or width) between lo and hi."""
    ref = {"yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": lo, "x1": hi}
    if horizontal:
        ref = {"xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": lo, "y1": hi}
    return {"type": "rect", **ref, "fillcolor": COLOR_CLIP, "opacity": CLIP_OPACITY,
            "line": {"width": 0}, "layer": "below"}


def outside(display: tuple[float, float], keep: tuple[float, float] | None) -> list[dict]:
    """Bands over the parts of ``display`` outside ``keep``: where values are clipped."""
    if keep is None:
        return []
    return [band(lo, hi) for lo, hi in ((display[0], keep[0]), (keep[1], display[1]))
            if hi > lo]


def line(value: float, *, horizontal: bool = False) -> dict:
    """A dashed reference line across the plot, as a layout shape."""
    ref = ({"xref": "paper", "x0": 0, "x1": 1, "y0": value, "y1": value} if horizontal else
           {"yref": "paper", "y0": 0, "y1": 1, "x0": value, "x1": value})
    return {"type": "line", **ref, "line": {"color": COLOR_CLIP, "dash": "dash"}}

