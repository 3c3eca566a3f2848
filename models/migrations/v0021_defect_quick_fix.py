"""Schema step 21: the quick self-fixes of each team, kept in the writing transaction
(issue 16), so the Red-Black List marks the teams whose points look farmed by reading
the teams it shows, not the campaign's fixed defects.

`defect_quick_fix(campaign_key, fix_hours, team_id, defects)`: the self-reported defects
that are marked fixed, per campaign (0: none), whole hours from the report to the fix
(rounded up; 0 for a fix recorded at or before the report; capped at 721, one more than the
longest `suspicious_fix_hours` a campaign may set) and responsible team. The board sums
the rows of a campaign with `fix_hours` at most the campaign's rule, whatever that rule
is today (it can change during the campaign).

A defect is *self-reported* while its reporter is a member of the defect's responsible
team **now**: the rollup follows the reporter's current team, as the count it replaces did.
So every write that changes the answer changes the rollup in the same transaction:

- a defect inserted (a report, `kiosk demo --scale`, an import), deleted or purged;
- a defect updated: marked fixed, a fix rejected (the lifecycle clears `fixed_at`),
  reassigned to another team, moved to another campaign, its times corrected;
- an employee moving team (`employee.team_id` updated): that reporter's fixed defects of
  the old team stop counting and those of the new team start.

On PostgreSQL statement-level triggers read the statement's rows from transition tables,
add them up per key and upsert each key once, in key order (SECURITY DEFINER, as step 18);
a defect statement first takes a share lock on the reporters of its fixed defects, so an
employee moving team at the same moment waits for it (and then counts its rows) or makes
it wait (and it then reads the new team). On SQLite (one writer at a time) row triggers
add and take away one defect at a time. `rebuild` counts the rollup again from the defects.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql
from models.migrations.v0018_defect_rollups import _EVENTS  # the defect rows with their sign

VERSION = 21
TITLE = "the quick self-fixes of each team kept by triggers (the Red-Black List)"

TABLE = "defect_quick_fix"
MAX_HOURS = 721  # every fix later than the longest rule a campaign may set (720 h)
_COLUMNS = "campaign_key, fix_hours, team_id"
# a change of any of these can change whether or where a defect row counts
_COUNTED = ("campaign_id", "team_id", "reporter_id", "reported_at", "fixed_at")


def _fix_hours(c: str, postgresql: bool) -> str:
    """Whole hours from a defect's report to its fix, rounded up, in 0..721 (`c`: the
    prefix naming the defect row's columns). SQLite: from whole seconds and the
    microseconds Peewee writes after them, in integers (no rounding of a float)."""
    if postgresql:
        seconds = f"EXTRACT(EPOCH FROM ({c}fixed_at - {c}reported_at))"
        return f"GREATEST(0, LEAST({MAX_HOURS}, CEIL({seconds} / 3600)))::integer"

    def micros(column: str) -> str:
        return (
            f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
            f"+ CAST(SUBSTR({column}, 21) AS INTEGER))"
        )

    span = f"({micros(f'{c}fixed_at')} - {micros(f'{c}reported_at')})"
    return f"MAX(0, MIN({MAX_HOURS}, ({span} + 3599999999) / 3600000000))"


def _key(c: str, postgresql: bool) -> str:
    return f"COALESCE({c}campaign_id, 0), {_fix_hours(c, postgresql)}, {c}team_id"


def _upsert(select: str) -> str:
    """Add what `select` gives (key, number) to the rollup."""
    return (
        f"INSERT INTO {TABLE} ({_COLUMNS}, defects) {select} "
        f"ON CONFLICT ({_COLUMNS}) DO UPDATE SET defects = {TABLE}.defects + excluded.defects"
    )


def _self_reported(c: str) -> str:
    """The defect row `c` counts: fixed, and its reporter (employee `e`) is of its team."""
    return f"{c}fixed_at IS NOT NULL AND e.id = {c}reporter_id AND e.team_id = {c}team_id"


def _grouped(rows: str, postgresql: bool) -> str:
    """`rows` (a defect row's columns and `sign`) that count, summed per key."""
    return _upsert(
        f"SELECT {_key('rows.', postgresql)}, SUM(rows.sign) FROM {rows}, employee e "
        f"WHERE {_self_reported('rows.')} GROUP BY 1, 2, 3 HAVING SUM(rows.sign) <> 0 "
        "ORDER BY 1, 2, 3"
    )


def _moved(old: str, new: str, postgresql: bool, where: str = "") -> str:
    """The fixed defects of reporters who moved from team `old`.team_id to `new`.team_id
    (`new`: the employee rows, `old`: the same employees before): -1 for the old team's,
    +1 for the new team's."""
    sign = f"CASE WHEN d.team_id = {new}.team_id THEN 1 ELSE -1 END"
    differs = "IS DISTINCT FROM" if postgresql else "IS NOT"
    return _upsert(
        f"SELECT {_key('d.', postgresql)}, SUM({sign}) FROM defect d{where} "
        f"WHERE d.reporter_id = {new}.id AND d.fixed_at IS NOT NULL "
        f"AND d.team_id IN ({old}.team_id, {new}.team_id) "
        f"AND {old}.team_id {differs} {new}.team_id "
        f"GROUP BY 1, 2, 3 HAVING SUM({sign}) <> 0 ORDER BY 1, 2, 3"
    )


def rebuild(database: Database) -> None:
    """The rollup again from the defects and their reporters' teams (PostgreSQL: neither
    written meanwhile)."""
    postgresql = is_postgresql(database)
    every_defect = _grouped("(SELECT *, 1 AS sign FROM defect) AS rows", postgresql)
    locked = ["LOCK TABLE defect, employee IN SHARE MODE"] if postgresql else []
    for statement in [*locked, f"DELETE FROM {TABLE}", every_defect]:
        database.execute_sql(statement)


# -- PostgreSQL: statement triggers over transition tables ----------------------------------


def _postgresql_trigger(name: str, on: str, referencing: str, body: str) -> list[str]:
    """Trigger `name` AFTER `on` (event and table), for each statement, running `body` as
    the owner."""
    function = f"qk_{name}"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
        f"SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN {body}; "
        "RETURN NULL; END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {on.split()[-1]}",
        f"CREATE TRIGGER {name} AFTER {on} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _lock_reporters(event: str) -> str:
    """Share-lock the reporters of the statement's fixed defects whose count may move (an
    employee moving team waits for this transaction): inserted or deleted ones, and updated
    ones whose campaign, team, reporter, report or fix changed (not a status change)."""
    if event == "UPDATE":
        counted = ", ".join(f"{{r}}.{column}" for column in _COUNTED)
        rows = (
            "SELECT r.reporter_id, r.fixed_at FROM new_rows n JOIN old_rows o ON o.id = n.id, "
            "LATERAL (VALUES (n.reporter_id, n.fixed_at), (o.reporter_id, o.fixed_at)) "
            f"AS r (reporter_id, fixed_at) WHERE ({counted.format(r='n')}) "
            f"IS DISTINCT FROM ({counted.format(r='o')})"
        )
    else:
        table = "new_rows" if event == "INSERT" else "old_rows"
        rows = f"SELECT reporter_id, fixed_at FROM {table}"
    return (
        "PERFORM 1 FROM employee WHERE id IN "
        f"(SELECT reporter_id FROM ({rows}) AS r WHERE fixed_at IS NOT NULL) "
        "ORDER BY id FOR SHARE"
    )


def _postgresql_triggers() -> list[str]:
    moved = _moved("o", "n", True, where=", new_rows n JOIN old_rows o ON o.id = n.id")
    statements = _postgresql_trigger(
        "employee_quick_fix",
        "UPDATE ON employee",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        moved,
    )
    for event, (referencing, rows) in _EVENTS.items():
        body = f"{_lock_reporters(event)}; {_grouped(rows, postgresql=True)}"
        name = f"defect_quick_fix_{event.lower()}"
        statements += _postgresql_trigger(name, f"{event} ON defect", referencing, body)
    return statements


# -- SQLite: row triggers ---------------------------------------------------------------------


def _sqlite_row(row: str, sign: int) -> str:
    """Add `sign` for defect row `row` (NEW or OLD) when it counts."""
    return _upsert(
        f"SELECT {_key(f'{row}.', False)}, {sign} FROM employee e WHERE {_self_reported(f'{row}.')}"
    )


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _COUNTED)
    triggers = {
        "defect_quick_fix_insert": ("AFTER INSERT ON defect", [_sqlite_row("NEW", 1)]),
        "defect_quick_fix_delete": ("AFTER DELETE ON defect", [_sqlite_row("OLD", -1)]),
        "defect_quick_fix_update": (
            f"AFTER UPDATE ON defect WHEN {changed}",
            [_sqlite_row("OLD", -1), _sqlite_row("NEW", 1)],
        ),
        "employee_quick_fix": (
            "AFTER UPDATE OF team_id ON employee WHEN NEW.team_id IS NOT OLD.team_id",
            [_moved("OLD", "NEW", False)],
        ),
    }
    statements = []
    for name, (when, body) in triggers.items():
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {when} BEGIN {'; '.join(body)}; END",
        ]
    return statements


def apply(database: Database) -> None:
    postgresql = is_postgresql(database)
    clustered = "" if postgresql else " WITHOUT ROWID"
    database.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (campaign_key INTEGER NOT NULL, "
        "fix_hours INTEGER NOT NULL, team_id INTEGER NOT NULL, defects INTEGER NOT NULL, "
        f"PRIMARY KEY ({_COLUMNS})){clustered}"
    )
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        database.execute_sql(statement)
    rebuild(database)
