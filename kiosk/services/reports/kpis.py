"""The campaign's key figures for the supervisor board.

- training coverage: active employees with a passed assessment / all active employees
- defect correction rate: defects verified inside their window / all defects that are due
  (a defect is due once its window has closed, or earlier if it was verified on time)
- open and overdue defects
- first-pass yield per line over the campaign (units passed first time / units produced)
- critical issues resolved: closed critical defects of the campaign, against its target
- the campaign phase(s) today and the days left
- who holds the Quality Mobile Flag
- the campaign's targets beside each of these (and first-pass yield over all lines, and the
  share of active suppliers that are high-risk)

The board shows the active campaign (live) unless a campaign is picked: then that
campaign's figures over its own dates. Every figure is counted in SQL; the defect figures
from the rollup the database keeps with the defects (schema step 18).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from peewee import SQL, Case, ColumnBase, Expression, Function, ModelSelect, Select, fn

from kiosk.caller import Caller
from kiosk.clock import to_local
from kiosk.errors import NotFound
from kiosk.i18n import _
from kiosk.services.defects.counts import campaign_figures
from kiosk.services.lines.lines import (
    LineYield,
    first_pass_yield,
    local_day_bounds,
    mobile_flag_history,
)
from kiosk.services.lines.suppliers import high_risk_count
from kiosk.services.plant.campaigns import active_campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.ledger import TeamTotal, team_totals
from kiosk.services.training.assessments import coverage_counts
from models import Campaign, Defect, LedgerEntry, ProductionLine, db
from models.lines import LineEvaluation
from models.totals import DefectCampaignHour, LedgerTeamHour


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
    campaign_id: int | None = None  # None: no campaign at all
    live: bool = True  # the active campaign (or none); False: a campaign picked on the board
    campaign_dates: str = ""  # "2025-09-01 – 2025-09-30"
    target_coverage: int = 100
    target_correction_rate: int = 100
    target_fpy: int = 98
    target_high_risk_suppliers: int = 10
    high_risk_suppliers: int = 0  # over the period, by the campaign's threshold
    active_suppliers: int = 0

    @property
    def coverage_percent(self) -> int:
        """Rounded down: never 100 while someone is missing."""
        return self.coverage_passed * 100 // self.coverage_total if self.coverage_total else 0

    @property
    def correction_rate_percent(self) -> int | None:
        return self.verified_on_time * 100 // self.due if self.due else None

    @property
    def fpy_percent(self) -> float | None:
        """First-pass yield over every line: units passed first / units produced."""
        produced = sum(y.produced for y in self.line_yields)
        return (
            100.0 * sum(y.passed_first for y in self.line_yields) / produced if produced else None
        )

    @property
    def high_risk_supplier_percent(self) -> int | None:
        """High-risk suppliers / active suppliers, rounded up (never 0 while one is)."""
        if not self.active_suppliers:
            return None
        return -(-self.high_risk_suppliers * 100 // self.active_suppliers)


RECENT_DAYS = 30


def reporting_period(
    campaign: Campaign | None, today: date, live: bool = True
) -> tuple[date, date]:
    """The campaign's dates while it runs; otherwise the last 30 days (e.g. a demo plant
    tried after its campaign month, or a plant between campaigns). A campaign picked on
    the board (not live): its own dates."""
    if campaign is not None and (not live or campaign.starts_on <= today <= campaign.ends_on):
        return campaign.starts_on, campaign.ends_on
    return today - timedelta(days=RECENT_DAYS - 1), today


@dataclass(frozen=True)
class PeriodYields:
    period: str  # "Sep 01 – Sep 30"
    yields: tuple[LineYield, ...]


@uow.read
def board_yields(caller: Caller) -> PeriodYields:
    """First-pass yield per line over the period the board shows (the active campaign's
    dates while it runs, else the last 30 days), so F12 and the board agree."""
    today = to_local(caller.now()).date()
    period = reporting_period(active_campaign_row(), today)
    return PeriodYields(describe_period(*period), tuple(first_pass_yield(*period)))


def board_campaign(campaign_id: int | None) -> tuple[Campaign | None, bool]:
    """The campaign a board shows and whether it is live: the active one unless another
    is picked."""
    if campaign_id is None:
        return active_campaign_row(), True
    row = Campaign.get_or_none(Campaign.id == campaign_id)
    if row is None:
        raise NotFound(_("That campaign is no longer there. Pick another."))
    return row, bool(row.active)


def _count(condition: Expression) -> Function:
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _flag_line(campaign: Campaign | None, live: bool) -> str | None:
    if live:
        holders = mobile_flag_history()
        return f"{holders[0].line_code} {holders[0].line_name}" if holders else None
    winner = (
        LineEvaluation.select(ProductionLine.code, ProductionLine.name)
        .join(ProductionLine, on=(LineEvaluation.winner == ProductionLine.id))
        .where(LineEvaluation.campaign == campaign)
        .order_by(LineEvaluation.evaluated_at.desc(), LineEvaluation.id.desc())
        .tuples()
        .first()
    )
    return f"{winner[0]} {winner[1]}" if winner else None


def describe_period(first: date, last: date) -> str:
    """ "Nov 27 – Dec 31" in English, "11月27日 – 12月31日" in Chinese."""
    return f"{short_date(first)} – {short_date(last)}"


def short_date(day: date) -> str:
    # the strftime pattern is translated: "%b %d" (Sep 01), "%-m月%-d日" (9月1日)
    return day.strftime(str(_("%b %d")))


@uow.read
def board_summary(caller: Caller, *, campaign_id: int | None = None) -> BoardSummary:
    """The board's figures for the active campaign, or for the campaign picked."""
    now = caller.now()
    today = to_local(now).date()
    campaign, live = board_campaign(campaign_id)
    period = reporting_period(campaign, today, live)
    view = rules_of(campaign)
    figures = campaign_figures(campaign.id if campaign is not None else None, now)
    passed, total = coverage_counts(campaign)
    high_risk, suppliers = high_risk_count(*period, view.supplier_risk_share_percent)
    return BoardSummary(
        generated_at=now,
        campaign_name=view.name,
        phases_today=tuple(p.name for p in view.phases_on(today)) if live else (),
        days_left=view.days_left(today) if live else None,
        coverage_passed=passed,
        coverage_total=total,
        due=figures.due,
        verified_on_time=figures.verified_on_time,
        open_defects=figures.open,
        overdue_defects=figures.overdue,
        critical_resolved=figures.critical_closed,
        critical_target=view.critical_issue_target,
        period=describe_period(*period),
        line_yields=tuple(first_pass_yield(*period)),
        flag_line=_flag_line(campaign, live),
        team_totals=tuple(team_totals(campaign.id if campaign else None)),
        campaign_id=campaign.id if campaign else None,
        live=live,
        campaign_dates=f"{view.starts_on} – {view.ends_on}" if campaign else "",
        target_coverage=view.target_training_coverage_percent,
        target_correction_rate=view.target_correction_rate_percent,
        target_fpy=view.target_fpy_percent,
        target_high_risk_suppliers=view.target_high_risk_supplier_percent,
        high_risk_suppliers=high_risk,
        active_suppliers=suppliers,
    )


