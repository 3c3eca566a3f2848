"""A whole supervisor board refresh at plant scale against hand-written SQL returning the
same rows.

The board refresh is what the board reads when every panel is refreshed: the KPI tiles
and team ranking (`kpis.board_summary`), the Red-Black List (`reports.red_black`), the
charts (`kpis.daily_series`) and the ledger check (`ledger_check.last_check`), each a
unit of work as the board runs them. The hand-written side is plain SQL on the driver's
own cursor of the same connection: per panel one statement for each list or set of
figures it shows (14 statements in all), and only the shaping Python must do anyway
(ranks, a running sum per team, sorting two short lists). The benchmark first checks that
both give the same rows, then times them.

The plant is `kiosk demo --scale` (kiosk.services.plant.scale_demo) at QK_BENCH_SCALE
(default 1: 2,000 people, 50,000 defects, 1,000,000 ledger rows; seeding it takes
minutes); the smoke test uses a tiny scale.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta

from bench import Result, engine_url, median_seconds
from bench.board import HAND_WRITTEN, hand_written_totals
from kiosk.caller import Caller
from kiosk.clock import FrozenClock, to_local
from kiosk.services.defects.defect_states import OPEN_STATUSES
from kiosk.services.lines.inspections import iso_week
from kiosk.services.lines.lines import local_day_bounds
from kiosk.services.lines.suppliers import SOURCE as INCOMING
from kiosk.services.platform import database as database_service
from kiosk.services.platform.ledger_check import LAST_CHECK, last_check
from kiosk.services.reports import kpis, reports
from models import db

TARGET = 1.5
REPEAT = 15
CLOCK = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
TOP_PEOPLE, OVERDUE_SHOWN, SUSPICIOUS_LIMIT = (
    reports.TOP_PEOPLE,
    reports.OVERDUE_SHOWN,
    reports.SUSPICIOUS_LIMIT,
)

CAMPAIGN = (
    "SELECT id, starts_on, ends_on, supplier_risk_share_percent, suspicious_self_reports, "
    "suspicious_fix_hours FROM campaign WHERE active ORDER BY starts_on DESC LIMIT 1"
)
FIGURES = """
WITH per_supplier AS (
  SELECT supplier_id, COUNT(*) AS n,
         SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS critical
  FROM defect WHERE source = ? AND reported_at >= ? AND reported_at < ?
  GROUP BY supplier_id)
SELECT d.due, d.on_time, d.open, d.overdue, d.critical_closed,
  (SELECT COUNT(DISTINCT a.employee_id) FROM assessment a
     JOIN employee e ON e.id = a.employee_id
   WHERE e.active AND a.passed AND a.campaign_id = ?),
  (SELECT COUNT(*) FROM employee WHERE active),
  (SELECT COUNT(*) FROM per_supplier WHERE supplier_id IS NOT NULL
     AND (n * 100 >= ? * (SELECT SUM(n) FROM per_supplier) OR critical > 0)),
  (SELECT COUNT(*) FROM supplier WHERE active),
  (SELECT l.code || ' ' || l.name FROM line_evaluation v
     JOIN production_line l ON l.id = v.winner_id
   ORDER BY v.evaluated_at DESC, v.id DESC LIMIT 1)
FROM (SELECT
  COALESCE(SUM(CASE WHEN due_at <= ? OR (verified_at IS NOT NULL AND verified_at <= due_at)
                    THEN 1 ELSE 0 END), 0) AS due,
  COALESCE(SUM(CASE WHEN verified_at IS NOT NULL AND verified_at <= due_at
                    THEN 1 ELSE 0 END), 0) AS on_time,
  COALESCE(SUM(CASE WHEN status IN ({open}) THEN 1 ELSE 0 END), 0) AS open,
  COALESCE(SUM(CASE WHEN status IN ({open}) AND due_at < ? THEN 1 ELSE 0 END), 0) AS overdue,
  COALESCE(SUM(CASE WHEN severity = 'critical' AND status = 'closed'
                    THEN 1 ELSE 0 END), 0) AS critical_closed
  FROM defect WHERE campaign_id = ?) d
