"""Navigation in sections, built from a registry of pages (``views.PAGES``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from .i18n import t
from .urlstate import ControlTable


@dataclass(frozen=True)
class PageInfo:
    """One page of the app: built (``path``) or still "coming" (no path). A page that
    never reads the tensor workspace (``workspace=False``) does not show its picker."""

    key: str
    section: str
    icon: str
    path: str | None = None
    table: ControlTable | None = None
    workspace: bool = True


def navigation(pages: Sequence[PageInfo]) -> tuple[st.navigation, PageInfo]:
    """Every built page in its section (the first page is the default); returns the page
    to run and its registry entry."""
    sections: dict[str, list] = {}
    entries = {}
    for info in pages:
        if info.path is None:
            continue
        page = st.Page(info.path, title=t(f"nav.{info.key}"), icon=info.icon,
                       url_path=info.key, default=info is pages[0])
        sections.setdefault(t(f"nav.section.{info.section}"), []).append(page)
        entries[id(page)] = info
    current = st.navigation(sections)
    return current, entries[id(current)]
