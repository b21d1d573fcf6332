"""Controls: one table per page drives the widgets, the lesson link, reset, presets and
the clamping of hostile link values.

A ``Control`` is data: a stable key, a default, and its allowed values (``options`` or
``bounds``, the latter from quantlib's validation module). For each control:

- its value lives in session state under ``key`` (the *canonical* value), so it survives
  page switches and language switches;
- its widget has the key ``key@<lang>``: option widgets send their translated label back
  to the server, so a widget drawn in another language must be a new widget, initialised
  from the canonical value (a callback copies every change back);
- the URL holds ``?key=code`` whenever the value differs from the default: option codes,
  never translated labels, so a lesson link works in every language;
- a link value is read once per session, parsed and clamped to the allowed values; what
  was changed is said in a one-line notice, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from quantlib._validate import Interval

from .i18n import current_language, t
from .markdown import plain

WIDGETS = ("slider", "select_slider", "number", "select", "segmented", "radio", "checkbox",
           "toggle", "expander")
_OPTION_WIDGETS = ("select_slider", "select", "segmented", "radio")
_BOOLEAN_WIDGETS = ("checkbox", "toggle", "expander")
_ADOPTED = "_url_adopted"
_NOTICES = "_url_notices"
_LINKED = "_url_linked"  # keys whose value came from the link and was not changed since
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")
# Link values longer than this are not even parsed; a notice quotes at most _QUOTED_CHARS.
_MAX_LINK_CHARS = 4096
_QUOTED_CHARS = 40
_MISSING = object()


@dataclass(frozen=True)
class Control:
    """One control of a page: its key, default and allowed values, and how to draw it.

    ``label``/``help`` are i18n keys; ``option_label`` is an i18n key prefix (the label of
    option ``o`` is ``t(f"{option_label}.{o}")``) or a function of the option.
    """

    key: str
    default: Any
    widget: str
    label: str
    help: str | None = None
    options: tuple = ()
    bounds: Interval | None = None
    option_label: str | Callable[[Any], str] | None = None
    step: float | None = None
    fmt: str | None = None

    def __post_init__(self) -> None:
        if self.widget not in WIDGETS:
            raise ValueError(f"widget must be one of {WIDGETS}, got {self.widget!r}")
        if self.options and self.default not in self.options:
            raise ValueError(f"{self.key}: default {self.default!r} is not an option")
        if self.bounds is not None and not self.bounds.contains(self.default):
            raise ValueError(f"{self.key}: default {self.default!r} is outside its bounds")

    @property
    def is_option(self) -> bool:
        return self.widget in _OPTION_WIDGETS

    @property
    def is_bool(self) -> bool:
        return self.widget in _BOOLEAN_WIDGETS

    def format_option(self, option) -> str:
        if callable(self.option_label):
            return self.option_label(option)
        if self.option_label:
            return t(f"{self.option_label}.{option}")
        return str(option)

    def code(self, value) -> str:
        """The URL text of a value: the option's code, ``true``/``false``, or the number."""
        if self.is_bool:
            return "true" if value else "false"
        if isinstance(value, float):
            return repr(value)
        return str(value)

    def _numeric_options(self, options: Sequence) -> list:
        return [o for o in options if isinstance(o, int | float) and not isinstance(o, bool)]

    def allowed(self, value, options: Sequence | None = None,
                bounds: Interval | None = None) -> bool:
        """Whether ``value`` is allowed; ``options``/``bounds`` replace the table's."""
        options = self.options if options is None else options
        bounds = self.bounds if bounds is None else bounds
        if self.is_bool:
            return isinstance(value, bool)
        if options:
            return any(value == o and type(value) is type(o) for o in options)
        if bounds is not None:
            return bounds.contains(value)
        return isinstance(value, str)  # options known only when drawn (an upload's arrays)

    def nearest(self, value, options: Sequence | None = None, bounds: Interval | None = None):
        """The allowed value nearest to ``value`` (the default when nothing is near)."""
        options = self.options if options is None else options
        bounds = self.bounds if bounds is None else bounds
        if self.allowed(value, options, bounds):
            return value
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if options and not self.is_bool:
            numbers = self._numeric_options(options)
            if numbers and is_number and not math.isnan(value):
                if math.isinf(value):  # every option is as far: take the end it points to
                    return max(numbers) if value > 0 else min(numbers)
                return min(numbers, key=lambda o: (abs(o - value), o))
            return self.default if self.default in options else options[0]
        if bounds is not None and is_number:
            near = bounds.nearest(value)
            return self.default if near is None else near
        return self.default

    def parse(self, text: str):
        """A link value as a Python value of the right kind, or None if it cannot be read."""
        if len(str(text)) > _MAX_LINK_CHARS:
            return None
        if not self.options and self.bounds is None and not self.is_bool:
            return str(text)  # a name (an upload's array): spaces are part of it
        text = str(text).strip()
        if self.is_bool:
            low = text.lower()
            return True if low in _TRUE else False if low in _FALSE else None
        if self.options and not self._numeric_options(self.options):
            return next((o for o in self.options if o == text), None)
        try:
            number = float(text)
        except ValueError:
            return None
        integer = (self.bounds.integer if self.bounds is not None
                   else all(isinstance(o, int) for o in self.options))
        if integer and math.isfinite(number) and number == int(number):
            return int(number)
        return number


