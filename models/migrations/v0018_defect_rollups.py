"""Schema step 18: rollups of the defects, kept in the writing transaction (issue 16).

The boards' defect figures read these instead of a period's defects:

- `defect_day_source`: defects per UTC day of their report, source, supplier (0: none
  named), 5M1E category and severity (the supplier ranking, the high-risk suppliers tile,
  the on-site anomaly Pareto; a period of local days is its whole UTC days from here and
  the pieces of a day at either end from the defects, by index);
- `defect_campaign_due`: defects per campaign (0: none), UTC day of their due time,
  status, severity and whether they were verified inside their window (the board's KPI
  tiles; the UTC day that holds "now" is counted from the defects, by index);
- `defect_campaign_hour`: defects per campaign (0: none) and UTC hour of their report
  (the board's defects reported per local day, as step 17's ledger_team_hour does for
  points).

On PostgreSQL each is kept by statement-level triggers on `defect` (insert, update,
delete) that read the statement's rows from transition tables, add them up per key and
upsert each key once, in key order; they run as the owner (SECURITY DEFINER), so an
application role that may not write the rollups keeps them. On SQLite a row trigger sets
each key it touches to the count of its defects (an index range the size of the key).

SQLite has no roles, so it gets guard triggers instead: a rollup row of this step may only
be written with the count its defects have (so a direct write cannot change what a board
shows) and never deleted; the ledger's rollups of step 17 may only change by the newest
ledger row (as step 13 guards the team totals) and are never deleted. `rebuild` lifts
the guards while it rebuilds every rollup (step 17's and this step's) from its source.

Also: the index the board's "due now" count reads (a campaign's defects by due time),
and a partial index of the positive on-time awards by team and time (the daily cap of the
rules against farming counts at most the cap's rows of it). `kiosk db check` reports any of
them missing; `kiosk db upgrade` makes them again with `create_indexes`.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql
from models.migrations import v0017_read_indexes

VERSION = 18
TITLE = "rollups of the defects kept by triggers, guards on the rollups (SQLite)"

# name: (table, columns), on both engines; PARTIAL: as in step 17
INDEXES: dict[str, tuple[str, str]] = {
    "defect_campaign_due_at": ("defect", "campaign_id, due_at, status, verified_at, severity"),
    "ledger_entry_ontime_awards": ("ledger_entry", "team_id, created_at"),
}
PARTIAL = {
    "ledger_entry_ontime_awards": "amount > 0 AND SUBSTR(idempotency_key, 1, 7) = 'ontime:'",
}
# SQLite only: the ranges its row triggers (and guards) count a rollup key's defects in
SQLITE_INDEXES: dict[str, tuple[str, str]] = {
    "defect_day_source_key": ("defect", "source, supplier_id, category, severity, reported_at"),
}  # (the other keys: step 17's defect_campaign_figures and defect_campaign_reported)


def indexes(postgresql: bool) -> dict[str, tuple[str, str]]:
    """This step's indexes on an engine."""
    return INDEXES if postgresql else {**INDEXES, **SQLITE_INDEXES}


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in indexes(is_postgresql(database)).items():
        if names is None or name in names:
            where = f" WHERE {PARTIAL[name]}" if name in PARTIAL else ""
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}")


