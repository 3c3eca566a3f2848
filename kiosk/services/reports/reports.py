"""Boards: the Quality Red-Black List (praise on the red side, exposure on the black side).

The black side also marks teams whose points look farmed: at least the campaign's
`suspicious_self_reports` defects that a member of the responsible team reported about
its own team and that were marked fixed within `suspicious_fix_hours` of the report
(over the campaign shown). "A member of the responsible team" is the reporter's team
now: when an employee moves team, the defects they reported count for their new team
(schema step 21's rollup, `defect_quick_fix`, follows the move in the same transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import Expression, fn

from kiosk.caller import Caller
from kiosk.i18n import _
from kiosk.services.defects.counts import overdue_count
from kiosk.services.defects.lifecycle import OPEN_STATUSES
from kiosk.services.lines.inspections import LineView, lines_missing_inspection
from kiosk.services.plant.campaigns import rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.ledger import TeamTotal, team_totals
from kiosk.services.reports.kpis import board_campaign
from models import Campaign, Defect, Employee, Station, Team, db
from models.totals import DefectQuickFix, LedgerTeamPerson

TOP_PEOPLE = 5
OVERDUE_SHOWN = 50  # the longest overdue; the list says how many there are in all
SUSPICIOUS_LIMIT = 10  # teams marked at most (the worst first)


@dataclass(frozen=True)
class OnTimeTeam:
    team_name: str
    on_time: int  # corrections verified inside the window
    points: int


@dataclass(frozen=True)
class TopPerson:
    name: str
    team_name: str
    points: int


@dataclass(frozen=True)
class OverdueDefect:
    id: str
    short_id: str
    station_code: str
    team_name: str
    severity: str
    status: str
    description: str
    due_at: datetime
    overdue_seconds: int

    @property
    def days_overdue(self) -> int:
        return self.overdue_seconds // 86_400

    @property
    def overdue_text(self) -> str:
        hours = (self.overdue_seconds % 86_400) // 3_600
        return _("{days_overdue} d {hours:02d} h", days_overdue=self.days_overdue, hours=hours)


@dataclass(frozen=True)
class LateTeam:
    team_name: str
    penalties: int
    points_lost: int


@dataclass(frozen=True)
class SuspiciousTeam:
    team_name: str
    quick_self_fixes: int  # self-reported defects fixed within the campaign's hours


@dataclass(frozen=True)
class RedBlackList:
    generated_at: datetime
    on_time_teams: tuple[OnTimeTeam, ...]
    top_teams: tuple[TeamTotal, ...]
    top_people: tuple[TopPerson, ...]
    overdue_defects: tuple[OverdueDefect, ...]
    late_teams: tuple[LateTeam, ...]
    missing_inspections: tuple[LineView, ...]  # lines without a completed inspection this week
    suspicious_teams: tuple[SuspiciousTeam, ...] = ()
    suspicious_hours: int = 4  # what "fixed quickly" means here
    overdue_total: int = 0  # every open defect past its window (the list shows the first)

    def is_suspicious(self, team_name: str) -> bool:
        return any(t.team_name == team_name for t in self.suspicious_teams)


def _of_campaign(campaign: Campaign | None) -> Expression | bool:
    return True if campaign is None else LedgerTeamPerson.campaign_key == campaign.id


def _counts_by_team(
    campaign: Campaign | None,
) -> tuple[list[tuple[str, int]], list[tuple[str, int, int]]]:
    """(team, on-time awards) and (team, late charges, their points) of the teams with any,
    from the rollup the ledger's trigger keeps (schema step 17), in one pass over it."""
    r = LedgerTeamPerson
    ontime, overdue = fn.SUM(r.ontime_entries), fn.SUM(r.overdue_entries)
    rows = db.tuples(
        r.select(Team.name, ontime, overdue, fn.SUM(r.overdue_amount))
        .join(Team)
        .where(_of_campaign(campaign))
        .group_by(Team.name)
        .having((ontime > 0) | (overdue > 0))
    )
    on_time, late = [], []
    for name, on_time_count, late_count, late_points in rows:
        if on_time_count:
            on_time.append((name, int(on_time_count)))
        if late_count:
            late.append((name, int(late_count), int(late_points)))
    return on_time, late


