"""The rollups the database keeps (schema steps 17, 18, 21 and 24) against their sources,
counted again slowly here."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.services.lines.lines import local_day_bounds
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from kiosk.services.reports import kpis
from models import Campaign, Defect, Employee, LedgerEntry, Team, db
from models.assessments import Assessment
from models.db import write_transaction
from models.migrations import (
    v0020_defect_team_status,
    v0024_coverage_rollup,
    v0025_quick_fix_guards,
)
from models.migrations.v0018_defect_rollups import rebuild
from models.totals import (
    CoverageEmployees,
    CoveragePassed,
    CoveragePerson,
    DefectCampaignDue,
    DefectCampaignHour,
    DefectDaySource,
    DefectQuickFix,
    DefectTeamStatus,
    LedgerTeamHour,
    LedgerTeamPerson,
)


def _day(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def on_time(d: Defect) -> int:
    return int(d.verified_at is not None and d.verified_at <= d.due_at)


def defect_rollups_counted_again() -> tuple[dict, dict, dict, dict]:
    """The defect rollups as the raw defects say, in Python (keys with defects only)."""
    by_source: dict[tuple, int] = {}
    by_due: dict[tuple, int] = {}
    by_hour: dict[tuple, int] = {}
    by_team: dict[tuple, int] = {}
    for d in Defect.select():
        by_team[(d.team_id, d.status)] = by_team.get((d.team_id, d.status), 0) + 1
        key = (d.source, _day(d.reported_at), d.supplier_id or 0, d.category, d.severity)
        by_source[key] = by_source.get(key, 0) + 1
        key = (d.campaign_id or 0, _day(d.due_at), d.status, d.severity, on_time(d))
        by_due[key] = by_due.get(key, 0) + 1
        key = (d.campaign_id or 0, d.reported_at.replace(minute=0, second=0, microsecond=0))
        by_hour[key] = by_hour.get(key, 0) + 1
    return by_source, by_due, by_hour, by_team


def fix_hours(d: Defect) -> int:
    """Whole hours from the report to the fix, rounded up, in 0..721 (in integers)."""
    micros = (d.fixed_at - d.reported_at) // timedelta(microseconds=1)
    return max(0, min(721, -(-micros // 3_600_000_000)))


def self_reported_fixes(campaign_id: int | None = None) -> list[Defect]:
    """The fixed defects whose reporter is a member of their team now (of a campaign)."""
    teams = dict(Employee.select(Employee.id, Employee.team).tuples())
    fixed = Defect.select().where(Defect.fixed_at.is_null(False))
    return [
        d
        for d in fixed
        if teams.get(d.reporter_id) == d.team_id
        and (campaign_id is None or d.campaign_id == campaign_id)
    ]


def quick_fixes_counted_again() -> dict[tuple, int]:
    """Schema step 21's rollup as the defects and their reporters' teams say, in Python."""
    counts: dict[tuple, int] = {}
    for d in self_reported_fixes():
        key = (d.campaign_id or 0, fix_hours(d), d.team_id)
        counts[key] = counts.get(key, 0) + 1
    return counts


def quick_fixes_kept() -> dict[tuple, int]:
    """Schema step 21's rollup as the database keeps it (rows of 0 left out)."""
    return {tuple(row[:-1]): row[-1] for row in DefectQuickFix.select().tuples() if row[-1]}


def suspicious_counted_again(
    campaign_id: int | None, hours: int, at_least: int
) -> list[tuple[str, int]]:
    """The Red-Black List's farming marks as the count the rollup replaced said: per team,
    self-reported defects fixed at most `hours` after the report; at least `at_least`;
    the most first, then by name; ten at most."""
    names = dict(Team.select(Team.id, Team.name).tuples())
    per_team: dict[str, int] = {}
    for d in self_reported_fixes(campaign_id):
        if d.fixed_at <= d.reported_at + timedelta(hours=hours):
            per_team[names[d.team_id]] = per_team.get(names[d.team_id], 0) + 1
    marked = [(name, n) for name, n in per_team.items() if n >= at_least]
    return sorted(marked, key=lambda t: (-t[1], t[0]))[:10]


def defect_rollups_kept() -> tuple[dict, dict, dict, dict]:
    """The defect rollups as the database keeps them (rows of 0 left out)."""

    def rows(model) -> dict:
        return {tuple(row[:-1]): row[-1] for row in model.select().tuples() if row[-1]}

    return (
        rows(DefectDaySource),
        rows(DefectCampaignDue),
        rows(DefectCampaignHour),
        rows(DefectTeamStatus),
    )


