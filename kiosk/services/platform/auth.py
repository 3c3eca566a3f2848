"""Badge sign-in, PINs, roles and permission checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from peewee import JOIN, Expression, fn

from kiosk.caller import Caller
from kiosk.clock import Clock
from kiosk.errors import NotFound, PermissionDenied
from kiosk.i18n import N_, LazyLabels, _
from kiosk.services.platform import uow
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
    N_("unlock a badge"),
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


def active_employee(person: EmployeeView) -> Employee:
    """The signed-in person's employee row, refused once the badge was deactivated."""
    employee = Employee.get_or_none((Employee.id == person.id) & Employee.active)
    if employee is None:
        raise NotFound(_("Your badge is no longer active. Sign in again."))
    return employee


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
    then the PIN they choose (kiosk/services/platform/enrolment.py)."""


def role_needs_pin(role: str) -> bool:
    """Team leaders, supervisors and quality admins sign in with badge and PIN."""
    return ROLE_RANK.get(role, 0) >= ROLE_RANK["team_leader"]


def live_enrolment_code(employee: Employee | int, now: datetime) -> EnrolmentCode | None:
    """The person's one unused, unexpired enrolment code (issuing one voids the older)."""
    code: EnrolmentCode | None = (
        EnrolmentCode.select()
        .where(
            (EnrolmentCode.employee == employee)
            & EnrolmentCode.used_at.is_null()
            & (EnrolmentCode.expires_at > now)
        )
        .order_by(EnrolmentCode.issued_at.desc(), EnrolmentCode.id.desc())
        .first()
    )
    return code


def normalise_badge(code: str) -> str:
    return code.strip().upper()


