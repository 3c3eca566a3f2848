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
