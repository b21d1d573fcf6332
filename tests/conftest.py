"""Every test runs against a quiz database of its own session, never the app's
``data/quantlab.sqlite3`` (a page test that opens the Quiz in teacher mode opens one)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _quiz_database(tmp_path_factory):
    before = os.environ.get("QUANTLAB_DB")
    os.environ["QUANTLAB_DB"] = str(tmp_path_factory.mktemp("quiz") / "tests.sqlite3")
    yield
    if before is None:
        os.environ.pop("QUANTLAB_DB", None)
    else:
        os.environ["QUANTLAB_DB"] = before
