"""Schema step 6: imported on-site anomaly history and the high-risk supplier threshold."""

from __future__ import annotations

from peewee import CharField, Database, IntegerField, Model, TextField

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, frozen_base

VERSION = 6
TITLE = "on-site anomaly history (per month and 5M1E category), high-risk supplier threshold"

NEW_CAMPAIGN_COLUMNS = {"supplier_risk_share_percent": 25}


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    class AnomalyHistory(Frozen):
        month = CharField(max_length=7)
        category = CharField(max_length=16)
        count = IntegerField()
        note = TextField()
        source = CharField(max_length=200)
        imported_at = UTCDateTimeField()

        class Meta:
            indexes = [(("month", "category"), True)]

    return bound(database, [AnomalyHistory])


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in present:
            # plain SQL: both engines add a NOT NULL column with a default in place
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    database.create_tables(_frozen_tables(database), safe=True)
