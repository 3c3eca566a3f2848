"""The benchmarks run (cheaply: tiny plants, a few writes), and the hand-written SQL of the
whole-board benchmark returns exactly the rows the board's services return. No timings are
checked here: `kiosk bench` prints those against their targets."""

from __future__ import annotations

import math

import pytest

from bench import Result, board_live, board_refresh, pooled, reads, scan, startup
from bench import __main__ as bench_main
from kiosk.services.reports import kpis
from models import db


def test_board_refresh_hand_written_sql_returns_the_boards_rows(db_url, monkeypatch):
    engine = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    board_refresh.seed(db_url, 0.005)
    # fewer teams charted than the plant has (a plant's 46 teams chart 8), as at full scale
    monkeypatch.setattr(kpis, "CHARTED_TEAMS", 3)
    services, written = board_refresh.measure(engine, repeat=1)  # raises if they differ
    with db.connection():
        rows = board_refresh.service_rows(board_refresh.service_refresh(board_refresh.CLOCK))
    assert rows["overdue"] and rows["summary totals"] and any(rows["reported"])
    assert len(rows["team points"]) == 3 < len(rows["summary totals"])
    assert services > 0 and written > 0


def test_bench_runs_on_the_engine_given_or_both():
    assert bench_main.engines(None, False) == ["sqlite", "postgresql"]
    assert bench_main.engines("sqlite:///x.db", False) == ["sqlite"]
    assert bench_main.engines("postgresql://qk@host/db", False) == ["postgresql"]
    assert bench_main.engines("postgresql://qk@host/db", True) == ["sqlite", "postgresql"]
    with pytest.raises(SystemExit):
        bench_main.engines("mysql://host/db", False)
    assert bench_main.main(["no-such-bench"]) == 2


def test_a_benchmark_that_stops_is_reported_missed_and_the_others_still_run(monkeypatch, capsys):
    def stops() -> list[Result]:
        raise RuntimeError("No nodes match '#station-card'\nmore")

    monkeypatch.setattr(startup, "run", stops)
    monkeypatch.setattr(scan, "run", lambda: [Result("scan burst", "1 burst", 0.05, 0.1, "s")])
    assert bench_main.run(["startup", "scan"]) == 0
    out = capsys.readouterr().out
    assert "startup" in out and "MISSED  stopped: RuntimeError: No nodes match" in out
    assert "scan burst" in out and "ok      1 burst" in out
    assert "1 of 2 targets met." in out


@pytest.mark.slow
def test_pooled_kiosks_stay_within_pgbouncers_pool(pg_server, monkeypatch):
    monkeypatch.setattr(pooled, "KIOSKS", (2, 12))
    monkeypatch.setattr(pooled, "POOL", 3)
    monkeypatch.setattr(pooled, "WRITES", 2)
    monkeypatch.setattr(pooled, "INTERVAL", 0.2)
    connections, p99 = pooled.run("postgresql", pg_server)
    assert "stuck" not in p99.measured and "errors" not in p99.measured, p99.measured
    assert connections.met, connections.measured  # never more server connections than the pool
    assert math.isfinite(p99.ratio)
    # where the writes waited, sampled on the server and in PgBouncer, per run
    assert "per write, 12 kiosks: chain lock" in p99.measured and "pool queue" in p99.measured


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_board_live_runs(engine, request, monkeypatch):
    server = request.getfixturevalue("pg_server") if engine == "postgresql" else None
    monkeypatch.setattr(board_live, "SECONDS", 2.0)
    cpu, shown = board_live.cpu(engine, server)
    memory = board_live.memory(engine, server, refreshes=101)
    # what it measured, whatever the timings (a loaded machine writes fewer, shows later)
    assert "writes from 4 processes" in cpu.measured and "commit to drawn" in shown.measured
    assert "vs 100 refreshes" in memory.name and memory.ratio > 0


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_reads_compares_each_read_of_both_plants(engine, request, monkeypatch):
    """Every read the issue names is timed on both plants (a tiny plant here), the contest
    played on both, and the 5,000-against-20 worklist row is there."""
    server = request.getfixturevalue("pg_server") if engine == "postgresql" else None
    monkeypatch.setattr(reads, "SCALE", 0.005)
    monkeypatch.setattr(reads, "REPEAT", 1)
    monkeypatch.setattr(reads, "ROUNDS", 1)
    results = reads.run(engine, server)
    names = [result.name.removesuffix(f" plant vs demo ({engine})") for result in results]
    assert {
        "defect detail",
        "contest scoreboard",
        "proposals queue",
        "line evaluation suggestions",
        "team worklist",
        "coverage (page of missing)",
    } <= set(names)
    assert names[-1] == f"worklist 5,000 open vs 20 ({engine})"
    assert all(math.isfinite(result.ratio) and result.ratio > 0 for result in results)


@pytest.mark.slow
def test_startup_runs_without_a_terminal(monkeypatch):
    monkeypatch.setattr(startup, "RUNS", 1)
    first_screen, memory = startup.run()
    assert "sign-in screen drawn" in first_screen.measured and memory.ratio > 0
