"""The live board in its own process for a long run: resident memory after many
change-driven refreshes, and CPU while other processes write 20 times a second.

Memory: the board (headless) is refreshed by change notifications (points: the team
point table re-read; the Red-Black List and the charts wait for their tabs to be shown),
one after another; its resident size after REFRESHES refreshes against after 100.

CPU: WRITERS processes award a point each, WRITES_PER_SECOND in all, for SECONDS; the
board's own CPU time over that window (user + system from /proc/PID/stat), as a share of
one core. Each write's delay runs from its commit (the writer stamps the moment its
transaction returned) to the board's screen first drawn with a total that includes it
(writes are +1 each, so the k-th commit is in once the total shown has grown by k; the
board stamps after the refresh that drew it); p50, p95 and the worst are reported, with
the machine's load average (on a shared machine the delay is mostly waiting for a core).
The tabs do not rotate (the team point table stays in sight), and the plant's overdue
defects are charged before the board starts (its start-up sweep would otherwise take
points off while the writes are counted).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import REPO, Result
from bench.board import _plant
from models import db

REFRESHES = int(os.environ.get("QK_BENCH_REFRESHES", "10000"))
WRITERS = 4
WRITES_PER_SECOND = 20
SECONDS = float(os.environ.get("QK_BENCH_LIVE_SECONDS", "20"))

BOARD = """
import os, sys, time
from kiosk.app import KioskApp
from kiosk.config import Settings
import screens.board as board
from screens.base import DataChanged

url, team, refreshes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
board.ROTATE_SECONDS = 10**9  # the team point table stays in sight (measured on it)
shown = board.BoardScreen.show_teams
count = [0]
def show_teams(screen, teams):
    shown(screen, teams)
    points = next((t.points for t in teams.team_totals if t.team_id == team), 0)
    # on the screen: stamped once the screen has been drawn with it
    screen.call_after_refresh(lambda: print("shown", time.time(), points, flush=True))
    count[0] += 1
    if refreshes:
        if count[0] in (100, refreshes):
            print("rss", count[0], rss(), flush=True)
        if count[0] >= refreshes:
            screen.app.exit()
        else:
            screen.post_message(DataChanged(frozenset({"points"})))
board.BoardScreen.show_teams = show_teams
app = KioskApp(Settings(database_url=url, terminal_id="BENCH-BOARD"), board_only=True)
app.run(headless=True, size=(200, 50))
"""

WRITER = """
import sys, time
from kiosk.services.platform import database, ledger
url, team, campaign, number, rate, seconds = sys.argv[1:7]
database.open_database(url)
interval, start = 1 / float(rate), time.time()
n = 0
while time.time() - start < float(seconds):
    award = ledger.Award(int(team), 1, "bench", "bench", f"{number}-{n}",
                         f"bench-live:{number}:{n}", campaign_id=int(campaign))
    ledger.award(award)
    print("wrote", time.time(), flush=True)
    n += 1
    time.sleep(max(start + n * interval - time.time(), 0))
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _env(folder: str) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_DATA_HOME": folder,
        "QK_OUTBOX_PATH": str(Path(folder) / "outbox.db"),
        "PYTHONPATH": str(REPO),
    }


def _url(engine: str, folder: str, server_url: str | None) -> str:
    if engine == "sqlite":
        return f"sqlite:///{Path(folder) / 'live.db'}"
    from bench.pg import admin_execute, database_url

    assert server_url is not None  # PostgreSQL runs are given their server
    admin_execute(server_url, 'DROP DATABASE IF EXISTS "qk_bench_board_live" WITH (FORCE)')
    admin_execute(server_url, 'CREATE DATABASE "qk_bench_board_live"')
    return database_url(server_url, "qk_bench_board_live")


def _plant_charged(url: str) -> tuple[int, list[int]]:
    """The demo plant, with its overdue defects charged already: it was seeded in 2025 and
    the board runs on today's clock, so the board's own start-up sweep would take points
    off its teams while the writes are being counted (and a total that drops again never
    reaches the last writes)."""
    from kiosk.caller import Caller
    from kiosk.services.defects import deadlines

    campaign, teams = _plant(url)
    deadlines.sweep(Caller.system())
    return campaign, teams


