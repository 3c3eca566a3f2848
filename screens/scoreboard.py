"""The knowledge-contest scoreboard: every team's points in big digits, live, for a wall screen.

Runs without sign-in (`kiosk scoreboard`, or F9 on the sign-in screen). It asks
for the contest's standings every second and changes only what changed: the
cards stay, the table rows are updated in place.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.widgets import Digits, Static

from kiosk.clock import format_local
from kiosk.errors import ServiceError
from kiosk.i18n import N_, _, ngettext
from kiosk.services.training import contests
from screens.base import KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

REFRESH_SECONDS = 1.0
# at 80 columns (or beside the round) the rank, the team and its points stay
STANDING_COLUMNS = [
    Col("rank", N_("Rank")),
    Col("team", N_("Team"), flex=True, min_width=10),
    Col("points", N_("Points")),
    Col("right", N_("Right"), 1),
    Col("wrong", N_("Wrong"), 1),
]


def points_text(points: int) -> str:
    return f"{points:+d}" if points else "0"


def fill_standings(table: FittedTable, view: contests.ContestView) -> None:
    """The standings, best first (ties share a rank, then by name), updated in place."""
    rows = []
    for standing in view.standings:
        style = "bold" if standing.rank == 1 else ""
        rows.append(
            (
                str(standing.team_id),
                (
                    Text(str(standing.rank), style=style),
                    Text(standing.team_name, style=style),
                    Text(points_text(standing.points), style=style, justify="right"),
                    standing.right,
                    standing.wrong,
                ),
            )
        )
    table.set_rows(rows)  # in the service's order: by points, ties by the team's name


class TeamCard(Vertical):
    """One team: name, rank and its points in large digits."""

    def __init__(self, team_id: int, *first: Any) -> None:
        super().__init__(id=f"card-{team_id}", classes="team-card")
        self._first = first

    def on_mount(self) -> None:
        self.show(*self._first)

    def compose(self) -> ComposeResult:
        yield Static("", classes="card-name", markup=False)
        yield Static("", classes="card-rank", markup=False)
        yield Digits("0", classes="card-points")
        yield Static("", classes="card-answer", markup=False)

    def show(
        self,
        standing: contests.StandingView,
        answer: contests.ItemAnswerView | None,
        item: contests.ItemView | None,
        running: bool,
    ) -> None:
        self.query_one(".card-name", Static).update(
            Text(f"{standing.position}  {standing.team_name}", style="bold")
        )
        self.query_one(".card-rank", Static).update(
            Text(
                _(
                    "rank {rank} · {right} right · {wrong} wrong",
                    rank=standing.rank,
                    right=standing.right,
                    wrong=standing.wrong,
                )
            )
        )
        self.query_one(".card-points", Digits).update(points_text(standing.points))
        if answer is not None:
            line = Text(
                _(
                    "item {value}: {letter} {value2} {points:+d}",
                    value=item.number if item else "?",
                    letter=answer.letter,
                    value2=_("right") if answer.correct else _("wrong"),
                    points=answer.points,
                ),
                style="bold green" if answer.correct else "bold red",
            )
        elif item is not None and running:
            line = Text(_("item {number}: waiting for the answer", number=item.number), style="dim")
        else:
            line = Text("")
        self.query_one(".card-answer", Static).update(line)
        self.set_class(
            standing.rank == 1 and (standing.points != 0 or standing.right > 0), "leader"
        )
        self.set_class(standing.points < 0, "negative")


class ScoreboardScreen(KioskScreen):
    CSS_PATH = "scoreboard.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh")]

    def __init__(self, contest_id: int | None = None) -> None:
        super().__init__()
        self.contest_id = contest_id
        self.shown_id: int | None = None
        self.view: contests.ContestView | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(_("KNOWLEDGE CONTEST"), id="scoreboard-title", markup=False)
        yield Static("", id="scoreboard-item", markup=False)
        yield Container(id="cards")
        yield FittedTable(id="standings", cursor_type="row", show_cursor=False)
        yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#standings", FittedTable).set_columns(STANDING_COLUMNS)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def on_data_changed(self, _message: Any) -> None:
        """A live change event from the app (when it has a change feed)."""
        self.action_refresh()

    def action_refresh(self) -> None:
        if self.in_flight("scoreboard"):
            return  # the previous question is still out (a slow database): no pile-up
        self.call_service(
            contests.scoreboard,
            self.contest_id,
            on_done=self.show,
            on_error=self.failed,
            group="scoreboard",
            latest_only=True,
        )

    def failed(self, error: ServiceError) -> None:
        self.say(error.message, "error")

    def show(self, view: contests.ContestView | None) -> None:
        if view is None:
            self.query_one("#scoreboard-title", Static).update(
                Text(_("KNOWLEDGE CONTEST"), style="bold")
            )
            self.query_one("#scoreboard-item", Static).update(
                _("No contest yet. The scoreboard shows one as soon as a host starts it.")
            )
            self.say(_("Waiting for a contest · {time}", time=self._time()))
            return
        self.view = view
        cards = self.query_one("#cards", Container)
        table = self.query_one("#standings", FittedTable)
        if view.id != self.shown_id:  # another contest: other teams
            self.shown_id = view.id
            cards.remove_children()
        title = Text()
        title.append(view.name.upper(), style="bold")
        if view.running:
            title.append(
                _(
                    "  ·  LIVE  ·  right {correct_points:+d} / wrong {wrong_points:+d}",
                    correct_points=view.correct_points,
                    wrong_points=view.wrong_points,
                ),
                style="bold green",
            )
        else:
            title.append(_("  ·  FINAL RANKING"), style="bold yellow")
        self.query_one("#scoreboard-title", Static).update(title)
        item = Text()
        if view.item is not None:
            item.append(_("Item {number}", number=view.item.number), style="bold")
            item.append(f" · {view.item.topic}\n", style="dim")
            item.append(view.item.text)
        elif view.running:
            item.append(_("The first item comes up in a moment."), style="dim")
        if not view.running:
            winners = ", ".join(s.team_name for s in view.leaders)
            item = Text.assemble(
                (_("Winner: ") if len(view.leaders) == 1 else _("Winners (tie): "), "bold yellow"),
                (winners, "bold"),
            )
        self.query_one("#scoreboard-item", Static).update(item)
        cards.styles.grid_size_columns = max(1, min(len(view.standings), 4))
        for standing in view.teams:
            answer = view.item.answer_of(standing.team_id) if view.item else None
            found = cards.query(f"#card-{standing.team_id}")
            if found:
                found.first(TeamCard).show(standing, answer, view.item, view.running)
            else:
                cards.mount(TeamCard(standing.team_id, standing, answer, view.item, view.running))
        fill_standings(table, view)
        self.say(
            ngettext(
                "Updated {time} · {count} item played",
                "Updated {time} · {count} items played",
                view.items_drawn,
                time=self._time(),
            )
        )

    def _time(self) -> str:
        return format_local(self.kiosk_app.clock.now(), "%H:%M:%S")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss()
