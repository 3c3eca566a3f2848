"""SQLite busy: a write waits for another terminal's write, for a bounded time, then says so.

SQLite allows one writer at a time. A kiosk that finds the database locked waits (the
busy timeout, models/db.py) and goes ahead when the lock is gone; if it stays locked
past the wait, the person is told the database is busy and what they entered is kept.
SQLite only: PostgreSQL locks rows, not the database.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import pytest

from kiosk.caller import Caller
from kiosk.errors import DatabaseUnavailable
from kiosk.services.defects import defects
from kiosk.services.defects.defects import DefectDraft
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import auth, database, outbox
from models import Defect, db


@pytest.fixture
def busy_plant(tmp_path, clock, monkeypatch):
    """A demo plant on SQLite whose busy wait is 0.5 s (10 s in a plant)."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 500)
    path = tmp_path / "kiosk.db"
    database.open_database(f"sqlite:///{path}")
    database.upgrade(clock)
    seed_demo_plant(Caller.system(clock))
    yield path
    db.close_all()


def hold_write_lock(path, seconds: float) -> threading.Thread:
    """Another terminal in the middle of a write for `seconds`."""
    locked = threading.Event()

    def writer() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    locked.wait(5)
    return thread


def draft() -> DefectDraft:
    return DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")


def stored(defect_id: uuid.UUID) -> int:
    with db.connection():
        return Defect.select().where(Defect.id == defect_id).count()


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_write_waits_for_another_terminals_write_then_goes_ahead(busy_plant, clock, engine):
    reporter = auth.identify_badge("E4004")
    other = hold_write_lock(busy_plant, 0.2)
    defect_id = uuid.uuid4()
    # the other write holds the lock as this one starts: saved all the same, once
    receipt = defects.report_defect(Caller.of(reporter, clock), draft(), defect_id=defect_id)
    other.join()
    assert receipt.id == str(defect_id) and stored(defect_id) == 1


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_lock_held_past_the_wait_is_reported_as_busy_and_the_report_kept(
    busy_plant, clock, tmp_path, engine
):
    reporter = auth.identify_badge("E4004")
    box = outbox.Outbox(tmp_path / "outbox.db")
    other = hold_write_lock(busy_plant, 2.0)
    defect_id = uuid.uuid4()
    try:
        with pytest.raises(DatabaseUnavailable, match="busy") as busy:
            defects.report_defect(Caller.of(reporter, clock), draft(), defect_id=defect_id)
        assert busy.value.connection_lost is False  # not retried: it would only wait again
        kept = outbox.report_defect_or_keep(
            Caller.of(reporter, clock), box, draft(), defect_id=defect_id
        )
        assert isinstance(kept, outbox.Queued) and kept.waiting == 1
    finally:
        other.join()
    assert stored(defect_id) == 0
    assert box.forward().sent == 1
    assert stored(defect_id) == 1
