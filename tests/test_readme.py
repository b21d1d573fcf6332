"""The README's examples still work: its notebook code runs, its lesson links open."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.app.conftest import assert_ok, notices, open_app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
LINKS = re.findall(r"`(http://localhost:8501/[^`]*)`", README)


def test_the_notebook_example_runs():
    assert PYTHON_BLOCKS
    for block in PYTHON_BLOCKS:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102


@pytest.mark.parametrize("link", LINKS)
def test_every_lesson_link_in_the_readme_opens_cleanly(link):
    url = urlparse(link)
    page = url.path.strip("/") or None
    at = open_app(page, dict(parse_qsl(url.query)))
    assert_ok(at)
    assert notices(at) == []
