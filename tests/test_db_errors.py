"""Database errors are read by the database's own codes, produced for real on the server:
a deadlock or serialization failure is run again, a lock timeout is "busy", a constraint
is a message about the data, and none of them says the database cannot be reached."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import pytest

from kiosk.errors import ConstraintConflict, DatabaseBusy
from kiosk.services.platform import uow
from models import Team, db


def _two_teams() -> tuple[int, int]:
    with db.connection():
        first, second = Team.select(Team.id).order_by(Team.id).limit(2)
    return first.id, second.id


def _run_in_threads(*calls):
    results: dict[str, object] = {}

    def run(name, function, *args) -> None:
        try:
            results[name] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - asserted by the caller
            results[name] = exc

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_real_deadlock_is_run_again_and_both_units_succeed(pg_demo_plant, caplog):
    first, second = _two_teams()
    attempts: Counter[str] = Counter()
    both_hold_one = threading.Barrier(2)

    @uow.write
    def lock_both(name: str, one: int, other: int) -> str:
        attempts[name] += 1
        Team.select().where(Team.id == one).for_update().get()
        if attempts[name] == 1:
            both_hold_one.wait(timeout=10)  # each holds one row and asks for the other's
        Team.select().where(Team.id == other).for_update().get()
        return name

    with caplog.at_level(logging.WARNING, logger="kiosk.services.platform.uow"):
        results = _run_in_threads(
            ("a", lock_both, "a", first, second), ("b", lock_both, "b", second, first)
        )
    assert results == {"a": "a", "b": "b"}
    assert sorted(attempts.values()) == [1, 2]  # the server chose one victim; it ran again
    assert "deadlock or serialization failure; running it again" in caplog.text


def test_a_real_serialization_failure_is_run_again(pg_demo_plant):
    team_id, _ = _two_teams()
    attempts: Counter[str] = Counter()
    both_read = threading.Barrier(2)

    @uow.write
    def rename(name: str, pause: float) -> str:
        attempts[name] += 1
        db.database_proxy.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        Team.get_by_id(team_id)  # the snapshot is taken here
        if attempts[name] == 1:
            both_read.wait(timeout=10)
            time.sleep(pause)
        Team.update(name=f"renamed by {name}").where(Team.id == team_id).execute()
        return name

    results = _run_in_threads(("first", rename, "first", 0.0), ("second", rename, "second", 0.3))
    assert results == {"first": "first", "second": "second"}
    assert attempts == {"first": 1, "second": 2}
    with db.connection():
        assert Team.get_by_id(team_id).name == "renamed by second"


def test_a_lock_timeout_is_busy_not_unreachable_and_not_run_again(pg_demo_plant):
    team_id, _ = _two_teams()
    holding = threading.Event()
    release = threading.Event()
    attempts: list[int] = []

    @uow.write
    def hold() -> None:
        Team.select().where(Team.id == team_id).for_update().get()
        holding.set()
        release.wait(timeout=10)

    @uow.write
    def wait_briefly() -> None:
        attempts.append(1)
        db.database_proxy.execute_sql("SET LOCAL lock_timeout = '200ms'")
        Team.select().where(Team.id == team_id).for_update().get()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        uow.clear_contact()
        with pytest.raises(DatabaseBusy, match="busy") as caught:
            wait_briefly()
        assert caught.value.connection_lost is False
        assert uow.last_contact() is True  # it answered: the status bar stays "online"
        assert attempts == [1]
    finally:
        release.set()
        holder.join(timeout=10)


def test_a_constraint_is_a_message_about_the_data(database):
    @uow.write
    def add_team(code: str) -> None:
        Team.create(code=code, name=code)

    add_team("DUP")
    uow.clear_contact()
    with pytest.raises(ConstraintConflict, match="conflicts with data already stored"):
        add_team("DUP")
    assert uow.last_contact() is True
    with db.connection():
        assert Team.select().where(Team.code == "DUP").count() == 1


def test_sqlite_result_codes_are_read(tmp_path):
    import sqlite3

    import peewee

    path = tmp_path / "codes.db"
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (a UNIQUE)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("BEGIN IMMEDIATE")
    assert uow.classify_fault(peewee.OperationalError(busy.value)) == uow.BUSY
    holder.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        holder.execute("INSERT INTO t VALUES (1)")
    assert uow.classify_fault(peewee.IntegrityError(duplicate.value)) == uow.CONSTRAINT
    with pytest.raises(sqlite3.OperationalError) as bad_query:
        holder.execute("SELECT nothing FROM t")
    assert uow.classify_fault(peewee.OperationalError(bad_query.value)) is None  # a bug


def _deadlocking(attempts: Counter, barrier: threading.Barrier, *, commit_first: bool):
    """A service that opens `with transaction()` itself (no unit decorator): it locks two
    rows in the order given; with commit_first, it commits a write of its own before."""

    def service(name: str, one: int, other: int) -> str:
        attempts[name] += 1
        if commit_first:
            with uow.transaction():
                Team.update(name=Team.name).where(Team.id == one).execute()
        with uow.transaction():
            Team.select().where(Team.id == one).for_update().get()
            if attempts[name] == 1:
                barrier.wait(timeout=10)
            Team.select().where(Team.id == other).for_update().get()
        return name

    return service


def test_a_service_with_its_own_transaction_is_run_again_after_a_real_deadlock(pg_demo_plant):
    """What the screens call every service through: the deadlocked call wrote nothing,
    so it runs again and both kiosks' actions go through."""
    first, second = _two_teams()
    attempts: Counter[str] = Counter()
    service = _deadlocking(attempts, threading.Barrier(2), commit_first=False)
    results = _run_in_threads(
        ("a", uow.run_again_if_rolled_back, service, "a", first, second),
        ("b", uow.run_again_if_rolled_back, service, "b", second, first),
    )
    assert results == {"a": "a", "b": "b"}
    assert sorted(attempts.values()) == [1, 2]


def test_a_call_that_committed_before_its_deadlock_is_reported_not_repeated(pg_demo_plant):
    """Running it again could repeat the write it had committed: busy, try again."""
    first, second = _two_teams()
    attempts: Counter[str] = Counter()
    service = _deadlocking(attempts, threading.Barrier(2), commit_first=True)
    results = _run_in_threads(
        ("a", uow.run_again_if_rolled_back, service, "a", first, second),
        ("b", uow.run_again_if_rolled_back, service, "b", second, first),
    )
    refused = [value for value in results.values() if isinstance(value, DatabaseBusy)]
    assert len(refused) == 1 and "busy" in refused[0].message
    assert sorted(attempts.values()) == [1, 1]  # nobody ran twice
