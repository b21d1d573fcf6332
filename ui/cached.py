"""Cached quantlib calls for the pages, keyed by the workspace spec and the settings.

Arrays are passed as ``_underscored`` arguments (never hashed); the workspace key
identifies the tensor exactly, so a cache can never return results for the wrong one.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import quantlib as ql

from .controls import UniformSettings

# Reports are small (binned arrays), so many fit; the TTL frees memory after a lecture.
_ENTRIES = 128
_TTL_SECONDS = 3600


@st.cache_data(max_entries=_ENTRIES, ttl=_TTL_SECONDS, show_spinner=False)
def uniform_report(workspace_key: str, _x: np.ndarray, settings: UniformSettings
                   ) -> ql.UniformReport:
    return ql.uniform_report(_x, **settings.report_kwargs())
