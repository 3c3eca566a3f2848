"""Schema step 16: team totals kept once per statement on PostgreSQL, not once per row.

Step 9's trigger upserted the same few total rows once per ledger row. Inside one
transaction that writes many ledger rows every such update leaves another version of
the row that the next update must step over (none can be pruned before commit), so a
bulk insert (an import, `kiosk demo --scale plant`, reversals in bulk) slowed down
quadratically. From this step the trigger fires once per INSERT statement, reads the
statement's new rows from a transition table (`REFERENCING NEW TABLE`), adds them up per
campaign and team and upserts each total once, in key order (two statements touching the
same totals lock them in the same order). It runs with its owner's rights (SECURITY
DEFINER, as step 13 made the old one), so an application role that may only INSERT the
ledger keeps the totals.

SQLite keeps step 9's per-row trigger: it has no row versions to step over (one writer,
updates in place), and step 13's guards on the totals check each row against the
newest ledger row.

The totals are rebuilt from the ledger here (PostgreSQL), so they start exact.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql

VERSION = 16
TITLE = "team totals added up once per ledger insert statement (PostgreSQL)"

FUNCTION = "qk_ledger_statement_totals"
TRIGGER = "ledger_entry_statement_totals"
NEW_ROWS = "qk_new_ledger_rows"

POSTGRESQL = [
    f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
    "SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN "
    "INSERT INTO team_point_total (campaign_key, team_id, points) "
    "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) "
    f"FROM {NEW_ROWS} GROUP BY COALESCE(campaign_id, 0), team_id ORDER BY 1, 2 "
    "ON CONFLICT (campaign_key, team_id) "
    "DO UPDATE SET points = team_point_total.points + excluded.points; "
    "RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS ledger_entry_running_total ON ledger_entry",
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON ledger_entry",
    f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON ledger_entry "
    f"REFERENCING NEW TABLE AS {NEW_ROWS} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    # step 9's function stays (no trigger calls it): steps 9 and 13 name it when they run
    # again on a database brought back to an older version
    # exact from here: the ledger is the truth
    "LOCK TABLE ledger_entry IN SHARE MODE",
    "DELETE FROM team_point_total",
    "INSERT INTO team_point_total (campaign_key, team_id, points) "
    "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) FROM ledger_entry "
    "GROUP BY COALESCE(campaign_id, 0), team_id",
]


def apply(database: Database) -> None:
    if is_postgresql(database):
        for statement in POSTGRESQL:
            database.execute_sql(statement)
