"""ui.markdown.plain: outside text shown literally in Markdown.

Streamlit's renderer cannot run in a unit test, so the checks are structural, on what a
CommonMark + GFM renderer does: a backslash before ASCII punctuation makes it literal,
and GFM's autolinks (``scheme://``, ``www.``, ``user@host``) need their characters
adjacent, which an invisible word joiner prevents.
"""

from __future__ import annotations

import re
import string

import pytest

from ui.markdown import plain

WORD_JOINER = "\u2060"
PUNCTUATION = frozenset(string.punctuation)  # CommonMark's escapable ASCII punctuation

HOSTILE = {
    "markdown-link": "[click me](http://evil.example/x?a=1&b=2)",
    "bold": "**bold**",
    "colour": ":red[RED]",
    "formula": "$x^2$",
    "html": "<b>html</b>",
    "url": "http://e.com",
    "https-url": "see https://e.com/path_(1)",
    "www-upper": "WWW.e.com",
    "www-mixed": "visit wWw.e.com now",
    "www-four": "wwww.e.com",
    "email": "user@host.com",
    "mailto": "mailto:user@host.com",
    "backticks": "`code` and ```fence```",
    "backslashes": "C:\\new\\table \\\\ \\* \\:",
    "heading": "# not a heading",
    "table": "a | b | c",
    "emoji": "weights 🔥🧠 v2",
    "vietnamese": "Trọng số của lớp ẩn (tầng 1)",
    "every-ascii-punctuation": string.punctuation,
    "underscores": "model.layers.0.mlp_up_proj",
    "newline": "line one\n===\n- item",
    "empty": "",
}


def _rendered(result: str) -> str:
    """What a CommonMark renderer shows: each ``\\X`` (X punctuation) becomes ``X``."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", result)


def _unescaped_punctuation(result: str) -> list[str]:
    """ASCII punctuation characters of ``result`` that no backslash makes literal."""
    bare, i = [], 0
    while i < len(result):
        char = result[i]
        if char == "\\" and i + 1 < len(result) and result[i + 1] in PUNCTUATION:
            i += 2
            continue
        if char in PUNCTUATION:
            bare.append(char)
        i += 1
    return bare


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_punctuation_char_is_escaped(text):
    assert _unescaped_punctuation(plain(text)) == []


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_no_autolink_pattern_survives(text):
    shown = _rendered(plain(text))
    assert "://" not in shown
    assert "www." not in shown.lower()
    for match in re.finditer(r"[:@]", shown):
        assert shown[match.end():match.end() + 1] == WORD_JOINER, (shown, match.start())


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_renders_back_to_the_original(text):
    assert _rendered(plain(text)).replace(WORD_JOINER, "") == text


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("http://e.com", "http\\:\u2060\\/\\/e\\.com", id="url"),
    pytest.param("WWW.e.com", "W\u2060WW\\.e\\.com", id="www"),
    pytest.param("user@host.com", "user\\@\u2060host\\.com", id="email"),
    pytest.param("a\\b", "a\\\\b", id="backslash"),
    pytest.param("Trọng số 🔥", "Trọng số 🔥", id="no-punctuation-unchanged"),
])
def test_exact_output(text, expected):
    assert plain(text) == expected


def test_non_text_is_shown_as_text():
    assert plain(3.5) == "3\\.5"


def test_control_characters_show_as_replacement_characters():
    """A NUL or an escape from a link is not passed to the page as it came."""
    assert plain("a\x00b\x1bc\x7f") == "a\ufffdb\ufffdc\ufffd"
    assert plain("one\ttwo\nthree") == "one\ttwo\nthree"
