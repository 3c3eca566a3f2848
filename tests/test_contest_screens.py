"""Contest host, live scoreboard and skill judging driven through the real screens."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Digits, Input

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.config import Settings
from kiosk.services.platform.auth import identify_badge
from kiosk.services.training import contests, skills
from models import LedgerEntry, db
from screens.action_form import ActionForm
from screens.contest import ContestScreen
from screens.scoreboard import ScoreboardScreen
from screens.skills import SkillsScreen
from tests.helpers.app import SIZE, make_app, settle, sign_in, text_of
from tests.helpers.contest import letter_of, open_host_screen, submit_form


def scoreboard_app(url: str, clock, contest_id: int | None = None) -> KioskApp:
    settings = Settings(database_url=url, terminal_id="WALL-1", idle_timeout_seconds=120)
    return KioskApp(settings, clock=clock, start_screen=lambda: ScoreboardScreen(contest_id))


def rows(app: KioskApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def card_points(app: KioskApp, team_id: int) -> str:
    return str(app.screen.query_one(f"#card-{team_id} Digits", Digits).value)


def contest_rows() -> list[tuple[int, int, str]]:
    with db.connection():
        return [
            (row.team_id, row.amount, row.idempotency_key)
            for row in LedgerEntry.select()
            .where(LedgerEntry.cause_type == "contest")
            .order_by(LedgerEntry.id)
        ]


@pytest.mark.slow  # a long Pilot walk-through
async def test_host_runs_a_contest_and_a_double_enter_counts_once(demo_plant, clock):
    eagles, builders = contests.contest_teams()  # the demo's C1 and C2
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001", "1234")
        await open_host_screen(pilot, app)
        assert [r[:2] for r in rows(app, "#teams")] == [
            ["C1", "Zero Defect Eagles"],
            ["C2", "Reliability Builders"],
        ]
        # registering a team: a refusal keeps everything typed
        await pilot.press("t")
        await settle(pilot)
        typed = {
            "name": "Sharp Eyes",
            "member1": "E1003",
            "member2": "E2003",
            "member3": "E4006",
            "member4": "e1003",
        }
        await submit_form(pilot, app, **typed)
        form = app.screen
        assert isinstance(form, ActionForm)  # still open, everything kept
        assert str(form.query_one("#error-member4").content).startswith(
            "E1003 (Wang Fang) is listed twice"
        )
        assert {n: form.query_one(f"#field-{n}", Input).value for n in typed} == typed
        await submit_form(pilot, app, member4="E5004")
        assert isinstance(app.screen, ContestScreen)
        assert "Team C3 Sharp Eyes registered" in text_of(app, "#message")
        assert rows(app, "#teams")[2][:2] == ["C3", "Sharp Eyes"]

        await pilot.press("c")
        await settle(pilot)
        await submit_form(pilot, app, name="Morning round", teams="c1, C2")
        assert isinstance(app.screen, ContestScreen)
        assert "Morning round" in text_of(app, "#contest-title")
        await pilot.press("n")
        await settle(pilot)
        view = app.screen.view
        assert view is not None and view.item is not None
        assert text_of(app, "#question").endswith(view.item.text)
        question = view.item.question_id

        # team 1 answers right; Enter pressed twice in a row
        await pilot.press("1", letter_of(question, True), "enter")  # no member yet
        assert "Pick the member who answered (1-4) first" in text_of(app, "#message")
        assert "Member: 1 " in text_of(app, "#pending")
        await pilot.press("3")  # the third member of team 1 answered
        eagles_third = app.screen.view.standing(eagles.id).members[2]
        assert f"Zero Defect Eagles ({eagles_third}) answers" in text_of(app, "#pending")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert f"Zero Defect Eagles ({eagles_third}) answered" in text_of(app, "#message")
        assert "RIGHT, +2" in text_of(app, "#message")
        # team 2 answers wrong
        await pilot.press("2", "1", letter_of(question, False), "enter")
        await settle(pilot)
        assert "WRONG, -2" in text_of(app, "#message")
        assert "Every team has answered" in text_of(app, "#message")
        assert rows(app, "#standings") == [
            ["1", "Zero Defect Eagles", "+2", "1", "0"],
            ["2", "Reliability Builders", "-2", "0", "1"],
        ]
        # team 1 again on the same item: refused on screen, nothing counted
        await pilot.press("1")
        assert "has answered item 1 already" in text_of(app, "#message")

        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("enter")  # the confirmation's "Finish contest" button
        await settle(pilot)
        assert isinstance(app.screen, ContestScreen)
        assert "FINAL RANKING" in text_of(app, "#contest-title")
        assert "Winner: Zero Defect Eagles with +2" in text_of(app, "#message")

    assert [(team, amount) for team, amount, _key in contest_rows()] == [
        (eagles.id, 2),
        (builders.id, -2),
    ]
    contest_id = contests.scoreboard().id
    assert contest_rows()[0][2] == f"contest:{contest_id}:{question}:{eagles.id}"
    # the points name who answered, so they reach that person's monthly performance
    with db.connection():
        answerers = [
            (row.employee.name, row.amount)
            for row in LedgerEntry.select()
            .where(LedgerEntry.cause_type == "contest")
            .order_by(LedgerEntry.id)
        ]
    assert answerers[0] == (eagles_third, 2) and answerers[1][1] == -2
    from kiosk.services.reports import exports

    table = exports.performance_table("2025-09")
    points = {row[1]: row[table.headers.index("contest")] for row in table.rows}
    assert points[eagles_third] == 2 and points[answerers[1][0]] == -2

    wall = scoreboard_app(demo_plant, clock)
    async with wall.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(wall.screen, ScoreboardScreen)
        assert "MORNING ROUND" in text_of(wall, "#scoreboard-title")
        assert "FINAL RANKING" in text_of(wall, "#scoreboard-title")
        assert (card_points(wall, eagles.id), card_points(wall, builders.id)) == ("+2", "-2")
        assert "Winner: Zero Defect Eagles" in text_of(wall, "#scoreboard-item")


async def test_scoreboard_on_a_second_terminal_follows_writes_live(demo_plant, clock):
    eagles, builders = contests.contest_teams()
    host = identify_badge("E1001")
    wall = make_app(demo_plant, clock)
    async with wall.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")  # from the sign-in screen, without signing in
        await settle(pilot)
        assert isinstance(wall.screen, ScoreboardScreen) and wall.user is None
        assert "No contest yet" in text_of(wall, "#scoreboard-item")

        def start() -> contests.ContestView:
            contest = contests.create_contest(Caller.of(host, clock), "Live", ["C1", "C2"])
            return contests.draw_item(Caller.of(host, clock), contest.id, after=0)

        view = await asyncio.to_thread(start)  # "another terminal" writes
        await pilot.pause(1.3)
        await settle(pilot)
        assert "LIVE" in text_of(wall, "#scoreboard-title")
        assert (card_points(wall, eagles.id), card_points(wall, builders.id)) == ("0", "0")
        table = wall.screen.query_one("#standings", DataTable)
        row_keys = list(table.rows)

        question = view.item.question_id
        wrong = "abcdef".index(letter_of(question, False)) + 1
        await asyncio.to_thread(
            contests.submit_answer, Caller.of(host, clock), view.id, 1, builders.id, wrong, member=1
        )
        await pilot.pause(1.3)
        await settle(pilot)
        assert (card_points(wall, eagles.id), card_points(wall, builders.id)) == ("0", "-2")
        assert "item 1: " in text_of(wall, f"#card-{builders.id} .card-answer")
        assert rows(wall, "#standings")[1][:3] == ["2", "Reliability Builders", "-2"]
        assert set(table.rows) == set(row_keys)  # updated in place, same rows
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(wall.screen, ScoreboardScreen)


@pytest.mark.slow  # a long Pilot walk-through
async def test_judge_scores_out_of_range_refused_then_a_tie_for_the_win(demo_plant, clock):
    skills.enter_scores(
        Caller.of(identify_badge("E4001"), clock),
        "SOLDER",
        "E3002",
        {"JOINTS": 9, "SPEED": 9, "ESD": 4},
    )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", "1234")
        await pilot.press("f9", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SkillsScreen)
        await pilot.press("down", "enter")  # Soldering
        await settle(pilot)
        assert "Soldering" in text_of(app, "#skills-title")
        assert "Guo Mei E3002 · 22" in str(
            app.screen.query_one("#participants").get_option_at_index(0).prompt
        )
        await pilot.press("down", "enter")  # Gao Yan, not scored yet
        await settle(pilot)
        assert "Scoring Gao Yan" in text_of(app, "#score-title")
        await pilot.press("1", "0", "enter", "1", "1", "enter", "3", "enter")
        await settle(pilot)
        assert text_of(app, "#error-SPEED") == (
            "Time to finish the board: 11 is out of range: give a score from 0 to 10."
        )
        assert text_of(app, "#message") == "1 field needs attention: Time to finish the board."
        assert app.screen.query_one("#score-SPEED", Input).value == "11"
        assert skills.ranking("SOLDER").row_of("E3004").rank is None
        app.screen.query_one("#score-SPEED", Input).value = "9"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved Liang Yu's scores for Gao Yan" in text_of(app, "#message")
        assert "(22 of 25)" in text_of(app, "#message")
        ranking = rows(app, "#ranking")
        assert [r[:2] for r in ranking[:2]] == [["1", "Gao Yan"], ["1", "Guo Mei"]]
        winners = text_of(app, "#winners")  # 2 of 4 scored: leaders, not yet winners
        assert "Leading so far (tied on 22): Gao Yan, Guo Mei" in winners
        assert "2 of 4 fully scored" in winners and "Winner" not in winners
