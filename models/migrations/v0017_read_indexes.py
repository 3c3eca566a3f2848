"""Schema step 17: the indexes the boards' and the kiosk's reads use (issue 16).

Each read behind a screen counts in SQL and returns only what is shown; these indexes let
the engines find those rows without reading a whole table:

- a team's defects in a state by due time (the F5 worklist, its count and its order);
- open defects past their window, by due time (the Red-Black List);
- incoming-material and on-site anomaly defects by report time (supplier ranking, Pareto);
- a campaign's ledger by time with the team and amount (the daily points chart, read
  from the index alone);
- a campaign's passed assessments by employee (training coverage);
- proposals waiting for review, oldest first (the review queue).

The definitions are written out here as they are at this step (frozen). `kiosk db check`
reports any of them missing (dropped by hand, or a restore without indexes); `kiosk db
upgrade` makes the missing ones again with `create_indexes`.
"""

from __future__ import annotations

from peewee import Database

VERSION = 17
TITLE = "indexes for the boards' and the kiosk's reads"

# name: (table, columns)
INDEXES: dict[str, tuple[str, str]] = {
    "defect_team_status_due": ("defect", "team_id, status, due_at"),
    "defect_status_due": ("defect", "status, due_at"),
    "defect_source_reported": ("defect", "source, reported_at"),
    "ledger_entry_campaign_created": ("ledger_entry", "campaign_id, created_at, team_id, amount"),
    "assessment_campaign_passed": ("assessment", "campaign_id, passed, employee_id"),
    "proposal_status_submitted": ("proposal", "status, submitted_at"),
}


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in INDEXES.items():
        if names is None or name in names:
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def apply(database: Database) -> None:
    create_indexes(database)
