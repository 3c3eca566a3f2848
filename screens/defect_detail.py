"""Defect detail: everything about one defect, its whole history, and the lifecycle actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from kiosk.clock import format_local
from kiosk.i18n import N_, _
from kiosk.services.defects import defects, lifecycle
from kiosk.services.platform import outbox
from screens.action_form import ActionForm, FormField
from screens.base import KioskScreen, Message
from screens.codes import code_word
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

# a long fix note or reason wraps onto more lines: read in full at 80 columns
HISTORY_COLUMNS = [
    Col("when", N_("When")),
    Col("who", N_("Who"), flex=True, min_width=10),
    Col("what", N_("What"), wrap=True, min_width=20),
]
# at 80 columns: the points and why stay; the team's name is elided, then the time goes
LEDGER_COLUMNS = [
    Col("when", N_("When"), 2),
    Col("team", N_("Team"), 1, flex=True, min_width=10),
    Col("points", N_("Points")),
    Col("reason", N_("Reason"), wrap=True, min_width=20),
]


class DefectDetailScreen(KioskScreen):
    CSS_PATH = "defect_detail.tcss"
    BINDINGS = [
        Binding("p", "act('progress')", "Progress"),
        Binding("x", "act('fixed')", "Fixed"),
        Binding("v", "act('verify')", "Verify"),
        Binding("j", "act('reject')", "Reject fix"),
        Binding("c", "act('close')", "Close"),
        Binding("t", "act('typical')", "Typical"),
        Binding("a", "act('reassign')", "Reassign"),
        Binding("o", "act('confirm')", "Confirm real"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, defect_id: str) -> None:
        super().__init__()
        self.defect_id = defect_id
        self.detail: lifecycle.DefectDetail | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="detail-main"):
            yield Static(_("Loading…"), id="summary", markup=False)
            yield Message()
            yield Static(_("History"), classes="section")
            yield FittedTable(id="history", cursor_type="row", zebra_stripes=True)
            yield Static(_("Points caused by this defect"), classes="section")
            yield FittedTable(id="ledger", cursor_type="row")
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#history", FittedTable).set_columns(HISTORY_COLUMNS)
        self.query_one("#ledger", FittedTable).set_columns(LEDGER_COLUMNS)
        self.reload()

    def language_changed(self) -> None:
        self.reload()  # the summary and the history, in the new language

    def reload(self) -> None:
        self.call_service(
            lifecycle.defect_detail,
            self.caller,
            self.defect_id,
            on_done=self.show,
        )

    def show(self, detail: lifecycle.DefectDetail) -> None:
        self.detail = detail
        summary = Text()
        summary.append(_("Defect {short_id}", short_id=detail.short_id), style="bold")
        summary.append(f"  {detail.status_title.upper()}", style="bold cyan")
        if detail.typical:
            summary.append(_("  TYPICAL CASE"), style="bold magenta")
        summary.append(
            _(
                "\nStation {station_code} ({station_name}) · {line_name}\nResponsible team: ",
                station_code=detail.station_code,
                station_name=detail.station_name,
                line_name=detail.line_name,
            )
        )
        summary.append(detail.team_name, style="bold")
        category = defects.CATEGORY_LABELS.get(detail.category, detail.category)
        summary.append(
            f"\n{category} · {code_word(detail.severity)} · "
            f"{defects.SOURCE_LABELS.get(detail.source, detail.source)}"
        )
        if detail.supplier:
            summary.append(
                _(" · supplier {supplier}, lot {lot}", supplier=detail.supplier, lot=detail.lot)
            )
        summary.append(
            _(
                "\nReported by {reporter} at {time}; due {time2} ",
                reporter=detail.reporter,
                time=format_local(detail.reported_at),
                time2=format_local(detail.due_at),
            )
        )
        if detail.status in lifecycle.OPEN_STATUSES:
            left = lifecycle.describe_time_left(detail.seconds_left)
            summary.append(f"({left})", style="bold red" if detail.overdue else "green")
        elif detail.overdue:
            summary.append(_("(corrected late)"), style="bold red")
        if detail.self_reported:
            summary.append(self._self_report_line(detail))
        summary.append(f"\n\n{detail.description}")
        if detail.root_cause:
            factor = defects.CATEGORY_LABELS.get(detail.root_cause_factor or "", "").split(" (")[0]
            summary.append(
                _(
                    "\n\nRoot cause ({factor}): {root_cause}\nCorrective action: "
                    "{corrective_action}",
                    factor=factor,
                    root_cause=detail.root_cause,
                    corrective_action=detail.corrective_action,
                )
            )
        self.query_one("#summary", Static).update(summary)
        self.query_one("#history", FittedTable).set_rows(
            [
                (str(n), (format_local(line.at), Text(line.who), Text(line.what)))
                for n, line in enumerate(detail.history)
            ]
        )
        self.query_one("#ledger", FittedTable).set_rows(
            [
                (
                    str(n),
                    (
                        format_local(entry.at),
                        Text(entry.team),
                        Text(f"{entry.amount:+d}", style="green" if entry.amount > 0 else "red"),
                        Text(entry.reason),
                    ),
                )
                for n, entry in enumerate(detail.ledger)
            ]
        )
        self.refresh_bindings()

    @staticmethod
    def _self_report_line(detail: lifecycle.DefectDetail) -> Text:
        if detail.confirmed_by:
            return Text(
                _(
                    "\nReported by its own team; confirmed as real by {who} at {time}.",
                    who=detail.confirmed_by,
                    time=format_local(detail.confirmed_at),
                )
            )
        if detail.needs_confirmation:
            return Text(
                _(
                    "\nReported by its own team: it earns on-time points only once a leader "
                    "outside the team (or from {department}) confirms it (key O).",
                    department=detail.quality_department,
                ),
                style="yellow",
            )
        return Text(_("\nReported by its own team."))

    # -- actions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys the rules refuse this person are not shown; a greyed-out one (wrong state or
        role) stays pressable, to say at once why (see `key_offered` and `action_act`)."""
        if action != "act" or self.detail is None:
            return True
        user = self.kiosk_app.user
        return lifecycle.offer(str(parameters[0]), user, self.detail) is not False

    def key_offered(self, binding: Binding) -> bool:
        """For the key help: whether a shown key is offered (else it is shown greyed out)."""
        if self.detail is None or not binding.action.startswith("act("):
            return True
        name = binding.action[len("act('") : -len("')")]
        user = self.kiosk_app.user
        return lifecycle.offer(name, user, self.detail) is True

    def action_act(self, name: str) -> None:
        detail = self.detail
        user = self.kiosk_app.user
        if detail is None or user is None:
            return
        if lifecycle.offer(name, user, detail) is not True:  # greyed out, pressed anyway
            label = next(
                b.description
                for b in self.BINDINGS
                if isinstance(b, Binding) and b.action == f"act('{name}')"
            )
            self.say_refused(
                lifecycle.refusal(name, user, detail, _(label)),
                f"defect_{name}",
                f"not offered at status {detail.status}",
            )
            return
        caller = self.caller
        factors = tuple((label, key) for key, label in defects.CATEGORY_LABELS.items())
        forms: dict[str, tuple[str, list[FormField], Callable[[dict], Any]]] = {
            "progress": (
                _("Post a progress update"),
                [FormField("progress", _("What was done or found?"))],
                lambda v: outbox.post_progress_or_keep(
                    caller,
                    self.kiosk_app.outbox,
                    detail.id,
                    v["progress"] or "",
                    progress_id=uuid.uuid4(),
                ),
            ),
            "fixed": (
                _("Mark the correction done"),
                [FormField("note", _("What was corrected? (optional)"))],
                lambda v: lifecycle.mark_fixed(caller, detail.id, v["note"] or ""),
            ),
            "verify": (
                _("Verify the correction"),
                [FormField("note", _("Verification note (optional)"))],
                lambda v: lifecycle.verify(caller, detail.id, v["note"] or ""),
            ),
            "reject": (
                _("Reject the fix (back to in progress)"),
                [FormField("reason", _("Why is the fix not accepted?"))],
                lambda v: lifecycle.reject(caller, detail.id, v["reason"] or ""),
            ),
            "close": (
                _("Close with root cause"),
                [
                    FormField("factor", _("Root cause 5M1E factor"), "select", factors),
                    FormField("cause", _("Root cause: why did it happen?")),
                    FormField("action", _("Corrective action that prevents recurrence")),
                ],
                lambda v: lifecycle.close(
                    caller,
                    detail.id,
                    lifecycle.RootCause(v["factor"], v["cause"] or "", v["action"] or ""),
                ),
            ),
            "confirm": (
                _("Confirm that this self-reported defect is real"),
                [FormField("note", _("What did you check? (optional)"))],
                lambda v: lifecycle.confirm(caller, detail.id, v["note"] or ""),
            ),
            "typical": (
                _("Mark as a typical case for the prevention handbook"),
                [],
                lambda _v: lifecycle.mark_typical(caller, detail.id, True),
            ),
        }
        if name == "reassign":
            self.call_service(
                lifecycle.team_options,
                on_done=lambda teams: self._open(
                    "reassign",
                    _("Reassign to another team"),
                    [
                        FormField(
                            "team", _("Team"), "select", tuple((t.name, t.code) for t in teams)
                        ),
                        FormField("reason", _("Why?")),
                    ],
                    lambda v: lifecycle.reassign(
                        caller, detail.id, v["team"] or "", v["reason"] or ""
                    ),
                ),
            )
            return
        title, fields, submit = forms[name]
        self._open(name, title, fields, submit)

    def _open(
        self, name: str, title: str, fields: list[FormField], submit: Callable[[dict], Any]
    ) -> None:
        self.app.push_screen(
            ActionForm(title, fields, submit), lambda result: self._acted(name, result)
        )

    def _acted(self, name: str, result: lifecycle.DefectDetail | outbox.Queued | None) -> None:
        if result is None:
            return
        if isinstance(result, outbox.Queued):
            self.kiosk_app.outbox_changed(result.waiting)
            self.say(
                _(
                    "The server cannot be reached: the update is kept on this kiosk and will "
                    "be sent when it is back ({count} waiting).",
                    count=result.waiting,
                ),
                "info",
            )
            return
        self.show(result)
        if result.withheld and result.status == "verified":
            self.say(
                _(
                    "Saved. Defect {short_id} is now {status_title}; {withheld}.",
                    short_id=result.short_id,
                    status_title=result.status_title,
                    withheld=result.withheld,
                ),
                "error",
            )
            return
        self.say(done_message(name, result), "success")

    def action_back(self) -> None:
        self.dismiss()


