"""Badge sign-in, PINs, roles and permission checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from kiosk.clock import Clock, SystemClock
from kiosk.errors import NotFound, PermissionDenied
from kiosk.i18n import N_, LazyLabels, _
from kiosk.services.uow import read_only, transaction
from models import AuditEntry, Employee, Team

ROLE_RANK = {"operator": 0, "team_leader": 1, "supervisor": 2, "quality_admin": 3}
ROLE_TITLES = LazyLabels(
    {
        "operator": N_("Operator"),
        "team_leader": N_("Team leader"),
        "supervisor": N_("Supervisor"),
        "quality_admin": N_("Quality admin"),
    }
)

# What `require_role` refusals name (an action id with spaces), for the translation catalog.
ACTION_PHRASES = (
    N_("view the anomaly report"),
    N_("run an inspection"),
    N_("view the supplier ranking"),
    N_("open the board in a browser"),
    N_("view training coverage"),
    N_("register a contest team"),
    N_("create a contest"),
    N_("run a contest"),
    N_("register a participant"),
    N_("judge a skill competition"),
    N_("review proposals"),
    N_("manage campaigns"),
)


@dataclass(frozen=True)
class EmployeeView:
    id: int
    badge_code: str
    name: str
    department: str
    role: str
    team_id: int | None
    team_name: str
    needs_pin: bool

    @property
    def role_title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]


def employee_view(employee: Employee, team: Team | None = None) -> EmployeeView:
    team = team if team is not None else employee.team
    return EmployeeView(
        id=employee.id,
        badge_code=employee.badge_code,
        name=employee.name,
        department=employee.department,
        role=employee.role,
        team_id=team.id if team else None,
        team_name=team.name if team else _("(no team)"),
        needs_pin=bool(employee.pin_hash),
    )


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt_hex), dklen=32, n=int(n), r=8, p=1
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


class PinRequired(PermissionDenied):
    """The badge is fine; a leader's PIN must follow."""


def normalise_badge(code: str) -> str:
    return code.strip().upper()


def _find_active_employee(badge_code: str) -> Employee:
    code = normalise_badge(badge_code)
    employee = (
        Employee.select(Employee, Team)
        .join(Team, on=(Employee.team == Team.id), join_type=JOIN.LEFT_OUTER)
        .where(Employee.badge_code == code)
        .first()
    )
    if employee is None:
        raise NotFound(
            _("Badge {code} is not known here. Ask your team leader to register it.", code=code)
        )
    if not employee.active:
        raise NotFound(
            _(
                "Badge {code} belongs to an inactive employee. Ask HR or your team leader.",
                code=code,
            )
        )
    return employee


@read_only
def identify_badge(badge_code: str) -> EmployeeView:
    """Who owns this badge (active employees only)."""
    return employee_view(_find_active_employee(badge_code))


