"""Every chart every built page draws passes plotly's full validation.

The app builds figures as plain dicts and skips plotly's validation on every rerun (it was
most of a rerun's cost), so this is where a page's figures are checked, as drawn.
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

import views
from tests.app.conftest import assert_ok, open_app

BUILT = [page.key for page in views.PAGES if page.path]


@pytest.mark.parametrize("page", BUILT)
def test_every_chart_of_the_default_page_is_a_valid_figure(page):
    at = open_app(None if page == BUILT[0] else page)
    assert_ok(at)
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    # Home's chart is optional; the Quiz draws a chart only for a teacher's open question
    # (its flow tests check that one).
    if page not in ("home", "quiz"):
        assert specs, f"the {page} page draws no chart"
    for spec in specs:
        go.Figure(spec)  # raises on any property plotly does not accept