"""
YIELDS = (
    "SELECT l.code, l.name, COALESCE(SUM(c.produced), 0), COALESCE(SUM(c.passed_first), 0) "
    "FROM production_line l LEFT JOIN production_count c "
    "ON c.line_id = l.id AND c.day >= ? AND c.day <= ? "
    "WHERE l.active GROUP BY l.code, l.name ORDER BY l.code"
)
BY_TEAM = (
    "SELECT t.name, SUM(p.ontime_entries), SUM(p.overdue_entries), SUM(p.overdue_amount) "
    "FROM ledger_team_person p JOIN team t ON t.id = p.team_id WHERE p.campaign_key = ? "
    "GROUP BY t.name HAVING SUM(p.ontime_entries) > 0 OR SUM(p.overdue_entries) > 0"
)
TOP = (
    "SELECT e.name, t.name, SUM(p.amount) FROM ledger_team_person p "
    "JOIN employee e ON e.id = p.employee_key JOIN team t ON t.id = p.team_id "
    "WHERE p.campaign_key = ? GROUP BY e.name, t.name HAVING SUM(p.amount) > 0 "
    f"ORDER BY SUM(p.amount) DESC, e.name LIMIT {TOP_PEOPLE}"
)
OVERDUE = (
    "SELECT d.id, s.code, t.name, d.severity, d.status, d.description, d.due_at, "
    "(SELECT COUNT(*) FROM defect WHERE status IN ({open}) AND due_at < ?) "
    "FROM defect d JOIN station s ON s.id = d.station_id "
    "JOIN team t ON t.id = d.team_id WHERE d.status IN ({open}) AND d.due_at < ? "
    f"ORDER BY d.due_at, d.id LIMIT {OVERDUE_SHOWN}"
)
MISSING = (
    "SELECT l.code, CASE WHEN EXISTS (SELECT 1 FROM inspection i WHERE i.line_id = l.id "
    "AND i.week = ?) THEN 'in progress' ELSE 'not inspected' END FROM production_line l "
    "WHERE l.active AND NOT EXISTS (SELECT 1 FROM inspection i WHERE i.line_id = l.id "
    "AND i.week = ? AND i.completed_at IS NOT NULL) ORDER BY l.code"
)
SUSPICIOUS = (
    "SELECT t.name, COUNT(d.id) FROM defect d JOIN team t ON t.id = d.team_id "
    "JOIN employee r ON r.id = d.reporter_id WHERE r.team_id = d.team_id "
    "AND d.fixed_at IS NOT NULL AND {within} AND d.campaign_id = ? GROUP BY t.name "
    f"HAVING COUNT(d.id) >= ? ORDER BY COUNT(d.id) DESC, t.name LIMIT {SUSPICIOUS_LIMIT}"
)
WITHIN = {
    "postgresql": "d.fixed_at <= d.reported_at + make_interval(hours => ?)",
    "sqlite": "julianday(d.fixed_at) <= julianday(d.reported_at) + ? / 24.0",
}
POINTS_BY_DAY = (
    "SELECT team_id, {day}, SUM(amount) FROM ledger_team_hour WHERE campaign_key = ? "
    "AND team_id IN ({teams}) GROUP BY 1, 2"
)
REPORTED_BY_DAY = (
    "SELECT {day}, COUNT(*) FROM defect WHERE campaign_id = ? AND reported_at >= ? "
    "AND reported_at < ? GROUP BY 1"
)
SETTING = "SELECT value FROM plant_setting WHERE key = ?"


class HandWritten:
    """The board's rows by plain SQL on one driver connection (`?` becomes `%s` there)."""

    def __init__(self, driver_connection, engine: str) -> None:
        self.connection = driver_connection
        self.postgresql = engine == "postgresql"
        self.open = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
        self.within = WITHIN[engine]

    def rows(self, sql: str, *params: object) -> list[tuple]:
        if self.postgresql:
            sql = sql.replace("?", "%s")
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()

    def totals(self, campaign: int) -> list[tuple]:
        sql = HAND_WRITTEN.format(param="%s" if self.postgresql else "?")
        return hand_written_totals(self.connection, sql, campaign)

    def campaign(self) -> tuple:
        (row,) = self.rows(CAMPAIGN)
        return (row[0], _day(row[1]), _day(row[2]), *row[3:])

    def refresh(self, now: datetime) -> dict[str, object]:
        """Every panel, as the board reads them on a full refresh."""
        return {**self.summary(now), **self.red_black(now), **self.charts(now), **self.check()}

    def summary(self, now: datetime) -> dict[str, object]:
        campaign, starts, ends, risk_share, *_rules = self.campaign()
        first, last = _period(starts, ends, to_local(now).date())
        after = _utc(local_day_bounds(first, last)[1])
        stamp = _utc(now)
        sql = FIGURES.format(open=self.open)
        begun = _utc(local_day_bounds(first, last)[0])
        (figures,) = self.rows(
            sql, INCOMING, begun, after, campaign, risk_share, stamp, stamp, campaign
        )
        return {
            "figures": tuple(_int_or(value) for value in figures),
            "yields": [tuple(_int_or(v) for v in row) for row in self.rows(YIELDS, first, last)],
            "summary totals": self.totals(campaign),
        }

    def red_black(self, now: datetime) -> dict[str, object]:
        campaign, _starts, _ends, _risk, self_reports, fix_hours = self.campaign()
        ranked = self.totals(campaign)
        points = {name: total for _id, _code, name, total, _rank in ranked}
        by_team = self.rows(BY_TEAM, campaign)
        on_time = sorted(
            ((name, int(n), points.get(name, 0)) for name, n, _late, _lost in by_team if n),
            key=lambda row: (-row[1], -row[2], row[0]),
        )
        late = sorted(
            ((name, int(n), int(lost)) for name, _n, n, lost in by_team if n),
            key=lambda row: (row[2], row[0]),
        )
        overdue = self.rows(OVERDUE.format(open=self.open), _utc(now), _utc(now))
        hours = fix_hours if self.postgresql else float(fix_hours)
        suspicious = self.rows(SUSPICIOUS.format(within=self.within), hours, campaign, self_reports)
        week = iso_week(now)
        return {
            "on time": on_time,
            "late": late,
            "top teams": [row for row in ranked if row[3] > 0][:3],
            "top people": [
                (name, team, int(total)) for name, team, total in self.rows(TOP, campaign)
            ],
            "overdue": [_overdue(row[:7]) for row in overdue],
            "overdue total": overdue[0][7] if overdue else 0,
            "missing": self.rows(MISSING, week, week),
            "suspicious": [(name, int(n)) for name, n in suspicious],
        }

    def charts(self, now: datetime) -> dict[str, object]:
        campaign, starts, ends, *_rules = self.campaign()
        today = to_local(now).date()
        first, last = _period(starts, ends, today)
        last = min(last, today) if first <= today else last
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        charted = self.totals(campaign)[: kpis.CHARTED_TEAMS]  # the chart's best teams only
        hour_case, hour_params = _day_case("hour", days, before=True)
        teams = [row[0] for row in charted]
        points_sql = POINTS_BY_DAY.format(day=hour_case, teams=", ".join("?" * len(teams)))
        amounts = self.rows(points_sql, *hour_params, campaign, *teams) if teams else []
        daily = {team: [0] * (len(days) + 1) for team in teams}  # [before, day 0, ...]
        for team, day, amount in amounts:
            if team in daily and day is not None:
                daily[team][int(day) + 1] += int(amount)
        report_case, report_params = _day_case("reported_at", days, before=False)
        begun, after = (_utc(bound) for bound in local_day_bounds(days[0], days[-1]))
        reported = [0] * len(days)
        for day, count in self.rows(
            REPORTED_BY_DAY.format(day=report_case), *report_params, campaign, begun, after
        ):
            reported[int(day)] = int(count)
        series = []
        for team_id, _code, name, _points, _rank in charted:
            running, cumulative = daily[team_id][0], []
            for amount in daily[team_id][1:]:
                running += amount
                cumulative.append(running)
            series.append((name, tuple(cumulative)))
        return {
            "days": tuple(day.strftime("%m-%d") for day in days),
            "team points": tuple(series),
            "reported": tuple(reported),
        }

    def check(self) -> dict[str, object]:
        rows = self.rows(SETTING, LAST_CHECK)
        return {"ledger check": rows[0][0] if rows else None}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the tables store it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _int_or(value: object) -> object:
    """Counts as int (PostgreSQL's SUM of a bigint is a Decimal); text as it is."""
    return value if value is None or isinstance(value, str) else int(value)  # type: ignore[call-overload]


