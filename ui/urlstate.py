"""Option widgets whose URL value is a stable code, not a translated label.

Streamlit's ``bind="query-params"`` writes an option widget's *formatted label* into the
URL, so ``?u_mode=Scale (symmetric)`` would stop working in Vietnamese. Lesson links
must work in every language, so option widgets use this binding instead: the URL
holds the option's code (``?u_mode=scale``, ``?lang=vi``), read once per session and
written back whenever the value differs from the default. Numeric widgets keep
Streamlit's own binding, whose URL values do not depend on the language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

_ADOPTED = "_url_adopted"


def adopt(key: str, options: Sequence) -> None:
    """Take ``?key=code`` from the URL into the widget's state, once per session."""
    adopted = st.session_state.setdefault(_ADOPTED, set())
    if key in adopted:
        return
    adopted.add(key)
    code = st.query_params.get(key)
    match = next((o for o in options if str(o) == code), None)
    if match is not None and key not in st.session_state:
        st.session_state[key] = match


def publish(key: str, value, default) -> None:
    """Keep the URL in step: the code when it differs from the default, else nothing."""
    if value == default or value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def choice(widget: Callable, label: str, options: Sequence, *, key: str, default,
           **kwargs):
    """Draw an option widget (selectbox, radio or segmented_control) bound to the URL.

    ``default`` must be one of ``options``; the widget keeps its value across pages.
    """
    options = list(options)
    adopt(key, options)
    if st.session_state.get(key, default) not in options:
        st.session_state.pop(key, None)
    if getattr(widget, "__name__", "") == "segmented_control":
        kwargs.update(default=default, required=True)
    else:
        kwargs.update(index=options.index(default))
    value = widget(label, options, key=key, persist_state="session", **kwargs)
    publish(key, value, default)
    return value
