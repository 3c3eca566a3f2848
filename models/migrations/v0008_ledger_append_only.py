"""Schema step 8: the point ledger refuses UPDATE and DELETE in the database itself.

The code has no path that edits or removes a ledger row (a correction is a new
reversing row); these triggers make the database refuse it too, whatever client
tries (a hand-written SQL fix, a tool, a bug).
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql

VERSION = 8
TITLE = "the point ledger is append-only (triggers refuse UPDATE, DELETE and TRUNCATE)"

MESSAGE = "the point ledger is append-only: add a reversing row instead"

SQLITE = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update",
    "DROP TRIGGER IF EXISTS ledger_entry_no_delete",
    f"CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION qk_ledger_append_only() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry",
    "CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry "
    "FOR EACH ROW EXECUTE FUNCTION qk_ledger_append_only()",
    "DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry",
    "CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION qk_ledger_append_only()",
]


def apply(database: Database) -> None:
    for statement in POSTGRESQL if is_postgresql(database) else SQLITE:
        database.execute_sql(statement)
