"""Helpers for AppTest: open the app on a page with URL query parameters, read metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from ui.i18n import catalogue

APP = Path(__file__).resolve().parents[2] / "app.py"
# The server redacts tracebacks for students; tests want the whole story.
config.set_option("client.showErrorDetails", "full")
TIMEOUT = 60


def en(key: str, **values) -> str:
    text = catalogue("en")[key]
    return text.format(**values) if values else text


def open_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """Run the app as a first visit to ``/<page>?<query>`` (a lesson link)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(f"views/{page}.py")
    return at.run()


def assert_ok(at: AppTest) -> None:
    """No exception box, and no error message either."""
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, key: str) -> str:
    label = en(key)
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric labelled {label!r}; have {[m.label for m in at.metric]}"
    return values[0]


@pytest.fixture
def uniform() -> AppTest:
    at = open_app("uniform")
    assert_ok(at)
    return at
