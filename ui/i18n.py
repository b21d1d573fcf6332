"""Translations: ``t(name)`` looks a text up in the current language's catalogue."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = {"en": "English", "vi": "Tiếng Việt"}
DEFAULT_LANGUAGE = "en"
LANG_KEY = "lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat key -> text mapping of one language (read once per process)."""
    return json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def current_language() -> str:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **values) -> str:
    """The text for ``key`` in the current language, with ``{placeholders}`` filled in.

    Falls back to English, then to the key itself, so that a missing translation shows
    up plainly instead of crashing a lecture (a test keeps the catalogues complete).
    """
    text = catalogue(current_language()).get(key) or catalogue(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def language_picker() -> None:
    """The language switch; its value lives in the URL (``?lang=vi``) for lesson links.

    Draw it before anything calls ``t()``, so that the first run is already translated.
    """
    from .urlstate import choice

    choice(st.segmented_control, t("lang.label"), LANGUAGES, key=LANG_KEY,
           default=DEFAULT_LANGUAGE, format_func=LANGUAGES.__getitem__)