def memory(engine: str, server_url: str | None = None, refreshes: int = REFRESHES) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        url = _url(engine, folder, server_url)
        _campaign, teams = _plant_charged(url)
        db.close_all()
        result = subprocess.run(
            [sys.executable, "-c", BOARD, url, str(teams[0]), str(refreshes)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=_env(folder),
            timeout=refreshes * 2 + 120,
        )
    sizes = dict(
        (int(count), int(size))
        for _tag, count, size in (line.split() for line in result.stdout.splitlines())
        if _tag == "rss"
    )
    if len(sizes) < 2:
        raise RuntimeError(result.stderr[-2000:])
    early, late = sizes[100], sizes[refreshes]
    return Result(
        f"board memory, {refreshes:,} vs 100 refreshes ({engine})",
        f"{late / 1024:.0f} MB vs {early / 1024:.0f} MB resident",
        late / early,
        1.2,
    )


def cpu(engine: str, server_url: str | None = None) -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = _url(engine, folder, server_url)
        campaign, teams = _plant_charged(url)
        db.close_all()
        env = _env(folder)
        board = subprocess.Popen(
            [sys.executable, "-c", BOARD, url, str(teams[0]), "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=REPO,
            env=env,
        )
        lines: list[str] = []
        try:
            output = board.stdout
            assert output is not None
            reader = threading.Thread(target=lambda: lines.extend(output), daemon=True)
            reader.start()
            while not lines:
                time.sleep(0.05)  # its first refresh is on the screen
            time.sleep(3.0)  # the start-up, the overdue sweep and the catch-up are over
            base = int(lines[-1].split()[2])
            cpu_before, wall_before = _cpu_seconds(board.pid), time.time()
            writers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WRITER,
                        url,
                        str(teams[0]),
                        str(campaign),
                        str(number),
                        str(WRITES_PER_SECOND / WRITERS),
                        str(SECONDS),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=REPO,
                    env=env,
                )
                for number in range(WRITERS)
            ]
            commits = []
            for writer in writers:
                out, _err = writer.communicate(timeout=SECONDS + 60)
                commits += [float(line.split()[1]) for line in out.splitlines()]
            time.sleep(1.5)  # the last writes reach the board
            cpu_used = _cpu_seconds(board.pid) - cpu_before
            wall = time.time() - wall_before
        finally:
            board.terminate()
            board.wait(10)
    shows = [
        (float(t), int(p)) for tag, t, p in (line.split() for line in list(lines)) if tag == "shown"
    ]
    commits.sort()
    delays = []
    for k, committed in enumerate(commits, start=1):
        seen = next((t for t, points in shows if points >= base + k and t >= committed), None)
        delays.append((seen - committed) if seen is not None else float("inf"))
    worst = max(delays) if delays else float("inf")
    if os.environ.get("QK_BENCH_DEBUG"):
        print(base, shows[:3], shows[-3:], commits[:2], commits[-2:], delays[:5], delays[-5:])
    share = cpu_used / wall
    p50, p95 = _percentiles(delays)
    return [
        Result(
            f"board CPU at {WRITES_PER_SECOND} writes/s ({engine})",
            f"{cpu_used:.1f} s CPU in {wall:.1f} s; {len(commits)} writes from {WRITERS} "
            f"processes, {sum(1 for t, _p in shows if t >= wall_before)} board refreshes drawn",
            share * 100,
            25,
            unit="%",
        ),
        Result(
            f"each write on the board, {WRITES_PER_SECOND}/s ({engine})",
            f"commit to drawn, {len(commits)} writes: p50 {p50 * 1e3:.0f} ms, "
            f"p95 {p95 * 1e3:.0f} ms, max {worst * 1e3:.0f} ms; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            worst,
            1.0,
            unit="s",
        ),
    ]


def _percentiles(delays: list[float]) -> tuple[float, float]:
    if len(delays) < 2:
        return (delays[0], delays[0]) if delays else (float("inf"), float("inf"))
    cuts = statistics.quantiles(delays, n=100, method="inclusive")
    return cuts[49], cuts[94]


def run(engine: str, server_url: str | None = None) -> list[Result]:
    return [*cpu(engine, server_url), memory(engine, server_url)]