@dataclass(frozen=True)
class BoardTeams:
    generated_at: datetime
    team_totals: tuple[TeamTotal, ...]


@uow.read
def board_teams(caller: Caller, *, campaign_id: int | None = None) -> BoardTeams:
    """The board's team point table alone (all a ledger write changes on the board, so a
    stream of awards re-reads this, not every tile): the running totals of the campaign
    shown, the same rows as `board_summary(...).team_totals`."""
    campaign, _live = board_campaign(campaign_id)
    return BoardTeams(caller.now(), tuple(team_totals(campaign.id if campaign else None)))


@dataclass(frozen=True)
class DailySeries:
    days: tuple[str, ...]  # local dates "09-01" ... over the campaign (or the last 30 days)
    team_points: tuple[tuple[str, tuple[int, ...]], ...]  # (team name, cumulative points a day)
    defects_reported: tuple[int, ...]
    teams_not_charted: int = 0  # teams ranked below the ones charted


CHARTED_TEAMS = 8  # lines a chart half a screen wide can tell apart (a colour each)


def _midnights(first: date, count: int) -> tuple[datetime, ...]:
    """The local midnights that start each of `count` days from `first`, and the one that
    ends the last (aware datetimes in this terminal's zone)."""
    days = (first + timedelta(days=n) for n in range(count + 1))
    return tuple(local_day_bounds(day, day)[0] for day in days)


