"""A tamper-evident ledger: the application cannot rewrite it, and `kiosk ledger verify`
finds what the owner (or someone with the SQLite file) changed behind its back."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import psycopg
import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import auth
from kiosk.services.platform import database as database_service
from kiosk.services.platform.ledger_check import last_check
from models import AuditEntry, LedgerEntry, db
from tests.helpers.points import edit_behind_the_applications_back, raw_connection


def _a_verified_defect(clock) -> None:
    draft = DefectDraft("L1-S02", "machine", "minor", "inspection", "chain me")
    defect_id = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft).id
    clock.advance(timedelta(hours=2))
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), defect_id)
    lifecycle.verify(Caller.of(auth.identify_badge("E2001"), clock), defect_id)


def _middle_row() -> int:
    with db.connection():
        ids = [row.id for row in LedgerEntry.select(LedgerEntry.id).order_by(LedgerEntry.id)]
    return ids[len(ids) // 2]


def test_a_whole_ledger_verifies_and_the_result_is_kept_and_audited(demo_plant, clock, capsys):
    _a_verified_defect(clock)
    assert main(["ledger", "verify", "--db", demo_plant]) == 0
    assert "Ledger whole:" in capsys.readouterr().out
    check = last_check()
    assert check is not None and check.ok and check.rows >= 5  # the demo's and this one
    with db.connection():
        audit = AuditEntry.get(AuditEntry.action == "ledger_verify")
    assert audit.detail.startswith("ok (") and "(command line)" in audit.detail


def test_an_edited_row_is_named(demo_plant, clock, capsys):
    _a_verified_defect(clock)
    edited = _middle_row()
    edit_behind_the_applications_back(
        demo_plant, f"UPDATE ledger_entry SET amount = 50 WHERE id = {edited}"
    )
    assert main(["ledger", "verify", "--db", demo_plant]) == 1
    err = capsys.readouterr().err
    assert f"row {edited} " in err and "does not match its chain link" in err
    check = last_check()
    assert check is not None and not check.ok


def test_a_deleted_row_is_found(demo_plant, clock, capsys):
    deleted = _middle_row()
    edit_behind_the_applications_back(
        demo_plant,
        f"DELETE FROM ledger_chain WHERE entry_id = {deleted}",
        f"DELETE FROM ledger_entry WHERE id = {deleted}",
    )
    assert main(["ledger", "verify", "--db", demo_plant]) == 1
    err = capsys.readouterr().err
    assert f"row {deleted + 1} " in err and "does not match its chain link" in err
    assert f"between row {deleted - 1} and it were deleted or reordered" in err


def test_a_running_total_written_by_hand_is_found(demo_plant, capsys):
    edit_behind_the_applications_back(
        demo_plant, "UPDATE team_point_total SET points = points + 100 WHERE team_id = 1"
    )
    assert main(["ledger", "verify", "--db", demo_plant]) == 1
    assert "the running total of team 1" in capsys.readouterr().err


def test_sqlite_refuses_replace_and_hand_written_totals(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    database_service.open_database(url)
    database_service.upgrade(clock)
    seed_demo_plant(Caller.system(clock))
    connection = raw_connection(url)
    first = connection.execute("SELECT id, idempotency_key FROM ledger_entry LIMIT 1").fetchone()
    for statement in (
        "INSERT OR REPLACE INTO ledger_entry (id, team_id, amount, reason, cause_type, cause_id, "
        f"idempotency_key, created_at) VALUES ({first[0]}, 1, 99, 'x', 'x', 'x', 'new', "
        "'2025-09-10 08:00:00')",
        "REPLACE INTO ledger_entry (team_id, amount, reason, cause_type, cause_id, "
        f"idempotency_key, created_at) VALUES (1, 99, 'x', 'x', 'x', '{first[1]}', "
        "'2025-09-10 08:00:00')",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            connection.execute(statement)
    for statement in (
        "UPDATE team_point_total SET points = points + 10",
        "INSERT INTO team_point_total (campaign_key, team_id, points) VALUES (77, 1, 5)",
        "DELETE FROM team_point_total",
        "UPDATE ledger_chain SET hash = 'x'",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="kept by the ledger|append-only"):
            connection.execute(statement)
    connection.close()
    assert main(["ledger", "verify", "--db", url]) == 0


def test_postgresql_application_role_cannot_rewrite_the_ledger(two_roles, clock, capsys):
    owner_url, app_url, app = two_roles
    assert main(["db", "upgrade", "--app-role", app, "--db", owner_url]) == 0
    assert f"Application role granted: {app}" in capsys.readouterr().out
    db.close_all()
    # the kiosks run as the application role: the demo plant and a full defect flow work,
    # and the running totals follow the ledger through the owner's trigger function
    database_service.open_database(app_url, create=False)
    seed_demo_plant(Caller.system(clock))
    _a_verified_defect(clock)
    assert main(["ledger", "verify", "--db", app_url]) == 0
    connection = raw_connection(app_url)
    try:
        for statement in (
            "UPDATE ledger_entry SET amount = 50",
            "DELETE FROM ledger_entry",
            "TRUNCATE ledger_entry",
            "ALTER TABLE ledger_entry DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            "UPDATE team_point_total SET points = 0",
            "INSERT INTO team_point_total (campaign_key, team_id, points) VALUES (9, 1, 1)",
            "DELETE FROM ledger_chain",
            "UPDATE audit_entry SET detail = ''",
            "DELETE FROM schema_version",
        ):
            with pytest.raises(psycopg.Error, match="permission denied|must be owner"):
                connection.execute(statement)
    finally:
        connection.close()
    # the owner can get around the triggers; the check finds what it changed
    edited = _middle_row()
    edit_behind_the_applications_back(
        owner_url, f"UPDATE ledger_entry SET amount = 7 WHERE id = {edited}"
    )
    db.close_all()
    database_service.open_database(app_url, create=False)
    assert main(["ledger", "verify", "--db", app_url]) == 1
    assert f"row {edited} " in capsys.readouterr().err