def _find_active_employee(badge_code: str) -> Employee:
    code = normalise_badge(badge_code)
    employee: Employee | None = (
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


@uow.read
def identify_badge(badge_code: str) -> EmployeeView:
    """Who owns this badge (active employees only)."""
    return employee_view(_find_active_employee(badge_code))


def sign_in(caller: Caller, badge_code: str, pin: str | None = None) -> EmployeeView:
    """Sign in with a badge; leaders and above must also give their PIN. `caller` is the
    terminal before anyone is signed in there (its actor None): its clock and terminal.

    A leader (or above) with no PIN is never signed in: with a live enrolment code they
    are asked for it (EnrolmentRequired; the sign-in screen goes on with
    enrolment.check_code and enrolment.enrol_pin), else told to ask a supervisor for one.
    Every refused attempt is written to the audit trail before the refusal.
    """
    return raise_refusal(_sign_in(caller, badge_code, pin))


T = TypeVar("T")


def raise_refusal(outcome: T | Exception) -> T:
    """A unit returns its refusal (rather than raising it) so that its audit rows commit:
    raise it now, or return what the unit made."""
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@uow.write
def _sign_in(caller: Caller, badge_code: str, pin: str | None) -> EmployeeView | Exception:
    """The sign-in and its audit row; a refusal is returned, to be raised once committed."""
    try:
        employee = _find_active_employee(badge_code)
    except NotFound as exc:
        _audit(caller, None, "sign_in", False, exc.message, normalise_badge(badge_code))
        return exc
    secret = employee.pin_hash or role_needs_pin(employee.role)
    if secret and (locked := refuse_if_locked(caller, employee, "sign_in")):
        return locked
    if not employee.pin_hash and role_needs_pin(employee.role):
        if pin is None and live_enrolment_code(employee, caller.now()) is not None:
            raise EnrolmentRequired(_("{name}: enter your enrolment code.", name=employee.name))
        _audit(caller, employee, "sign_in", False, "no PIN set")
        return NoPin(no_pin_message(employee.name))
    if employee.pin_hash and pin is None:
        raise PinRequired(_("{name}: enter your PIN.", name=employee.name))
    if employee.pin_hash and not verify_pin(pin or "", employee.pin_hash):
        _audit(caller, employee, "sign_in", False, "wrong PIN")
        return PermissionDenied(_("Wrong PIN. Scan your badge and try again."))
    _audit(caller, employee, "sign_in", True, "")
    return employee_view(employee)


def no_pin_message(name: str) -> str:
    return _(
        "{name} has no PIN yet. Ask a supervisor for an enrolment code, then scan your "
        "badge again.",
        name=name,
    )


PIN_FAILURES_ALLOWED = 5
PIN_LOCK_SECONDS = 600
PIN_LOCK_MAX_SECONDS = 24 * 3600  # the rising lock never lasts longer than a day
PIN_FAILURE_MEMORY_SECONDS = 24 * 3600  # wrong PINs older than this are forgotten
# audit details that count toward a badge's lock: wrong PINs, wrong enrolment codes and
# wrong current PINs (changing one's own PIN) are one budget per badge and channel
WRONG_SECRET_DETAILS = ("wrong PIN", "wrong enrolment code", "wrong current PIN")
SECRET_ACTIONS = ("sign_in", "change_pin")
UNLOCK_ACTION = "unlock_pin"
LOCKED_DETAIL = "locked: too many wrong PINs"

# Channels: each counts wrong PINs apart, so guessing in one cannot lock another. The
# audit row's terminal tells them apart: `web <address>` (kiosk serve; counted per source
# address), `ssh:<user>@<address>` (kiosk ssh-shell), anything else a kiosk.
CHANNEL_KIOSK, CHANNEL_WEB, CHANNEL_SSH = "kiosk", "web", "ssh"
WEB_TERMINAL_PREFIX = "web "
SSH_TERMINAL_PREFIX = "ssh:"
CHANNEL_TITLES = LazyLabels(
    {CHANNEL_KIOSK: N_("kiosks"), CHANNEL_WEB: N_("browser"), CHANNEL_SSH: N_("SSH")}
)


def channel_of(terminal: str | None) -> str:
    """Which sign-in channel a terminal id belongs to (see CHANNEL_*)."""
    lowered = (terminal or "").lower()  # as SQL's ILIKE reads the prefixes
    if lowered.startswith(WEB_TERMINAL_PREFIX):
        return CHANNEL_WEB
    if lowered.startswith(SSH_TERMINAL_PREFIX):
        return CHANNEL_SSH
    return CHANNEL_KIOSK


def _channel_filter(terminal: str | None) -> Expression:
    """The audit rows of the same channel as `terminal` (the same address, for the web)."""
    channel = channel_of(terminal)
    if channel == CHANNEL_WEB:
        return AuditEntry.terminal == terminal
    if channel == CHANNEL_SSH:
        over_ssh: Expression = AuditEntry.terminal.startswith(SSH_TERMINAL_PREFIX)
        return over_ssh
    at_a_kiosk: Expression = AuditEntry.terminal.is_null() | ~(
        AuditEntry.terminal.startswith(WEB_TERMINAL_PREFIX)
        | AuditEntry.terminal.startswith(SSH_TERMINAL_PREFIX)
    )
    return at_a_kiosk


def lock_seconds_left(
    failures: int, fifth_latest: datetime | None, latest: datetime | None, now: datetime
) -> int:
    """Seconds a badge stays locked on one channel (0: not locked), from the number of its
    wrong PINs there (since its last success or unlock, within PIN_FAILURE_MEMORY_SECONDS)
    and the times of the fifth most recent and the latest of them.

    Five wrong PINs lock it until ten minutes after the first of them. Each further wrong
    PIN (one is possible whenever a lock runs out) locks it again for twice as long as
    the one before, counted from that PIN: 20, 40, 80 min …, at most a day. A rising
    delay: guessing slowly gets no further than guessing fast. The kept roster (offline)
    counts the same way.
    """
    if failures < PIN_FAILURES_ALLOWED or fifth_latest is None or latest is None:
        return 0
    unlock_at = fifth_latest + timedelta(seconds=PIN_LOCK_SECONDS)
    extra = failures - PIN_FAILURES_ALLOWED
    if extra:
        rising = min(PIN_LOCK_SECONDS * 2 ** min(extra, 16), PIN_LOCK_MAX_SECONDS)
        unlock_at = max(unlock_at, latest + timedelta(seconds=rising))
    return max(int((unlock_at - now).total_seconds()), 0)


def locked_message(badge_code: str, seconds: int) -> str:
    return _(
        "Too many wrong PINs for badge {badge_code}. Try again in {locked_for} "
        "min, or ask a supervisor.",
        badge_code=badge_code,
        locked_for=(seconds + 59) // 60,
    )


def refuse_if_locked(caller: Caller, employee: Employee, action: str) -> PermissionDenied | None:
    """If the badge is locked on the caller's terminal's channel: audit the attempt (in the
    unit it runs in) and return the refusal to raise once that is committed; else None."""
    locked_for = _pin_lock_remaining(employee, caller.clock, caller.terminal)
    if not locked_for:
        return None
    _audit(caller, employee, action, False, LOCKED_DETAIL)
    return PermissionDenied(locked_message(employee.badge_code, locked_for))


def _pin_lock_remaining(employee: Employee, clock: Clock, terminal: str | None) -> int:
    """Seconds this badge stays locked on the channel of `terminal` (0: not locked).

    Counted from the audit trail, so every terminal of a channel sees the same lock: the
    wrong PINs, enrolment codes or current PINs given on that channel since the badge's
    last successful sign-in there and since its last unlock (lock_seconds_left).
    """
    now = clock.now()
    same_channel = _channel_filter(terminal)
    since = now - timedelta(seconds=PIN_FAILURE_MEMORY_SECONDS)
    # rows after the last success on this channel and the last unlock (by id: a success
    # and a wrong PIN may share a timestamp)
    last_success = (
        AuditEntry.select(fn.MAX(AuditEntry.id))
        .where(
            (AuditEntry.actor == employee)
            & (AuditEntry.action == "sign_in")
            & AuditEntry.allowed
            & same_channel
            & (AuditEntry.at > since)
        )
        .scalar()
    )
    last_unlock = (
        AuditEntry.select(fn.MAX(AuditEntry.id))
        .where(
            (AuditEntry.action == UNLOCK_ACTION)
            & (AuditEntry.target == employee.badge_code)
            & AuditEntry.allowed
            & (AuditEntry.at > since)
        )
        .scalar()
    )
    query = AuditEntry.select(AuditEntry.at).where(
        (AuditEntry.actor == employee)
        & AuditEntry.action.in_(SECRET_ACTIONS)
        & ~AuditEntry.allowed
        & AuditEntry.detail.in_(WRONG_SECRET_DETAILS)
        & same_channel
        & (AuditEntry.at > since)
    )
    after = max(last_success or 0, last_unlock or 0)
    if after:
        query = query.where(AuditEntry.id > after)
    failures = query.count()
    if failures < PIN_FAILURES_ALLOWED:
        return 0
    latest = list(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PIN_FAILURES_ALLOWED)
    )
    return lock_seconds_left(failures, latest[-1].at, latest[0].at, now)


