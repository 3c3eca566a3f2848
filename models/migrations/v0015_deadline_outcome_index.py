"""Schema step 15: the database itself allows one outcome per correction window.

Step 12 made the application decide a window's outcome under the defect's row lock;
this step has the database refuse a second one too: a partial unique index over the
defect id of the on-time and late rows (`ontime:<id>`, `overdue:<id>`). Rows written
before this step are left out of it (the ledger is append-only: a double outcome from
before step 12 stays, cancelled by its reversal row), so the index covers every row
from here on.
"""

from __future__ import annotations

from peewee import Database

VERSION = 15
TITLE = "one outcome per correction window, enforced by a unique index"


def apply(database: Database) -> None:
    newest = database.execute_sql("SELECT COALESCE(MAX(id), 0) FROM ledger_entry").fetchone()[0]
    database.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entry_one_deadline_outcome "
        "ON ledger_entry (cause_id) WHERE cause_type = 'defect' "
        "AND (SUBSTR(idempotency_key, 1, 7) = 'ontime:' "
        "OR SUBSTR(idempotency_key, 1, 8) = 'overdue:') "
        f"AND id > {int(newest)}"
    )
