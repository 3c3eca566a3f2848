"""The test databases' starting point: a migrated database, or the demo plant seeded at START."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from models import db

START = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)  # the demo campaign's tenth day, 08:00 UTC


def build(url: str, step: str) -> None:
    """Migrate the empty database at `url`; for step "demo" seed the demo plant at START too."""
    database_service.open_database(url)
    database_service.upgrade(FrozenClock(START))
    if step == "demo":
        seed_demo_plant(Caller.system(FrozenClock(START)))
    db.close_all()
