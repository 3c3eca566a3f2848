"""Schema step 17: the indexes the boards' and the kiosk's reads use (issue 16).

Each read behind a screen counts in SQL and returns only what is shown; these indexes let
the engines find those rows without reading a whole table:

- a team's defects in a state by due time (the F5 worklist, its count and its order);
- open defects past their window, by due time (the Red-Black List);
- incoming-material and on-site anomaly defects by report time, with the columns the
  supplier ranking and the Pareto count (read from the index alone);
- a campaign's defects by report time (defects reported per day, one range count a day)
  and with the columns the board's figures count (read from the index alone);
- a team's not-closed defects in the worklist's own order (verified ones last, then by
  due time), so its first page is read without sorting the team's defects (partial);
- a station's open defects by due time (the station screen's most urgent; partial);
- a campaign's passed assessments by employee (training coverage);
- proposals waiting for review, oldest first (the review queue).

And two rollups of the ledger, kept by triggers in the same transaction as each ledger
insert (as the team totals of step 9 are), so the boards read one row per team and hour or
per person instead of the ledger itself:

- `ledger_team_hour`: points per campaign, team and UTC hour (the daily points chart; a
  local day is a run of whole UTC hours wherever the offset is whole hours);
- `ledger_team_person`: per campaign, team and person (0: none named) the points, the
  on-time awards and the late charges with their points (the Red-Black List).

On PostgreSQL the trigger runs once per statement over its inserted rows (a transition
table), aggregating first, so a bulk insert stays linear; on SQLite once per row. Both
run as the owner on PostgreSQL (SECURITY DEFINER), like the team totals.

The definitions are written out here as they are at this step (frozen). `kiosk db check`
reports any of them missing (dropped by hand, or a restore without indexes); `kiosk db
upgrade` makes the missing ones again with `create_indexes`.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql

VERSION = 17
TITLE = "indexes for the boards' and the kiosk's reads, and rollups of the ledger"

# name: (table, columns); PARTIAL: the condition of a partial index (the reads spell it
# the same way, with literals, so that both engines can use it)
INDEXES: dict[str, tuple[str, str]] = {
    "defect_team_status_due": ("defect", "team_id, status, due_at"),
    "defect_status_due": ("defect", "status, due_at"),
    "defect_source_reported": (
        "defect",
        "source, reported_at, supplier_id, severity, category, lot",
    ),
    "defect_campaign_reported": ("defect", "campaign_id, reported_at"),
    "defect_campaign_figures": ("defect", "campaign_id, status, due_at, verified_at, severity"),
    "defect_team_worklist": (
        "defect",
        "team_id, (CASE WHEN status = 'verified' THEN 1 ELSE 0 END), due_at, reported_at",
    ),
    "defect_station_open_due": ("defect", "station_id, due_at"),
    "assessment_campaign_passed": ("assessment", "campaign_id, passed, employee_id"),
    "proposal_status_submitted": ("proposal", "status, submitted_at"),
}
PARTIAL = {
    "defect_team_worklist": "status <> 'closed'",
    "defect_station_open_due": "status NOT IN ('verified', 'closed')",
}


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in INDEXES.items():
        if names is None or name in names:
            where = f" WHERE {PARTIAL[name]}" if name in PARTIAL else ""
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}")


def _tables(timestamp: str, bigint: str) -> list[str]:
    """`bigint`: BIGINT on PostgreSQL; SQLite's INTEGER is 64-bit (and what Peewee writes)."""
    return [
        "CREATE TABLE IF NOT EXISTS ledger_team_hour (campaign_key INTEGER NOT NULL, "
        f"team_id INTEGER NOT NULL, hour {timestamp} NOT NULL, amount {bigint} NOT NULL, "
        "PRIMARY KEY (campaign_key, team_id, hour))",
        "CREATE TABLE IF NOT EXISTS ledger_team_person (campaign_key INTEGER NOT NULL, "
        f"team_id INTEGER NOT NULL, employee_key INTEGER NOT NULL, amount {bigint} NOT NULL, "
        "ontime_entries INTEGER NOT NULL, overdue_entries INTEGER NOT NULL, "
        f"overdue_amount {bigint} NOT NULL, PRIMARY KEY (campaign_key, team_id, employee_key))",
    ]


