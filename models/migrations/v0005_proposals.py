"""Schema step 5: improvement proposals."""

from __future__ import annotations

from peewee import CharField, Database, ForeignKeyField, IntegerField, Model, TextField, UUIDField

from models.base import UTCDateTimeField
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 5
TITLE = "improvement proposals"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    Frozen = frozen_base()

    Campaign = existing(Frozen, "campaign")

    Employee = existing(Frozen, "employee")

    Team = existing(Frozen, "team")

    class Proposal(Frozen):
        id = UUIDField(primary_key=True)
        campaign = ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
        submitter = ForeignKeyField(Employee, on_delete="RESTRICT")
        team = ForeignKeyField(Team, null=True, on_delete="SET NULL")
        title = CharField(max_length=120)
        problem = TextField()
        proposal = TextField()
        benefit = TextField()
        status = CharField(max_length=16, index=True)
        submitted_at = UTCDateTimeField(index=True)
        reviewed_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        reviewed_at = UTCDateTimeField(null=True)
        review_comment = TextField()
        points = IntegerField(null=True)
        terminal = CharField(max_length=64, null=True)

    return bound(database, [Proposal])


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