def _tables(postgresql: bool) -> list[str]:
    """SQLite: WITHOUT ROWID, so a rollup row lives in its key's b-tree and a range of
    keys is read from it alone, whatever the statistics say."""
    timestamp, clustered = ("TIMESTAMP", "") if postgresql else ("DATETIME", " WITHOUT ROWID")
    return [
        "CREATE TABLE IF NOT EXISTS defect_day_source (source VARCHAR(24) NOT NULL, "
        f"day {timestamp} NOT NULL, supplier_key INTEGER NOT NULL, "
        "category VARCHAR(16) NOT NULL, severity VARCHAR(16) NOT NULL, "
        "defects INTEGER NOT NULL, "
        f"PRIMARY KEY (source, day, supplier_key, category, severity)){clustered}",
        "CREATE TABLE IF NOT EXISTS defect_campaign_due (campaign_key INTEGER NOT NULL, "
        f"due_day {timestamp} NOT NULL, status VARCHAR(16) NOT NULL, "
        "severity VARCHAR(16) NOT NULL, on_time INTEGER NOT NULL, defects INTEGER NOT NULL, "
        f"PRIMARY KEY (campaign_key, due_day, status, severity, on_time)){clustered}",
        "CREATE TABLE IF NOT EXISTS defect_campaign_hour (campaign_key INTEGER NOT NULL, "
        f"hour {timestamp} NOT NULL, defects INTEGER NOT NULL, "
        f"PRIMARY KEY (campaign_key, hour)){clustered}",
    ]


def _day(column: str, postgresql: bool) -> str:
    if postgresql:
        return f"date_trunc('day', {column})"
    return f"SUBSTR({column}, 1, 10) || ' 00:00:00'"


def _hour(column: str, postgresql: bool) -> str:
    if postgresql:
        return f"date_trunc('hour', {column})"
    return f"SUBSTR({column}, 1, 13) || ':00:00'"


def _on_time(c: str) -> str:
    """Verified inside the window (`c`: the prefix naming a defect row's columns)."""
    return f"CASE WHEN {c}verified_at IS NOT NULL AND {c}verified_at <= {c}due_at THEN 1 ELSE 0 END"


# each rollup: its table, its key columns, the key of a defect row (`{c}` its prefix)
ROLLUPS = {
    "defect_day_source": (
        ("source", "day", "supplier_key", "category", "severity"),
        ("{c}source", "{day}", "COALESCE({c}supplier_id, 0)", "{c}category", "{c}severity"),
    ),
    "defect_campaign_due": (
        ("campaign_key", "due_day", "status", "severity", "on_time"),
        ("COALESCE({c}campaign_id, 0)", "{due_day}", "{c}status", "{c}severity", "{on_time}"),
    ),
    "defect_campaign_hour": (
        ("campaign_key", "hour"),
        ("COALESCE({c}campaign_id, 0)", "{hour}"),
    ),
}


def _key(table: str, c: str, postgresql: bool) -> list[str]:
    return [
        part.format(
            c=c,
            day=_day(f"{c}reported_at", postgresql),
            due_day=_day(f"{c}due_at", postgresql),
            hour=_hour(f"{c}reported_at", postgresql),
            on_time=_on_time(c),
        )
        for part in ROLLUPS[table][1]
    ]


def _grouped_upsert(table: str, source: str, *, postgresql: bool) -> str:
    """Add `source`'s rows (a defect row's columns and `sign`, +1 or -1) to the rollup,
    summed per key; keys whose sum is 0 are left alone."""
    columns = ROLLUPS[table][0]
    where = "" if postgresql else " WHERE true"  # SQLite: INSERT ... SELECT before ON CONFLICT
    numbers = ", ".join(str(n) for n in range(1, len(columns) + 1))
    return (
        f"INSERT INTO {table} ({', '.join(columns)}, defects) "
        f"SELECT {', '.join(_key(table, '', postgresql))}, SUM(sign) FROM {source}{where} "
        f"GROUP BY {numbers} HAVING SUM(sign) <> 0 ORDER BY {numbers} "
        f"ON CONFLICT ({', '.join(columns)}) "
        f"DO UPDATE SET defects = {table}.defects + excluded.defects"
    )


def rebuild_defect_rollups(database: Database) -> None:
    """This step's rollups again from the defects (the guards lifted on SQLite)."""
    postgresql = is_postgresql(database)
    if postgresql:
        database.execute_sql("LOCK TABLE defect IN SHARE MODE")
    for table in ROLLUPS:
        database.execute_sql(f"DELETE FROM {table}")
        source = "(SELECT *, 1 AS sign FROM defect) AS rows"
        database.execute_sql(_grouped_upsert(table, source, postgresql=postgresql))


