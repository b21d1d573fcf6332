"""A browser-less Streamlit client for ``bench.load``: the frontend's side of the protocol.

The handshake, as the frontend does it (read from streamlit/web/server/starlette/*):

* ``GET /_stcore/health`` sets the ``_streamlit_xsrf`` cookie. The websocket to
  ``/_stcore/stream`` then carries that cookie, a same-origin ``Origin`` header, and
  the subprotocols ``["streamlit", <xsrf token>]``: the server repurposes the
  Sec-WebSocket-Protocol header to pass the token (a third entry would be a session id
  to resume, which a fresh tab does not have).
* Nothing runs until the client sends ``BackMsg.rerun_script`` (a ``ClientState``). The
  first one names the page by its URL path (``page_name="uniform"``, ``""`` for the
  default page) and carries the query string; ``st.navigation`` resolves the name
  against the pages' ``url_pathname``. Later reruns also send the ``page_script_hash``
  the server announced (``new_session`` / ``navigation``), and the full set of widget
  states, as the frontend's widget manager does.
* Deltas of one message at least ``global.minCachedMessageSize`` are ``cacheable``: the
  client keeps them by hash and lists the hashes it holds in ``cached_message_hashes``;
  the server then sends only a ``ref_hash`` for an unchanged big element (a chart), which
  the client resolves from its cache. Entries expire after ``max_cached_message_age``
  finished runs without use (sent in ``new_session.config``).
* A run ends with ``script_finished``; uncaught exceptions arrive as ``exception``
  elements in a run that still "finishes successfully".

Fragments (``@st.fragment``; read from streamlit/runtime/fragment.py, app_session.py,
scriptrunner/script_runner.py and the frontend's App/WidgetManager):

* Every delta written while a fragment runs carries ``Delta.fragment_id`` (in a full run
  too): the fragment's content sits in an ``add_block`` container, and each element in
  it, widgets included, names the fragment. A widget belongs to the fragment of the
  delta that drew it.
* Moving such a widget makes the frontend send ``rerun_script`` whose ``ClientState``
  has ``fragment_id`` set and still carries every widget state (and the page, query
  string, cache hashes and context, as for a full rerun). If the session no longer
  holds that fragment the server drops the request without a word (no run at all).
* The server answers as for any run: ``new_session`` (its ``metadata.run.fragment_ids``
  name the fragments the run reruns), the fragment's deltas only, possibly
  ``page_info_changed`` (the app may rewrite st.query_params inside the fragment), and
  ``script_finished`` = ``FINISHED_FRAGMENT_RUN_SUCCESSFULLY``. No ``navigation``: the
  main script does not run.
* The frontend then drops only what the fragment owned and did not redraw: older
  elements whose ``fragment_id`` is one of the run's, and anything older under a
  container that run wrote; the rest of the page and its widgets stay. A full run still
  replaces the whole page. (Streamlit's own agent client, runtime/agent/interaction.py,
  applies the same rule; so does this one.)
* The message cache counts fragment runs too (every ``script_finished`` but
  ``FINISHED_EARLY_FOR_RERUN``), but a fragment run only expires entries that its own
  fragments sent.

Timers, st.rerun() and buttons (read from runtime/fragment.py, scriptrunner/
script_runner.py, app_session.py and the frontend's App.handleAutoRerun/handleNewSession):

* ``@st.fragment(run_every=...)`` sends an ``auto_rerun`` ForwardMsg (``interval`` in
  seconds, ``fragment_id``) each time the fragment is drawn. The frontend keeps one
  timer per fragment id (a repeat with the same interval keeps its countdown), stops
  every timer at the ``new_session`` of a full run (the run's own ``auto_rerun``
  messages start them again: a fragment's id depends on where it is drawn, so it may
  change), drops the ones ``stop_auto_rerun`` names, and at every tick sends a fragment
  rerun with ``ClientState.is_auto_rerun`` set. ``PageClient.auto_reruns`` holds them.
* ``st.rerun()`` ends the run with ``script_finished`` = ``FINISHED_EARLY_FOR_RERUN``
  and the server at once starts the next run itself: ``new_session``, its deltas, its
  own ``script_finished``. From a fragment, ``st.rerun(scope="app")`` makes that next
  run a full one. The client waits for it: the rerun it asked for ends as that run
  (``RunResult.script_reruns``; ``promoted`` when a fragment rerun became a full one).
  Streamlit logs "Running script" for each of these runs too.
* ``st.button`` and ``st.form_submit_button`` are ``button`` elements (a submit button
  has ``is_form_submitter`` and its ``form_id``; so have the widgets in the form). A
  click is one rerun whose widget states carry ``trigger_value=True`` for that button
  and every other widget's value; a form's widgets send their values only with that
  click, never a rerun of their own. Triggers last one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ButtonGroup_pb2 import ButtonGroup
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.RootContainer_pb2 import RootContainer
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

STREAM_PATH = "/_stcore/stream"
HEALTH_PATH = "/_stcore/health"
XSRF_COOKIE = "_streamlit_xsrf"
SUBPROTOCOL = "streamlit"
CONNECT_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 30.0
DEFAULT_MAX_CACHE_AGE = 2  # Streamlit's global.maxCachedMessageAge default
KEY_SUFFIX_SEP = "@"  # the app's keys may carry a variant suffix: "u_bits@en"
ID_PARTS = 3  # "$$ID-<md5>-<user key or None>" (compute_and_register_element_id)
NO_USER_KEY = "None"
FLOAT_DIGITS = 10  # grid values are rounded so that float steps never drift off the grid
GRID_EPS = 1e-9  # (high - low) / step of 0.3/0.1 is 2.9999999999999996: still 4 values
MAX_NUDGE_STEPS = 10  # an unbounded number input moves by at most this many steps
MAX_RANGE_TRIES = 100  # a 2-value range slider draws pairs until one differs
MAX_LISTED_VALUES = 10_000  # a sweep refuses a control with more values than this
DEFAULT_FLOAT_STEP = 0.01  # st.number_input's own default step for floats
# Browser context the frontend reports (st.context); fixed so that runs are comparable.
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US",
           "color_scheme": "light"}
WIDGET_ELEMENTS = frozenset({"slider", "checkbox", "selectbox", "radio", "button_group",
                             "number_input", "button"})
BUTTON = "button"  # st.button and st.form_submit_button: clicked, never moved
NUMERIC_SLIDER_TYPES = frozenset({Slider.INT, Slider.FLOAT})


TIMED_OUT = "timeout"


class ProtocolError(RuntimeError):
    """The server sent something a browser could not have handled either."""


# --- widgets ------------------------------------------------------------------------


@dataclass
class Widget:
    """One widget on the page and its value as the frontend holds it (the wire form).

    Values: slider -> tuple of floats; select_slider and button_group -> tuple of
    option labels; checkbox -> bool; selectbox and radio -> label or None;
    number_input -> float or None; button -> None, True only while a click is sent
    (a trigger: the frontend sends it for the one run the click starts).
    """

    id: str
    kind: str
    label: str
    key: str | None
    main: bool
    disabled: bool
    reruns: bool  # changing it reruns the script (not in a form, not on_change="ignore")
    value: Any
    default: Any
    options: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    integer: bool = False
    multi: bool = False  # a range slider or a multi-select
    query_param_key: str | None = None
    fragment_id: str = ""  # the @st.fragment that drew it ("" outside any fragment)
    form_id: str = ""  # the st.form it sits in ("" outside any form)
    form_submitter: bool = False  # a button: the form's submit button

    @property
    def movable(self) -> bool:
        """A control a student can move: enabled, rerunning, and with another value.
        A button is never moved: it is clicked (``clickable``, ``PageClient.click``)."""
        return (self.kind != BUTTON and not self.disabled and self.reruns
                and self.has_alternative())

    @property
    def clickable(self) -> bool:
        return self.kind == BUTTON and not self.disabled

    def has_alternative(self) -> bool:
        if self.kind == "checkbox":
            return True
        if self.options:
            return len(self.options) > 1
        return self.grid_size() != 1

    # numeric grid ---------------------------------------------------------------------

    def grid_size(self) -> int | None:
        """How many values ``low + i*step`` lie in [low, high]; None if unbounded."""
        if self.low is None or self.high is None or not self.step:
            return None
        return int(math.floor((self.high - self.low) / self.step + GRID_EPS)) + 1

    def grid_value(self, index: int) -> float:
        value = round(self.low + index * self.step, FLOAT_DIGITS)
        return float(int(value)) if self.integer else value

    def grid_index(self, value: float | None) -> int | None:
        if value is None or self.low is None or not self.step:
            return None
        return round((value - self.low) / self.step)

    # values ---------------------------------------------------------------------------

    def all_values(self) -> list:
        """Every value a student could give this control (for a sweep)."""
        if self.kind == BUTTON:
            raise ValueError(f"{self.key or self.label}: a button is clicked, not swept")
        if self.kind == "checkbox":
            return [False, True]
        if self.options:
            if self.multi:
                raise ValueError(f"{self.key}: sweeping a multi-select is not supported")
            return [self._wrap(o) for o in self.options]
        size = self.grid_size()
        if size is None or size > MAX_LISTED_VALUES:
            raise ValueError(f"{self.key}: too many values to sweep ({size or 'unbounded'})")
        if self.multi:
            raise ValueError(f"{self.key}: sweeping a range slider is not supported")
        return [self._wrap(self.grid_value(i)) for i in range(size)]

    def _wrap(self, scalar: Any) -> Any:
        """A single option/number in this widget's wire form."""
        if self.kind in ("slider", "select_slider", "button_group"):
            return (scalar,)
        return scalar

    def other_value(self, rng) -> Any:
        """A valid value different from the current one, chosen with ``rng``."""
        if self.kind == "checkbox":
            return not self.value
        if self.kind == "button_group" and self.multi:
            toggled = rng.choice(self.options)
            chosen = set(self.value)
            chosen ^= {toggled}
            return tuple(o for o in self.options if o in chosen)
        if self.options:
            return self._other_option(rng)
        return self._other_number(rng)

    def _other_option(self, rng) -> Any:
        if self.multi:  # a range select_slider: a new ordered pair
            return self._other_range(rng, len(self.options), self.options.__getitem__)
        current = self.value
        if isinstance(current, tuple):  # select_slider, single-select button_group
            current = current[0] if current else None
        return self._wrap(rng.choice([o for o in self.options if o != current]))

    def _other_number(self, rng) -> Any:
        current = self.value[0] if isinstance(self.value, tuple) else self.value
        size = self.grid_size()
        if not size:
            return self._wrap(self._nudged(current, rng))
        if self.multi:
            return self._other_range(rng, size, self.grid_value)
        here = self.grid_index(current)
        if here is None or not 0 <= here < size:
            return self._wrap(self.grid_value(rng.randrange(size)))
        index = rng.randrange(size - 1)  # any grid value but the current one
        return self._wrap(self.grid_value(index + (index >= here)))

    def _other_range(self, rng, size: int, value_at) -> tuple:
        """A new (low, high) pair of a range slider, different from the current one."""
        for _ in range(MAX_RANGE_TRIES):
            low, high = sorted(rng.sample(range(size), 2))
            pair = (value_at(low), value_at(high))
            if pair != tuple(self.value or ()):
                break
        return pair

    def _nudged(self, current: float | None, rng) -> float:
        """An unbounded (or half-bounded) number moved a few steps up or down."""
        step = self.step or (1.0 if self.integer else DEFAULT_FLOAT_STEP)
        base = current if current is not None else (self.default or 0.0)
        value = base + rng.choice((-1, 1)) * rng.randint(1, MAX_NUDGE_STEPS) * step
        if self.low is not None and value < self.low:
            value = base + step
        if self.high is not None and value > self.high:
            value = base - step
        value = round(value, FLOAT_DIGITS)
        return float(int(value)) if self.integer else value

    # wire ---------------------------------------------------------------------------

    def state(self) -> WidgetState | None:
        """The WidgetState the frontend would send, or None for a cleared widget."""
        if self.value is None:
            return None
        state = WidgetState(id=self.id)
        if self.kind == "slider":
            state.double_array_value.SetInParent()
            state.double_array_value.data.extend(float(v) for v in self.value)
        elif self.kind in ("select_slider", "button_group"):
            state.string_array_value.SetInParent()
            state.string_array_value.data.extend(self.value)
        elif self.kind == "checkbox":
            state.bool_value = bool(self.value)
        elif self.kind in ("selectbox", "radio"):
            state.string_value = self.value
        elif self.kind == "number_input":
            state.double_value = float(self.value)
        elif self.kind == BUTTON:
            state.trigger_value = True
        return state

    def url_values(self) -> list[str]:
        """The value as the frontend writes it into the URL of a bound widget."""
        if self.value is None:
            return []
        if self.kind == "checkbox":
            return ["true" if self.value else "false"]
        scalars = self.value if isinstance(self.value, tuple) else (self.value,)
        return [_num_text(v) if isinstance(v, float) else str(v) for v in scalars]

    def shown(self) -> str:
        """The value for a human reading the report."""
        if isinstance(self.value, tuple):
            parts = [_num_text(v) if isinstance(v, float) else str(v) for v in self.value]
            return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"
        return _num_text(self.value) if isinstance(self.value, float) else str(self.value)


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def user_key(element_id: str) -> str | None:
    """The widget's key as the app names it: the id's user-key suffix, before any "@"."""
    parts = element_id.split("-", ID_PARTS - 1)
    if len(parts) < ID_PARTS or parts[2] == NO_USER_KEY:
        return None
    return parts[2].split(KEY_SUFFIX_SEP, 1)[0]


