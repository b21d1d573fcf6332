"""Blocks every page repeats: the header with its why, link notices, a chart with its text
summary, a grid of metrics, and the "maths" expander."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import streamlit as st

from quantlib._validate import CodedError

from . import cache, charts, urlstate
from .i18n import coded_error, current_language

METRIC_COLUMNS = 4


def header(title: str, why: str) -> None:
    """The page title and its 2-4 sentences of why."""
    st.title(title)
    st.markdown(why)


@contextlib.contextmanager
def working(text: str, needed: bool = True):
    """A spinner with ``text`` while the block runs, only when it has work to do (a cache
    miss): a spinner costs messages on every rerun."""
    if needed:
        with st.spinner(text):
            yield
    else:
        yield


def preset_and_reset(select: Callable[[], str], reset: Callable[[], None], label: str,
                     help: str) -> str:
    """The worked-example selector with a reset button beside it; the chosen preset."""
    preset_col, reset_col = st.columns([4, 1], vertical_alignment="bottom")
    with preset_col:
        preset = select()
    reset_col.button(label, on_click=reset, icon=":material/restart_alt:", help=help,
                     width="stretch")
    return preset


def computed(fn: Callable, tensor_key: Hashable, x, settings: Hashable, *, busy: str,
             invalid: Callable[[str], str]):
    """A page's lesson on the workspace tensor: cached for every session, with a spinner
    saying ``busy`` on a miss. Settings the lesson refuses show ``invalid(reason)`` and
    stop the page (the workspace and the controls stay usable)."""
    try:
        with working(busy, not cache.has_lesson(fn, tensor_key, settings)):
            return cache.lesson(fn, tensor_key, x, settings)
    except CodedError as err:
        st.error(invalid(coded_error(err)), icon=":material/error:")
        st.stop()


def computed_each(fn: Callable, tensor_key: Hashable, x, settings: Sequence[Hashable], *,
                  busy: str, invalid: Callable[[str], str]) -> tuple:
    """:func:`computed` for a sequence of settings, each cached on its own (a page's
    schemes, say: turning one on computes only that one), under one spinner."""
    try:
        missing = any(not cache.has_lesson(fn, tensor_key, one) for one in settings)
        with working(busy, missing):
            return tuple(cache.lesson(fn, tensor_key, x, one) for one in settings)
    except CodedError as err:
        st.error(invalid(coded_error(err)), icon=":material/error:")
        st.stop()


def link_notices() -> None:
    """One line per lesson-link value that was clamped or ignored (none: nothing drawn)."""
    for text in urlstate.notices():
        st.info(text, icon=":material/link:")


# Drawn charts kept for replay: each holds one chart message (at most the 300 KB payload
# budget, tens of KB in practice), so the cache is bounded by entries x that budget.
_DRAWN_CHARTS = 256
_DRAWN_TABLES = 256
_TTL_SECONDS = 3600


def chart(build: Callable[[], dict], *, key: str, summary: str, depends_on: Hashable,
          title: str | None = None) -> None:
    """A chart block: optional subheader, the chart (its alt text is the summary), and the
    one-line text summary below it, for readers who cannot see the chart.

    ``build()`` returns the figure spec; it runs only when ``depends_on`` (what the figure
    is made from: the tensor's key, the settings, the toggles) or the summary (which
    holds the language) is new. Otherwise the chart drawn before is replayed: building
    and serializing a figure was most of a rerun's cost.
    """
    if title:
        st.subheader(title)
    # A text key: Streamlit hashes strings far faster than nested dataclasses.
    _drawn_chart(repr((depends_on, current_language())), key, summary, build)
    st.caption(summary)


@st.cache_data(max_entries=_DRAWN_CHARTS, ttl=_TTL_SECONDS, show_spinner=False)
def _drawn_chart(depends_on: str, key: str, summary: str, _build) -> None:
    st.plotly_chart(charts.figure(_build()), alt=summary, key=key)


def pick_chart(build: Callable[[], dict], *, key: str, summary: str, depends_on: Hashable,
               on_pick: Callable[[int], None]) -> None:
    """A chart whose points a click picks: ``on_pick(point_index)`` runs (as a callback,
    before the rerun) with the clicked point's index in its trace.

    A clickable chart is a widget, which a replayed chart cannot be; its figure (the
    costly part to build) is cached instead, shared by every session.
    """
    figure = _pick_figure(repr((depends_on, current_language())), build)
    st.plotly_chart(figure, key=key, alt=summary, on_select=lambda: _picked(key, on_pick),
                    selection_mode="points")
    st.caption(summary)


@st.cache_resource(max_entries=_DRAWN_CHARTS, ttl=_TTL_SECONDS, show_spinner=False)
def _pick_figure(depends_on: str, _build):
    return charts.figure(_build())


def _picked(key: str, on_pick: Callable[[int], None]) -> None:
    state = st.session_state.get(key) or {}
    points = (state.get("selection") or {}).get("points") or []
    picked = [p["point_index"] for p in points if isinstance(p.get("point_index"), int)]
    if picked:  # a click that clears the selection picks nothing
        on_pick(picked[0])


def table(build: Callable[[], tuple[dict, dict]], *, depends_on: Hashable) -> None:
    """A dataframe from ``build() -> (columns, column_config)``, replayed like a chart."""
    _drawn_table(repr((depends_on, current_language())), build)


@st.cache_data(max_entries=_DRAWN_TABLES, ttl=_TTL_SECONDS, show_spinner=False)
def _drawn_table(depends_on: str, _build) -> None:
    columns, config = _build()
    st.dataframe(columns, hide_index=True, width="stretch", column_config=config)


@dataclass(frozen=True)
class Metric:
    label: str
    value: str
    help: str | None = None
    delta: str | None = None


def metric_grid(metrics: Sequence[Metric], columns: int = METRIC_COLUMNS) -> None:
    """Metrics in rows of ``columns`` cards, filled row by row.

    One set of columns, each holding a card of every row: it reads the same as a set of
    columns per row, with a third of the layout blocks to send on every rerun.
    """
    for index, column in enumerate(st.columns(columns)):
        for m in metrics[index::columns]:
            column.metric(m.label, m.value, help=m.help, delta=m.delta,
                          delta_color="off", delta_arrow="off")


@dataclass(frozen=True)
class Code:
    intro: str
    source: str
    language: str = "python"


def maths(control: urlstate.Control, intro: str, content: Callable[[], tuple]) -> None:
    """The "maths" expander: formulas with the live numbers, notes, then code.

    ``content()`` gives ``(latex lines, notes, code blocks)``; it runs only while the
    expander is open (its state is the page's ``control``, so a link can open it).
    """
    box, is_open = urlstate.expander(control, icon=":material/function:")
    if not is_open:
        return
    latex, notes, code = content()
    with box:
        st.markdown(intro)
        for line in latex:
            st.latex(line)
        for note in notes:
            st.info(note, icon=":material/info:")
        for block in code:
            st.markdown(block.intro)
            st.code(block.source, language=block.language)
