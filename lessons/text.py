"""Numbers as text, for formulas, code and labels. No arithmetic happens here."""

from __future__ import annotations

import math

# Integers up to this are shown in full; beyond, in scientific notation.
_WHOLE_LIMIT = 1e15


def num(value, digits: int = 4) -> str:
    """A compact number: ``0.005882``, ``-128``, ``1.2e-08``, ``∞``; ``—`` when missing.

    >>> num(0.00588235294), num(-128.0), num(float("inf")), num(None)
    ('0.005882', '-128', '∞', '—')
    """
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == int(value) and abs(value) < _WHOLE_LIMIT:
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def exact(value) -> str:
    """A float written so that Python reads back exactly the same float (for code).

    >>> exact(0.1), exact(2.0), exact(1e-300)
    ('0.1', '2.0', '1e-300')
    """
    return repr(float(value))


def interval_text(low: float, high: float, low_closed: bool, high_closed: bool,
                  digits: int = 6) -> str:
    """An interval in the usual notation, [a, b) and so on.

    >>> interval_text(0.75, 1.25, True, True), interval_text(-math.inf, 2.5, False, False)
    ('[0.75, 1.25]', '(−∞, 2.5)')
    """
    def end(v: float) -> str:
        return num(v, digits)
    return f"{'[' if low_closed else '('}{end(low)}, {end(high)}{']' if high_closed else ')'}"
