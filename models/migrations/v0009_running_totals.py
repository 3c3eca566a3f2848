"""Schema step 9: running team totals, kept by a trigger on every ledger insert.

Boards read one row per team instead of summing the whole ledger: a team board
costs the same at a million ledger rows as at ten thousand. The totals are
rebuilt from the ledger when this step runs, so they start exact.
"""

from __future__ import annotations

from peewee import Database, ForeignKeyField, IntegerField, Model

from models.db import is_postgresql
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 9
TITLE = "running team point totals, kept by a trigger on the ledger"

UPSERT = (
    "INSERT INTO team_point_total (campaign_key, team_id, points) "
    "VALUES (COALESCE(NEW.campaign_id, 0), NEW.team_id, NEW.amount) "
    "ON CONFLICT (campaign_key, team_id) "
    "DO UPDATE SET points = team_point_total.points + excluded.points"
)

SQLITE = [
    "DROP TRIGGER IF EXISTS ledger_entry_running_total",
    f"CREATE TRIGGER ledger_entry_running_total AFTER INSERT ON ledger_entry BEGIN {UPSERT}; END",
]

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION qk_ledger_running_total() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN {UPSERT}; RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS ledger_entry_running_total ON ledger_entry",
    "CREATE TRIGGER ledger_entry_running_total AFTER INSERT ON ledger_entry "
    "FOR EACH ROW EXECUTE FUNCTION qk_ledger_running_total()",
]

REBUILD = [
    "DELETE FROM team_point_total",
    "INSERT INTO team_point_total (campaign_key, team_id, points) "
    "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) FROM ledger_entry "
    "GROUP BY COALESCE(campaign_id, 0), team_id",
]


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    Team = existing(Frozen, "team")

    class TeamPointTotal(Frozen):
        campaign_key = IntegerField()
        team = ForeignKeyField(Team, on_delete="CASCADE")
        points = IntegerField()

        class Meta:
            indexes = [(("campaign_key", "team"), True)]
            primary_key = False

    return bound(database, [TeamPointTotal])


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
    for statement in (POSTGRESQL if is_postgresql(database) else SQLITE) + REBUILD:
        database.execute_sql(statement)
