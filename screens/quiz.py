"""Quiz: one item at a time; 1-6 or A-F (or the arrows) pick, Enter answers; feedback with the
explanation."""

from __future__ import annotations

import uuid

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static

from kiosk.i18n import _
from kiosk.services.platform import outbox
from kiosk.services.training import training
from screens.base import KioskScreen, Message
from screens.widgets import answer_keys
from screens.widgets.answer_keys import answer_bindings, choice_options, highlight, keys_range
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar


class QuizScreen(KioskScreen):
    CSS_PATH = "quiz.tcss"
    BINDINGS = [
        *answer_bindings("pick"),
        Binding("n", "next_question", "Next item"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.question: training.QuestionView | None = None
        self.result: training.AnswerResult | None = None
        self.answer_id = uuid.uuid4()
        self.answering = False
        self.seen: list[int] = []

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="quiz-main"):
            yield Static("", id="topic", markup=False)
            yield Static(_("Loading a quiz item…"), id="question", markup=False)
            yield OptionList(id="choices")
            yield Message()
            yield Static("", id="feedback", markup=False)
            yield Static("", id="score", markup=False)
        yield KeyHelp()

    def on_mount(self) -> None:
        self.action_next_question()

    def action_next_question(self) -> None:
        if self.question is not None and self.result is None:
            self.say(_("Answer this item first (a digit or a letter, then Enter)."))
            return
        self.call_service(
            training.next_question,
            self.caller,
            exclude=self.seen[-5:],
            on_done=self.show_question,
        )

    def show_question(self, question: training.QuestionView) -> None:
        self.question = question
        self.result = None
        self.answer_id = uuid.uuid4()
        self.seen.append(question.id)
        self.query_one("#topic", Static).update(_("Topic: {topic}", topic=question.topic))
        self.query_one("#question", Static).update(Text(question.text, style="bold"))
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(choice_options(question.choices))
        choices.disabled = False
        choices.highlighted = None  # nothing chosen: a stray Enter answers nothing
        choices.focus()
        self.query_one("#feedback", Static).update("")
        digits, letters = keys_range(len(question.choices))
        self.say(
            _(
                "Press {digits} or {letters} (or the arrows) to choose, then Enter to answer.",
                digits=digits,
                letters=letters,
            )
        )

    def action_pick(self, position: int) -> None:
        """A digit or a letter: that choice is marked; Enter answers with it."""
        question = self.question
        if question is None or self.result is not None or self.answering:
            return
        if not 1 <= position <= len(question.choices):
            self.say(_("Choose 1 to {count}.", count=len(question.choices)), "error")
            return
        highlight(self.query_one("#choices", OptionList), position)
        self.say(
            _(
                "Chosen: {choice}. Press Enter to answer.",
                choice=answer_keys.choice_text(question.choices, position),
            )
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.answer(int(event.option.id))

    def answer(self, position: int) -> None:
        question = self.question
        if question is None or self.result is not None or self.answering:
            return
        if not 1 <= position <= len(question.choices):
            self.say(_("Choose 1 to {count}.", count=len(question.choices)), "error")
            return
        self.answering = True
        self.call_service(
            outbox.answer_or_keep,
            self.caller,
            self.kiosk_app.outbox,
            question.id,
            position,
            answer_id=self.answer_id,
            on_done=self.show_result,
            on_error=self._answer_failed,
        )

    def _answer_failed(self, error) -> None:
        self.answering = False
        self.show_error(error)

    def show_result(self, result: training.AnswerResult | outbox.Queued) -> None:
        self.answering = False
        if isinstance(result, outbox.Queued):
            self.kiosk_app.outbox_changed(result.waiting)
            self.query_one("#choices", OptionList).disabled = True
            self.say(
                _(
                    "The server cannot be reached: your answer is kept on this kiosk and will "
                    "be sent when it is back ({count} waiting). Esc goes back.",
                    count=result.waiting,
                ),
                "info",
            )
            return
        self.result = result
        self.query_one("#choices", OptionList).disabled = True
        feedback = Text()
        if result.correct:
            feedback.append(_("✔ Correct!\n"), style="bold green")
        else:
            chosen = self.question.choices if self.question is not None else ()
            feedback.append(
                _(
                    "✘ Not quite. You chose {choice}. ",
                    choice=answer_keys.choice_text(chosen, result.chosen_position),
                ),
                style="bold red",
            )
            feedback.append(
                _(
                    "The answer is {choice}.\n",
                    choice=answer_keys.choice_label(result.correct_position, result.correct_text),
                )
            )
        feedback.append(result.explanation)
        self.query_one("#feedback", Static).update(feedback)
        self.say(_("Answer saved. Press N for the next item, Esc to go back."), "success")
        self.call_service(
            training.answer_count,
            self.caller.person.id,
            on_done=self.show_score,
        )

    def language_changed(self) -> None:
        """Ctrl+L: the feedback on the answer given, in the new language."""
        if self.result is not None:
            self.show_result(self.result)

    def show_score(self, counts: tuple[int, int]) -> None:
        given, right = counts
        self.query_one("#score", Static).update(
            _("Your answers so far: {right} right of {given}.", right=right, given=given)
        )

    def action_back(self) -> None:
        self.dismiss()