def button_group_label(option: ButtonGroup.Option) -> str:
    """The formatted option string the server's serde expects back.

    The server strips a leading icon off the label into ``content_icon``; the wire value
    is the label as format_func returned it, so put the icon back.
    """
    if option.HasField("content_icon") and option.content_icon:
        return f"{option.content_icon} {option.content}" if option.content \
            else option.content_icon
    return option.content


def widget_from_element(element, delta_path, previous: Widget | None,
                        fragment_id: str = "") -> Widget | None:
    """The widget an Element delta draws, with the value the frontend would now hold.

    The value follows the frontend's widget manager: the server's value when it sets
    one (``set_value``), else the value the widget already had, else its default.
    ``fragment_id`` is the delta's: the fragment a change of this widget reruns.
    """
    etype = element.WhichOneof("type")
    if etype not in WIDGET_ELEMENTS:
        return None
    proto = getattr(element, etype)
    widget = _BUILDERS[etype](proto)
    if widget is None:
        return None
    widget.main = bool(delta_path) and delta_path[0] == RootContainer.MAIN
    widget.fragment_id = fragment_id
    if (etype != BUTTON and not proto.set_value and previous is not None
            and previous.kind == widget.kind):
        widget.value = previous.value
    return widget


def _common(proto, kind: str, value: Any, default: Any, **extra) -> Widget:
    return Widget(
        id=proto.id, kind=kind, label=proto.label, key=user_key(proto.id), main=False,
        disabled=proto.disabled, reruns=not proto.form_id and not proto.ignore_rerun,
        value=value, default=default,
        query_param_key=proto.query_param_key if proto.HasField("query_param_key") else None,
        form_id=proto.form_id, **extra)


