"""Schema step 14: rules against farming points (issue 15, item 5).

- campaign: the anti-farming rules as data (who may verify, confirmation of a
  self-reported defect, a daily cap of on-time awards per team, the thresholds that mark
  a team on the Red-Black List, the name of the Quality department).
- defect: who confirmed a self-reported defect as real, and when.
- indexes for the reads these rules make: a team's on-time awards of a day (ledger by
  team and time) and a team's quickly fixed defects (defect by team and report time),
  and the index every foreign key has (defect.confirmed_by_id; ADD COLUMN makes none).
- repair: step 11 made the campaign indexes (unique name, one active campaign) only from
  a later revision on; a database that ran step 11 before that gets them here.

The columns are written out here as they are at this step (frozen), not taken from
today's model classes, so a database upgraded through this step and one created fresh
end the same.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql

VERSION = 14
TITLE = "rules against farming points: verifier outside the team, confirmation, daily cap"

NEW_CAMPAIGN_COLUMNS = {
    "verifier_outside_team": 1,
    "self_report_confirmation": 1,
    "ontime_awards_per_team_day": 10,
    "suspicious_self_reports": 5,
    "suspicious_fix_hours": 4,
}
QUALITY_DEPARTMENT = "Quality"


def apply(database: Database) -> None:
    campaign = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in campaign:
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    if "quality_department" not in campaign:
        database.execute_sql(
            "ALTER TABLE campaign ADD COLUMN quality_department VARCHAR(40) NOT NULL "
            f"DEFAULT '{QUALITY_DEPARTMENT}'"
        )
    defect = {column.name for column in database.get_columns("defect")}
    timestamp = "TIMESTAMP" if is_postgresql(database) else "DATETIME"
    if "confirmed_by_id" not in defect:
        database.execute_sql(
            "ALTER TABLE defect ADD COLUMN confirmed_by_id INTEGER "
            "REFERENCES employee (id) ON DELETE RESTRICT"
        )
    if "confirmed_at" not in defect:
        database.execute_sql(f"ALTER TABLE defect ADD COLUMN confirmed_at {timestamp}")
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS ledger_entry_team_created ON ledger_entry (team_id, created_at)"
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS defect_team_reported ON defect (team_id, reported_at)"
    )
    database.execute_sql(
        "CREATE INDEX IF NOT EXISTS defect_confirmed_by_id ON defect (confirmed_by_id)"
    )
    # repair (see above): what step 11 makes today, for databases that ran an older step 11
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS campaign_name ON campaign (name)")
    database.execute_sql(
        f"CREATE UNIQUE INDEX IF NOT EXISTS campaign_one_active ON campaign (active) "
        f"WHERE active = {'TRUE' if is_postgresql(database) else '1'}"
    )