def _audit(
    caller: Caller,
    employee: Employee | None,
    action: str,
    allowed: bool,
    detail: str,
    target: str = "",
) -> None:
    AuditEntry.create(
        at=caller.now(),
        actor=employee,
        action=action,
        target=target,
        allowed=allowed,
        detail=detail,
        terminal=caller.terminal,
    )


# an attempt (sign-in, PIN change) by the badge's holder, allowed or not, in the unit it
# runs in, at the caller's time and terminal: for kiosk/services/platform/enrolment.py
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
    """Audit a privileged action that was allowed, in the unit it runs in (so the row
    exists exactly when the action does): who, what, on what, when, from which terminal.

    Plain arguments, not a caller: the actor may be an id or None (the command line, a
    supervisor acting over SSH for another badge) and the time the unit's own `now`."""
    AuditEntry.create(
        at=at,
        actor=actor,
        action=action,
        target=target[:128],
        allowed=True,
        detail=detail,
        terminal=terminal,
    )


@uow.write
def record_refusal(caller: Caller, action: str, target: str, why: str) -> None:
    """Audit the caller's refused action in a unit of its own (the refused one is rolled
    back): call it, then raise the refusal."""
    _audit(caller, Employee.get_by_id(caller.person.id), action, False, why, target)


def require_role(caller: Caller, minimum: str, action: str, *, target: str = "") -> None:
    """Refuse (and audit the refusal) unless the caller's person holds at least `minimum`."""
    actor = caller.person
    if actor.has_role(minimum):
        return
    record_refusal(
        caller,
        action,
        target,
        # the audit trail is kept in English, whatever the terminal shows
        f"needs {ROLE_TITLES.english(minimum)}, has {ROLE_TITLES.english(actor.role)}",
    )
    raise PermissionDenied(
        _(
            "Only a {role} or above may {action}.",
            role=ROLE_TITLES[minimum].lower(),
            action=_(action.replace("_", " ")),
        )
    )


# -- unlocking a badge: a supervisor (screen) or IT (`kiosk auth unlock`) ----------------

UNLOCK_REFUSAL_ACTION = "unlock_a_badge"
_WEB_ADDRESSES_SHOWN = 20


@dataclass(frozen=True)
class UnlockResult:
    badge_code: str
    name: str
    was_locked: tuple[tuple[str, str], ...]  # (channel, web address or "")

    @property
    def shown(self) -> str:
        """What was locked, in the terminal's language."""
        shown = _channel_list(self.was_locked, lambda channel: CHANNEL_TITLES[channel])
        return shown or _("nothing was locked")


def _channel_list(locked: tuple[tuple[str, str], ...], title: Callable[[str], str]) -> str:
    return ", ".join(f"{title(c)} ({address})" if address else title(c) for c, address in locked)


def _locked_channels(employee: Employee, clock: Clock) -> tuple[tuple[str, str], ...]:
    """The channels this badge is locked on now (a browser channel per address)."""
    locked = []
    if _pin_lock_remaining(employee, clock, None):
        locked.append((CHANNEL_KIOSK, ""))
    if _pin_lock_remaining(employee, clock, SSH_TERMINAL_PREFIX):
        locked.append((CHANNEL_SSH, ""))
    since = clock.now() - timedelta(seconds=PIN_FAILURE_MEMORY_SECONDS)
    web_terminals = (
        AuditEntry.select(AuditEntry.terminal)
        .where(
            (AuditEntry.actor == employee)
            & AuditEntry.terminal.startswith(WEB_TERMINAL_PREFIX)
            & ~AuditEntry.allowed
            & (AuditEntry.at > since)
        )
        .distinct()
        .limit(_WEB_ADDRESSES_SHOWN)
    )
    for row in web_terminals:
        terminal = row.terminal or ""  # the query takes web terminals only
        if _pin_lock_remaining(employee, clock, terminal):
            locked.append((CHANNEL_WEB, terminal[len(WEB_TERMINAL_PREFIX) :]))
    return tuple(locked)


