"""Hundreds of kiosks through PgBouncer (transaction pooling): 200 simulated kiosks write
a mix (points awarded, defects reported) flat out, against 10 kiosks doing the same; the server
connections used against PgBouncer's pool size, and the p99 write time of 200 kiosks
against 10.

The kiosks are threads of this one process (each with a connection of its own, as a
terminal has), so the 200-kiosk figure includes this process's own contention too.
"""

from __future__ import annotations

import os
import statistics
import threading
import time

import psycopg

from bench import Result
from bench.board import _plant
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth, ledger
from kiosk.services.platform import database as database_service
from kiosk.services.platform.caller import Caller
from models import db

POOL = 20  # PgBouncer's server connections for the database
WRITES = 10  # per kiosk


def _writes(kiosks: int, campaign: int, teams: list[int], tag: str) -> list[float]:
    reporter = auth.identify_badge("E1002")
    seconds: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(kiosks)

    def kiosk(number: int) -> None:
        mine = []
        start.wait(60)
        for n in range(WRITES):
            began = time.perf_counter()
            if n % 2:
                draft = DefectDraft("L1-S01", "method", "minor", "inspection", f"{tag} {number}")
                report_defect(Caller.of(reporter, None, f"K{number}"), draft)
            else:
                award = ledger.Award(
                    teams[number % len(teams)],
                    1,
                    "bench",
                    "bench",
                    f"{number}-{n}",
                    f"{tag}:{number}:{n}",
                    campaign_id=campaign,
                )
                ledger.award(award)
            mine.append(time.perf_counter() - began)
        with lock:
            seconds.extend(mine)

    threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(kiosks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seconds


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def run(engine: str, server_url: str | None = None) -> list[Result]:
    if engine != "postgresql":
        return []
    from tests.helpers.pg import PgBouncer, admin_execute, database_url

    name = "qk_bench_pooled"
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    direct = database_url(server_url, name)
    campaign, teams = _plant(direct)
    db.close_all()
    bouncer = PgBouncer(server_url, pool_size=POOL)
    bouncer.start()
    os.environ["QK_DIRECT_DATABASE_URL"] = direct
    peak = [0]
    sampling = threading.Event()

    def sample() -> None:
        with psycopg.connect(server_url, autocommit=True) as admin:
            while not sampling.is_set():
                (count,) = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND backend_type = 'client backend'",
                    (name,),
                ).fetchone()
                peak[0] = max(peak[0], count)
                time.sleep(0.02)

    try:
        database_service.open_database(database_url(bouncer.url, name))
        db.database_proxy.obj._max_connections = 210  # one process stands in for them all
        few = _writes(10, campaign, teams, "few")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        many = _writes(200, campaign, teams, "many")
        sampling.set()
        sampler.join(5)
    finally:
        os.environ.pop("QK_DIRECT_DATABASE_URL", None)
        db.close_all()
        bouncer.stop()
    return [
        Result(
            "server connections, 200 kiosks via PgBouncer",
            f"at most {peak[0]} server connections for 200 kiosks; pool size {POOL}",
            peak[0] / POOL,
            1.0,
        ),
        Result(
            "p99 write, 200 vs 10 kiosks via PgBouncer",
            f"{_p99(many) * 1e3:.0f} ms vs {_p99(few) * 1e3:.0f} ms "
            f"({len(many)} and {len(few)} writes)",
            _p99(many) / _p99(few),
            3.0,
        ),
    ]
