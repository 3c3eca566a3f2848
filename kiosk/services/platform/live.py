"""The change feed: boards hear about a write on any terminal within a second.

PostgreSQL: every write transaction calls ``pg_notify('qk_changes', …)`` before
it commits (see ``announce``, called by ``uow.transaction``), so the
notification is delivered exactly when the change becomes visible. One
listener thread per app holds its own autocommit connection with
``LISTEN qk_changes`` and reconnects by itself after a drop.

SQLite: there is no notification channel, so the listener polls
``PRAGMA data_version`` on a connection of its own; the number changes when
another connection commits.

Either way the listener calls ``on_change`` once per burst of changes
(changes that arrive within ``DEBOUNCE_SECONDS`` of each other are merged).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from models import db

CHANNEL = "qk_changes"
DEBOUNCE_SECONDS = 0.1
SQLITE_POLL_SECONDS = 0.2
RECONNECT_SECONDS = 1.0

log = logging.getLogger("kiosk.live")


def announce(topic: str = "change") -> None:
    """Inside a write transaction: tell every listener once it commits (PostgreSQL)."""
    if db.is_postgresql():
        db.database_proxy.execute_sql(
            "SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps({"topic": topic}))
        )


class ChangeFeed:
    """A background listener that calls `on_change()` after writes by anyone."""

    def __init__(self, url: str, on_change: Callable[[], None]) -> None:
        self.url = url
        self.on_change = on_change
        self.target = db.describe_url(url)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()

    def start(self) -> ChangeFeed:
        worker = (
            self._listen_postgresql if self.target.engine == "postgresql" else self._poll_sqlite
        )
        self._thread = threading.Thread(target=worker, name="qk-change-feed", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _fire(self) -> None:
        try:
            self.on_change()
        except Exception:  # a listener must survive a faulty subscriber
            log.exception("change subscriber failed")

    # -- PostgreSQL ------------------------------------------------------------------

    def _listen_postgresql(self) -> None:
        import psycopg

        params = db.connect_params(self.url)
        params["dbname"] = params.pop("database")
        while not self._stop.is_set():
            try:
                with psycopg.connect(autocommit=True, **params) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self._fire()  # catch up on anything missed while away
                    while not self._stop.is_set():
                        got = False
                        for _notify in connection.notifies(timeout=0.5, stop_after=1):
                            got = True
                        if got:
                            # merge the rest of a burst into one refresh
                            deadline = time.monotonic() + DEBOUNCE_SECONDS
                            while time.monotonic() < deadline:
                                for _notify in connection.notifies(
                                    timeout=max(deadline - time.monotonic(), 0.001)
                                ):
                                    pass
                            self._fire()
            except psycopg.Error as exc:
                self.connected.clear()
                log.warning("change feed lost its connection (%s); reconnecting", exc)
                self._stop.wait(RECONNECT_SECONDS)

    # -- SQLite ----------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        last: int | None = None
        while not self._stop.is_set():
            try:
                connection = sqlite3.connect(self.target.name, timeout=5)
                try:
                    self.connected.set()
                    while not self._stop.is_set():
                        (version,) = connection.execute("PRAGMA data_version").fetchone()
                        if last is not None and version != last:
                            self._stop.wait(DEBOUNCE_SECONDS)
                            (version,) = connection.execute("PRAGMA data_version").fetchone()
                            self._fire()
                        last = version
                        self._stop.wait(SQLITE_POLL_SECONDS)
                finally:
                    connection.close()
            except sqlite3.Error as exc:
                self.connected.clear()
                log.warning("change feed cannot read %s (%s); retrying", self.target.name, exc)
                last = None
                self._stop.wait(RECONNECT_SECONDS)
