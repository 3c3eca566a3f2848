"""Awareness assessment: start (or continue), one item at a time, then the result.

Keys 1-6, A-F or the arrows choose; Enter saves the answer. A new item starts with no
choice highlighted, so a double Enter never answers the next item by accident.
Every answer is saved the moment it is given; Esc leaves the attempt to be
continued later (the kiosk offers it again at the next sign-in).
"""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, OptionList, Static

from kiosk.clock import format_local
from kiosk.errors import DatabaseUnavailable, ServiceError
from kiosk.i18n import _
from kiosk.services.training import assessments
from screens.base import KioskModal, KioskScreen, Message
from screens.widgets import answer_keys
from screens.widgets.answer_keys import answer_bindings, choice_options, highlight, keys_range
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar

COVERAGE_ROLE = "supervisor"


class AssessmentScreen(KioskScreen):
    CSS_PATH = "assessment.tcss"
    BINDINGS = [
        *answer_bindings("pick"),
        Binding("enter", "start", "Start"),
        Binding("r", "retake", "Retake"),
        Binding("g", "coverage", "Coverage"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, *, continue_now: bool = False) -> None:
        super().__init__()
        self.continue_now = continue_now
        self.mode = "loading"  # loading, start, item, saving, result
        self.view: assessments.AssessmentView | None = None
        self.answer_id = uuid.uuid4()
        self.answer_for: tuple[str, int] | None = None  # (attempt, item) the id belongs to
        self.status: assessments.AssessmentStatus | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="assessment-main"):
            yield Static(_("Awareness assessment"), id="assessment-title")
            yield Static(_("Loading…"), id="intro", markup=False)
            yield Static("", id="progress", markup=False)
            yield Static("", id="question", markup=False)
            yield OptionList(id="choices")
            yield Static("", id="result", markup=False)
            yield Static("", id="missed", markup=False)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self._show_only("intro")
        if self.continue_now:
            self.action_start(force=True)
        else:
            self.load_status()

    @property
    def user(self):
        return self.kiosk_app.user

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self.mode == "start"
        if action == "retake":
            return self.mode == "result"
        if action == "coverage":
            user = self.user
            allowed = user is not None and user.has_role(COVERAGE_ROLE)
            return allowed and self.mode in ("start", "result")
        return True

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.refresh_bindings()

    def _show_only(self, *parts: str) -> None:
        for part in ("intro", "progress", "question", "choices", "result", "missed"):
            self.query_one(f"#{part}").display = part in parts

    # -- the start view -----------------------------------------------------------------

    def load_status(self) -> None:
        self._set_mode("loading")
        self.call_service(
            assessments.assessment_status,
            self.caller,
            on_done=self.show_status,
            on_error=self._load_failed,
        )

    def _load_failed(self, error: ServiceError) -> None:
        self._set_mode("start")
        self.show_error(error)

    def show_status(self, status: assessments.AssessmentStatus) -> None:
        self.status = status
        intro = Text()
        intro.append(f"{status.campaign_name}\n", style="dim")
        if status.bank_size == 0:
            intro.append(
                _("There are no training items yet. Ask the quality office to import some.")
            )
            self._show_only("intro")
            self.query_one("#intro", Static).update(intro)
            self._set_mode("start")
            return
        intro.append(
            _(
                "{item_count} items drawn at random · pass mark {pass_mark_percent} %\n\n",
                item_count=status.item_count,
                pass_mark_percent=status.pass_mark_percent,
            )
        )
        if status.best_passed is not None:
            best = status.best_passed
            intro.append(_("✔ You have passed: "), style="bold green")
            intro.append(
                _(
                    "best {score} of {item_count} ({percent} %) on {time}. You may take it "
                    "again.\n",
                    score=best.score,
                    item_count=best.item_count,
                    percent=best.percent,
                    time=format_local(best.finished_at),
                )
            )
        elif status.last_finished is not None:
            last = status.last_finished
            intro.append(_("Not passed yet. "), style="bold yellow")
            intro.append(
                _(
                    "Last attempt: {score} of {item_count} ({percent} %) on {time}.\n",
                    score=last.score,
                    item_count=last.item_count,
                    percent=last.percent,
                    time=format_local(last.finished_at),
                )
            )
        else:
            intro.append(_("You have not taken the assessment yet.\n"))
        if status.unfinished is not None:
            intro.append(
                _(
                    "\nYou have an unfinished assessment: {progress_text}. Press Enter to "
                    "continue it.",
                    progress_text=status.unfinished.progress_text,
                ),
                style="bold",
            )
            prompt: str = _("Enter continues where you stopped.")
        else:
            prompt = _("Press Enter to start.")
        if self.user.has_role(COVERAGE_ROLE):
            prompt += _(" G shows training coverage.")
        self.query_one("#intro", Static).update(intro)
        self._show_only("intro")
        self._set_mode("start")
        self.say(prompt)

    def action_start(self, force: bool = False) -> None:
        if self.mode != "start" and not force:
            return
        self._set_mode("loading")
        self.say(_("Drawing your items…"))
        self.call_service(
            assessments.start_assessment,
            self.caller,
            on_done=self.show_view,
            on_error=self._load_failed,
        )

    def action_retake(self) -> None:
        if self.mode != "result":
            return
        self._set_mode("start")
        self.action_start()

    def action_coverage(self) -> None:
        from screens.coverage import CoverageScreen

        if self.mode in ("start", "result"):
            self.app.push_screen(CoverageScreen())

    # -- one item at a time -------------------------------------------------------------

    def show_view(self, view: assessments.AssessmentView) -> None:
        self.view = view
        if view.result is not None:
            self.show_result(view.result)
            return
        item = view.current
        assert item is not None
        if self.answer_for != (view.id, item.position):
            self.answer_for = (view.id, item.position)
            self.answer_id = uuid.uuid4()
        progress = Text(item.progress_text, style="bold")
        progress.append(
            _(" · {answered} answered · topic: {topic}", answered=view.answered, topic=item.topic),
            style="dim",
        )
        self.query_one("#progress", Static).update(progress)
        self.query_one("#question", Static).update(Text(item.text, style="bold"))
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(choice_options(item.choices))
        choices.highlighted = None
        choices.disabled = False
        self._show_only("progress", "question", "choices")
        choices.focus()
        self._set_mode("item")
        first = _("Welcome back: continuing where you stopped. ") if view.resumed else ""
        digits, letters = keys_range(len(item.choices))
        self.say(
            _(
                "{first}Press {digits} or {letters} (or the arrows) to choose, then Enter to save.",
                first=first,
                digits=digits,
                letters=letters,
            )
        )

    def action_pick(self, position: int) -> None:
        if self.mode != "item" or self.view is None or self.view.current is None:
            return
        count = len(self.view.current.choices)
        if not 1 <= position <= count:
            self.say(_("Choose 1 to {count}.", count=count), "error")
            return
        highlight(self.query_one("#choices", OptionList), position)
        chosen = answer_keys.choice_text(self.view.current.choices, position)
        self.say(_("Chosen: {choice}. Press Enter to save it.", choice=chosen))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.save_answer(int(event.option.id))

    def save_answer(self, position: int) -> None:
        view = self.view
        if self.mode != "item" or view is None or view.current is None:
            return  # a second Enter while the first is saving: ignored
        self._set_mode("saving")
        self.query_one("#choices", OptionList).disabled = True
        self.say(_("Saving…"))
        self.call_service(
            assessments.answer_item,
            self.caller,
            view.id,
            view.current.position,
            position,
            answer_id=self.answer_id,
            on_done=self.show_view,
            on_error=self._save_failed,
        )

    def _save_failed(self, error: ServiceError) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.disabled = False
        choices.focus()
        self._set_mode("item")
        if isinstance(error, DatabaseUnavailable):
            self.say(
                _(
                    "{message} Your choice is still marked: press Enter to save.",
                    message=error.message,
                ),
                "error",
            )
        else:
            self.show_error(error)

    # -- the result -----------------------------------------------------------------------

    def language_changed(self) -> None:
        """Ctrl+L: the start page or the current item again, in the new language."""
        if self.mode == "start" and self.status is not None:
            self.show_status(self.status)
        elif self.mode == "item" and self.view is not None:
            self.show_view(self.view)

    def show_result(self, result: assessments.AssessmentResult) -> None:
        summary = Text()
        if result.passed:
            summary.append(_("✔ PASSED\n"), style="bold green")
        else:
            summary.append(_("✘ NOT PASSED\n"), style="bold red")
        summary.append(
            _(
                "{score} of {item_count} right ({percent} %) · pass mark {pass_mark_percent} % "
                "· {time}",
                score=result.score,
                item_count=result.item_count,
                percent=result.percent,
                pass_mark_percent=result.pass_mark_percent,
                time=format_local(result.finished_at),
            )
        )
        self.query_one("#result", Static).update(summary)
        missed = Text()
        if result.missed:
            missed.append(_("Items you missed ({count})\n", count=len(result.missed)), style="bold")
            for item in result.missed:
                missed.append(_("\nItem {position}. ", position=item.position), style="bold")
                missed.append(f"{item.text}\n")
                missed.append(_("  Your answer: "), style="dim")
                missed.append(
                    f"{answer_keys.choice_label(item.chosen_position, item.chosen_text)}\n"
                )
                missed.append(_("  Right answer: "), style="dim")
                missed.append(
                    f"{answer_keys.choice_label(item.correct_position, item.correct_text)}\n",
                    style="green",
                )
                if item.explanation:
                    missed.append(_("  Why: "), style="dim")
                    missed.append(f"{item.explanation}\n")
        else:
            missed.append(_("Every item right. Well done!"), style="bold")
        self.query_one("#missed", Static).update(missed)
        self._show_only("result", "missed")
        self.query_one("#assessment-main", VerticalScroll).focus()
        self._set_mode("result")
        again = (
            _("R takes it again (the best pass counts)") if result.passed else _("R tries again")
        )
        self.say(
            _("Result saved. {again}; Esc goes back.", again=again),
            "success" if result.passed else "info",
        )

    def action_back(self) -> None:
        self.dismiss()


