"""Running point totals per team and campaign, kept by a database trigger on the ledger.

The ledger stays the truth (append-only); this table is derived from it inside the
same transaction, so reading a board costs one row per team whatever the ledger's
size. `campaign_key` is the campaign id, or 0 for rows that name no campaign.
"""

from __future__ import annotations

from peewee import BigIntegerField, CompositeKey, ForeignKeyField, IntegerField

from models.base import BaseModel, UTCDateTimeField
from models.people import Team


class TeamPointTotal(BaseModel):
    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    team_id: int
    points = IntegerField(default=0)

    class Meta:
        primary_key = False
        indexes = ((("campaign_key", "team"), True),)


class LedgerTeamHour(BaseModel):
    """Points per campaign (0: none), team and UTC hour, kept by the ledger's trigger
    (schema step 17): the daily points chart reads these, never the ledger."""

    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)  # the key's second column
    team_id: int
    hour = UTCDateTimeField()
    amount = BigIntegerField()

    class Meta:
        table_name = "ledger_team_hour"
        primary_key = CompositeKey("campaign_key", "team", "hour")


class LedgerTeamPerson(BaseModel):
    """Per campaign (0: none), team and person (employee_key 0: none named): the points,
    the on-time awards and the late charges (count and points), kept by the ledger's
    trigger (schema step 17) for the Red-Black List."""

    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)  # the key's second column
    team_id: int
    employee_key = IntegerField()
    amount = BigIntegerField()
    ontime_entries = IntegerField()
    overdue_entries = IntegerField()
    overdue_amount = BigIntegerField()

    class Meta:
        table_name = "ledger_team_person"
        primary_key = CompositeKey("campaign_key", "team", "employee_key")
