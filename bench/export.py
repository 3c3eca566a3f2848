"""Peak memory of `kiosk export ledger` over 1,000,000 ledger rows (CSV and XLSX) against
an idle kiosk process (`kiosk db check` on the same database): the export reads the
ledger a page at a time and writes row by row, so its peak must stay within 2× the idle
process's, whatever the ledger's length.

Each figure is a child process's peak resident size (VmHWM), measured in the child after
the command returned. The ledger is filled with one INSERT ... SELECT statement (the
team totals kept by the database as for any insert: once per statement on PostgreSQL,
schema step 16). QK_BENCH_EXPORT_ROWS sets another row count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import REPO, Result
from bench.startup import PEAK_RSS
from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import database as database_service
from models import Campaign, Employee, Team, db

ROWS = int(os.environ.get("QK_BENCH_EXPORT_ROWS", "1000000"))
TARGET = 2.0

CHILD = (
    PEAK_RSS
    + """
import sys
from kiosk.cli import main
status = main(sys.argv[1:])
print("PEAK", PEAK_RSS(), status)
"""
)

_COLUMNS = (
    "campaign_id, team_id, employee_id, amount, reason, cause_type, cause_id, "
    "idempotency_key, created_at"
)


def _fill(rows: int) -> None:
    """`rows` ledger rows of the demo's campaign, spread over its teams and people."""
    with db.connection() as database, database.atomic():
        campaign = Campaign.select().where(Campaign.active).get().id
        teams = [t.id for t in Team.select(Team.id).where(Team.kind == "line")]
        people = [e.id for e in Employee.select(Employee.id)]
        team_of = f"(ARRAY[{','.join(map(str, teams))}])[1 + (n % {len(teams)})]"
        person_of = f"(ARRAY[{','.join(map(str, people))}])[1 + (n % {len(people)})]"
        if db.is_postgresql():
            database.execute_sql(
                f"INSERT INTO ledger_entry ({_COLUMNS}) "
                f"SELECT {campaign}, {team_of}, {person_of}, "
                "CASE WHEN n % 3 = 0 THEN -2 ELSE 2 END, 'bench row ' || n, 'bench', n::text, "
                "'bench:' || n, TIMESTAMP '2025-09-01' + n * INTERVAL '1 second' "
                f"FROM generate_series(1, {rows}) AS n".replace("%", "%%")
            )
            return
        teams_sql = f"json_extract('{teams}', '$[' || (n % {len(teams)}) || ']')"
        people_sql = f"json_extract('{people}', '$[' || (n % {len(people)}) || ']')"
        database.execute_sql(
            f"WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series "
            f"WHERE n < {rows}) INSERT INTO ledger_entry ({_COLUMNS}) "
            f"SELECT {campaign}, {teams_sql}, {people_sql}, "
            "CASE WHEN n % 3 = 0 THEN -2 ELSE 2 END, 'bench row ' || n, 'bench', n, "
            "'bench:' || n, datetime('2025-09-01', '+' || n || ' seconds') FROM series"
        )


def _peak(argv: list[str]) -> tuple[int, float]:
    """(peak resident KiB, seconds) of a kiosk command run in a child process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    seconds = time.perf_counter() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("PEAK ")), None)
    if line is None or not line.endswith(" 0"):
        raise RuntimeError(f"kiosk {' '.join(argv)} failed: {done.stdout[-500:]}{done.stderr}")
    return int(line.split()[1]), seconds


def run(engine: str, server_url: str | None = None) -> list[Result]:
    from bench.pg import admin_execute, database_url

    with tempfile.TemporaryDirectory() as folder:
        if engine == "sqlite":
            url = f"sqlite:///{Path(folder) / 'export.db'}"
        else:
            name = f"qk_bench_export_{os.getpid()}"
            assert server_url is not None  # PostgreSQL runs are given their server
            admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin_execute(server_url, f'CREATE DATABASE "{name}"')
            url = database_url(server_url, name)
        try:
            database_service.open_database(url)
            clock = FrozenClock(datetime(2025, 9, 15, tzinfo=UTC))
            database_service.upgrade(clock)
            seed_demo_plant(Caller.system(clock))
            _fill(ROWS)
            db.close_all()
            idle, _seconds = _peak(["db", "check", "--db", url])
            results = []
            for file_format in ("csv", "xlsx"):
                target = Path(folder) / f"ledger.{file_format}"
                peak, seconds = _peak(
                    ["export", "ledger", "--quiet", "--output", str(target), "--db", url]
                )
                results.append(
                    Result(
                        f"export ledger {file_format.upper()} peak memory ({engine})",
                        f"{ROWS:,} rows in {seconds:.0f} s: {peak / 1024:.0f} MB vs idle "
                        f"kiosk {idle / 1024:.0f} MB",
                        peak / idle,
                        TARGET,
                    )
                )
                target.unlink()
            return results
        finally:
            db.close_all()
            if engine != "sqlite":
                assert server_url is not None  # PostgreSQL runs are given their server
                admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
