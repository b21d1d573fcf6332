"""The teacher's passcode: ``$QUANTLAB_TEACHER_KEY``, or one generated at start-up and
printed to the server log (once per process)."""

from __future__ import annotations

import hmac
import os
import secrets
import sys
import threading

ENV_VAR = "QUANTLAB_TEACHER_KEY"
_lock = threading.Lock()
_generated: str | None = None


def teacher_key() -> str:
    """The passcode: the environment's, else one generated now and logged once."""
    global _generated
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return configured
    with _lock:
        if _generated is None:
            _generated = secrets.token_urlsafe(6)
            print(f"Quantization Lab: {ENV_VAR} is not set; the teacher passcode for the Quiz "
                  f"page is {_generated}", file=sys.stderr, flush=True)
        return _generated


def check(given: str) -> bool:
    """Whether ``given`` is the passcode (compared in constant time)."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), teacher_key().encode())


if __name__ == "__main__":
    # `python -m quiz.access`: the passcode a server should use (the environment's, else
    # a new one, logged to stderr), on stdout: the container's start command exports it
    # before Streamlit starts, so it is in the log at start-up, not at the first visit.
    print(teacher_key())
