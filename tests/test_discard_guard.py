"""Nothing entered is lost to one stray Esc: a form with something typed or changed asks
first ("Discard what you typed?"; keep editing is the default), a form left as it opened
closes at once. Driven by the Pilot at 80x24 on both engines, in English and Chinese.
And the sign-in's PIN step says whose badge it is."""

from __future__ import annotations

from textual.geometry import Region
from textual.widgets import Button, Input, Select

from models import Campaign, Defect, DefectProgress, db
from screens.action_form import ActionForm
from screens.admin_form import AdminForm
from screens.campaigns import CampaignForm, CampaignsScreen
from screens.defect_detail import DefectDetailScreen
from screens.defect_report import DefectReportScreen
from screens.discard import ConfirmDiscard
from screens.station import StationScreen
from tests.helpers.app import (
    SMALL,
    make_app,
    open_defect_report,
    open_menu_entry,
    screen_text,
    settle,
    shown_lines,
    sign_in,
    text_of,
)

TYPED = "Crimp height off on 3 of 20 pieces"


def _defects(description: str = TYPED) -> int:
    with db.connection():
        return Defect.select().where(Defect.description == description).count()


def _inside_the_screen(app) -> None:
    """The dialog and both its buttons lie whole inside the terminal."""
    width, height = app.size
    whole = Region(0, 0, width, height)
    dialog = app.screen.query_one("#discard")
    assert whole.contains_region(dialog.region), dialog.region
    for button in app.screen.query(Button):
        assert dialog.region.contains_region(button.region), (button.id, button.region)


async def test_esc_on_a_typed_report_asks_and_keep_editing_leaves_it_as_it_was(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        report = app.screen
        await pilot.press("2")  # the category by its digit: on to the description
        await pilot.press(*TYPED)
        await settle(pilot)
        description = report.query_one("#description", Input)
        assert app.focused is description and description.value == TYPED
        cursor = description.cursor_position

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        shown = "\n".join(shown_lines(app))
        assert "Discard what you typed?" in shown
        assert "Keep editing (Esc)" in shown and "Discard (D)" in shown
        _inside_the_screen(app)

        await pilot.press("escape")  # keep editing: the form exactly as it was
        await settle(pilot)
        assert app.screen is report
        assert description.value == TYPED and report.query_one("#category", Select).value
        assert app.focused is description and description.cursor_position == cursor
        assert _defects() == 0

        for key in ("n", "enter"):  # N, and Enter on the button focused first, keep it too
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmDiscard)
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is report and description.value == TYPED, key
            assert app.focused is description

        await pilot.press(*" more")  # typing goes on where it stopped
        assert description.value == TYPED + " more"

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")  # discard: back to the station, nothing saved
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert _defects() == _defects(TYPED + " more") == 0
        await pilot.press("f2")  # the next report starts empty
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        assert app.screen.query_one("#description", Input).value == ""


async def test_esc_on_an_untouched_form_closes_at_once(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        # a change put back as it was is no change
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("x", "backspace", "escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)


async def test_a_select_list_closes_on_esc_without_asking(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        report = app.screen
        report.query_one("#description", Input).value = TYPED
        category = report.query_one("#category", Select)
        category.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert category.expanded
        await pilot.press("escape")  # closes the list only
        await settle(pilot)
        assert app.screen is report and not category.expanded
        assert report.query_one("#description", Input).value == TYPED
        await pilot.press("escape")  # the form's Esc: something is typed, so it asks
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)


async def test_an_action_form_asks_too_and_discarding_writes_nothing(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await pilot.press("f5", "enter")  # the team's first open defect
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        await pilot.press("escape")  # untouched: closes at once
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)

        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        await pilot.press(*"Probe replaced")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#field-progress", Input).value == "Probe replaced"
        form.query_one("#form-cancel", Button).press()  # the Cancel button asks as well
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        with db.connection():
            assert not DefectProgress.select().where(DefectProgress.text == "Probe replaced")


async def test_admin_and_campaign_forms_ask_only_when_changed(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E4001", pin="1234")
        await open_menu_entry(pilot, app, 0)  # people
        await pilot.press("f3")  # edit the person: every field filled in, selects chosen
        await settle(pilot)
        assert isinstance(app.screen, AdminForm)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, (AdminForm, ConfirmDiscard))
        await pilot.press("escape", "escape")  # the people, the admin menu
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)

        await pilot.press("ctrl+k")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CampaignForm)
        await pilot.press(*"Autumn check")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and form.query_one("#field-name", Input).value == "Autumn check"
        await pilot.press("escape", "d")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        with db.connection():
            assert not Campaign.select().where(Campaign.name == "Autumn check")


async def test_the_question_in_chinese_fits_at_80x24(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        app.screen.query_one("#description", Input).value = "压接高度超差"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDiscard)
        shown = "\n".join(shown_lines(app))
        assert "放弃已输入的内容？" in shown
        assert "继续编辑（Esc）" in shown and "放弃（D）" in shown
        assert "按 Esc 或 N 返回表单" in screen_text(app)
        _inside_the_screen(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        assert app.screen.query_one("#description", Input).value == "压接高度超差"


async def test_the_pin_step_shows_whose_badge_it_is(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001")
        assert text_of(app, "#signing-in") == "Badge E1001"
        assert app.screen.query_one("#signing-in").display
        assert "enter your PIN" in text_of(app, "#prompt")
        lines = shown_lines(app)
        assert any("Badge E1001" in line for line in lines), lines
        await pilot.press("escape")  # back to the badge: nobody is signing in
        await settle(pilot)
        assert not app.screen.query_one("#signing-in").display
        await pilot.press("ctrl+l")
        await settle(pilot)
        await sign_in(pilot, "E1001")
        assert text_of(app, "#signing-in") == "工牌 E1001"
