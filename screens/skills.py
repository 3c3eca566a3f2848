"""Skill competitions, judge side: pick an event and a participant, enter scores per criterion.

Judges are supervisors and above (the service refuses everyone else and audits
it). Each criterion has its range; a score outside it is refused with the range
and everything typed stays. The ranking beside shows totals (averaged over
judges), ties as ties and the winners.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import N_, _, ngettext
from kiosk.services.training import skills
from screens.action_form import ActionForm, FormField
from screens.base import KioskScreen, Message
from screens.widgets.form_problems import point_out
from screens.widgets.key_help import KeyHelp
from screens.widgets.limited_input import LimitedInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

# beside the participants at 80 columns: the rank, the name and the total stay; how much
# is scored goes after the department and the number of judges
RANKING_COLUMNS = [
    Col("rank", N_("Rank")),
    Col("name", N_("Participant"), flex=True, min_width=10),
    Col("department", N_("Department"), 3, flex=True, min_width=8),
    Col("total", N_("Total")),
    Col("judges", N_("Judges"), 2),
    Col("scored", N_("Scored"), 1),
]
EVENT_HELP = N_(
    "Enter scores the chosen participant · a adds a participant · Esc back to the events"
)
SCORE_HELP = N_("Type each score (Enter or ↓ goes to the next) · Ctrl+S saves · Esc cancels")


class SkillsScreen(KioskScreen):
    """Modes: "events" (choose one), "event" (participants and ranking), "score"."""

    CSS_PATH = "skills.tcss"
    BINDINGS = [
        Binding("a", "add_participant", "Add participant"),
        Binding("ctrl+s", "save", "Save scores"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("down", "next_score", "Next score", show=False),
        Binding("up", "previous_score", "Previous score", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = "events"
        self.event: skills.SkillEventView | None = None
        self.sheet: skills.ScoreSheet | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="skills-main"):
            yield Static(_("Skill competitions"), id="skills-title", markup=False)
            yield OptionList(id="events")
            with Horizontal(id="event-view"):
                with Vertical(id="participants-side"):
                    yield Static(_("Participants"), classes="section-title")
                    yield OptionList(id="participants")
                with Vertical(id="ranking-side"):
                    yield Static(_("Ranking"), classes="section-title")
                    yield FittedTable(id="ranking", cursor_type="row", show_cursor=False)
                    yield Static("", id="winners", markup=False)
            with Vertical(id="score-view"):
                yield Static("", id="score-title", markup=False)
                yield Vertical(id="score-form")
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        table = self.query_one("#ranking", FittedTable)
        table.set_columns(RANKING_COLUMNS)
        table.can_focus = False
        self._set_mode("events")
        self.call_service(skills.skill_events, on_done=self.show_events, group="events")

    # -- modes --------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.query_one("#events").display = mode == "events"
        self.query_one("#event-view").display = mode == "event"
        self.query_one("#score-view").display = mode == "score"
        if mode == "events":
            self.query_one("#events", OptionList).focus()
        elif mode == "event":
            self.query_one("#participants", OptionList).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add_participant":
            return self.mode == "event"
        if action in ("save", "next_score", "previous_score"):
            return self.mode == "score"
        if action == "refresh":
            return self.mode == "event"
        return True

    # -- events -----------------------------------------------------------------------------

    def show_events(self, events: list[skills.SkillEventView]) -> None:
        options = self.query_one("#events", OptionList)
        options.clear_options()
        for event in events:
            prompt = Text()
            prompt.append(event.name, style="bold")
            prompt.append(
                ngettext(
                    " · {count} participant\n    ",
                    " · {count} participants\n    ",
                    len(event.participants),
                )
            )
            prompt.append(
                " · ".join(f"{c.name} {c.range_text}" for c in event.criteria), style="dim"
            )
            options.add_option(Option(prompt, id=event.code))
        if events:
            options.highlighted = 0
            self.say(_("Choose a competition (arrows, Enter). Judges: supervisor and above."))
        else:
            self.say(_("No skill competitions are set up yet. Ask the quality office."), "error")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        code = event.option.id or ""
        if event.option_list.id == "events":
            self.load_event(code)
        elif event.option_list.id == "participants" and self.event is not None:
            self.open_sheet(code)

    def load_event(self, code: str, message: str | None = None, kind: str = "info") -> None:
        self.call_service(
            skills.ranking,
            code,
            on_done=lambda ranking: self.show_ranking(ranking, message, kind),
            group="ranking",
            latest_only=True,
        )

    def action_refresh(self) -> None:
        if self.event is not None:
            self.load_event(self.event.code)

    def show_ranking(
        self, ranking: skills.EventRanking, message: str | None = None, kind: str = "info"
    ) -> None:
        event = ranking.event
        switching = self.event is None or self.event.code != event.code
        self.event = event
        title = Text()
        title.append(event.name, style="bold")
        title.append(
            _(
                " · {count} criteria, at most {max_total} points · total = sum over criteria of "
                "the judges' average",
                count=len(event.criteria),
                max_total=event.max_total,
            )
        )
        self.query_one("#skills-title", Static).update(title)
        options = self.query_one("#participants", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for row in ranking.rows:
            prompt = Text()
            prompt.append(row.participant.name, style="bold")
            prompt.append(f" {row.participant.badge_code}")
            if row.rank is None:
                prompt.append(_(" · not scored yet"), style="dim")
            else:
                prompt.append(f" · {row.total_text}", style="bold")
            options.add_option(Option(prompt, id=row.participant.badge_code))
        if ranking.rows:
            options.highlighted = (
                0 if switching or highlighted is None else min(highlighted, len(ranking.rows) - 1)
            )
        self._fill_ranking(ranking)
        winners = ranking.winners
        line = Text()
        if winners:
            names = ", ".join(w.participant.name for w in winners)
            label = (
                _("Winner: ")
                if len(winners) == 1
                else _("Winners (tied on {total_text}): ", total_text=winners[0].total_text)
            )
            line.append("★ " + label, style="bold yellow")
            line.append(names, style="bold")
            if len(winners) == 1:
                line.append(_(" with {total_text}", total_text=winners[0].total_text))
        elif ranking.leaders:
            leaders = ranking.leaders
            line.append(
                _("Leading so far: ")
                if len(leaders) == 1
                else _("Leading so far (tied on {total_text}): ", total_text=leaders[0].total_text),
                style="bold",
            )
            line.append(", ".join(row.participant.name for row in leaders))
            if len(leaders) == 1:
                line.append(_(" with {total_text}", total_text=leaders[0].total_text))
            line.append(
                _(
                    " · {count} of {total} fully scored; the winner is named when all are.",
                    count=ranking.fully_scored,
                    total=len(ranking.rows),
                ),
                style="dim",
            )
        else:
            line.append(_("No scores yet."), style="dim")
        self.query_one("#winners", Static).update(line)
        if self.mode != "event":
            self._set_mode("event")
        if not ranking.rows:
            self.say(_("Nobody takes part yet: press a to add a participant."))
        else:
            self.say(message or _(EVENT_HELP), kind)

    def _fill_ranking(self, ranking: skills.EventRanking) -> None:
        # best first, ties by name, the unscored last (by name): rebuilt when that changes
        ordered = sorted(
            ranking.rows,
            key=lambda row: (10**6 if row.rank is None else row.rank, row.participant.name),
        )
        rows = []
        for row in ordered:
            style = "bold yellow" if row.winner else ""
            cells = (
                Text("—" if row.rank is None else str(row.rank), style=style),
                Text(("★ " if row.winner else "") + row.participant.name, style=style),
                Text(row.participant.department),
                Text(row.total_text, style=style, justify="right"),
                row.judges,
                Text(
                    f"{row.criteria_scored}/{row.criteria_total}",
                    style="" if row.complete else "dim",
                ),
            )
            rows.append((row.participant.badge_code, cells))
        self.query_one("#ranking", FittedTable).set_rows(rows)

    # -- participants ---------------------------------------------------------------------------

    def action_add_participant(self) -> None:
        event = self.event
        if event is None:
            return
        if self.refuse_key(_("Add participant"), skills.JUDGE_ROLE, "add_participant"):
            return
        self.app.push_screen(
            ActionForm(
                _("Add a participant to {name}", name=event.name),
                [
                    FormField(
                        "badge",
                        _("Badge"),
                        "code",
                        placeholder=_("scan or type, e.g. E3007"),
                        max_length=64,
                    )
                ],
                lambda values: skills.register_participant(
                    self.caller,
                    event.code,
                    values["badge"] or "",
                ),
                submit_label=_("Add"),
            ),
            self._participant_added,
        )

    def _participant_added(self, view: skills.SkillEventView | None) -> None:
        if view is None or self.event is None:
            self.say(_(EVENT_HELP))
            return
        newcomer = next((p for p in view.participants if p not in self.event.participants), None)
        name = newcomer.name if newcomer else _("The participant")
        self.load_event(
            view.code,
            _("{name} takes part in {name2} now.", name=name, name2=view.name),
            "success",
        )

    # -- scoring --------------------------------------------------------------------------------

    def open_sheet(self, badge: str) -> None:
        assert self.event is not None
        self.call_service(
            skills.score_sheet,
            self.caller,
            self.event.code,
            badge,
            on_done=lambda sheet: self.call_later(self.show_sheet, sheet),
            group="sheet",
            latest_only=True,
        )

    async def show_sheet(self, sheet: skills.ScoreSheet) -> None:
        self.sheet = sheet
        title = Text()
        title.append(_("Scoring {name}", name=sheet.participant.name), style="bold")
        title.append(
            _(
                " ({badge_code}, {department}) · {name} · judge {judge_name}",
                badge_code=sheet.participant.badge_code,
                department=sheet.participant.department,
                name=sheet.event.name,
                judge_name=sheet.judge_name,
            )
        )
        self.query_one("#score-title", Static).update(title)
        form = self.query_one("#score-form", Vertical)
        await form.remove_children()
        rows = []
        for entry in sheet.scores:
            criterion = entry.criterion
            row = Vertical(
                Label(
                    Text.assemble((criterion.name, "bold"), f"  ·  {criterion.range_text}"),
                    classes="criterion-label",
                ),
                Horizontal(
                    LimitedInput(
                        value="" if entry.score is None else str(entry.score),
                        placeholder=criterion.range_text,
                        id=f"score-{criterion.code}",
                        max_length=8,
                        classes="score-input",
                    ),
                    Static("", id=f"error-{criterion.code}", classes="score-error", markup=False),
                    classes="score-line",
                ),
                classes="criterion-row",
            )
            rows.append(row)
        await form.mount_all(rows)
        self._set_mode("score")
        if sheet.scores:
            self.query_one(f"#score-{sheet.scores[0].criterion.code}", Input).focus()
        self.say(_(SCORE_HELP))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.mode != "score" or self.sheet is None:
            return
        codes = [entry.criterion.code for entry in self.sheet.scores]
        current = (event.input.id or "").removeprefix("score-")
        if current in codes and codes.index(current) < len(codes) - 1:
            self.query_one(f"#score-{codes[codes.index(current) + 1]}", Input).focus()
        else:
            self.action_save()

    def action_next_score(self) -> None:
        self.focus_next(Input)

    def action_previous_score(self) -> None:
        self.focus_previous(Input)

    def action_save(self) -> None:
        if self.sheet is None or self.mode != "score":
            return
        values = {
            entry.criterion.code: self.query_one(f"#score-{entry.criterion.code}", Input).value
            for entry in self.sheet.scores
        }
        self.call_service(
            skills.enter_scores,
            self.caller,
            self.sheet.event.code,
            self.sheet.participant.badge_code,
            values,
            on_done=self._saved,
            on_error=self._refused,
            group="write",
            busy=_("Saving…"),
        )

    def _saved(self, sheet: skills.ScoreSheet) -> None:
        self.sheet = None
        scores = ", ".join(
            f"{s.criterion.name} {s.score}" for s in sheet.scores if s.score is not None
        )
        message: str = _(
            "Saved {judge_name}'s scores for {name}: {scores} ({total} of {max_total}).",
            judge_name=sheet.judge_name,
            name=sheet.participant.name,
            scores=scores,
            total=sheet.total,
            max_total=sheet.event.max_total,
        )
        if sheet.replaced:
            message += _(" Replaced your earlier {items}.", items=", ".join(sheet.replaced))
        self.load_event(sheet.event.code, message, "success")

    def _refused(self, error: ServiceError) -> None:
        if self.sheet is None:
            return
        problems = error.problems if isinstance(error, ValidationFailed) else {}
        labels = {entry.criterion.code: entry.criterion.name for entry in self.sheet.scores}
        if not point_out(
            self, problems, labels, field=lambda code: self.query_one(f"#score-{code}")
        ):
            self.say(error.message, "error")  # what was typed stays in the boxes

    # -- back -------------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.mode == "score":
            self.sheet = None
            self._set_mode("event")
            self.say(_("Nothing saved. ") + _(EVENT_HELP))
        elif self.mode == "event":
            self.event = None
            self._set_mode("events")
            self.query_one("#skills-title", Static).update(_("Skill competitions"))
            self.call_service(skills.skill_events, on_done=self.show_events, group="events")
        else:
            self.dismiss()
