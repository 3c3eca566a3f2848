"""Each board and kiosk read at plant scale vs the same read on the demo plant, and the
worklist of a team with 5,000 open defects vs a team with 20.

The plant is grown from the demo plant by tests.helpers.plant_factory (bulk inserts: employees,
assessments, defects spread over teams, stations, states and dates) plus a bulk ledger
load (not yet `kiosk demo --scale`, which came later: a next step). PLANT below sets the
size (defaults: 2,000 employees, 20,000 defects, 200,000 ledger rows; QK_BENCH_SCALE=N
multiplies the defects and the ledger).
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bench import Result, median_seconds
from bench.board import _fill_ledger, _plant
from kiosk.clock import FrozenClock
from kiosk.services.defects import worklist
from kiosk.services.lines import anomalies, suppliers
from kiosk.services.plant.stations import lookup_station
from kiosk.services.platform.caller import Caller
from kiosk.services.reports import kpis, reports
from kiosk.services.training import assessments
from models import Defect, Station, Team, db
from tests.helpers.plant_factory import grow_plant

SCALE = int(os.environ.get("QK_BENCH_SCALE", "1"))
PLANT = {"employees": 2000, "defects": 20_000 * SCALE, "ledger_bulk": 200_000 * SCALE}
TARGET_READ = 3.0
TARGET_WORKLIST = 2.0
CLOCK = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
REPEAT = 20


def _reads(crowded: int, station: str) -> dict[str, object]:
    clock = CLOCK
    return {
        "board KPI tiles": lambda: kpis.board_summary(Caller.system(clock)),
        "daily points chart": lambda: kpis.daily_series(Caller.system(clock)),
        "Red-Black List": lambda: reports.red_black(Caller.system(clock)),
        "coverage (page of missing)": lambda: assessments.coverage_page(),
        "supplier ranking": lambda: suppliers.supplier_ranking(Caller.system(clock)),
        "anomaly Pareto": lambda: anomalies.anomaly_pareto(Caller.system(clock)),
        "first-pass yield": lambda: kpis.board_yields(Caller.system(clock)),
        "team worklist": lambda: worklist.worklist_page(Caller.system(clock), crowded),
        "station lookup": lambda: lookup_station(station, clock=clock),
    }


def _timed(crowded: int, station: str) -> dict[str, float]:
    with db.connection():
        reads = _reads(crowded, station)
        return {name: median_seconds(read, REPEAT) for name, read in reads.items()}


def _open_defects(team: Team, count: int, rng: random.Random) -> None:
    """`count` open defects of `team` at its own stations (or any), in bulk."""
    with db.connection() as database, database.atomic():
        stations = list(Station.select().order_by(Station.id))
        start = CLOCK.now() - timedelta(days=5)
        rows = []
        for n in range(count):
            station = rng.choice(stations)
            at = start + timedelta(minutes=rng.randrange(5 * 1440))
            rows.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "station": station.id,
                    "line": station.line_id,
                    "team": team.id,
                    "reporter": 1,
                    "category": "method",
                    "severity": "minor",
                    "source": "inspection",
                    "description": f"bench open defect {n}",
                    "status": rng.choice(("reported", "in_progress", "fixed", "verified")),
                    "reported_at": at,
                    "due_at": at + timedelta(hours=48),
                    "updated_at": at,
                }
            )
        for first in range(0, len(rows), 500):
            Defect.insert_many(rows[first : first + 500]).execute()


def _url(engine: str, folder: str, name: str, server_url: str | None) -> str:
    if engine == "sqlite":
        return f"sqlite:///{Path(folder) / f'{name}.db'}"
    from tests.helpers.pg import admin_execute, database_url

    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


def _drop(engine: str, name: str, server_url: str | None) -> None:
    db.close_all()
    if engine != "sqlite":
        from tests.helpers.pg import admin_execute

        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(engine: str, server_url: str | None = None) -> list[Result]:
    timings = {}
    worklists = {}
    for size in ("demo", "plant"):
        name = f"qk_bench_reads_{size}"
        with tempfile.TemporaryDirectory() as folder:
            campaign, teams = _plant(_url(engine, folder, name, server_url))
            with db.connection():
                crowded = Team.get(Team.code == "T1")
                quiet = Team.create(code="TQ", name="Quiet Team", kind="line")
                station = Station.select().order_by(Station.id).first().code
            if size == "plant":
                grow_plant(employees=PLANT["employees"], defects=PLANT["defects"], ledger=2000)
                _fill_ledger(PLANT["ledger_bulk"], campaign, teams)
                _open_defects(crowded, 5000, random.Random(1))
                _open_defects(quiet, 20, random.Random(2))
                with db.connection() as database:
                    database.execute_sql("ANALYZE")
            timings[size] = _timed(crowded.id, station)
            if size == "plant":
                with db.connection():
                    worklists = {
                        "crowded": median_seconds(
                            partial(worklist.worklist_page, Caller.system(CLOCK), crowded.id),
                            REPEAT,
                        ),
                        "quiet": median_seconds(
                            partial(worklist.worklist_page, Caller.system(CLOCK), quiet.id), REPEAT
                        ),
                    }
            _drop(engine, name, server_url)
    results = [
        Result(
            f"{read} plant vs demo ({engine})",
            f"{timings['plant'][read] * 1e3:.2f} ms at plant scale, "
            f"{timings['demo'][read] * 1e3:.2f} ms on the demo plant",
            timings["plant"][read] / timings["demo"][read],
            TARGET_READ,
        )
        for read in timings["demo"]
    ]
    results.append(
        Result(
            f"worklist 5,000 open vs 20 ({engine})",
            f"{worklists['crowded'] * 1e3:.2f} ms for a team with 5,000+ open defects, "
            f"{worklists['quiet'] * 1e3:.2f} ms for one with 20",
            worklists["crowded"] / worklists["quiet"],
            TARGET_WORKLIST,
        )
    )
    return results
