"""Plotly figure builders: binned arrays in, ``go.Figure`` out.

Every builder takes already-binned data (see ``quantlib.binning``), so the JSON sent to the
browser has the same size for a 16M-element tensor as for a 1k one. Fonts are large
enough to read from the back of a lecture room.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .i18n import t

COLOR_X = "#4C78A8"
COLOR_X_HAT = "#F58518"
COLOR_CLIP = "#E45756"
COLOR_IDENTITY = "#9D9D9D"
COLOR_ACCENT = "#54A24B"
# Point clouds: a few values get big dots, a few thousand small ones.
FEW_POINTS, BIG_MARKER, SMALL_MARKER = 64, 8, 4
FONT_SIZE = 16
HEIGHT = 380
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
_STAIR_HOVER = "x = %{x:.4g}<br>x̂ = %{y:.4g}<br>q = %{customdata}<extra></extra>"


def _styled(fig: go.Figure, x_title: str, y_title: str, *, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        height=height, margin=_MARGIN, font={"size": FONT_SIZE}, template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        hoverlabel={"font_size": FONT_SIZE}, bargap=0,
    )
    fig.update_xaxes(title_text=x_title, automargin=True)
    fig.update_yaxes(title_text=y_title, automargin=True)
    return fig


def _integer_step(span: float, ticks: int = 6) -> int:
    """A 1-2-5 integer tick step giving about ``ticks`` ticks over ``span``."""
    raw = max(span / ticks, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _centers(edges: np.ndarray) -> np.ndarray:
    return ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def _vlines(xs, y_top: float) -> tuple[list, list]:
    """Vertical segments as one trace (None breaks the line): far smaller than shapes."""
    px, py = [], []
    for x in xs:
        px += [float(x), float(x), None]
        py += [0.0, y_top, None]
    return px, py


def _shade_outside(fig: go.Figure, display: tuple[float, float], keep: tuple[float, float]) -> None:
    for lo, hi in ((display[0], keep[0]), (keep[1], display[1])):
        if hi > lo:
            fig.add_vrect(x0=lo, x1=hi, fillcolor=COLOR_CLIP, opacity=0.08, line_width=0,
                          layer="below")


def histogram_with_levels(edges: np.ndarray, counts_x: np.ndarray,
                          counts_x_hat: np.ndarray | None = None,
                          levels: np.ndarray | None = None,
                          clip: tuple[float, float] | None = None, *,
                          log_y: bool = False) -> go.Figure:
    """Histogram of x, optionally of x_hat on the same bins, with levels and clip range."""
    centers, width = _centers(edges), float(edges[1] - edges[0])
    fig = go.Figure()
    fig.add_bar(x=centers, y=counts_x.astype(np.int32), width=width, name=t("chart.x"),
                marker_color=COLOR_X, opacity=0.55)
    if counts_x_hat is not None:
        fig.add_bar(x=centers, y=counts_x_hat.astype(np.int32), width=width,
                    name=t("chart.x_hat"), marker_color=COLOR_X_HAT, opacity=0.75)
    top = float(max(counts_x.max(), 0 if counts_x_hat is None else counts_x_hat.max(), 1))
    if levels is not None:
        inside = levels[(levels >= edges[0]) & (levels <= edges[-1])]
        lx, ly = _vlines(inside, top)
        fig.add_scatter(x=lx, y=ly, mode="lines", name=t("chart.levels"), hoverinfo="skip",
                        line={"color": COLOR_X_HAT, "width": 1, "dash": "dot"})
    if clip is not None:
        _shade_outside(fig, (float(edges[0]), float(edges[-1])), clip)
    fig.update_layout(barmode="overlay")
    if log_y:
        fig.update_yaxes(type="log")
    return _styled(fig, t("chart.value"), t("chart.count"))


def staircase(grid: np.ndarray, q: np.ndarray, x_hat: np.ndarray, scale: float,
              zero_point: int, clip: tuple[float, float]) -> go.Figure:
    """x -> x_hat as a staircase against the identity, with the integer code on the right."""
    lo, hi = float(grid[0]), float(grid[-1])
    fig = go.Figure()
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name=t("chart.identity"),
                    line={"color": COLOR_IDENTITY, "dash": "dash"}, hoverinfo="skip")
    fig.add_scatter(x=grid.astype(np.float32), y=x_hat.astype(np.float32), mode="lines",
                    name=t("chart.staircase"), line={"color": COLOR_X_HAT, "width": 2.5},
                    customdata=q.astype(np.int32),
                    hovertemplate=_STAIR_HOVER)
    # The right axis shows q: x_hat = (q - z) * s is linear, so matching ranges line up.
    q_range = [lo / scale + zero_point, hi / scale + zero_point]
    fig.add_scatter(x=[lo, hi], y=q_range, yaxis="y2", mode="markers", showlegend=False,
                    marker={"opacity": 0}, hoverinfo="skip")
    _shade_outside(fig, (lo, hi), clip)
    _styled(fig, t("chart.input"), t("chart.output"))
    # Integer ticks of their own: synced ticks would land on codes such as 3.93.
    fig.update_layout(yaxis={"range": [lo, hi]},
                      yaxis2={"range": q_range, "overlaying": "y", "side": "right",
                              "title": {"text": t("chart.code")}, "showgrid": False,
                              "tickmode": "linear", "tick0": 0,
                              "dtick": _integer_step(abs(q_range[1] - q_range[0])),
                              "automargin": True})
    return fig


def error_histogram(edges: np.ndarray, counts: np.ndarray, half_step: float | None) -> go.Figure:
    """Histogram of x_hat - x, with ±scale/2 (the largest rounding error) marked."""
    fig = go.Figure()
    fig.add_bar(x=_centers(edges), y=counts.astype(np.int32), width=float(edges[1] - edges[0]),
                name=t("chart.error"), marker_color=COLOR_ACCENT)
    if half_step is not None:
        for sign in (-1, 1):
            fig.add_vline(x=sign * half_step, line={"color": COLOR_CLIP, "dash": "dash"})
        fig.add_annotation(x=half_step, y=1, yref="paper", text="±s/2", showarrow=False,
                           xanchor="left", font={"color": COLOR_CLIP})
    return _styled(fig, t("chart.error_axis"), t("chart.count"))


def error_vs_x(counts: np.ndarray, x_edges: np.ndarray, error_edges: np.ndarray,
               half_step: float | None, clip: tuple[float, float] | None,
               points: np.ndarray | None = None) -> go.Figure:
    """(x, x_hat - x) pairs: the rounding band inside the range, clipping outside.

    ``points`` (shape (2, n), for small tensors) draws every value as a dot; otherwise the
    binned ``counts`` are drawn as a heatmap of log10 counts.
    """
    if points is not None:
        fig = go.Figure(go.Scatter(
            x=points[0], y=points[1], mode="markers",
            marker={"color": COLOR_ACCENT,
                    "size": BIG_MARKER if points.shape[1] <= FEW_POINTS else SMALL_MARKER},
            hovertemplate="x = %{x:.6g}<br>x̂ − x = %{y:.4g}<extra></extra>",
        ))
    else:
        with np.errstate(divide="ignore"):
            z = np.where(counts > 0, np.log10(counts), np.nan).T.astype(np.float32)
        fig = go.Figure(go.Heatmap(
            x=_centers(x_edges), y=_centers(error_edges), z=z, colorscale="Viridis",
            colorbar={"title": {"text": t("chart.log_count")}},
            hovertemplate="x ≈ %{x:.4g}<br>x̂ − x ≈ %{y:.4g}<br>log₁₀ n = %{z:.2f}<extra></extra>",
        ))
    if half_step is not None:
        for sign in (-1, 1):
            fig.add_hline(y=sign * half_step, line={"color": COLOR_CLIP, "dash": "dash"})
    if clip is not None:
        _shade_outside(fig, (float(x_edges[0]), float(x_edges[-1])), clip)
    return _styled(fig, t("chart.input"), t("chart.error_axis"))


def memory_bars(labels: list[str], gigabytes: list[float], gpus: dict[str, float]) -> go.Figure:
    """Model memory per number format, with common GPU memory sizes as reference lines."""
    fig = go.Figure(go.Bar(
        x=labels, y=gigabytes, marker_color=COLOR_X, text=[f"{g:,.3g} GB" for g in gigabytes],
        textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{y:,.4g} GB<extra></extra>",
    ))
    # GPU sizes are named in the legend, not beside their lines, where a label would
    # cover the numbers on the bars.
    for (name, size), color in zip(gpus.items(), (COLOR_CLIP, COLOR_X_HAT, COLOR_ACCENT),
                                   strict=False):
        line = {"color": color, "dash": "dot", "width": 2}
        fig.add_hline(y=size, line=line)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, name=name))
    fig.update_traces(selector={"type": "bar"}, showlegend=False)
    return _styled(fig, t("chart.format"), t("chart.gb"))
