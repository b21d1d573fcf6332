"""Text from outside (file names, array names, link values) shown safely inside Markdown."""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in Markdown (CommonMark).
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Invisible, but it breaks the patterns that Markdown renderers turn into links
# (``scheme://``, ``www.``, ``user@host``) even where escaping does not.
_WORD_JOINER = "\u2060"
# Control characters (NUL, ESC, ...) other than tab and line breaks: shown as "\ufffd".
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AUTOLINK_STARTS = re.compile(r"(?i)(\\[:@]|w(?=ww\\\.))")


def plain(text: str) -> str:
    r"""``text`` (a file or array name, say) shown literally inside Markdown: no links,
    emphasis, colours, formulas or HTML, whatever it contains.

    >>> print(plain("a_b [x](http://e.com)").replace(_WORD_JOINER, "<wj>"))
    a\_b \[x\]\(http\:<wj>\/\/e\.com\)
    """
    visible = _CONTROL.sub("\ufffd", str(text))  # a NUL or an escape shows as �
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", visible)
    return _AUTOLINK_STARTS.sub(lambda m: m.group(1) + _WORD_JOINER, escaped)
