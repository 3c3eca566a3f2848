"""Knowledge contest, host side: register 4-person teams, start a contest, run its rounds.

One shared kiosk: the host puts an item on the board (n), the teams answer in
turn; the host picks the team (1-9 or its button), its answer (A-F) and
confirms with Enter. Each confirmed answer is +2 / -2 for the team at once (a
double Enter counts once). F8 finishes the contest and shows the final ranking.
The scoreboard (s here, or `kiosk scoreboard` on a second screen) follows live.

Also the small menu behind F9 on the station screen: contest, skills, scoreboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.clock import format_local
from kiosk.errors import ServiceError
from kiosk.i18n import N_, _, ngettext
from kiosk.services.training import contests
from screens.action_form import ActionForm, FormField
from screens.base import KioskModal, KioskScreen, Message
from screens.scoreboard import STANDING_COLUMNS, fill_standings, points_text
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

LETTERS = contests.LETTERS
LOBBY_ACTIONS = {"register_team", "create_contest"}
ROUND_ACTIONS = {"team", "choose", "confirm", "next_item", "finish"}
LOBBY_HELP = N_(
    "t registers a team of 4 · c creates a contest · Enter opens the chosen contest · s "
    "shows the scoreboard · Esc goes back"
)
# at 80 columns the team and its members stay; the departments go first
TEAM_COLUMNS = [
    Col("code", N_("Code")),
    Col("team", N_("Team"), flex=True, min_width=10),
    Col("members", N_("Members"), 1, flex=True, min_width=16),
    Col("departments", N_("Departments"), 2, flex=True, min_width=10),
]


class TeamButton(Button, can_focus=False):
    """A team's button: clicking it picks the team (keys 1-9 do the same)."""


