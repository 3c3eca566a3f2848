"""PIN enrolment through the screens with the Pilot at 80x24, in English and Chinese, on
SQLite and PostgreSQL: badge -> enrolment code -> PIN twice -> signed in; a supervisor's
code for a badge (and the reset it means); changing one's own PIN; the first admin made by
`kiosk admin create` enrolling at a kiosk."""

from __future__ import annotations

import pytest
from textual.geometry import Region
from textual.widgets import Digits, Input

from kiosk import cli
from kiosk.caller import Caller
from kiosk.services.platform import auth, enrolment
from models import AuditEntry, Employee, EnrolmentCode, db
from screens.change_pin import ChangePinScreen
from screens.enrolment_code import IssueEnrolmentCodeScreen
from screens.signin import SignInScreen
from screens.station import StationScreen
from tests.helpers.app import SMALL as SIZE
from tests.helpers.app import (
    check_layout,
    key_help,
    make_app,
    screen_text,
    settle,
    sign_in,
    text_of,
)

LEADER, SUPERVISOR, OPERATOR = "E1001", "E4002", "E1002"


def _no_pin(badge: str) -> None:
    with db.connection():
        Employee.update(pin_hash=None).where(Employee.badge_code == badge).execute()


def _issue_for(badge: str, clock) -> str:
    with db.connection():
        supervisor = auth.identify_badge(SUPERVISOR)
    return enrolment.issue_code(Caller.of(supervisor, clock), badge).code


def check_modal_layout(app) -> None:
    """The dialog, its message and the focused input inside 80x24."""
    width, height = app.size
    whole = Region(0, 0, width, height)
    screen = app.screen
    for widget in screen.query("#message, Digits, Input"):
        if widget.display and widget.region.area:
            assert whole.contains_region(widget.region), f"{widget} at {widget.region}"
    focused = app.focused
    if focused is not None and focused.region.area:
        assert whole.contains_region(focused.region)


async def type_in(pilot, text: str) -> None:
    await pilot.press(*text, "enter")
    await settle(pilot)


@pytest.mark.slow  # a long Pilot walk-through
async def test_enrolment_from_code_to_pin_at_80x24(demo_plant, clock):
    _no_pin(LEADER)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        # no code yet: the badge alone is refused, with what to do
        await sign_in(pilot, LEADER)
        assert isinstance(app.screen, SignInScreen) and app.user is None
        assert "Ask a supervisor for an enrolment code" in text_of(app, "#message")
        check_layout(app)

        code = _issue_for(LEADER, clock)
        await sign_in(pilot, LEADER)
        assert text_of(app, "#prompt") == "Zhang Wei: enter your enrolment code."
        secret = app.screen.query_one("#pin", Input)
        assert secret.password and secret.display and app.focused is secret
        check_layout(app)
        await type_in(pilot, code[:4] + " " + code[4:])  # as the slip shows it
        assert text_of(app, "#prompt") == "Zhang Wei: choose your PIN (4 digits or more)."
        assert app.screen.query_one("#pin", Input).password
        await type_in(pilot, "1234")
        assert "digits in a row" in text_of(app, "#message")
        assert "choose your PIN" in text_of(app, "#prompt")
        check_layout(app)
        await type_in(pilot, "2580")
        assert text_of(app, "#prompt") == "Zhang Wei: type the same PIN again."
        await type_in(pilot, "2581")
        assert "The two PINs differ" in text_of(app, "#message")
        await type_in(pilot, "2580")
        await type_in(pilot, "2580")
        assert isinstance(app.screen, StationScreen)
        assert app.user is not None and app.user.badge_code == LEADER
        with db.connection():
            rows = list(
                AuditEntry.select()
                .where(AuditEntry.action.in_(("enrol_pin", "sign_in")))
                .where(AuditEntry.terminal == "TEST-1")
                .order_by(AuditEntry.id)
            )
            assert [(r.action, r.allowed, r.detail) for r in rows] == [
                ("sign_in", False, "no PIN set"),
                ("enrol_pin", True, ""),
                ("sign_in", True, "enrolled a PIN"),
            ]
            assert EnrolmentCode.get().used_at == clock.now()
        # a leader sees "My PIN" but not the supervisors' code key
        help_text = key_help(app)
        assert "My PIN" in help_text and "PIN code for a badge" not in help_text
        check_layout(app)

        await pilot.press("f10")
        await settle(pilot)
        # the code is spent: the badge now asks for the PIN, and the new PIN works
        await sign_in(pilot, LEADER)
        assert text_of(app, "#prompt") == "Zhang Wei: enter your PIN."
        await type_in(pilot, "2580")
        assert isinstance(app.screen, StationScreen)
    with db.connection():
        assert not auth.live_enrolment_code(
            Employee.get(Employee.badge_code == LEADER), clock.now()
        )


