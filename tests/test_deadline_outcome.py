"""One outcome per correction window: +2 or -2, never both, never neither once it closed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.caller import Caller
from kiosk.clock import FrozenClock, SystemClock
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.platform import database as database_service
from kiosk.services.platform.ledger import Award, write_award
from kiosk.services.platform.uow import transaction
from models import AuditEntry, Defect, LedgerEntry, db
from models.migrations import LATEST_VERSION
from models.totals import TeamPointTotal
from tests.helpers.schema import forget_steps_from

ROOT = Path(__file__).resolve().parent.parent


def _outcomes(defect_id: str) -> list[tuple[str, int]]:
    """The defect's outcome rows that stand (not cancelled by a reversal row)."""
    with db.connection():
        rows = list(LedgerEntry.select().where(LedgerEntry.cause_id == defect_id))
    reversed_ids = {row.reverses_id for row in rows if row.reverses_id}
    return sorted(
        (row.idempotency_key.split(":")[0], row.amount)
        for row in rows
        if row.reverses_id is None and row.id not in reversed_ids
    )


def _totals_match_the_ledger() -> None:
    with db.connection():
        kept = Counter()
        for row in TeamPointTotal.select():
            kept[row.team_id] += row.points
        summed = Counter()
        for row in LedgerEntry.select(LedgerEntry.team, LedgerEntry.amount):
            summed[row.team_id] += row.amount
    assert +kept == +summed


@pytest.mark.slow  # OS processes racing for seconds
def test_a_verification_racing_sweeps_on_other_kiosks_ends_with_one_outcome(demo_plant):
    """Separate OS processes, clocks 6 s apart: a leader verifies while another kiosk sweeps."""
    count = 16
    start = datetime.now(UTC)
    deadline = start + timedelta(seconds=5)
    reported = FrozenClock(deadline - timedelta(hours=48))  # the demo campaign's window
    fixer, reporter = auth.identify_badge("E1004"), auth.identify_badge("E4004")
    ids = []
    for number in range(count):
        draft = DefectDraft(f"L1-S0{number % 5 + 1}", "machine", "minor", "inspection", "race")
        ids.append(report_defect(Caller.of(reporter, reported), draft).id)
        lifecycle.mark_fixed(Caller.of(fixer, reported), ids[-1])
    until = str(time.time() + 10)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.workers.deadline_race", demo_plant]
    kiosks = [
        subprocess.Popen([*command, "verify", "-3", until, *ids], env=environment, cwd=ROOT),
        subprocess.Popen([*command, "sweep", "+3", until], env=environment, cwd=ROOT),
        subprocess.Popen([*command, "sweep", "0", until], env=environment, cwd=ROOT),
    ]
    for kiosk in kiosks:
        assert kiosk.wait(timeout=60) == 0
    deadlines.sweep(Caller.system(SystemClock()))  # the windows have all closed by now

    kinds = Counter()
    for defect_id in ids:
        outcome = _outcomes(defect_id)
        assert len(outcome) == 1, (defect_id, outcome)
        # on time over Line 1's daily cap of 10 awards: the window closes with 0 points
        assert outcome[0] in (("ontime", 2), ("ontime", 0), ("overdue", -2))
        kinds[outcome[0]] += 1
    assert kinds[("ontime", 2)] <= 10  # the campaign's cap, whatever the race
    if kinds[("ontime", 0)]:
        assert kinds[("ontime", 2)] == 10
        if db.is_postgresql():
            # one clock (the server's) decided both the verification time and the outcome
            with db.connection():
                defect = Defect.get_by_id(defect_id)
            verified_on_time = defect.verified_at is not None and defect.verified_at <= (
                defect.due_at
            )
            assert verified_on_time == (outcome[0][0] == "ontime"), defect_id
    assert sum(kinds.values()) == count
    _totals_match_the_ledger()


def test_a_verification_after_the_sweep_charged_adds_nothing(demo_plant, clock):
    leader = auth.identify_badge("E2001")
    draft = DefectDraft("L1-S02", "machine", "minor", "inspection", "late fix")
    defect_id = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft).id
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), defect_id)
    clock.advance(timedelta(hours=49))
    assert deadlines.sweep(Caller.system(clock)).charged_now >= 1
    detail = lifecycle.verify(Caller.of(leader, clock), defect_id)
    assert detail.status == "verified"
    assert _outcomes(defect_id) == [("overdue", -2)]


