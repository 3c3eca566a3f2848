"""Lines screen through the Pilot: enter a production count, evaluate, the flag moves."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from kiosk.caller import Caller
from kiosk.services.lines import lines
from models import db
from models.lines import LineEvaluation, ProductionCount
from screens.action_form import ActionForm
from screens.lines import LinesScreen
from tests.helpers.app import SIZE, make_app, set_fields, settle, sign_in, text_of


async def submit(pilot, app, **values: str) -> None:
    assert isinstance(app.screen, ActionForm)
    await set_fields(pilot, app, **values)
    await pilot.press("ctrl+s")
    await settle(pilot)


@pytest.mark.slow  # a long Pilot walk-through
async def test_supervisor_counts_production_and_evaluates_the_lines(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LinesScreen)
        assert "No line has been evaluated yet" in text_of(app, "#flag")

        await pilot.press("p")
        await settle(pilot)
        assert app.screen.query_one("#field-day", Input).value == "2025-09-10"
        await submit(pilot, app, line="L2", produced="500", passed_first="501")
        assert isinstance(app.screen, ActionForm)  # refused, nothing lost
        assert "More units passed" in text_of(app, "#error-passed_first")
        assert app.screen.query_one("#field-produced", Input).value == "500"
        await submit(pilot, app, passed_first="480")
        assert isinstance(app.screen, LinesScreen)
        assert "480 of 500 passed" in text_of(app, "#message")
        fpy = app.screen.query_one("#fpy", DataTable)
        rows = {
            str(fpy.get_row_at(i)[0]).split()[0]: str(fpy.get_row_at(i)[-1])
            for i in range(fpy.row_count)
        }  # the line's code first: its name may be elided
        assert rows["L2"] == "96.0 %"

        await pilot.press("e")
        await settle(pilot)
        await submit(
            pilot, app, L1_5s="80", L1_ops="80", L2_5s="90", L2_ops="85", L3_5s="", L3_ops="70"
        )
        assert isinstance(app.screen, ActionForm)
        assert "0 to 100" in text_of(app, "#error-L3_5s")
        await submit(pilot, app, L3_5s="75")
        # L1 and L3 have no counts this week: their FPY is unknown, not 0 %
        assert isinstance(app.screen, ActionForm)
        assert "No production counts for L1, L3 between" in text_of(app, "#message")
        for code in ("L1", "L3"):
            lines.record_production(Caller.of(app.user, clock), code, "2025-09-09", 100, 95)
        await submit(pilot, app)
        assert isinstance(app.screen, LinesScreen)
        assert "Mobile Flag goes to L2" in text_of(app, "#message")
        assert "is with L2 DC Fast Charger Assembly" in str(
            app.screen.query_one("#flag", Static).content
        )
    with db.connection():
        count = ProductionCount.get(ProductionCount.produced == 500)
        assert (count.produced, count.passed_first, count.line.code) == (500, 480, "L2")
        assert LineEvaluation.get().winner.code == "L2"


async def test_operator_cannot_evaluate(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f12")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, LinesScreen)  # refused at once: no form to fill in
        assert "only a supervisor or above may use this key" in text_of(app, "#message")
    with db.connection():
        assert LineEvaluation.select().count() == 0


async def test_f12_yields_cover_the_boards_period(demo_plant, clock):
    from kiosk.services.platform import auth
    from kiosk.services.reports import kpis

    # counted in August: inside "the last 30 days" but outside the September campaign
    lines.record_production(
        Caller.of(auth.identify_badge("E4002"), clock), "L1", "2025-08-20", 100, 50
    )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, LinesScreen)
        summary = kpis.board_summary(Caller.system(clock))
        assert f"First-pass yield, {summary.period}" in text_of(app, "#fpy-title")
        assert summary.period == "Sep 01 – Sep 30"
        fpy = app.screen.query_one("#fpy", DataTable)
        shown = {
            str(fpy.get_row_at(i)[0]).split()[0]: str(fpy.get_row_at(i)[1])
            for i in range(fpy.row_count)
        }
        board = {y.line_code: f"{y.produced:,}" for y in summary.line_yields}
        assert shown == board and shown["L1"] == "0"
