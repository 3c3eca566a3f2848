"""The point ledger: every award or deduction is one append-only row with an idempotency key.

Totals are sums over the ledger. A correction is a new reversing row, never an edit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, NoReturn

from peewee import JOIN, fn

from kiosk.caller import Caller
from kiosk.clock import Clock, SystemClock
from kiosk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action, record_refusal
from kiosk.services.platform.text import clean_text
from models import Employee, LedgerChain, LedgerEntry, Team, db
from models.points import CHAIN_START, chain_hash
from models.totals import TeamPointTotal


@dataclass(frozen=True)
class Award:
    """What the caller asks the ledger to write."""

    team_id: int
    amount: int
    reason: str
    cause_type: str
    cause_id: str
    idempotency_key: str
    employee_id: int | None = None
    created_by_id: int | None = None
    campaign_id: int | None = None
    reverses_id: int | None = None  # set on a row that cancels an earlier one


@dataclass(frozen=True)
class AwardResult:
    entry_id: int
    written: bool  # False when the key had already been used: nothing new was written


CHAIN_LOCK = 0x514B_0002  # "QK" + 2: one ledger writer per campaign at a time (PostgreSQL)


def write_award(award: Award, now: datetime) -> AwardResult:
    """Insert the ledger row unless its idempotency key exists, and chain its hash to the
    previous row of its campaign (models.points.chain_hash). Call inside a transaction.

    The chain needs one writer per campaign at a time: on PostgreSQL an advisory lock held
    to the end of the transaction (its row ids then grow in chain order), taken by the
    database function of schema step 23, which writes the row and its link in the same
    statement (one round trip with the lock held, not five). SQLite has one writer anyway;
    it refuses a conflicting insert outright (no REPLACE), so the key is looked up first
    there.
    """
    if db.is_postgresql():
        return _append(award, now)
    existing = LedgerEntry.get_or_none(LedgerEntry.idempotency_key == award.idempotency_key)
    if existing is not None:
        return AwardResult(entry_id=existing.id, written=False)
    inserted = (
        LedgerEntry.insert(
            campaign=award.campaign_id,
            team=award.team_id,
            employee=award.employee_id,
            amount=award.amount,
            reason=award.reason,
            cause_type=award.cause_type,
            cause_id=award.cause_id,
            idempotency_key=award.idempotency_key,
            created_by=award.created_by_id,
            created_at=now,
            reverses=award.reverses_id,
        )
        .on_conflict_ignore()
        .returning(LedgerEntry.id)
        .execute()
    )
    new_rows = list(inserted)
    if not new_rows:
        _other_unique_rule()
    entry_id = new_rows[0].id
    _chain(entry_id, award.campaign_id or 0, award, now)
    return AwardResult(entry_id=entry_id, written=True)


# schema step 23's function: the key looked up, the chain lock, the row, its link
_APPEND = (
    "SELECT entry_id, written FROM qk_ledger_append(%s::integer, %s::integer, %s::integer, "
    "%s::integer, %s::text, %s::text, %s::text, %s::text, %s::integer, %s::timestamp, "
    "%s::bigint)"
)


def _append(award: Award, now: datetime) -> AwardResult:
    db.note_write("ledger_entry")  # written by the function: the boards hear of it
    # naive UTC, as the column keeps it
    rows = db.fetch_all(_APPEND, _columns(award, LedgerEntry.created_at.db_value(now)))
    if not rows:  # the key is not used, yet no row was written
        _other_unique_rule()
    [(entry_id, written)] = rows
    return AwardResult(entry_id=int(entry_id), written=bool(written))


def _other_unique_rule() -> NoReturn:
    """The key was not used, yet the row was not written: another unique rule of the
    ledger said no (schema step 15: one outcome per defect window)."""
    raise Conflict(_("This defect's correction window already has its outcome: nothing added."))


def _chain(entry_id: int, campaign_key: int, award: Award, now: datetime) -> None:
    digest = _award_hash(_last_hash(campaign_key), award, now)
    LedgerChain.insert(entry=entry_id, campaign_key=campaign_key, hash=digest).execute()


BULK_ROWS = 2000  # ledger rows per INSERT statement (11 parameters a row: SQLite's limit)


def write_awards(awards: Iterable[tuple[Award, datetime]]) -> int:
    """Insert many awards (imports, plant-scale seeding, reversals in bulk): a few thousand
    rows per INSERT statement, each row's hash chained in id order as write_award does,
    the team totals kept by the database once per statement (schema step 16; SQLite's
    per-row trigger needs no row versions). A key already used is skipped, as write_award
    would. Call inside a transaction; returns how many rows were written.

    Takes the chain lock of each campaign it writes to and holds it to the end of the
    transaction (PostgreSQL), like write_award.
    """
    locked: set[int] = set()
    last_hash: dict[int, str] = {}
    written = 0
    chunk: list[tuple[Award, datetime]] = []
    for item in awards:
        chunk.append(item)
        if len(chunk) == BULK_ROWS:
            written += _write_chunk(chunk, locked, last_hash)
            chunk = []
    if chunk:
        written += _write_chunk(chunk, locked, last_hash)
    return written


ENTRY_FIELDS = (
    LedgerEntry.campaign,
    LedgerEntry.team,
    LedgerEntry.employee,
    LedgerEntry.amount,
    LedgerEntry.reason,
    LedgerEntry.cause_type,
    LedgerEntry.cause_id,
    LedgerEntry.idempotency_key,
    LedgerEntry.created_by,
    LedgerEntry.created_at,
    LedgerEntry.reverses,
)

CHAIN_FIELDS = (LedgerChain.entry, LedgerChain.campaign_key, LedgerChain.hash)


def _write_chunk(
    chunk: Sequence[tuple[Award, datetime]], locked: set[int], last_hash: dict[int, str]
) -> int:
    for key in sorted({item.campaign_id or 0 for item, _now in chunk} - locked):
        if db.is_postgresql():
            db.database_proxy.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (CHAIN_LOCK, key))
        locked.add(key)
        last_hash[key] = _last_hash(key)
    by_key: dict[str, tuple[Award, datetime]] = {}
    for item, now in chunk:
        by_key.setdefault(item.idempotency_key, (item, now))
    keys = list(by_key)
    marks = ", ".join([db.database_proxy.param] * len(keys))
    used = {
        key
        for (key,) in db.fetch_all(
            f"SELECT idempotency_key FROM ledger_entry WHERE idempotency_key IN ({marks})",
            tuple(keys),
        )
    }
    fresh = [(item, now) for key, (item, now) in by_key.items() if key not in used]
    if not fresh:
        return 0
    inserted = db.insert_rows(
        LedgerEntry,
        ENTRY_FIELDS,
        [_columns(item, now) for item, now in fresh],
        returning=(LedgerEntry.id, LedgerEntry.idempotency_key),
        skip_conflicts=True,  # PostgreSQL: another transaction wrote a key meanwhile
    )
    links = []
    for entry_id, key in sorted(inserted):
        item, now = by_key[key]
        campaign_key = item.campaign_id or 0
        digest = _award_hash(last_hash[campaign_key], item, now)
        last_hash[campaign_key] = digest
        links.append((entry_id, campaign_key, digest))
    db.insert_rows(
        LedgerChain, (LedgerChain.entry, LedgerChain.campaign_key, LedgerChain.hash), links
    )
    return len(links)


def _last_hash(campaign_key: int) -> str:
    previous = (
        LedgerChain.select(LedgerChain.hash)
        .where(LedgerChain.campaign_key == campaign_key)
        .order_by(LedgerChain.entry.desc())
        .limit(1)
        .scalar()
    )
    return previous or CHAIN_START


def _columns(award: Award, created_at: object) -> tuple[object, ...]:
    """The row's columns in the ledger's order (ENTRY_FIELDS, chain_hash, schema step 23)."""
    return (
        award.campaign_id,
        award.team_id,
        award.employee_id,
        award.amount,
        award.reason,
        award.cause_type,
        award.cause_id,
        award.idempotency_key,
        award.created_by_id,
        created_at,
        award.reverses_id,
    )


def _award_hash(previous: str, award: Award, now: datetime) -> str:
    return chain_hash(previous, *_columns(award, now))  # type: ignore[arg-type]


@uow.write(idempotent=True)  # the idempotency key stores it once
def award(award: Award, *, clock: Clock | None = None) -> AwardResult:
    """Write one award in its own transaction (exactly once per idempotency key).

    A clock, not a caller: the award names who earned and who granted it itself
    (`employee_id`, `created_by_id`), and the loads and benches that call this have no
    person acting."""
    return write_award(award, (clock or SystemClock()).now())


class TeamTotal(NamedTuple):
    """A team's line on a board (a named tuple: boards build one per team every second)."""

    team_id: int
    team_code: str
    team_name: str
    points: int
    rank: int  # teams with equal points share a rank


