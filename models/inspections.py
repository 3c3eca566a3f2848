"""Weekly line inspections: checklist items (data), inspections and their results."""

from __future__ import annotations

from uuid import UUID

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
    UUIDField,
)

from models.base import BaseModel, UTCDateTimeField, new_uuid
from models.defects import Defect
from models.people import Employee
from models.plant import ProductionLine

CHECKLIST_AREAS = ("5S/7S", "standardized operation")
OUTCOMES = ("pass", "fail", "n/a")


class ChecklistItem(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    area = CharField(max_length=32)
    text = TextField()
    category = CharField(max_length=16, default="method")  # 5M1E default for a failure
    position = IntegerField(default=0)
    active = BooleanField(default=True)


class Inspection(BaseModel):
    id = UUIDField(primary_key=True, default=new_uuid)
    line = ForeignKeyField(ProductionLine, backref="inspections", on_delete="RESTRICT")
    line_id: int
    inspector = ForeignKeyField(Employee, backref="inspections", on_delete="RESTRICT")
    inspector_id: int
    week = CharField(max_length=8, index=True)  # ISO week, e.g. "2025-W37"
    started_at = UTCDateTimeField()
    completed_at = UTCDateTimeField(null=True)


class InspectionResult(BaseModel):
    id = AutoField()
    inspection = ForeignKeyField(Inspection, backref="results", on_delete="CASCADE")
    inspection_id: UUID
    item = ForeignKeyField(ChecklistItem, backref="results", on_delete="RESTRICT")
    item_id: int
    outcome = CharField(max_length=8)
    note = TextField(default="")
    defect = ForeignKeyField(Defect, backref="inspection_results", null=True, on_delete="SET NULL")
    defect_id: UUID | None
    recorded_at = UTCDateTimeField()

    class Meta:
        indexes = ((("inspection", "item"), True),)
