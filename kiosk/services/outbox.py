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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.clock import Clock, FrozenClock, SystemClock
from kiosk.errors import DatabaseUnavailable, NotFound, PermissionDenied, ServiceError
from kiosk.files import private_file
from kiosk.i18n import _
from kiosk.services import lifecycle, training
from kiosk.services.auth import (
    PIN_FAILURES_ALLOWED,
    PIN_LOCK_SECONDS,
    EmployeeView,
    hash_pin,
    role_needs_pin,
    sign_in,
    verify_pin,
)
from kiosk.services.campaigns import CampaignView
from kiosk.services.defects import (
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
from kiosk.services.stations import StationView, lookup_station
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES
from models.outbox import (
    OUTBOX_TABLES,
    CachedBadge,
    CachedView,
    OutboxEntry,
    outbox_database,
)


@dataclass(frozen=True)
class Queued:
    """Kept on this kiosk; it goes to the server when the server answers again."""

    kind: str
    waiting: int


@dataclass(frozen=True)
class ForwardResult:
    sent: int
    refused: int  # the server answered but said no (e.g. the station was removed meanwhile)
    waiting: int


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


class Outbox:
    """One per kiosk process, in a local file (never on a network share)."""

    def __init__(self, path: Path) -> None:
        private_file(path)  # it keeps PIN hashes: owner-only
        outbox_database.init(
            str(path), pragmas={"journal_mode": "wal", "busy_timeout": 5000, "synchronous": "full"}
        )
        with outbox_database.connection_context():
            outbox_database.create_tables(OUTBOX_TABLES, safe=True)
        self.path = path
        self._forwarding = threading.Lock()
        self._offline_failures: dict[str, list[datetime]] = {}  # badge -> wrong PINs, offline

    # -- queueing ----------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any], entered_at: datetime) -> Queued:
        with outbox_database.connection_context(), outbox_database.atomic():
            OutboxEntry.create(
                kind=kind, payload=json.dumps(payload), created_at=_naive_utc(entered_at)
            )
        return Queued(kind, self.waiting())

    def waiting(self) -> int:
        with outbox_database.connection_context():
            return OutboxEntry.select().where(OutboxEntry.failed.is_null()).count()

    def refused(self) -> list[tuple[str, str]]:
        """What the server refused on replay: (kind, why), oldest first."""
        with outbox_database.connection_context():
            rows = OutboxEntry.select().where(OutboxEntry.failed.is_null(False))
            return [(row.kind, row.failed) for row in rows.order_by(OutboxEntry.id)]

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
        return ForwardResult(sent, refused, self.waiting())

    # -- offline sign-in ---------------------------------------------------------------

    def remember(self, employee: EmployeeView, pin: str | None, seen_at: datetime) -> None:
        """After an online sign-in: this person may sign in here while the server is away."""
        pin_hash = hash_pin(pin) if pin else None
        with outbox_database.connection_context():
            CachedBadge.insert(
                badge_code=employee.badge_code,
                employee=json.dumps(asdict(employee)),
                pin_hash=pin_hash,
                seen_at=_naive_utc(seen_at),
            ).on_conflict_replace().execute()

    def offline_sign_in(
        self, badge_code: str, pin: str | None, *, now: datetime | None = None
    ) -> EmployeeView:
        now = now or SystemClock().now()
        with outbox_database.connection_context():
            row = CachedBadge.get_or_none(CachedBadge.badge_code == badge_code.strip().upper())
        if row is None:
            raise NotFound(
                _(
                    "The server cannot be reached and this badge has not signed in on this "
                    "kiosk before. Try another kiosk, or wait until the server is back."
                )
            )
        employee = EmployeeView(**json.loads(row.employee))
        if role_needs_pin(employee.role) and not row.pin_hash:
            # a leader is never signed in on the badge alone, not even from the kept roster
            raise PermissionDenied(
                _(
                    "The server cannot be reached, and no PIN of {name} is kept on this "
                    "kiosk. Sign in when the server is back.",
                    name=employee.name,
                )
            )
        if employee.needs_pin or role_needs_pin(employee.role):
            # the same lock as online (five wrong PINs in ten minutes), kept in this
            # process: the audit trail that counts them online is out of reach
            since = now - timedelta(seconds=PIN_LOCK_SECONDS)
            failures = [t for t in self._offline_failures.get(row.badge_code, []) if t > since]
            if len(failures) >= PIN_FAILURES_ALLOWED:
                unlock_at = failures[-PIN_FAILURES_ALLOWED] + timedelta(seconds=PIN_LOCK_SECONDS)
                raise PermissionDenied(
                    _(
                        "Too many wrong PINs for badge {badge_code}. Try again in {locked_for} "
                        "min, or ask a supervisor.",
                        badge_code=row.badge_code,
                        locked_for=(int((unlock_at - now).total_seconds()) + 59) // 60,
                    )
                )
            if not pin:
                from kiosk.services.auth import PinRequired

                raise PinRequired(_("{name}: enter your PIN.", name=employee.name))
            if not row.pin_hash or not verify_pin(pin, row.pin_hash):
                self._offline_failures[row.badge_code] = [*failures, now]
                raise PermissionDenied(_("Wrong PIN. Scan your badge and try again."))
            self._offline_failures.pop(row.badge_code, None)
        return employee

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
        EmployeeView(**payload["reporter"]),
        DefectDraft(**payload["draft"]),
        terminal=payload["terminal"],
        clock=FrozenClock(entered_at),
        defect_id=uuid.UUID(payload["defect_id"]),
    )


