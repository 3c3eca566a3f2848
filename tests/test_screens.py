"""The operator's loop driven through the real screens with the Pilot, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from textual import events
from textual.widgets import DataTable, Digits, Input, Select

from kiosk.services.plant import plant
from kiosk.services.plant.stations import make_payload
from kiosk.services.platform import ledger
from kiosk.services.platform.ledger import Award
from kiosk.services.platform.uow import transaction
from models import Campaign, Defect, DefectEvent, LedgerEntry, QuizAnswer, Team, db
from screens.defect_report import DefectReportScreen
from screens.quiz import QuizScreen
from screens.signin import SignInScreen
from screens.station import StationScreen
from screens.team_points import TeamPointsScreen
from screens.widgets.scan_input import ScanInput
from tests.helpers.app import (
    SIZE,
    SMALL,
    make_app,
    open_defect_report,
    post_keys,
    settle,
    shown_lines,
    sign_in,
    text_of,
)


async def test_sign_in_refuses_unknown_and_inactive_badges(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "NOPE42")
        assert isinstance(app.screen, SignInScreen)
        assert "Badge NOPE42 is not known" in text_of(app, "#message")
        await sign_in(pilot, "E9001")
        assert isinstance(app.screen, SignInScreen)
        assert "inactive" in text_of(app, "#message")
        assert app.user is None


async def test_demo_codes_are_shown_on_sign_in(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        hints = text_of(app, "#hints")
        assert "E1002" in hints and "L1-S01" in hints and "PIN 1234" in hints


async def test_operator_signs_in_and_scans_a_signed_station_label(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "e1002")
        assert isinstance(app.screen, StationScreen)
        assert "Li Na" in text_of(app, "#greeting")
        payload = make_payload("S", "L1-S01", plant.signing_key())
        post_keys(app, payload + "\n")
        await settle(pilot)
        card = text_of(app, "#station-card")
        assert "Station L1-S01" in card
        assert "AC Charger Assembly" in card
        assert "Line 1 Team" in card
        table = app.screen.query_one("#open-defects", DataTable)
        assert table.row_count == 1  # the demo's open crimping defect
        assert "Crimp height" in str(table.get_row_at(0)[-1])


async def test_back_to_back_scans_do_not_merge(demo_plant, clock, monkeypatch):
    scanned: list[str] = []
    original = StationScreen.on_scan_input_scanned

    def record(screen: StationScreen, event: ScanInput.Scanned) -> None:
        scanned.append(event.text)
        original(screen, event)

    monkeypatch.setattr(StationScreen, "on_scan_input_scanned", record)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        key = plant.signing_key()
        burst = ["Q" * 40] + [make_payload("S", c, key) for c in ("L1-S01", "L2-S03", "L3-S05")]
        post_keys(app, "".join(code + "\n" for code in burst))
        await settle(pilot)
        assert scanned == burst
        assert "Station L3-S05" in text_of(app, "#station-card")
        assert app.screen.query_one("#station-scan", Input).value == ""


async def test_bad_scans_get_clear_messages_and_nothing_crashes(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        key = plant.signing_key()
        forged = make_payload("S", "L1-S01", key)[:-4] + "AAAA"
        cases = [
            ("%%%garbage%%%\n", "is not a Quality Kiosk code"),
            ("ZZ-S99\n", "Station ZZ-S99 is not known"),
            (forged + "\n", "invalid signature"),
            ("QK7:S:L1-S01:ABC\n", "format QK7"),
            (make_payload("B", "E1002", key) + "\n", "That is a badge"),
        ]
        for typed, expected in cases:
            post_keys(app, typed)
            await settle(pilot)
            assert expected in text_of(app, "#message"), typed
            assert isinstance(app.screen, StationScreen)
        scan_input = app.screen.query_one("#station-scan", ScanInput)
        scan_input.post_message(events.Paste("X" * 10_000 + "\n"))
        await settle(pilot)
        assert "10,000 characters long" in text_of(app, "#message")
        scan_input.post_message(events.Paste("\x1b[31m\x1b]0;title\x07\n"))
        await settle(pilot)
        assert "Nothing was scanned" in text_of(app, "#message")
        post_keys(app, "Y" * 600 + "\n")  # a runaway scanner: counted, not kept
        await settle(pilot)
        assert "600 characters long" in text_of(app, "#message")
        post_keys(app, "L1-\x01S02\n")
        await settle(pilot)
        assert "Station L1-S02" in text_of(app, "#station-card")


async def test_report_a_defect_in_a_few_keystrokes(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        app.screen.query_one("#category", Select).value = "machine"
        app.screen.query_one("#description", Input).focus()
        await pilot.press(*"Loose screw on main board", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert "reported" in text_of(app, "#message")
        assert "Line 1 Team" in text_of(app, "#message")
        with db.connection():
            defect = Defect.get(Defect.description == "Loose screw on main board")
            assert defect.station.code == "L1-S02"
            assert defect.team.code == "T1"
            assert defect.category == "machine" and defect.severity == "minor"
            assert defect.reported_at == clock.now()
            assert defect.due_at == clock.now() + timedelta(hours=48)
            assert defect.terminal == "TEST-1"
            events_ = list(DefectEvent.select().where(DefectEvent.defect == defect))
            assert [(e.to_status, e.actor.badge_code) for e in events_] == [("reported", "E1002")]
        assert app.screen.query_one("#open-defects", DataTable).row_count == 1


async def test_a_second_enter_after_a_report_keeps_its_receipt(demo_plant, clock):
    """Enter pressed twice on the description: one defect, and its receipt (team, deadline,
    points) stays on screen instead of "Nothing was scanned"."""
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        await pilot.press("2", *"Loose screw twice", "enter")
        await settle(pilot)
        await pilot.press("enter")  # the hurried second press reaches the station screen
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        shown = "\n".join(shown_lines(app))
        assert "reported. Line 1 Team (AC chargers) must correct it by" in shown
        assert "Nothing was scanned" not in shown
        with db.connection():
            assert Defect.select().where(Defect.description == "Loose screw twice").count() == 1
        await pilot.press("enter")  # with no station shown, Enter alone still says why
        await settle(pilot)
        await pilot.press("f10")
        await sign_in(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "Nothing was scanned" in text_of(app, "#message")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_typing_into_the_category_says_how_to_pick_one(demo_plant, clock, language):
    """A description typed before the category is picked went nowhere without a word; now
    the first key that picks nothing says how to pick (once), and a digit still picks."""
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        await pilot.press("无", "x", "?")
        await settle(pilot)
        category = app.screen.query_one("#category", Select)
        assert category.value == Select.NULL and category.has_focus
        said = {
            "en": "“无” is not one of the choices here: a digit 1–6 picks one",
            "zh_CN": "“无”不是这里的选项：按数字 1–6 选择一项",
        }[language]
        told = [n.message for n in app._notifications]  # the boxes at the screen's right
        assert len(told) == 1 and said in told[0]  # once, not a box for every key
        await pilot.press("2")
        await settle(pilot)
        assert category.value == "machine"
        assert app.screen.query_one("#description", Input).has_focus


async def test_incomplete_report_keeps_what_was_typed(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        post_keys(app, "L3-S01\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#source", Select).value = "incoming_material"
        await settle(pilot)
        screen.query_one("#description", Input).value = "Paste viscosity too low"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "Choose the 5M1E category" in text_of(app, "#error-category")
        assert "supplier" in text_of(app, "#error-supplier")
        assert "lot number" in text_of(app, "#error-lot")
        assert screen.query_one("#description", Input).value == "Paste viscosity too low"
        with db.connection():
            assert Defect.select().where(Defect.description.contains("viscosity")).count() == 0
        screen.query_one("#description", Input).value = ""
        screen.query_one("#category", Select).value = "material"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Describe the defect" in text_of(app, "#error-description")


async def test_report_survives_a_lost_database(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        post_keys(app, "L2-S01\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#category", Select).value = "method"
        screen.query_one("#description", Input).value = "Work instruction outdated"
        real = db.database_proxy.obj
        db.database_proxy.initialize(db.make_database("postgresql://qk@127.0.0.1:1/gone"))
        try:
            await pilot.press("ctrl+s")
            await pilot.press("ctrl+s")  # an impatient second press saves nothing twice
            await settle(pilot)
            # kept on the kiosk, not lost, and the person is told so
            assert isinstance(app.screen, StationScreen)
            assert "kept on this kiosk" in text_of(app, "#message")
            assert "offline — 1 waiting" in app.status_line()
        finally:
            db.database_proxy.initialize(real)
        app.forward_outbox()  # the forwarder's timer, without waiting for it
        await settle(pilot)
        assert "waiting" not in app.status_line()
        with db.connection():
            assert (
                Defect.select().where(Defect.description == "Work instruction outdated").count()
                == 1
            )


async def test_quiz_answer_is_saved_with_feedback(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen)
        question = app.screen.question
        assert question is not None
        assert question.text in text_of(app, "#question")
        await pilot.press("1", "enter")
        await pilot.press("1", "enter")  # a second answer to the same item changes nothing
        await settle(pilot)
        feedback = text_of(app, "#feedback")
        assert ("Correct" in feedback) or ("Not quite" in feedback)
        with db.connection():
            answers = list(QuizAnswer.select())
            assert len(answers) == 1
            assert answers[0].question_id == question.id
            assert answers[0].choice.position == 1
            assert ("Correct" in feedback) == answers[0].correct
        right = 1 if "Correct" in feedback else 0
        assert f"Your answers so far: {right} right of 1." == text_of(app, "#score")
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.question is not None and app.screen.question.id != question.id


async def test_team_points_show_ledger_totals_with_own_team(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E2003")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TeamPointsScreen)
        table = app.screen.query_one("#team-table", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        with db.connection():
            expected = sum(e.amount for e in LedgerEntry.select() if e.team.code == "T2")
        own = [row for row in rows if row[1].startswith("▶ ")]
        assert len(own) == 1 and "Line 2 Team" in own[0][1]
        assert own[0][2].strip() == f"{expected:+d}"
        assert len(rows) == 6
        assert str(app.screen.query_one("#own-points", Digits).value) == f"{expected:+d}"


async def test_team_points_at_80x24_show_the_own_team_and_the_rules(demo_plant, clock):
    """At a plant the own team may rank 19th of 46: F4 puts its row in sight (it was below
    the screen's edge), and the line under the table (how points come, Enter for a team's
    rows) is no longer pushed off the screen."""
    with transaction():
        campaign = Campaign.get(Campaign.active).id
        extra = [Team.create(code=f"X{n:02d}", name=f"Extra team {n:02d}").id for n in range(14)]
    for n, team in enumerate(extra):
        ledger.award(
            Award(team, 50 + n, "test", "test", str(n), f"extra:{n}", campaign_id=campaign)
        )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E2003")
        await pilot.press("f4")
        await settle(pilot)
        shown = "\n".join(shown_lines(app))
        assert re.search(r"Line 2 Team \(DC fast chargers\): rank (1[5-9]|20) of 20", shown)
        assert "▶ Line 2 Team" in shown
        assert "Points come from the ledger" in shown


async def test_leader_needs_pin_and_idle_sign_out(demo_plant, clock):
    app = make_app(demo_plant, clock, idle=60)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001")
        assert isinstance(app.screen, SignInScreen)
        assert "enter your PIN" in text_of(app, "#prompt")
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert "Wrong PIN" in text_of(app, "#message")
        await sign_in(pilot, "E1001", pin="1234")
        assert isinstance(app.screen, StationScreen)
        assert app.user is not None and app.user.role == "team_leader"
        clock.advance(timedelta(seconds=61))
        app.check_idle_sign_out()
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert app.user is None
        assert "without activity" in text_of(app, "#message")


@pytest.mark.slow  # a long Pilot walk-through
async def test_a_defect_in_four_keys_plus_the_description(demo_plant, clock):
    """After a scan: F2, a digit for the category, the description, Enter (3 keys + text);
    the next report at that station remembers the category: F2, text, Enter."""
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        post_keys(app, "L1-S02\n")
        await settle(pilot)
        keys = ["f2", "2", *"Torque tool reads low", "enter"]
        for key in keys:
            await pilot.press(key)
            if key == "f2":  # the form opens when its choices are read (a thread): then type
                await settle(pilot)
        await settle(pilot)
        assert len(keys) - len("Torque tool reads low") == 3
        assert isinstance(app.screen, StationScreen)
        receipt = text_of(app, "#message")
        assert "Line 1 Team" in receipt and "+2 if verified by then, -2 if not" in receipt
        for key in ["f2", *"Second screw loose", "enter"]:
            await pilot.press(key)
            if key == "f2":
                await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
    with db.connection():
        first = Defect.get(Defect.description == "Torque tool reads low")
        second = Defect.get(Defect.description == "Second screw loose")
        for defect in (first, second):
            assert (defect.category, defect.severity, defect.source) == (
                "machine",
                "minor",
                "inspection",
            )
            assert defect.station.code == "L1-S02"


@pytest.mark.slow  # a long Pilot walk-through
async def test_the_station_screen_at_80x24_shows_open_defect_rows(demo_plant, clock):
    """A workshop terminal: under the card and the keys, open defects still show."""
    from textual.geometry import Region

    for badge, pin in (("E1002", None), ("E4001", "1234")):  # the fewest and the most keys
        app = make_app(demo_plant, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, badge, pin=pin)
            post_keys(app, "L1-S02\n")
            await settle(pilot)
            for text in ("Loose screw", "Scratched cover"):
                await pilot.press("f2", "2", *text, "enter")
                await settle(pilot)
            table = app.screen.query_one("#open-defects", DataTable)
            assert table.row_count >= 2
            shown = table.region.intersection(Region(0, 0, 80, 24))
            assert shown.height >= 3, f"{badge}: the table shows {shown.height} lines"


@pytest.mark.slow  # a long Pilot walk-through
async def test_idle_sign_out_keeps_a_half_typed_report_for_its_author(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        post_keys(app, "L1-S02\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)  # the form opens when its choices are read (a thread): then type
        await pilot.press("3", *"Wrong cable lot on the ")  # half-typed: then called away
        await settle(pilot)
        kept_id = app.screen.defect_id
        clock.advance(timedelta(seconds=121))
        app.check_idle_sign_out()
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)

        await sign_in(pilot, "E1003")  # someone else: nothing of it
        assert "kept when you were signed out" not in text_of(app, "#message")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)  # no station, no draft of theirs
        await pilot.press("f10")
        await settle(pilot)

        await sign_in(pilot)  # the author, on the next sign-in at this kiosk
        assert "Your report at station L1-S02 was kept" in text_of(app, "#message")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        form = app.screen
        assert form.query_one("#description", Input).value == "Wrong cable lot on the "
        assert form.query_one("#category", Select).value == "material"
        await pilot.press(*"crimping station", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen), text_of(app, "#message")
    with db.connection():
        defect = Defect.get(Defect.description == "Wrong cable lot on the crimping station")
        assert defect.id == kept_id and defect.station.code == "L1-S02"


@pytest.mark.slow  # a long Pilot walk-through
async def test_f10_signs_out_from_a_form_and_from_the_admin_screens(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        post_keys(app, "L1-S02\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.user is None

        await sign_in(pilot, "E4001", pin="1234")
        await pilot.press("ctrl+o", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, StationScreen)  # the people list
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen) and app.user is None
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["SignInScreen"]
