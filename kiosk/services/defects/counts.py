"""Defect figures read from the rollups the database keeps with the defects (schema step
18), so a board's count costs the keys it shows, not the period's defects.

`defect_day_source` holds whole UTC days: a period of local days is read as the whole UTC
days inside it from the rollup, and the pieces of a day at either end (less than a day
each, whatever the zone) from the defects themselves, by index. `defect_campaign_due`
likewise: the UTC day that holds "now" is the only one counted from the defects.

Helpers for the reads of a unit of work (they run inside the caller's `@uow.read`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from peewee import SQL, Case, ColumnBase, Field, Function, fn

from kiosk.services.defects.defect_states import OPEN_STATUSES
from models import Defect, db
from models.totals import DefectCampaignDue, DefectDaySource

DAY = timedelta(days=1)

# what a count can be grouped by: the rollup's column and the defect's
_ROLLUP_KEYS: dict[str, Field] = {
    "supplier": DefectDaySource.supplier_key,
    "category": DefectDaySource.category,
    "severity": DefectDaySource.severity,
}
_DEFECT_KEYS: dict[str, Field] = {
    "supplier": Defect.supplier,
    "category": Defect.category,
    "severity": Defect.severity,
}


def _utc_midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time.min, tzinfo=UTC)


def whole_utc_days(first: datetime, after: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days inside [first, after): [start, end) (start >= end: none)."""
    start = _utc_midnight(first)
    if start < first:
        start += DAY
    return start, _utc_midnight(after)


def _grouped(
    columns: list[Field],
    count: Function,
    moment: Field,
    source: str,
    low: datetime,
    high: datetime,
) -> list[tuple[Any, ...]]:
    """`count` per value of `columns` over the rows of `source` with `moment` in
    [low, high) (the rollup's day or a defect's report time)."""
    model = moment.model
    return list(
        db.tuples(
            model.select(*columns, count)
            .where((model.source == source) & (moment >= low) & (moment < high))
            .group_by(*columns)
        )
    )


def reported_counts(
    source: str, first: datetime, after: datetime, by: tuple[str, ...]
) -> dict[tuple[Any, ...], int]:
    """Defects of `source` reported in [first, after), counted per key of `by` (names from
    "supplier" (its id, None when none is named), "category", "severity"); keys with none
    are left out."""
    counts: dict[tuple[Any, ...], int] = {}
    supplier = by.index("supplier") if "supplier" in by else None

    def add(rows: list[tuple[Any, ...]]) -> None:
        for *values, count in rows:
            if supplier is not None and values[supplier] == 0:
                values[supplier] = None  # the rollup's supplier_key 0: none named
            key = tuple(values)
            if count:
                counts[key] = counts.get(key, 0) + int(count)

    start, end = whole_utc_days(first, after)
    pieces = [(first, after)]
    if start < end:
        pieces = [(first, start), (end, after)]
        columns = [_ROLLUP_KEYS[name] for name in by]
        total = fn.SUM(DefectDaySource.defects)
        add(_grouped(columns, total, DefectDaySource.day, source, start, end))
    for low, high in pieces:
        if low < high:
            columns = [_DEFECT_KEYS[name] for name in by]
            add(_grouped(columns, fn.COUNT(Defect.id), Defect.reported_at, source, low, high))
    return counts


@dataclass(frozen=True)
class CampaignFigures:
    due: int  # the window has closed, or verified inside it
    verified_on_time: int
    open: int
    overdue: int  # open, past the window
    critical_closed: int


def _sum(condition: ColumnBase, column: ColumnBase | int) -> Function:
    return fn.COALESCE(fn.SUM(Case(None, [(condition, column)], 0)), 0)


def campaign_figures(campaign_id: int | None, now: datetime) -> CampaignFigures:
    """The board's defect figures for a campaign (None: every defect) at `now`."""
    today = _utc_midnight(now)
    r = DefectCampaignDue
    is_open = r.status.in_(OPEN_STATUSES)
    kept = r.select(
        _sum((r.due_day < today) | (r.on_time == 1), r.defects),
        _sum(r.on_time == 1, r.defects),
        _sum(is_open, r.defects),
        _sum(is_open & (r.due_day < today), r.defects),
        _sum((r.severity == "critical") & (r.status == "closed"), r.defects),
    )
    # due today (UTC): whether due or overdue yet depends on the time of day
    on_time = Defect.verified_at.is_null(False) & (Defect.verified_at <= Defect.due_at)
    today_only = Defect.select(
        _sum((Defect.due_at <= now) & ~on_time, 1),
        _sum(Defect.status.in_(OPEN_STATUSES) & (Defect.due_at < now), 1),
    ).where((Defect.due_at >= today) & (Defect.due_at < today + DAY))
    if campaign_id is not None:
        kept = kept.where(r.campaign_key == campaign_id)
        today_only = today_only.where(Defect.campaign == campaign_id)
    due, on_time_count, open_count, overdue, critical = (int(n) for n in kept.tuples()[0])
    due_today, overdue_today = (int(n) for n in today_only.tuples()[0])
    return CampaignFigures(
        due=due + due_today,
        verified_on_time=on_time_count,
        open=open_count,
        overdue=overdue + overdue_today,
        critical_closed=critical,
    )


def overdue_count(campaign_id: int | None, now: datetime) -> int:
    """Open defects past their window at `now`, of a campaign (None: every defect), as
    `campaign_figures(...).overdue` counts them, but only that: the rollup's open keys
    due before today (UTC), and today's open defects due before `now` by index (a range
    of (status, due_at), or of (campaign, status, due_at))."""
    today = _utc_midnight(now)
    r = DefectCampaignDue
    kept = r.select(fn.COALESCE(fn.SUM(r.defects), 0)).where(
        r.status.in_(OPEN_STATUSES) & (r.due_day < today)
    )
    today_only = Defect.select(fn.COUNT(SQL("*"))).where(  # from the index alone
        Defect.status.in_(OPEN_STATUSES) & (Defect.due_at >= today) & (Defect.due_at < now)
    )
    if campaign_id is not None:
        kept = kept.where(r.campaign_key == campaign_id)
        today_only = today_only.where(Defect.campaign == campaign_id)
    return int(kept.scalar()) + int(today_only.scalar())
