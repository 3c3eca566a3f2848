"""The append-only point ledger. Totals are sums; corrections are reversing rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from peewee import BigAutoField, CharField, ForeignKeyField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField
from models.campaign import Campaign
from models.people import Employee, Team


class LedgerEntry(BaseModel):
    id = BigAutoField()
    campaign = ForeignKeyField(Campaign, backref="ledger", null=True, on_delete="RESTRICT")
    campaign_id: int | None
    team = ForeignKeyField(Team, backref="ledger", on_delete="RESTRICT")
    team_id: int
    employee = ForeignKeyField(Employee, backref="ledger", null=True, on_delete="RESTRICT")
    employee_id: int | None
    amount = IntegerField()
    reason = TextField()
    cause_type = CharField(max_length=32)
    cause_id = CharField(max_length=64)
    idempotency_key = CharField(max_length=128, unique=True)
    created_by = ForeignKeyField(
        Employee, backref="ledger_entered", null=True, on_delete="RESTRICT"
    )
    created_by_id: int | None
    created_at = UTCDateTimeField(index=True)
    reverses = ForeignKeyField("self", backref="reversals", null=True, on_delete="RESTRICT")
    reverses_id: int | None

    class Meta:
        indexes = ((("campaign", "team"), False),)


class LedgerChain(BaseModel):
    """The hash of each ledger row, chained to the previous row of its campaign (schema
    step 13): an edit, a deletion or a reordering done behind the application's back
    breaks the chain, and `kiosk ledger verify` names the first row where it breaks.
    `campaign_key` is the campaign id, or 0 for rows that name no campaign."""

    entry = ForeignKeyField(LedgerEntry, primary_key=True, on_delete="RESTRICT")
    entry_id: int
    campaign_key = IntegerField()
    hash = CharField(max_length=64)

    class Meta:
        indexes = ((("campaign_key", "entry"), True),)


CHAIN_START = "0" * 64  # the "previous hash" of a campaign's first row


def _naive_utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands raw SQL its text
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def chain_hash(
    previous: str,
    campaign_id: int | None,
    team_id: int,
    employee_id: int | None,
    amount: int,
    reason: str,
    cause_type: str,
    cause_id: str,
    idempotency_key: str,
    created_by_id: int | None,
    created_at: datetime | str,
    reverses_id: int | None,
) -> str:
    """SHA-256 over the previous row's hash and every column of this row (but its id, so
    the chain's order is the ledger's order); the same on both engines."""
    fields = (
        previous,
        "" if campaign_id is None else str(campaign_id),
        str(team_id),
        "" if employee_id is None else str(employee_id),
        str(amount),
        reason,
        cause_type,
        cause_id,
        idempotency_key,
        "" if created_by_id is None else str(created_by_id),
        _naive_utc(created_at).isoformat(timespec="microseconds"),
        "" if reverses_id is None else str(reverses_id),
    )
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


# the ledger's columns in chain_hash's order, for raw SQL readers (migration, verify)
CHAIN_COLUMNS = (
    "campaign_id, team_id, employee_id, amount, reason, cause_type, cause_id, "
    "idempotency_key, created_by_id, created_at, reverses_id"
)