# -- PostgreSQL: statement triggers over transition tables ----------------------------------

_EVENTS = {  # event: (REFERENCING ..., the rows with their sign)
    "INSERT": ("NEW TABLE AS new_rows", "(SELECT *, 1 AS sign FROM new_rows) AS rows"),
    "DELETE": ("OLD TABLE AS old_rows", "(SELECT *, -1 AS sign FROM old_rows) AS rows"),
    "UPDATE": (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "(SELECT *, 1 AS sign FROM new_rows UNION ALL SELECT *, -1 AS sign FROM old_rows) AS rows",
    ),
}


def _postgresql_triggers() -> list[str]:
    statements = []
    for event, (referencing, rows) in _EVENTS.items():
        name = event.lower()
        body = "; ".join(_grouped_upsert(table, rows, postgresql=True) for table in ROLLUPS)
        statements += [
            f"CREATE OR REPLACE FUNCTION qk_defect_rollups_{name}() RETURNS trigger "
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN "
            f"{body}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS defect_rollups_{name} ON defect",
            f"CREATE TRIGGER defect_rollups_{name} AFTER {event} ON defect "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION qk_defect_rollups_{name}()",
        ]
    return statements


# -- SQLite: row triggers that count a key's defects, and guards ---------------------------


def _sqlite_count(table: str, key: list[str]) -> str:
    """The number of defects with this rollup key (each part an SQL expression): an index
    range (SQLITE_INDEXES; step 17's defect_campaign_figures and defect_campaign_reported)."""
    if table == "defect_day_source":
        source, day, supplier, category, severity = key
        return (
            f"(SELECT COUNT(*) FROM defect WHERE source = {source} "
            f"AND supplier_id IS NULLIF({supplier}, 0) AND category = {category} "
            f"AND severity = {severity} AND reported_at >= {day} "
            f"AND reported_at < datetime({day}, '+1 day'))"
        )
    if table == "defect_campaign_hour":
        campaign, hour = key
        return (
            f"(SELECT COUNT(*) FROM defect WHERE campaign_id IS NULLIF({campaign}, 0) "
            f"AND reported_at >= {hour} AND reported_at < datetime({hour}, '+1 hour'))"
        )
    campaign, due_day, status, severity, on_time = key
    return (
        f"(SELECT COUNT(*) FROM defect WHERE campaign_id IS NULLIF({campaign}, 0) "
        f"AND status = {status} AND severity = {severity} AND due_at >= {due_day} "
        f"AND due_at < datetime({due_day}, '+1 day') AND {_on_time('')} = {on_time})"
    )


def _sqlite_set(table: str, row: str) -> str:
    """Set the rollup row of defect row `row` (NEW or OLD) to its key's count."""
    key = _key(table, f"{row}.", postgresql=False)
    columns = ROLLUPS[table][0]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}, defects) "
        f"SELECT {', '.join(key)}, {_sqlite_count(table, key)} WHERE true "
        f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET defects = excluded.defects"
    )


def _sqlite_changed(table: str) -> str:
    new, old = _key(table, "NEW.", False), _key(table, "OLD.", False)
    return " OR ".join(f"({a}) IS NOT ({b})" for a, b in zip(new, old, strict=True))


KEPT = "defect rollups are kept by the defects: change the defect instead"
LEDGER_KEPT = "ledger rollups are kept by the ledger: add a ledger row instead"


def _sqlite_triggers() -> list[str]:
    statements = []
    for event, rows in (("INSERT", ("NEW",)), ("DELETE", ("OLD",))):
        name = f"defect_rollups_{event.lower()}"
        body = "; ".join(_sqlite_set(table, row) for table in ROLLUPS for row in rows)
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event} ON defect BEGIN {body}; END",
        ]
    for table in ROLLUPS:
        name = f"{table}_from_update"
        body = "; ".join(_sqlite_set(table, row) for row in ("OLD", "NEW"))
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER UPDATE ON defect WHEN {_sqlite_changed(table)} "
            f"BEGIN {body}; END",
        ]
    return statements


