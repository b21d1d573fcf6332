"""Blocks every page repeats: the header with its why, link notices, a chart with its text
summary, a grid of metrics, and the "maths" expander."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from . import charts, urlstate
from .i18n import t

METRIC_COLUMNS = 4


def header(title: str, why: str) -> None:
    """The page title and its 2-4 sentences of why."""
    st.title(title)
    st.markdown(why)


def link_notices() -> None:
    """One line per lesson-link value that was clamped or ignored (none: nothing drawn)."""
    for text in urlstate.notices():
        st.info(text, icon=":material/link:")


def chart(spec: dict, *, key: str, summary: str, title: str | None = None) -> None:
    """A chart block: optional subheader, the chart (its alt text is the summary), and the
    one-line text summary below it, for readers who cannot see the chart."""
    if title:
        st.subheader(title)
    st.plotly_chart(charts.figure(spec), alt=summary, key=key)
    st.caption(summary)


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    help: str | None = None
    delta: str | None = None


def metric_grid(metrics: Sequence[Metric], columns: int = METRIC_COLUMNS) -> None:
    """Metrics in rows of ``columns`` cards."""
    for start in range(0, len(metrics), columns):
        for column, m in zip(st.columns(columns), metrics[start:start + columns], strict=False):
            column.metric(m.label, m.value, help=m.help, delta=m.delta,
                          delta_color="off", delta_arrow="off")


@dataclass(frozen=True)
class Code:
    intro: str
    source: str
    language: str = "python"


def maths(intro: str, latex: Sequence[str], notes: Sequence[str], code: Sequence[Code]) -> None:
    """The "maths" expander: formulas with the live numbers, notes, then code."""
    with st.expander(t("maths.title"), icon=":material/function:"):
        st.markdown(intro)
        for line in latex:
            st.latex(line)
        for note in notes:
            st.info(note, icon=":material/info:")
        for block in code:
            st.markdown(block.intro)
            st.code(block.source, language=block.language)