def every_rollup() -> list[list[tuple]]:
    models = (
        LedgerTeamHour,
        LedgerTeamPerson,
        DefectDaySource,
        DefectCampaignDue,
        DefectCampaignHour,
        DefectTeamStatus,
        DefectQuickFix,
        CoverageEmployees,
        CoveragePerson,
        CoveragePassed,
    )
    return [sorted(model.select().tuples()) for model in models]


def rebuilt_equals_kept() -> bool:
    """Every rollup rebuilt from its source is what the triggers kept (rows of 0 aside)."""
    with db.connection() as database:
        kept = [[row for row in rows if row[-1]] for rows in every_rollup()]
        with write_transaction(database):
            rebuild(database)
            v0020_defect_team_status.rebuild(database)
            v0025_quick_fix_guards.rebuild(database)  # step 21's, its guards lifted
            v0024_coverage_rollup.rebuild(database)
        return [[row for row in rows if row[-1]] for rows in every_rollup()] == kept


def coverage_counted_again() -> tuple[dict, dict, dict]:
    """Schema step 24's rollups as the employees and assessments say, in Python: active
    employees per (department, team key); passes per (employee, campaign key: 0 none, -1
    any); active people with a pass per (campaign key, department, team key)."""
    people = {e.id: e for e in Employee.select()}
    employees: dict[tuple, int] = {}
    for e in people.values():
        if e.active:
            key = (e.department, e.team_id or 0)
            employees[key] = employees.get(key, 0) + 1
    passes: dict[tuple, int] = {}
    for a in Assessment.select().where(Assessment.passed == True):  # noqa: E712
        for campaign_key in (a.campaign_id or 0, -1):
            passes[(a.employee_id, campaign_key)] = passes.get((a.employee_id, campaign_key), 0) + 1
    passed: dict[tuple, int] = {}
    for employee_id, campaign_key in passes:
        e = people[employee_id]
        if e.active:
            key = (campaign_key, e.department, e.team_id or 0)
            passed[key] = passed.get(key, 0) + 1
    return employees, passes, passed


def coverage_kept() -> tuple[dict, dict, dict]:
    """Schema step 24's rollups as the database keeps them (rows of 0 left out)."""

    def rows(model) -> dict:
        return {tuple(row[:-1]): row[-1] for row in model.select().tuples() if row[-1]}

    return rows(CoverageEmployees), rows(CoveragePerson), rows(CoveragePassed)


def assert_daily_series_as_the_rows_say(clock) -> None:
    """The board's daily chart (read from the rollups) equals the ledger and the defects
    summed again per local day, row by row."""
    series = kpis.daily_series(Caller.system(clock))
    campaign = Campaign.get(Campaign.active)
    first = campaign.starts_on
    ends = [
        local_day_bounds(first + timedelta(days=n), first + timedelta(days=n))[1]
        for n in range(len(series.days))
    ]
    names = {t.id: t.name for t in Team.select()}
    expected = []
    for name, _points in series.team_points:
        team = next(i for i, n in names.items() if n == name)
        mine = [
            e for e in LedgerEntry.select() if e.team_id == team and e.campaign_id == campaign.id
        ]
        expected.append(
            (name, tuple(sum(e.amount for e in mine if e.created_at < end) for end in ends))
        )
    assert series.team_points == tuple(expected)
    reported = [d.reported_at for d in Defect.select() if d.campaign_id == campaign.id]
    starts = [local_day_bounds(first, first)[0], *ends[:-1]]
    assert series.defects_reported == tuple(
        sum(1 for at in reported if start <= at < end)
        for start, end in zip(starts, ends, strict=True)
    )


def sqlite_demo_plant(path: Path, clock) -> sqlite3.Connection:
    """A demo plant in the SQLite file `path` (bound), and a connection of its own to it
    (autocommit), as anyone holding the file could open."""
    database_service.open_database(f"sqlite:///{path}")
    database_service.upgrade(clock)
    seed_demo_plant(Caller.system(clock))
    return sqlite3.connect(path, isolation_level=None)


def app_role_demo_plant(two_roles, clock) -> str:
    """The schema made by the owner with an application role, then the demo plant seeded
    as that role (bound), as the kiosks run; returns the role's URL."""
    owner_url, app_url, app = two_roles
    assert main(["db", "upgrade", "--app-role", app, "--db", owner_url]) == 0
    db.close_all()
    database_service.open_database(app_url, create=False)
    seed_demo_plant(Caller.system(clock))
    return str(app_url)
