"""Training coverage kept by the database (schema step 24): the coverage screen's figures
and page of missing people, and the board's coverage tile, read the rollups and return
exactly what the report counted from every employee and attempt says (the slow reference),
on the demo plant and a grown one, with and without an active campaign; the rollups equal
the employees and assessments counted again after each kind of write, concurrent writes and
a rolled-back transaction; a direct write to them is refused."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta

import psycopg
import pytest

from kiosk.caller import Caller
from kiosk.services.reports import kpis
from kiosk.services.training import assessments
from models import Campaign, Employee, Team, db
from models.assessments import Assessment
from models.db import write_transaction
from tests.helpers.rollups import (
    app_role_demo_plant,
    coverage_counted_again,
    coverage_kept,
    rebuilt_equals_kept,
    sqlite_demo_plant,
)
from tests.helpers.threads import run_workers


@pytest.fixture(params=["demo", "grown"])
def plant(request, demo_plant, clock, copy_of_template) -> str:
    if request.param == "grown":
        copy_of_template("grown")  # the demo plant after grow_plant(), grown once per process
    return request.param


def assert_coverage_as_the_report_says(page_size: int = 37) -> None:
    """The screen's figures and every page of missing people equal the report's (every
    employee and attempt read in Python), and the board tile's counts too."""
    report = assessments.coverage_report()
    page = assessments.coverage_page(limit=page_size)
    assert (page.overall, page.by_department, page.by_team) == (
        report.overall,
        report.by_department,
        report.by_team,
    )
    shown = []
    for offset in range(0, page.missing_total + page_size, page_size):
        part = assessments.coverage_page(offset=offset, limit=page_size)
        assert part.missing_total == len(report.missing)
        shown.extend(part.missing)
    assert shown == list(report.missing)  # every row once, in the report's order
    campaign = Campaign.get_or_none(Campaign.active)
    overall = report.overall
    assert assessments.coverage_counts(campaign) == (overall.passed, overall.total)


def test_coverage_reads_the_rollups_as_the_report_counts(plant, clock):
    with db.connection():
        assert coverage_kept() == coverage_counted_again()
        assert_coverage_as_the_report_says()
        summary = kpis.board_summary(Caller.system(clock))
        report = assessments.coverage_report()
        assert (summary.coverage_passed, summary.coverage_total) == (
            report.overall.passed,
            report.overall.total,
        )
        # no active campaign: a pass in any campaign counts
        Campaign.update(active=False).execute()
        assert_coverage_as_the_report_says(page_size=50)
        assert assessments.coverage_counts(None)[0] >= report.overall.passed
    assert rebuilt_equals_kept()


def _attempt(employee: int, campaign: int | None, passed: bool, now) -> dict:
    return {
        "id": uuid.uuid4(),
        "employee": employee,
        "campaign": campaign,
        "item_count": 10,
        "pass_mark_percent": 80,
        "started_at": now,
        "finished_at": now + timedelta(minutes=9),
        "score": 9 if passed else 3,
        "passed": passed,
    }


def test_the_coverage_rollups_follow_each_write_that_changes_them(plant, clock):
    now = clock.now()
    with db.connection() as database:
        campaign = Campaign.get(Campaign.active).id
        teams = [t.id for t in Team.select().order_by(Team.id)]
        people = [e.id for e in Employee.select().where(Employee.active).order_by(Employee.id)]
        first, second = people[:2]

        def write(*queries) -> None:
            with write_transaction(database):
                for query in queries:
                    query.execute()
            assert coverage_kept() == coverage_counted_again()

        one = _attempt(first, campaign, True, now)
        write(Assessment.insert(one))  # a first pass
        write(Assessment.insert(_attempt(first, campaign, True, now)))  # a second pass
        write(Assessment.insert(_attempt(first, None, True, now)))  # one in no campaign
        write(Assessment.insert(_attempt(second, campaign, False, now)))  # a fail
        assert_coverage_as_the_report_says()
        # moves team, department, both; leaves the team; goes inactive and back
        write(Employee.update(team=teams[-1]).where(Employee.id == first))
        write(Employee.update(department="Moved").where(Employee.id == first))
        write(Employee.update(team=teams[0], department="Quality").where(Employee.id == first))
        write(Employee.update(team=None).where(Employee.id == first))
        write(Employee.update(active=False).where(Employee.id == first))
        assert_coverage_as_the_report_says()
        write(Employee.update(active=True, team=teams[1]).where(Employee.id == first))
        # a pass moved to another person and campaign, a fail that becomes a pass
        write(Assessment.update(employee=second).where(Assessment.id == one["id"]))
        write(Assessment.update(campaign=None).where(Assessment.id == one["id"]))
        write(
            Assessment.update(passed=True, score=9).where(
                (Assessment.employee == second) & (Assessment.passed == False)  # noqa: E712
            )
        )
        assert_coverage_as_the_report_says()
        # attempts deleted one and all at once; a new person and one deleted
        write(Assessment.delete().where(Assessment.id == one["id"]))
        write(Assessment.delete().where(Assessment.employee.in_([first, second])))
        write(Employee.insert(badge_code="ZNEW", name="New Person", department="Quality"))
        write(Employee.delete().where(Employee.badge_code == "ZNEW"))
        # bulk: everyone moves to one team, then half of them pass in one statement
        write(Employee.update(team=teams[2]).where(Employee.id.in_(people[::3])))
        write(Assessment.insert_many([_attempt(p, campaign, True, now) for p in people[::2]]))
        write(Employee.update(active=False).where(Employee.id.in_(people[::5])))
        assert_coverage_as_the_report_says()
        # a team removed: its members have no team (the key's ON DELETE SET NULL)
        gone = Team.create(code="TGONE", name="Gone")
        write(Employee.update(team=gone.id).where(Employee.id.in_(people[1::4])))
        write(Team.delete().where(Team.id == gone.id))
        assert_coverage_as_the_report_says()
    assert rebuilt_equals_kept()