def _button(proto) -> Widget:
    """st.button or st.form_submit_button (``is_form_submitter``): a click always reruns,
    a submit button's click submits its form. No value between clicks."""
    return Widget(id=proto.id, kind=BUTTON, label=proto.label, key=user_key(proto.id),
                  main=False, disabled=proto.disabled, reruns=True, value=None, default=None,
                  form_id=proto.form_id, form_submitter=proto.is_form_submitter)


def _slider(proto) -> Widget | None:
    if proto.type == Slider.SELECT_SLIDER:
        options = tuple(proto.options)
        default = tuple(options[int(i)] for i in proto.default)
        value = tuple(proto.raw_value) if proto.set_value else default
        return _common(proto, "select_slider", value, default, options=options,
                       multi=len(default) > 1)
    if proto.data_type not in NUMERIC_SLIDER_TYPES:
        return None  # date/time sliders: not in this app, and not simulated
    default = tuple(proto.default)
    value = tuple(proto.value) if proto.set_value else default
    return _common(proto, "slider", value, default, low=proto.min, high=proto.max,
                   step=proto.step, integer=proto.data_type == Slider.INT,
                   multi=len(default) > 1)


def _checkbox(proto) -> Widget:
    value = proto.value if proto.set_value else proto.default
    return _common(proto, "checkbox", value, proto.default)