# the newest ledger row: the one whose insert fired step 17's trigger
_NEWEST = "FROM ledger_entry WHERE id = (SELECT MAX(id) FROM ledger_entry)"
_LEDGER_KEYS = {
    "ledger_team_hour": {
        "campaign_key": "COALESCE(campaign_id, 0)",
        "team_id": "team_id",
        "hour": "SUBSTR(created_at, 1, 13) || ':00:00'",
    },
    "ledger_team_person": {
        "campaign_key": "COALESCE(campaign_id, 0)",
        "team_id": "team_id",
        "employee_key": "COALESCE(employee_id, 0)",
    },
}
_ONTIME = v0017_read_indexes.ONTIME.format(key="idempotency_key")
_OVERDUE = v0017_read_indexes.OVERDUE.format(key="idempotency_key")
_LEDGER_VALUES = {
    "ledger_team_hour": {"amount": "amount"},
    "ledger_team_person": {
        "amount": "amount",
        "ontime_entries": _ONTIME,
        "overdue_entries": _OVERDUE,
        "overdue_amount": f"{_OVERDUE} * amount",
    },
}


def _sqlite_guards() -> list[str]:
    statements = []
    for table in ROLLUPS:
        key = [f"NEW.{column}" for column in ROLLUPS[table][0]]
        statements += [
            f"CREATE TRIGGER {table}_kept_insert BEFORE INSERT ON {table} "
            f"WHEN NEW.defects IS NOT {_sqlite_count(table, key)} "
            f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_update BEFORE UPDATE ON {table} "
            f"WHEN NEW.defects IS NOT {_sqlite_count(table, key)} OR "
            + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ROLLUPS[table][0])
            + f" BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
        ]
    for table, keys in _LEDGER_KEYS.items():
        match = " AND ".join(f"{expression} IS NEW.{column}" for column, expression in keys.items())
        values = _LEDGER_VALUES[table]
        inserted = " AND ".join(f"{e} IS NEW.{column}" for column, e in values.items())
        added = " AND ".join(f"{e} IS NEW.{column} - OLD.{column}" for column, e in values.items())
        same_key = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in keys)
        statements += [
            f"CREATE TRIGGER {table}_kept_insert BEFORE INSERT ON {table} "
            f"WHEN NOT EXISTS (SELECT 1 {_NEWEST} AND {match} AND {inserted}) "
            f"BEGIN SELECT RAISE(ABORT, '{LEDGER_KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_update BEFORE UPDATE ON {table} "
            f"WHEN NOT ({same_key} AND EXISTS (SELECT 1 {_NEWEST} AND {match} AND {added})) "
            f"BEGIN SELECT RAISE(ABORT, '{LEDGER_KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{LEDGER_KEPT}'); END",
        ]
    return statements


GUARDED = (*ROLLUPS, *_LEDGER_KEYS)


def drop_sqlite_guards(database: Database) -> None:
    for table in GUARDED:
        for what in ("insert", "update", "delete"):
            database.execute_sql(f"DROP TRIGGER IF EXISTS {table}_kept_{what}")


def rebuild(database: Database) -> None:
    """Every rollup again from its source: the ledger's (step 17) and the defects' (this
    step), e.g. after a bulk load made with the triggers off. Call inside a transaction:
    on SQLite the guards are lifted and made again around it."""
    postgresql = is_postgresql(database)
    if not postgresql:
        drop_sqlite_guards(database)
    v0017_read_indexes.rebuild(database)
    rebuild_defect_rollups(database)
    if not postgresql:
        for statement in _sqlite_guards():
            database.execute_sql(statement)


def apply(database: Database) -> None:
    postgresql = is_postgresql(database)
    create_indexes(database)
    tables = _tables(postgresql)
    triggers = _postgresql_triggers() if postgresql else _sqlite_triggers()
    for statement in tables + triggers:
        database.execute_sql(statement)
    rebuild(database)
