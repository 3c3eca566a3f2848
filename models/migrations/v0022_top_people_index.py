"""Schema step 22: the index the Red-Black List's top people read (issue 16).

`ledger_team_person` (step 17) holds each person's points per campaign and team; the top
people of a campaign were found by grouping all of its rows (2,000 at a plant) to keep
five. With (campaign_key, amount) indexed they are the first rows of an index range read
from its high end. `kiosk db check` reports it missing; `kiosk db upgrade` makes it again.
"""

from __future__ import annotations

from peewee import Database

VERSION = 22
TITLE = "an index of each campaign's people by points (the Red-Black List's top people)"

INDEXES: dict[str, tuple[str, str]] = {
    "ledger_team_person_points": ("ledger_team_person", "campaign_key, amount"),
}


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in INDEXES.items():
        if names is None or name in names:
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def apply(database: Database) -> None:
    create_indexes(database)
