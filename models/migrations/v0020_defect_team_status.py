"""Schema step 20: defects per team and status, kept in the writing transaction (issue 16).

The F5 worklist shows a team's count ("1–25 of 5,897"); counting a team's open defects
read every one of them (an index range as long as the team's backlog). `defect_team_status`
holds the number of defects per team and status, so the count is a few rows whatever the
backlog (a search by station or id still counts the rows it matches: they are few).

Kept as step 18's rollups are: on PostgreSQL by statement-level triggers on `defect` that
read the statement's rows from transition tables, add them up per key and upsert each key
once, in key order, as the owner (SECURITY DEFINER); on SQLite by row triggers that set a
key to the count of its defects (an index range: step 17's defect_team_status_due), and
guard triggers that refuse any other write to it. `rebuild` makes it again from the defects.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql
from models.migrations.v0018_defect_rollups import _EVENTS, KEPT  # the rows with their sign

VERSION = 20
TITLE = "defects per team and status kept by triggers (the worklist's count)"

TABLE = "defect_team_status"


def _table(postgresql: bool) -> str:
    clustered = "" if postgresql else " WITHOUT ROWID"
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (team_id INTEGER NOT NULL, "
        "status VARCHAR(16) NOT NULL, defects INTEGER NOT NULL, "
        f"PRIMARY KEY (team_id, status)){clustered}"
    )


def _grouped_upsert(source: str) -> str:
    """Add `source`'s rows (a defect row's columns and `sign`, +1 or -1) per key."""
    return (
        f"INSERT INTO {TABLE} (team_id, status, defects) "
        f"SELECT team_id, status, SUM(sign) FROM {source} WHERE true "
        "GROUP BY 1, 2 HAVING SUM(sign) <> 0 ORDER BY 1, 2 "
        f"ON CONFLICT (team_id, status) DO UPDATE SET defects = {TABLE}.defects + excluded.defects"
    )


def rebuild(database: Database) -> None:
    """The rollup again from the defects (call inside a transaction; on SQLite the guards
    are lifted and made again around it)."""
    postgresql = is_postgresql(database)
    if postgresql:
        database.execute_sql("LOCK TABLE defect IN SHARE MODE")
    else:
        drop_sqlite_guards(database)
    database.execute_sql(f"DELETE FROM {TABLE}")
    database.execute_sql(_grouped_upsert("(SELECT *, 1 AS sign FROM defect) AS rows"))
    if not postgresql:
        for statement in _sqlite_guards():
            database.execute_sql(statement)


# -- PostgreSQL ------------------------------------------------------------------------


def _postgresql_triggers() -> list[str]:
    statements = []
    for event, (referencing, rows) in _EVENTS.items():
        name = event.lower()
        statements += [
            f"CREATE OR REPLACE FUNCTION qk_defect_team_status_{name}() RETURNS trigger "
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN "
            f"{_grouped_upsert(rows)}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS defect_team_status_{name} ON defect",
            f"CREATE TRIGGER defect_team_status_{name} AFTER {event} ON defect "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION qk_defect_team_status_{name}()",
        ]
    return statements


# -- SQLite ----------------------------------------------------------------------------


def _count(team: str, status: str) -> str:
    """The number of defects of a team in a status (step 17's defect_team_status_due)."""
    return f"(SELECT COUNT(*) FROM defect WHERE team_id = {team} AND status = {status})"


def _sqlite_set(row: str) -> str:
    """Set the rollup row of defect row `row` (NEW or OLD) to its key's count."""
    team, status = f"{row}.team_id", f"{row}.status"
    return (
        f"INSERT INTO {TABLE} (team_id, status, defects) "
        f"SELECT {team}, {status}, {_count(team, status)} WHERE true "
        "ON CONFLICT (team_id, status) DO UPDATE SET defects = excluded.defects"
    )


def _sqlite_triggers() -> list[str]:
    changed = "NEW.team_id IS NOT OLD.team_id OR NEW.status IS NOT OLD.status"
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_from_insert",
        f"CREATE TRIGGER {TABLE}_from_insert AFTER INSERT ON defect "
        f"BEGIN {_sqlite_set('NEW')}; END",
        f"DROP TRIGGER IF EXISTS {TABLE}_from_delete",
        f"CREATE TRIGGER {TABLE}_from_delete AFTER DELETE ON defect "
        f"BEGIN {_sqlite_set('OLD')}; END",
        f"DROP TRIGGER IF EXISTS {TABLE}_from_update",
        f"CREATE TRIGGER {TABLE}_from_update AFTER UPDATE ON defect WHEN {changed} "
        f"BEGIN {_sqlite_set('OLD')}; {_sqlite_set('NEW')}; END",
    ]


def _sqlite_guards() -> list[str]:
    count = _count("NEW.team_id", "NEW.status")
    return [
        f"CREATE TRIGGER {TABLE}_kept_insert BEFORE INSERT ON {TABLE} "
        f"WHEN NEW.defects IS NOT {count} BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
        f"CREATE TRIGGER {TABLE}_kept_update BEFORE UPDATE ON {TABLE} "
        f"WHEN NEW.defects IS NOT {count} OR NEW.team_id IS NOT OLD.team_id "
        f"OR NEW.status IS NOT OLD.status BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
        f"CREATE TRIGGER {TABLE}_kept_delete BEFORE DELETE ON {TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
    ]


def drop_sqlite_guards(database: Database) -> None:
    for what in ("insert", "update", "delete"):
        database.execute_sql(f"DROP TRIGGER IF EXISTS {TABLE}_kept_{what}")


def apply(database: Database) -> None:
    postgresql = is_postgresql(database)
    database.execute_sql(_table(postgresql))
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        database.execute_sql(statement)
    rebuild(database)
