"""Helpers for AppTest: open the app on a page with URL query parameters, find widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.testing.v1 import AppTest

from ui import i18n
from ui.i18n import catalogue

APP = Path(__file__).resolve().parents[2] / "app.py"
# The server redacts tracebacks for students; tests want the whole story.
config.set_option("client.showErrorDetails", "full")
TIMEOUT = 60


def en(key: str, **values) -> str:
    text = catalogue("en")[key]
    return text.format(**values) if values else text


def page_path(page: str) -> str:
    return f"views/{page}/{page}.py"


def open_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """Run the app as a first visit to ``/<page>?<query>`` (a lesson link)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page_path(page))
    return at.run()


def wkey(key: str, lang: str = "en") -> str:
    """The widget key of control ``key`` when the page is shown in ``lang``."""
    return f"{key}@{lang}"


def widget(at: AppTest, key: str, lang: str = "en"):
    """The widget of control ``key`` (main area or sidebar), or None if not drawn."""
    wanted = wkey(key, lang)
    for tree in (at.main, at.sidebar):
        for element in tree:
            # An expander has a key too, but no value to read or set.
            if getattr(element, "key", None) == wanted and hasattr(element, "value"):
                return element
    return None


def assert_ok(at: AppTest) -> None:
    """No exception box, and no error message either."""
    assert not at.exception, [(e.value, e.stack_trace) for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, key: str) -> str:
    label = en(key)
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric labelled {label!r}; have {[m.label for m in at.metric]}"
    return values[0]


def notices(at: AppTest) -> list[str]:
    """The one-line notices about lesson-link values that were clamped or ignored."""
    return [i.value for i in at.info if i.icon == ":material/link:"]


@pytest.fixture
def uniform() -> AppTest:
    at = open_app("uniform")
    assert_ok(at)
    return at


@pytest.fixture
def outside_language(monkeypatch):
    """AppTest calls a widget's format_func in the test's thread, outside any app run,
    where ``t()`` sees no session and answers in English, while the options it compares
    with were drawn in the page's language. Call the returned function with the language
    the page is shown in, so that outside a run ``t()`` answers in that language too."""
    in_app = i18n.current_language
    outside = {"lang": i18n.DEFAULT_LANGUAGE}
    monkeypatch.setattr(i18n, "current_language", lambda: in_app() if get_script_run_ctx(
        suppress_warning=True) else outside["lang"])
    return lambda lang: outside.update(lang=lang)


@pytest.fixture
def vietnamese_outside_the_app(outside_language):
    outside_language("vi")
