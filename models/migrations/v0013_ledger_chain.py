"""Schema step 13: a tamper-evident ledger.

- `ledger_chain` holds each ledger row's hash, chained to the previous row's hash of
  the same campaign (models.points.chain_hash); rows already in the ledger are chained
  here, in id order. It is append-only like the ledger.
- SQLite refuses `INSERT OR REPLACE` of an existing ledger row (REPLACE deletes the old
  row without firing the delete trigger), and writes to the running totals that do not
  come from the ledger's own trigger.
- PostgreSQL: the running-total trigger function runs as its owner (SECURITY DEFINER),
  so an application role that may only INSERT and SELECT the ledger keeps the totals
  without any right on them (kiosk db upgrade --app-role; services.database).
"""

from __future__ import annotations

from peewee import CharField, Database, ForeignKeyField, IntegerField, Model

from models.db import is_postgresql
from models.points import CHAIN_COLUMNS, CHAIN_START, chain_hash

VERSION = 13
TITLE = "tamper-evident ledger: hash chain, no REPLACE, totals written only by the ledger"

APPEND_ONLY = "the point ledger is append-only: add a reversing row instead"
TOTALS_DERIVED = "team point totals are kept by the ledger: add a ledger row instead"
BATCH = 10_000


def _frozen_chain(database: Database) -> type[Model]:
    class LedgerEntry(Model):
        class Meta:
            table_name = "ledger_entry"

    class LedgerChain(Model):
        entry = ForeignKeyField(LedgerEntry, primary_key=True, on_delete="RESTRICT")
        campaign_key = IntegerField()
        hash = CharField(max_length=64)

        class Meta:
            table_name = "ledger_chain"
            indexes = ((("campaign_key", "entry"), True),)

    LedgerChain.bind(database)
    return LedgerChain


# the newest ledger row: the one whose insert fired the running-total trigger
_LAST = "(SELECT {column} FROM ledger_entry WHERE id = (SELECT MAX(id) FROM ledger_entry))"

SQLITE = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_replace",
    # REPLACE deletes the row it conflicts with without firing the delete trigger
    "CREATE TRIGGER ledger_entry_no_replace BEFORE INSERT ON ledger_entry "
    "WHEN EXISTS (SELECT 1 FROM ledger_entry WHERE id = NEW.id "
    "OR idempotency_key = NEW.idempotency_key) "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    "DROP TRIGGER IF EXISTS ledger_chain_no_update",
    "DROP TRIGGER IF EXISTS ledger_chain_no_delete",
    "DROP TRIGGER IF EXISTS ledger_chain_no_replace",
    f"CREATE TRIGGER ledger_chain_no_update BEFORE UPDATE ON ledger_chain "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"CREATE TRIGGER ledger_chain_no_delete BEFORE DELETE ON ledger_chain "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    "CREATE TRIGGER ledger_chain_no_replace BEFORE INSERT ON ledger_chain "
    "WHEN EXISTS (SELECT 1 FROM ledger_chain WHERE entry_id = NEW.entry_id) "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    "DROP TRIGGER IF EXISTS team_point_total_insert_from_ledger",
    "DROP TRIGGER IF EXISTS team_point_total_update_from_ledger",
    "DROP TRIGGER IF EXISTS team_point_total_no_delete",
    "CREATE TRIGGER team_point_total_insert_from_ledger BEFORE INSERT ON team_point_total "
    f"WHEN NOT (NEW.team_id IS {_LAST.format(column='team_id')} "
    f"AND NEW.campaign_key IS {_LAST.format(column='COALESCE(campaign_id, 0)')} "
    f"AND NEW.points IS {_LAST.format(column='amount')}) "
    f"BEGIN SELECT RAISE(ABORT, '{TOTALS_DERIVED}'); END",
    "CREATE TRIGGER team_point_total_update_from_ledger BEFORE UPDATE ON team_point_total "
    "WHEN NOT (NEW.team_id IS OLD.team_id AND NEW.campaign_key IS OLD.campaign_key "
    f"AND NEW.team_id IS {_LAST.format(column='team_id')} "
    f"AND NEW.campaign_key IS {_LAST.format(column='COALESCE(campaign_id, 0)')} "
    f"AND NEW.points - OLD.points IS {_LAST.format(column='amount')}) "
    f"BEGIN SELECT RAISE(ABORT, '{TOTALS_DERIVED}'); END",
    "CREATE TRIGGER team_point_total_no_delete BEFORE DELETE ON team_point_total "
    f"BEGIN SELECT RAISE(ABORT, '{TOTALS_DERIVED}'); END",
]

POSTGRESQL = [
    "DROP TRIGGER IF EXISTS ledger_chain_append_only ON ledger_chain",
    "CREATE TRIGGER ledger_chain_append_only BEFORE UPDATE OR DELETE ON ledger_chain "
    "FOR EACH ROW EXECUTE FUNCTION qk_ledger_append_only()",
    "DROP TRIGGER IF EXISTS ledger_chain_no_truncate ON ledger_chain",
    "CREATE TRIGGER ledger_chain_no_truncate BEFORE TRUNCATE ON ledger_chain "
    "FOR EACH STATEMENT EXECUTE FUNCTION qk_ledger_append_only()",
    # the totals are written with the owner's rights, whoever inserts the ledger row
    "ALTER FUNCTION qk_ledger_running_total() SECURITY DEFINER SET search_path = public, pg_temp",
]


def _chain_existing_rows(database: Database, chain: type[Model]) -> None:
    last_hash: dict[int, str] = {}
    after = 0
    while True:
        rows = database.execute_sql(
            f"SELECT id, {CHAIN_COLUMNS} FROM ledger_entry WHERE id > {database.param} "
            f"ORDER BY id LIMIT {BATCH}",
            (after,),
        ).fetchall()
        if not rows:
            return
        links = []
        for entry_id, *columns in rows:
            key = columns[0] or 0
            digest = chain_hash(last_hash.get(key, CHAIN_START), *columns)
            last_hash[key] = digest
            links.append({"entry": entry_id, "campaign_key": key, "hash": digest})
        chain.insert_many(links).execute()
        after = rows[-1][0]


def apply(database: Database) -> None:
    chain = _frozen_chain(database)
    database.create_tables([chain], safe=True)
    if not database.execute_sql("SELECT 1 FROM ledger_chain LIMIT 1").fetchone():
        _chain_existing_rows(database, chain)
    for statement in POSTGRESQL if is_postgresql(database) else SQLITE:
        database.execute_sql(statement)
