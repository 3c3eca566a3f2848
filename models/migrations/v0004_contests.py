"""Schema step 4: knowledge contests (teams, items, answers) and skill competitions."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    Database,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 4
TITLE = "knowledge contests and skill competitions"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    Team = existing(Frozen, "team")

    Employee = existing(Frozen, "employee")

    Campaign = existing(Frozen, "campaign")

    Question = existing(Frozen, "question")

    Choice = existing(Frozen, "choice")

    class ContestTeamMember(Frozen):
        team = ForeignKeyField(Team, on_delete="CASCADE")
        employee = ForeignKeyField(Employee, on_delete="RESTRICT")
        position = IntegerField()

        class Meta:
            indexes = [(("team", "employee"), True), (("team", "position"), True)]

    class Contest(Frozen):
        name = CharField(max_length=120)
        campaign = ForeignKeyField(Campaign, null=True, on_delete="RESTRICT")
        status = CharField(max_length=16, index=True)
        correct_points = IntegerField()
        wrong_points = IntegerField()
        host = ForeignKeyField(Employee, on_delete="RESTRICT")
        created_at = UTCDateTimeField(index=True)
        finished_at = UTCDateTimeField(null=True)
        finished_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")

    class ContestEntry(Frozen):
        contest = ForeignKeyField(Contest, on_delete="CASCADE")
        team = ForeignKeyField(Team, on_delete="RESTRICT")
        position = IntegerField()

        class Meta:
            indexes = [(("contest", "team"), True), (("contest", "position"), True)]

    class ContestItem(Frozen):
        contest = ForeignKeyField(Contest, on_delete="CASCADE")
        question = ForeignKeyField(Question, on_delete="RESTRICT")
        number = IntegerField()
        drawn_at = UTCDateTimeField()
        drawn_by = ForeignKeyField(Employee, on_delete="RESTRICT")

        class Meta:
            indexes = [(("contest", "question"), True), (("contest", "number"), True)]

    class ContestAnswer(Frozen):
        item = ForeignKeyField(ContestItem, on_delete="CASCADE")
        team = ForeignKeyField(Team, on_delete="RESTRICT")
        choice = ForeignKeyField(Choice, on_delete="RESTRICT")
        correct = BooleanField()
        ledger_key = CharField(max_length=128)
        confirmed_by = ForeignKeyField(Employee, on_delete="RESTRICT")
        answered_at = UTCDateTimeField()
        terminal = CharField(max_length=64, null=True)

        class Meta:
            indexes = [(("item", "team"), True)]

    class SkillEvent(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120)
        description = TextField()
        position = IntegerField()
        active = BooleanField()

    class SkillCriterion(Frozen):
        event = ForeignKeyField(SkillEvent, on_delete="CASCADE")
        code = CharField(max_length=32)
        name = CharField(max_length=120)
        min_score = IntegerField()
        max_score = IntegerField()
        position = IntegerField()
        active = BooleanField()

        class Meta:
            indexes = [(("event", "code"), True)]

    class SkillParticipant(Frozen):
        event = ForeignKeyField(SkillEvent, on_delete="CASCADE")
        employee = ForeignKeyField(Employee, on_delete="RESTRICT")
        registered_at = UTCDateTimeField()
        registered_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")

        class Meta:
            indexes = [(("event", "employee"), True)]

    class SkillScore(Frozen):
        participant = ForeignKeyField(SkillParticipant, on_delete="CASCADE")
        criterion = ForeignKeyField(SkillCriterion, on_delete="RESTRICT")
        judge = ForeignKeyField(Employee, on_delete="RESTRICT")
        score = IntegerField()
        entered_at = UTCDateTimeField()
        terminal = CharField(max_length=64, null=True)

        class Meta:
            indexes = [(("participant", "criterion", "judge"), True)]

    return bound(
        database,
        [
            ContestTeamMember,
            Contest,
            ContestEntry,
            ContestItem,
            ContestAnswer,
            SkillEvent,
            SkillCriterion,
            SkillParticipant,
            SkillScore,
        ],
    )


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
