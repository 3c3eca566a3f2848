"""Hundreds of kiosks on one server: an idle kiosk holds two server connections at most,
and kiosks work through PgBouncer in transaction-pooling mode (the README's set-up), the
change feed's LISTEN going straight to the server (QK_DIRECT_DATABASE_URL)."""

from __future__ import annotations

import os
import threading
import time

import psycopg
import pytest

from kiosk.caller import Caller
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth, ledger
from kiosk.services.platform import database as database_service
from kiosk.services.platform.live import ChangeFeed
from models import Campaign, Team, db
from tests.helpers.pg import PgBouncer, database_url

BOUNCER_POOL = 4


@pytest.fixture
def pgbouncer(pg_server):
    bouncer = PgBouncer(pg_server, pool_size=BOUNCER_POOL)
    bouncer.start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


def _server_connections(server: str, where: str, *params: object) -> list[tuple]:
    with psycopg.connect(server, autocommit=True) as admin:
        return admin.execute(
            "SELECT application_name, query FROM pg_stat_activity "
            f"WHERE backend_type = 'client backend' AND {where}",
            params,
        ).fetchall()


@pytest.mark.parametrize("engine", ["postgresql"])  # named so the engine summary counts it
async def test_an_idle_board_holds_two_server_connections_at_most(
    pg_demo_plant, pg_server, clock, engine
):
    from kiosk.app import KioskApp
    from kiosk.config import Settings
    from tests.helpers.app import quiet as _quiet

    url, name = pg_demo_plant
    app = KioskApp(Settings(database_url=url, terminal_id="IDLE"), clock=clock, board_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await _quiet(pilot, 0.5)
        assert app.change_feed is not None and app.change_feed.connected.wait(5)
        app.screen.action_refresh()  # every panel read at once: several connections busy
        await _quiet(pilot, 1.5)
        mine = _server_connections(
            pg_server, "datname = %s AND application_name LIKE %s", name, f"% {os.getpid()}"
        )
        assert any("LISTEN" in query for _name, query in mine), mine  # the change feed
        assert 1 <= len(mine) <= 2, mine


@pytest.mark.parametrize("engine", ["postgresql"])
def test_kiosks_write_and_hear_changes_through_pgbouncer(
    pg_demo_plant, pg_server, pgbouncer, clock, monkeypatch, engine
):
    direct, name = pg_demo_plant
    pooled = database_url(pgbouncer.url, name)
    monkeypatch.setenv("QK_DIRECT_DATABASE_URL", direct)
    database_service.open_database(pooled)  # what a kiosk configured for PgBouncer does
    with db.connection():
        teams = [t.id for t in Team.select().where(Team.kind == "line").order_by(Team.id)]
        campaign = Campaign.get(Campaign.active).id
    before = {t.team_id: t.points for t in ledger.team_totals()}
    heard: list[frozenset[str]] = []
    feed = ChangeFeed(pooled, heard.append).start()
    assert feed.url == direct  # LISTEN needs its own session: never through the pooler
    errors: list[BaseException] = []
    kiosks, awards = 12, 10
    try:
        assert feed.connected.wait(5)
        time.sleep(0.3)
        heard.clear()
        reporter = auth.identify_badge("E1002")

        def kiosk(number: int) -> None:
            try:
                for n in range(awards):  # the same statements again and again: never prepared
                    award = ledger.Award(
                        teams[number % len(teams)],
                        1,
                        "pooled",
                        "test",
                        f"{number}-{n}",
                        f"pooled:{number}:{n}",
                        campaign_id=campaign,
                    )
                    ledger.award(award, clock=clock)
                draft = DefectDraft("L1-S01", "method", "minor", "inspection", f"pooled {number}")
                report_defect(Caller.of(reporter, clock, f"K{number}"), draft)
            except BaseException as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(kiosks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        server_side = _server_connections(pg_server, "datname = %s", name)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not {"points", "defects"} <= set().union(*heard):
            time.sleep(0.05)
    finally:
        feed.stop()
    assert errors == []
    after = {t.team_id: t.points for t in ledger.team_totals()}
    for index, team in enumerate(teams):
        written = sum(awards for number in range(kiosks) if number % len(teams) == index)
        assert after[team] - before[team] == written
    assert {"points", "defects"} <= set().union(*heard)
    # the kiosks' queries share PgBouncer's pool; only the LISTEN goes straight to the server
    assert len(server_side) <= BOUNCER_POOL + 1, server_side
