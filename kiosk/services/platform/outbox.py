"""Offline outbox: nothing typed is lost while the server is away, nothing counts twice later.

A kiosk that cannot reach the plant database keeps defect reports, progress
updates and quiz answers in a local SQLite file (models/outbox.py) and says how
many are waiting. A forwarder replays them in the order they were entered once
the server answers again. Every record carries an id made on the kiosk (the
defect's UUID, the progress update's UUID, the answer's UUID), and the services
treat a record whose id already exists as done, so a replay that runs twice (or
a send whose answer was lost) is harmless. Deadlines use the time the report was
entered on the kiosk, not the time it reached the server.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.caller import Caller
from kiosk.clock import FrozenClock, SystemClock
from kiosk.errors import DatabaseUnavailable, NotFound, PermissionDenied, ServiceError
from kiosk.files import private_file
from kiosk.i18n import _
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import (
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    DefectDraft,
    DefectReceipt,
    Option,
    ReportOptions,
    report_defect,
    report_options,
)
from kiosk.services.plant.campaigns import CampaignView
from kiosk.services.plant.stations import StationView, lookup_station
from kiosk.services.platform.auth import (
    LOCKED_DETAIL,
    PIN_FAILURE_MEMORY_SECONDS,
    PIN_FAILURES_ALLOWED,
    EmployeeView,
    PinRequired,
    hash_pin,
    lock_seconds_left,
    locked_message,
    normalise_badge,
    record_offline_sign_in,
    role_needs_pin,
    sign_in,
    verify_pin,
)
from kiosk.services.training import training
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES
from models.outbox import (
    OUTBOX_TABLES,
    CachedBadge,
    CachedView,
    OfflineWrongPin,
    OutboxEntry,
    outbox_database,
)

OFFLINE_ROLE_DAYS = 14  # the default of the setting offline_role_days
AUDIT_KIND = "audit_entry"  # an offline sign-in's audit row, forwarded with the entries


@dataclass(frozen=True)
class Queued:
    """Kept on this kiosk; it goes to the server when the server answers again."""

    kind: str
    waiting: int


@dataclass(frozen=True)
class ForwardResult:
    sent: int
    refused: int  # the server answered but said no (e.g. the station was removed meanwhile)
    waiting: int  # what people entered, still to go
    # everything still to go, the audit rows of offline sign-ins too (not compared: a
    # result is the people's entries)
    pending: int = field(default=0, compare=False)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class Outbox:
    """One per kiosk process, in a local file (never on a network share)."""

    def __init__(self, path: Path, *, role_days: int = OFFLINE_ROLE_DAYS) -> None:
        private_file(path)  # it keeps PIN hashes: owner-only
        outbox_database.init(
            str(path), pragmas={"journal_mode": "wal", "busy_timeout": 5000, "synchronous": "full"}
        )
        with outbox_database.connection_context():
            outbox_database.create_tables(OUTBOX_TABLES, safe=True)
        self.path = path
        self.role_days = role_days  # a kept role older than this is refused offline
        self._forwarding = threading.Lock()

    # -- queueing ----------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any], entered_at: datetime) -> Queued:
        with outbox_database.connection_context(), outbox_database.atomic():
            OutboxEntry.create(
                kind=kind, payload=json.dumps(payload), created_at=_naive_utc(entered_at)
            )
        return Queued(kind, self.waiting())

    def waiting(self) -> int:
        """What people entered here that has not gone yet (the status bar's count)."""
        with outbox_database.connection_context():
            return (
                OutboxEntry.select()
                .where(OutboxEntry.failed.is_null() & (OutboxEntry.kind != AUDIT_KIND))
                .count()
            )

    def pending(self) -> int:
        """Everything still to go: entries and the audit rows of offline sign-ins."""
        with outbox_database.connection_context():
            return OutboxEntry.select().where(OutboxEntry.failed.is_null()).count()

    def refused(self) -> list[tuple[str, str]]:
        """What the server refused on replay: (kind, why), oldest first."""
        with outbox_database.connection_context():
            rows = OutboxEntry.select().where(OutboxEntry.failed.is_null(False))
            return [(row.kind, row.failed or "") for row in rows.order_by(OutboxEntry.id)]

    # -- sending -----------------------------------------------------------------------

    def forward(self) -> ForwardResult:
        """Send what is waiting, oldest first; stop at the first sign of an outage."""
        sent = refused = 0
        with self._forwarding:  # one forwarder at a time keeps the order
            while True:
                with outbox_database.connection_context():
                    entry = (
                        OutboxEntry.select()
                        .where(OutboxEntry.failed.is_null())
                        .order_by(OutboxEntry.id)
                        .first()
                    )
                if entry is None:
                    break
                try:
                    REPLAY[entry.kind](json.loads(entry.payload), _aware(entry.created_at))
                except DatabaseUnavailable:
                    with outbox_database.connection_context():
                        OutboxEntry.update(attempts=OutboxEntry.attempts + 1).where(
                            OutboxEntry.id == entry.id
                        ).execute()
                    break
                except ServiceError as refusal:
                    refused += 1
                    with outbox_database.connection_context():
                        OutboxEntry.update(failed=refusal.message).where(
                            OutboxEntry.id == entry.id
                        ).execute()
                    continue
                with outbox_database.connection_context():
                    OutboxEntry.delete().where(OutboxEntry.id == entry.id).execute()
                sent += 1
        return ForwardResult(sent, refused, self.waiting(), self.pending())

    # -- offline sign-in ---------------------------------------------------------------

    def remember(self, employee: EmployeeView, pin: str | None, seen_at: datetime) -> None:
        """After an online sign-in: this person may sign in here while the server is away."""
        pin_hash = hash_pin(pin) if pin else None
        with outbox_database.connection_context(), outbox_database.atomic():
            # signed in at the server: wrong PINs given here offline stop counting
            OfflineWrongPin.delete().where(
                OfflineWrongPin.badge_code == employee.badge_code
            ).execute()
            CachedBadge.insert(
                badge_code=employee.badge_code,
                employee=json.dumps(asdict(employee)),
                pin_hash=pin_hash,
                seen_at=_naive_utc(seen_at),
            ).on_conflict_replace().execute()

    def offline_sign_in(
        self,
        badge_code: str,
        pin: str | None,
        *,
        now: datetime | None = None,
        terminal: str | None = None,
    ) -> EmployeeView:
        """Sign in from the kept roster while the server is away.

        The same PIN lock as online (auth.lock_seconds_left), counted in this file so a
        restart does not clear it; a kept role older than `role_days` (since that person's
        last online sign-in here) is refused. Every attempt but a bare badge scan that
        asks for the PIN is kept for the audit trail and forwarded with the outbox.
        """
        now = now or SystemClock().now()
        badge = normalise_badge(badge_code)
        with outbox_database.connection_context():
            row = CachedBadge.get_or_none(CachedBadge.badge_code == badge)
        if row is None:
            self._attempt(badge, None, False, "badge not kept here", terminal, now)
            raise NotFound(
                _(
                    "The server cannot be reached and this badge has not signed in on this "
                    "kiosk before. Try another kiosk, or wait until the server is back."
                )
            )
        employee = EmployeeView(**json.loads(row.employee))
        age = now - _aware(row.seen_at)
        if age > timedelta(days=self.role_days):
            self._attempt(badge, employee, False, "kept role too old", terminal, now)
            raise PermissionDenied(
                _(
                    "The server cannot be reached, and {name} last signed in on this kiosk "
                    "{days} days ago: a role kept longer than {limit} days is not trusted. "
                    "Sign in when the server is back.",
                    name=employee.name,
                    days=age.days,
                    limit=self.role_days,
                )
            )
        if role_needs_pin(employee.role) and not row.pin_hash:
            # a leader is never signed in on the badge alone, not even from the kept roster
            self._attempt(badge, employee, False, "no PIN kept", terminal, now)
            raise PermissionDenied(
                _(
                    "The server cannot be reached, and no PIN of {name} is kept on this "
                    "kiosk. Sign in when the server is back.",
                    name=employee.name,
                )
            )
        if employee.needs_pin or role_needs_pin(employee.role):
            locked_for = self._lock_left(badge, now)
            if locked_for:
                self._attempt(badge, employee, False, LOCKED_DETAIL, terminal, now)
                raise PermissionDenied(locked_message(badge, locked_for))
            if not pin:
                raise PinRequired(_("{name}: enter your PIN.", name=employee.name))
            if not row.pin_hash or not verify_pin(pin, row.pin_hash):
                self._attempt(badge, employee, False, "wrong PIN", terminal, now)
                raise PermissionDenied(_("Wrong PIN. Scan your badge and try again."))
        self._attempt(badge, employee, True, "", terminal, now)
        return employee

    def _lock_left(self, badge: str, now: datetime) -> int:
        """Seconds the badge stays locked on this kiosk's kept roster (0: not locked): its
        wrong PINs here since its last sign-in (kept or online) and within a day."""
        since = _naive_utc(now - timedelta(seconds=PIN_FAILURE_MEMORY_SECONDS))
        with outbox_database.connection_context():
            wrong = OfflineWrongPin.select(OfflineWrongPin.at).where(
                (OfflineWrongPin.badge_code == badge) & (OfflineWrongPin.at > since)
            )
            count = wrong.count()
            if count < PIN_FAILURES_ALLOWED:
                return 0
            latest = list(
                wrong.order_by(OfflineWrongPin.at.desc(), OfflineWrongPin.id.desc()).limit(
                    PIN_FAILURES_ALLOWED
                )
            )
        return lock_seconds_left(count, _aware(latest[-1].at), _aware(latest[0].at), now)

    def _attempt(
        self,
        badge: str,
        employee: EmployeeView | None,
        allowed: bool,
        detail: str,
        terminal: str | None,
        now: datetime,
    ) -> None:
        """Keep an offline sign-in attempt: for the lock here, and its audit row to forward
        (with an id made here, so it is written once however often it is sent)."""
        at = _naive_utc(now)
        payload = {
            "record_id": str(uuid.uuid4()),
            "employee_id": employee.id if employee else None,
            "badge_code": badge,
            "allowed": allowed,
            "detail": detail,
            "terminal": terminal,
        }
        forget_before = at - timedelta(seconds=PIN_FAILURE_MEMORY_SECONDS)
        with outbox_database.connection_context(), outbox_database.atomic():
            OutboxEntry.create(kind=AUDIT_KIND, payload=json.dumps(payload), created_at=at)
            if detail == "wrong PIN":
                OfflineWrongPin.create(badge_code=badge, at=at)
            elif allowed:  # signed in: the count starts again
                OfflineWrongPin.delete().where(OfflineWrongPin.badge_code == badge).execute()
            OfflineWrongPin.delete().where(OfflineWrongPin.at < forget_before).execute()

    # -- reference data for offline entry ---------------------------------------------

    def keep_view(self, key: str, value: Any, seen_at: datetime) -> None:
        with outbox_database.connection_context():
            CachedView.insert(
                key=key, value=json.dumps(value, default=str), seen_at=_naive_utc(seen_at)
            ).on_conflict_replace().execute()

    def kept_view(self, key: str) -> Any | None:
        with outbox_database.connection_context():
            row = CachedView.get_or_none(CachedView.key == key)
        return json.loads(row.value) if row else None


# -- what a replay calls ------------------------------------------------------------------


def _replay_report(payload: dict[str, Any], entered_at: datetime) -> None:
    report_defect(
        Caller.of(
            EmployeeView(**payload["reporter"]), FrozenClock(entered_at), payload["terminal"]
        ),
        DefectDraft(**payload["draft"]),
        defect_id=uuid.UUID(payload["defect_id"]),
    )


def _replay_progress(payload: dict[str, Any], entered_at: datetime) -> None:
    lifecycle.post_progress(
        Caller.of(EmployeeView(**payload["actor"]), FrozenClock(entered_at), payload["terminal"]),
        payload["defect_id"],
        payload["text"],
        progress_id=uuid.UUID(payload["progress_id"]),
    )


def _replay_answer(payload: dict[str, Any], entered_at: datetime) -> None:
    training.answer_question(
        Caller.of(
            EmployeeView(**payload["employee"]), FrozenClock(entered_at), payload["terminal"]
        ),
        payload["question_id"],
        payload["position"],
        answer_id=uuid.UUID(payload["answer_id"]),
    )


def _replay_audit(payload: dict[str, Any], entered_at: datetime) -> None:
    record_offline_sign_in(
        payload["record_id"],
        employee_id=payload["employee_id"],
        badge_code=payload["badge_code"],
        allowed=payload["allowed"],
        detail=payload["detail"],
        terminal=payload["terminal"],
        at=entered_at,
    )


REPLAY: dict[str, Callable[[dict[str, Any], datetime], None]] = {
    "report_defect": _replay_report,
    "post_progress": _replay_progress,
    "answer_question": _replay_answer,
    AUDIT_KIND: _replay_audit,
}


# -- send now, or keep for later -----------------------------------------------------------


def report_defect_or_keep(
    caller: Caller, outbox: Outbox, draft: DefectDraft, *, defect_id: uuid.UUID
) -> DefectReceipt | Queued:
    """Report the defect at the server, or keep it here (at the time it was entered) to
    be sent once the server is back."""
    reporter, terminal = caller.person, caller.terminal
    entered_at = caller.now()
    try:
        return report_defect(
            Caller.of(reporter, FrozenClock(entered_at), terminal), draft, defect_id=defect_id
        )
    except DatabaseUnavailable:
        payload = {
            "reporter": asdict(reporter),
            "draft": asdict(draft),
            "terminal": terminal,
            "defect_id": str(defect_id),
        }
        return outbox.enqueue("report_defect", payload, entered_at)


def post_progress_or_keep(
    caller: Caller, outbox: Outbox, defect_id: str, text: str, *, progress_id: uuid.UUID
) -> lifecycle.DefectDetail | Queued:
    """Post the progress update at the server, or keep it here for later."""
    actor, terminal = caller.person, caller.terminal
    entered_at = caller.now()
    try:
        return lifecycle.post_progress(
            Caller.of(actor, FrozenClock(entered_at), terminal),
            defect_id,
            text,
            progress_id=progress_id,
        )
    except DatabaseUnavailable:
        payload = {
            "actor": asdict(actor),
            "defect_id": str(defect_id),
            "text": text,
            "terminal": terminal,
            "progress_id": str(progress_id),
        }
        return outbox.enqueue("post_progress", payload, entered_at)


def answer_or_keep(
    caller: Caller, outbox: Outbox, question_id: int, position: int, *, answer_id: uuid.UUID
) -> training.AnswerResult | Queued:
    """Answer the quiz question at the server, or keep the answer here for later."""
    employee, terminal = caller.person, caller.terminal
    entered_at = caller.now()
    try:
        return training.answer_question(
            Caller.of(employee, FrozenClock(entered_at), terminal),
            question_id,
            position,
            answer_id=answer_id,
        )
    except DatabaseUnavailable:
        payload = {
            "employee": asdict(employee),
            "question_id": question_id,
            "position": position,
            "answer_id": str(answer_id),
            "terminal": terminal,
        }
        return outbox.enqueue("answer_question", payload, entered_at)


# -- stations and form options, kept for offline use --------------------------------------


def lookup_station_or_kept(caller: Caller, outbox: Outbox, code: str) -> StationView:
    """The station from the server (kept here for later), or the kept copy while offline."""
    try:
        view = lookup_station(caller, code)
    except DatabaseUnavailable:
        kept = outbox.kept_view(f"station:{code.strip().upper()}")
        if kept is None:
            raise
        kept["open_defects"] = ()  # not known while offline
        return StationView(**kept)
    outbox.keep_view(f"station:{view.code}", {**asdict(view), "open_defects": []}, caller.now())
    return view


def report_options_or_kept(outbox: Outbox) -> ReportOptions:
    """The report form's choices; offline, the 5M1E/severity/source lists still work (they
    are the kiosk's own) and suppliers and the window are the ones seen last."""
    try:
        options = report_options()
    except DatabaseUnavailable:
        kept = outbox.kept_view("report-options") or {}
        return ReportOptions(
            categories=tuple(Option(key, CATEGORY_LABELS[key]) for key in CATEGORIES_5M1E),
            severities=tuple(Option(key, SEVERITY_LABELS[key]) for key in SEVERITIES),
            sources=tuple(Option(key, SOURCE_LABELS[key]) for key in SOURCES),
            suppliers=tuple(Option(**item) for item in kept.get("suppliers", [])),
            correction_window_hours=kept.get(
                "correction_window_hours", CampaignView.correction_window_hours
            ),
        )
    outbox.keep_view(
        "report-options",
        {
            "suppliers": [asdict(option) for option in options.suppliers],
            "correction_window_hours": options.correction_window_hours,
        },
        SystemClock().now(),
    )
    return options


def sign_in_or_kept(
    caller: Caller, outbox: Outbox, badge_code: str, pin: str | None = None
) -> EmployeeView:
    """Sign in at the server (and remember the badge here); while the server is away, a
    badge that signed in on this kiosk before still may."""
    try:
        employee = sign_in(caller, badge_code, pin)
    except DatabaseUnavailable:
        return outbox.offline_sign_in(badge_code, pin, now=caller.now(), terminal=caller.terminal)
    outbox.remember(employee, pin, caller.now())
    return employee


def enrol_and_keep(
    caller: Caller, outbox: Outbox, badge_code: str, code: str, pin: str, repeat: str
) -> EmployeeView:
    """Enrol the PIN chosen after an enrolment code (it needs the server), then remember the
    badge here with that PIN, as an online sign-in does."""
    from kiosk.services.platform import enrolment

    employee = enrolment.enrol_pin(caller, badge_code, code, pin, repeat)
    outbox.remember(employee, pin, caller.now())
    return employee


def change_pin_and_keep(
    caller: Caller, outbox: Outbox, current: str, pin: str, repeat: str
) -> EmployeeView:
    """Change one's own PIN at the server; the kept copy here follows (the old PIN stops
    working on this kiosk too, also while offline)."""
    from kiosk.services.platform import enrolment

    employee = enrolment.change_pin(caller, current, pin, repeat)
    outbox.remember(employee, pin, caller.now())
    return employee
