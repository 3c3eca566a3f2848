"""The practice quiz and the assessment answer like the defect report's quick select: a
digit or a letter picks a choice, Enter confirms it; at 80x24."""

from __future__ import annotations

from textual.widgets import OptionList

from models import QuizAnswer
from screens.assessment import AssessmentScreen
from screens.quiz import QuizScreen
from tests.helpers.app import make_app, settle, sign_in, text_of
from tests.helpers.training import current_item, five_items

SMALL = (80, 24)


async def test_the_quiz_answers_with_a_letter_then_enter_at_80x24(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen)
        choices = app.screen.query_one("#choices", OptionList)
        assert "1 A  " in str(choices.get_option_at_index(0).prompt)
        assert "Press 1-" in text_of(app, "#message") and "or A-" in text_of(app, "#message")
        await pilot.press("enter")  # nothing chosen yet: a stray Enter answers nothing
        await settle(pilot)
        assert QuizAnswer.select().count() == 0
        await pilot.press("b")  # the second choice, marked, not yet answered
        await settle(pilot)
        assert choices.highlighted == 1
        assert text_of(app, "#message").startswith("Chosen: B: ")
        assert QuizAnswer.select().count() == 0
        await pilot.press("1")  # changed the mind: the first
        await pilot.press("enter")
        await settle(pilot)
        answers = list(QuizAnswer.select())
        assert len(answers) == 1 and answers[0].choice.position == 1
        assert "Answer saved" in text_of(app, "#message")
        assert text_of(app, "#feedback")


async def test_the_assessment_answers_with_a_letter_then_enter_at_80x24(demo_plant, clock):
    five_items()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, AssessmentScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 1 of 5")
        assert "or A-" in text_of(app, "#message")
        item = current_item(app)
        await pilot.press("b")
        await settle(pilot)
        assert app.screen.query_one("#choices", OptionList).highlighted == 1
        assert QuizAnswer.select().count() == 0  # chosen, not saved
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 2 of 5")
        saved = QuizAnswer.get()
        assert saved.question_id == item.question_id and saved.choice.position == 2
        await pilot.press("2", "enter")  # digits the same way
        await settle(pilot)
        assert text_of(app, "#progress").startswith("Item 3 of 5")
        assert QuizAnswer.select().count() == 2
