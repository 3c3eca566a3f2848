"""The rollups the database keeps (schema steps 17 and 18) against their sources, counted
again slowly here."""

from __future__ import annotations

from datetime import UTC, datetime

from models import Defect, db
from models.db import write_transaction
from models.migrations.v0018_defect_rollups import rebuild
from models.totals import (
    DefectCampaignDue,
    DefectCampaignHour,
    DefectDaySource,
    LedgerTeamHour,
    LedgerTeamPerson,
)


def _day(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def on_time(d: Defect) -> int:
    return int(d.verified_at is not None and d.verified_at <= d.due_at)


def defect_rollups_counted_again() -> tuple[dict, dict, dict]:
    """The defect rollups as the raw defects say, in Python (keys with defects only)."""
    by_source: dict[tuple, int] = {}
    by_due: dict[tuple, int] = {}
    by_hour: dict[tuple, int] = {}
    for d in Defect.select():
        key = (d.source, _day(d.reported_at), d.supplier_id or 0, d.category, d.severity)
        by_source[key] = by_source.get(key, 0) + 1
        key = (d.campaign_id or 0, _day(d.due_at), d.status, d.severity, on_time(d))
        by_due[key] = by_due.get(key, 0) + 1
        key = (d.campaign_id or 0, d.reported_at.replace(minute=0, second=0, microsecond=0))
        by_hour[key] = by_hour.get(key, 0) + 1
    return by_source, by_due, by_hour


def defect_rollups_kept() -> tuple[dict, dict, dict]:
    """The defect rollups as the database keeps them (rows of 0 left out)."""

    def rows(model) -> dict:
        return {tuple(row[:-1]): row[-1] for row in model.select().tuples() if row[-1]}

    return rows(DefectDaySource), rows(DefectCampaignDue), rows(DefectCampaignHour)


def every_rollup() -> list[list[tuple]]:
    models = (
        LedgerTeamHour,
        LedgerTeamPerson,
        DefectDaySource,
        DefectCampaignDue,
        DefectCampaignHour,
    )
    return [sorted(model.select().tuples()) for model in models]


def rebuilt_equals_kept() -> bool:
    """Every rollup rebuilt from its source is what the triggers kept (rows of 0 aside)."""
    with db.connection() as database:
        kept = [[row for row in rows if row[-1]] for rows in every_rollup()]
        with write_transaction(database):
            rebuild(database)
        return [[row for row in rows if row[-1]] for rows in every_rollup()] == kept
