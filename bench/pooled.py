"""Hundreds of kiosks through PgBouncer (transaction pooling): 200 simulated kiosks write
a mix (points awarded, defects reported) at a kiosk's pace, against 10 kiosks doing the
same; the server connections used against PgBouncer's pool size, and the p99 write time
of 200 kiosks against 10.

A kiosk writes the way a terminal on the floor does: about one write every INTERVAL
seconds (20: a busy kiosk, three reports or awards a minute; each pause drawn from 0.5
to 1.5 times it, the first one too, so the kiosks do not start in step), the same pace
for 10 kiosks and for 200. The comparison is then what 200 kiosks sharing POOL server
connections cost each write, not what a machine at full CPU does (writing flat out, 200
one-process threads measured 7.8x on 2 cores). Every award takes the ledger chain's lock
(one writer per campaign), so the awards of all kiosks are written one at a time, each
holding a server connection while it waits: at 200 kiosks writing every 3 s (67 writes
a second) on this shared 2-core machine the queue grew without end.

The kiosks are threads, KIOSKS_PER_PROCESS of them in each child process (each kiosk with
a connection of its own, as a terminal has), so 200 kiosks are 20 processes and no one
interpreter lock serialises them all. Every child and every thread has a deadline: a
write stuck on a connection is reported as stuck, never waited for without end.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from bench import REPO, Result
from bench.board import _plant
from bench.pg import PgBouncer, admin_execute, database_url
from models import db

POOL = 20  # PgBouncer's server connections for the database
KIOSKS = (10, 200)
INTERVAL = float(os.environ.get("QK_BENCH_POOLED_INTERVAL", "20"))  # seconds between writes
WRITES = int(os.environ.get("QK_BENCH_POOLED_WRITES", "6"))  # per kiosk
KIOSKS_PER_PROCESS = 10
START_SECONDS = 120.0  # a child's imports, on a loaded machine

KIOSK = """
import faulthandler, json, random, signal, sys, threading, time
faulthandler.register(signal.SIGUSR1, all_threads=True)  # where a stuck kiosk waits
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth, database, ledger
from kiosk.caller import Caller

url, first, count, campaign, writes, interval, tag = sys.argv[1:8]
teams = [int(team) for team in sys.argv[8].split(",")]
first, count, writes, interval = int(first), int(count), int(writes), float(interval)
database.open_database(url)
reporter = auth.identify_badge("E1002")
print("ready", flush=True)
sys.stdin.readline()  # all the kiosks are up: go
seconds, errors = [], []
lock = threading.Lock()

def write(number, n):
    if n % 2:
        draft = DefectDraft("L1-S01", "method", "minor", "inspection", f"{tag} {number}")
        report_defect(Caller.of(reporter, None, f"K{number}"), draft)
    else:
        ledger.award(ledger.Award(teams[number % len(teams)], 1, "bench", "bench",
                                  f"{number}-{n}", f"{tag}:{number}:{n}",
                                  campaign_id=int(campaign)))

def kiosk(number):
    rng = random.Random(number)
    time.sleep(interval * rng.random())
    for n in range(writes):
        began = time.perf_counter()
        try:
            write(number, n)
        except Exception as error:
            with lock:
                errors.append(type(error).__name__)
        else:
            with lock:
                seconds.append((n % 2, time.perf_counter() - began))
        time.sleep(interval * rng.uniform(0.5, 1.5))

threads = [threading.Thread(target=kiosk, args=(first + k,), daemon=True) for k in range(count)]
for thread in threads:
    thread.start()
deadline = time.monotonic() + writes * interval * 2 + 60
for thread in threads:
    thread.join(max(deadline - time.monotonic(), 0))
stuck = sum(thread.is_alive() for thread in threads)
if stuck:
    faulthandler.dump_traceback(all_threads=True)
with lock:
    print(json.dumps({"seconds": seconds, "errors": errors, "stuck": stuck}), flush=True)
