"""Points for one answer: right/wrong, or speed points that decay from 1000 to 500.

>>> points(True, 0.0, 20.0, "speed"), points(True, 10.0, 20.0, "speed")
(1000, 750)
>>> points(True, 25, 20, "speed")
500
>>> points(True, 3.0, None, "correct"), points(False, 0.0, 20.0, "speed")
(1, 0)
"""

from __future__ import annotations

SCORINGS = ("correct", "speed")
MAX_POINTS, MIN_POINTS = 1000, 500


def points(correct: bool, elapsed_s: float, time_limit_s: float | None, scoring: str) -> int:
    """``correct`` scores 1 (right/wrong) or, with ``speed`` and a time limit, 1000 at once
    falling linearly to 500 at the limit (as Kahoot does); a wrong answer scores 0."""
    if not correct:
        return 0
    if scoring != "speed" or not time_limit_s:
        return 1
    share = min(max(elapsed_s / time_limit_s, 0.0), 1.0)
    return round(MAX_POINTS - (MAX_POINTS - MIN_POINTS) * share)