def _period(starts: date, ends: date, today: date) -> tuple[date, date]:
    if starts <= today <= ends:
        return starts, ends
    return today - timedelta(days=kpis.RECENT_DAYS - 1), today


def _day_case(column: str, days: list[date], *, before: bool) -> tuple[str, list[datetime]]:
    """CASE giving the local day's number (0, 1, ...) of a UTC time (-1 before the first day
    when `before`; NULL after the last)."""
    branches, params = [], []
    if before:
        branches.append(f"WHEN {column} < ? THEN -1")
        params.append(_utc(local_day_bounds(days[0], days[0])[0]))
    for number, day in enumerate(days):
        branches.append(f"WHEN {column} < ? THEN {number}")
        params.append(_utc(local_day_bounds(day, day)[1]))
    return f"CASE {' '.join(branches)} END", params


def _overdue(row: tuple) -> tuple:
    defect_id, station, team, severity, status, description, due_at = row
    if isinstance(due_at, str):
        due_at = datetime.fromisoformat(due_at)
    return (
        uuid.UUID(str(defect_id)),
        station,
        team,
        severity,
        status,
        description,
        _utc_naive(due_at),
    )


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def service_refresh(now_clock: FrozenClock) -> dict[str, object]:
    """The board's own reads, each a unit of work, as the board runs them on a refresh."""
    summary = kpis.board_summary(Caller.system(now_clock))
    board = reports.red_black(Caller.system(now_clock))
    series = kpis.daily_series(Caller.system(now_clock))
    check = last_check()
    return {"summary": summary, "red-black": board, "charts": series, "check": check}


