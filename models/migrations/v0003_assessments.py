"""Schema step 3: training assessments (attempts and the items drawn for each)."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    Database,
    ForeignKeyField,
    IntegerField,
    Model,
    UUIDField,
)

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 3
TITLE = "training assessments: attempts and their drawn items"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    Employee = existing(Frozen, "employee")

    Campaign = existing(Frozen, "campaign")

    Question = existing(Frozen, "question")

    QuizAnswer = existing(Frozen, "quiz_answer", uuid_key=True)

    class Assessment(Frozen):
        id = UUIDField(primary_key=True)
        employee = ForeignKeyField(Employee, on_delete="RESTRICT")
        campaign = ForeignKeyField(Campaign, null=True, on_delete="RESTRICT")
        item_count = IntegerField()
        pass_mark_percent = IntegerField()
        started_at = UTCDateTimeField(index=True)
        finished_at = UTCDateTimeField(null=True, index=True)
        score = IntegerField(null=True)
        passed = BooleanField(null=True)
        terminal = CharField(max_length=64, null=True)

    # one unfinished attempt per person, however many kiosks start one at once
    Assessment.add_index(
        Assessment.index(
            Assessment.employee,
            unique=True,
            where=Assessment.finished_at.is_null(),
            name="assessment_one_open_per_employee",
        )
    )

    class AssessmentItem(Frozen):
        assessment = ForeignKeyField(Assessment, on_delete="CASCADE")
        position = IntegerField()
        question = ForeignKeyField(Question, on_delete="RESTRICT")
        answer = ForeignKeyField(QuizAnswer, null=True, unique=True, on_delete="RESTRICT")

        class Meta:
            indexes = [(("assessment", "position"), True), (("assessment", "question"), True)]

    return bound(database, [Assessment, AssessmentItem])


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
