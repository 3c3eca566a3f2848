"""Locked kiosk mode, themes, and readable layouts at 80x24 and 200x60."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from kiosk.app import KioskApp
from kiosk.config import ConfigError, Settings, load_settings
from models import AuditEntry, db
from screens.signin import SignInScreen
from screens.station import StationScreen
from screens.unlock import UnlockScreen
from tests.helpers.app import post_keys, settle, sign_in, text_of


def locked_app(url: str, clock) -> KioskApp:
    return KioskApp(Settings(database_url=url, terminal_id="WS-9", locked=True), clock=clock)


async def test_locked_kiosk_refuses_quit_and_palette_without_a_supervisor(demo_plant, clock):
    app = locked_app(demo_plant, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert app.theme == "qk-high-contrast"
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        # an operator cannot close it
        app.screen.query_one("#unlock-badge", Input).value = "E1002"
        app.screen.query_one("#unlock-pin", Input).value = "anything"
        app.screen.query_one("#unlock-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert "Only a supervisor" in text_of(app, "#message")
        # a wrong PIN neither
        app.screen.query_one("#unlock-badge", Input).value = "E4002"
        app.screen.query_one("#unlock-pin", Input).value = "0000"
        app.screen.query_one("#unlock-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "Wrong PIN" in text_of(app, "#message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.is_running
        # the supervisor closes it
        await pilot.press("ctrl+q")
        await settle(pilot)
        app.screen.query_one("#unlock-badge", Input).value = "E4002"
        app.screen.query_one("#unlock-pin", Input).value = "1234"
        app.screen.query_one("#unlock-pin", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
    assert app.return_code == 0
    with db.connection():
        refused = [a.action for a in AuditEntry.select().where(~AuditEntry.allowed)]
    assert "unlock_kiosk" in refused and "sign_in" in refused


async def test_unlocked_kiosk_quits_on_ctrl_q(demo_plant, clock):
    app = KioskApp(Settings(database_url=demo_plant, terminal_id="DEV"), clock=clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code == 0


def test_kiosk_mode_and_theme_settings(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\nlocked = true\ntheme = "dark"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    assert (settings.locked, settings.theme) == (True, "dark")
    settings = load_settings(config, environ={"QK_KIOSK_MODE": "no", "QK_THEME": "high-contrast"})
    assert (settings.locked, settings.theme) == (False, "high-contrast")
    with pytest.raises(ConfigError, match="theme is one of"):
        load_settings(config, environ={"QK_THEME": "pink"})
    with pytest.raises(ConfigError, match="true or false"):
        load_settings(config, environ={"QK_KIOSK_MODE": "maybe"})


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_operator_loop_is_readable_at_small_and_large_sizes(demo_plant, clock, size):
    app = KioskApp(Settings(database_url=demo_plant, terminal_id="WS-1"), clock=clock)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        prompt = app.screen.query_one("#prompt")
        badge = app.screen.query_one("#badge")
        assert prompt.region.height >= 1 and badge.region.height >= 1
        assert badge.region.right <= size[0] and badge.region.bottom <= size[1]
        await sign_in(pilot, "E1002")
        assert isinstance(app.screen, StationScreen)
        post_keys(app, "L1-S01\n")
        await settle(pilot)
        card = app.screen.query_one("#station-card")
        scan = app.screen.query_one("#station-scan")
        # the station card and the scan field are on screen, not pushed off it
        for widget in (card, scan):
            assert widget.region.height >= 1
            assert widget.region.bottom <= size[1]
        assert "Station L1-S01" in text_of(app, "#station-card")