@dataclass(frozen=True)
class ControlTable:
    """Every control of one page (or of the workspace), plus its named presets."""

    name: str
    controls: tuple[Control, ...]
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    preset_key: str | None = None

    def __getitem__(self, key: str) -> Control:
        for control in self.controls:
            if control.key == key:
                return control
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.controls)

    def defaults(self) -> dict:
        return {c.key: c.default for c in self.controls}


def widget_key(key: str) -> str:
    """The widget key of control ``key`` in the current language."""
    return f"{key}@{current_language()}"


def value(control: Control):
    """The canonical value of a control (its default until it has one)."""
    return st.session_state.get(control.key, control.default)


def _forget_link(key: str) -> None:
    """The user changed this control: the link's value and notice about it are history."""
    _notices().pop(key, None)
    st.session_state.get(_LINKED, {}).pop(key, None)


def _notices() -> dict:
    return st.session_state.setdefault(_NOTICES, {})


def _notice(control: Control, text: str, result) -> None:
    quoted = text if len(text) <= _QUOTED_CHARS else text[:_QUOTED_CHARS] + "…"
    _notices()[control.key] = t("url.notice", name=plain(control.key), given=plain(quoted),
                                used=plain(control.code(result)))


def _adopt_value(control: Control, text: str) -> None:
    """Take ``?key=text`` into the canonical value, clamped, with a notice if changed."""
    parsed = control.parse(text)
    result = control.default if parsed is None else control.nearest(parsed)
    st.session_state[control.key] = result
    st.session_state.setdefault(_LINKED, {})[control.key] = text
    if parsed is None or result != parsed:
        _notice(control, text, result)


def bind(table: ControlTable) -> None:
    """Read a table's lesson-link values, once per session: its preset first, then every
    value the URL names explicitly (they win over the preset's)."""
    adopted = st.session_state.setdefault(_ADOPTED, set())
    if table.name in adopted:
        return
    adopted.add(table.name)
    params = st.query_params
    if table.preset_key and table.preset_key in params:
        preset = table.presets.get(params[table.preset_key])
        if preset is None:
            control = table[table.preset_key]
            _notice(control, params[table.preset_key], control.default)
        else:
            st.session_state[table.preset_key] = params[table.preset_key]
            for key, preset_value in preset.items():
                st.session_state[key] = preset_value
    for control in table.controls:
        if control.key in params and control.key != table.preset_key:
            _adopt_value(control, params[control.key])


