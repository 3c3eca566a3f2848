"""The active Quality Month campaign: its phases and point rules (data, not constants)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.clock import Clock, SystemClock, to_local
from kiosk.services.uow import read_only
from models import Campaign


@dataclass(frozen=True)
class Phase:
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class CampaignView:
    id: int | None
    name: str
    starts_on: date | None
    ends_on: date | None
    phases: tuple[Phase, ...]
    correction_window_hours: int
    ontime_points: int
    late_points: int
    contest_correct_points: int
    contest_wrong_points: int
    pass_mark_percent: int
    assessment_items: int

    def phases_on(self, day: date) -> list[Phase]:
        return [phase for phase in self.phases if phase.starts_on <= day <= phase.ends_on]

    def days_left(self, day: date) -> int | None:
        if self.ends_on is None:
            return None
        return max((self.ends_on - day).days, 0)


def _defaults() -> CampaignView:
    """Rules that apply when no campaign is active: the model's defaults."""
    fields = Campaign._meta.fields
    return CampaignView(
        id=None,
        name="(no active campaign)",
        starts_on=None,
        ends_on=None,
        phases=(),
        correction_window_hours=fields["correction_window_hours"].default,
        ontime_points=fields["ontime_points"].default,
        late_points=fields["late_points"].default,
        contest_correct_points=fields["contest_correct_points"].default,
        contest_wrong_points=fields["contest_wrong_points"].default,
        pass_mark_percent=fields["pass_mark_percent"].default,
        assessment_items=fields["assessment_items"].default,
    )


def campaign_view(campaign: Campaign) -> CampaignView:
    phases = tuple(
        Phase(
            item["name"], date.fromisoformat(item["starts_on"]), date.fromisoformat(item["ends_on"])
        )
        for item in json.loads(campaign.phases_json or "[]")
    )
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        phases=phases,
        correction_window_hours=campaign.correction_window_hours,
        ontime_points=campaign.ontime_points,
        late_points=campaign.late_points,
        contest_correct_points=campaign.contest_correct_points,
        contest_wrong_points=campaign.contest_wrong_points,
        pass_mark_percent=campaign.pass_mark_percent,
        assessment_items=campaign.assessment_items,
    )


def active_campaign_row() -> Campaign | None:
    return Campaign.select().where(Campaign.active).order_by(Campaign.starts_on.desc()).first()


@read_only
def active_campaign() -> CampaignView:
    row = active_campaign_row()
    return campaign_view(row) if row else _defaults()


def local_day(clock: Clock | None = None) -> date:
    moment: datetime = (clock or SystemClock()).now()
    return to_local(moment).date()