def sign_in(
    badge_code: str,
    pin: str | None = None,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView:
    """Sign in with a badge; leaders and above with a PIN set must also give it.

    Every refused attempt is written to the audit trail before the refusal.
    """
    clock = clock or SystemClock()
    refusal: Exception | None = None
    with transaction():
        try:
            employee = _find_active_employee(badge_code)
        except NotFound as exc:
            _audit(
                None, "sign_in", False, exc.message, terminal, clock, normalise_badge(badge_code)
            )
            refusal = exc
        else:
            locked_for = _pin_lock_remaining(employee, clock) if employee.pin_hash else 0
            if locked_for:
                _audit(employee, "sign_in", False, "locked: too many wrong PINs", terminal, clock)
                refusal = PermissionDenied(
                    _(
                        "Too many wrong PINs for badge {badge_code}. Try again in {locked_for} "
                        "min, or ask a supervisor.",
                        badge_code=employee.badge_code,
                        locked_for=(locked_for + 59) // 60,
                    )
                )
            elif employee.pin_hash and pin is None:
                raise PinRequired(_("{name}: enter your PIN.", name=employee.name))
            elif employee.pin_hash and not verify_pin(pin or "", employee.pin_hash):
                _audit(employee, "sign_in", False, "wrong PIN", terminal, clock)
                refusal = PermissionDenied(_("Wrong PIN. Scan your badge and try again."))
            else:
                _audit(employee, "sign_in", True, "", terminal, clock)
                return employee_view(employee)
    assert refusal is not None
    raise refusal


PIN_FAILURES_ALLOWED = 5
PIN_LOCK_SECONDS = 600


def _pin_lock_remaining(employee: Employee, clock: Clock) -> int:
    """Seconds this badge stays locked after too many wrong PINs (0: not locked).

    Counted from the audit trail, so every terminal sees the same lock: five wrong
    PINs within ten minutes (since the last successful sign-in) lock the badge until
    ten minutes after the first of them.
    """
    now = clock.now()
    since = now - timedelta(seconds=PIN_LOCK_SECONDS)
    last_success = (
        AuditEntry.select(fn.MAX(AuditEntry.at))
        .where(
            (AuditEntry.actor == employee) & (AuditEntry.action == "sign_in") & AuditEntry.allowed
        )
        .scalar()
    )
    if last_success is not None:
        last_success = AuditEntry.at.python_value(last_success)
        since = max(since, last_success)
    failures = list(
        AuditEntry.select(AuditEntry.at)
        .where(
            (AuditEntry.actor == employee)
            & (AuditEntry.action == "sign_in")
            & ~AuditEntry.allowed
            & (AuditEntry.detail == "wrong PIN")
            & (AuditEntry.at > since)
        )
        .order_by(AuditEntry.at)
    )
    if len(failures) < PIN_FAILURES_ALLOWED:
        return 0
    unlock_at = failures[-PIN_FAILURES_ALLOWED].at + timedelta(seconds=PIN_LOCK_SECONDS)
    return max(int((unlock_at - now).total_seconds()), 0)


def _audit(
    employee: Employee | None,
    action: str,
    allowed: bool,
    detail: str,
    terminal: str | None,
    clock: Clock,
    target: str = "",
) -> None:
    AuditEntry.create(
        at=clock.now(),
        actor=employee,
        action=action,
        target=target,
        allowed=allowed,
        detail=detail,
        terminal=terminal,
    )


def record_action(
    actor: int | Employee | None,
    action: str,
    target: str,
    at: datetime,
    *,
    detail: str = "",
    terminal: str | None = None,
) -> None:
    """Audit a privileged action that was allowed, in the caller's transaction (so the row
    exists exactly when the action does): who, what, on what, when, from which terminal."""
    AuditEntry.create(
        at=at,
        actor=actor,
        action=action,
        target=target[:128],
        allowed=True,
        detail=detail,
        terminal=terminal,
    )


def record_refusal(
    actor: EmployeeView,
    action: str,
    target: str,
    why: str,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> None:
    """Audit a refused action in its own transaction (the refused one was rolled back)."""
    with transaction():
        _audit(
            Employee.get_by_id(actor.id),
            action,
            False,
            why,
            terminal,
            clock or SystemClock(),
            target,
        )


def require_role(
    actor: EmployeeView,
    minimum: str,
    action: str,
    *,
    target: str = "",
    terminal: str | None = None,
    clock: Clock | None = None,
) -> None:
    """Refuse (and audit the refusal) unless the actor holds at least `minimum`."""
    if actor.has_role(minimum):
        return
    record_refusal(
        actor,
        action,
        target,
        # the audit trail is kept in English, whatever the terminal shows
        f"needs {ROLE_TITLES.english(minimum)}, has {ROLE_TITLES.english(actor.role)}",
        terminal=terminal,
        clock=clock,
    )
    raise PermissionDenied(
        _(
            "Only a {role} or above may {action}.",
            role=ROLE_TITLES[minimum].lower(),
            action=_(action.replace("_", " ")),
        )
    )
