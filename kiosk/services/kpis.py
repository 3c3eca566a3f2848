"""The campaign's key figures for the supervisor board.

- training coverage: active employees with a passed assessment / all active employees
- defect correction rate: defects verified inside their window / all defects that are due
  (a defect is due once its window has closed, or earlier if it was verified on time)
- open and overdue defects
- first-pass yield per line over the campaign (units passed first time / units produced)
- critical issues resolved: closed critical defects of the campaign, against its target
- the campaign phase(s) today and the days left
- who holds the Quality Mobile Flag
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kiosk.clock import Clock, SystemClock, to_local
from kiosk.i18n import _
from kiosk.services.assessments import coverage_report
from kiosk.services.campaigns import active_campaign_row, campaign_view
from kiosk.services.ledger import TeamTotal, team_totals
from kiosk.services.lifecycle import OPEN_STATUSES
from kiosk.services.lines import LineYield, first_pass_yield, mobile_flag_history
from kiosk.services.uow import read_only
from models import Campaign, Defect, LedgerEntry


@dataclass(frozen=True)
class BoardSummary:
    generated_at: datetime
    campaign_name: str
    phases_today: tuple[str, ...]
    days_left: int | None
    coverage_passed: int
    coverage_total: int
    due: int
    verified_on_time: int
    open_defects: int
    overdue_defects: int
    critical_resolved: int
    critical_target: int
    period: str  # the dates first-pass yield and the charts cover
    line_yields: tuple[LineYield, ...]
    flag_line: str | None  # "L2 DC Fast Charger Assembly", None before any evaluation
    team_totals: tuple[TeamTotal, ...]

    @property
    def coverage_percent(self) -> int:
        """Rounded down: never 100 while someone is missing."""
        return self.coverage_passed * 100 // self.coverage_total if self.coverage_total else 0

    @property
    def correction_rate_percent(self) -> int | None:
        return self.verified_on_time * 100 // self.due if self.due else None


RECENT_DAYS = 30


def reporting_period(campaign: Campaign | None, today: date) -> tuple[date, date]:
    """The campaign's dates while it runs; otherwise the last 30 days (e.g. a demo plant
    tried after its campaign month, or a plant between campaigns)."""
    if campaign is not None and campaign.starts_on <= today <= campaign.ends_on:
        return campaign.starts_on, campaign.ends_on
    return today - timedelta(days=RECENT_DAYS - 1), today


def describe_period(first: date, last: date) -> str:
    return f"{first:%b %d} – {last:%b %d}"


@read_only
def board_summary(*, clock: Clock | None = None) -> BoardSummary:
    clock = clock or SystemClock()
    now = clock.now()
    today = to_local(now).date()
    campaign = active_campaign_row()
    period = reporting_period(campaign, today)
    view = campaign_view(campaign) if campaign else None
    defects = Defect.select(Defect.status, Defect.severity, Defect.due_at, Defect.verified_at)
    if campaign is not None:
        defects = defects.where(Defect.campaign == campaign)
    due = on_time = open_count = overdue = critical_closed = 0
    for defect in defects:
        verified_on_time = defect.verified_at is not None and defect.verified_at <= defect.due_at
        if defect.due_at <= now or verified_on_time:
            due += 1
            on_time += verified_on_time
        if defect.status in OPEN_STATUSES:
            open_count += 1
            overdue += defect.due_at < now
        critical_closed += defect.severity == "critical" and defect.status == "closed"
    coverage = coverage_report().overall
    holders = mobile_flag_history()
    return BoardSummary(
        generated_at=now,
        campaign_name=view.name if view else _("(no active campaign)"),
        phases_today=tuple(p.name for p in view.phases_on(today)) if view else (),
        days_left=view.days_left(today) if view else None,
        coverage_passed=coverage.passed,
        coverage_total=coverage.total,
        due=due,
        verified_on_time=on_time,
        open_defects=open_count,
        overdue_defects=overdue,
        critical_resolved=critical_closed,
        critical_target=campaign.critical_issue_target if campaign else 3,
        period=describe_period(*period),
        line_yields=tuple(first_pass_yield(*period)),
        flag_line=f"{holders[0].line_code} {holders[0].line_name}" if holders else None,
        team_totals=tuple(team_totals(campaign.id if campaign else None)),
    )


@dataclass(frozen=True)
class DailySeries:
    days: tuple[str, ...]  # local dates "09-01" ... over the campaign (or the last 30 days)
    team_points: tuple[tuple[str, tuple[int, ...]], ...]  # (team name, cumulative points a day)
    defects_reported: tuple[int, ...]


@read_only
def daily_series(*, clock: Clock | None = None) -> DailySeries:
    """Points over the month per team (cumulative) and defects reported per day."""
    clock = clock or SystemClock()
    campaign = active_campaign_row()
    today = to_local(clock.now()).date()
    first, last = reporting_period(campaign, today)
    last = min(last, today) if first <= today else last
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    index = {day: n for n, day in enumerate(days)}
    teams = {t.team_id: t.team_name for t in team_totals(campaign.id if campaign else None)}
    daily = {team_id: [0] * len(days) for team_id in teams}
    before = dict.fromkeys(teams, 0)
    entries = LedgerEntry.select(LedgerEntry.team, LedgerEntry.amount, LedgerEntry.created_at)
    if campaign is not None:
        entries = entries.where(LedgerEntry.campaign == campaign)
    for entry in entries:
        if entry.team_id not in daily:
            continue
        day = to_local(entry.created_at).date()
        if day < first:
            before[entry.team_id] += entry.amount
        elif day in index:
            daily[entry.team_id][index[day]] += entry.amount
    reported = [0] * len(days)
    defects = Defect.select(Defect.reported_at)
    if campaign is not None:
        defects = defects.where(Defect.campaign == campaign)
    for defect in defects:
        day = to_local(defect.reported_at).date()
        if day in index:
            reported[index[day]] += 1
    series = []
    for team_id, name in teams.items():
        running, cumulative = before[team_id], []
        for amount in daily[team_id]:
            running += amount
            cumulative.append(running)
        series.append((name, tuple(cumulative)))
    return DailySeries(
        days=tuple(day.strftime("%m-%d") for day in days),
        team_points=tuple(series),
        defects_reported=tuple(reported),
    )