def _local_day_index(field: ColumnBase, midnights: tuple[datetime, ...]) -> ColumnBase:
    """Which local day of the period a stored UTC time falls on, in SQL: -1 before the
    first day, 0 .. count-1, NULL after the last (local midnights as UTC instants)."""
    branches = [(field < midnights[0], -1)]
    branches += [(field < end, n) for n, end in enumerate(midnights[1:])]
    return Case(None, branches, None)


def _summed(query: ModelSelect[Any], column: str) -> Select:
    """(team, day, sum of the column) per team and day, grouped in SQL."""
    rows = query.alias("rows")
    # (any model builds the outer query)
    return (
        Defect.select(rows.c.team_id, rows.c.day, fn.SUM(getattr(rows.c, column)))
        .from_(rows)
        .group_by(rows.c.team_id, rows.c.day)
    )


def _on_whole_hours(midnights: tuple[datetime, ...]) -> bool:
    """Every local midnight of the period falls on a whole UTC hour (any zone whose offset
    is whole hours), so whole hours of the rollup make whole local days. (In UTC: a local
    midnight is 00:00 local whatever the offset.)"""
    utc = (midnight.astimezone(UTC) for midnight in midnights)
    return all(m.minute == m.second == m.microsecond == 0 for m in utc)


def _ledger_by_day(
    campaign_id: int | None, midnights: tuple[datetime, ...], team_ids: tuple[int, ...]
) -> ModelSelect[Any]:
    """(team, day, amount) rows of these teams to sum: the hourly rollup kept with the
    ledger (schema step 17), or the ledger itself where local days do not start on a whole
    UTC hour."""
    if _on_whole_hours(midnights):
        day_of = _local_day_index(LedgerTeamHour.hour, midnights)
        hourly = LedgerTeamHour.select(
            LedgerTeamHour.team.alias("team_id"), day_of.alias("day"), LedgerTeamHour.amount
        ).where(LedgerTeamHour.team.in_(team_ids))
        if campaign_id is not None:
            hourly = hourly.where(LedgerTeamHour.campaign_key == campaign_id)
        return hourly
    day_of = _local_day_index(LedgerEntry.created_at, midnights)
    rows = LedgerEntry.select(
        LedgerEntry.team.alias("team_id"), day_of.alias("day"), LedgerEntry.amount
    ).where(LedgerEntry.team.in_(team_ids))
    if campaign_id is not None:
        rows = rows.where(LedgerEntry.campaign == campaign_id)
    return rows


def _reported_per_day(campaign_id: int | None, midnights: tuple[datetime, ...]) -> Select:
    """Defects reported on each local day (the day's index and its count): from the hourly
    rollup kept with the defects (schema step 18), or where local days do not start on a
    whole UTC hour in one query of a range count per day (each an index range on the
    campaign and the report time, schema step 17)."""
    if _on_whole_hours(midnights):
        r = DefectCampaignHour
        day_of = _local_day_index(r.hour, midnights)
        query = r.select(day_of, fn.SUM(r.defects))
        if campaign_id is not None:
            query = query.where(r.campaign_key == campaign_id)
        return query.group_by(SQL("1"))  # (the CASE, by position)
    counts = []
    for start, end in zip(midnights, midnights[1:], strict=False):
        of_day = (Defect.reported_at >= start) & (Defect.reported_at < end)
        if campaign_id is not None:
            of_day &= Defect.campaign == campaign_id
        counts.append(Defect.select(fn.COUNT(SQL("*"))).where(of_day))  # index only
    columns = [count.alias(f"d{n}") for n, count in enumerate(counts)]
    return Select(columns=columns or [SQL("0")])  # (no day: not run)


Compiled = tuple[str, tuple[object, ...]]


# the day of each hourly row by a binary search of the local midnights: -1 before the first,
# NULL after the last (PostgreSQL's width_bucket: 0 below the first bound, N at the last)
_PG_TEAM_DAYS = (
    "SELECT team_id, NULLIF(width_bucket(hour, %s::timestamp[]), %s) - 1 AS day, SUM(amount) "
    'FROM "ledger_team_hour" WHERE campaign_key = %s AND team_id = ANY(%s::integer[]) '
    "GROUP BY 1, 2"
)


