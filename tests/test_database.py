"""Schema migrations, connection errors, the demo plant: on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from kiosk.caller import Caller
from kiosk.errors import DatabaseUnavailable, ServiceError
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from models import Campaign, Employee, LedgerEntry, ProductionLine, Question, Station, Team, db
from models.migrations import LATEST_VERSION, current_version
from tests.helpers.schema import forget_steps_from


def test_upgrade_creates_schema_and_is_safe_to_repeat(db_url, clock):
    status = database_service.open_database(db_url)
    assert status.version == 0
    assert database_service.upgrade(clock) == list(range(1, LATEST_VERSION + 1))
    assert database_service.upgrade(clock) == []
    with db.connection() as database:
        assert current_version(database) == LATEST_VERSION
        assert database.table_exists("defect")
        assert database.table_exists("ledger_entry")


def test_concurrent_upgrades_apply_each_step_once(db_url, clock):
    database_service.open_database(db_url)
    results: list[list[int]] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            results.append(database_service.upgrade(clock))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, LATEST_VERSION]
    with db.connection() as database:
        assert current_version(database) == LATEST_VERSION


def test_demo_plant_has_what_the_issue_asks(demo_plant):
    with db.connection():
        assert ProductionLine.select().count() == 3
        assert Station.select().count() >= 12
        assert Team.select().where(Team.kind == "line").count() == 6
        assert 35 <= Employee.select().count() <= 45
        roles = {e.role for e in Employee.select()}
        assert roles == {"operator", "team_leader", "supervisor", "quality_admin"}
        assert Question.select().count() >= 30
        campaign = Campaign.get(Campaign.active)
        assert (campaign.starts_on.isoformat(), campaign.ends_on.isoformat()) == (
            "2025-09-01",
            "2025-09-30",
        )
        assert LedgerEntry.select().count() >= 3


def test_demo_refuses_a_real_plant(database, clock):
    with db.connection():
        Team.create(code="X", name="Real team")
    with pytest.raises(ServiceError, match="not the demo"):
        seed_demo_plant(Caller.system(clock))


def test_demo_seed_twice_keeps_one_plant(demo_plant, clock):
    seed_demo_plant(Caller.system(clock))
    with db.connection():
        assert Team.select().where(Team.kind == "line").count() == 6


def test_unreachable_postgres_names_host_and_database_not_password(tmp_path):
    url = "postgresql://kiosk:s3cret-pw@127.0.0.1:1/plantdb"
    with pytest.raises(DatabaseUnavailable) as caught:
        database_service.open_database(url)
    message = caught.value.message
    assert "plantdb" in message and "127.0.0.1" in message
    assert "s3cret-pw" not in message
    assert "\n" not in message


def test_bad_url_is_explained():
    with pytest.raises(DatabaseUnavailable, match="not valid"):
        database_service.open_database("mysql://x/y")


def test_step_7_adds_campaign_columns_to_an_older_database(db_url, clock):

    database_service.open_database(db_url)
    database_service.upgrade(clock)
    with db.connection() as database:
        Campaign.create(name="Older", starts_on="2025-09-01", ends_on="2025-09-30")
        for column in ("weight_5s", "weight_standard_ops", "weight_fpy", "critical_issue_target"):
            database.execute_sql(f"ALTER TABLE campaign DROP COLUMN {column}")
        forget_steps_from(database, 7)
    assert database_service.upgrade(clock) == list(range(7, LATEST_VERSION + 1))
    with db.connection():
        campaign = Campaign.get(Campaign.name == "Older")
        assert (campaign.weight_5s, campaign.weight_fpy, campaign.critical_issue_target) == (
            40,
            30,
            3,
        )


def test_step_11_makes_the_departments_employees_name_into_the_plants_list(db_url, clock):
    from models import Department, Employee

    database_service.open_database(db_url)
    database_service.upgrade(clock)
    with db.connection() as database:
        for badge, department in (("A1", "Assembly"), ("A2", "Assembly"), ("Q1", "质量部")):
            Employee.create(badge_code=badge, name=badge, department=department)
        database.execute_sql("DROP TABLE enrolment_code")
        database.execute_sql("DROP TABLE department")
        forget_steps_from(database, 11)
    assert database_service.upgrade(clock) == list(range(11, LATEST_VERSION + 1))
    with db.connection():
        names = sorted(d.name for d in Department.select().where(Department.active))
        assert names == ["Assembly", "质量部"]
