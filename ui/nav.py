"""The app's pages: the built ones become st.Page entries, the rest show as "coming"."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from .i18n import t


@dataclass(frozen=True)
class PageInfo:
    key: str
    path: str | None  # None: not built yet, listed as "coming" on Home's learning path
    icon: str


PAGES = (
    PageInfo("home", "views/home.py", ":material/home:"),
    PageInfo("formats", None, ":material/memory:"),
    PageInfo("uniform", "views/uniform.py", ":material/stairs:"),
    PageInfo("calibration", None, ":material/tune:"),
    PageInfo("granularity", None, ":material/grid_view:"),
    PageInfo("nonuniform", None, ":material/scatter_plot:"),
    PageInfo("matmul", None, ":material/calculate:"),
    PageInfo("quiz", None, ":material/quiz:"),
    PageInfo("model", None, ":material/neurology:"),
)


def streamlit_pages() -> list:
    """st.Page objects for every built page, Home first and default."""
    return [
        st.Page(p.path, title=t(f"nav.{p.key}"), icon=p.icon, url_path=p.key,
                default=p.key == "home")
        for p in PAGES if p.path
    ]