def _team_days(
    campaign_id: int, midnights: tuple[datetime, ...], team_ids: tuple[int, ...]
) -> Select:
    """(team, day, points) for each team and local day, and day -1 for what the team had
    before the first: a sum over one range of the hourly rollup's key (campaign, team,
    hour) each, so every row is read once, by index, with nothing to compute per row."""
    r = LedgerTeamHour
    ranges: list[tuple[int, datetime | None, datetime]] = [(-1, None, midnights[0])]
    days = zip(midnights, midnights[1:], strict=False)
    ranges += [(n, low, high) for n, (low, high) in enumerate(days)]
    parts = []
    for team_id in team_ids:
        for day, low, high in ranges:
            where = (r.campaign_key == campaign_id) & (r.team == team_id) & (r.hour < high)
            if low is not None:
                where &= r.hour >= low
            # (the team and the day as literals: integers, made here)
            labels = SQL(str(int(team_id))), SQL(str(int(day)))
            parts.append(r.select(*labels, fn.SUM(r.amount)).where(where))
    return functools.reduce(operator.add, parts[1:], parts[0])  # UNION ALL


def _reported_counts(rows: list[tuple[Any, ...]], midnights: tuple[datetime, ...]) -> list[int]:
    """A count a day from what `_reported_per_day` returned: (day, count) rows from the
    rollup, or one row of a count a day."""
    per_day = [0] * (len(midnights) - 1)
    if _on_whole_hours(midnights):
        for day, count in rows:
            if day is not None and day >= 0:
                per_day[int(day)] += int(count or 0)
        return per_day
    return [int(n or 0) for n in rows[0]]


@functools.lru_cache(maxsize=32)
def _daily_sql(
    postgresql: bool,
    campaign_id: int | None,
    midnights: tuple[datetime, ...],
    team_ids: tuple[int, ...],
) -> tuple[Compiled, Compiled]:
    """The chart's two statements, compiled once per engine, campaign, days and teams (a
    board redraws its chart after every change; building these Peewee queries, a CASE
    of a branch a day, cost more than running them)."""
    by_range = bool(team_ids) and _on_whole_hours(midnights)
    points: Compiled
    if by_range and campaign_id is not None and postgresql:
        # one plan, not one a team and day (PostgreSQL plans each part of a UNION ALL)
        bounds = [LedgerTeamHour.hour.db_value(midnight) for midnight in midnights]
        points = (_PG_TEAM_DAYS, (bounds, len(bounds), campaign_id, list(team_ids)))
    elif by_range and campaign_id is not None:
        points = _compiled(_team_days(campaign_id, midnights, team_ids))
    else:
        points = _compiled(_summed(_ledger_by_day(campaign_id, midnights, team_ids), "amount"))
    reported = _reported_per_day(campaign_id, midnights).bind(Defect._meta.database)
    return points, _compiled(reported)


def _compiled(query: Select) -> Compiled:
    sql, params = query.sql()
    return sql, tuple(params)


@uow.read
def daily_series(caller: Caller, *, campaign_id: int | None = None) -> DailySeries:
    """Points over the month (cumulative) of the CHARTED_TEAMS best-ranked teams, and
    defects reported per day. Only those teams' rows are read: a plant of fifty teams
    charts (and reads) eight lines, and says how many more there are."""
    campaign, live = board_campaign(campaign_id)
    today = to_local(caller.now()).date()
    first, last = reporting_period(campaign, today, live)
    last = min(last, today) if first <= today else last
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    ranked = team_totals(campaign.id if campaign else None)
    teams = {t.team_id: t.team_name for t in ranked[:CHARTED_TEAMS]}
    daily = {team_id: [0] * len(days) for team_id in teams}
    before = dict.fromkeys(teams, 0)
    midnights = _midnights(first, len(days))
    points_sql, reported_sql = _daily_sql(
        db.is_postgresql(), campaign.id if campaign else None, midnights, tuple(teams)
    )
    database = db.database_proxy  # Peewee runs them (and logs them: tests read the plans)
    for team_id, day, amount in database.execute_sql(*points_sql).fetchall():
        if team_id not in daily or day is None:
            continue
        if day < 0:
            before[team_id] += int(amount or 0)
        else:
            daily[team_id][int(day)] += int(amount or 0)
    reported = (
        _reported_counts(database.execute_sql(*reported_sql).fetchall(), midnights) if days else []
    )
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
        teams_not_charted=len(ranked) - len(teams),
    )
