"""A kiosk of its own (a separate OS process, its clock set off by some seconds) that
verifies defects or sweeps deadlines, for tests/test_deadline_outcome.py.

python -m tests.workers.deadline_race URL verify|sweep OFFSET_SECONDS UNTIL_EPOCH [DEFECT_ID ...]
"""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime, timedelta

from kiosk.caller import Caller
from kiosk.clock import SystemClock
from kiosk.errors import Conflict
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.platform import auth, database


class DriftingClock(SystemClock):
    """This machine's clock, off by `offset` (a kiosk whose clock drifted)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def main(url: str, role: str, offset: str, until: str, *defect_ids: str) -> int:
    database.open_database(url)
    clock = DriftingClock(timedelta(seconds=float(offset)))
    stop_at = float(until)
    if role == "verify":
        leader = auth.identify_badge("E2001")  # Line 2's leader; the defects are Line 1's
        pause = max(stop_at - time.time(), 0) / max(len(defect_ids), 1)
        for defect_id in defect_ids:
            with contextlib.suppress(Conflict):
                lifecycle.verify(Caller.of(leader, clock), defect_id)
            time.sleep(pause)
    else:
        while time.time() < stop_at:
            deadlines.sweep(Caller.system(clock))
            time.sleep(0.05)
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
