"""Each board and kiosk read at plant scale vs the same read on the demo plant, and the
worklist of a team with 5,000 open defects vs a team with 20.

The plant is `kiosk demo --scale` (kiosk.services.plant.scale_demo) at QK_BENCH_SCALE
(default 1: 2,000 active employees, 50,000 defects in the active campaign, 1,000,000
ledger rows; seeding it takes minutes), plus 5,000 open defects for one team and 20 for a
new one; the demo side is the demo plant. Both are seeded first and kept, then timed in
alternating blocks (ROUNDS of each), so a change in the machine's load during the run
hits both sides alike.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import NamedTuple

from bench import Result, engine_url, median_seconds
from bench.board import _plant
from bench.board_refresh import seed
from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.defects import lifecycle, proposals, worklist
from kiosk.services.lines import anomalies, lines, suppliers
from kiosk.services.plant.stations import lookup_station
from kiosk.services.platform.auth import identify_badge
from kiosk.services.reports import kpis, reports
from kiosk.services.training import assessments, contests
from models import Defect, Station, Team, db

SCALE = float(os.environ.get("QK_BENCH_SCALE", "1"))  # of `kiosk demo --scale plant`
TARGET_READ = 3.0
TARGET_WORKLIST = 2.0
CLOCK = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
REPEAT = 20
EVALUATION_DAYS = 7  # the period a line evaluation's suggestions cover here
# a demo defect on both plants: verified on time, so its detail shows its points
DETAIL_DEFECT = "Sealing area dusty; gasket surfaces contaminated."
REVIEWER = "E4001"  # the demo's quality admin: reviews proposals
HOST = "E1001"  # a leader: hosts the contest played on both plants


class Prepared(NamedTuple):
    """What one side's reads are asked about."""

    crowded: int  # the team with the long backlog (T1)
    quiet: int  # a team with 20 open defects (plant) or none (demo)
    station: str
    defect: str
    contest: int


def _reads(side: Prepared) -> dict[str, Callable[[], object]]:
    clock = CLOCK
    start = CLOCK.now().date() - timedelta(days=EVALUATION_DAYS)
    reviewer = Caller.of(identify_badge(REVIEWER), clock)
    return {
        "board KPI tiles": lambda: kpis.board_summary(Caller.system(clock)),
        "daily points chart": lambda: kpis.daily_series(Caller.system(clock)),
        "Red-Black List": lambda: reports.red_black(Caller.system(clock)),
        "coverage (page of missing)": lambda: assessments.coverage_page(),
        "supplier ranking": lambda: suppliers.supplier_ranking(Caller.system(clock)),
        "anomaly Pareto": lambda: anomalies.anomaly_pareto(Caller.system(clock)),
        "first-pass yield": lambda: kpis.board_yields(Caller.system(clock)),
        "team worklist": lambda: worklist.worklist_page(Caller.system(clock), side.crowded),
        "station lookup": lambda: lookup_station(Caller.system(clock), side.station),
        "defect detail": lambda: lifecycle.defect_detail(Caller.system(clock), side.defect),
        "contest scoreboard": lambda: contests.scoreboard(side.contest),
        "proposals queue": lambda: proposals.review_queue(reviewer),
        "line evaluation suggestions": lambda: lines.evaluation_suggestions(
            start, CLOCK.now().date()
        ),
    }


def _play_contest() -> int:
    """A contest of the demo's two contest teams, five items answered by both (the same
    on both plants, through the services, so the scoreboard has points to sum)."""
    caller = Caller.of(identify_badge(HOST), CLOCK)
    teams = contests.contest_teams()[:2]
    contest = contests.create_contest(caller, "Bench contest", [t.code for t in teams])
    rng = random.Random(3)
    for _ in range(5):
        item = contests.draw_item(caller, contest.id, rng=rng).item
        assert item is not None
        for n, team in enumerate(teams):
            position = item.choices[n % len(item.choices)].position
            contests.submit_answer(caller, contest.id, item.number, team.id, position, member=1 + n)
    return contest.id


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


ROUNDS = 5  # demo and plant timed in alternating blocks, so a change in load hits both


def _prepare(size: str, url: str) -> Prepared:
    """Seed one side, and say what its reads are asked about."""
    if size == "plant":
        seed(url, SCALE)  # `kiosk demo --scale`: the demo plant grown to a plant
    else:
        _plant(url)
    with db.connection():
        crowded = Team.get(Team.code == "T1")
        quiet = Team.create(code="TQ", name="Quiet Team", kind="line")
        station = Station.select().order_by(Station.id).first().code
        defect = str(Defect.get(Defect.description == DETAIL_DEFECT).id)
    contest = _play_contest()
    if size == "plant":
        _open_defects(crowded, 5000, random.Random(1))
        _open_defects(quiet, 20, random.Random(2))
        with db.connection() as database:
            database.execute_sql("ANALYZE")
    return Prepared(crowded.id, quiet.id, station, defect, contest)


def _block(url: str, side: Prepared) -> dict[str, list[float]]:
    """One block of timings on the database at `url` (bound again first, one warm-up call
    of each read untimed), REPEAT // ROUNDS calls of each read."""
    db.bind(url)
    with db.connection():
        reads = _reads(side)
        reads["worklist of the quiet team"] = partial(
            worklist.worklist_page, Caller.system(CLOCK), side.quiet
        )
        samples: dict[str, list[float]] = {}
        for name, read in reads.items():
            read()  # warm: the first call after binding opens the connection
            samples[name] = [median_seconds(read, 1) for _ in range(max(REPEAT // ROUNDS, 1))]
    db.close_all()
    return samples


def run(engine: str, server_url: str | None = None) -> list[Result]:
    """Both plants are seeded first and kept; then their reads are timed in turn, ROUNDS
    blocks each, so the ratio compares two sets taken over the same minutes."""
    samples: dict[str, dict[str, list[float]]] = {"demo": {}, "plant": {}}
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        sides = {}
        for size in ("demo", "plant"):
            url = stack.enter_context(
                engine_url(engine, f"qk_bench_reads_{size}", folder, server_url)
            )
            sides[size] = (url, _prepare(size, url))
            db.close_all()
        for _ in range(ROUNDS):
            for size, (url, side) in sides.items():
                for name, taken in _block(url, side).items():
                    samples[size].setdefault(name, []).extend(taken)
    timings = {
        size: {name: statistics.median(taken) for name, taken in by_read.items()}
        for size, by_read in samples.items()
    }
    results = [
        Result(
            f"{read} plant vs demo ({engine})",
            f"{timings['plant'][read] * 1e3:.2f} ms at plant scale, "
            f"{timings['demo'][read] * 1e3:.2f} ms on the demo plant",
            timings["plant"][read] / timings["demo"][read],
            TARGET_READ,
        )
        for read in timings["demo"]
        if read != "worklist of the quiet team"
    ]
    crowded_ms = timings["plant"]["team worklist"]
    quiet_ms = timings["plant"]["worklist of the quiet team"]
    results.append(
        Result(
            f"worklist 5,000 open vs 20 ({engine})",
            f"{crowded_ms * 1e3:.2f} ms for a team with 5,000+ open defects, "
            f"{quiet_ms * 1e3:.2f} ms for one with 20",
            crowded_ms / quiet_ms,
            TARGET_WORKLIST,
        )
    )
    return results
