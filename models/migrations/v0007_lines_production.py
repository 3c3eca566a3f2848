"""Schema step 7: production counts (first-pass yield), line evaluations, Mobile Flag weights."""

from __future__ import annotations

from peewee import Database

from models.lines import LineEvaluation, LineScore, ProductionCount

VERSION = 7
TITLE = "production counts, line evaluations and the Quality Mobile Flag"

NEW_CAMPAIGN_COLUMNS = {
    "weight_5s": 40,
    "weight_standard_ops": 30,
    "weight_fpy": 30,
    "critical_issue_target": 3,
}


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in present:
            # plain SQL: both engines add a NOT NULL column with a default in place
            # (no table rebuild, so rows that reference campaign are untouched)
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    database.create_tables([ProductionCount, LineEvaluation, LineScore], safe=True)
