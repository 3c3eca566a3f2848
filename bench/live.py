"""A write on one connection, seen by a board's change-feed listener: latency on each engine."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import Result
from bench.board import _plant
from kiosk.services.platform import ledger
from kiosk.services.platform.live import ChangeFeed
from models import db

WRITES = 20


def run(engine: str, server_url: str | None = None) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        if engine == "sqlite":
            url = f"sqlite:///{Path(folder) / 'live.db'}"
        else:
            from bench.pg import admin_execute, database_url

            assert server_url is not None  # PostgreSQL runs are given their server
            admin_execute(server_url, 'DROP DATABASE IF EXISTS "qk_bench_live" WITH (FORCE)')
            admin_execute(server_url, 'CREATE DATABASE "qk_bench_live"')
            url = database_url(server_url, "qk_bench_live")
        campaign, teams = _plant(url)
        heard = threading.Event()
        feed = ChangeFeed(url, lambda _topics: heard.set()).start()
        feed.connected.wait(10)
        time.sleep(0.5)
        latencies = []
        for n in range(WRITES):
            heard.clear()
            award = ledger.Award(
                teams[0], 1, "bench", "bench", str(n), f"live:{n}", campaign_id=campaign
            )
            start = time.perf_counter()
            ledger.award(award)
            if heard.wait(5):
                latencies.append(time.perf_counter() - start)
            time.sleep(0.15)
        feed.stop()
        db.close_all()
    median = statistics.median(latencies) if latencies else float("inf")
    worst = max(latencies) if latencies else float("inf")
    return [
        Result(
            f"write → board via feed ({engine})",
            f"median {median * 1e3:.0f} ms, worst {worst * 1e3:.0f} ms, "
            f"{len(latencies)}/{WRITES} heard",
            worst,
            1.0,
            unit="s",
        )
    ]
