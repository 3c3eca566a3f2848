"""The deadline sweep: every defect whose correction window passed unverified loses points once.

Any number of sweepers on any number of kiosks may run at the same time, and race
verifications: each candidate is locked and read again, judged by the database's clock
on PostgreSQL, and its window's one outcome is written only if none exists
(lifecycle.write_deadline_outcome), so each defect is charged at most once and never
both charged and awarded.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import Cast, ColumnBase, Value, fn

from kiosk.caller import Caller
from kiosk.clock import Clock
from kiosk.services.defects.lifecycle import deadline_now, lock_defect, write_deadline_outcome
from kiosk.services.platform import uow
from models import Campaign, Defect, LedgerEntry, db


@dataclass(frozen=True)
class SweepResult:
    overdue: int  # defects past their window without an on-time verification
    charged_now: int  # deductions this sweep wrote (others had been written before)


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))  # a uuid's text, in hex digits


def _overdue_key() -> ColumnBase:
    """`overdue:<id>` of each defect, in SQL: the key its late points are written under
    (lifecycle's `_outcome_keys`). PostgreSQL keeps the id as a uuid, whose text is
    Python's; SQLite keeps its 32 hex digits, put in Python's 8-4-4-4-12 groups here."""
    if db.is_postgresql():
        text: ColumnBase = Cast(Defect.id, "text")
    else:
        groups = [fn.SUBSTR(Defect.id, start, length) for start, length in _UUID_GROUPS]
        text = groups[0]
        for group in groups[1:]:
            text = text.concat("-").concat(group)
    return Value("overdue:").concat(text)


@uow.read
def _candidates(clock: Clock) -> list[str]:
    """The defects past their window, not verified in it, and not charged yet: found in SQL
    (each charge is one probe of the ledger's unique key), not by reading every late
    defect and every charge of the plant's history."""
    now = clock.now()
    charged = LedgerEntry.select(LedgerEntry.id).where(
        LedgerEntry.idempotency_key == _overdue_key()
    )
    late = Defect.select(Defect.id).where(
        (Defect.due_at < now)
        & (Defect.verified_at.is_null() | (Defect.verified_at > Defect.due_at))
        & ~fn.EXISTS(charged)
    )
    return sorted(str(row.id) for row in late)


@uow.write(idempotent=True)  # each -2 has its key: charging twice writes nothing twice
def _charge(clock: Clock, defect_id: str) -> bool:
    """Charge one overdue defect, in its own transaction; True when written now."""
    defect = lock_defect(defect_id)  # read again under the row lock: a verification
    now = deadline_now(clock)  # may have landed since the candidates were read
    verified_on_time = defect.verified_at is not None and defect.verified_at <= defect.due_at
    if verified_on_time or now <= defect.due_at:
        return False
    campaign = Campaign.get_or_none(Campaign.id == defect.campaign_id)
    return write_deadline_outcome(defect, campaign, now, None, on_time=False)


def sweep(caller: Caller) -> SweepResult:
    """Charge every overdue defect that has not been charged yet: each in its own unit, so
    a sweep over many defects never holds them all locked at once."""
    pending = _candidates(caller.clock)
    charged_now = sum(_charge(caller.clock, defect_id) for defect_id in pending)
    return SweepResult(overdue=len(pending), charged_now=charged_now)
