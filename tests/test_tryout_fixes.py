"""What a new user's tryout at 80x24 found: each fixed, on SQLite and PostgreSQL."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.caller import Caller
from models import Defect, db
from screens.defect_report import DefectReportScreen
from screens.signin import SignInScreen
from screens.station import StationScreen
from tests.helpers.app import SMALL, make_app, post_keys, settle, sign_in, text_of


async def test_a_restored_draft_sent_without_a_station_shows_its_receipt(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        post_keys(app, "L1-S01\n")
        await settle(pilot)
        await pilot.press("f2", "2", *"Guard rail bent")
        await settle(pilot)
        await pilot.press("f10")  # called away: the draft is kept
        await settle(pilot)
        await sign_in(pilot)
        assert "was kept when you were signed out" in text_of(app, "#message")
        await pilot.press("f2")  # no station scanned: the draft reopens
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        receipt = text_of(app, "#message")
        assert "reported" in receipt and "must correct it by" in receipt, receipt
        assert "if verified by then" in receipt
        assert "kept when you were signed out" not in receipt
        assert "Station L1-S01" in text_of(app, "#station-card")
    with db.connection():
        assert Defect.select().where(Defect.description == "Guard rail bent").count() == 1


async def test_f10_at_the_pin_prompt_goes_back_to_the_badge_prompt(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001")
        assert "enter your PIN" in text_of(app, "#prompt")
        await pilot.press("1", "2")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.user is None
        assert text_of(app, "#prompt") == "Scan your badge"
        pin = app.screen.query_one("#pin", Input)
        assert pin.value == "" and not pin.display
        await sign_in(pilot, "E1002")  # the next person starts from the badge
        assert isinstance(app.screen, StationScreen)


async def test_a_badge_scanned_for_a_station_says_it_is_a_badge(demo_plant, clock):
    from kiosk.services.platform import auth

    with db.connection():
        name = auth.identify_badge("E3003").name
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        post_keys(app, "E3003\n")
        await settle(pilot)
        said = text_of(app, "#message")
        assert f"That is a badge ({name}): press F10 to sign out first" in said, said
        assert "is not known" not in said


async def test_an_operator_is_refused_form_keys_before_any_form_opens(demo_plant, clock):
    """Contest, skills and lines: the key says at once who may use it; no form to fill in."""
    from screens.action_form import ActionForm
    from screens.contest import ContestScreen
    from screens.lines import LinesScreen
    from screens.skills import SkillsScreen
    from tests.helpers.contest import open_host_screen

    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E3003")
        await open_host_screen(pilot, app)
        for key, what in (("c", "New contest"), ("t", "Register team")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, ContestScreen), key
            said = text_of(app, "#message")
            assert f"{what}: only a team leader or above may use this key." in said, said
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f9", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SkillsScreen)
        await pilot.press("down", "enter")  # an event
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, ActionForm)
        said = text_of(app, "#message")
        assert "Add participant: only a supervisor or above may use this key." in said, said
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LinesScreen)
        for key, what, role in (
            ("p", "Production count", "team leader"),
            ("e", "Evaluate lines", "supervisor"),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LinesScreen), key
            said = text_of(app, "#message")
            assert f"{what}: only a {role} or above may use this key." in said, said
    with db.connection():
        from models import AuditEntry

        refused = [e.target for e in AuditEntry.select().where(AuditEntry.action == "key_refused")]
        assert sorted(refused) == sorted(
            ["create_contest", "register_team", "add_participant", "production", "evaluate"]
        )


def _key_style(app, key: str) -> str:
    """The style of a key's cap in the key help ("bold reverse" when offered)."""
    from screens.widgets.key_help import KeyHelp

    content = app.screen.query_one(KeyHelp).content
    for span in content.spans:
        if content.plain[span.start : span.end] == f" {key} ":
            return str(span.style)
    raise AssertionError(f"no key {key} in {content.plain!r}")


async def test_greyed_keys_in_a_defect_say_why_and_look_greyed(demo_plant, clock):
    from kiosk.services.defects import lifecycle
    from kiosk.services.defects.defects import DefectDraft, report_defect
    from kiosk.services.platform import auth
    from models import AuditEntry
    from screens.defect_detail import DefectDetailScreen

    closed = report_defect(
        Caller.of(auth.identify_badge("E4004"), clock),
        DefectDraft("L3-S02", "machine", "major", "inspection", "Nozzle clogged"),
    )
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E3002"), clock), closed.id)
    lifecycle.verify(Caller.of(auth.identify_badge("E1001"), clock), closed.id)
    lifecycle.close(
        Caller.of(auth.identify_badge("E3001"), clock),
        closed.id,
        lifecycle.RootCause("machine", "No cleaning cycle", "Cleaning every shift"),
    )
    own = report_defect(
        Caller.of(auth.identify_badge("E4004"), clock),
        DefectDraft("L1-S02", "machine", "minor", "inspection", "Loose earth screw"),
    )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001", pin="1234")  # a team leader of Line 1
        app.push_screen(DefectDetailScreen(closed.id))
        await settle(pilot)
        assert _key_style(app, "t") == "strike"
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        assert text_of(app, "#message") == ("Typical: only a supervisor or above may use this key.")
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(DefectDetailScreen(own.id))
        await settle(pilot)
        assert _key_style(app, "p") == "bold reverse"
        assert _key_style(app, "a") == "strike" and _key_style(app, "v") == "strike"
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        assert text_of(app, "#message") == (
            "Reassign: only a supervisor or above may use this key."
        )
        await pilot.press("v")
        await settle(pilot)
        assert text_of(app, "#message") == (
            f"Verify: defect {own.short_id} is reported; this key needs it fixed, "
            "awaiting verification."
        )
    with db.connection():
        targets = [e.target for e in AuditEntry.select().where(AuditEntry.action == "key_refused")]
        assert sorted(targets) == ["defect_reassign", "defect_typical", "defect_verify"]
