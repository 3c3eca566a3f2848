"""Bulk ledger writes: the team totals stay equal to the ledger's sums however the rows
arrive (one statement, many statements, several threads, a rolled-back transaction), the
hash chain holds, and on PostgreSQL the totals are kept once per statement."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kiosk.cli import main
from kiosk.services.platform import database as database_service
from kiosk.services.platform.ledger import Award, write_award, write_awards
from kiosk.services.platform.uow import transaction
from models import Campaign, LedgerEntry, Team, db
from models.migrations.v0016_statement_totals import FUNCTION, TRIGGER
from tests.helpers.points import totals_and_sums
from tests.helpers.schema import forget_steps_from


@pytest.fixture
def teams(database) -> list[int]:
    with db.connection():
        campaign = Campaign.create(name="Bulk", starts_on="2025-09-01", ends_on="2025-09-30")
        teams = [Team.create(code=f"T{n}", name=f"Team {n}").id for n in range(6)]
    return [campaign.id, *teams]


def _awards(campaign_id: int | None, team_ids: list[int], count: int, prefix: str, clock):
    for n in range(count):
        yield (
            Award(
                team_id=team_ids[n % len(team_ids)],
                amount=(n % 7) - 2,
                reason=f"bulk {n}",
                cause_type="test",
                cause_id=str(n),
                idempotency_key=f"{prefix}:{n}",
                campaign_id=campaign_id if n % 3 else None,
            ),
            clock.now() + timedelta(seconds=n),
        )


def _verify_ok(url: str, capsys) -> None:
    assert main(["ledger", "verify", "--db", url]) == 0
    assert "Ledger whole:" in capsys.readouterr().out


def test_many_rows_in_one_statement_keep_totals_and_chain(teams, database, clock, capsys):
    campaign, *team_ids = teams
    with transaction():
        assert write_awards(_awards(campaign, team_ids, 1500, "one", clock)) == 1500
    kept, summed = totals_and_sums()
    assert kept == summed and len(summed) == 6
    with db.connection():
        assert LedgerEntry.select().count() == 1500
    _verify_ok(database, capsys)


def test_many_statements_in_one_transaction_and_keys_used_twice(teams, database, clock, capsys):
    campaign, *team_ids = teams
    with transaction():
        for item, now in _awards(campaign, team_ids, 300, "single", clock):
            write_award(item, now)
        # bulk over the same keys and 4,500 new ones: several statements, old keys skipped
        assert write_awards(_awards(campaign, team_ids, 4800, "single", clock)) == 4500
    kept, summed = totals_and_sums()
    assert kept == summed
    with db.connection():
        assert LedgerEntry.select().count() == 4800
    _verify_ok(database, capsys)


def test_concurrent_bulk_and_single_writers(teams, database, clock, capsys):
    campaign, *team_ids = teams
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            for batch in range(3):
                with transaction():
                    if worker % 2:
                        write_awards(_awards(campaign, team_ids, 400, f"w{worker}b{batch}", clock))
                    else:
                        for item, now in _awards(
                            campaign, team_ids, 40, f"w{worker}b{batch}", clock
                        ):
                            write_award(item, now)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    kept, summed = totals_and_sums()
    assert kept == summed
    with db.connection():
        assert LedgerEntry.select().count() == 2 * 3 * 400 + 2 * 3 * 40
    _verify_ok(database, capsys)


def test_an_interrupted_transaction_leaves_totals_and_ledger_as_they_were(teams, database, clock):
    campaign, *team_ids = teams
    with transaction():
        write_awards(_awards(campaign, team_ids, 100, "kept", clock))
    before = totals_and_sums()

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted), transaction():
        write_awards(_awards(campaign, team_ids, 3000, "lost", clock))
        raise Interrupted
    assert totals_and_sums() == before
    kept, summed = before
    assert kept == summed
    with db.connection():
        assert LedgerEntry.select().count() == 100


def _totals_triggers() -> list[tuple]:
    with db.connection() as database:
        if db.is_postgresql():
            return database.execute_sql(
                "SELECT t.tgname, (t.tgtype & 1) = 1, t.tgnewtable, p.prosecdef "
                "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgrelid = 'ledger_entry'::regclass AND NOT t.tgisinternal "
                "AND p.proname IN ('qk_ledger_statement_totals', 'qk_ledger_running_total') "
                "ORDER BY t.tgname"
            ).fetchall()
        return database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'ledger_entry' AND name LIKE '%total%'"
        ).fetchall()


def test_the_totals_trigger_fires_once_per_statement_on_postgresql(database):
    triggers = _totals_triggers()
    if db.is_postgresql():
        # (name, row-level?, transition table, runs as its owner?)
        assert triggers == [(TRIGGER, False, "qk_new_ledger_rows", True)]
    else:  # SQLite keeps its per-row trigger (no row versions to step over)
        [(name, sql)] = triggers
        assert name == "ledger_entry_running_total" and "AFTER INSERT" in sql


def test_upgrading_a_step_15_database_keeps_the_totals(demo_plant, clock, capsys):
    from models.migrations.v0009_running_totals import POSTGRESQL as STEP_9
    from models.migrations.v0013_ledger_chain import POSTGRESQL as STEP_13

    with db.connection() as database:
        if db.is_postgresql():  # the triggers as step 15 left them
            database.execute_sql(f"DROP TRIGGER {TRIGGER} ON ledger_entry")
            database.execute_sql(f"DROP FUNCTION {FUNCTION}()")
            for statement in STEP_9 + STEP_13[-1:]:
                database.execute_sql(statement)
        forget_steps_from(database, 16)
    with transaction():  # written under step 15's per-row trigger
        write_awards(
            _awards(Campaign.select().first().id, [t.id for t in Team.select()], 50, "old", clock)
        )
    assert database_service.upgrade(clock)[0] == 16
    kept, summed = totals_and_sums()
    assert kept == summed
    test_the_totals_trigger_fires_once_per_statement_on_postgresql(demo_plant)
    with transaction():
        write_awards(
            _awards(Campaign.select().first().id, [t.id for t in Team.select()], 50, "new", clock)
        )
    kept, summed = totals_and_sums()
    assert kept == summed
    _verify_ok(demo_plant, capsys)


def test_an_application_role_keeps_totals_in_bulk(two_roles, clock, capsys):  # noqa: F811
    owner_url, app_url, app = two_roles
    assert main(["db", "upgrade", "--app-role", app, "--db", owner_url]) == 0
    db.close_all()
    database_service.open_database(app_url, create=False)
    with db.connection():
        campaign = Campaign.create(name="Bulk", starts_on="2025-09-01", ends_on="2025-09-30")
        team_ids = [Team.create(code=f"T{n}", name=f"Team {n}").id for n in range(3)]
    with transaction():
        assert write_awards(_awards(campaign.id, team_ids, 2500, "app", clock)) == 2500
    kept, summed = totals_and_sums()
    assert kept == summed and kept
    _verify_ok(app_url, capsys)