@functools.lru_cache(maxsize=64)
def _team_totals_sql(
    postgresql: bool, campaign_id: int | None, kind: str
) -> tuple[str, tuple[object, ...]]:
    """The board query, compiled once per engine, campaign and team kind.

    Building a Peewee query costs more than running this one (a row per team from the
    running totals), so boards that refresh every second reuse the compiled SQL.
    """
    join_on = TeamPointTotal.team == Team.id
    if campaign_id is not None:
        join_on &= TeamPointTotal.campaign_key == campaign_id
    total = fn.COALESCE(fn.SUM(TeamPointTotal.points), 0)
    query = (
        Team.select(Team.id, Team.code, Team.name, total.alias("points"))
        .join(TeamPointTotal, JOIN.LEFT_OUTER, on=join_on)
        .where(Team.active & (Team.kind == kind))
        .group_by(Team.id, Team.code, Team.name)
        .order_by(total.desc(), Team.name)
    )
    sql, params = query.sql()
    return sql, tuple(params)


@uow.read
def team_totals(campaign_id: int | None = None, kind: str = "line") -> list[TeamTotal]:
    """Every active team of a kind with its ledger total, best first (ties share a rank).

    Reads the running totals the database keeps beside the ledger (schema step 9),
    so the cost does not grow with the ledger.
    """
    sql, params = _team_totals_sql(db.is_postgresql(), campaign_id, kind)
    # ranks here, not with RANK() OVER in the query: on SQLite the window costs more
    # than this loop (bench/board.py); SUM of an integer column is an int on both engines
    totals: list[TeamTotal] = []
    previous_points = None
    rank = 0
    for position, (team_id, code, name, points) in enumerate(db.fetch_all(sql, params), 1):
        if points != previous_points:
            rank = position
            previous_points = points
        totals.append(_new_total(TeamTotal, (team_id, code, name, points, rank)))
    return totals


