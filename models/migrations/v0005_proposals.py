"""Schema step 5: improvement proposals."""

from __future__ import annotations

from peewee import CharField, Database, ForeignKeyField, IntegerField, Model, TextField, UUIDField

from models.base import UTCDateTimeField

VERSION = 5
TITLE = "improvement proposals"


def _frozen_tables(database: Database) -> list[type[Model]]:
    """The tables this step creates, as they were at this step."""

    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    class Campaign(Frozen):  # only referenced; made by an earlier step
        class Meta:
            table_name = "campaign"

    class Employee(Frozen):  # only referenced; made by an earlier step
        class Meta:
            table_name = "employee"

    class Team(Frozen):  # only referenced; made by an earlier step
        class Meta:
            table_name = "team"

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

    tables = [Proposal]
    for table in tables:
        table.bind(database)
    return tables


def apply(database: Database) -> None:
    database.create_tables(_frozen_tables(database), safe=True)