def _single_choice(kind: str):
    def build(proto) -> Widget:
        options = tuple(proto.options)
        default = options[proto.default] if proto.HasField("default") and options else None
        value = default
        if proto.set_value:
            value = proto.raw_value if proto.HasField("raw_value") else None
        return _common(proto, kind, value, default, options=options)
    return build


def _button_group(proto) -> Widget:
    options = tuple(button_group_label(o) for o in proto.options)
    default = tuple(options[i] for i in proto.default)
    value = tuple(proto.raw_values) if proto.set_value else default
    return _common(proto, "button_group", value, default, options=options,
                   multi=proto.click_mode == ButtonGroup.MULTI_SELECT)


def _number_input(proto) -> Widget:
    default = proto.default if proto.HasField("default") else None
    value = default
    if proto.set_value:
        value = proto.value if proto.HasField("value") else None
    integer = proto.data_type == NumberInput.INT
    return _common(proto, "number_input", value, default,
                   low=proto.min if proto.has_min else None,
                   high=proto.max if proto.has_max else None,
                   step=proto.step or (1.0 if integer else DEFAULT_FLOAT_STEP),
                   integer=integer)


_BUILDERS = {"slider": _slider, "checkbox": _checkbox, "selectbox": _single_choice("selectbox"),
             "radio": _single_choice("radio"), "button_group": _button_group,
             "number_input": _number_input, "button": _button}


# --- one run's output -----------------------------------------------------------------


DeltaPath = tuple[int, ...]


@dataclass
class RunResult:
    """How one script run ended, as the client saw it."""

    ok: bool  # script_finished: FINISHED_SUCCESSFULLY (FRAGMENT_RUN_... for a fragment)
    latency_s: float
    reason: str = ""  # why not ok: timeout, compile error, disconnected, ...
    exceptions: list[str] = field(default_factory=list)
    digest: str = ""  # of the main area's non-widget output: did the page recompute?
    metrics: dict[str, str] = field(default_factory=dict)
    fragment_id: str = ""  # the fragment rerun asked for; "" for a full rerun
    # The script called st.rerun() this many times: each time the run ended early and the
    # server started the next one itself; the result is that of the last run.
    script_reruns: int = 0
    # A fragment rerun whose fragment called st.rerun(scope="app"): it ended as a full
    # run, which replaced the whole page, and counts as one.
    promoted: bool = False
    alerts: list[tuple[str, str]] = field(default_factory=list)  # main area: (format, body)

    @property
    def clean(self) -> bool:
        """Finished, and no exception element in what the run drew."""
        return self.ok and not self.exceptions

    @property
    def is_fragment(self) -> bool:
        """The run the server ended with was a fragment run (of the fragment asked for)."""
        return bool(self.fragment_id) and not self.promoted


@dataclass
class _Node:
    """One element or container of the page, where the frontend holds it (by path)."""

    fragment_id: str  # Delta.fragment_id: the fragment that drew it, "" if none
    block: bool = False  # an add_block container
    widget: Widget | None = None
    output: str | None = None  # a main-area non-widget element: its content hash
    metric: tuple[str, str] | None = None  # (label, body) of a main-area st.metric
    alert: tuple[str, str] | None = None  # (format, body) of a main-area st.success &c.