class ResumeOffer(KioskModal):
    """Offered after sign-in when the person left an assessment unfinished."""

    CSS_PATH = "assessment.tcss"
    BINDINGS = [Binding("escape", "later", "Later")]

    def __init__(self, attempt: assessments.AttemptSummary) -> None:
        super().__init__()
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        with Vertical(id="resume-offer"):
            yield Static(_("Unfinished assessment"), id="resume-title")
            yield Static(
                _(
                    "You started the awareness assessment on {time} and have answered "
                    "{answered} of {item_count} items. Your answers are saved. Continue now?",
                    time=format_local(self.attempt.started_at),
                    answered=self.attempt.answered,
                    item_count=self.attempt.item_count,
                ),
                id="resume-text",
                markup=False,
            )
            with Horizontal(id="resume-buttons"):
                yield Button(_("Continue"), variant="primary", id="resume-continue")
                yield Button(_("Later (Esc)"), id="resume-later")

    def on_mount(self) -> None:
        self.query_one("#resume-continue", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "resume-continue")

    def action_later(self) -> None:
        self.dismiss(False)


def offer_unfinished_assessment(screen: KioskScreen) -> None:
    """After sign-in: if the person left an assessment unfinished, offer to continue it."""
    user = screen.kiosk_app.user
    if user is None:
        return

    def offer(status: assessments.AssessmentStatus) -> None:
        if status.unfinished is None or screen.app.screen is not screen:
            return
        if screen.kiosk_app.user is None or screen.kiosk_app.user.id != user.id:
            return

        def chosen(go_on: bool | None) -> None:
            if go_on:
                screen.app.push_screen(AssessmentScreen(continue_now=True))

        screen.app.push_screen(ResumeOffer(status.unfinished), chosen)

    screen.call_service(
        assessments.assessment_status,
        screen.caller,
        on_done=offer,
        on_error=lambda _error: None,  # no offer when the database is away; F8 still works
        group="assessment-offer",
    )
