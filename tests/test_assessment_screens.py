"""Assessments and coverage driven through the real screens with the Pilot."""

from __future__ import annotations

from textual.widgets import DataTable, Digits, OptionList

from kiosk.app import KioskApp
from kiosk.errors import DatabaseUnavailable
from kiosk.services.training import assessments
from models import AuditEntry, Choice, QuizAnswer
from models.assessments import Assessment
from screens.assessment import AssessmentScreen, ResumeOffer
from screens.coverage import CoverageScreen
from tests.helpers.app import SIZE, make_app, open_coverage, post_keys, settle, text_of
from tests.helpers.training import current_item, five_items


def table_rows(app: KioskApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def choice_for(question_id: int, right: bool) -> int:
    query = Choice.question == question_id
    query &= Choice.correct if right else ~Choice.correct
    return Choice.get(query).position


async def answer(pilot, app: KioskApp, right: bool) -> None:
    item = current_item(app)
    post_keys(app, f"{choice_for(item.question_id, right)}\n")
    await settle(pilot)


async def sign_in(pilot, badge: str, pin: str | None = None) -> None:
    """As tests.test_screens.sign_in, typed as a scanner does (quicker than key by key)."""
    await settle(pilot)
    post_keys(pilot.app, badge + "\n")
    await settle(pilot)
    if pin is not None:
        post_keys(pilot.app, pin + "\n")
        await settle(pilot)


async def test_a_supervisor_passes_and_sees_coverage_rise(demo_plant, clock):
    five_items()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", "1234")
        await open_coverage(pilot, app)
        assert str(app.screen.query_one("#coverage-percent", Digits).value) == "0"
        assert "0 of 40" in text_of(app, "#coverage-summary")
        assert "Liang Yu" in [row[0] for row in table_rows(app, "#missing")]
        assert text_of(app, "#missing-title") == "Still missing: 40"
        await pilot.press("escape")
        await settle(pilot)

        assert isinstance(app.screen, AssessmentScreen)
        assert "5 items drawn at random · pass mark 80 %" in text_of(app, "#intro")
        await pilot.press("enter")
        await settle(pilot)
        for number in range(1, 6):
            assert text_of(app, "#progress").startswith(f"Item {number} of 5")
            await answer(pilot, app, right=number != 3)
        result = text_of(app, "#result")
        assert "PASSED" in result and "NOT PASSED" not in result
        assert "4 of 5 right (80 %)" in result
        missed = text_of(app, "#missed")
        assert "Items you missed (1)" in missed and "Item 3." in missed
        assert missed.count("Why: ") == 1
        assert Assessment.get().passed is True

        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, CoverageScreen)
        assert str(app.screen.query_one("#coverage-percent", Digits).value) == "2"
        assert "1 of 40" in text_of(app, "#coverage-summary")
        assert "Liang Yu" not in [row[0] for row in table_rows(app, "#missing")]
        assert text_of(app, "#missing-title") == "Still missing: 39"
        quality = next(r for r in table_rows(app, "#by-department") if r[0] == "Quality")
        assert quality == ["Quality", "1", "7", "14 %"]
        team = next(r for r in table_rows(app, "#by-team") if r[0].startswith("Quality Insp"))
        assert team[1:] == ["1", "16 %"]  # at 80x24 a team's Total gives way to its name


async def test_double_enter_saves_once_a_lost_database_keeps_the_choice_no_coverage(
    demo_plant, clock, monkeypatch
):
    five_items()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("g")  # an operator has no coverage key
        await settle(pilot)
        assert isinstance(app.screen, AssessmentScreen)
        post_keys(app, "\n\n")  # start, and a stray second Enter
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 1 of 5")
        item = current_item(app)
        post_keys(app, f"{choice_for(item.question_id, True)}\n\n\n")
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 2 of 5")
        assert app.screen.query_one("#choices", OptionList).highlighted is None
        assert QuizAnswer.select().count() == 1
        await pilot.press("6")
        await settle(pilot)
        assert "Choose 1 to" in text_of(app, "#message")

        real = assessments.answer_item

        def away(*args, **kwargs):
            raise DatabaseUnavailable("The quality database cannot be reached right now.")

        monkeypatch.setattr(assessments, "answer_item", away)
        await pilot.press("2", "enter")
        await settle(pilot)
        assert "cannot be reached" in text_of(app, "#message")
        assert app.screen.query_one("#choices", OptionList).highlighted == 1
        assert text_of(app, "#progress").startswith("Item 2 of 5")
        monkeypatch.setattr(assessments, "answer_item", real)
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 3 of 5")
        answers = list(QuizAnswer.select().order_by(QuizAnswer.answered_at))
        assert len(answers) == 2 and answers[1].choice.position == 2
        assert {a.context for a in answers} == {"assessment"}

        app.push_screen(CoverageScreen())  # however an operator got here: refused, audited
        await settle(pilot)
        assert "Only a supervisor or above may view training coverage" in text_of(app, "#message")
        assert app.screen.query_one("#missing", DataTable).row_count == 0
        refused = AuditEntry.get(AuditEntry.action == "view_training_coverage")
        assert (refused.allowed, refused.actor.badge_code) == (False, "E1002")


async def test_after_a_restart_the_kiosk_offers_to_continue(demo_plant, clock):
    five_items()
    first = make_app(demo_plant, clock)
    async with first.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(2):
            await answer(pilot, first, right=True)
        assert text_of(first, "#progress").startswith("Item 3 of 5")
    # the power went: a new app, a new sign-in
    second = make_app(demo_plant, clock)
    async with second.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        assert isinstance(second.screen, ResumeOffer)
        assert "answered 2 of 5 items" in text_of(second, "#resume-text")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(second.screen, AssessmentScreen)
        assert text_of(second, "#progress").startswith("Item 3 of 5")
        assert "Welcome back" in text_of(second, "#message")
        for _ in range(3):
            await answer(pilot, second, right=True)
        assert "5 of 5 right (100 %)" in text_of(second, "#result")
        assert "Every item right" in text_of(second, "#missed")
        assert QuizAnswer.select().count() == 5
        assert Assessment.select().count() == 1
