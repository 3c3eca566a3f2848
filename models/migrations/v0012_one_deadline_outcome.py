"""Schema step 12: one outcome per correction window.

Before this step a verification on one kiosk and the overdue sweep on another could
both pay out for the same defect (+2 `ontime:<id>` and -2 `overdue:<id>`). From now on
the outcome is written under the defect's row lock after a re-check
(kiosk.services.defects.lifecycle.write_deadline_outcome). The ledger is append-only, so
this step does not edit the doubles it finds: it cancels the later row of each pair
with a reversal row (key `reverse:<row id>`, as a supervisor's reversal would be) and
writes an audit row for each. The earlier outcome stands.
"""

from __future__ import annotations

from datetime import UTC, datetime

from peewee import Database

from models.db import is_postgresql

VERSION = 12
TITLE = "one outcome per correction window: double on-time/late rows reversed"

_DOUBLES = (
    "SELECT later.id, later.campaign_id, later.team_id, later.employee_id, later.amount, "
    "later.reason, later.cause_type, later.cause_id "
    "FROM ledger_entry AS ontime "
    "JOIN ledger_entry AS overdue "
    "  ON overdue.idempotency_key = 'overdue:' || SUBSTR(ontime.idempotency_key, 8) "
    "JOIN ledger_entry AS later "
    "  ON later.id = CASE WHEN ontime.id > overdue.id THEN ontime.id ELSE overdue.id END "
    "WHERE SUBSTR(ontime.idempotency_key, 1, 7) = 'ontime:' "
    "  AND NOT EXISTS (SELECT 1 FROM ledger_entry AS r "
    "                  WHERE r.idempotency_key = 'reverse:' || CAST(later.id AS VARCHAR(20))) "
    "ORDER BY later.id"
)


def apply(database: Database) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    at = now if is_postgresql(database) else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    true = "TRUE" if is_postgresql(database) else "1"
    p = database.param  # %s on PostgreSQL, ? on SQLite
    why = "one outcome per correction window (schema step 12)"
    for row in database.execute_sql(_DOUBLES).fetchall():
        entry_id, campaign_id, team_id, employee_id, amount, reason, cause_type, cause_id = row
        database.execute_sql(
            "INSERT INTO ledger_entry (campaign_id, team_id, employee_id, amount, reason, "
            "cause_type, cause_id, idempotency_key, created_by_id, created_at, reverses_id) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, NULL, {p}, {p})",
            (
                campaign_id,
                team_id,
                employee_id,
                -amount,
                f"reversal of row {entry_id} ({reason}): {why}",
                cause_type,
                cause_id,
                f"reverse:{entry_id}",
                at,
                entry_id,
            ),
        )
        database.execute_sql(
            "INSERT INTO audit_entry (at, actor_id, action, target, allowed, detail, terminal) "
            f"VALUES ({p}, NULL, 'ledger_reverse', {p}, {true}, {p}, 'kiosk db upgrade')",
            (at, str(entry_id), why),
        )