def _replay_progress(payload: dict[str, Any], entered_at: datetime) -> None:
    lifecycle.post_progress(
        EmployeeView(**payload["actor"]),
        payload["defect_id"],
        payload["text"],
        terminal=payload["terminal"],
        clock=FrozenClock(entered_at),
        progress_id=uuid.UUID(payload["progress_id"]),
    )


def _replay_answer(payload: dict[str, Any], entered_at: datetime) -> None:
    training.answer_question(
        EmployeeView(**payload["employee"]),
        payload["question_id"],
        payload["position"],
        answer_id=uuid.UUID(payload["answer_id"]),
        terminal=payload["terminal"],
        clock=FrozenClock(entered_at),
    )


REPLAY: dict[str, Callable[[dict[str, Any], datetime], None]] = {
    "report_defect": _replay_report,
    "post_progress": _replay_progress,
    "answer_question": _replay_answer,
}


# -- send now, or keep for later -----------------------------------------------------------


def report_defect_or_keep(
    outbox: Outbox,
    reporter: EmployeeView,
    draft: DefectDraft,
    *,
    defect_id: uuid.UUID,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> DefectReceipt | Queued:
    clock = clock or SystemClock()
    entered_at = clock.now()
    try:
        return report_defect(
            reporter, draft, terminal=terminal, clock=FrozenClock(entered_at), defect_id=defect_id
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
    outbox: Outbox,
    actor: EmployeeView,
    defect_id: str,
    text: str,
    *,
    progress_id: uuid.UUID,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> lifecycle.DefectDetail | Queued:
    clock = clock or SystemClock()
    entered_at = clock.now()
    try:
        return lifecycle.post_progress(
            actor,
            defect_id,
            text,
            terminal=terminal,
            clock=FrozenClock(entered_at),
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
    outbox: Outbox,
    employee: EmployeeView,
    question_id: int,
    position: int,
    *,
    answer_id: uuid.UUID,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> training.AnswerResult | Queued:
    clock = clock or SystemClock()
    entered_at = clock.now()
    try:
        return training.answer_question(
            employee,
            question_id,
            position,
            answer_id=answer_id,
            terminal=terminal,
            clock=FrozenClock(entered_at),
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


def lookup_station_or_kept(outbox: Outbox, code: str, *, clock: Clock | None = None) -> StationView:
    """The station from the server (kept here for later), or the kept copy while offline."""
    clock = clock or SystemClock()
    try:
        view = lookup_station(code, clock=clock)
    except DatabaseUnavailable:
        kept = outbox.kept_view(f"station:{code.strip().upper()}")
        if kept is None:
            raise
        kept["open_defects"] = ()  # not known while offline
        return StationView(**kept)
    outbox.keep_view(f"station:{view.code}", {**asdict(view), "open_defects": []}, clock.now())
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
    outbox: Outbox,
    badge_code: str,
    pin: str | None = None,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView:
    """Sign in at the server (and remember the badge here); while the server is away, a
    badge that signed in on this kiosk before still may."""
    clock = clock or SystemClock()
    try:
        employee = sign_in(badge_code, pin, terminal=terminal, clock=clock)
    except DatabaseUnavailable:
        return outbox.offline_sign_in(badge_code, pin, now=clock.now())
    outbox.remember(employee, pin, clock.now())
    return employee


def enrol_and_keep(
    outbox: Outbox,
    badge_code: str,
    code: str,
    pin: str,
    repeat: str,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView:
    """Enrol the PIN chosen after an enrolment code (it needs the server), then remember the
    badge here with that PIN, as an online sign-in does."""
    from kiosk.services import enrolment

    clock = clock or SystemClock()
    employee = enrolment.enrol_pin(badge_code, code, pin, repeat, terminal=terminal, clock=clock)
    outbox.remember(employee, pin, clock.now())
    return employee


def change_pin_and_keep(
    outbox: Outbox,
    actor: EmployeeView,
    current: str,
    pin: str,
    repeat: str,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView:
    """Change one's own PIN at the server; the kept copy here follows (the old PIN stops
    working on this kiosk too, also while offline)."""
    from kiosk.services import enrolment

    clock = clock or SystemClock()
    employee = enrolment.change_pin(actor, current, pin, repeat, terminal=terminal, clock=clock)
    outbox.remember(employee, pin, clock.now())
    return employee
