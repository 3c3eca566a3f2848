"""The admin screens through the Pilot at 80x24, on SQLite and PostgreSQL: who sees the
admin key, a quality admin adding a person and moving them, a supervisor's view, a bad
badge in the form, the screens in Chinese."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.widgets import Button, DataTable, Input, OptionList, Select

from kiosk.caller import Caller
from models import AuditEntry, Employee, Station, Team, db
from screens.admin_codes import CodeListsScreen
from screens.admin_form import AdminForm
from screens.admin_lines import LinesAdminScreen
from screens.admin_people import PeopleScreen
from screens.station import StationScreen
from tests.helpers.app import (
    check_layout,
    key_help,
    make_app,
    open_menu_entry,
    screen_text,
    set_fields,
    settle,
    sign_in,
    text_of,
)

SIZE = (80, 24)


def menu_entries(app) -> list[str]:
    menu = app.screen.query_one("#admin-menu", OptionList)
    return [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]


def inside(app, widget) -> bool:
    width, height = app.size
    return Region(0, 0, width, height).contains_region(widget.region)


async def test_operator_and_leader_never_see_the_admin_key_and_are_refused(demo_plant, clock):
    for badge, pin in (("E1002", None), ("E1001", "1234")):
        app = make_app(demo_plant, clock)
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot, badge, pin=pin)
            assert isinstance(app.screen, StationScreen)
            assert "Administration" not in key_help(app)
            assert "^o" not in key_help(app).lower()
            await pilot.press("ctrl+o")
            await settle(pilot)
            assert isinstance(app.screen, StationScreen)
            assert "Administration: only a supervisor or above may use this key" in text_of(
                app, "#message"
            )
    with db.connection():
        assert not AuditEntry.select().where(AuditEntry.action == "manage people").exists()


@pytest.mark.slow  # a long Pilot walk-through
async def test_quality_admin_adds_a_person_then_changes_their_team(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", pin="1234")
        assert "Administration" in key_help(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        entries = menu_entries(app)
        assert len(entries) == 5 and "Departments & teams" in entries[3]
        assert "Campaigns" in entries[4]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        check_layout(app)
        assert "1–41 of 41 people" in text_of(app, "#people-count")

        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)
        await pilot.press(*"bad badge!")
        await set_fields(pilot, app, name="Qin Shu", department="MFG", team="T2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)  # refused: nothing typed is lost
        assert "cannot be printed on a badge" in text_of(app, "#error-badge_code")
        assert "field needs attention: Badge code" in text_of(app, "#message")
        assert inside(app, app.screen.query_one("#message"))
        assert inside(app, app.screen.query_one("#form-submit", Button))
        assert app.screen.query_one("#field-badge_code", Input).value == "bad badge!"
        assert app.screen.query_one("#field-name", Input).value == "Qin Shu"
        assert app.screen.query_one("#field-team", Select).value == "T2"
        assert app.focused is app.screen.query_one("#field-badge_code", Input)

        await set_fields(pilot, app, badge_code="n-0100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert "Added: N-0100 Qin Shu · T2 · Operator." in text_of(app, "#message")

        await pilot.press(*"qin s")
        await pilot.pause(0.4)
        await settle(pilot)
        table = app.screen.query_one("#people", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "N-0100"
        await pilot.press("enter")  # the search: the list takes the focus
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)
        assert app.screen.query_one("#field-team", Select).value == "T2"
        await set_fields(pilot, app, team="T3", role="team_leader")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        assert "N-0100 Qin Shu · T3 · Team leader" in text_of(app, "#message")
    with db.connection():
        person = Employee.get(Employee.badge_code == "N-0100")
        assert (person.team.code, person.role, person.department) == (
            "T3",
            "team_leader",
            "Manufacturing",
        )
        change = AuditEntry.get(AuditEntry.action == "change_person")
        assert change.detail == "team: T2 -> T3; role: operator -> team_leader"
        assert change.actor.badge_code == "E4001" and change.terminal == "TEST-1"


@pytest.mark.slow  # a long Pilot walk-through
async def test_a_supervisor_sees_people_and_lines_and_prints_labels(
    demo_plant, clock, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await pilot.press("ctrl+o")
        await settle(pilot)
        entries = menu_entries(app)
        assert len(entries) == 2
        assert "People" in entries[0] and "Lines & stations" in entries[1]
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#people", DataTable)
        table.focus()
        table.move_cursor(row=1)  # E1002 Li Na
        await pilot.press("f5")
        await settle(pilot)
        message = text_of(app, "#message")
        assert "Badge label written to" in message and "badge-E1002.pdf" in message
        assert list(tmp_path.rglob("badge-E1002.pdf"))
        await pilot.press("f4")
        await settle(pilot)
        assert "E1002 Li Na is deactivated" in text_of(app, "#message")
        assert "inactive" in str(table.get_row_at(1)[5])
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LinesAdminScreen)
        check_layout(app)
        assert "Stations of line L1" in text_of(app, "#stations-title")
        await pilot.press("f6")  # a label is for a station: the lines have the focus
        await settle(pilot)
        assert "Tab to the stations" in text_of(app, "#message")
        await pilot.press("tab")
        await pilot.press("f6")
        await settle(pilot)
        assert "station-L1-S01.pdf" in text_of(app, "#message")
        await pilot.press("f5")
        await settle(pilot)
        assert "Station L1-S01 is now inactive" in text_of(app, "#message")
        await pilot.press("f2")
        await settle(pilot)
        await set_fields(pilot, app, code="L9", name="Line nine", team="T3")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Line L9 added." in text_of(app, "#message")
    with db.connection():
        assert not Employee.get(Employee.badge_code == "E1002").active
        assert not Station.get(Station.code == "L1-S01").active
        assert AuditEntry.get(AuditEntry.action == "add_line").actor.badge_code == "E4002"


@pytest.mark.slow  # a long Pilot walk-through
async def test_the_admin_screens_in_chinese_at_80x24(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", pin="1234")
        assert "系统管理" in key_help(app)
        await open_menu_entry(pilot, app, 0)
        assert isinstance(app.screen, PeopleScreen)
        check_layout(app)
        assert "人" in text_of(app, "#people-count")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press(*"X Y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)
        shown = screen_text(app)
        assert "无法印在工牌上" in shown and "4 个栏目需要处理：工牌号、姓名、部门、班组。" in shown
        for selector in ("#message", "#form-submit", "#form-cancel"):
            assert inside(app, app.screen.query_one(selector))
        for line in text_of(app, "#message").split("\n"):
            assert cell_len(line) <= 80
        for _ in range(4):  # down to the last field: the list scrolls to follow the focus
            await pilot.press("tab")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#field-role", Select)
        assert app.screen.query_one("#form-fields").scroll_y > 0
        assert inside(app, app.focused) and inside(app, app.screen.query_one("#form-submit"))
        assert not app.focused.region.overlaps(app.screen.query_one("#form-buttons").region)
        await pilot.press("escape")  # something typed: asked first (放弃已输入的内容？)
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
        await pilot.press("escape")
        await settle(pilot)
        await open_menu_entry(pilot, app, 3)
        assert isinstance(app.screen, CodeListsScreen)
        check_layout(app)
        assert "部门" in screen_text(app) and "Quality" in screen_text(app)
        await pilot.press("f4")  # Manufacturing has people: refused, with the reason
        await settle(pilot)
        assert "名在职员工" in text_of(app, "#message")


async def test_people_come_a_page_at_a_time(demo_plant, clock):
    with db.connection():
        team = Employee.get(Employee.badge_code == "E1002").team
        Employee.insert_many(
            [
                {
                    "badge_code": f"P{n:04d}",
                    "name": f"Worker {n}",
                    "department": "PMC",
                    "team": team,
                }
                for n in range(120)
            ]
        ).execute()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await open_menu_entry(pilot, app, 0)
        assert "1–50 of 161 people" in text_of(app, "#people-count")
        await pilot.press("f7")
        await settle(pilot)
        assert "This is the first page." in text_of(app, "#message")
        for expected in ("51–100 of 161", "101–150 of 161", "151–161 of 161"):
            await pilot.press("f8")
            await settle(pilot)
            assert expected in text_of(app, "#people-count")
        await pilot.press("f8")
        await settle(pilot)
        assert "This is the last page." in text_of(app, "#message")
        table = app.screen.query_one("#people", DataTable)
        assert table.row_count == 11 and str(table.get_row_at(10)[0]) == "P0119"
        await pilot.press(*"worker 11")
        await pilot.pause(0.4)
        await settle(pilot)
        assert "1–11 of 11 people" in text_of(app, "#people-count")


@pytest.mark.slow  # a long Pilot walk-through
async def test_a_person_in_a_team_gone_inactive_is_edited_by_choosing_a_team_again(
    demo_plant, clock
):
    with db.connection():
        Team.update(active=False).where(Team.code == "T6").execute()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await open_menu_entry(pilot, app, 0)
        await pilot.press(*"E6002", "enter")
        await pilot.pause(0.4)
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)
        assert app.screen.query_one("#field-team", Select).value is Select.NULL
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Choose a team." in text_of(app, "#error-team")
        await set_fields(pilot, app, team="T1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "E6002 Yuan Qing · T1" in text_of(app, "#message")


@pytest.mark.slow  # a long Pilot walk-through
async def test_an_enrolment_code_from_the_people_list(demo_plant, clock):
    """F6 on a person: the one-time code for that badge, shown once, and it enrols."""
    from textual.widgets import Digits

    from kiosk.services.platform import enrolment
    from screens.enrolment_code import IssueEnrolmentCodeScreen

    with db.connection():  # a leader the roster import made, who has no PIN yet
        Employee.update(pin_hash=None).where(Employee.badge_code == "E2001").execute()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", pin="1234")
        await open_menu_entry(pilot, app, 0)
        assert isinstance(app.screen, PeopleScreen)
        assert "Enrolment code" in key_help(app)
        await pilot.press(*"E2001")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, IssueEnrolmentCodeScreen)
        digits = app.screen.query_one("#enrol-code", Digits)
        shown = digits.value.replace(" ", "")
        assert digits.display and len(shown) == 8
        assert "For Huang Qiang · Team leader · badge E2001" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PeopleScreen)
    assert enrolment.check_code(Caller.of(None, clock), "E2001", shown).name == "Huang Qiang"
    with db.connection():
        issued = AuditEntry.get(AuditEntry.action == "issue_enrolment_code")
        assert issued.target == "E2001" and shown not in issued.detail
