"""Schema step 1: the initial schema (plant, people, campaign, defects, ledger, training, audit).

The tables are written out here as they were at this step (frozen), not taken from
today's model classes: columns added later are added by the later steps, so a
database upgraded from this step and one created fresh end the same.
"""

from __future__ import annotations

from peewee import (
    BigAutoField,
    BooleanField,
    CharField,
    Database,
    DateField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, frozen_base

VERSION = 1
TITLE = "initial schema: plant, people, campaign, defects, ledger, training, audit"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    class Team(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120)
        kind = CharField(max_length=16)
        active = BooleanField()

    class Employee(Frozen):
        badge_code = CharField(max_length=64, unique=True)
        name = CharField(max_length=120)
        department = CharField(max_length=40)
        team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
        role = CharField(max_length=16)
        active = BooleanField()
        pin_hash = CharField(max_length=255, null=True)

    class ProductionLine(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120)
        team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
        active = BooleanField()

    class Station(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120)
        line = ForeignKeyField(ProductionLine, on_delete="CASCADE")
        team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
        active = BooleanField()

    class Supplier(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120)
        active = BooleanField()

    class PlantSetting(Frozen):
        key = CharField(max_length=64, primary_key=True)
        value = TextField()

    class Campaign(Frozen):
        name = CharField(max_length=120)
        starts_on = DateField()
        ends_on = DateField()
        active = BooleanField()
        phases_json = TextField()
        correction_window_hours = IntegerField()
        ontime_points = IntegerField()
        late_points = IntegerField()
        contest_correct_points = IntegerField()
        contest_wrong_points = IntegerField()
        pass_mark_percent = IntegerField()
        assessment_items = IntegerField()
        proposal_points_min = IntegerField()
        proposal_points_max = IntegerField()

    class Defect(Frozen):
        id = UUIDField(primary_key=True)
        campaign = ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
        station = ForeignKeyField(Station, on_delete="RESTRICT")
        line = ForeignKeyField(ProductionLine, on_delete="RESTRICT")
        team = ForeignKeyField(Team, on_delete="RESTRICT")
        reporter = ForeignKeyField(Employee, on_delete="RESTRICT")
        category = CharField(max_length=16)
        severity = CharField(max_length=16)
        source = CharField(max_length=24)
        supplier = ForeignKeyField(Supplier, null=True, on_delete="RESTRICT")
        lot = CharField(max_length=64, null=True)
        description = TextField()
        status = CharField(max_length=16, index=True)
        reported_at = UTCDateTimeField(index=True)
        due_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        fixed_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        fixed_at = UTCDateTimeField(null=True)
        verified_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        verified_at = UTCDateTimeField(null=True)
        closed_at = UTCDateTimeField(null=True)
        root_cause_factor = CharField(max_length=16, null=True)
        root_cause = TextField(null=True)
        corrective_action = TextField(null=True)
        typical = BooleanField()
        terminal = CharField(max_length=64, null=True)

    class DefectEvent(Frozen):
        defect = ForeignKeyField(Defect, on_delete="CASCADE")
        actor = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        at = UTCDateTimeField(index=True)
        from_status = CharField(max_length=16, null=True)
        to_status = CharField(max_length=16)
        note = TextField()
        terminal = CharField(max_length=64, null=True)

    class LedgerEntry(Frozen):
        id = BigAutoField()
        campaign = ForeignKeyField(Campaign, null=True, on_delete="RESTRICT")
        team = ForeignKeyField(Team, on_delete="RESTRICT")
        employee = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        amount = IntegerField()
        reason = TextField()
        cause_type = CharField(max_length=32)
        cause_id = CharField(max_length=64)
        idempotency_key = CharField(max_length=128, unique=True)
        created_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        created_at = UTCDateTimeField(index=True)
        reverses = ForeignKeyField("self", null=True, on_delete="RESTRICT")

        class Meta:
            indexes = [(("campaign", "team"), False)]

    class Question(Frozen):
        key = CharField(max_length=64, unique=True)
        topic = CharField(max_length=64)
        kind = CharField(max_length=16)
        text = TextField()
        explanation = TextField()
        difficulty = IntegerField()
        active = BooleanField()

    class Choice(Frozen):
        question = ForeignKeyField(Question, on_delete="CASCADE")
        position = IntegerField()
        text = TextField()
        correct = BooleanField()

        class Meta:
            indexes = [(("question", "position"), True)]

    class QuizAnswer(Frozen):
        id = UUIDField(primary_key=True)
        employee = ForeignKeyField(Employee, on_delete="RESTRICT")
        question = ForeignKeyField(Question, on_delete="RESTRICT")
        choice = ForeignKeyField(Choice, on_delete="RESTRICT")
        correct = BooleanField()
        context = CharField(max_length=16)
        answered_at = UTCDateTimeField(index=True)
        terminal = CharField(max_length=64, null=True)

    class AuditEntry(Frozen):
        at = UTCDateTimeField(index=True)
        actor = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        action = CharField(max_length=64)
        target = CharField(max_length=128)
        allowed = BooleanField()
        detail = TextField()
        terminal = CharField(max_length=64, null=True)

    return bound(
        database,
        [
            Team,
            Employee,
            ProductionLine,
            Station,
            Supplier,
            PlantSetting,
            Campaign,
            Defect,
            DefectEvent,
            LedgerEntry,
            Question,
            Choice,
            QuizAnswer,
            AuditEntry,
        ],
    )


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
