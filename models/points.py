"""The append-only point ledger. Totals are sums; corrections are reversing rows."""

from __future__ import annotations

from peewee import BigAutoField, CharField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField
from models.campaign import Campaign
from models.people import Employee, Team


class LedgerEntry(BaseModel):
    id = BigAutoField()
    campaign = ForeignKeyField(Campaign, backref="ledger", null=True, on_delete="RESTRICT")
    team = ForeignKeyField(Team, backref="ledger", on_delete="RESTRICT")
    employee = ForeignKeyField(Employee, backref="ledger", null=True, on_delete="RESTRICT")
    amount = IntegerField()
    reason = TextField()
    cause_type = CharField(max_length=32)
    cause_id = CharField(max_length=64)
    idempotency_key = CharField(max_length=128, unique=True)
    created_by = ForeignKeyField(
        Employee, backref="ledger_entered", null=True, on_delete="RESTRICT"
    )
    created_at = UTCDateTimeField(index=True)
    reverses = ForeignKeyField("self", backref="reversals", null=True, on_delete="RESTRICT")

    class Meta:
        indexes = ((("campaign", "team"), False),)
