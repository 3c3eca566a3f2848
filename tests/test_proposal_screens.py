"""Improvement proposals through the real screens: an operator submits, a supervisor reviews."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.services.defects import proposals
from kiosk.services.platform import auth
from kiosk.services.platform.ledger import team_totals
from models import AuditEntry, LedgerEntry, db
from models.proposals import Proposal
from screens.action_form import ActionForm
from screens.proposals import ProposalsScreen
from screens.station import StationScreen
from tests.helpers.app import SIZE, make_app, open_proposals, settle, sign_in, text_of


def rows(app: KioskApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def points(team_code: str) -> int:
    return next(t.points for t in team_totals() if t.team_code == team_code)


async def type_into(pilot, app: KioskApp, **values: str) -> None:
    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_an_operator_submits_a_proposal_and_sees_it_waiting(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        screen = await open_proposals(pilot, app)
        assert "My proposals: 1 · 1 accepted · +5 points earned" in text_of(app, "#mine-title")
        title, status, earned = rows(app, "#mine")[0][1:4]
        assert title.startswith("Colour-coded crimp dies") and (status, earned) == (
            "accepted",
            "+5",
        )
        assert not screen.query_one("#queue", DataTable).display  # no review queue for operators
        await pilot.press("a")  # accepting is not an operator's key: nothing opens
        await settle(pilot)
        assert isinstance(app.screen, ProposalsScreen)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        await type_into(pilot, app, title="Tags", problem="[red]Bins[/red] look alike")
        assert isinstance(app.screen, ActionForm)  # refused: the form stays with what was typed
        assert "at least 5 characters" in text_of(app, "#error-title")
        assert "Write the proposed improvement" in text_of(app, "#error-proposal")
        assert app.screen.query_one("#field-problem", Input).value == "[red]Bins[/red] look alike"
        await type_into(
            pilot,
            app,
            title="Colour tags on look-alike bins",
            proposal="Hang a colour tag on each bin and on its pick list line",
            benefit="No mixed parts at the harness station",
        )
        assert isinstance(app.screen, ProposalsScreen)
        assert "submitted: a reviewer will accept or reject it" in text_of(app, "#message")
        await settle(pilot)
        mine = rows(app, "#mine")
        assert mine[0][1:4] == ["Colour tags on look-alike bins", "waiting for review", "—"]
        detail = text_of(app, "#proposal-detail")
        assert "[red]Bins[/red] look alike" in detail  # shown as typed, never as markup
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)

    with db.connection():
        saved = Proposal.get(Proposal.title == "Colour tags on look-alike bins")
        assert (saved.status, saved.submitter.badge_code, saved.team.code) == (
            "submitted",
            "E1002",
            "T1",
        )
        assert saved.terminal == "TEST-1"


async def test_a_supervisor_accepts_with_points_and_the_team_points_rise(demo_plant, clock):
    waiting = proposals.submit_proposal(
        Caller.of(auth.identify_badge("E1004"), clock),
        proposals.ProposalDraft(
            "Foot switch for the crimp press",
            "Both hands hold the harness; the press button is awkward to reach.",
            "Add a guarded foot switch.",
            "Steadier crimps, less strain.",
        ),
    )
    before = points("T1")
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await open_proposals(pilot, app)
        queue = rows(app, "#queue")
        assert [row[1] for row in queue] == ["He Ping", "Liu Yang"]  # the oldest first
        assert "Waiting for your review: 2" in text_of(app, "#queue-title")
        table = app.screen.query_one("#queue", DataTable)
        table.move_cursor(row=1)
        await settle(pilot)
        assert "Foot switch for the crimp press" in text_of(app, "#proposal-detail")

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        assert "Foot switch for the crimp press" in text_of(app, "#form-title")
        await type_into(pilot, app, points="25")
        assert isinstance(app.screen, ActionForm)
        assert "25 points is outside the campaign's range: give 1 to 10" in text_of(
            app, "#error-points"
        )
        await type_into(pilot, app, points="6", comment="Approved: fit it on both presses")
        assert isinstance(app.screen, ProposalsScreen)
        message = text_of(app, "#message")
        assert "Accepted proposal" in message and "+6 points to Line 1 Team" in message
        await settle(pilot)
        assert [row[1] for row in rows(app, "#queue")] == ["He Ping"]

        await pilot.press("j")
        await settle(pilot)
        await type_into(pilot, app, comment="")
        assert isinstance(app.screen, ActionForm)
        assert "Say why" in text_of(app, "#error-comment")
        await type_into(pilot, app, comment="Already planned by maintenance for October")
        assert isinstance(app.screen, ProposalsScreen)
        assert "Rejected proposal" in text_of(app, "#message")
        await settle(pilot)
        assert rows(app, "#queue") == []
        assert "No proposals are waiting" in text_of(app, "#queue-title")
        detail = text_of(app, "#proposal-detail")  # the reviewed proposal, as it is now
        assert "rejected" in detail and "waiting for review" not in detail
        assert "Already planned by maintenance for October" in detail

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        team_rows = rows(app, "#team-table")
        line_1 = next(row for row in team_rows if "Line 1 Team" in row[1])
        assert line_1[2] == f"{before + 6:+d}"

    assert points("T1") == before + 6
    with db.connection():
        entries = list(LedgerEntry.select().where(LedgerEntry.cause_id == waiting.id))
        assert [(e.amount, e.employee.badge_code, e.created_by.badge_code) for e in entries] == [
            (6, "E1004", "E4002")
        ]
        assert Proposal.get_by_id(waiting.id).review_comment == "Approved: fit it on both presses"
        assert not AuditEntry.select().where(AuditEntry.action == "proposal_review").exists()
