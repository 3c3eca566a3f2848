"""Offline at the kiosk: a report and an answer made while the server is away are kept, shown
as waiting in the status bar, and sent once it is back; a badge seen here still signs in."""

from __future__ import annotations

from textual.widgets import Input, Select

from models import Defect, db
from screens.defect_report import DefectReportScreen
from screens.signin import SignInScreen
from screens.station import StationScreen
from tests.helpers.app import SIZE, make_app, post_keys, settle, sign_in, text_of
from tests.helpers.offline import ServerAway


async def test_report_kept_offline_then_sent(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")  # online: the badge is remembered here
        post_keys(app, "L1-S02\n")  # online: the station is remembered too
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        with ServerAway():
            await sign_in(pilot, "E1002")
            assert isinstance(app.screen, StationScreen)  # signed in from the kiosk's memory
            post_keys(app, "L1-S02\n")
            await settle(pilot)
            assert "Station L1-S02" in text_of(app, "#station-card")
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, DefectReportScreen)
            app.screen.query_one("#category", Select).value = "material"
            app.screen.query_one("#description", Input).value = "Kept while offline"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, StationScreen)
            assert "kept on this kiosk" in text_of(app, "#message")
            assert "offline — 1 waiting" in app.status_line()
        app.forward_outbox()
        await settle(pilot)
        assert app.outbox_waiting == 0
        assert "waiting" not in app.status_line()
    with db.connection():
        defect = Defect.get(Defect.description == "Kept while offline")
        assert (defect.station.code, defect.reporter.badge_code) == ("L1-S02", "E1002")
        assert defect.reported_at == clock.now()


async def test_unknown_badge_offline_is_told_why(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        with ServerAway():
            await sign_in(pilot, "E3003")
            assert isinstance(app.screen, SignInScreen)
            assert "has not signed in on this kiosk before" in text_of(app, "#message")
