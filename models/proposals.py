"""Improvement proposals: any employee submits, a reviewer accepts (with points) or rejects."""

from __future__ import annotations

from peewee import CharField, ForeignKeyField, IntegerField, TextField, UUIDField

from models.base import BaseModel, UTCDateTimeField, new_uuid
from models.campaign import Campaign
from models.people import Employee, Team

PROPOSAL_STATUSES = ("submitted", "accepted", "rejected")


class Proposal(BaseModel):
    id = UUIDField(primary_key=True, default=new_uuid)
    campaign = ForeignKeyField(Campaign, backref="proposals", null=True, on_delete="SET NULL")
    campaign_id: int | None
    submitter = ForeignKeyField(Employee, backref="proposals", on_delete="RESTRICT")
    submitter_id: int
    team = ForeignKeyField(Team, backref="proposals", null=True, on_delete="SET NULL")
    team_id: int | None
    title = CharField(max_length=120)
    problem = TextField()
    proposal = TextField()
    benefit = TextField()
    status = CharField(max_length=16, default="submitted", index=True)
    submitted_at = UTCDateTimeField(index=True)
    reviewed_by = ForeignKeyField(
        Employee, backref="reviewed_proposals", null=True, on_delete="RESTRICT"
    )
    reviewed_by_id: int | None
    reviewed_at = UTCDateTimeField(null=True)
    review_comment = TextField(default="")
    points = IntegerField(null=True)  # set on acceptance; the ledger row holds the award
    terminal = CharField(max_length=64, null=True)
