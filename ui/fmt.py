"""Number formatting for labels, tables and metrics (formatting only, no arithmetic)."""

from __future__ import annotations

import math

from .i18n import t

_UNITS = ("B", "KB", "MB", "GB", "TB")
_KILO = 1000.0  # decimal units, as storage and model cards use


def num(value, digits: int = 4) -> str:
    """A compact number: ``0.005882``, ``-128``, ``1.2e-08``, ``∞``; ``—`` when missing."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def db(value) -> str:
    """A decibel figure: ``42.1 dB``, or ``∞ dB`` for an exact reconstruction."""
    return f"{num(value, 3)} dB" if not (value is not None and math.isnan(value)) else "—"


def pct(fraction) -> str:
    """A fraction as a percentage with sensible precision: ``0.25`` -> ``25%``."""
    if fraction is None or math.isnan(fraction):
        return "—"
    value = 100 * float(fraction)
    return f"{value:.3g}%" if value else "0%"


def size(nbytes) -> str:
    """Bytes in decimal units: ``64 B``, ``1.5 MB``."""
    if nbytes is None or math.isnan(nbytes):
        return "—"
    value = float(nbytes)
    for unit in _UNITS:
        if abs(value) < _KILO or unit == _UNITS[-1]:
            return f"{value:.3g} {unit}" if unit != "B" else f"{value:.4g} B"
        value /= _KILO
    return f"{value:.3g} {_UNITS[-1]}"


def shape(dims) -> str:
    """A tensor shape: ``4096 × 4096``; a 1-D shape shows as ``8``."""
    return " × ".join(str(d) for d in dims) if dims else t("fmt.scalar")