@dataclass
class _RunOutput:
    """What arrives while a run is under way."""

    sent_at: float
    fragment_id: str = ""  # the fragment rerun asked for; "" for a full rerun
    fragment_ids: tuple[str, ...] = ()  # the fragments the server says it reruns
    nodes: dict[DeltaPath, _Node] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    title: str | None = None
    script_reruns: int = 0  # st.rerun() calls: runs the server started itself
    restarting: bool = False  # ended early for st.rerun(): the next run is the server's

    def restart(self, fragment_ids: tuple[str, ...]) -> None:
        """The server starts the run st.rerun() asked for: what the stopped run drew is
        superseded (a full run replaces the page; a fragment run its fragment)."""
        self.restarting = False
        self.fragment_ids = fragment_ids
        self.nodes = {}
        self.title = None

    def add(self, path: DeltaPath, node: _Node) -> None:
        """A delta at ``path``; a container written there supersedes what this run had
        put at and below it (an st.empty() refilled, say)."""
        if node.block:
            depth = len(path)
            for old in [p for p in self.nodes if p[:depth] == path]:
                del self.nodes[old]
        self.nodes[path] = node


def merged_page(page: dict[DeltaPath, _Node], out: _RunOutput,
                fragment_ids: set[str]) -> dict[DeltaPath, _Node]:
    """The page after a run, by the frontend's stale-node rule.

    A full run (no ``fragment_ids``) replaces the whole page. A fragment run drops only
    the older nodes the fragments owned (their ``fragment_id``) and everything older
    under a container those fragments wrote; the rest of the page stays, and the run's
    own nodes go where they were written.
    """
    if not fragment_ids:
        return dict(out.nodes)
    replaced = {path for nodes in (page, out.nodes) for path, node in nodes.items()
                if node.block and node.fragment_id in fragment_ids}

    def stale(path: DeltaPath, node: _Node) -> bool:
        return node.fragment_id in fragment_ids or any(
            path[:depth] in replaced for depth in range(1, len(path) + 1))

    # In page order, the run's nodes in the slots they take over (the fragment's place
    # on the page), so that the list of controls keeps its order.
    merged = {path: out.nodes.get(path, node) for path, node in page.items()
              if path in out.nodes or not stale(path, node)}
    merged.update((path, node) for path, node in out.nodes.items() if path not in merged)
    return merged


def page_digest(page: dict[DeltaPath, _Node]) -> str:
    text = "\n".join(f"{path}:{node.output}" for path, node in sorted(page.items())
                     if node.output is not None)
    return hashlib.sha1(text.encode()).hexdigest()


def page_metrics(page: dict[DeltaPath, _Node]) -> dict[str, str]:
    return dict(node.metric for _, node in sorted(page.items()) if node.metric)


def page_alerts(page: dict[DeltaPath, _Node]) -> list[tuple[str, str]]:
    return [node.alert for _, node in sorted(page.items()) if node.alert]