_new_total = tuple.__new__  # a TeamTotal from its five values, without keyword handling


def reverse_entry(caller: Caller, entry_id: int, reason: str) -> AwardResult:
    """Cancel a ledger row with a new, opposite row (supervisor and up, with a reason)."""
    why = clean_text(reason)
    if not why:
        raise ValidationFailed({"reason": _("Say why these points are reversed.")})
    try:
        return _reverse(caller, entry_id, why)
    except PermissionDenied as refusal:
        record_refusal(caller, "ledger_reverse", str(entry_id), refusal.message)
        raise


@uow.write
def _reverse(caller: Caller, entry_id: int, why: str) -> AwardResult:
    actor = caller.person
    if not actor.has_role("supervisor"):
        raise PermissionDenied(_("Only a supervisor or above may reverse points."))
    entry = LedgerEntry.get_or_none(LedgerEntry.id == entry_id)
    if entry is None:
        raise NotFound(_("There is no ledger row {entry_id}.", entry_id=entry_id))
    if entry.reverses_id is not None:
        raise Conflict(
            _(
                "Row {entry_id} is itself a reversal; it cannot be reversed.",
                entry_id=entry_id,
            )
        )
    record_action(
        actor.id,
        "ledger_reverse",
        str(entry_id),
        caller.now(),
        detail=why[:500],
        terminal=caller.terminal,
    )
    # the ledger row last: on PostgreSQL it takes the chain lock, held to the commit (a
    # reversal already written rolls the audit row back with the rest)
    result = write_award(
        Award(
            team_id=entry.team_id,
            amount=-entry.amount,
            reason=f"reversal of row {entry.id} ({entry.reason}): {why}",
            cause_type=entry.cause_type,
            cause_id=entry.cause_id,
            idempotency_key=f"reverse:{entry.id}",
            employee_id=entry.employee_id,
            created_by_id=actor.id,
            campaign_id=entry.campaign_id,
            reverses_id=entry.id,
        ),
        caller.now(),
    )
    if not result.written:
        raise Conflict(_("Row {entry_id} has already been reversed.", entry_id=entry_id))
    return result


# -- a team's rows (the points detail behind the team points screen) --------------------

LEDGER_PAGE = 50


@dataclass(frozen=True)
class LedgerRow:
    id: int
    at: datetime
    amount: int
    reason: str
    cause_type: str
    employee_name: str  # who earned (or lost) the points; "" when no one in particular
    reverses_id: int | None  # this row cancels that one
    reversed_by_id: int | None  # this row was cancelled by that one

    @property
    def reversible(self) -> bool:
        return self.reverses_id is None and self.reversed_by_id is None


@dataclass(frozen=True)
class LedgerPage:
    team_name: str
    rows: tuple[LedgerRow, ...]
    total: int  # all the team's rows (in the campaign), counted in SQL
    offset: int
    limit: int


@uow.read
def team_ledger(
    team_id: int, campaign_id: int | None = None, *, offset: int = 0, limit: int = LEDGER_PAGE
) -> LedgerPage:
    """A team's ledger rows, newest first, a page at a time, each with whether it was
    reversed (and by which row)."""
    team = Team.get_or_none(Team.id == team_id)
    if team is None:
        raise NotFound(_("There is no team {team_id}.", team_id=team_id))
    offset, limit = max(0, offset), max(1, min(limit, 200))
    where = LedgerEntry.team == team_id
    if campaign_id is not None:
        where &= LedgerEntry.campaign == campaign_id
    total = LedgerEntry.select().where(where).count()
    reversal = LedgerEntry.alias("reversal")
    query = (
        LedgerEntry.select(
            LedgerEntry.id,
            LedgerEntry.created_at,
            LedgerEntry.amount,
            LedgerEntry.reason,
            LedgerEntry.cause_type,
            Employee.name,
            LedgerEntry.reverses,
            reversal.id,
        )
        .join(Employee, JOIN.LEFT_OUTER, on=(LedgerEntry.employee == Employee.id))
        .switch(LedgerEntry)
        .join(reversal, JOIN.LEFT_OUTER, on=(reversal.reverses == LedgerEntry.id))
        .where(where)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = tuple(
        LedgerRow(row_id, at, amount, reason, cause, name or "", reverses, reversed_by)
        for row_id, at, amount, reason, cause, name, reverses, reversed_by in db.tuples(query)
    )
    return LedgerPage(team.name, rows, total, offset, limit)
