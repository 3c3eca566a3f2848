"""Training assessments: an attempt, the items drawn for it, and the answer given to each.

An answer itself is a `QuizAnswer` row with context "assessment"; the item points
at it (once: the column is unique), so an item is answered exactly once.
"""

from __future__ import annotations

from uuid import UUID

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, IntegerField, UUIDField

from models.base import BaseModel, UTCDateTimeField, new_uuid
from models.campaign import Campaign
from models.people import Employee
from models.training import Question, QuizAnswer

ANSWER_CONTEXT = "assessment"


class Assessment(BaseModel):
    id = UUIDField(primary_key=True, default=new_uuid)
    employee = ForeignKeyField(Employee, backref="assessments", on_delete="RESTRICT")
    employee_id: int
    campaign = ForeignKeyField(Campaign, backref="assessments", null=True, on_delete="RESTRICT")
    campaign_id: int | None
    item_count = IntegerField()
    pass_mark_percent = IntegerField()
    started_at = UTCDateTimeField(index=True)
    finished_at = UTCDateTimeField(null=True, index=True)
    score = IntegerField(null=True)  # items answered right, set when finished
    passed = BooleanField(null=True)  # set when finished
    terminal = CharField(max_length=64, null=True)


# One unfinished attempt per person, however many kiosks start one at once.
Assessment.add_index(
    Assessment.index(
        Assessment.employee,
        unique=True,
        where=Assessment.finished_at.is_null(),
        name="assessment_one_open_per_employee",
    )
)


class AssessmentItem(BaseModel):
    id = AutoField()
    assessment = ForeignKeyField(Assessment, backref="items", on_delete="CASCADE")
    assessment_id: UUID
    position = IntegerField()  # 1..item_count, the order shown
    question = ForeignKeyField(Question, backref="assessment_items", on_delete="RESTRICT")
    question_id: int
    answer = ForeignKeyField(
        QuizAnswer, backref="assessment_item", null=True, unique=True, on_delete="RESTRICT"
    )
    answer_id: UUID | None

    class Meta:
        indexes = (
            (("assessment", "position"), True),
            (("assessment", "question"), True),
        )


ASSESSMENT_TABLES = [Assessment, AssessmentItem]
