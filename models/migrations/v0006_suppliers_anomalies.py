"""Schema step 6: imported on-site anomaly history and the high-risk supplier threshold."""

from __future__ import annotations

from peewee import Database

from models.anomalies import AnomalyHistory

VERSION = 6
TITLE = "on-site anomaly history (per month and 5M1E category), high-risk supplier threshold"

NEW_CAMPAIGN_COLUMNS = {"supplier_risk_share_percent": 25}


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in present:
            # plain SQL: both engines add a NOT NULL column with a default in place
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    database.create_tables([AnomalyHistory], safe=True)
