"""Each main read's plan uses the index kept for it (schema steps 17 to 26), on both engines:
SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN with sequential scans priced out (so
the plan shows that the index is usable, whatever the table's size here)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from kiosk.caller import Caller
from kiosk.services.defects import lifecycle, proposals, worklist
from kiosk.services.lines import anomalies, suppliers
from kiosk.services.plant.stations import lookup_station
from kiosk.services.reports import kpis, reports
from kiosk.services.training import assessments, contests
from models import Defect, Team, db
from models.contests import Contest


class _Queries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, tuple]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, tuple):
            self.seen.append(record.msg)


def queries_of(read: Callable[[], object]) -> list[tuple[str, tuple]]:
    """The SQL a read runs, as Peewee logs it."""
    handler = _Queries()
    peewee_log = logging.getLogger("peewee")
    level = peewee_log.level
    peewee_log.addHandler(handler)
    peewee_log.setLevel(logging.DEBUG)
    try:
        read()
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    return handler.seen


def plan(sql: str, params: tuple) -> str:
    with db.connection() as database, database.atomic():
        if db.is_postgresql():
            database.execute_sql("SET LOCAL enable_seqscan = off")
            rows = database.execute_sql("EXPLAIN " + sql, params).fetchall()
        else:
            rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


@pytest.fixture
def grown(demo_plant, clock, copy_of_template):
    # grow_plant(employees=300, defects=2000, ledger=2000, crowded_team="T1"), then, as a
    # running server keeps them, statistics and the visibility map that lets PostgreSQL
    # read a covering index alone (VACUUM ANALYZE): grown once per process, copied here
    copy_of_template("grown_plans")


def crowded_team() -> int:
    with db.connection():
        return Team.get(Team.code == "T1").id


def a_defect() -> str:
    with db.connection():
        return str(Defect.select(Defect.id).order_by(Defect.reported_at).first().id)


def a_contests_points() -> dict[int, int]:
    with db.connection():
        return contests._points_by_team(Contest(id=1))


READS = {
    "worklist of a team": (
        lambda clock: worklist.worklist_page(Caller.system(clock), crowded_team()),
        "ORDER BY CASE",
        "defect_team_worklist",
    ),
    "red-black overdue defects": (
        lambda clock: reports.red_black(Caller.system(clock)),
        '"t1"."due_at" <',
        "defect_status_due",
    ),
    "supplier ranking": (
        lambda clock: suppliers.supplier_ranking(Caller.system(clock)),
        '"source" =',
        "defect_source_reported",
    ),
    "daily points": (
        lambda clock: kpis.daily_series(Caller.system(clock)),
        '"ledger_team_hour"',
        "ledger_team_hour",
    ),
    "board figures due today": (
        lambda clock: kpis.board_summary(Caller.system(clock)),
        'WHERE ((("t1"."due_at" >=',
        "defect_campaign_due_at",
    ),
    "on-time awards of a team today (farming cap)": (
        lambda clock: lifecycle.ontime_awards_today(crowded_team(), clock.now()),
        "SUBSTR(idempotency_key",
        "ledger_entry_ontime_awards",
    ),
    "proposals waiting for review": (
        lambda clock: proposals._review_queue(0, 50),
        '"status" =',
        "proposal_status_submitted",
    ),
    "station lookup": (
        lambda clock: lookup_station(Caller.system(clock), "L1-S01"),
        "NOT IN ('verified', 'closed')",
        "defect_station_open_due",
    ),
    # schema step 24: the page of missing people reads their teams' range of its index
    "coverage's missing people": (
        lambda clock: assessments.coverage_page(offset=40, limit=20),
        "EXISTS",
        "employee_coverage_group",
    ),
    # schema step 26: the ledger rows of one cause
    "a defect's points (defect detail)": (
        lambda clock: lifecycle.defect_detail(Caller.system(clock), a_defect()),
        '"cause_id" =',
        "ledger_entry_cause",
    ),
    "a contest's points by team (scoreboard)": (
        lambda clock: a_contests_points(),
        '"cause_id" =',
        "ledger_entry_cause",
    ),
}


# the defects' rollups (schema steps 18 and 21), read by a range of their keys (SQLite: WITHOUT
# ROWID tables, read by their primary key)
READS.update(
    {
        name: (
            lambda clock, service=service: service(Caller.system(clock)),
            f'"{table}"',
            ("PRIMARY KEY", f"{table}_pkey"),
        )
        for name, table, service in (
            ("board figures", "defect_campaign_due", kpis.board_summary),
            ("supplier ranking counts", "defect_day_source", suppliers.supplier_ranking),
            ("anomaly pareto", "defect_day_source", anomalies.anomaly_pareto),
            ("defects reported per day", "defect_campaign_hour", kpis.daily_series),
            # schema step 21's
            ("red-black farming marks", "defect_quick_fix", reports.red_black),
            # schema step 24's
            ("board coverage tile", "coverage_passed", kpis.board_summary),
        )
    }
)


@pytest.mark.parametrize("name", list(READS))
def test_each_main_read_uses_its_index(grown, clock, name):
    read, marker, index = READS[name]
    found = [(sql, params) for sql, params in queries_of(lambda: read(clock)) if marker in sql]
    assert found, f"{name}: no query with {marker}"
    plans = [plan(sql, params) for sql, params in found]
    names = (index,) if isinstance(index, str) else index
    if not db.is_postgresql():
        names = names[:1]
    assert any(n in text for n in names for text in plans), f"{name}: {plans}"
