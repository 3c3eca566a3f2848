"""Assessment helpers: the item on screen, short attempts."""

from __future__ import annotations

from kiosk.app import KioskApp
from models import Campaign
from screens.assessment import AssessmentScreen


def current_item(app: KioskApp):
    screen = app.screen
    assert isinstance(screen, AssessmentScreen) and screen.view is not None
    return screen.view.current


def five_items() -> None:
    """Short attempts keep the Pilot tests quick: 5 items, pass mark 80 % (4 of 5)."""
    Campaign.update(assessment_items=5).execute()
