"""Benchmarks: each prints what it measured and the ratio against its target, in one run.

Run from a checkout: `python -m bench` (all) or `python -m bench scan board` (some), or
`kiosk bench`. They are not tests: the test suite checks behaviour, never timings.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # kiosk, models, screens from this checkout


@dataclass(frozen=True)
class Result:
    name: str
    measured: str  # what was measured, in words and numbers
    ratio: float  # the figure the target applies to
    target: float  # the ratio (or seconds) must be <= this
    unit: str = "×"

    @property
    def met(self) -> bool:
        return self.ratio <= self.target

    def line(self) -> str:
        verdict = "ok" if self.met else "MISSED"
        return (
            f"{self.name:<42} {self.ratio:>8.3f}{self.unit:<2} target ≤ {self.target:g}{self.unit}"
            f"  {verdict:<6}  {self.measured}"
        )


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@contextlib.contextmanager
def engine_url(engine: str, name: str, folder: str, server_url: str | None) -> Iterator[str]:
    """A fresh database for one benchmark: a file in `folder` on SQLite; on PostgreSQL a
    database `name` made on the server (dropped again afterwards)."""
    if engine == "sqlite":
        yield f"sqlite:///{Path(folder) / f'{name}.db'}"
        return
    from bench.pg import scratch_database

    assert server_url is not None, "a PostgreSQL benchmark needs a server"
    with scratch_database(server_url, name) as url:
        yield url