def done_message(name: str, result: lifecycle.DefectDetail) -> str:
    """What an action did, naming the defect and its effect (team, points, handbook)."""
    short_id, team = result.short_id, result.team_name
    if name == "verify":
        points = result.ledger[-1].amount if result.ledger else 0
        if result.verified_at is not None and result.verified_at <= result.due_at and points:
            return _(
                "Defect {short_id} verified on time: {points:+d} to {team}.",
                short_id=short_id,
                points=points,
                team=team,
            )
        return _(
            "Defect {short_id} verified (after its window: no points for {team}).",
            short_id=short_id,
            team=team,
        )
    messages = {
        "progress": N_("Progress saved on defect {short_id} ({team})."),
        "fixed": N_("Defect {short_id} marked fixed: it now waits for verification ({team})."),
        "reject": N_("Fix rejected: defect {short_id} is back in progress for {team}."),
        "close": N_("Defect {short_id} closed with its root cause and corrective action."),
        "confirm": N_("Defect {short_id} confirmed as real: {team} corrects it."),
        "typical": N_("Defect {short_id} marked typical — it will appear in the handbook."),
        "reassign": N_("Defect {short_id} reassigned to {team}: the correction is theirs now."),
    }
    template = messages.get(name)
    if template is None:
        return _(
            "Saved. Defect {short_id} is now {status_title}.",
            short_id=short_id,
            status_title=result.status_title,
        )
    return _(template, short_id=short_id, team=team)
