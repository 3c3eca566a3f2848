"""Schema step 26: the index the reads of a defect's or a contest's points use (issue 16).

The defect detail shows the points a defect earned or cost, and the contest scoreboard
sums each answer's points; both select the ledger rows of one cause
(`cause_type`, `cause_id`). Without an index each read walked the whole ledger (1,000,000
rows at a plant). `kiosk db check` reports it missing; `kiosk db upgrade` makes it again.
"""

from __future__ import annotations

from peewee import Database

VERSION = 26
TITLE = "an index of the ledger by cause (a defect's and a contest's points)"

INDEXES: dict[str, tuple[str, str]] = {
    "ledger_entry_cause": ("ledger_entry", "cause_type, cause_id"),
}


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in INDEXES.items():
        if names is None or name in names:
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def apply(database: Database) -> None:
    create_indexes(database)
