"""Knowledge contests (4-person teams, items from the question bank) and skill competitions.

A contest team is a `Team` row with kind "contest"; its members are listed here
(an employee keeps their line team). The points of every answer are ledger rows
(cause_type "contest", cause_id = the contest id), never columns of these tables.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from models.base import BaseModel, UTCDateTimeField
from models.campaign import Campaign
from models.people import Employee, Team
from models.training import Choice, Question

CONTEST_STATUSES = ("running", "finished")


class ContestTeamMember(BaseModel):
    id = AutoField()
    team = ForeignKeyField(Team, backref="contest_members", on_delete="CASCADE")
    team_id: int
    employee = ForeignKeyField(Employee, backref="contest_teams", on_delete="RESTRICT")
    employee_id: int
    position = IntegerField()

    class Meta:
        indexes = ((("team", "employee"), True), (("team", "position"), True))


class Contest(BaseModel):
    id = AutoField()
    name = CharField(max_length=120)
    campaign = ForeignKeyField(Campaign, backref="contests", null=True, on_delete="RESTRICT")
    campaign_id: int | None
    status = CharField(max_length=16, default="running", index=True)
    correct_points = IntegerField()
    wrong_points = IntegerField()
    host = ForeignKeyField(Employee, backref="contests_hosted", on_delete="RESTRICT")
    host_id: int
    created_at = UTCDateTimeField(index=True)
    finished_at = UTCDateTimeField(null=True)
    finished_by = ForeignKeyField(
        Employee, backref="contests_finished", null=True, on_delete="RESTRICT"
    )
    finished_by_id: int | None


class ContestEntry(BaseModel):
    """A registered team taking part in a contest."""

    id = AutoField()
    contest = ForeignKeyField(Contest, backref="entries", on_delete="CASCADE")
    contest_id: int
    team = ForeignKeyField(Team, backref="contest_entries", on_delete="RESTRICT")
    team_id: int
    position = IntegerField()

    class Meta:
        indexes = ((("contest", "team"), True), (("contest", "position"), True))


class ContestItem(BaseModel):
    """An item drawn from the question bank for a contest (never twice in one contest)."""

    id = AutoField()
    contest = ForeignKeyField(Contest, backref="items", on_delete="CASCADE")
    contest_id: int
    question = ForeignKeyField(Question, backref="contest_items", on_delete="RESTRICT")
    question_id: int
    number = IntegerField()
    drawn_at = UTCDateTimeField()
    drawn_by = ForeignKeyField(Employee, backref="contest_items_drawn", on_delete="RESTRICT")
    drawn_by_id: int

    class Meta:
        indexes = ((("contest", "question"), True), (("contest", "number"), True))


class ContestAnswer(BaseModel):
    """A team's confirmed answer to an item (one per team and item)."""

    id = AutoField()
    item = ForeignKeyField(ContestItem, backref="answers", on_delete="CASCADE")
    item_id: int
    team = ForeignKeyField(Team, backref="contest_answers", on_delete="RESTRICT")
    team_id: int
    choice = ForeignKeyField(Choice, backref="contest_answers", on_delete="RESTRICT")
    choice_id: int
    correct = BooleanField()
    ledger_key = CharField(max_length=128)
    confirmed_by = ForeignKeyField(Employee, backref="contest_confirmed", on_delete="RESTRICT")
    confirmed_by_id: int
    answered_at = UTCDateTimeField()
    terminal = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("item", "team"), True),)


class SkillEvent(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    description = TextField(default="")
    position = IntegerField(default=0)
    active = BooleanField(default=True)


class SkillCriterion(BaseModel):
    id = AutoField()
    event = ForeignKeyField(SkillEvent, backref="criteria", on_delete="CASCADE")
    event_id: int
    code = CharField(max_length=32)
    name = CharField(max_length=120)
    min_score = IntegerField(default=0)
    max_score = IntegerField(default=10)
    position = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("event", "code"), True),)


class SkillParticipant(BaseModel):
    id = AutoField()
    event = ForeignKeyField(SkillEvent, backref="participants", on_delete="CASCADE")
    event_id: int
    employee = ForeignKeyField(Employee, backref="skill_entries", on_delete="RESTRICT")
    employee_id: int
    registered_at = UTCDateTimeField()
    registered_by = ForeignKeyField(
        Employee, backref="skill_registrations", null=True, on_delete="RESTRICT"
    )
    registered_by_id: int | None

    class Meta:
        indexes = ((("event", "employee"), True),)


class SkillScore(BaseModel):
    """One judge's score for one criterion of one participant (re-entering replaces it)."""

    id = AutoField()
    participant = ForeignKeyField(SkillParticipant, backref="scores", on_delete="CASCADE")
    participant_id: int
    criterion = ForeignKeyField(SkillCriterion, backref="scores", on_delete="RESTRICT")
    criterion_id: int
    judge = ForeignKeyField(Employee, backref="skill_scores_given", on_delete="RESTRICT")
    judge_id: int
    score = IntegerField()
    entered_at = UTCDateTimeField()
    terminal = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("participant", "criterion", "judge"), True),)


CONTEST_TABLES = [
    ContestTeamMember,
    Contest,
    ContestEntry,
    ContestItem,
    ContestAnswer,
    SkillEvent,
    SkillCriterion,
    SkillParticipant,
    SkillScore,
]
