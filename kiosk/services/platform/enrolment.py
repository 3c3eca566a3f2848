"""PIN enrolment: one-time codes, the PINs people choose, resets, and the first admin.

No team leader, supervisor or quality admin signs in on the badge alone. Someone with
no PIN yet gets a one-time enrolment code from a supervisor (a quality admin for a
quality admin), or from IT on the command line (`kiosk admin enrol`). At their next
sign-in they type the code and then choose their PIN twice; the code is consumed in
the same transaction that stores the PIN's hash and the audit rows.

Codes and PINs are kept only as scrypt hashes (auth.hash_pin), never logged, shown
again or exported. A wrong code counts toward the same per-badge lock as a wrong PIN.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import _, ngettext
from kiosk.services.plant.stations import is_scannable_code
from kiosk.services.platform import uow
from kiosk.services.platform.auth import (
    ROLE_RANK,
    ROLE_TITLES,
    EmployeeView,
    _find_active_employee,
    audit_attempt,
    employee_view,
    hash_pin,
    live_enrolment_code,
    normalise_badge,
    raise_refusal,
    record_action,
    record_refusal,
    refuse_if_locked,
    require_role,
    role_needs_pin,
    verify_pin,
)
from models import Department, Employee, EnrolmentCode, Team

CODE_DIGITS = 8
CODE_VALID_HOURS = 72
MAX_CODE_VALID_HOURS = 24 * 30
PIN_MIN_DIGITS = {"team_leader": 4, "supervisor": 6, "quality_admin": 6}
PIN_MAX_DIGITS = 12
ISSUE_ACTION = "issue_an_enrolment_code"


@dataclass(frozen=True)
class IssuedCode:
    """A fresh enrolment code: shown once, to the person who issued it."""

    code: str  # the only time it exists in clear
    badge_code: str
    name: str
    role: str
    expires_at: datetime
    reset: bool  # the person had a PIN, which is now cleared

    @property
    def role_title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)

    @property
    def shown(self) -> str:
        """The code in two groups of four, as the modal and the CLI show it."""
        return f"{self.code[:4]} {self.code[4:]}"


@dataclass(frozen=True)
class CodeTarget:
    """Whom a code would be for, before it is issued (the modal asks to confirm a reset)."""

    badge_code: str
    name: str
    role: str
    has_pin: bool

    @property
    def role_title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)


@dataclass(frozen=True)
class EnrolmentStart:
    """A valid code was typed: the person now chooses a PIN of at least `min_digits`."""

    badge_code: str
    name: str
    role: str
    min_digits: int


# -- PIN rules ------------------------------------------------------------------------


def min_pin_digits(role: str) -> int:
    return PIN_MIN_DIGITS.get(role, 4)


def pin_problem(pin: str, role: str, badge_code: str) -> str | None:
    """Why this PIN may not be chosen (translated), or None when it is fine."""
    least = min_pin_digits(role)
    if not pin or not pin.isascii() or not pin.isdigit():
        return _("A PIN is digits only.")
    if len(pin) < least:
        return _("Your PIN needs at least {count} digits.", count=least)
    if len(pin) > PIN_MAX_DIGITS:
        return _("A PIN has at most {count} digits.", count=PIN_MAX_DIGITS)
    if len(set(pin)) == 1:
        return _("A PIN of one digit repeated is too easy to guess.")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        return _("A PIN of digits in a row (like 1234 or 4321) is too easy to guess.")
    badge_digits = "".join(c for c in badge_code if c.isdigit())
    if badge_digits and (pin in badge_digits or (len(badge_digits) >= 4 and badge_digits in pin)):
        return _("A PIN may not be made of your badge's digits.")
    return None


def _check_new_pin(pin: str, repeat: str, employee: Employee) -> None:
    problem = pin_problem(pin, employee.role, employee.badge_code)
    if problem:
        raise ValidationFailed({"pin": problem})
    if repeat != pin:
        raise ValidationFailed({"repeat": _("The two PINs differ. Choose your new PIN again.")})


def check_new_pin(pin: str, role: str, badge_code: str) -> None:
    """ValidationFailed({'pin': why}) for a PIN that may not be chosen (before the repeat)."""
    problem = pin_problem(pin, role, badge_code)
    if problem:
        raise ValidationFailed({"pin": problem})


def _normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


# -- issuing codes ---------------------------------------------------------------------


def _target(badge_code: str) -> Employee:
    employee = _find_active_employee(badge_code)
    if not role_needs_pin(employee.role):
        raise PermissionDenied(
            _(
                "{name} is an operator: operators sign in with their badge alone and need "
                "no enrolment code.",
                name=employee.name,
            )
        )
    return employee


def _may_issue(caller: Caller, target: Employee) -> None:
    """A supervisor for leaders and supervisors, a quality admin for anyone; never oneself."""
    require_role(caller, "supervisor", ISSUE_ACTION, target=target.badge_code)
    actor = caller.person
    if target.id == actor.id:
        record_refusal(caller, ISSUE_ACTION, target.badge_code, "own badge")
        raise PermissionDenied(
            _("You cannot issue an enrolment code for yourself: change your own PIN instead.")
        )
    if ROLE_RANK[target.role] > ROLE_RANK[actor.role]:
        record_refusal(
            caller,
            ISSUE_ACTION,
            target.badge_code,
            f"needs {ROLE_TITLES.english(target.role)}, has {ROLE_TITLES.english(actor.role)}",
        )
        raise PermissionDenied(
            _(
                "Only a {role} may issue an enrolment code for a {role}.",
                role=ROLE_TITLES[target.role].lower(),
            )
        )


@uow.read
def code_target(caller: Caller, badge_code: str) -> CodeTarget:
    """Whom a code for this badge would be for, if the caller may issue it (refusals audited)."""
    target = _target(badge_code)
    _may_issue(caller, target)
    return CodeTarget(target.badge_code, target.name, target.role, bool(target.pin_hash))


def _issue(
    target: Employee,
    issued_by: int | None,
    now: datetime,
    hours: int,
    *,
    terminal: str | None,
    detail: str = "",
) -> IssuedCode:
    """In the unit it runs in: void older codes, clear a PIN, store the new code's hash,
    audit (never the code)."""
    if not 1 <= hours <= MAX_CODE_VALID_HOURS:
        raise ValidationFailed(
            {
                "hours": _(
                    "An enrolment code is valid for 1 to {count} hours.",
                    count=MAX_CODE_VALID_HOURS,
                )
            }
        )
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    expires_at = now + timedelta(hours=hours)
    EnrolmentCode.update(expires_at=now).where(
        (EnrolmentCode.employee == target)
        & EnrolmentCode.used_at.is_null()
        & (EnrolmentCode.expires_at > now)
    ).execute()
    reset = bool(target.pin_hash)
    if reset:
        Employee.update(pin_hash=None).where(Employee.id == target.id).execute()
    EnrolmentCode.create(
        employee=target,
        code_hash=hash_pin(code),
        issued_by=issued_by,
        issued_at=now,
        expires_at=expires_at,
    )
    valid = f"valid until {expires_at:%Y-%m-%d %H:%M} UTC"
    record_action(
        issued_by,
        "reset_pin" if reset else "issue_enrolment_code",
        target.badge_code,
        now,
        detail=f"{valid}; {detail}" if detail else valid,
        terminal=terminal,
    )
    return IssuedCode(code, target.badge_code, target.name, target.role, expires_at, reset)


def issue_code(caller: Caller, badge_code: str, *, hours: int = CODE_VALID_HOURS) -> IssuedCode:
    """A new one-time enrolment code for a leader, supervisor or quality admin.

    If the person has a PIN, issuing a code is a PIN reset: the PIN is cleared in the
    same transaction (audited as `reset_pin`). Older unused codes stop working.
    """
    _may_issue(caller, _target_row(badge_code))  # refusals are audited in a unit of their own
    return _issue_by(caller, badge_code, hours)


@uow.read
def _target_row(badge_code: str) -> Employee:
    return _target(badge_code)


@uow.write
def _issue_by(caller: Caller, badge_code: str, hours: int) -> IssuedCode:
    target = _target(badge_code)  # as it is now
    return _issue(target, caller.person.id, caller.now(), hours, terminal=caller.terminal)


@uow.write
def issue_code_by_it(
    caller: Caller, badge_code: str, *, os_user: str, hours: int = CODE_VALID_HOURS
) -> IssuedCode:
    """`kiosk admin enrol`: IT issues a code from the server's shell (no actor; the OS user
    is named in the audit row, the terminal is `cli`)."""
    target = _target(badge_code)
    return _issue(target, None, caller.now(), hours, terminal="cli", detail=f"by OS user {os_user}")


# -- using a code at sign-in -----------------------------------------------------------


def _check_code(employee: Employee, code: str, now: datetime) -> EnrolmentCode | None:
    row = live_enrolment_code(employee, now)
    if row is None or not verify_pin(_normalise_code(code), row.code_hash):
        return None
    return row


def _no_live_code(employee: Employee) -> PermissionDenied:
    return PermissionDenied(
        _(
            "{name}: that enrolment code is not valid (used, expired or replaced). Ask a "
            "supervisor for a new one.",
            name=employee.name,
        )
    )


def check_code(caller: Caller, badge_code: str, code: str) -> EnrolmentStart:
    """The code typed after the badge (at the caller's terminal, no one signed in yet):
    right, the person chooses a PIN next; wrong, the attempt is audited and counts toward
    the badge's lock."""
    return raise_refusal(_check_code_unit(caller, badge_code, code))


@uow.write
def _check_code_unit(caller: Caller, badge_code: str, code: str) -> EnrolmentStart | Exception:
    employee = _find_active_employee(badge_code)
    locked = refuse_if_locked(caller, employee, "sign_in")
    if locked:
        return locked
    if live_enrolment_code(employee, caller.now()) is None:
        audit_attempt(caller, employee, "sign_in", False, "no live enrolment code")
        return _no_live_code(employee)
    if _check_code(employee, code, caller.now()) is None:
        audit_attempt(caller, employee, "sign_in", False, "wrong enrolment code")
        return PermissionDenied(_("Wrong enrolment code. Scan your badge and try again."))
    return EnrolmentStart(
        employee.badge_code, employee.name, employee.role, min_pin_digits(employee.role)
    )


def enrol_pin(caller: Caller, badge_code: str, code: str, pin: str, repeat: str) -> EmployeeView:
    """Set the PIN the person chose, consume the code, sign them in: one transaction."""
    return raise_refusal(_enrol_pin(caller, badge_code, code, pin, repeat))


@uow.write
def _enrol_pin(
    caller: Caller, badge_code: str, code: str, pin: str, repeat: str
) -> EmployeeView | Exception:
    now = caller.now()
    employee = _find_active_employee(badge_code)
    locked = refuse_if_locked(caller, employee, "sign_in")
    row = None if locked else _check_code(employee, code, now)
    if locked:
        return locked
    if row is None:
        audit_attempt(caller, employee, "sign_in", False, "wrong enrolment code")
        return _no_live_code(employee)
    _check_new_pin(pin, repeat, employee)  # nothing written yet: rolled back
    used = (
        EnrolmentCode.update(used_at=now)
        .where((EnrolmentCode.id == row.id) & EnrolmentCode.used_at.is_null())
        .execute()
    )
    if used != 1:  # another kiosk used it a moment ago
        raise _no_live_code(employee)
    employee.pin_hash = hash_pin(pin)
    Employee.update(pin_hash=employee.pin_hash).where(Employee.id == employee.id).execute()
    record_action(employee, "enrol_pin", employee.badge_code, now, terminal=caller.terminal)
    audit_attempt(caller, employee, "sign_in", True, "enrolled a PIN")
    return employee_view(employee)


# -- changing one's own PIN ------------------------------------------------------------


def change_pin(caller: Caller, current: str, pin: str, repeat: str) -> EmployeeView:
    """The signed-in person changes their own PIN (the current one first)."""
    return raise_refusal(_change_pin(caller, current, pin, repeat))


@uow.write
def _change_pin(caller: Caller, current: str, pin: str, repeat: str) -> EmployeeView | Exception:
    employee = Employee.get_or_none(Employee.id == caller.person.id)
    if employee is None or not employee.active:
        raise NotFound(_("You are no longer an active employee here."))
    if not employee.pin_hash:
        raise PermissionDenied(
            _("You have no PIN to change. Operators sign in with their badge alone.")
        )
    locked = refuse_if_locked(caller, employee, "change_pin")
    if locked:
        return locked
    if not verify_pin(current, employee.pin_hash):
        audit_attempt(caller, employee, "change_pin", False, "wrong current PIN")
        return ValidationFailed({"current": _("That is not your current PIN.")})
    _check_new_pin(pin, repeat, employee)
    if pin == current:
        raise ValidationFailed({"pin": _("Choose a PIN other than your current one.")})
    Employee.update(pin_hash=hash_pin(pin)).where(Employee.id == employee.id).execute()
    record_action(
        employee, "change_pin", employee.badge_code, caller.now(), terminal=caller.terminal
    )
    return employee_view(employee)


# -- the very first quality admin (kiosk admin create) ---------------------------------


@dataclass(frozen=True)
class FirstAdmin:
    issued: IssuedCode
    department_created: bool


def _department_name(given: str) -> tuple[str, bool]:
    """The department's name as the plant lists it (by code or name); the first one is
    made when the plant has none yet."""
    given = given.strip()
    found = (
        Department.select()
        .where((Department.name == given) | (Department.code == given.upper()))
        .first()
    )
    if found is not None:
        return found.name, False
    if Department.select().exists():
        known = [d.name for d in Department.select().order_by(Department.name).limit(8)]
        raise ValidationFailed(
            {
                "department": _(
                    "There is no department {name}. Known: {known}.",
                    name=given,
                    known=", ".join(known),
                )
            }
        )
    code = "".join(c if c.isalnum() and c.isascii() else "-" for c in given.upper())[:32]
    Department.create(code=code.strip("-") or "D1", name=given)
    return given, True


def create_first_admin(
    caller: Caller,
    badge_code: str,
    name: str,
    *,
    department: str = "",
    team: str | None = None,
    force: bool = False,
    os_user: str,
    hours: int = CODE_VALID_HOURS,
) -> FirstAdmin:
    """`kiosk admin create`: a quality admin on a plant that has none, with an enrolment
    code. Refused while an active quality admin exists, unless `force` (IT locked out of a
    plant whose admins left); a forced create is audited as such."""
    badge = normalise_badge(badge_code)
    name = " ".join(name.split())
    problems: dict[str, str] = {}
    if not is_scannable_code(badge):
        problems["badge"] = _(
            "{code} cannot be a badge code: use A-Z, 0-9, '.', '_' or '-', at most 32 characters.",
            code=badge,
        )
    if not name or len(name) > 120:
        problems["name"] = _("A name has 1 to 120 characters.")
    if len(department.strip()) > 40:
        problems["department"] = _("A department name has at most 40 characters.")
    if problems:
        raise ValidationFailed(problems)
    return _create_first_admin(caller, badge, name, department, team, force, os_user, hours)


@uow.write
def _create_first_admin(
    caller: Caller,
    badge: str,
    name: str,
    department: str,
    team: str | None,
    force: bool,
    os_user: str,
    hours: int,
) -> FirstAdmin:
    admins = Employee.select().where((Employee.role == "quality_admin") & Employee.active).count()
    if admins and not force:
        raise PermissionDenied(
            ngettext(
                "This plant has {count} active quality admin already: they add people "
                "on the admin screens. IT can issue an existing admin a new code with "
                "`kiosk admin enrol BADGE`.",
                "This plant has {count} active quality admins already: they add people "
                "on the admin screens. IT can issue an existing admin a new code with "
                "`kiosk admin enrol BADGE`.",
                admins,
            )
        )
    existing = Employee.get_or_none(Employee.badge_code == badge)
    if existing is not None:
        raise ValidationFailed(
            {"badge": _("Badge {code} exists already ({name}).", code=badge, name=existing.name)}
        )
    team_row = None
    if team:
        team_row = Team.get_or_none((Team.code == team.strip().upper()) & Team.active)
        if team_row is None:
            raise ValidationFailed(
                {"team": _("There is no active team {code}.", code=team.strip().upper())}
            )
    department_name, created = _department_name(department) if department.strip() else ("", False)
    employee = Employee.create(
        badge_code=badge,
        name=name,
        department=department_name,
        team=team_row,
        role="quality_admin",
        active=True,
    )
    detail = f"by OS user {os_user}"
    if force and admins:
        detail += f"; forced while {admins} active quality admin(s) existed"
    record_action(None, "create_first_admin", badge, caller.now(), detail=detail, terminal="cli")
    issued = _issue(
        employee, None, caller.now(), hours, terminal="cli", detail=f"by OS user {os_user}"
    )
    return FirstAdmin(issued, created)
