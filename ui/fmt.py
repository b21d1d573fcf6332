"""Numbers and names as display text (formatting only, no arithmetic)."""

from __future__ import annotations

import math

from lessons.text import num

from .i18n import t
from .markdown import plain

__all__ = ["count", "db", "num", "pct", "plain", "seconds", "shape", "size"]

_UNITS = ("B", "KB", "MB", "GB", "TB")
_KILO = 1000.0  # decimal units, as storage and model cards use
def _missing(value) -> bool:
    return value is None or math.isnan(value)


def _infinite(value) -> str | None:
    """``num``'s text for ±inf, None for a finite value."""
    return num(value) if math.isinf(value) else None


def db(value) -> str:
    """A decibel figure: ``42.1 dB``, or ``∞ dB`` for an exact reconstruction."""
    return "—" if _missing(value) else f"{num(value, 3)} dB"


def pct(fraction) -> str:
    """A fraction as a percentage with sensible precision: ``0.25`` -> ``25%``."""
    if _missing(fraction):
        return "—"
    value = 100 * float(fraction)
    if _infinite(value):
        return f"{_infinite(value)}%"
    return f"{value:.3g}%" if value else "0%"


def size(nbytes) -> str:
    """Bytes in decimal units: ``64 B``, ``1.5 MB``; 999,999 bytes read ``1 MB``."""
    if _missing(nbytes):
        return "—"
    value = float(nbytes)
    if _infinite(value):
        return f"{_infinite(value)} {_UNITS[-1]}"
    for unit in _UNITS:
        shown = float(f"{value:.3g}")  # choose the unit after rounding: never "1e+03 KB"
        if abs(shown) < _KILO or unit == _UNITS[-1]:
            return f"{value:.4g} B" if unit == "B" else f"{num(shown, 3)} {unit}"
        value /= _KILO
    return f"{value:.3g} {_UNITS[-1]}"


def seconds(value) -> str:
    """A duration: ``0.85 s``, ``12.3 ms``, ``45 µs``."""
    if _missing(value):
        return "—"
    value = float(value)
    if _infinite(value):
        return f"{_infinite(value)} s"
    if abs(value) >= 1:
        return f"{num(value, 3)} s"
    if abs(value) >= 1e-3:
        return f"{num(value * 1e3, 3)} ms"
    return f"{num(value * 1e6, 3)} µs"


def shape(dims) -> str:
    """A tensor shape: ``4096 × 4096``; a 1-D shape shows as ``8``."""
    return " × ".join(str(d) for d in dims) if dims else t("fmt.scalar")


def count(n: int, key: str) -> str:
    """``n`` things with the right grammatical number: ``t(key + ".one")`` for 1, else
    ``t(key + ".other")``; both take ``{n}`` (with thousands separators)."""
    return t(f"{key}.{'one' if n == 1 else 'other'}", n=f"{n:,}")