def service_rows(refresh: dict[str, object]) -> dict[str, object]:
    """The rows the board's services returned, in the hand-written side's shapes."""
    summary: kpis.BoardSummary = refresh["summary"]  # type: ignore[assignment]
    board: reports.RedBlackList = refresh["red-black"]  # type: ignore[assignment]
    series: kpis.DailySeries = refresh["charts"]  # type: ignore[assignment]
    check = refresh["check"]
    return {
        "figures": (
            summary.due,
            summary.verified_on_time,
            summary.open_defects,
            summary.overdue_defects,
            summary.critical_resolved,
            summary.coverage_passed,
            summary.coverage_total,
            summary.high_risk_suppliers,
            summary.active_suppliers,
            summary.flag_line,
        ),
        "yields": [tuple(line) for line in _as_tuples(summary.line_yields)],
        "summary totals": [tuple(total) for total in summary.team_totals],
        "on time": [(t.team_name, t.on_time, t.points) for t in board.on_time_teams],
        "late": [(t.team_name, t.penalties, t.points_lost) for t in board.late_teams],
        "top teams": [tuple(total) for total in board.top_teams],
        "top people": [(p.name, p.team_name, p.points) for p in board.top_people],
        "overdue": [
            (
                uuid.UUID(d.id),
                d.station_code,
                d.team_name,
                d.severity,
                d.status,
                d.description,
                _utc_naive(d.due_at),
            )
            for d in board.overdue_defects
        ],
        "overdue total": board.overdue_total,
        "missing": [(line.code, line.status) for line in board.missing_inspections],
        "suspicious": [(t.team_name, t.quick_self_fixes) for t in board.suspicious_teams],
        "days": series.days,
        "team points": series.team_points,
        "reported": series.defects_reported,
        "ledger check": None if check is None else "present",
    }


def _as_tuples(lines) -> list[tuple]:
    return [(y.line_code, y.line_name, y.produced, y.passed_first) for y in lines]


def _first_difference(key: str, services: object, hand: object) -> str:
    """Where two panels' rows part (the whole values run to thousands of characters)."""
    if isinstance(services, list | tuple) and isinstance(hand, list | tuple):
        for n, (mine, theirs) in enumerate(zip(services, hand, strict=False)):
            if mine != theirs:
                return f"{key}, row {n}: {mine!r} vs {theirs!r}"[:600]
        return f"{key}: {len(services)} rows vs {len(hand)}"
    return f"{key}: {services!r} vs {hand!r}"[:600]


def _compare(services: dict[str, object], hand: dict[str, object]) -> None:
    if hand["ledger check"] is not None:
        hand = {**hand, "ledger check": "present"}
    differ = [key for key in services if services[key] != hand[key]]
    if differ:
        details = "; ".join(_first_difference(key, services[key], hand[key]) for key in differ)
        raise AssertionError(f"the board's services and the hand-written SQL disagree: {details}")


def seed(url: str, scale: float) -> None:
    from kiosk.services.plant.scale_demo import seed_plant

    database_service.open_database(url)
    database_service.upgrade(CLOCK)
    seed_plant(Caller.system(CLOCK), scale)
    with db.connection() as database:
        database.execute_sql("ANALYZE")


def measure(engine: str, repeat: int = REPEAT) -> tuple[float, float]:
    """(median seconds of the services' refresh, of the hand-written one) on the bound
    database, after checking both give the same rows."""
    with db.connection() as database:
        hand = HandWritten(database.connection(), engine)
        now = CLOCK.now()
        _compare(service_rows(service_refresh(CLOCK)), hand.refresh(now))
        services, written = [], []
        for _ in range(repeat):  # in turn, so a change in the machine's load hits both alike
            services.append(median_seconds(lambda: service_refresh(CLOCK), 1))
            written.append(median_seconds(lambda: hand.refresh(now), 1))
    return statistics.median(services), statistics.median(written)


def run(engine: str, server_url: str | None = None) -> list[Result]:
    scale = float(os.environ.get("QK_BENCH_SCALE", "1"))
    with (
        tempfile.TemporaryDirectory() as folder,
        engine_url(engine, "qk_bench_board_refresh", folder, server_url) as url,
    ):
        seed(url, scale)
        services, written = measure(engine)
        db.close_all()
    return [
        Result(
            f"board refresh vs hand-written SQL ({engine})",
            f"all panels at scale {scale:g}: {services * 1e3:.1f} ms by the board's services, "
            f"{written * 1e3:.1f} ms by hand-written SQL (same rows checked first)",
            services / written,
            TARGET,
        )
    ]
