"""Running point totals per team and campaign, kept by a database trigger on the ledger.

The ledger stays the truth (append-only); this table is derived from it inside the
same transaction, so reading a board costs one row per team whatever the ledger's
size. `campaign_key` is the campaign id, or 0 for rows that name no campaign.
"""

from __future__ import annotations

from peewee import ForeignKeyField, IntegerField

from models.base import BaseModel
from models.people import Team


class TeamPointTotal(BaseModel):
    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    points = IntegerField(default=0)

    class Meta:
        primary_key = False
        indexes = ((("campaign_key", "team"), True),)
