"""The ledger's hash chain with many writers at once: threads and separate processes
awarding points to different teams and to the same team, some under the same keys, leave
one row per key and a chain that `kiosk ledger verify` accepts (and still rejects once a
row is edited behind the application's back). On PostgreSQL the row and its link are
written by the database function of schema step 23: it hashes exactly as Python does."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.services.platform import ledger
from kiosk.services.platform.uow import transaction
from models import Campaign, Employee, LedgerChain, LedgerEntry, Team, db
from models.points import CHAIN_START, chain_hash
from tests.helpers.points import edit_behind_the_applications_back, totals_and_sums
from tests.helpers.threads import run_workers
from tests.workers.ledger_writer import awards

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 2
THREADS = 4
COUNT = 60  # awards per writer: a third under keys every writer uses


@pytest.fixture
def plant(database) -> tuple[int, list[int]]:
    with db.connection():
        campaign = Campaign.create(name="Chain", starts_on="2025-09-01", ends_on="2025-09-30")
        teams = [Team.create(code=f"C{n}", name=f"Chain team {n}").id for n in range(3)]
    return campaign.id, teams


def _start_processes(url: str, campaign: int, teams: list[int]) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "tests.workers.ledger_writer", url]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen(
            [*command, f"p{n}", str(campaign), str(COUNT), ",".join(map(str, teams))],
            env=environment,
            cwd=ROOT,
        )
        for n in range(PROCESSES)
    ]


def _threads(campaign: int, teams: list[int], clock) -> list[BaseException]:
    """THREADS writers in this process: two on every team, two on one team only."""
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            for award in awards(f"t{n}", campaign, COUNT, teams if n % 2 else teams[:1]):
                ledger.award(award, clock=clock)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    run_workers(run, THREADS)
    return failures


def test_threads_and_processes_award_into_one_chain_that_verifies(plant, database, clock, capsys):
    campaign, teams = plant
    processes = _start_processes(database, campaign, teams)
    try:
        failures = _threads(campaign, teams, clock)
    finally:
        codes = [process.wait(timeout=300) for process in processes]
    assert failures == [] and codes == [0] * PROCESSES
    writers = PROCESSES + THREADS
    shared = len(range(0, COUNT, 3))
    with db.connection():
        keys = [row.idempotency_key for row in LedgerEntry.select(LedgerEntry.idempotency_key)]
        links = LedgerChain.select().count()
    assert len(keys) == len(set(keys)) == shared + writers * (COUNT - shared)  # once each
    assert links == len(keys)
    kept, summed = totals_and_sums()
    assert kept == summed
    assert main(["ledger", "verify", "--db", database]) == 0
    assert f"Ledger whole: {len(keys)} rows" in capsys.readouterr().out

    with db.connection():  # a row one of the processes wrote, in the middle of the chain
        edited = LedgerEntry.get(LedgerEntry.idempotency_key == f"p1:{COUNT // 2 + 1}").id
    edit_behind_the_applications_back(
        database, f"UPDATE ledger_entry SET amount = amount + 5 WHERE id = {edited}"
    )
    assert main(["ledger", "verify", "--db", database]) == 1
    assert f"row {edited} (campaign {campaign}) does not match its chain link" in (
        capsys.readouterr().err
    )


def test_a_link_is_hashed_as_python_hashes_it(plant, clock):
    """Every column's odd case: no campaign, no employee, a reversal, a negative amount,
    Chinese text, the separator itself in the reason, microseconds; the function's links
    (PostgreSQL) equal chain_hash's, row after row."""
    campaign, teams = plant
    with db.connection():
        person = Employee.create(badge_code="EC1", name="王 Chain", department="QA").id
    moment = datetime(2025, 9, 10, 8, 1, 2, 345678, tzinfo=UTC)
    written = []
    with transaction():
        for n, campaign_id in enumerate([campaign, None, campaign, None]):
            result = ledger.write_award(
                ledger.Award(
                    team_id=teams[n % 2],
                    amount=-7 if n % 2 else 3,
                    reason=f"原因 {n}\x1fsplit\ttab\nline ✓",
                    cause_type="test",
                    cause_id=f"cause-{n}",
                    idempotency_key=f"odd:{n}",
                    employee_id=person if n % 2 else None,
                    created_by_id=None if n % 2 else person,
                    campaign_id=campaign_id,
                    reverses_id=written[0] if n == 3 else None,
                ),
                moment,
            )
            assert result.written
            written.append(result.entry_id)
    previous: dict[int, str] = {}
    with db.connection():
        rows = LedgerEntry.select().where(LedgerEntry.id.in_(written)).order_by(LedgerEntry.id)
        for row in rows:
            key = row.campaign_id or 0
            expected = chain_hash(
                previous.get(key, CHAIN_START),
                row.campaign_id,
                row.team_id,
                row.employee_id,
                row.amount,
                row.reason,
                row.cause_type,
                row.cause_id,
                row.idempotency_key,
                row.created_by_id,
                row.created_at,
                row.reverses_id,
            )
            link = LedgerChain.get_by_id(row.id)
            assert (link.campaign_key, link.hash) == (key, expected), row.idempotency_key
            previous[key] = link.hash
    assert len(previous) == 2


def test_a_used_key_returns_its_row_and_writes_nothing(plant, clock):
    campaign, teams = plant
    [first, again] = [
        ledger.award(award, clock=clock)
        for award in awards("once", campaign, 1, teams) + awards("once", campaign, 1, teams[1:])
    ]
    assert first.written and not again.written and again.entry_id == first.entry_id
    with db.connection():
        assert LedgerEntry.select().count() == LedgerChain.select().count() == 1
