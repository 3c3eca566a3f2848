"""Schema step 2: defect progress updates, weekly inspection checklists and results.

The tables are written out here as they were at this step (frozen), not taken from
today's model classes: columns added later are added by the later steps, so a
database upgraded from this step and one created fresh end the same.
"""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    Database,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 2
TITLE = "defect progress updates, weekly inspection checklists and results"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    Defect = existing(Frozen, "defect", uuid_key=True)

    Employee = existing(Frozen, "employee")

    ProductionLine = existing(Frozen, "production_line")

    class DefectProgress(Frozen):
        defect = ForeignKeyField(Defect, on_delete="CASCADE")
        author = ForeignKeyField(Employee, on_delete="RESTRICT")
        at = UTCDateTimeField(index=True)
        text = TextField()
        terminal = CharField(max_length=64, null=True)

    class ChecklistItem(Frozen):
        code = CharField(max_length=32, unique=True)
        area = CharField(max_length=32)
        text = TextField()
        category = CharField(max_length=16)
        position = IntegerField()
        active = BooleanField()

    class Inspection(Frozen):
        id = UUIDField(primary_key=True)
        line = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
        inspector = ForeignKeyField(Employee, on_delete="RESTRICT")
        week = CharField(max_length=8, index=True)
        started_at = UTCDateTimeField()
        completed_at = UTCDateTimeField(null=True)

    class InspectionResult(Frozen):
        inspection = ForeignKeyField(Inspection, on_delete="CASCADE")
        item = ForeignKeyField(ChecklistItem, on_delete="RESTRICT")
        outcome = CharField(max_length=8)
        note = TextField()
        defect = ForeignKeyField(Defect, null=True, on_delete="SET NULL")
        recorded_at = UTCDateTimeField()

        class Meta:
            indexes = [(("inspection", "item"), True)]

    return bound(database, [DefectProgress, ChecklistItem, Inspection, InspectionResult])


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