def _top_people(campaign: Campaign | None) -> list[TopPerson]:
    """The TOP_PEOPLE people with the most points (more than none), by name among equals.
    Of a campaign: the first rows of the index of its people by points (schema step 22),
    a person in two teams twice; of every campaign, summed per person and team."""
    r = LedgerTeamPerson
    points = r.amount if campaign is not None else fn.SUM(r.amount)
    query = (
        r.select(Employee.name, Team.name, points)
        .join(Employee, on=(r.employee_key == Employee.id))
        .switch(r)
        .join(Team, on=(r.team == Team.id))
        .order_by(points.desc(), Employee.name)
        .limit(TOP_PEOPLE)
    )
    if campaign is not None:
        query = query.where((r.campaign_key == campaign.id) & (r.amount > 0))
    else:
        query = query.group_by(Employee.name, Team.name).having(points > 0)
    return [TopPerson(name, team, int(total)) for name, team, total in db.tuples(query)]


def _suspicious_teams(campaign: Campaign | None) -> list[SuspiciousTeam]:
    """The teams with at least the rule's self-reported defects fixed within the rule's
    hours, from the rollup schema step 21 keeps: at most the campaign's teams times the
    rule's hours rows, whatever the number of defects."""
    rules = rules_of(campaign)
    quick = fn.SUM(DefectQuickFix.defects)
    query = (
        DefectQuickFix.select(Team.name, quick)
        .join(Team)
        .where(DefectQuickFix.fix_hours <= rules.suspicious_fix_hours)
        .group_by(Team.name)
        .having(quick >= rules.suspicious_self_reports)
        .order_by(quick.desc(), Team.name)
        .limit(SUSPICIOUS_LIMIT)
    )
    if campaign is not None:
        query = query.where(DefectQuickFix.campaign_key == campaign.id)
    return [SuspiciousTeam(name, int(count)) for name, count in db.tuples(query)]


@uow.read
def red_black(caller: Caller, *, campaign_id: int | None = None) -> RedBlackList:
    """The list for the active campaign (live), or for a campaign picked on the board: its
    points and late charges, and its defects still open past their window. Live, every
    open defect past its window is exposed, whichever campaign it was reported in."""
    now = caller.now()
    campaign, live = board_campaign(campaign_id)
    ranked = team_totals(campaign.id if campaign else None)
    totals = {t.team_name: t.points for t in ranked}
    on_time_counts, late_counts = _counts_by_team(campaign)
    on_time = sorted(
        (OnTimeTeam(name, count, totals.get(name, 0)) for name, count in on_time_counts),
        key=lambda t: (-t.on_time, -t.points, t.team_name),
    )
    late = sorted(
        (LateTeam(name, count, total) for name, count, total in late_counts),
        key=lambda t: (t.points_lost, t.team_name),
    )
    overdue = (
        Defect.select(
            Defect.id,
            Station.code,
            Team.name,
            Defect.severity,
            Defect.status,
            Defect.description,
            Defect.due_at,
        )
        .join(Station, on=(Defect.station == Station.id))
        .switch(Defect)
        .join(Team, on=(Defect.team == Team.id))
        .where(Defect.status.in_(OPEN_STATUSES) & (Defect.due_at < now))
    )
    if not live and campaign is not None:
        overdue = overdue.where(Defect.campaign == campaign.id)
    # every open defect past its window, from the rollup schema step 18 keeps
    overdue_total = overdue_count(None if live or campaign is None else campaign.id, now)
    shown = db.tuples(overdue.order_by(Defect.due_at, Defect.id).limit(OVERDUE_SHOWN))
    return RedBlackList(
        generated_at=now,
        on_time_teams=tuple(on_time),
        top_teams=tuple(t for t in ranked if t.points > 0)[:3],
        top_people=tuple(_top_people(campaign)),
        overdue_defects=tuple(
            OverdueDefect(
                id=str(defect_id),
                short_id=str(defect_id)[:8],
                station_code=station_code,
                team_name=team_name,
                severity=severity,
                status=status,
                description=description,
                due_at=due_at,
                overdue_seconds=int((now - due_at).total_seconds()),
            )
            for defect_id, station_code, team_name, severity, status, description, due_at in shown
        ),
        late_teams=tuple(late),
        missing_inspections=tuple(lines_missing_inspection(caller)) if live else (),
        suspicious_teams=tuple(_suspicious_teams(campaign)),
        suspicious_hours=rules_of(campaign).suspicious_fix_hours,
        overdue_total=overdue_total,
    )
