"""The change feed: boards hear about a write on any terminal within a second, and what
kind of data it changed, so they re-read only the panels that show that data.

A write transaction (``uow.transaction``) notes the tables it writes (models.db); just
before it commits, ``announce`` turns them into topics (``TOPICS``: "points",
"defects", ...) and tells the listeners:

PostgreSQL: ``pg_notify('qk_changes', '{"topics": [...]}')``, delivered exactly when the
change becomes visible. One listener thread per app holds its own autocommit connection
with ``LISTEN qk_changes`` (straight to the server, never through a transaction pooler:
see ``QK_DIRECT_DATABASE_URL``) and reconnects by itself after a drop.

SQLite: there is no notification channel. The transaction counts each topic up in a
``live:<topic>`` row of plant_setting (one writer at a time on SQLite, so no row is
contended), and the listener polls ``PRAGMA data_version`` on a connection of its own;
when it moves, the counters say which topics did. A change that moved no counter (a
write outside a unit of work, a migration) is reported as "other": everything.

Either way the listener calls ``on_change(topics)`` at once for the first write of a
burst (a single write shows at once), then merges whatever follows: once at the end of each
``GAP_SECONDS`` that heard more writes, with the union of their topics. A burst costs a
board two refreshes, a steady stream one every ``GAP_SECONDS``, and no write waits longer
than that (plus a poll on SQLite) to be announced.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable

from models import db

CHANNEL = "qk_changes"
GAP_SECONDS = 0.2  # after a call, the writes of this long are merged into the next one
SQLITE_POLL_SECONDS = 0.02  # PRAGMA data_version on a connection of its own: a few µs
RECONNECT_SECONDS = 1.0
COUNTER_PREFIX = "live:"  # SQLite: plant_setting rows counting each topic's writes

OTHER = "other"  # a change of unknown kind: whoever listens refreshes everything
# which kind of data each table holds (the topics a notification names)
TOPICS: dict[str, str] = {
    **dict.fromkeys(("ledger_entry", "ledger_chain", "team_point_total"), "points"),
    **dict.fromkeys(("defect", "defect_event", "defect_progress"), "defects"),
    **dict.fromkeys(
        (
            "quiz_answer",
            "question",
            "choice",
            "assessment",
            "assessment_item",
            "skill_criterion",
            "skill_event",
            "skill_participant",
            "skill_score",
        ),
        "training",
    ),
    **dict.fromkeys(
        (
            "inspection",
            "inspection_result",
            "checklist_item",
            "production_count",
            "production_line",
            "line_evaluation",
            "line_score",
        ),
        "production",
    ),
    **dict.fromkeys(("supplier", "anomaly_history"), "suppliers"),
    **dict.fromkeys(("employee", "team", "department", "station", "enrolment_code"), "people"),
    "campaign": "campaign",
    **dict.fromkeys(
        ("contest", "contest_answer", "contest_entry", "contest_item", "contest_team_member"),
        "contests",
    ),
    "proposal": "proposals",
    "plant_setting": "settings",
    "audit_entry": "audit",
}
EVERYTHING = frozenset({OTHER})

log = logging.getLogger("kiosk.live")


def topics_of(tables: Iterable[str]) -> frozenset[str]:
    """The kinds of data these tables hold; an unknown table is OTHER."""
    return frozenset(TOPICS.get(table, OTHER) for table in tables)


def announce(tables: Iterable[str]) -> None:
    """Inside a write transaction, just before it commits: tell every listener what kinds
    of data it wrote (nothing written: nobody is woken)."""
    topics = sorted(topics_of(tables))
    if not topics:
        return
    if db.is_postgresql():
        db.database_proxy.execute_sql(
            "SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps({"topics": topics}))
        )
        return
    for topic in topics:
        db.database_proxy.execute_sql(
            "INSERT INTO plant_setting (key, value) VALUES (?, '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            (COUNTER_PREFIX + topic,),
        )


def _payload_topics(payload: str) -> frozenset[str]:
    try:
        topics = json.loads(payload).get("topics")
    except (ValueError, AttributeError):
        return EVERYTHING
    return frozenset(map(str, topics)) if isinstance(topics, list) and topics else EVERYTHING


class ChangeFeed:
    """A background listener that calls `on_change(topics)` after writes by anyone."""

    def __init__(self, url: str, on_change: Callable[[frozenset[str]], None]) -> None:
        self.url = db.direct_url(url)  # LISTEN needs a session of its own: never a pooler
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

    def _fire(self, topics: frozenset[str]) -> None:
        try:
            self.on_change(topics)
        except Exception:  # a listener must survive a faulty subscriber
            log.exception("change subscriber failed")

    def _burst(self, first: frozenset[str], more: Callable[[float], frozenset[str]]) -> None:
        """Fire `first` at once; then, while writes keep coming, fire what each following
        GAP_SECONDS heard, once at its end (more(timeout): the topics heard within timeout
        seconds, empty if none)."""
        topics = first
        while topics and not self._stop.is_set():
            self._fire(topics)
            heard: set[str] = set()
            end = time.monotonic() + GAP_SECONDS
            while not self._stop.is_set() and (left := end - time.monotonic()) > 0:
                heard |= more(left)
            topics = frozenset(heard)

    # -- PostgreSQL ------------------------------------------------------------------

    def _listen_postgresql(self) -> None:
        import psycopg

        params = db.connect_params(self.url)
        params["dbname"] = params.pop("database")
        params.pop("prepare_threshold", None)

        while not self._stop.is_set():
            try:
                with psycopg.connect(autocommit=True, **params) as connection:

                    def heard(timeout: float) -> frozenset[str]:
                        topics: set[str] = set()
                        for notify in connection.notifies(timeout=timeout, stop_after=1):
                            topics |= _payload_topics(notify.payload)
                        return frozenset(topics)

                    connection.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self._fire(EVERYTHING)  # catch up on anything missed while away
                    while not self._stop.is_set():
                        first = heard(0.5)
                        if first:
                            self._burst(first, heard)
            except psycopg.Error as exc:
                self.connected.clear()
                log.warning("change feed lost its connection (%s); reconnecting", exc)
                self._stop.wait(RECONNECT_SECONDS)

    # -- SQLite ----------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        while not self._stop.is_set():
            try:
                connection = sqlite3.connect(self.target.name, timeout=5)
                try:
                    self._poll_sqlite_on(connection)
                finally:
                    connection.close()
            except sqlite3.Error as exc:
                self.connected.clear()
                log.warning("change feed cannot read %s (%s); retrying", self.target.name, exc)
                self._stop.wait(RECONNECT_SECONDS)

    def _poll_sqlite_on(self, connection: sqlite3.Connection) -> None:
        def version() -> int:
            (number,) = connection.execute("PRAGMA data_version").fetchone()
            return int(number)

        def counters() -> dict[str, str]:
            rows = connection.execute(
                "SELECT key, value FROM plant_setting WHERE key >= ? AND key < ?",
                (COUNTER_PREFIX, COUNTER_PREFIX[:-1] + chr(ord(COUNTER_PREFIX[-1]) + 1)),
            ).fetchall()
            return {key[len(COUNTER_PREFIX) :]: value for key, value in rows}

        seen: tuple[int, dict[str, str]] = (version(), counters())
        self.connected.set()

        def heard(timeout: float) -> frozenset[str]:
            """The topics of the commits since the last look (after waiting `timeout`)."""
            nonlocal seen
            self._stop.wait(timeout)
            now = version()
            if now == seen[0]:
                return frozenset()
            counted = counters()
            moved = {topic for topic, value in counted.items() if seen[1].get(topic) != value}
            seen = (now, counted)
            return frozenset(moved) or EVERYTHING

        while not self._stop.is_set():
            first = heard(SQLITE_POLL_SECONDS)
            if first:
                self._burst(first, heard)