_FINISH_REASONS = {ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error"}


# --- the client -----------------------------------------------------------------------


def fetch_xsrf_cookie(base_url: str) -> str | None:
    """The XSRF token cookie the server sets on any page or health request."""
    with urllib.request.urlopen(base_url + HEALTH_PATH, timeout=HTTP_TIMEOUT_S) as resp:
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == XSRF_COOKIE:
                return rest.split(";", 1)[0]
    return None


@dataclass
class AppPage:
    """A page of the app's navigation, as the ``navigation`` message lists it."""

    name: str  # what --pages calls it: its URL path, or its title for the default page
    title: str
    url_pathname: str
    page_script_hash: str
    is_default: bool
    hidden: bool = False
    external: bool = False


def pages_from_navigation(nav) -> list[AppPage]:
    pages = []
    for p in nav.app_pages:
        # The default page is served at "/": name it by its title ("Home" -> "home").
        name = p.url_pathname or p.page_name.strip().lower().replace(" ", "-")
        pages.append(AppPage(name=name, title=p.page_name, url_pathname=p.url_pathname,
                             page_script_hash=p.page_script_hash, is_default=p.is_default,
                             hidden=p.is_hidden, external=p.HasField("external_url")))
    return pages


class PageClient:
    """One browser tab on one page of the app, speaking Streamlit's websocket protocol."""

    def __init__(self, base_url: str, page_name: str, query: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.page_name = page_name  # the URL path: "" for the default page
        self.query = query
        self.widgets: dict[str, Widget] = {}  # every widget on the page, by id
        self._page: dict[DeltaPath, _Node] = {}  # what the tab shows, by delta path
        self.page_script_hash = ""
        self.title: str | None = None
        self.pages: list[AppPage] = []
        self.page_not_found = False
        self.runs_finished = 0  # the message cache's run count (the frontend's)
        self.refs_resolved = 0  # big elements the server sent as a ref_hash (cache hits)
        self.runs_sent = 0  # rerun_script messages that reached the server, all kinds
        self.fragment_runs_sent = 0  # of which fragment reruns
        self.server_reruns = 0  # runs the server started itself for the script's st.rerun()
        self.server_fragment_reruns = 0  # of which fragment runs (st.rerun(scope="fragment"))
        # The run_every timers the frontend holds: fragment id -> interval in seconds, and
        # when each started (time.monotonic()); it ticks at since + k * interval.
        self.auto_reruns: dict[str, float] = {}
        self.auto_rerun_since: dict[str, float] = {}
        self.last: RunResult | None = None
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._cache: dict[str, list] = {}  # hash -> [ForwardMsg, run count when last used]
        self._max_cache_age = DEFAULT_MAX_CACHE_AGE
        self._current: _RunOutput | None = None
        self._pending: asyncio.Future | None = None
        self._closed_reason = ""

    # connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        token = await asyncio.to_thread(fetch_xsrf_cookie, self.base_url)
        headers = {"Cookie": f"{XSRF_COOKIE}={token}"} if token else {}
        protocols = [SUBPROTOCOL, token] if token else [SUBPROTOCOL]
        ws_url = "ws" + self.base_url.removeprefix("http") + STREAM_PATH
        # Browsers never send websocket pings; the server pings and we answer.
        self._ws = await connect(ws_url, subprotocols=protocols, additional_headers=headers,
                                 origin=self.base_url, max_size=None, ping_interval=None,
                                 open_timeout=CONNECT_TIMEOUT_S)
        self._reader = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._reader

    async def _read_loop(self) -> None:
        try:
            async for frame in self._ws:
                self._dispatch(ForwardMsg.FromString(frame))
        except ConnectionClosed as err:
            self._closed_reason = f"connection closed ({err})"
        except Exception as err:
            # A message this client cannot handle (or a bug in it) ends this tab only,
            # and the run under way counts as failed.
            self._closed_reason = f"client error: {err!r}"
            await self._ws.close()
        finally:
            self._closed_reason = self._closed_reason or "connection closed"
            if self._pending is not None and not self._pending.done():
                self._finish(RunResult(ok=False, latency_s=self._elapsed(),
                                       reason=self._closed_reason,
                                       fragment_id=self._current.fragment_id
                                       if self._current else ""))

    # runs ---------------------------------------------------------------------------------

    def client_state(self, fragment_id: str = "", auto_rerun: bool = False) -> ClientState:
        """The ClientState the frontend sends with a rerun: page, URL, every widget
        (a fragment rerun too), and the fragment to rerun, if only one is; ``auto_rerun``
        for a tick of a run_every timer."""
        state = ClientState(query_string=self.query, page_name=self.page_name,
                            page_script_hash=self.page_script_hash, fragment_id=fragment_id,
                            is_auto_rerun=auto_rerun)
        for widget in self.widgets.values():
            widget_state = widget.state()
            if widget_state is not None:
                state.widget_states.widgets.append(widget_state)
        state.cached_message_hashes.extend(self._cache)
        info = state.context_info
        info.timezone, info.timezone_offset = CONTEXT["timezone"], CONTEXT["timezone_offset"]
        info.locale, info.color_scheme = CONTEXT["locale"], CONTEXT["color_scheme"]
        info.url = self.page_url()
        info.is_embedded = False
        return state

    def page_url(self) -> str:
        url = f"{self.base_url}/{self.page_name}"
        return f"{url}?{self.query}" if self.query else url

    async def change(self, values: dict[str, Any], timeout_s: float) -> RunResult:
        """Set widgets (by id) and rerun as the frontend would: only their fragment if
        every widget that changed lives in the same one, else the whole script.

        One moved widget is what a browser sends. For several at once (a sweep) this
        follows Streamlit's agent client (runtime/agent/widget_writes.resolve_fragment):
        one fragment id fits on the wire, so changes in several regions rerun it all.
        """
        scopes = set()
        for widget_id, value in values.items():
            widget = self.widgets[widget_id]
            if widget.value != value:
                scopes.add(widget.fragment_id)
            self.set_value(widget_id, value)
        fragment_id = scopes.pop() if len(scopes) == 1 else ""
        return await self.rerun(timeout_s, fragment_id)

    async def click(self, widget_id: str, timeout_s: float,
                    values: dict[str, Any] | None = None) -> RunResult:
        """Click a button, as a user does: one rerun (of the button's fragment, if it
        lives in one) whose widget states carry the button's ``trigger_value`` and every
        other widget's value. ``values`` first sets widgets (by id) without a rerun: the
        choices in a form, which the frontend sends only with its submit button's click.
        The trigger lasts for that one run, as in the frontend."""
        button = self.widgets[widget_id]
        if not button.clickable:
            raise ValueError(f"{button.label!r} is not a button one can click")
        for other_id, value in (values or {}).items():
            self.set_value(other_id, value)
        button.value = True
        try:
            return await self.rerun(timeout_s, button.fragment_id)
        finally:
            button.value = None

    async def tick(self, fragment_id: str, timeout_s: float) -> RunResult:
        """One tick of a run_every timer (``auto_reruns``): the frontend reruns that
        fragment (a full rerun for the page's own timer, fragment id ""), marked
        ``is_auto_rerun``."""
        return await self.rerun(timeout_s, fragment_id, auto_rerun=True)

    async def rerun(self, timeout_s: float, fragment_id: str = "",
                    auto_rerun: bool = False) -> RunResult:
        """Send rerun_script with the current widget states; wait for script_finished.

        With ``fragment_id`` only that fragment reruns: the run ends with
        FINISHED_FRAGMENT_RUN_SUCCESSFULLY and replaces only that fragment's part of
        the page, unless the fragment calls st.rerun(scope="app"): then it ends as the
        full run the server starts next (``RunResult.promoted``). A run that times out
        stays pending: the next rerun first waits (as long again) for its end, so that
        a late script_finished is never taken for the next run's.
        """
        if not await self.settle(timeout_s):
            return RunResult(ok=False, latency_s=0.0, reason="previous run never finished")
        if self._closed_reason:
            return RunResult(ok=False, latency_s=0.0, reason=self._closed_reason,
                             fragment_id=fragment_id)
        loop = asyncio.get_running_loop()
        self._pending = loop.create_future()
        self._current = _RunOutput(sent_at=time.perf_counter(), fragment_id=fragment_id)
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self.client_state(fragment_id, auto_rerun))
        try:
            await self._ws.send(msg.SerializeToString())
        except ConnectionClosed as err:
            self._pending = None
            return RunResult(ok=False, latency_s=0.0, reason=f"connection closed ({err})",
                             fragment_id=fragment_id)
        self.runs_sent += 1
        self.fragment_runs_sent += bool(fragment_id)
        try:
            return await asyncio.wait_for(asyncio.shield(self._pending), timeout_s)
        except TimeoutError:
            return RunResult(ok=False, latency_s=timeout_s, reason=TIMED_OUT,
                             fragment_id=fragment_id)

    async def settle(self, timeout_s: float) -> bool:
        """Wait for a run still under way (one that timed out) to end; False if it won't."""
        if self._pending is None or self._pending.done():
            return True
        try:
            await asyncio.wait_for(asyncio.shield(self._pending), timeout_s)
        except TimeoutError:
            return False
        return True

    def set_value(self, widget_id: str, value: Any) -> None:
        """Move a widget, as a user does in the browser (and update a bound URL param)."""
        widget = self.widgets[widget_id]
        widget.value = value
        if widget.query_param_key:
            self._bind_url(widget)

    def _bind_url(self, widget: Widget) -> None:
        params = [(k, v) for k, v in urllib.parse.parse_qsl(self.query, keep_blank_values=True)
                  if k != widget.query_param_key]
        if widget.value != widget.default:
            params += [(widget.query_param_key, v) for v in widget.url_values()]
        self.query = urllib.parse.urlencode(params)

    def _elapsed(self) -> float:
        return time.perf_counter() - self._current.sent_at if self._current else 0.0

    def _finish(self, result: RunResult) -> None:
        self.last = result
        if self._pending is not None and not self._pending.done():
            self._pending.set_result(result)

    # incoming messages --------------------------------------------------------------------

    def _dispatch(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            msg, kind = self._resolve_ref(msg), "delta"
        elif msg.metadata.cacheable:
            self._cache[msg.hash] = [msg, self.runs_finished]
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(msg)

    def _resolve_ref(self, ref: ForwardMsg) -> ForwardMsg:
        entry = self._cache.get(ref.ref_hash)
        if entry is None:
            raise ProtocolError(f"ref_hash {ref.ref_hash} is not in the message cache")
        entry[1] = self.runs_finished
        self.refs_resolved += 1
        full = ForwardMsg()
        full.CopyFrom(entry[0])
        full.metadata.CopyFrom(ref.metadata)
        return full

    def _on_new_session(self, msg: ForwardMsg) -> None:
        # Every run starts with one, fragment runs too: metadata.run names the fragments.
        fragment_ids = tuple(msg.metadata.run.fragment_ids)
        out = self._current
        if out is not None and out.restarting:  # the run the script's st.rerun() asked for
            self.server_reruns += 1
            self.server_fragment_reruns += bool(fragment_ids)
            out.restart(fragment_ids)
        elif out is not None:
            out.fragment_ids = fragment_ids
        if not fragment_ids:
            # A full run: the frontend stops every run_every timer; the run's own
            # auto_rerun messages start them again (App.handleNewSession).
            self.auto_reruns.clear()
            self.auto_rerun_since.clear()
        session = msg.new_session
        self.page_script_hash = session.page_script_hash or self.page_script_hash
        if session.config.max_cached_message_age:
            self._max_cache_age = session.config.max_cached_message_age

    def _on_navigation(self, msg: ForwardMsg) -> None:
        self.pages = pages_from_navigation(msg.navigation)
        self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash

    def _on_auto_rerun(self, msg: ForwardMsg) -> None:
        # The frontend's handleAutoRerun: the same interval again keeps its countdown.
        fragment_id, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
        if self.auto_reruns.get(fragment_id) != interval:
            self.auto_reruns[fragment_id] = interval
            self.auto_rerun_since[fragment_id] = time.monotonic()

    def _on_stop_auto_rerun(self, msg: ForwardMsg) -> None:
        for fragment_id in msg.stop_auto_rerun.fragment_ids:
            self.auto_reruns.pop(fragment_id, None)
            self.auto_rerun_since.pop(fragment_id, None)

    def _on_page_not_found(self, _msg: ForwardMsg) -> None:
        self.page_not_found = True

    def _on_page_info_changed(self, msg: ForwardMsg) -> None:
        # The app changed st.query_params: the frontend rewrites its URL, and sends the
        # new query string with every later rerun.
        self.query = msg.page_info_changed.query_string

    def _on_delta(self, msg: ForwardMsg) -> None:
        out = self._current
        kind = msg.delta.WhichOneof("type")
        if out is None or kind not in ("new_element", "add_block"):
            return  # transient elements (spinners) are not part of the page
        path = tuple(msg.metadata.delta_path)
        fragment_id = msg.delta.fragment_id
        if kind == "add_block":
            out.add(path, _Node(fragment_id, block=True))
            return
        element = msg.delta.new_element
        etype = element.WhichOneof("type")
        if etype == "exception":
            out.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        widget = widget_from_element(element, path,
                                     self.widgets.get(getattr(element, etype).id)
                                     if etype in WIDGET_ELEMENTS else None, fragment_id)
        node = _Node(fragment_id, widget=widget)
        if widget is None and path and path[0] == RootContainer.MAIN:
            node.output = msg.hash or hashlib.sha1(
                element.SerializeToString(deterministic=True)).hexdigest()
            if etype == "metric":
                node.metric = (element.metric.label, element.metric.body)
            elif etype == "alert":
                node.alert = (Alert.Format.Name(element.alert.format), element.alert.body)
            elif etype == "heading" and out.title is None:
                out.title = element.heading.body
        out.add(path, node)

    def _on_script_finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        fragment_run = status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
        if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.runs_finished += 1
            self._expire_cache(set(msg.metadata.run.fragment_ids) if fragment_run else None)
        out = self._current
        if out is None:
            return
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            # The script called st.rerun(): the server starts the next run itself (its
            # new_session follows at once), and this run's result is that run's. (A
            # browser's own rerun request ends a run early the same way; this client
            # never sends one while a run is under way.)
            out.script_reruns += 1
            out.restarting = True
            return
        latency = time.perf_counter() - out.sent_at
        self._current = None
        if status not in (ForwardMsg.FINISHED_SUCCESSFULLY,
                          ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            self._finish(RunResult(ok=False, latency_s=latency,
                                   reason=_FINISH_REASONS.get(status, str(status)),
                                   exceptions=out.exceptions, fragment_id=out.fragment_id))
            return
        promoted = bool(out.fragment_id) and bool(out.script_reruns) and not fragment_run
        fragments = set()
        if fragment_run:
            fragments = set(out.fragment_ids or msg.metadata.run.fragment_ids
                            or (out.fragment_id,))
        else:
            self.title = out.title or self.title  # a fragment's heading is not the page's
        # The frontend drops what the run replaced, and the state of widgets no longer
        # drawn; a fragment run leaves the rest of the page (and its widgets) alone.
        self._page = merged_page(self._page, out, fragments)
        self.widgets = {node.widget.id: node.widget for node in self._page.values()
                        if node.widget is not None}
        # A fragment rerun must end as one, a full rerun as a full run; the page above
        # follows what the server did, but the run did not do what was asked.
        wrong = "" if fragment_run == (bool(out.fragment_id) and not promoted) else (
            f"asked for a {'fragment' if out.fragment_id else 'full'} rerun, got "
            f"{ForwardMsg.ScriptFinishedStatus.Name(status)}")
        self._finish(RunResult(ok=not wrong, latency_s=latency, reason=wrong,
                               exceptions=out.exceptions, digest=page_digest(self._page),
                               metrics=page_metrics(self._page),
                               fragment_id=out.fragment_id, script_reruns=out.script_reruns,
                               promoted=promoted, alerts=page_alerts(self._page)))

    def _expire_cache(self, fragment_ids: set[str] | None = None) -> None:
        """Forget entries unused for too many runs; a fragment run (``fragment_ids``)
        only judges entries its fragments sent, as the frontend's ForwardMsgCache."""
        stale = [h for h, (msg, used) in self._cache.items()
                 if self.runs_finished - used > self._max_cache_age
                 and (fragment_ids is None or msg.delta.fragment_id in fragment_ids)]
        for h in stale:
            del self._cache[h]
