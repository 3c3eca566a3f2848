"""Schema step 25: SQLite guards on step 21's rollup of the quick self-fixes (issue 16).

PostgreSQL's application role may not write `defect_quick_fix` (only the owner's SECURITY
DEFINER triggers do); on SQLite nothing stopped a direct write from changing which teams the
Red-Black List marks. As step 20 guards its rollup, a row of `defect_quick_fix` may now
only hold the number of self-reported fixed defects its key has, and is never deleted:

- step 21's row triggers add or take away per key with an upsert, so a row that exists is
  checked when it is updated (BEFORE UPDATE: the new number must be the key's count, the
  key may not change), and a row is checked once it is inserted (AFTER INSERT, which an
  upsert that updates does not fire; an INSERT OR REPLACE does, and is refused unless it
  writes the count);
- the count is that of the team's fixed defects in the campaign whose reporter is of the
  team now, with the key's whole hours from the report to the fix (as step 21 counts).

`rebuild` lifts the guards while step 21's rebuild counts the rollup again.

Step 21's SQLite update trigger took the old row away and added the new one; when both
count under the same key (a fix time corrected within the hour, the reporter changed to
another member of the team) the first half leaves the row one short for a moment, which
the update guard refuses. This step makes that trigger again so that such an update,
which does not change the rollup, does not touch it.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql
from models.migrations import v0021_defect_quick_fix as quick_fix
from models.migrations.v0018_defect_rollups import KEPT  # the guards' message

VERSION = 25
TITLE = "guards on the quick self-fixes' rollup (SQLite)"

TABLE = quick_fix.TABLE
_KEY = ("campaign_key", "fix_hours", "team_id")


def _count() -> str:
    """The self-reported fixed defects of NEW's key (the team's defects, by index)."""
    return (
        "(SELECT COUNT(*) FROM defect d JOIN employee e ON e.id = d.reporter_id "
        "WHERE d.team_id = NEW.team_id AND e.team_id = NEW.team_id "
        "AND d.fixed_at IS NOT NULL AND d.campaign_id IS NULLIF(NEW.campaign_key, 0) "
        f"AND {quick_fix._fix_hours('d.', postgresql=False)} = NEW.fix_hours)"
    )


def _counts(row: str) -> str:
    """Defect row `row` (NEW or OLD) is a self-reported fix."""
    return (
        f"{row}.fixed_at IS NOT NULL AND "
        f"(SELECT team_id FROM employee WHERE id = {row}.reporter_id) = {row}.team_id"
    )


def _sqlite_update_trigger() -> list[str]:
    """Step 21's trigger on an updated defect, skipping an update whose old and new rows
    both count under the same key."""
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in quick_fix._COUNTED)
    same_key = (
        "COALESCE(NEW.campaign_id, 0) = COALESCE(OLD.campaign_id, 0) "
        "AND NEW.team_id = OLD.team_id AND "
        f"{quick_fix._fix_hours('NEW.', postgresql=False)} = "
        f"{quick_fix._fix_hours('OLD.', postgresql=False)}"
    )
    unchanged = f"{_counts('NEW')} AND {_counts('OLD')} AND {same_key}"
    body = f"{quick_fix._sqlite_row('OLD', -1)}; {quick_fix._sqlite_row('NEW', 1)}"
    return [
        "DROP TRIGGER IF EXISTS defect_quick_fix_update",
        "CREATE TRIGGER defect_quick_fix_update AFTER UPDATE ON defect "
        f"WHEN ({changed}) AND NOT ({unchanged}) BEGIN {body}; END",
    ]


def _sqlite_guards() -> list[str]:
    moved = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in _KEY)
    refuse = f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
    return [
        f"CREATE TRIGGER {TABLE}_kept_insert AFTER INSERT ON {TABLE} "
        f"WHEN NEW.defects IS NOT {_count()} {refuse}",
        f"CREATE TRIGGER {TABLE}_kept_update BEFORE UPDATE ON {TABLE} "
        f"WHEN NEW.defects IS NOT {_count()} OR {moved} {refuse}",
        f"CREATE TRIGGER {TABLE}_kept_delete BEFORE DELETE ON {TABLE} {refuse}",
    ]


def drop_sqlite_guards(database: Database) -> None:
    for what in ("insert", "update", "delete"):
        database.execute_sql(f"DROP TRIGGER IF EXISTS {TABLE}_kept_{what}")


def rebuild(database: Database) -> None:
    """Step 21's rollup again from the defects (call inside a transaction; on SQLite the
    guards are lifted and made again around it)."""
    postgresql = is_postgresql(database)
    if not postgresql:
        drop_sqlite_guards(database)
    quick_fix.rebuild(database)
    if not postgresql:
        for statement in _sqlite_guards():
            database.execute_sql(statement)


def apply(database: Database) -> None:
    if not is_postgresql(database):
        drop_sqlite_guards(database)
        for statement in _sqlite_update_trigger() + _sqlite_guards():
            database.execute_sql(statement)
