"""Each board and kiosk read at plant scale vs the same read on the demo plant, and the
worklist of a team with 5,000 open defects vs a team with 20.

The plant is `kiosk demo --scale` (kiosk.services.plant.scale_demo) at QK_BENCH_SCALE
(default 1: 2,000 active employees, 50,000 defects in the active campaign, 1,000,000
ledger rows; seeding it takes minutes), plus 5,000 open defects for one team and 20 for a
new one; the demo side is the demo plant.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from bench import Result, engine_url, median_seconds
from bench.board import _plant
from bench.board_refresh import seed
from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.defects import worklist
from kiosk.services.lines import anomalies, suppliers
from kiosk.services.plant.stations import lookup_station
from kiosk.services.reports import kpis, reports
from kiosk.services.training import assessments
from models import Defect, Station, Team, db

SCALE = float(os.environ.get("QK_BENCH_SCALE", "1"))  # of `kiosk demo --scale plant`
TARGET_READ = 3.0
TARGET_WORKLIST = 2.0
CLOCK = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
REPEAT = 20


def _reads(crowded: int, station: str) -> dict[str, Callable[[], object]]:
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
        "station lookup": lambda: lookup_station(Caller.system(clock), station),
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


def run(engine: str, server_url: str | None = None) -> list[Result]:
    timings = {}
    worklists = {}
    for size in ("demo", "plant"):
        with (
            tempfile.TemporaryDirectory() as folder,
            engine_url(engine, f"qk_bench_reads_{size}", folder, server_url) as url,
        ):
            if size == "plant":
                seed(url, SCALE)  # `kiosk demo --scale`: the demo plant grown to a plant
            else:
                _plant(url)
            with db.connection():
                crowded = Team.get(Team.code == "T1")
                quiet = Team.create(code="TQ", name="Quiet Team", kind="line")
                station = Station.select().order_by(Station.id).first().code
            if size == "plant":
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
            db.close_all()
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
