"""Production counts per line per day, line evaluations and the Quality Mobile Flag."""

from __future__ import annotations

from peewee import DateField, FloatField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField
from models.campaign import Campaign
from models.people import Employee
from models.plant import ProductionLine


class ProductionCount(BaseModel):
    """Units produced on a line in a day, and how many passed the first time (FPY)."""

    line = ForeignKeyField(ProductionLine, backref="production_counts", on_delete="CASCADE")
    day = DateField()
    produced = IntegerField()
    passed_first = IntegerField()
    entered_by = ForeignKeyField(Employee, null=True, on_delete="SET NULL")
    entered_at = UTCDateTimeField()

    class Meta:
        indexes = ((("line", "day"), True),)


class LineEvaluation(BaseModel):
    """One benchmark-line evaluation; its winner holds the Mobile Flag until the next one."""

    campaign = ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
    evaluated_at = UTCDateTimeField(index=True)
    evaluator = ForeignKeyField(Employee, on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    winner = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
    note = TextField(default="")


class LineScore(BaseModel):
    evaluation = ForeignKeyField(LineEvaluation, backref="scores", on_delete="CASCADE")
    line = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
    score_5s = FloatField()  # 0-100
    score_standard_ops = FloatField()  # 0-100
    fpy_percent = FloatField(null=True)  # 0-100, None when nothing was produced
    total = FloatField()

    class Meta:
        indexes = ((("evaluation", "line"), True),)