"""


def _kiosks(count: int, url: str, direct: str, campaign: int, teams: list[int], tag: str):
    """Run `count` kiosks in child processes; (write seconds, errors, stuck kiosks); each
    write's seconds with what it wrote (AWARD or DEFECT)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QK_DIRECT_DATABASE_URL": direct,
        "QK_DB_POOL_SIZE": str(KIOSKS_PER_PROCESS + 2),
    }
    children = []
    logs = Path(tempfile.mkdtemp(prefix=f"qk-bench-pooled-{count}-"))  # each child's stderr
    for first in range(0, count, KIOSKS_PER_PROCESS):
        log = (logs / f"kiosks-{first}.log").open("w")
        arguments = [url, str(first), str(min(KIOSKS_PER_PROCESS, count - first)), str(campaign)]
        arguments += [str(WRITES), str(INTERVAL), tag, ",".join(map(str, teams))]
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", KIOSK, *arguments],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=REPO,
                env=env,
            )
        )
        log.close()  # the child has its own
    seconds: list[tuple[int, float]] = []
    errors: list[str] = []
    stuck = 0
    try:
        deadline = time.monotonic() + START_SECONDS
        for child in children:
            assert child.stdout is not None
            line = _readline(child, deadline)
            if line.strip() != "ready":
                raise RuntimeError(f"a kiosk process did not start: {line!r}; see {logs}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        deadline = time.monotonic() + WRITES * INTERVAL * 2 + 120
        for child in children:
            line = _readline(child, deadline)
            if not line:
                stuck += KIOSKS_PER_PROCESS  # the child itself did not finish in time
                continue
            outcome = json.loads(line)
            seconds += outcome["seconds"]
            errors += outcome["errors"]
            stuck += outcome["stuck"]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait(10)
    if not stuck and not errors:
        shutil.rmtree(logs, ignore_errors=True)  # else kept: where the stuck kiosks waited
    return seconds, errors, stuck


def _readline(child: subprocess.Popen, deadline: float) -> str:
    """The child's next line, or "" once the deadline has passed (the child is killed)."""
    line: list[str] = []
    stdout = child.stdout
    assert stdout is not None  # started with stdout=PIPE
    reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(max(deadline - time.monotonic(), 0))
    if reader.is_alive():
        child.kill()
        return ""
    return line[0]


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) > 1 else float("inf")


class _PeakConnections:
    """The most server connections the database had at once (sampled every 20 ms)."""

    def __init__(self, server_url: str, name: str) -> None:
        self.server_url, self.name, self.peak = server_url, name, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            while not self.done.is_set():
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND backend_type = 'client backend'",
                    (self.name,),
                ).fetchone()
                assert row is not None  # count(*) has a row
                self.peak = max(self.peak, row[0])
                time.sleep(0.02)

    def __enter__(self) -> _PeakConnections:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.thread.join(5)


# what each of the database's client sessions is doing, by the lock it waits for if any
WAITS_SQL = """
SELECT CASE
    WHEN a.state LIKE 'idle in transaction%%' THEN 'kiosk'
    WHEN l.locktype = 'advisory' THEN 'chain lock'
    WHEN l.locktype IS NOT NULL THEN 'row lock'
    WHEN a.wait_event_type = 'Client' THEN 'kiosk'
    ELSE 'server' END, count(*)
FROM pg_stat_activity AS a LEFT JOIN pg_locks AS l ON l.pid = a.pid AND NOT l.granted
WHERE a.datname = %s AND a.backend_type = 'client backend' AND a.state <> 'idle'
AND a.pid <> pg_backend_pid() GROUP BY 1
"""
WAIT_KINDS = ("chain lock", "row lock", "kiosk", "server", "pool queue")


class _Waits:
    """Where the kiosks' writes spend their time, sampled every 50 ms: the server
    sessions waiting for the ledger chain's advisory lock, for a row lock (a running
    total, a rollup row), for the kiosk's next statement ("idle in transaction": the
    kiosk's own round trip and Python), running on the server, and the clients PgBouncer
    keeps waiting for a server connection (SHOW POOLS cl_waiting). By Little's law the
    mean number in a state divided by the writes a second is the mean time a write spends
    in it."""

    def __init__(self, server_url: str, bouncer_url: str, name: str) -> None:
        self.server_url, self.bouncer_url, self.name = server_url, bouncer_url, name
        self.totals = dict.fromkeys(WAIT_KINDS, 0)
        self.peaks = dict.fromkeys(WAIT_KINDS, 0)
        self.samples, self.pool_maxwait = 0, 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        bouncer = psycopg.connect(
            database_url(self.bouncer_url, "pgbouncer"),
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,  # its console speaks the simple protocol
        )
        with psycopg.connect(self.server_url, autocommit=True) as server, bouncer:
            while not self.done.is_set():
                counts = dict.fromkeys(WAIT_KINDS, 0)
                counts.update(dict(server.execute(WAITS_SQL, (self.name,)).fetchall()))
                pools = bouncer.execute("SHOW POOLS")
                columns = [column.name for column in pools.description or ()]
                for row in pools.fetchall():
                    pool = dict(zip(columns, row, strict=True))
                    if pool["database"] == self.name:
                        counts["pool queue"] += pool["cl_waiting"]
                        self.pool_maxwait = max(
                            self.pool_maxwait, pool["maxwait"] + pool["maxwait_us"] / 1e6
                        )
                for kind in WAIT_KINDS:
                    self.totals[kind] += counts[kind]
                    self.peaks[kind] = max(self.peaks[kind], counts[kind])
                self.samples += 1
                time.sleep(0.05)

    def per_write(self, writes: int) -> str:
        """The mean milliseconds a write spent in each state (Little's law: the mean
        number in it times the time sampled, over the writes), and the most seen at once."""
        seconds = self.ended - self.began
        parts = []
        for kind in WAIT_KINDS:
            mean = self.totals[kind] / self.samples if self.samples else 0.0
            ms = mean * seconds / writes * 1e3 if writes else 0.0
            parts.append(f"{kind} {ms:.0f} ms (at most {self.peaks[kind]})")
        return "; ".join(parts) + f"; longest pool wait {self.pool_maxwait * 1e3:.0f} ms"

    def __enter__(self) -> _Waits:
        self.began = self.ended = time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.ended = time.monotonic()
        self.done.set()
        self.thread.join(5)


