"""Schema step 23: one award, one statement (PostgreSQL).

The ledger chain needs one writer per campaign at a time (an advisory lock held to the
end of the transaction). Written from Python, an award took the lock, looked its key up,
inserted the row, read the chain's last hash and inserted the link: five round trips
between the kiosk and the server with the lock held, and through PgBouncer on a loaded
machine each round trip waits for the kiosk's process to be given a core, so every
award of the plant queued behind the slowest kiosk's round trips (bench/pooled.py).

`qk_ledger_append(...)` does all of it on the server in one call: the key looked up
(a retry takes no lock), the lock, the row (ON CONFLICT DO NOTHING: a key written
meanwhile returns that row, not written; another unique rule of the ledger, schema step
15, returns no row at all), the previous link read
after the lock was granted (each statement of a PL/pgSQL function reads a new snapshot,
so it sees the link of the writer it waited for), and the link, hashed as
models.points.chain_hash hashes it (SHA-256 over the previous hash and the row's columns
joined by U+001F, the time as ISO 8601 with microseconds; `kiosk ledger verify`
recomputes it in Python). It runs with the caller's rights: an application role may
INSERT the ledger and its chain already.

SQLite has one writer at a time anyway: nothing changes there.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql

VERSION = 23
TITLE = "an award and its chain link in one statement (PostgreSQL)"

CHAIN_LOCK = 0x514B_0002  # kiosk.services.platform.ledger.CHAIN_LOCK, as it was at this step

_HASHED = ", ".join(
    [
        "COALESCE(previous, repeat('0', 64))",
        "COALESCE(p_campaign::text, '')",
        "p_team::text",
        "COALESCE(p_employee::text, '')",
        "p_amount::text",
        "p_reason",
        "p_cause_type",
        "p_cause_id",
        "p_key",
        "COALESCE(p_created_by::text, '')",
        "to_char(p_created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
        "COALESCE(p_reverses::text, '')",
    ]
)

FUNCTION = (
    "CREATE OR REPLACE FUNCTION qk_ledger_append("
    "p_campaign integer, p_team integer, p_employee integer, p_amount integer, "
    "p_reason text, p_cause_type text, p_cause_id text, p_key text, "
    "p_created_by integer, p_created_at timestamp, p_reverses bigint) "
    "RETURNS TABLE (entry_id bigint, written boolean) LANGUAGE plpgsql "
    "SET search_path = public, pg_temp AS $$\n"
    "#variable_conflict use_column\n"
    "DECLARE chain integer := COALESCE(p_campaign, 0); new_id bigint; previous text;\n"
    "BEGIN\n"
    "SELECT e.id INTO new_id FROM ledger_entry AS e WHERE e.idempotency_key = p_key;\n"
    "IF FOUND THEN RETURN QUERY SELECT new_id, false; RETURN; END IF;\n"
    f"PERFORM pg_advisory_xact_lock({CHAIN_LOCK}, chain);\n"
    "INSERT INTO ledger_entry (campaign_id, team_id, employee_id, amount, reason, "
    "cause_type, cause_id, idempotency_key, created_by_id, created_at, reverses_id) "
    "VALUES (p_campaign, p_team, p_employee, p_amount, p_reason, p_cause_type, p_cause_id, "
    "p_key, p_created_by, p_created_at, p_reverses) "
    "ON CONFLICT DO NOTHING RETURNING ledger_entry.id INTO new_id;\n"
    "IF new_id IS NULL THEN\n"
    "RETURN QUERY SELECT e.id, false FROM ledger_entry AS e WHERE e.idempotency_key = p_key;\n"
    "RETURN;\n"
    "END IF;\n"
    "SELECT c.hash INTO previous FROM ledger_chain AS c WHERE c.campaign_key = chain "
    "ORDER BY c.entry_id DESC LIMIT 1;\n"
    "INSERT INTO ledger_chain (entry_id, campaign_key, hash) VALUES (new_id, chain, "
    f"encode(sha256(convert_to(concat_ws(E'\\x1f', {_HASHED}), 'UTF8')), 'hex'));\n"
    "RETURN QUERY SELECT new_id, true;\n"
    "END $$"
)


def apply(database: Database) -> None:
    if is_postgresql(database):
        database.execute_sql(FUNCTION)
