"""The Clock port: services ask it for the time, so tests can freeze it."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""


class SystemClock:
    def now(self) -> float:
        return time.time()


def epoch_of(text: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 time (``Z`` or an offset); None for an
    empty or unreadable one."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
