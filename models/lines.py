"""Production counts per line per day, line evaluations and the Quality Mobile Flag."""

from __future__ import annotations

from peewee import AutoField, DateField, FloatField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField
from models.campaign import Campaign
from models.people import Employee
from models.plant import ProductionLine


class ProductionCount(BaseModel):
    """Units produced on a line in a day, and how many passed the first time (FPY)."""

    id = AutoField()
    line = ForeignKeyField(ProductionLine, backref="production_counts", on_delete="CASCADE")
    line_id: int
    day = DateField()
    produced = IntegerField()
    passed_first = IntegerField()
    entered_by = ForeignKeyField(Employee, null=True, on_delete="SET NULL")
    entered_by_id: int | None
    entered_at = UTCDateTimeField()

    class Meta:
        indexes = ((("line", "day"), True),)


class LineEvaluation(BaseModel):
    """One benchmark-line evaluation; its winner holds the Mobile Flag until the next one."""

    id = AutoField()
    campaign = ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
    campaign_id: int | None
    evaluated_at = UTCDateTimeField(index=True)
    evaluator = ForeignKeyField(Employee, on_delete="RESTRICT")
    evaluator_id: int
    period_start = DateField()
    period_end = DateField()
    winner = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
    winner_id: int
    note = TextField(default="")


class LineScore(BaseModel):
    id = AutoField()
    evaluation = ForeignKeyField(LineEvaluation, backref="scores", on_delete="CASCADE")
    evaluation_id: int
    line = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
    line_id: int
    score_5s = FloatField()  # 0-100
    score_standard_ops = FloatField()  # 0-100
    fpy_percent = FloatField(null=True)  # 0-100, None when nothing was produced
    total = FloatField()

    class Meta:
        indexes = ((("evaluation", "line"), True),)
