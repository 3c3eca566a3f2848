"""SSH sessions: the audit trail of commands a client asked for and did not get, and the
rule of who may sign in over SSH (the badge the SSH account is mapped to; a supervisor's
account anyone, audited)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kiosk.caller import Caller
from kiosk.errors import PermissionDenied
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import (
    ROLE_TITLES,
    EmployeeView,
    employee_view,
    normalise_badge,
    record_action,
)
from models import AuditEntry, Employee

if TYPE_CHECKING:  # the outbox (and the services it loads) only once someone signs in
    from kiosk.services.platform.outbox import Outbox

REFUSED_COMMAND_ACTION = "ssh_command_refused"
_TARGET_LIMIT = 128
_DETAIL_LIMIT = 2000
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def visible(text: str) -> str:
    """`text` with control and invisible characters written as escapes (\\x1b, \\u202e)."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, text)


@uow.write
def record_refused_command(caller: Caller, ssh_user: str, command: str) -> None:
    """Audit that an SSH client asked to run `command` and got the kiosk instead."""
    shown = visible(command)
    AuditEntry.create(
        at=caller.now(),
        actor=None,
        action=REFUSED_COMMAND_ACTION,
        target=shown[:_TARGET_LIMIT],
        allowed=False,
        detail=f"SSH user {visible(ssh_user)} asked to run: {shown}"[:_DETAIL_LIMIT],
        terminal=_terminal(caller),
    )


def _terminal(caller: Caller) -> str | None:
    return caller.terminal[:64] if caller.terminal else None


# -- who may sign in over SSH: the badge the SSH account is mapped to --------------------

SSH_SIGN_IN_ACTION = "ssh_sign_in"  # refusals: unmapped account, another badge
SSH_SIGN_IN_AS_ACTION = "ssh_sign_in_as"  # a supervisor's account signed in as someone else
SSH_MAY_SIGN_IN_AS_ANYONE = "supervisor"


@uow.write
def _refuse(caller: Caller, actor: Employee | None, ssh_user: str, target: str, why: str) -> None:
    """The refusal's audit row, in a unit of its own (committed before the refusal)."""
    AuditEntry.create(
        at=caller.now(),
        actor=actor,
        action=SSH_SIGN_IN_ACTION,
        target=visible(target)[:_TARGET_LIMIT],
        allowed=False,
        detail=f"SSH user {visible(ssh_user)}: {why}"[:_DETAIL_LIMIT],
        terminal=_terminal(caller),
    )


def refuse_unmapped_account(caller: Caller, ssh_user: str) -> PermissionDenied:
    """An SSH account with no badge in the users file gets no kiosk: audit it and return
    the message to show."""
    _refuse(caller, None, ssh_user, "", "not mapped to a badge")
    return PermissionDenied(
        _(
            "The SSH account {user} is not linked to a badge, so it cannot open the kiosk. "
            "Ask IT to add it to the SSH users file.",
            user=visible(ssh_user),
        )
    )


def check_ssh_badge(
    caller: Caller, ssh_user: str, mapped_badge: str | None, badge_code: str
) -> EmployeeView | None:
    """Before any PIN: may this SSH account sign in as `badge_code`?

    Its own mapped badge: yes (None). Another badge: only if the mapped badge is a
    supervisor's or quality admin's (returned, for the audit row naming both once the
    sign-in succeeds). Otherwise PermissionDenied, audited (`ssh_sign_in`).
    """
    badge = normalise_badge(badge_code)
    if mapped_badge is None:
        raise refuse_unmapped_account(caller, ssh_user)
    mapped = normalise_badge(mapped_badge)
    if badge == mapped:
        return None
    holder, holder_view = _active_holder(mapped)
    if holder_view is not None and holder_view.has_role(SSH_MAY_SIGN_IN_AS_ANYONE):
        return holder_view
    _refuse(
        caller,
        holder,
        ssh_user,
        badge,
        f"badge {mapped} may sign in only as {mapped}, not as {badge}",
    )
    raise PermissionDenied(
        _(
            "Over SSH you sign in only with your own badge ({mapped}). Ask a supervisor if "
            "someone else needs the kiosk.",
            mapped=mapped,
        )
    )


@uow.read
def _active_holder(badge: str) -> tuple[Employee | None, EmployeeView | None]:
    holder = Employee.get_or_none((Employee.badge_code == badge) & Employee.active)
    return holder, employee_view(holder) if holder is not None else None


def ssh_sign_in(
    caller: Caller,
    outbox: Outbox,
    ssh_user: str,
    mapped_badge: str | None,
    badge_code: str,
    pin: str | None = None,
) -> EmployeeView:
    """Sign in over SSH: the badge rule first (check_ssh_badge), then the usual sign-in
    (its PIN, lock and audit row); a supervisor's account signing in as someone else is
    audited naming both (`ssh_sign_in_as`)."""
    from kiosk.services.platform.outbox import sign_in_or_kept

    supervisor = check_ssh_badge(caller, ssh_user, mapped_badge, badge_code)
    employee = sign_in_or_kept(caller, outbox, badge_code, pin)
    if supervisor is not None and employee.id != supervisor.id:
        _record_sign_in_as(caller, ssh_user, supervisor, employee)
    return employee


@uow.write
def _record_sign_in_as(
    caller: Caller, ssh_user: str, supervisor: EmployeeView, employee: EmployeeView
) -> None:
    record_action(
        supervisor.id,
        SSH_SIGN_IN_AS_ACTION,
        employee.badge_code,
        caller.now(),
        detail=(
            f"SSH user {visible(ssh_user)} (badge {supervisor.badge_code}, "
            f"{ROLE_TITLES.english(supervisor.role)} {supervisor.name}) signed in as "
            f"{employee.badge_code} ({employee.name})"
        ),
        terminal=_terminal(caller),
    )
