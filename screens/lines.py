"""Lines: first-pass yield from production counts, line evaluations and the Quality Mobile Flag."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from kiosk.clock import format_local, to_local
from kiosk.errors import ServiceError
from kiosk.i18n import N_, _
from kiosk.services.lines import lines
from kiosk.services.reports import kpis
from screens.action_form import ActionForm, FormField
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, fill_rows

EVALUATION_DAYS = 7


class LinesScreen(KioskScreen):
    CSS_PATH = "lines.tcss"
    BINDINGS = [
        Binding("p", "production", "Production count"),
        Binding("e", "evaluate", "Evaluate lines"),
        Binding("b", "board", "Board"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="lines-main"):
            yield Static("", id="flag", markup=False)
            with Horizontal(id="lines-top"):
                with Vertical():
                    yield Static(_("First-pass yield"), classes="section", id="fpy-title")
                    yield FittedTable(id="fpy", cursor_type="row", show_cursor=False)
                with Vertical():
                    yield Static(_("Mobile Flag holders"), classes="section")
                    yield FittedTable(id="flag-history", cursor_type="row", show_cursor=False)
            yield Static(_("Latest evaluation"), classes="section", id="evaluation-title")
            yield FittedTable(id="scores", cursor_type="row", show_cursor=False)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#fpy", FittedTable).set_columns(
            [
                Col("line", N_("Line"), flex=True, min_width=8, coded=True),
                Col("produced", N_("Produced"), 2),
                Col("passed", N_("Passed 1st"), 1),
                Col("fpy", N_("FPY")),
            ]
        )
        self.query_one("#flag-history", FittedTable).set_columns(
            [
                Col("line", N_("Line"), flex=True, min_width=8, coded=True),
                Col("from", N_("From")),
                Col("until", N_("Until"), 1),
            ]
        )
        self.query_one("#scores", FittedTable).set_columns(
            [
                Col("rank", N_("Rank"), 1),
                Col("line", N_("Line"), flex=True, min_width=8, coded=True),
                Col("5s", "5S/7S", 2),
                Col("std", N_("Std. operations"), 3),
                Col("fpy", N_("FPY"), 2),
                Col("total", N_("Total")),
            ]
        )
        self.action_refresh()

    def _today(self) -> date:
        return to_local(self.kiosk_app.clock.now()).date()

    def action_refresh(self) -> None:
        self.call_service(
            kpis.board_yields,
            self.caller,
            on_done=self.show_yields,
        )
        self.call_service(lines.mobile_flag_history, on_done=self.show_flag)
        self.call_service(
            lines.latest_evaluation, on_done=self.show_evaluation, on_error=self._no_evaluation
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def show_yields(self, shown: kpis.PeriodYields) -> None:
        yields = shown.yields
        self.query_one("#fpy-title", Static).update(
            _("First-pass yield, {period}", period=shown.period)
        )
        fill_rows(
            self.query_one("#fpy", DataTable),
            [
                (
                    y.line_code,
                    (
                        Text(f"{y.line_code} {y.line_name}"),
                        f"{y.produced:,}",
                        f"{y.passed_first:,}",
                        "–" if y.fpy_percent is None else f"{y.fpy_percent:.1f} %",
                    ),
                )
                for y in yields
            ],
        )

    def show_flag(self, holders: list[lines.FlagHolder]) -> None:
        flag = self.query_one("#flag", Static)
        if holders:
            flag.update(
                Text(
                    _(
                        "⚑ The Quality Mobile Flag is with {line_code} {line_name}",
                        line_code=holders[0].line_code,
                        line_name=holders[0].line_name,
                    ),
                    style="bold yellow",
                )
            )
        else:
            flag.update(_("No line has been evaluated yet: press E to evaluate the lines."))
        fill_rows(
            self.query_one("#flag-history", DataTable),
            [
                (
                    str(n),
                    (
                        Text(f"{h.line_code} {h.line_name}"),
                        format_local(h.since, "%Y-%m-%d"),
                        "now" if h.until is None else format_local(h.until, "%Y-%m-%d"),
                    ),
                )
                for n, h in enumerate(holders)
            ],
        )

    def show_evaluation(self, evaluation: lines.EvaluationView) -> None:
        w5, wops, wfpy = evaluation.weights
        self.query_one("#evaluation-title", Static).update(
            _(
                "Latest evaluation ({period_start} – {period_end}, by {evaluator}; weights "
                "5S/7S {w5} %, standardized operations {wops} %, FPY {wfpy} %)",
                period_start=evaluation.period_start,
                period_end=evaluation.period_end,
                evaluator=evaluation.evaluator,
                w5=w5,
                wops=wops,
                wfpy=wfpy,
            )
        )
        fill_rows(
            self.query_one("#scores", DataTable),
            [
                (
                    s.line_code,
                    (
                        str(s.rank),
                        Text(
                            f"{s.line_code} {s.line_name}",
                            style="bold yellow" if s.rank == 1 else "",
                        ),
                        f"{s.score_5s:.0f}",
                        f"{s.score_standard_ops:.0f}",
                        "–" if s.fpy_percent is None else f"{s.fpy_percent:.1f} %",
                        f"{s.total:.1f}",
                    ),
                )
                for s in evaluation.scores
            ],
        )

    def _no_evaluation(self, _error: ServiceError) -> None:
        self.query_one("#evaluation-title", Static).update(_("No evaluation yet."))

    # -- actions -----------------------------------------------------------------------

    def action_production(self) -> None:
        if self.refuse_key(_("Production count"), lines.PRODUCTION_ROLE, "production"):
            return
        caller = self.caller
        self.call_service(
            lines.first_pass_yield,
            on_done=lambda yields: self.app.push_screen(
                ActionForm(
                    _("Production count for a day"),
                    [
                        FormField(
                            "line",
                            _("Line"),
                            "select",
                            tuple((f"{y.line_code} {y.line_name}", y.line_code) for y in yields),
                        ),
                        FormField(
                            "day", _("Day (YYYY-MM-DD)"), "date", value=self._today().isoformat()
                        ),
                        FormField("produced", _("Units produced"), "number"),
                        FormField("passed_first", _("Units that passed the first time"), "number"),
                    ],
                    lambda v: lines.record_production(
                        caller,
                        v["line"] or "",
                        v["day"] or "",
                        v["produced"] or "",
                        v["passed_first"] or "",
                    ),
                ),
                self._saved,
            ),
        )

    def action_evaluate(self) -> None:
        if self.refuse_key(_("Evaluate lines"), lines.EVALUATION_ROLE, "evaluate"):
            return
        today = self._today()
        start = today - timedelta(days=EVALUATION_DAYS - 1)
        self.call_service(
            lines.evaluation_suggestions,
            start,
            today,
            on_done=lambda suggestions: self._open_evaluation(suggestions, start, today),
        )

    def _open_evaluation(self, suggestions: list[lines.Suggestion], start: date, end: date) -> None:
        caller = self.caller
        fields = [
            FormField(
                "period_start", _("Period from (YYYY-MM-DD)"), "date", value=start.isoformat()
            ),
            FormField("period_end", _("Period to"), "date", value=end.isoformat()),
        ]
        for s in suggestions:
            fpy = (
                _("no production counted")
                if s.fpy_percent is None
                else _("FPY {percent:.1f} %", percent=s.fpy_percent)
            )
            fields.append(
                FormField(
                    f"{s.line_code}_5s",
                    _(
                        "{line_code} {line_name}: 5S/7S score 0-100 ({fpy})",
                        line_code=s.line_code,
                        line_name=s.line_name,
                        fpy=fpy,
                    ),
                    "number",
                    value="" if s.score_5s is None else f"{s.score_5s:.0f}",
                )
            )
            fields.append(
                FormField(
                    f"{s.line_code}_ops",
                    _("{line_code}: standardized operations score 0-100", line_code=s.line_code),
                    "number",
                    value="" if s.score_standard_ops is None else f"{s.score_standard_ops:.0f}",
                )
            )
        fields.append(FormField("note", _("Note (optional)")))
        codes = [s.line_code for s in suggestions]
        self.app.push_screen(
            ActionForm(
                _("Evaluate the lines (scores start from this week's inspections)"),
                fields,
                lambda v: lines.evaluate_lines(
                    caller,
                    v["period_start"] or "",
                    v["period_end"] or "",
                    {code: (v[f"{code}_5s"] or "", v[f"{code}_ops"] or "") for code in codes},
                    v["note"] or "",
                ),
                submit_label=_("Evaluate"),
            ),
            self._saved,
        )

    def _saved(self, result: object) -> None:
        if result is None:
            return
        if isinstance(result, lines.EvaluationView):
            self.say(
                _(
                    "Evaluated. The Quality Mobile Flag goes to {winner_code} {winner_name}.",
                    winner_code=result.winner_code,
                    winner_name=result.winner_name,
                ),
                "success",
            )
        elif isinstance(result, lines.LineYield):
            self.say(
                _(
                    "Saved: {line_code} {passed_first:,} of {produced:,} passed the first time.",
                    line_code=result.line_code,
                    passed_first=result.passed_first,
                    produced=result.produced,
                ),
                "success",
            )
        self.action_refresh()

    def action_board(self) -> None:
        from screens.board import BoardScreen

        self.app.push_screen(BoardScreen())

    def action_back(self) -> None:
        self.dismiss()
