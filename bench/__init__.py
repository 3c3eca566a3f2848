"""Benchmarks: each prints what it measured and the ratio against its target, in one run.

Run from a checkout: `python -m bench` (all) or `python -m bench scan board` (some), or
`kiosk bench`. They are not tests: the test suite checks behaviour, never timings.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.helpers.pg (the throwaway PostgreSQL cluster)


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