def draw(control: Control, *, where=None, options: Sequence | None = None,
         bounds: Interval | None = None, disabled: bool = False,
         on_change: Callable[[], None] | None = None, **label_values):
    """Draw a control's widget (in ``where``, default the current container) and return
    its canonical value. ``options``/``bounds`` narrow the table's for this run (the axes
    of the current tensor, say); a value they no longer allow moves to the nearest one.
    """
    where = st if where is None else where
    options = tuple(control.options if options is None else options)
    bounds = control.bounds if bounds is None else bounds
    current = value(control)
    if not control.allowed(current, options, bounds):
        current = control.nearest(current, options, bounds)
        st.session_state[control.key] = current
        linked = st.session_state.get(_LINKED, {})
        if control.key in linked:  # this tensor allows less than the link asked for
            _notice(control, linked[control.key], current)
    wkey = widget_key(control.key)
    if st.session_state.get(wkey, _MISSING) != current:
        st.session_state[wkey] = current
    kwargs = dict(key=wkey, help=t(control.help) if control.help else None, disabled=disabled,
                  on_change=_changed, args=(control, wkey, options, bounds, on_change))
    label = t(control.label, **label_values)
    kind = control.widget
    if control.is_option:
        kwargs["format_func"] = control.format_option
        if kind == "select":
            where.selectbox(label, options, **kwargs)
        elif kind == "radio":
            where.radio(label, options, **kwargs)
        elif kind == "segmented":
            where.segmented_control(label, options, required=True, **kwargs)
        else:
            where.select_slider(label, options, **kwargs)
    elif control.is_bool:
        (where.toggle if kind == "toggle" else where.checkbox)(label, **kwargs)
    else:
        step = control.step if control.step is not None else (1 if bounds.integer else None)
        number = dict(min_value=bounds.low, max_value=bounds.high, step=step,
                      format=control.fmt)
        if kind == "slider":
            where.slider(label, **number, **kwargs)
        else:
            where.number_input(label, **number, **kwargs)
    return current


def draw_one(table: ControlTable, key: str, **kwargs):
    """Draw one control of ``table`` and keep the URL in step: for a control drawn on its
    own, inside a fragment (a log toggle, say), whose rerun publishes nothing else."""
    current = draw(table[key], **kwargs)
    publish(table)
    return current


def expander(control: Control, *, icon: str | None = None):
    """An expander whose open state is a control (so a link can open it); returns the
    container and whether it is open. Its content need not be drawn while it is closed."""
    current = bool(value(control))
    wkey = widget_key(control.key)
    box = st.expander(t(control.label), expanded=current, key=wkey, icon=icon,
                      on_change=_changed, args=(control, wkey, (), None, None))
    return box, current


def _changed(control: Control, wkey: str, options, bounds, extra) -> None:
    """Widget callback: the widget's new value becomes the canonical one."""
    st.session_state[control.key] = control.nearest(st.session_state.get(wkey), options, bounds)
    _forget_link(control.key)
    if extra is not None:
        extra()


def publish(table: ControlTable) -> None:
    """Keep the URL in step with a table: codes of the values that differ from defaults."""
    shown = st.query_params.to_dict()  # one read: every proxy access takes a lock
    for control in table.controls:
        current = value(control)
        if current == control.default or current is None:
            if control.key in shown:
                del st.query_params[control.key]
        elif shown.get(control.key) != control.code(current):
            st.query_params[control.key] = control.code(current)


def set_values(table: ControlTable, values: Mapping[str, Any] | None = None) -> None:
    """Reset a table's controls to their defaults, then set ``values`` (a callback)."""
    for control in table.controls:
        st.session_state[control.key] = control.default
        _forget_link(control.key)
    for key, new in (values or {}).items():
        st.session_state[key] = new


def set_value(control: Control, new) -> None:
    """Set one control (a button's callback: "next batch", say), clamped to its bounds."""
    st.session_state[control.key] = control.nearest(new)
    _forget_link(control.key)


def apply_preset(table: ControlTable) -> None:
    """Callback of a preset selector: load the chosen preset's values (if it has any)."""
    name = st.session_state.get(table.preset_key)
    if name in table.presets:
        set_values(table, {table.preset_key: name, **table.presets[name]})


def override(control: Control, new) -> None:
    """Replace a control's value for a rule between controls that a link broke (rows x
    columns within the cap, say), with a notice."""
    _notice(control, control.code(value(control)), new)
    st.session_state[control.key] = new


def from_link(control: Control) -> bool:
    """Whether the control's value came from the lesson link (and was not changed since)."""
    return control.key in st.session_state.get(_LINKED, {})


def notices() -> list[str]:
    """Every notice about a link value that was clamped or ignored in this session."""
    return list(_notices().values())
