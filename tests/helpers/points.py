"""The running totals beside the ledger's own sums (tests of the totals rollup), and the
ledger changed behind the application's back (tests of the hash chain)."""

from __future__ import annotations

import sqlite3

import psycopg

from models import db


def totals_and_sums() -> tuple[dict, dict]:
    """The running totals, and the ledger's sums per (campaign key, team), without zeros."""
    with db.connection() as database:
        kept = {
            (campaign, team): int(points)
            for campaign, team, points in database.execute_sql(
                "SELECT campaign_key, team_id, points FROM team_point_total"
            ).fetchall()
            if points
        }
        summed = {
            (campaign, team): int(points)
            for campaign, team, points in database.execute_sql(
                "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) FROM ledger_entry "
                "GROUP BY COALESCE(campaign_id, 0), team_id"
            ).fetchall()
            if points
        }
    return kept, summed


def raw_connection(url: str):
    """A plain driver connection, as a hand-written fix or a tool would use."""
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    return psycopg.connect(url, autocommit=True)


def edit_behind_the_applications_back(url: str, *statements: str) -> None:
    """What an owner (PostgreSQL) or anyone holding the file (SQLite) can do."""
    connection = raw_connection(url)
    try:
        if url.startswith("sqlite"):
            for trigger in (
                "ledger_entry_no_update",
                "ledger_entry_no_delete",
                "ledger_chain_no_delete",
                "team_point_total_update_from_ledger",
            ):
                connection.execute(f"DROP TRIGGER {trigger}")
            for statement in statements:
                connection.execute(statement)
        else:  # the owner may switch its tables' triggers off
            for table in ("ledger_entry", "ledger_chain", "team_point_total"):
                connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            for statement in statements:
                connection.execute(statement)
            for table in ("ledger_entry", "ledger_chain", "team_point_total"):
                connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    finally:
        connection.close()