async def test_a_wrong_or_expired_code_goes_back_to_the_badge(demo_plant, clock):
    from datetime import timedelta

    _no_pin(LEADER)
    code = _issue_for(LEADER, clock)
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, LEADER)
        assert text_of(app, "#prompt") == "Zhang Wei：请输入启用码。"
        await type_in(pilot, "00000000" if code != "00000000" else "11111111")
        assert text_of(app, "#message") == "启用码错误。请重新扫描工牌再试。"
        assert text_of(app, "#prompt") == "请扫描工牌"
        check_layout(app)
        await sign_in(pilot, LEADER)
        clock.advance(timedelta(hours=73))
        await type_in(pilot, code)
        assert "该启用码无效" in text_of(app, "#message")
        assert app.user is None
        check_layout(app)


async def test_a_supervisor_issues_a_code_and_resets_a_pin(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, SUPERVISOR, pin="1234")
        assert isinstance(app.screen, StationScreen)
        assert "PIN code for a badge" in key_help(app) and "My PIN" in key_help(app)
        check_layout(app)
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, IssueEnrolmentCodeScreen)
        check_modal_layout(app)
        await type_in(pilot, OPERATOR)
        assert "operators sign in with their badge alone" in text_of(app, "#message")
        await type_in(pilot, LEADER)  # has a PIN: the reset is confirmed first
        assert "Zhang Wei has a PIN. A new code clears it" in text_of(app, "#message")
        with db.connection():
            assert EnrolmentCode.select().count() == 0
        await pilot.press("f2")
        await settle(pilot)
        digits = app.screen.query_one("#enrol-code", Digits)
        shown = digits.value
        assert digits.display and len(shown.replace(" ", "")) == 8
        who = screen_text(app)
        assert "For Zhang Wei · Team leader · badge E1001" in who and "Valid until" in who
        assert "The old PIN no longer works" in text_of(app, "#message")
        check_modal_layout(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
    with db.connection():
        [row] = AuditEntry.select().where(AuditEntry.action == "reset_pin")
        assert (row.target, row.terminal) == (LEADER, "TEST-1")
        assert shown.replace(" ", "") not in row.detail
    # the old PIN no longer works; the code does
    try:
        auth.sign_in(Caller.of(None, clock), LEADER, "1234")
        raise AssertionError("the old PIN still works")
    except auth.NoPin:
        pass
    start = enrolment.check_code(Caller.of(None, clock), LEADER, shown)
    assert start.name == "Zhang Wei"


async def test_the_issuing_modal_in_chinese_for_a_given_badge(demo_plant, clock):
    _no_pin("E2001")
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, SUPERVISOR, pin="1234")
        issued: list[object] = []
        app.push_screen(IssueEnrolmentCodeScreen("e2001"), issued.append)  # the people screen
        await settle(pilot)
        assert app.screen.query_one("#enrol-code", Digits).display  # no PIN: no confirm step
        assert "签发给 Huang Qiang · 班组长 · 工牌 E2001" in screen_text(app)
        assert "请当面把此启用码交给 Huang Qiang" in text_of(app, "#message")
        check_modal_layout(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(issued[0], enrolment.IssuedCode)


@pytest.mark.slow  # a long Pilot walk-through
async def test_change_own_pin_from_the_station_screen(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, OPERATOR)
        assert "我的 PIN" not in key_help(app) and "为工牌签发启用码" not in key_help(app)
        await pilot.press("ctrl+n", "ctrl+e")  # not offered: nothing opens
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        await pilot.press("f10")
        await sign_in(pilot, LEADER, pin="1234")
        assert "我的 PIN" in key_help(app)
        check_layout(app)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ChangePinScreen)
        assert all(i.password for i in app.screen.query(Input))
        check_modal_layout(app)
        await pilot.press(*"9999", "enter", *"2580", "enter", *"2580", "enter")
        await settle(pilot)
        assert text_of(app, "#message") == "这不是您当前的 PIN。"
        assert app.focused is app.screen.query_one("#current", Input)
        await pilot.press(*"1234", "enter", *"0000", "enter", *"0000", "enter")
        await settle(pilot)
        assert text_of(app, "#message") == "同一数字重复组成的 PIN 太容易被猜到。"
        assert app.focused is app.screen.query_one("#pin", Input)
        check_modal_layout(app)
        await pilot.press(*"2580", "enter", *"2580", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert text_of(app, "#message") == "您的 PIN 已修改。今后请使用新 PIN。"
    try:
        auth.sign_in(Caller.of(None, clock), LEADER, "1234")
        raise AssertionError("the old PIN still works")
    except auth.PermissionDenied as refused:
        assert "Wrong PIN" in refused.message
    assert auth.sign_in(Caller.of(None, clock), LEADER, "2580").name == "Zhang Wei"


@pytest.mark.slow  # a long Pilot walk-through
async def test_the_first_admin_from_the_cli_enrols_at_a_kiosk(
    database, clock, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.delenv("QK_DATABASE_URL", raising=False)
    args = ["admin", "create", "--badge", "Q1", "--name", "Wang Fang", "--department", "QA"]
    assert cli.main([*args, "--db", database]) == 0
    code = capsys.readouterr().out.split("\n\n")[1].strip()
    assert cli.main(["admin", "create", "--badge", "Q2", "--name", "X", "--db", database]) == 2
    assert "active quality admin" in capsys.readouterr().err
    app = make_app(database, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "Q1")
        assert text_of(app, "#prompt") == "Wang Fang: enter your enrolment code."
        await type_in(pilot, code)
        assert "(6 digits or more)" in text_of(app, "#prompt")
        await type_in(pilot, "2580")
        assert "at least 6 digits" in text_of(app, "#message")
        await type_in(pilot, "947261")
        await type_in(pilot, "947261")
        assert isinstance(app.screen, StationScreen)
        assert app.user is not None and app.user.role == "quality_admin"
        assert "PIN code for a badge" in key_help(app)


async def test_a_half_done_enrolment_goes_back_to_the_badge(demo_plant, clock):
    _no_pin(LEADER)
    code = _issue_for(LEADER, clock)
    # 3 s: long enough that a loaded machine still gets to the PIN prompt in time
    app = make_app(demo_plant, clock, idle=3)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, LEADER)
        await type_in(pilot, code)
        assert "choose your PIN" in text_of(app, "#prompt")
        await pilot.pause(3.5)  # walked away: nobody else may choose a PIN in their name
        assert text_of(app, "#prompt") == "Scan your badge"
        assert "scan your badge again" in text_of(app, "#message")
        assert not app.screen.query_one("#pin", Input).display


async def test_an_ssh_user_mapped_to_a_leader_without_pin_is_asked_for_the_code(demo_plant, clock):
    from kiosk.app import KioskApp
    from kiosk.config import Settings

    _no_pin(LEADER)
    settings = Settings(database_url=demo_plant, terminal_id="ssh zhangwei")
    app = KioskApp(settings, clock=clock, preset_badge=LEADER)  # as `kiosk ssh-shell` starts it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.user is None  # never in on the mapped badge alone
        assert "Ask a supervisor for an enrolment code" in text_of(app, "#message")
    code = _issue_for(LEADER, clock)
    app = KioskApp(settings, clock=clock, preset_badge=LEADER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#prompt") == "Zhang Wei: enter your enrolment code."
        await type_in(pilot, code)
        await type_in(pilot, "2580")
        await type_in(pilot, "2580")
        assert isinstance(app.screen, StationScreen) and app.user.badge_code == LEADER
