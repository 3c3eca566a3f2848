"""The point ledger: exactly-once awards, totals and ranks derived from rows."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from kiosk.services.platform import ledger
from kiosk.services.platform.ledger import Award, award, team_totals
from models import Campaign, LedgerEntry, Team, db


@pytest.fixture
def teams(database) -> dict[str, int]:
    with db.connection():
        return {
            code: Team.create(code=code, name=name).id
            for code, name in [("A", "Alpha"), ("B", "Bravo"), ("C", "Charlie"), ("D", "Delta")]
        }


def _award(team_id: int, amount: int, key: str, **extra) -> Award:
    return Award(
        team_id=team_id,
        amount=amount,
        reason=f"test {key}",
        cause_type="test",
        cause_id=key,
        idempotency_key=key,
        **extra,
    )


def _rows() -> list[LedgerEntry]:
    with db.connection():
        return list(LedgerEntry.select().order_by(LedgerEntry.id))


def test_same_key_twice_writes_one_row(teams, clock):
    first = award(_award(teams["A"], 2, "ontime:7"), clock=clock)
    [row] = _rows()
    assert row.id == first.entry_id
    assert (row.team_id, row.amount, row.reason) == (teams["A"], 2, "test ontime:7")
    assert (row.cause_type, row.cause_id, row.idempotency_key) == ("test", "ontime:7", "ontime:7")
    assert row.created_at == clock.now()

    # A retry, even with a different amount, must not add or change anything.
    second = award(_award(teams["A"], 5, "ontime:7"), clock=clock)
    assert (first.written, second.written) == (True, False)
    assert second.entry_id == first.entry_id
    assert [(r.amount, r.idempotency_key) for r in _rows()] == [(2, "ontime:7")]
    assert [t.points for t in team_totals() if t.team_code == "A"] == [2]

    third = award(_award(teams["A"], 2, "ontime:8"), clock=clock)
    assert third.written is True and third.entry_id != first.entry_id
    assert len(_rows()) == 2


def test_eight_threads_award_the_same_key_once(teams, clock):
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[ledger.AwardResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = award(_award(teams["B"], -2, "overdue:race"), clock=clock)
            with lock:
                results.append(result)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == threads_count
    assert sum(r.written for r in results) == 1
    assert len({r.entry_id for r in results}) == 1
    rows = _rows()
    assert [(r.team_id, r.amount, r.idempotency_key) for r in rows] == [
        (teams["B"], -2, "overdue:race")
    ]
    assert {t.team_code: t.points for t in team_totals()}["B"] == -2


def test_totals_sum_the_ledger_and_tied_teams_share_a_rank(teams, clock):
    # No rows yet: every team is listed with 0, all first.
    assert [(t.team_code, t.points, t.rank) for t in team_totals()] == [
        ("A", 0, 1),
        ("B", 0, 1),
        ("C", 0, 1),
        ("D", 0, 1),
    ]
    for key, team, amount in [
        ("a1", "A", 2),
        ("a2", "A", 2),
        ("a3", "A", -2),  # A: 2
        ("b1", "B", 2),  # B: 2
        ("c1", "C", 5),
        ("c2", "C", 1),  # C: 6
        ("d1", "D", -2),  # D: -2
    ]:
        award(_award(teams[team], amount, key), clock=clock)
    totals = team_totals()
    assert [(t.team_code, t.points, t.rank) for t in totals] == [
        ("C", 6, 1),
        ("A", 2, 2),
        ("B", 2, 2),
        ("D", -2, 4),
    ]
    assert totals[1].team_name == "Alpha"

    # Inactive teams and contest teams are not on the line ranking.
    with db.connection():
        Team.update(active=False).where(Team.code == "D").execute()
        Team.create(code="Q1", name="Quiz team", kind="contest")
    assert [t.team_code for t in team_totals()] == ["C", "A", "B"]
    assert [(t.team_code, t.points) for t in team_totals(kind="contest")] == [("Q1", 0)]


def test_totals_for_one_campaign_ignore_other_rows(teams, clock):
    with db.connection():
        september = Campaign.create(
            name="Sept", starts_on=date(2025, 9, 1), ends_on=date(2025, 9, 30), active=True
        ).id
        october = Campaign.create(
            name="Oct", starts_on=date(2025, 10, 1), ends_on=date(2025, 10, 31)
        ).id
    award(_award(teams["A"], 2, "s1", campaign_id=september), clock=clock)
    award(_award(teams["A"], 7, "o1", campaign_id=october), clock=clock)
    award(_award(teams["B"], 3, "n1"), clock=clock)
    in_september = {t.team_code: t.points for t in team_totals(september)}
    assert in_september == {"A": 2, "B": 0, "C": 0, "D": 0}
    assert {t.team_code: t.points for t in team_totals()}["A"] == 9


def test_demo_plant_totals_follow_the_seeded_ledger(demo_plant, clock):
    with db.connection():
        campaign = Campaign.get(Campaign.active)
        rows = list(LedgerEntry.select(LedgerEntry, Team).join(Team))
    # Demo seed, defects: two verified on time (L1-S03 -> T1, L3-S05 -> T3, +2 each)
    # and one overdue (L2-S04 -> T2, -2). Other seeded rows (accepted proposals) add on top.
    defect_rows = sorted(
        (r.team.code, r.idempotency_key.split(":")[0], r.amount)
        for r in rows
        if r.cause_type == "defect"
    )
    assert defect_rows == [("T1", "ontime", 2), ("T2", "overdue", -2), ("T3", "ontime", 2)]
    ledger_sum: dict[str, int] = {}
    for row in rows:
        ledger_sum[row.team.code] = ledger_sum.get(row.team.code, 0) + row.amount
    totals = {t.team_code: (t.points, t.rank) for t in team_totals()}
    assert set(totals) == {"T1", "T2", "T3", "T4", "T5", "T6"}  # line teams only
    assert {code: points for code, (points, _) in totals.items()} == {
        code: ledger_sum.get(code, 0) for code in totals
    }
    ranked = sorted(totals.values(), key=lambda pair: pair[1])
    assert [points for points, _ in ranked] == sorted((p for p, _ in ranked), reverse=True)
    assert {t.team_code: t.points for t in team_totals(campaign.id)} == {
        code: points for code, (points, _rank) in totals.items()
    }

    with db.connection():
        t2 = Team.get(Team.code == "T2").id
    lead = max(points for points, _ in totals.values())
    award(_award(t2, lead - totals["T2"][0] + 1, "bonus:t2"), clock=clock)
    after = {t.team_code: (t.points, t.rank) for t in team_totals()}
    assert after["T2"] == (lead + 1, 1)
    assert all(rank >= 2 for code, (_p, rank) in after.items() if code != "T2")


def test_the_database_refuses_to_edit_or_remove_ledger_rows(demo_plant):
    import peewee

    with db.connection() as database:
        entry = LedgerEntry.select().first()
        for attempt in (
            lambda: LedgerEntry.update(amount=100).where(LedgerEntry.id == entry.id).execute(),
            lambda: LedgerEntry.delete().where(LedgerEntry.id == entry.id).execute(),
            lambda: database.execute_sql("DELETE FROM ledger_entry"),
        ):
            with pytest.raises(peewee.DatabaseError, match="append-only"), database.atomic():
                attempt()
        if db.is_postgresql():
            with pytest.raises(peewee.DatabaseError, match="append-only"), database.atomic():
                database.execute_sql("TRUNCATE ledger_entry CASCADE")
        assert LedgerEntry.get_by_id(entry.id).amount == entry.amount
        assert LedgerEntry.select().count() >= 3


def test_running_totals_equal_the_ledger_after_concurrent_awards(teams, clock):
    from peewee import fn

    from models.totals import TeamPointTotal

    codes = list(teams)

    def run(worker: int) -> None:
        for n in range(15):
            team = teams[codes[(worker + n) % len(codes)]]
            award(_award(team, (n % 5) - 2, f"run:{worker}:{n}"), clock=clock)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.connection():
        ledger = dict(
            LedgerEntry.select(LedgerEntry.team, fn.SUM(LedgerEntry.amount))
            .group_by(LedgerEntry.team)
            .tuples()
        )
        running = {t.team_id: t.points for t in TeamPointTotal.select()}
        assert LedgerEntry.select().count() == 90
    assert running == ledger
    assert {t.team_id: t.points for t in team_totals()} == {
        team_id: ledger.get(team_id, 0) for team_id in teams.values()
    }