class CompetitionsMenu(KioskModal):
    """F9 on the station screen: which competition screen to open."""

    CSS_PATH = "contest.tcss"
    BINDINGS = [Binding("escape", "cancel", "Back")]

    def compose(self) -> ComposeResult:
        with Vertical(id="competitions-menu"):
            yield Static(_("Competitions"), id="menu-title")
            yield OptionList(
                Option(
                    Text.assemble(
                        (_("Knowledge contest"), "bold"), _(" · host: teams of 4, rounds, +2 / -2")
                    ),
                    id="contest",
                ),
                Option(
                    Text.assemble(
                        (_("Skill competitions"), "bold"), _(" · judges enter scores, winners")
                    ),
                    id="skills",
                ),
                Option(
                    Text.assemble(
                        (_("Contest scoreboard"), "bold"),
                        _(" · live points in big digits"),
                    ),
                    id="scoreboard",
                ),
                id="menu",
            )
            yield Message()

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).highlighted = 0
        self.query_one("#menu", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        from screens.scoreboard import ScoreboardScreen
        from screens.skills import SkillsScreen

        factories: dict[str, Callable[[], Any]] = {
            "contest": ContestScreen,
            "skills": SkillsScreen,
            "scoreboard": ScoreboardScreen,
        }
        self.app.switch_screen(factories[event.option.id or "contest"]())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContestScreen(KioskScreen):
    """Modes: "lobby" (teams and contests), "round" (a running contest), "final"."""

    CSS_PATH = "contest.tcss"
    BINDINGS = [
        Binding("t", "register_team", "Register team"),
        Binding("c", "create_contest", "New contest"),
        Binding("n", "next_item", "Next item"),
        Binding("enter", "confirm", "Confirm answer"),
        Binding("f8", "finish", "Finish contest"),
        Binding("s", "scoreboard", "Scoreboard"),
        Binding("escape", "back", "Back"),
        *(Binding(str(n), f"team({n})", f"Team {n}", show=False) for n in range(1, 10)),
        *(
            Binding(letter.lower(), f"choose({n})", f"Answer {letter}", show=False)
            for n, letter in enumerate(LETTERS, start=1)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = "lobby"
        self.view: contests.ContestView | None = None
        self.pending_team: int | None = None
        self.pending_position: int | None = None
        self.pending_member: int | None = None  # who answered: their number on the team
        self._buttons_for: int | None = None  # the contest whose team buttons are mounted
        self._just_counted = False  # the last thing done was confirming an answer

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="contest-main"):
            yield Static("", id="contest-title", markup=False)
            # the lobby or the round scrolls; the standings and the message below it stay
            # whole on screen (at 80x24 a docked message used to cover the last standing)
            with VerticalScroll(id="contest-body"):
                with Vertical(id="lobby"):
                    yield Static(_("Contests"), classes="section-title")
                    yield OptionList(id="contests")
                    yield Static(
                        _("Registered contest teams (4 people each)"), classes="section-title"
                    )
                    yield FittedTable(id="teams", cursor_type="row", show_cursor=False)
                with Vertical(id="round"):
                    yield Static("", id="question", markup=False)
                    yield Static("", id="choices", markup=False)
                    yield Horizontal(id="team-buttons")
                    yield Static("", id="pending", markup=False)
            yield FittedTable(id="standings", cursor_type="row", show_cursor=False)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        teams = self.query_one("#teams", FittedTable)
        teams.set_columns(TEAM_COLUMNS)
        standings = self.query_one("#standings", FittedTable)
        standings.set_columns(STANDING_COLUMNS)
        teams.can_focus = False
        standings.can_focus = False
        self._set_mode("lobby")
        self.load_lobby()

    # -- modes ------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.query_one("#lobby").display = mode == "lobby"
        self.query_one("#round").display = mode == "round"
        self.query_one("#standings").display = mode in ("round", "final")
        if mode == "lobby":
            self.query_one("#contests", OptionList).focus()
        else:
            self.set_focus(None)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LOBBY_ACTIONS:
            return self.mode == "lobby"
        if action in ROUND_ACTIONS:
            return self.mode == "round"
        return True

    # -- the lobby ----------------------------------------------------------------------

    def load_lobby(self, message: str | None = None) -> None:
        self.call_service(contests.contests, on_done=self.show_contests, group="lobby-contests")
        self.call_service(
            contests.contest_teams,
            on_done=lambda teams: self.show_teams(teams, message),
            group="lobby-teams",
        )

    def language_changed(self) -> None:
        """Ctrl+L: the lobby or the running contest again, in the new language."""
        if self.mode == "lobby":
            self.load_lobby()
        elif self.view is not None:
            self.show_contest(self.view)

    def show_contests(self, summaries: list[contests.ContestSummary]) -> None:
        self.query_one("#contest-title", Static).update(
            Text(_("Knowledge contests · the host is a team leader or above"), style="bold")
        )
        options = self.query_one("#contests", OptionList)
        options.clear_options()
        for summary in summaries:
            prompt = Text()
            prompt.append(f"#{summary.id} {summary.name}", style="bold")
            running = summary.status == "running"
            state = _("running") if running else _("finished")
            prompt.append(f"  {state}", style="bold green" if running else "dim")
            prompt.append(
                ngettext(
                    " · {items} · {count} item · started {time}",
                    " · {items} · {count} items · started {time}",
                    summary.items_drawn,
                    items=" vs ".join(summary.team_names),
                    time=format_local(summary.created_at),
                )
            )
            options.add_option(Option(prompt, id=f"contest-{summary.id}"))
        if not summaries:
            options.add_option(
                Option(
                    Text(_("No contests yet: press c to create one."), style="dim"), disabled=True
                )
            )
        else:
            options.highlighted = 0

    def show_teams(self, teams: list[contests.ContestTeamView], message: str | None) -> None:
        self.query_one("#teams", FittedTable).set_rows(
            [
                (
                    team.code,
                    (
                        Text(team.code, style="bold"),
                        Text(team.name),
                        Text(team.member_names),
                        Text(", ".join(team.departments)),
                    ),
                )
                for team in teams
            ]
        )
        self.say(message or _(LOBBY_HELP), "success" if message else "info")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        contest_id = int((event.option.id or "contest-0").removeprefix("contest-"))
        self.say(_("Opening the contest…"))
        self.call_service(
            contests.contest_view, contest_id, on_done=self.show_contest, group="open"
        )

    def action_register_team(self) -> None:
        if self.refuse_key(_("Register team"), contests.HOST_ROLE, "register_team"):
            return
        fields = [
            FormField(
                "name",
                _("Team name"),
                placeholder=_("e.g. Zero Defect Eagles"),
                max_length=contests.NAME_MAX,
            )
        ]
        fields += [
            FormField(
                f"member{n}",
                _("Member {n}: badge", n=n),
                "code",
                placeholder=_("scan or type, e.g. E1002"),
                max_length=64,
            )
            for n in range(1, contests.TEAM_SIZE + 1)
        ]
        self.app.push_screen(
            ActionForm(
                _(
                    "Register a contest team: exactly {TEAM_SIZE} active employees, best from "
                    "different departments",
                    TEAM_SIZE=contests.TEAM_SIZE,
                ),
                fields,
                lambda values: contests.register_contest_team(
                    self.caller,
                    values["name"] or "",
                    [values[f"member{n}"] or "" for n in range(1, contests.TEAM_SIZE + 1)],
                ),
                submit_label=_("Register"),
            ),
            self._team_registered,
        )

    def _team_registered(self, team: contests.ContestTeamView | None) -> None:
        if team is None:
            self.say(_(LOBBY_HELP))
            return
        self.load_lobby(
            _(
                "Team {code} {name} registered: {member_names}. Use its code {code} when you "
                "create a contest.",
                code=team.code,
                name=team.name,
                member_names=team.member_names,
            )
        )

    def action_create_contest(self) -> None:
        if self.refuse_key(_("New contest"), contests.HOST_ROLE, "create_contest"):
            return
        self.app.push_screen(
            ActionForm(
                _("Create a knowledge contest (it starts at once)"),
                [
                    FormField(
                        "name",
                        _("Contest name"),
                        placeholder=_("e.g. Quality Month final"),
                        max_length=contests.CONTEST_NAME_MAX,
                    ),
                    FormField(
                        "teams",
                        _("Team codes, 2 or more"),
                        placeholder=_("e.g. C1 C2"),
                        max_length=200,
                    ),
                ],
                lambda values: contests.create_contest(
                    self.caller,
                    values["name"] or "",
                    (values["teams"] or "").replace(",", " ").split(),
                ),
                submit_label=_("Start contest"),
            ),
            self._contest_created,
        )

    def _contest_created(self, view: contests.ContestView | None) -> None:
        if view is None:
            self.say(_(LOBBY_HELP))
            return
        self.show_contest(view)
        self.say(
            _(
                "Contest {name!r} started. Press n to put the first item on the board.",
                name=view.name,
            ),
            "success",
        )

    # -- running a contest -----------------------------------------------------------------

    def show_contest(self, view: contests.ContestView) -> None:
        if self.view is None or self.view.id != view.id:
            self.pending_team = self.pending_position = self.pending_member = None
        self.render_contest(view)
        self._set_mode("round" if view.running else "final")
        if view.running:
            self.say(self._round_help())
        else:
            self._say_final(view)

    def render_contest(self, view: contests.ContestView) -> None:
        previous = self.view
        self.view = view
        item = view.item
        if previous is not None and (
            previous.id != view.id
            or (previous.item and item and previous.item.number != item.number)
        ):
            self.pending_team = self.pending_position = self.pending_member = None
        title = Text()
        title.append(view.name, style="bold")
        if view.running:
            title.append(
                _(
                    " · item {items_drawn} · {items_left} left in the bank · right "
                    "{correct_points:+d} / wrong {wrong_points:+d} · host {host_name}",
                    items_drawn=view.items_drawn,
                    items_left=view.items_left,
                    correct_points=view.correct_points,
                    wrong_points=view.wrong_points,
                    host_name=view.host_name,
                )
            )
        else:
            title.append(
                _(" · FINAL RANKING · finished {time}", time=format_local(view.finished_at)),
                style="bold yellow",
            )
        self.query_one("#contest-title", Static).update(title)
        question = Text()
        if item is None:
            question.append(
                _("No item on the board yet: press n to draw the first one."), style="dim"
            )
        else:
            question.append(
                _("Item {number} · {topic}\n", number=item.number, topic=item.topic),
                style="bold cyan",
            )
            question.append(item.text, style="bold")
        self.query_one("#question", Static).update(question)
        choices = Text()
        if item is not None:
            for choice in item.choices:
                picked = choice.position == self.pending_position
                choices.append(f" {choice.letter} ", style="bold reverse" if picked else "bold")
                choices.append(f"  {choice.text}\n", style="bold" if picked else "")
        self.query_one("#choices", Static).update(choices)
        self._render_buttons(view)
        self._render_pending()
        self._fill_standings(view)

    def _render_buttons(self, view: contests.ContestView) -> None:
        box = self.query_one("#team-buttons", Horizontal)
        if self._buttons_for != view.id:
            box.remove_children()
            box.mount_all(
                TeamButton(self._team_label(view, s), id=f"team-{s.team_id}") for s in view.teams
            )
            self._buttons_for = view.id
        else:
            for standing in view.teams:
                for button in box.query(f"#team-{standing.team_id}").results(TeamButton):
                    button.label = self._team_label(view, standing)
        for standing in view.teams:
            answer = view.item.answer_of(standing.team_id) if view.item else None
            variant = "default"
            if answer is not None:
                variant = "success" if answer.correct else "error"
            elif standing.team_id == self.pending_team:
                variant = "primary"
            for button in box.query(f"#team-{standing.team_id}").results(TeamButton):
                button.variant = variant

    @staticmethod
    def _team_label(view: contests.ContestView, standing: contests.StandingView) -> Text:
        answer = view.item.answer_of(standing.team_id) if view.item else None
        mark = ""
        if answer is not None:
            mark = f" {answer.letter} {'✓' if answer.correct else '✗'}"
        return Text(
            f"{standing.position} {standing.team_name} {points_text(standing.points)}{mark}"
        )

    def _render_pending(self) -> None:
        view = self.view
        line = Text()
        if view is not None and view.running and view.item is not None:
            team = view.standing(self.pending_team) if self.pending_team else None
            choice = next(
                (c for c in view.item.choices if c.position == self.pending_position), None
            )
            member = (
                team.members[self.pending_member - 1]
                if team and self.pending_member and self.pending_member <= len(team.members)
                else None
            )
            if team and member and choice:
                line.append(
                    _(
                        "{team_name} ({name}) answers {letter}: ",
                        team_name=team.team_name,
                        name=member,
                        letter=choice.letter,
                    ),
                    style="bold",
                )
                line.append(choice.text)
                line.append(_("  ·  Enter confirms, Esc clears"), style="bold cyan")
            else:
                line.append(_("Team: "), style="bold")
                line.append(
                    team.team_name if team else _("press 1-{count}", count=len(view.teams)),
                    style="" if team else "dim",
                )
                if team:
                    line.append(_("   Member: "), style="bold")
                    line.append(
                        member
                        or "  ".join(f"{n} {name}" for n, name in enumerate(team.members, 1)),
                        style="" if member else "dim",
                    )
                line.append(_("   Answer: "), style="bold")
                line.append(
                    choice.letter
                    if choice
                    else _(
                        "press {LETTERS}-{LETTERS2}",
                        LETTERS=LETTERS[0],
                        LETTERS2=LETTERS[len(view.item.choices) - 1],
                    ),
                    style="" if choice else "dim",
                )
        self.query_one("#pending", Static).update(line)

    def _fill_standings(self, view: contests.ContestView) -> None:
        fill_standings(self.query_one("#standings", FittedTable), view)

    def _round_help(self) -> str:
        view = self.view
        if view is None or view.item is None:
            return _("Press n to put the first item on the board.")
        waiting = [s.team_name for s in view.teams if view.item.answer_of(s.team_id) is None]
        if not waiting:
            return _(
                "Every team has answered item {number}: n puts the next item up.",
                number=view.item.number,
            )
        return _(
            "Item {number}: 1-{count} picks the team, then 1-4 the member who answered, "
            "{LETTERS}-{LETTERS2} the answer, Enter confirms. Waiting for: {items}.",
            number=view.item.number,
            count=len(view.teams),
            LETTERS=LETTERS[0],
            LETTERS2=LETTERS[len(view.item.choices) - 1],
            items=", ".join(waiting),
        )

    def action_team(self, number: int) -> None:
        """A digit picks the team, the next digit the member who answered (then the team
        again)."""
        view = self.view
        if view is None or view.item is None:
            self.say(_("Press n to put an item on the board first."), "error")
            return
        team = view.standing(self.pending_team) if self.pending_team else None
        if team is not None and self.pending_member is None:
            if not 1 <= number <= len(team.members):
                self.say(
                    _(
                        "{team_name} has members 1-{count}.",
                        team_name=team.team_name,
                        count=len(team.members),
                    ),
                    "error",
                )
                return
            self.pending_member = number
            self._just_counted = False
            self.render_contest(view)
            return
        if not 1 <= number <= len(view.teams):
            self.say(_("There are {count} teams: press 1-{count}.", count=len(view.teams)), "error")
            return
        self._pick_team(view.teams[number - 1].team_id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("team-") and self.mode == "round":
            if self.view is None or self.view.item is None:
                self.say(_("Press n to put an item on the board first."), "error")
                return
            self._pick_team(int(event.button.id.removeprefix("team-")))

    def _pick_team(self, team_id: int) -> None:
        assert self.view is not None and self.view.item is not None
        answer = self.view.item.answer_of(team_id)
        if answer is not None:
            self.say(
                _(
                    "{team_name} has answered item {number} already: {letter}, {value} "
                    "{points:+d}.",
                    team_name=answer.team_name,
                    number=self.view.item.number,
                    letter=answer.letter,
                    value=_("right") if answer.correct else _("wrong"),
                    points=answer.points,
                ),
                "error",
            )
            return
        self.pending_team = team_id
        self.pending_member = None
        self._just_counted = False
        self.render_contest(self.view)

    def action_choose(self, position: int) -> None:
        view = self.view
        if view is None or view.item is None:
            self.say(_("Press n to put an item on the board first."), "error")
            return
        if position > len(view.item.choices):
            last = LETTERS[len(view.item.choices) - 1]
            self.say(
                _("This item has answers {LETTERS} to {last}.", LETTERS=LETTERS[0], last=last),
                "error",
            )
            return
        self.pending_position = position
        self._just_counted = False
        self.render_contest(view)

    def action_confirm(self) -> None:
        view = self.view
        if view is None:
            return
        if view.item is None:
            self.say(_("Press n to put an item on the board first."), "error")
            return
        if self.pending_team is None and self.pending_position is None and self._just_counted:
            return  # a second Enter after the answer was counted: keep its message on screen
        if (
            self.pending_team is None
            or self.pending_member is None
            or self.pending_position is None
        ):
            if self.pending_team is None:
                missing = _("the team (1-9)")
            elif self.pending_member is None:
                missing = _("the member who answered (1-4)")
            else:
                missing = _("the answer (A-F)")
            self.say(_("Pick {missing} first, then press Enter.", missing=missing), "error")
            return
        self.call_service(
            contests.submit_answer,
            self.caller,
            view.id,
            view.item.number,
            self.pending_team,
            self.pending_position,
            member=self.pending_member,
            on_done=self._answered,
            on_error=self._refused,
            group="write",
            busy=_("Counting…"),  # a double Enter counts once
        )

    def _answered(self, outcome: contests.AnswerOutcome) -> None:
        self.pending_team = self.pending_position = self.pending_member = None
        self._just_counted = True
        self.render_contest(outcome.contest)
        message = outcome.describe()
        view = outcome.contest
        if view.item and all(view.item.answer_of(s.team_id) for s in view.teams):
            message += _(
                " Every team has answered: n puts item {number} up.", number=view.item.number + 1
            )
        self.say(message, "success" if outcome.correct and not outcome.already else "info")

    def _refused(self, error: ServiceError) -> None:
        self.say(error.message, "error")  # the team and answer stay picked

    def action_next_item(self) -> None:
        view = self.view
        if view is None:
            return
        self.call_service(
            contests.draw_item,
            self.caller,
            view.id,
            after=view.items_drawn,
            on_done=self._drawn,
            on_error=self._refused,
            group="write",
            busy=_("Drawing the next item…"),
        )

    def _drawn(self, view: contests.ContestView) -> None:
        self.render_contest(view)
        self.say(self._round_help())

    def action_finish(self) -> None:
        view = self.view
        if view is None:
            return
        leaders = ", ".join(s.team_name for s in view.leaders)
        self.app.push_screen(
            ActionForm(
                _(
                    "Finish {name}? No more items or answers after this; the ranking becomes "
                    "final (leading now: {leaders}).",
                    name=view.name,
                    leaders=leaders,
                ),
                [],
                lambda _values: contests.finish_contest(
                    self.caller,
                    view.id,
                ),
                submit_label=_("Finish contest"),
            ),
            self._finished,
        )

    def _finished(self, view: contests.ContestView | None) -> None:
        if view is None:
            self.say(self._round_help())
            return
        self.show_contest(view)

    def _say_final(self, view: contests.ContestView) -> None:
        winners = ", ".join(s.team_name for s in view.leaders)
        if len(view.leaders) > 1:
            self.say(
                _(
                    "Final ranking. Winners, tied on {points_text}: {winners}.",
                    points_text=points_text(view.leaders[0].points),
                    winners=winners,
                ),
                "success",
            )
        elif view.leaders:
            self.say(
                _(
                    "Final ranking. Winner: {winners} with {points_text}.",
                    winners=winners,
                    points_text=points_text(view.leaders[0].points),
                ),
                "success",
            )

    # -- elsewhere -----------------------------------------------------------------------------

    def action_scoreboard(self) -> None:
        from screens.scoreboard import ScoreboardScreen

        self.app.push_screen(ScoreboardScreen(self.view.id if self.view else None))

    def action_back(self) -> None:
        if self.mode == "round" and (
            self.pending_team or self.pending_position or self.pending_member
        ):
            self.pending_team = self.pending_position = self.pending_member = None
            if self.view is not None:
                self.render_contest(self.view)
            self.say(_("Cleared. ") + self._round_help())
        elif self.mode in ("round", "final"):
            self._set_mode("lobby")
            self.load_lobby()
        else:
            self.dismiss()