def _late_and_not_charged(clock) -> list[str]:
    """The slow reference: every late defect read into Python, less every charge."""
    with db.connection():
        late = {
            str(defect.id)
            for defect in Defect.select()
            if defect.due_at < clock.now()
            and (defect.verified_at is None or defect.verified_at > defect.due_at)
        }
        charged = {
            entry.cause_id
            for entry in LedgerEntry.select()
            if entry.idempotency_key.startswith("overdue:")
        }
    return sorted(late - charged)


def test_the_sweep_finds_in_sql_exactly_the_late_defects_not_charged(demo_plant, clock):
    """The candidates come from one statement (the charge found by its key, whose text the
    database makes from the id as Python does), and match the slow reference at each step:
    before any charge, after one, and after the sweep."""
    caller = Caller.of(auth.identify_badge("E4004"), clock)
    fixed_late = report_defect(caller, DefectDraft("L1-S02", "machine", "minor", "inspection", "a"))
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), fixed_late.id)
    clock.advance(timedelta(hours=49))
    expected = _late_and_not_charged(clock)
    assert str(fixed_late.id) in expected and len(expected) >= 2
    assert deadlines._candidates(clock) == expected
    assert deadlines._charge(clock, expected[0])
    assert deadlines._candidates(clock) == _late_and_not_charged(clock) == expected[1:]
    assert deadlines.sweep(Caller.system(clock)).charged_now == len(expected) - 1
    assert deadlines._candidates(clock) == _late_and_not_charged(clock) == []


def test_upgrade_reverses_the_later_of_a_double_outcome(demo_plant, clock):
    draft = DefectDraft("L2-S01", "machine", "minor", "inspection", "paid both ways")
    defect_id = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft).id
    with transaction() as database:  # what two kiosks could write before step 12
        database.execute_sql("DROP INDEX ledger_entry_one_deadline_outcome")  # (step 15)
        defect = Defect.get_by_id(defect_id)
        for key, amount in (("ontime", 2), ("overdue", -2)):
            write_award(
                Award(
                    team_id=defect.team_id,
                    amount=amount,
                    reason=f"{key} before step 12",
                    cause_type="defect",
                    cause_id=defect_id,
                    idempotency_key=f"{key}:{defect_id}",
                    campaign_id=defect.campaign_id,
                ),
                clock.now(),
            )
        forget_steps_from(database, 12)
    assert database_service.upgrade(clock) == list(range(12, LATEST_VERSION + 1))
    assert _outcomes(defect_id) == [("ontime", 2)]
    with db.connection():
        reversal = LedgerEntry.get(LedgerEntry.idempotency_key.startswith("reverse:"))
        overdue = LedgerEntry.get(LedgerEntry.idempotency_key == f"overdue:{defect_id}")
        assert (reversal.reverses_id, reversal.amount) == (overdue.id, 2)
        audit = AuditEntry.get(AuditEntry.action == "ledger_reverse")
        assert (audit.target, audit.terminal) == (str(overdue.id), "kiosk db upgrade")
    _totals_match_the_ledger()
    # the step is recorded: upgrading again writes nothing more
    assert database_service.upgrade(clock) == []
    with db.connection():
        assert LedgerEntry.select().where(LedgerEntry.cause_id == defect_id).count() == 3


def test_the_database_refuses_a_second_outcome_for_a_window(demo_plant, clock):
    """Even a writer that skips the lock and the check (a bug, a hand-made fix) cannot add
    the other outcome: a unique index over the window's outcome rows (schema step 15)."""
    import pytest

    from kiosk.errors import Conflict

    leader = auth.identify_badge("E2001")
    draft = DefectDraft("L1-S02", "machine", "minor", "inspection", "on time")
    defect_id = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft).id
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), defect_id)
    lifecycle.verify(Caller.of(leader, clock), defect_id)
    assert _outcomes(defect_id) == [("ontime", 2)]
    with pytest.raises(Conflict, match="already has its outcome"), transaction():
        defect = Defect.get_by_id(defect_id)
        write_award(
            Award(
                team_id=defect.team_id,
                amount=-2,
                reason="a second outcome",
                cause_type="defect",
                cause_id=defect_id,
                idempotency_key=f"overdue:{defect_id}",
                campaign_id=defect.campaign_id,
            ),
            clock.now(),
        )
    assert _outcomes(defect_id) == [("ontime", 2)]
    _totals_match_the_ledger()
