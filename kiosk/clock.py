"""Injectable UTC clock: services ask it for the time, tests move it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """This machine's clock. Kiosk clocks drift, so on PostgreSQL the deadline decisions
    (on time or late) take the database server's clock instead (lifecycle.deadline_now)."""

    defers_to_database = True

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until told to move (for tests and demos). It decides
    deadlines itself on either engine: a test sets the time it means."""

    defers_to_database = False

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """A stored UTC time in this terminal's local time zone, for display."""
    return moment.astimezone()


def format_local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(moment).strftime(pattern) if moment else "—"
