"""Driving the knowledge contest's host screen (contest and layout tests)."""

from __future__ import annotations

from textual.widgets import Input

from kiosk.app import KioskApp
from models import Choice, db
from screens.action_form import ActionForm
from screens.contest import CompetitionsMenu, ContestScreen
from tests.helpers.app import settle


def letter_of(question_id: int, correct: bool) -> str:
    with db.connection():
        choice = (
            Choice.select()
            .where((Choice.question == question_id) & (Choice.correct == correct))
            .order_by(Choice.position)
            .first()
        )
    return "abcdef"[choice.position - 1]


async def open_host_screen(pilot, app: KioskApp) -> None:
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(app.screen, CompetitionsMenu)
    await pilot.press("enter")  # the first choice: the knowledge contest
    await settle(pilot)
    assert isinstance(app.screen, ContestScreen)


async def submit_form(pilot, app: KioskApp, **values: str) -> None:
    assert isinstance(app.screen, ActionForm)
    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def first_item_answered_right(pilot, app: KioskApp) -> None:
    """On the host screen: a new contest of C1 and C2, its first item out, and team 1's
    member 2 answering it right (+2 to C1)."""
    await pilot.press("c")
    await settle(pilot)
    await submit_form(pilot, app, name="Morning round", teams="C1 C2")
    await pilot.press("n")
    await settle(pilot)
    question = app.screen.view.item.question_id
    await pilot.press("1", "2", letter_of(question, True), "enter")
    await settle(pilot)
