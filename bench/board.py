"""The team board query at 1M ledger rows vs 10k rows, and the ORM query vs hand-written SQL."""

from __future__ import annotations

import contextlib
import statistics
import tempfile
from datetime import UTC, datetime

from bench import Result, engine_url, median_seconds
from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from kiosk.services.platform.ledger import team_totals
from models import Campaign, Team, db
from models.migrations.v0009_running_totals import REBUILD
from models.migrations.v0018_defect_rollups import rebuild as rebuild_rollups

# the rows team_totals() ranks: every active line team with its points, best first
HAND_WRITTEN = (
    "SELECT t.id, t.code, t.name, COALESCE(SUM(p.points), 0) AS points "
    "FROM team t LEFT JOIN team_point_total p ON p.team_id = t.id AND p.campaign_key = {param} "
    "WHERE t.active AND t.kind = 'line' "
    "GROUP BY t.id, t.code, t.name ORDER BY points DESC, t.name"
)


def hand_written_totals(driver_connection, sql: str, campaign: int) -> list[tuple]:
    """The same result by hand: the driver's own cursor (no Peewee), ranks in a loop."""
    cursor = driver_connection.cursor()
    cursor.execute(sql, (campaign,))
    ranked = []
    previous = None
    rank = 0
    for position, (team_id, code, name, points) in enumerate(cursor.fetchall(), start=1):
        if points != previous:
            rank, previous = position, points
        ranked.append((team_id, code, name, int(points), rank))
    return ranked


def _fill_ledger(rows: int, campaign_id: int, team_ids: list[int]) -> None:
    """Append `rows` ledger rows in bulk (the running-total trigger fires for each)."""
    now = datetime(2025, 9, 15, tzinfo=UTC).replace(tzinfo=None)
    with db.connection() as database, database.atomic():
        if db.is_postgresql():
            team_array = ",".join(str(team) for team in team_ids)
            # a bulk load: skip the ledger's triggers (one transaction updating
            # the same six rows a million times piles up row versions) and rebuild the
            # totals from the ledger afterwards, as schema step 9 does
            database.execute_sql("SET LOCAL session_replication_role = replica")
            database.execute_sql(
                "INSERT INTO ledger_entry (campaign_id, team_id, amount, reason, cause_type, "
                "cause_id, idempotency_key, created_at) "
                f"SELECT %s, (ARRAY[{team_array}])[1 + (n %% {len(team_ids)})], "
                "CASE WHEN n %% 3 = 0 THEN -2 ELSE 2 END, 'bench', 'bench', n::text, "
                "'bench:' || n, %s FROM generate_series(1, %s) AS n",
                (campaign_id, now, rows),
            )
            database.execute_sql("SET LOCAL session_replication_role = origin")
            for statement in REBUILD:
                database.execute_sql(statement)
            # every rollup too: the ledger's (schema step 17) and the defects' (step 18),
            # so the reads measured read what the triggers would have kept
            rebuild_rollups(database)
            return
        batch = []
        for n in range(1, rows + 1):
            batch.append(
                (
                    campaign_id,
                    team_ids[n % len(team_ids)],
                    -2 if n % 3 == 0 else 2,
                    "bench",
                    "bench",
                    str(n),
                    f"bench:{n}",
                    now,
                )
            )
            if len(batch) == 50_000:
                _insert(database, batch)
                batch = []
        if batch:
            _insert(database, batch)


def _insert(database, batch) -> None:
    database.cursor().executemany(
        "INSERT INTO ledger_entry (campaign_id, team_id, amount, reason, cause_type, cause_id, "
        "idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


def _plant(url: str) -> tuple[int, list[int]]:
    clock = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
    database_service.open_database(url)
    database_service.upgrade(clock)
    seed_demo_plant(Caller.system(clock))
    with db.connection():
        campaign = Campaign.get(Campaign.active).id
        teams = [t.id for t in Team.select().where(Team.kind == "line")]
    return campaign, teams


def _query_seconds(campaign: int, repeat: int = 2000) -> tuple[float, float]:
    param = "%s" if db.is_postgresql() else "?"
    sql = HAND_WRITTEN.format(param=param)
    with db.connection() as database:
        driver = database.connection()
        assert [tuple(total) for total in team_totals(campaign)] == hand_written_totals(
            driver, sql, campaign
        ), "the service and the hand-written SQL disagree"
        orm = median_seconds(lambda: team_totals(campaign), repeat)
        raw = median_seconds(lambda: hand_written_totals(driver, sql, campaign), repeat)
    return orm, raw


ROUNDS = 5  # the two sizes timed in alternating blocks, so a change in load hits both


def _side(stack: contextlib.ExitStack, engine: str, rows: int, folder: str, server: str | None):
    """A database of the demo plant with `rows` ledger rows: (its URL, its campaign)."""
    url = stack.enter_context(engine_url(engine, f"qk_bench_{rows}", folder, server))
    campaign, teams = _plant(url)
    _fill_ledger(rows, campaign, teams)
    with db.connection() as database:
        database.execute_sql("VACUUM ANALYZE" if db.is_postgresql() else "ANALYZE")
    db.close_all()
    return url, campaign


def run(engine: str, server_url: str | None = None) -> list[Result]:
    """Both sizes are made first and kept, then timed in turn (ROUNDS blocks each)."""
    samples: dict[int, list[tuple[float, float]]] = {10_000: [], 1_000_000: []}
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        sides = {rows: _side(stack, engine, rows, folder, server_url) for rows in samples}
        for _ in range(ROUNDS):
            for rows, (url, campaign) in sides.items():
                db.bind(url)
                samples[rows].append(_query_seconds(campaign, 2000 // ROUNDS))
                db.close_all()
    timings = {
        rows: (statistics.median(o for o, _r in taken), statistics.median(r for _o, r in taken))
        for rows, taken in samples.items()
    }
    small, large = timings[10_000], timings[1_000_000]
    return [
        Result(
            f"board query 1M vs 10k rows ({engine})",
            f"{large[0] * 1e6:.1f} µs at 1M, {small[0] * 1e6:.1f} µs at 10k",
            large[0] / small[0],
            2.0,
        ),
        Result(
            f"board query ORM vs SQL ({engine})",
            f"team_totals {large[0] * 1e6:.1f} µs, the same rows by hand-written SQL on the "
            f"driver's cursor {large[1] * 1e6:.1f} µs",
            large[0] / large[1],
            1.2,
        ),
    ]
