"""Improvement proposals: submit one, follow my own, and (supervisors) review the queue."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from kiosk.clock import format_local
from kiosk.i18n import N_, _
from kiosk.services.defects import proposals
from kiosk.services.platform.text import shorten
from screens.action_form import ActionForm, FormField
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

SHORT_TIME = "%m-%d %H:%M"
REVIEW_ROLE = "supervisor"  # who may accept or reject (the service checks it again)
STATUS_STYLE = {"accepted": "bold green", "rejected": "red", "submitted": "yellow"}


class ProposalForm(ActionForm):
    """ActionForm for several text fields: Enter goes to the next field, the last one saves.

    Ctrl+S saves from any field; a form taller than the terminal scrolls.
    """

    CSS_PATH = ["action_form.tcss", "proposals.tcss"]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not ActionForm's: there Enter saves at once
        inputs = list(self.query(Input))
        position = inputs.index(event.input) if event.input in inputs else len(inputs)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self.action_submit()


class ProposalsScreen(KioskScreen):
    CSS_PATH = "proposals.tcss"
    BINDINGS = [
        Binding("n", "new", "New proposal"),
        Binding("a", "accept", "Accept"),
        Binding("j", "reject", "Reject"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f8", "page(1)", "Next page"),
        Binding("f7", "page(-1)", "Previous page"),
        Binding("pagedown", "page(1)", "Next page", show=False, priority=True),
        Binding("pageup", "page(-1)", "Previous page", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[str, proposals.ProposalView] = {}
        self.queue: list[proposals.ProposalView] = []
        self.queue_page: proposals.ProposalQueue | None = None
        self.queue_offset = 0  # where the page of the review queue starts
        self.points_range: proposals.PointsRange | None = None
        self.just_submitted: str | None = None  # highlighted once the list shows it
        self.reviewed_id: str | None = None  # shown when the queue it left is empty

    @property
    def reviewer(self) -> bool:
        user = self.kiosk_app.user
        return user is not None and user.has_role(REVIEW_ROLE)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="proposals-main"):
            yield Static(_("Improvement proposals"), id="proposals-title")
            yield Static("", id="mine-title", markup=False)
            yield FittedTable(id="mine", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-title", markup=False)
            yield FittedTable(id="queue", cursor_type="row", zebra_stripes=True)
            yield Static("", id="proposal-detail", markup=False)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#mine", FittedTable).set_columns(
            [
                Col("submitted", N_("Submitted"), 2),
                Col("title", N_("Title"), flex=True, min_width=12),
                Col("status", N_("Status")),
                Col("points", N_("Points")),
                Col("review", N_("Review"), 1, flex=True, min_width=10),
            ]
        )
        queue = self.query_one("#queue", FittedTable)
        queue.set_columns(
            [
                Col("submitted", N_("Submitted"), 2),
                Col("by", N_("By"), flex=True, min_width=8),
                Col("team", N_("Team"), 1, flex=True, min_width=8),
                Col("title", N_("Title"), flex=True, min_width=12),
            ]
        )
        if self.reviewer:
            queue.focus()
        else:
            self.query_one("#queue-title").display = False
            queue.display = False
            self.query_one("#mine", DataTable).focus()
        self.query_one("#proposal-detail", Static).display = False
        self.call_service(proposals.points_range, on_done=self._got_range, group="range")
        self.action_refresh()

    def _got_range(self, allowed: proposals.PointsRange) -> None:
        self.points_range = allowed

    # -- loading -----------------------------------------------------------------

    def action_refresh(self) -> None:
        user = self.kiosk_app.user
        if user is None:
            return
        self.call_service(
            proposals.my_proposals, user.id, on_done=self.show_mine, group="mine", latest_only=True
        )
        if self.reviewer:
            self.call_service(
                proposals.review_queue,
                self.caller,
                offset=self.queue_offset,
                on_done=self.show_queue,
                group="queue",
                latest_only=True,
            )

    def show_mine(self, items: list[proposals.ProposalView]) -> None:
        for item in items:
            self.views[item.id] = item
        table = self.query_one("#mine", FittedTable)
        keep = self.just_submitted or self._cursor_key(table)
        self.just_submitted = None
        rows = []
        for item in items:
            points = f"{item.points:+d}" if item.points is not None else "—"
            cells = (
                format_local(item.submitted_at, SHORT_TIME),
                Text(shorten(item.title, 60)),
                Text(item.status_title, style=STATUS_STYLE.get(item.status, "")),
                Text(points, style="bold green" if item.points else ""),
                Text(shorten(item.review_comment, 40)),
            )
            rows.append((item.id, cells))
        table.set_rows(rows)
        self._restore_cursor(table, keep)
        accepted = [item for item in items if item.status == "accepted"]
        earned = sum(item.points or 0 for item in accepted)
        self.query_one("#mine-title", Static).update(
            _(
                "My proposals: {count} · {count2} accepted · {earned:+d} points earned",
                count=len(items),
                count2=len(accepted),
                earned=earned,
            )
            if items
            else _("My proposals: none yet. Press N to submit an improvement proposal.")
        )
        if not self.reviewer:
            self._show_detail_of(table)

    def show_queue(self, page: proposals.ProposalQueue) -> None:
        if page.total and not page.items:  # the queue shrank under this page: its last one
            self.queue_offset = (page.total - 1) // page.limit * page.limit
            self.action_refresh()
            return
        self.queue_page = page
        items = list(page.items)
        self.queue = items
        for item in items:
            self.views[item.id] = item
        table = self.query_one("#queue", FittedTable)
        keep = self._cursor_key(table)
        table.set_rows(
            [
                (
                    item.id,
                    (
                        format_local(item.submitted_at, SHORT_TIME),
                        Text(shorten(item.submitter_name, 24)),
                        Text(shorten(item.team_name, 32)),
                        Text(shorten(item.title, 60)),
                    ),
                )
                for item in items
            ]
        )
        self._restore_cursor(table, keep)
        if not items:
            title = _("No proposals are waiting for review.")
        elif page.total <= len(items):
            title = _(
                "Waiting for your review: {count}. A accepts with points, J rejects.",
                count=len(items),
            )
        else:
            title = _(
                "Waiting for your review: {first}–{last} of {count}. A accepts with points, "
                "J rejects; F8/PgDn next page, F7/PgUp previous.",
                first=page.first,
                last=page.last,
                count=page.total,
            )
        self.query_one("#queue-title", Static).update(title)
        self._show_detail_of(table)

    def action_page(self, step: int) -> None:
        page = self.queue_page
        if page is None or not self.reviewer:
            return
        offset = page.offset + step * page.limit
        if offset < 0 or offset >= page.total:
            self.say(_("There is no page that way."))
            return
        self.queue_offset = offset
        self.action_refresh()

    @staticmethod
    def _cursor_key(table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    @staticmethod
    def _restore_cursor(table: DataTable, key: str | None) -> None:
        if key is None:
            return
        try:
            table.move_cursor(row=table.get_row_index(key))
        except Exception:  # the row is gone (reviewed): stay at the top
            table.move_cursor(row=0)

    # -- the detail panel ------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key is not None:
            self._show_detail(str(event.row_key.value))

    def _show_detail_of(self, table: DataTable) -> None:
        key = self._cursor_key(table)
        if key is None:  # an empty list: the proposal just reviewed, as it is now, or nothing
            key = self.reviewed_id or ""
        self._show_detail(key)

    def _show_detail(self, proposal_id: str) -> None:
        item = self.views.get(proposal_id)
        panel = self.query_one("#proposal-detail", Static)
        if item is None:
            panel.display = False
            return
        text = Text()
        text.append(item.title, style="bold")
        text.append(
            f"\n{item.short_id} · {item.submitter_name} ({item.team_name}) · "
            f"{format_local(item.submitted_at)} · "
        )
        text.append(item.status_title, style=STATUS_STYLE.get(item.status, ""))
        text.append(_("\nProblem: "), style="bold")
        text.append(item.problem)
        text.append(_("\nProposal: "), style="bold")
        text.append(item.proposal)
        text.append(_("\nExpected benefit: "), style="bold")
        text.append(item.benefit)
        if item.reviewed_by:
            points = (
                _(", {points:+d} points", points=item.points) if item.points is not None else ""
            )
            text.append(
                _(
                    "\nReviewed by {reviewed_by} on {time}{points}",
                    reviewed_by=item.reviewed_by,
                    time=format_local(item.reviewed_at),
                    points=points,
                ),
                style="bold",
            )
            if item.review_comment:
                text.append(f": {item.review_comment}")
        panel.update(text)
        panel.display = True

    # -- actions -----------------------------------------------------------------

    def key_offered(self, binding: Binding) -> bool:
        """For the key help: Accept and Reject are greyed out for those who may not review
        (still pressable, to say at once why)."""
        return self.reviewer or binding.action not in ("accept", "reject")

    def action_new(self) -> None:
        user = self.kiosk_app.user
        if user is None:
            return
        caller = self.caller
        fields = [
            FormField("title", _("Title"), max_length=proposals.TITLE_MAX),
            FormField("problem", _("What problem do you see?"), max_length=proposals.TEXT_MAX),
            FormField("proposal", _("What do you propose?"), max_length=proposals.TEXT_MAX),
            FormField("benefit", _("Expected benefit"), max_length=proposals.BENEFIT_MAX),
        ]

        def submit(values: dict[str, str | None]) -> proposals.ProposalView:
            draft = proposals.ProposalDraft(
                values["title"] or "",
                values["problem"] or "",
                values["proposal"] or "",
                values["benefit"] or "",
            )
            return proposals.submit_proposal(caller, draft)

        self.app.push_screen(
            ProposalForm(_("Submit an improvement proposal"), fields, submit, _("Submit")),
            self._submitted,
        )

    def _submitted(self, result: proposals.ProposalView | None) -> None:
        if result is None:
            return
        self.views[result.id] = result
        self.just_submitted = result.id
        self.action_refresh()
        self.say(
            _(
                'Proposal {short_id} "{title}" submitted: a reviewer will accept or reject it.',
                short_id=result.short_id,
                title=shorten(result.title, 40),
            ),
            "success",
        )

    def _selected_in_queue(self) -> proposals.ProposalView | None:
        table = self.query_one("#queue", FittedTable)
        key = self._cursor_key(table)
        if key is None:
            self.say(_("No proposal is waiting for review."), "error")
            return None
        return self.views.get(key)

    def _summary(self, item: proposals.ProposalView) -> str:
        return _(
            '"{title}" by {submitter_name} ({team_name})\nProblem: {problem}\nProposal: '
            "{proposal}\nExpected benefit: {benefit}",
            title=item.title,
            submitter_name=item.submitter_name,
            team_name=item.team_name,
            problem=shorten(item.problem, 160),
            proposal=shorten(item.proposal, 160),
            benefit=shorten(item.benefit, 120),
        )

    def action_accept(self) -> None:
        if self.refuse_key(_("Accept"), REVIEW_ROLE, "proposal_accept"):  # said at once
            return
        user = self.kiosk_app.user
        item = self._selected_in_queue()
        if item is None or user is None:
            return
        caller = self.caller
        allowed = self.points_range or proposals.PointsRange(*proposals.DEFAULT_POINTS_RANGE)
        fields = [
            FormField(
                "points",
                _("Points for the submitter's team ({allowed})", allowed=allowed),
                placeholder=f"{allowed.low}-{allowed.high}",
                max_length=6,
            ),
            FormField("comment", _("Comment for the submitter (optional)"), max_length=1000),
        ]
        self.app.push_screen(
            ProposalForm(
                _(
                    "Accept proposal {short_id}\n{summary}",
                    short_id=item.short_id,
                    summary=self._summary(item),
                ),
                fields,
                lambda v: proposals.accept_proposal(
                    caller, item.id, v["points"] or "", v["comment"] or ""
                ),
                _("Accept"),
            ),
            self._reviewed,
        )

    def action_reject(self) -> None:
        if self.refuse_key(_("Reject"), REVIEW_ROLE, "proposal_reject"):
            return
        user = self.kiosk_app.user
        item = self._selected_in_queue()
        if item is None or user is None:
            return
        caller = self.caller
        fields = [
            FormField(
                "comment", _("Why is it not accepted? (the submitter reads this)"), max_length=1000
            )
        ]
        self.app.push_screen(
            ProposalForm(
                _(
                    "Reject proposal {short_id}\n{summary}",
                    short_id=item.short_id,
                    summary=self._summary(item),
                ),
                fields,
                lambda v: proposals.reject_proposal(caller, item.id, v["comment"] or ""),
                _("Reject"),
            ),
            self._reviewed,
        )

    def _reviewed(self, result: proposals.ProposalView | None) -> None:
        if result is None:
            return
        self.views[result.id] = result
        self.reviewed_id = result.id
        self._show_detail(result.id)  # its new state at once, not the one reviewed
        self.action_refresh()
        if result.status == "accepted":
            self.say(
                _(
                    "Accepted proposal {short_id}: {points:+d} points to {team_name} "
                    "({submitter_name}).",
                    short_id=result.short_id,
                    points=result.points,
                    team_name=result.team_name,
                    submitter_name=result.submitter_name,
                ),
                "success",
            )
        else:
            self.say(
                _(
                    "Rejected proposal {short_id}: no points for {team_name}; the comment goes "
                    "to the submitter ({submitter_name}).",
                    short_id=result.short_id,
                    team_name=result.team_name,
                    submitter_name=result.submitter_name,
                )
            )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()  # a proposal was submitted or reviewed on some terminal

    def action_back(self) -> None:
        self.dismiss()