def _may_unlock(caller: Caller, target: Employee) -> None:
    """A supervisor unlocks anyone up to supervisors; only a quality admin a quality admin."""
    require_role(caller, "supervisor", UNLOCK_REFUSAL_ACTION, target=target.badge_code)
    actor = caller.person
    if ROLE_RANK[target.role] > ROLE_RANK[actor.role]:
        record_refusal(
            caller,
            UNLOCK_REFUSAL_ACTION,
            target.badge_code,
            f"needs {ROLE_TITLES.english(target.role)}, has {ROLE_TITLES.english(actor.role)}",
        )
        raise PermissionDenied(
            _(
                "Only a {role} may unlock the PIN of a {role}.",
                role=ROLE_TITLES[target.role].lower(),
            )
        )


def _unlock(
    target: Employee, actor_id: int | None, clock: Clock, terminal: str | None, detail: str
) -> UnlockResult:
    """In the unit it runs in: audit the unlock (every channel's count starts again)."""
    was_locked = _locked_channels(target, clock)
    what = "was not locked"
    if was_locked:
        what = "was locked on: " + _channel_list(was_locked, CHANNEL_TITLES.english)
    record_action(
        actor_id,
        UNLOCK_ACTION,
        target.badge_code,
        clock.now(),
        detail=f"{what}; {detail}" if detail else what,
        terminal=terminal,
    )
    return UnlockResult(target.badge_code, target.name, was_locked)


@uow.read
def _active_employee_row(badge_code: str) -> Employee:
    return _find_active_employee(badge_code)


def unlock_pin(caller: Caller, badge_code: str) -> UnlockResult:
    """Lift a badge's PIN lock on every channel (kiosks, SSH, every browser address): the
    wrong PINs before now stop counting. Audited as `unlock_pin` with what was locked."""
    _may_unlock(caller, _active_employee_row(badge_code))  # refusals audited on their own
    return _unlock_by(caller, badge_code)


@uow.write
def _unlock_by(caller: Caller, badge_code: str) -> UnlockResult:
    target = _find_active_employee(badge_code)  # as it is now
    return _unlock(target, caller.person.id, caller.clock, caller.terminal, "")


@uow.write
def unlock_pin_by_it(caller: Caller, badge_code: str, *, os_user: str) -> UnlockResult:
    """`kiosk auth unlock BADGE`: IT lifts the lock from the server's shell (no actor; the OS
    user is named in the audit row, the terminal is `cli`)."""
    target = _find_active_employee(badge_code)
    return _unlock(target, None, caller.clock, "cli", f"by OS user {os_user}")


# -- sign-ins from a kiosk's kept roster, forwarded when the server is back --------------

OFFLINE_SIGN_IN_ACTION = "offline_sign_in"


@uow.write
def record_offline_sign_in(
    record_id: str,
    *,
    employee_id: int | None,
    badge_code: str,
    allowed: bool,
    detail: str,
    terminal: str | None,
    at: datetime,
) -> bool:
    """Write the audit row of a sign-in tried on a kiosk's kept roster while the server was
    away (kiosk/services/platform/outbox.py), at the time it happened; once: the kiosk-made id is in
    the row, and a row that is there already is not written again. True if written.

    Plain arguments, not a caller: the time, terminal and person are the kept record's."""
    kept = f"kiosk record {record_id}"
    detail = f"{detail}; {kept}" if detail else kept
    written = (
        AuditEntry.select(AuditEntry.id)
        .where(
            AuditEntry.at.between(at - timedelta(seconds=1), at + timedelta(seconds=1))
            & (AuditEntry.action == OFFLINE_SIGN_IN_ACTION)
            & (AuditEntry.detail == detail)
        )
        .exists()
    )
    if written:
        return False
    actor = Employee.get_or_none(Employee.id == employee_id) if employee_id else None
    if actor is not None and actor.badge_code != badge_code:
        actor = None  # the kept roster came from another database: name the badge only
    AuditEntry.create(
        at=at,
        actor=actor,
        action=OFFLINE_SIGN_IN_ACTION,
        target=badge_code[:128],
        allowed=bool(allowed),
        detail=detail,
        terminal=terminal[:64] if terminal else None,
    )
    return True
