"""Translations: ``t(name)`` looks a text up in the current language's catalogue."""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .markdown import plain

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"
LANG_KEY = "lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat key -> text mapping of one language (read once per process)."""
    return json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


# The language of the run in progress, per script thread. A page calls t() a few hundred
# times a run, and reading session state each time cost several milliseconds of every
# rerun. Each run has a thread of its own; the session id guards the rest.
_run = threading.local()


def current_language() -> str:
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and getattr(_run, "session", None) == ctx.session_id:
        return _run.lang
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    if ctx is not None:
        _run.session, _run.lang = ctx.session_id, lang
    return lang


def forget_language() -> None:
    """The language changed (a callback of the switch): read it again."""
    _run.session = None


def t(key: str, **values) -> str:
    """The text for ``key`` in the current language, with ``{placeholders}`` filled in.

    Falls back to English, then to the key itself, so that a missing translation shows
    up plainly instead of crashing a lecture (a test keeps the catalogues complete).
    """
    text = catalogue(current_language()).get(key) or catalogue(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def has(key: str) -> bool:
    """Whether the catalogues have a text for ``key``."""
    return key in catalogue(DEFAULT_LANGUAGE)


def coded_error(err, prefix: str = "err") -> str:
    """The message of a quantlib error (a CodedError) in the current language.

    Its ``code`` names the catalogue key ``<prefix>.<code>``; a nested value with a code
    of its own (the array a message is about) is translated the same way. English, as
    the library wrote it, when the catalogue has no such key.
    """
    key = f"{prefix}.{err.code}"
    if not has(key):
        return plain(str(err))
    # Params come from files and links (array names, tokens): never Markdown.
    return t(key, **{name: coded_error(v, prefix) if hasattr(v, "code") else plain(str(v))
                     for name, v in err.params.items()})
