"""Schema step 10: progress updates carry the id their kiosk made (offline replays count once)."""

from __future__ import annotations

from peewee import Database

VERSION = 10
TITLE = "progress updates carry a kiosk-made id, unique (offline outbox replays)"


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("defect_progress")}
    if "client_id" not in present:
        database.execute_sql("ALTER TABLE defect_progress ADD COLUMN client_id VARCHAR(36)")
    database.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS defect_progress_client_id ON defect_progress (client_id)"
    )
