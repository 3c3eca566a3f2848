"""The test databases' starting points (templates copied for each test): a migrated database,
the demo plant seeded at START, or the demo plant grown by tests.helpers.plant_factory."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from models import db
from tests.helpers.plant_factory import grow_plant

START = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)  # the demo campaign's tenth day, 08:00 UTC


STEPS = ("migrated", "demo", "grown", "grown_plans")


def build(url: str, step: str) -> None:
    """Migrate the empty database at `url`; then, by step: "demo" seeds the demo plant at
    START; "grown" grows it with grow_plant(); "grown_plans" with the smaller plant of the
    query-plan tests (a crowded team T1), then ANALYZE (VACUUM ANALYZE on PostgreSQL) as a
    running server keeps its statistics and visibility map."""
    if step not in STEPS:
        raise ValueError(f"no template step {step!r}: one of {STEPS}")
    database_service.open_database(url)
    database_service.upgrade(FrozenClock(START))
    if step != "migrated":
        seed_demo_plant(Caller.system(FrozenClock(START)))
    if step == "grown":
        grow_plant()
    if step == "grown_plans":
        grow_plant(employees=300, defects=2000, ledger=2000, crowded_team="T1")
        with db.connection() as database:
            database.execute_sql("VACUUM ANALYZE" if db.is_postgresql(database) else "ANALYZE")
    db.close_all()
