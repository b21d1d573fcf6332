"""Switching the language in the middle of a session keeps every value on every page, and
every control keeps working afterwards (a selectbox used to crash with a KeyError)."""

from __future__ import annotations

import pytest

import views
from tests.app.conftest import assert_ok, notices, open_app, widget
from tests.app.test_lesson_links import non_default, query_of
from ui import i18n, workspace

BUILT = [page for page in views.PAGES if page.path]


def _page_values(page) -> dict:
    """A non-default value for every control of the page and the workspace (generate),
    if the page shows the workspace."""
    shared = {c.key: non_default(c) for c in workspace.table().controls
              if c.key not in ("ws_source", "ws_array")} if page.workspace else {}
    return {**shared, **{c.key: non_default(c) for c in page.table.controls}}


@pytest.mark.parametrize(("start", "switch_to"), [("en", "vi"), ("vi", "en")])
@pytest.mark.parametrize("page", BUILT, ids=[p.key for p in BUILT])
def test_language_switch_keeps_every_value(page, start, switch_to, outside_language):
    values = _page_values(page)
    at = open_app(page.key if page.key != "home" else None,
                  {**query_of(values), "lang": start})
    assert not at.exception and notices(at) == []
    outside_language(start)
    widget(at, i18n.LANG_KEY, start).set_value(switch_to).run()
    outside_language(switch_to)
    assert not at.exception, [e.value for e in at.exception]
    for key, expected in values.items():
        assert at.session_state[key] == expected, key
        shown = widget(at, key, switch_to)
        if shown is not None:
            assert shown.value == expected, key
    # Every option widget drawn in the new language still works when clicked.
    for control in page.table.controls:
        shown = widget(at, control.key, switch_to)
        if shown is not None and control.options and not shown.disabled:
            shown.set_value(control.default).run()
            assert not at.exception, (control.key, [e.value for e in at.exception])
            assert at.session_state[control.key] == control.default


def test_home_model_survives_a_switch_and_a_click(outside_language):
    """The issue's exact steps: a Mistral link with a Laplace workspace, switch to
    Vietnamese, press + on bits: the table must still be Mistral's, the tensor Laplace."""
    at = open_app(None, {"h_model": "Mistral 7B", "ws_kind": "laplace"})
    assert_ok(at)
    widget(at, i18n.LANG_KEY).set_value("vi").run()
    outside_language("vi")
    bits = widget(at, "h_bits", "vi")
    bits.increment().run()
    assert not at.exception
    assert at.session_state["h_model"] == "Mistral 7B"
    assert at.session_state["ws_kind"] == "laplace"
    table = at.dataframe[0].value
    assert "14" in list(table.iloc[:, 2])  # Mistral 7B in FP16: 14 GB
    assert at.query_params["h_model"] in ("Mistral 7B", ["Mistral 7B"])
    assert at.query_params["ws_kind"] in ("laplace", ["laplace"])