def test_the_coverage_rollups_stay_equal_after_concurrent_and_interrupted_writes(demo_plant, clock):
    """Kiosks finishing attempts (passes and fails, the same people on several threads)
    while people move between teams and go inactive; then a transaction that fails."""
    now = clock.now()
    with db.connection():
        campaign = Campaign.get(Campaign.active).id
        teams = [t.id for t in Team.select().order_by(Team.id)][:3]
        people = [e.id for e in Employee.select().where(Employee.active).order_by(Employee.id)]
        people = people[:6]

    def run(worker: int) -> None:
        for n in range(6):
            person = people[(worker + n) % len(people)]
            with db.connection() as database, write_transaction(database):
                Assessment.insert(_attempt(person, campaign, (worker + n) % 3 != 0, now)).execute()
            with db.connection() as database, write_transaction(database):
                team = teams[(worker * n) % len(teams)]
                active = (worker + n) % 4 != 0
                Employee.update(team=team, active=active).where(Employee.id == person).execute()
            if n % 3 == 2:
                with db.connection() as database, write_transaction(database):
                    Assessment.delete().where(
                        (Assessment.employee == person) & (Assessment.passed == True)  # noqa: E712
                    ).execute()

    run_workers(run, 5)
    with db.connection() as database:
        kept = coverage_kept()
        assert kept == coverage_counted_again()
        with pytest.raises(RuntimeError), write_transaction(database):  # then the power goes
            Assessment.insert_many([_attempt(p, campaign, True, now) for p in people]).execute()
            Employee.update(team=teams[0], active=True).where(Employee.id.in_(people)).execute()
            Assessment.delete().where(Assessment.employee.in_(people[:2])).execute()
            raise RuntimeError("interrupted")
        assert coverage_kept() == kept == coverage_counted_again()
        Employee.update(active=True).execute()
        assert_coverage_as_the_report_says()
    assert rebuilt_equals_kept()


DIRECT_WRITES = (
    "UPDATE coverage_employees SET employees = employees + 1",
    "INSERT INTO coverage_employees (department, team_key, employees) VALUES ('Quality', 1, 9)",
    "DELETE FROM coverage_employees",
    "UPDATE coverage_passed SET employees = employees + 1",
    "INSERT INTO coverage_passed (campaign_key, department, team_key, employees) "
    "VALUES (1, 'Quality', 1, 3)",
    "DELETE FROM coverage_passed",
    "INSERT INTO coverage_person (employee_id, campaign_key, passes) VALUES (1, 1, 2)",
    "UPDATE coverage_person SET passes = passes + 1",
    "DELETE FROM coverage_person",
)


def test_sqlite_refuses_direct_writes_to_the_coverage_rollups(tmp_path, clock):
    connection = sqlite_demo_plant(tmp_path / "plant.db", clock)
    with db.connection():
        Assessment.insert(_attempt(1, None, True, clock.now())).execute()
    try:
        tables = ("coverage_employees", "coverage_person", "coverage_passed")
        before = [connection.execute(f"SELECT * FROM {t}").fetchall() for t in tables]
        assert all(before)
        for statement in DIRECT_WRITES:
            with pytest.raises(sqlite3.DatabaseError, match="coverage rollups are kept by the"):
                connection.execute(statement)
        assert [connection.execute(f"SELECT * FROM {t}").fetchall() for t in tables] == before
    finally:
        connection.close()


def test_postgresql_application_role_cannot_write_the_coverage_rollups(two_roles, clock):
    # the kiosks run as the application role: the owner's trigger functions keep the rollups
    app_url = app_role_demo_plant(two_roles, clock)
    with db.connection():
        Assessment.insert(_attempt(1, None, True, clock.now())).execute()
        assert coverage_kept() == coverage_counted_again()
        assert coverage_kept()[1]
    connection = psycopg.connect(app_url, autocommit=True)
    try:
        for statement in (*DIRECT_WRITES, "TRUNCATE coverage_passed"):
            with pytest.raises(psycopg.Error, match="permission denied"):
                connection.execute(statement)
    finally:
        connection.close()