ONTIME = "CASE WHEN SUBSTR({key}, 1, 7) = 'ontime:' THEN 1 ELSE 0 END"
OVERDUE = "CASE WHEN SUBSTR({key}, 1, 8) = 'overdue:' THEN 1 ELSE 0 END"


def _hour(column: str, postgresql: bool) -> str:
    if postgresql:
        return f"date_trunc('hour', {column})"
    return f"SUBSTR({column}, 1, 13) || ':00:00'"


def _upserts(source: str, prefix: str, *, postgresql: bool, grouped: bool) -> list[str]:
    """The two rollups' upserts from `source` rows (`prefix` names their columns): summed
    per key (`grouped`: a statement's rows, or the whole ledger) or one row (SQLite)."""
    c = prefix
    key = f"{c}idempotency_key"
    ontime, overdue = ONTIME.format(key=key), OVERDUE.format(key=key)
    values = (f"{c}amount", ontime, overdue, f"{overdue} * {c}amount")
    if grouped:
        values = tuple(f"SUM({value})" for value in values)
    # SQLite: an INSERT ... SELECT upsert needs a WHERE before ON CONFLICT
    where = "" if postgresql else " WHERE true"
    # in key order: concurrent statements take the rollup rows' locks in one order
    group = " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3" if grouped else ""
    return [
        "INSERT INTO ledger_team_hour (campaign_key, team_id, hour, amount) "
        f"SELECT COALESCE({c}campaign_id, 0), {c}team_id, {_hour(c + 'created_at', postgresql)}, "
        f"{values[0]} {source}{where}{group} "
        "ON CONFLICT (campaign_key, team_id, hour) "
        "DO UPDATE SET amount = ledger_team_hour.amount + excluded.amount",
        "INSERT INTO ledger_team_person (campaign_key, team_id, employee_key, amount, "
        "ontime_entries, overdue_entries, overdue_amount) "
        f"SELECT COALESCE({c}campaign_id, 0), {c}team_id, COALESCE({c}employee_id, 0), "
        f"{', '.join(values)} {source}{where}{group} "
        "ON CONFLICT (campaign_key, team_id, employee_key) DO UPDATE SET "
        "amount = ledger_team_person.amount + excluded.amount, "
        "ontime_entries = ledger_team_person.ontime_entries + excluded.ontime_entries, "
        "overdue_entries = ledger_team_person.overdue_entries + excluded.overdue_entries, "
        "overdue_amount = ledger_team_person.overdue_amount + excluded.overdue_amount",
    ]


def _triggers(postgresql: bool) -> list[str]:
    if not postgresql:
        body = "; ".join(_upserts("", "NEW.", postgresql=False, grouped=False))
        return [
            "DROP TRIGGER IF EXISTS ledger_entry_rollups",
            f"CREATE TRIGGER ledger_entry_rollups AFTER INSERT ON ledger_entry BEGIN {body}; END",
        ]
    body = "; ".join(_upserts("FROM inserted", "", postgresql=True, grouped=True))
    return [
        "CREATE OR REPLACE FUNCTION qk_ledger_rollups() RETURNS trigger LANGUAGE plpgsql "
        f"SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN {body}; "
        "RETURN NULL; END $$",
        "DROP TRIGGER IF EXISTS ledger_entry_rollups ON ledger_entry",
        "CREATE TRIGGER ledger_entry_rollups AFTER INSERT ON ledger_entry "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        "EXECUTE FUNCTION qk_ledger_rollups()",
    ]


def rebuild(database: Database) -> None:
    """The rollups again from the whole ledger (this step; after a bulk load made with the
    triggers off)."""
    database.execute_sql("DELETE FROM ledger_team_hour")
    database.execute_sql("DELETE FROM ledger_team_person")
    for upsert in _upserts(
        "FROM ledger_entry", "", postgresql=is_postgresql(database), grouped=True
    ):
        database.execute_sql(upsert)


def apply(database: Database) -> None:
    create_indexes(database)
    postgresql = is_postgresql(database)
    tables = _tables("TIMESTAMP", "BIGINT") if postgresql else _tables("DATETIME", "INTEGER")
    for statement in tables + _triggers(postgresql):
        database.execute_sql(statement)
    rebuild(database)
