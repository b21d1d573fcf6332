"""Process-wide tuning for a classroom server: one process runs every student's reruns."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_startup_objects() -> None:
    """Take every object alive after the app's imports out of the garbage collector's view.

    Streamlit runs a full ``gc.collect()`` after every script run (``runner.postScriptGC``)
    so that a session's garbage is freed at once. A full collection walks every object
    the process tracks, and numpy, pandas, pyarrow and plotly bring about a million of
    them, which never die: that walk cost half of a Uniform rerun's CPU. ``gc.freeze()``
    moves them to a permanent generation that collections skip, so each collection only
    walks what the sessions made since. Called on every run; it acts once per process.
    """
    global _frozen
    with _lock:
        if _frozen:
            return
        # The modules the first page loads lazily (st.dataframe brings pandas and pyarrow).
        import pandas  # noqa: F401
        import plotly.graph_objects  # noqa: F401
        import pyarrow  # noqa: F401

        gc.collect()
        gc.freeze()
        _frozen = True
