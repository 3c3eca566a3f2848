"""Schema step 7: production counts (first-pass yield), line evaluations, Mobile Flag weights."""

from __future__ import annotations

from peewee import Database, DateField, FloatField, ForeignKeyField, IntegerField, Model, TextField

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 7
TITLE = "production counts, line evaluations and the Quality Mobile Flag"

NEW_CAMPAIGN_COLUMNS = {
    "weight_5s": 40,
    "weight_standard_ops": 30,
    "weight_fpy": 30,
    "critical_issue_target": 3,
}


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    ProductionLine = existing(Frozen, "production_line")

    Employee = existing(Frozen, "employee")

    Campaign = existing(Frozen, "campaign")

    class ProductionCount(Frozen):
        line = ForeignKeyField(ProductionLine, on_delete="CASCADE")
        day = DateField()
        produced = IntegerField()
        passed_first = IntegerField()
        entered_by = ForeignKeyField(Employee, null=True, on_delete="SET NULL")
        entered_at = UTCDateTimeField()

        class Meta:
            indexes = [(("line", "day"), True)]

    class LineEvaluation(Frozen):
        campaign = ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
        evaluated_at = UTCDateTimeField(index=True)
        evaluator = ForeignKeyField(Employee, on_delete="RESTRICT")
        period_start = DateField()
        period_end = DateField()
        winner = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
        note = TextField()

    class LineScore(Frozen):
        evaluation = ForeignKeyField(LineEvaluation, on_delete="CASCADE")
        line = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
        score_5s = FloatField()
        score_standard_ops = FloatField()
        fpy_percent = FloatField(null=True)
        total = FloatField()

        class Meta:
            indexes = [(("evaluation", "line"), True)]

    return bound(database, [ProductionCount, LineEvaluation, LineScore])


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in present:
            # plain SQL: both engines add a NOT NULL column with a default in place
            # (no table rebuild, so rows that reference campaign are untouched)
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    database.create_tables(_frozen_tables(database), safe=True)
