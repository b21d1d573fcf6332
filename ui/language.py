"""The language switch, itself a control: its value is in every lesson link (``?lang=vi``)."""

from __future__ import annotations

from .i18n import DEFAULT_LANGUAGE, LANG_KEY, LANGUAGES, forget_language
from .urlstate import Control, ControlTable, bind, draw, publish

TABLE = ControlTable("language", (
    Control(LANG_KEY, DEFAULT_LANGUAGE, "segmented", "lang.label", options=tuple(LANGUAGES),
            option_label=LANGUAGES.__getitem__),
))


def picker() -> None:
    """Draw the language switch. Call it before anything calls ``t()`` for the page, so
    that the first run of a Vietnamese lesson link is already in Vietnamese."""
    bind(TABLE)
    forget_language()  # a link's ?lang= was just read, or the switch moved
    draw(TABLE[LANG_KEY], on_change=forget_language)
    publish(TABLE)
