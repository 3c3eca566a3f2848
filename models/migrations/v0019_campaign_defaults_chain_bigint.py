"""Schema step 19: two repairs, so that every database ends as a fresh one.

- campaign: every rule and target column has its database default. Before the steps were
  frozen (session 4), step 1 made the campaign table from the model class of its day, so
  a database made fresh then has the rule columns of steps 6, 7 (made before session 4)
  or also 11 and 14 (made in session 4) without a default, where an upgraded or a fresh
  database has the default its step's ALTER TABLE ... ADD COLUMN gave. PostgreSQL sets
  the missing defaults with ALTER COLUMN; SQLite has no such statement and a table
  rebuild would fire the foreign keys of every row that names a campaign, so the
  column's definition is edited in sqlite_schema, the way SQLite's documentation
  describes for a default (writable_schema, schema_version one up; the data is not
  touched).
- ledger_chain.entry_id: step 13 made it an integer on PostgreSQL while ledger_entry.id
  is a bigint; it becomes a bigint (the table is rewritten once). SQLite's INTEGER is
  64-bit already.
"""

from __future__ import annotations

import re

from peewee import Database

from models.db import is_postgresql

VERSION = 19
TITLE = "campaign rule columns keep their defaults; ledger_chain.entry_id a bigint"

# the default each column was added with (steps 6, 7, 11 and 14), as SQL literals
CAMPAIGN_DEFAULTS = {
    "supplier_risk_share_percent": "25",
    "weight_5s": "40",
    "weight_standard_ops": "30",
    "weight_fpy": "30",
    "critical_issue_target": "3",
    "target_correction_rate_percent": "100",
    "target_training_coverage_percent": "100",
    "target_fpy_percent": "98",
    "target_high_risk_supplier_percent": "10",
    "verifier_outside_team": "1",
    "self_report_confirmation": "1",
    "ontime_awards_per_team_day": "10",
    "suspicious_self_reports": "5",
    "suspicious_fix_hours": "4",
    "quality_department": "'Quality'",
}


def _missing_defaults(database: Database) -> list[str]:
    return [
        column.name
        for column in database.get_columns("campaign")
        if column.name in CAMPAIGN_DEFAULTS and column.default is None
    ]


def _sqlite_with_defaults(sql: str, missing: list[str]) -> str:
    """The campaign table's CREATE TABLE with a DEFAULT after each column in `missing`
    (as Peewee wrote them: `"name" INTEGER NOT NULL`); refuses what it cannot find once."""
    for name in missing:
        column = re.compile(
            rf'((?:"{name}"|\b{name}\b)\s+(?:INTEGER|VARCHAR\(40\))\s+NOT\s+NULL)(?=\s*[,)])',
            re.IGNORECASE,
        )
        sql, found = column.subn(rf"\1 DEFAULT {CAMPAIGN_DEFAULTS[name]}", sql)
        if found != 1:
            raise RuntimeError(f"campaign.{name}: its definition is not as expected in {sql!r}")
    return sql


def _sqlite_set_defaults(database: Database, missing: list[str]) -> None:
    (sql,) = database.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'campaign'"
    ).fetchone()
    edited = _sqlite_with_defaults(sql, missing)
    (version,) = database.execute_sql("PRAGMA schema_version").fetchone()
    database.execute_sql("PRAGMA writable_schema = ON")
    try:
        database.execute_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'campaign'",
            (edited,),
        )
        database.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        database.execute_sql("PRAGMA writable_schema = OFF")
    if _missing_defaults(database):  # read back from the edited schema
        raise RuntimeError("campaign: the defaults could not be set")


def apply(database: Database) -> None:
    missing = _missing_defaults(database)
    if is_postgresql(database):
        for name in missing:
            database.execute_sql(
                f"ALTER TABLE campaign ALTER COLUMN {name} SET DEFAULT {CAMPAIGN_DEFAULTS[name]}"
            )
        database.execute_sql("ALTER TABLE ledger_chain ALTER COLUMN entry_id TYPE BIGINT")
    elif missing:
        _sqlite_set_defaults(database, missing)