def run(engine: str, server_url: str | None = None) -> list[Result]:
    if engine != "postgresql":
        return []
    assert server_url is not None
    name = "qk_bench_pooled"
    admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_execute(server_url, f'CREATE DATABASE "{name}"')
    direct = database_url(server_url, name)
    campaign, teams = _plant(direct)
    db.close_all()
    bouncer = PgBouncer(server_url, pool_size=POOL)
    bouncer.start()
    pooled = database_url(bouncer.url, name)
    runs = {}
    try:
        with _Waits(server_url, bouncer.url, name) as few_waits:
            few = _kiosks(KIOSKS[0], pooled, direct, campaign, teams, "few")
        with (
            _PeakConnections(server_url, name) as peak,
            _Waits(server_url, bouncer.url, name) as many_waits,
        ):
            many = _kiosks(KIOSKS[1], pooled, direct, campaign, teams, "many")
        runs = {KIOSKS[0]: few, KIOSKS[1]: many}
    finally:
        bouncer.stop()
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    (few_w, few_errors, few_stuck), (many_w, many_errors, many_stuck) = runs.values()
    few_s, many_s = [s for _kind, s in few_w], [s for _kind, s in many_w]
    trouble = (
        f"; errors {len(few_errors)} / {len(many_errors)} "
        f"({', '.join(sorted(set(few_errors + many_errors)))}), "
        f"stuck kiosks {few_stuck} / {many_stuck} (where they waited: /tmp/qk-bench-pooled-*)"
        if few_errors or many_errors or few_stuck or many_stuck
        else ""
    )
    return [
        Result(
            "server connections, 200 kiosks via PgBouncer",
            f"at most {peak.peak} server connections for 200 kiosks; pool size {POOL}",
            peak.peak / POOL,
            1.0,
        ),
        Result(
            "p99 write, 200 vs 10 kiosks via PgBouncer",
            f"{_p99(many_s) * 1e3:.0f} ms vs {_p99(few_s) * 1e3:.0f} ms "
            f"(median {statistics.median(many_s or [0]) * 1e3:.0f} vs "
            f"{statistics.median(few_s or [0]) * 1e3:.0f} ms; {len(many_s)} and {len(few_s)} "
            f"writes, one every ~{INTERVAL:g} s a kiosk; p99 of awards / defect reports "
            f"{_by_kind(many_w)} vs {_by_kind(few_w)}; per write, {KIOSKS[1]} kiosks: "
            f"{many_waits.per_write(len(many_s))}; {KIOSKS[0]} kiosks: "
            f"{few_waits.per_write(len(few_s))}; "
            f"load average {_load()}){trouble}",
            _p99(many_s) / _p99(few_s) if not (many_stuck or few_stuck) else float("inf"),
            3.0,
        ),
    ]


AWARD, DEFECT = 0, 1  # what a kiosk's write was (the child's n % 2)


def _by_kind(writes: list[tuple[int, float]]) -> str:
    award = [s for kind, s in writes if kind == AWARD]
    defect = [s for kind, s in writes if kind == DEFECT]
    return f"{_p99(award) * 1e3:.0f} / {_p99(defect) * 1e3:.0f} ms"


def _load() -> str:
    return " ".join(f"{figure:.1f}" for figure in os.getloadavg())
