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
from models import AuditEntry, Employee, EnrolmentCode, Team

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
    N_("issue an enrolment code"),
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


class NoPin(PermissionDenied):
    """A leader (or above) who has no PIN yet: never signed in on the badge alone."""


class EnrolmentRequired(NoPin):
    """A leader (or above) with no PIN but a live enrolment code: the code must follow,
    then the PIN they choose (kiosk/services/enrolment.py)."""


def role_needs_pin(role: str) -> bool:
    """Team leaders, supervisors and quality admins sign in with badge and PIN."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK["team_leader"]


def live_enrolment_code(employee: Employee | int, now: datetime) -> EnrolmentCode | None:
    """The person's one unused, unexpired enrolment code (issuing one voids the older)."""
    return (
        EnrolmentCode.select()
        .where(
            (EnrolmentCode.employee == employee)
            & EnrolmentCode.used_at.is_null()
            & (EnrolmentCode.expires_at > now)
        )
        .order_by(EnrolmentCode.issued_at.desc(), EnrolmentCode.id.desc())
        .first()
    )


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
    """Sign in with a badge; leaders and above must also give their PIN.

    A leader (or above) with no PIN is never signed in: with a live enrolment code they
    are asked for it (EnrolmentRequired; the sign-in screen goes on with
    enrolment.check_code and enrolment.enrol_pin), else told to ask a supervisor for one.
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
            secret = employee.pin_hash or role_needs_pin(employee.role)
            if secret and (locked := refuse_if_locked(employee, "sign_in", terminal, clock)):
                refusal = locked
            elif not employee.pin_hash and role_needs_pin(employee.role):
                if pin is None and live_enrolment_code(employee, clock.now()) is not None:
                    raise EnrolmentRequired(
                        _("{name}: enter your enrolment code.", name=employee.name)
                    )
                _audit(employee, "sign_in", False, "no PIN set", terminal, clock)
                refusal = NoPin(no_pin_message(employee.name))
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


def no_pin_message(name: str) -> str:
    return _(
        "{name} has no PIN yet. Ask a supervisor for an enrolment code, then scan your "
        "badge again.",
        name=name,
    )


PIN_FAILURES_ALLOWED = 5
PIN_LOCK_SECONDS = 600
# audit details that count toward a badge's lock: wrong PINs, wrong enrolment codes and
# wrong current PINs (changing one's own PIN) are one budget per badge
WRONG_SECRET_DETAILS = ("wrong PIN", "wrong enrolment code", "wrong current PIN")
SECRET_ACTIONS = ("sign_in", "change_pin")


def refuse_if_locked(
    employee: Employee, action: str, terminal: str | None, clock: Clock
) -> PermissionDenied | None:
    """If the badge is locked: audit the attempt (in the caller's transaction) and return the
    refusal to raise once that transaction is committed; else None."""
    locked_for = _pin_lock_remaining(employee, clock)
    if not locked_for:
        return None
    _audit(employee, action, False, "locked: too many wrong PINs", terminal, clock)
    return PermissionDenied(
        _(
            "Too many wrong PINs for badge {badge_code}. Try again in {locked_for} "
            "min, or ask a supervisor.",
            badge_code=employee.badge_code,
            locked_for=(locked_for + 59) // 60,
        )
    )


def _pin_lock_remaining(employee: Employee, clock: Clock) -> int:
    """Seconds this badge stays locked after too many wrong PINs (0: not locked).

    Counted from the audit trail, so every terminal sees the same lock: five wrong
    PINs or enrolment codes within ten minutes (since the last successful sign-in) lock
    the badge until ten minutes after the first of them.
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
            & AuditEntry.action.in_(SECRET_ACTIONS)
            & ~AuditEntry.allowed
            & AuditEntry.detail.in_(WRONG_SECRET_DETAILS)
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


# an attempt (sign-in, PIN change) by the badge's holder, allowed or not, in the caller's
# transaction: for kiosk/services/enrolment.py
audit_attempt = _audit


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
