"""SSH sessions: the audit trail of commands a client asked for and did not get, and the
rule of who may sign in over SSH (the badge the SSH account is mapped to; a supervisor's
account anyone, audited)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kiosk.clock import Clock, SystemClock
from kiosk.errors import PermissionDenied
from kiosk.i18n import _
from kiosk.services.platform.auth import (
    ROLE_TITLES,
    EmployeeView,
    employee_view,
    normalise_badge,
    record_action,
)
from kiosk.services.platform.uow import transaction
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


def record_refused_command(
    ssh_user: str,
    command: str,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> None:
    """Audit that an SSH client asked to run `command` and got the kiosk instead."""
    clock = clock or SystemClock()
    shown = visible(command)
    with transaction():
        AuditEntry.create(
            at=clock.now(),
            actor=None,
            action=REFUSED_COMMAND_ACTION,
            target=shown[:_TARGET_LIMIT],
            allowed=False,
            detail=f"SSH user {visible(ssh_user)} asked to run: {shown}"[:_DETAIL_LIMIT],
            terminal=terminal[:64] if terminal else None,
        )


# -- who may sign in over SSH: the badge the SSH account is mapped to --------------------

SSH_SIGN_IN_ACTION = "ssh_sign_in"  # refusals: unmapped account, another badge
SSH_SIGN_IN_AS_ACTION = "ssh_sign_in_as"  # a supervisor's account signed in as someone else
SSH_MAY_SIGN_IN_AS_ANYONE = "supervisor"


def _refuse(
    actor: Employee | None, ssh_user: str, target: str, why: str, terminal: str | None, clock
) -> None:
    with transaction():
        AuditEntry.create(
            at=clock.now(),
            actor=actor,
            action=SSH_SIGN_IN_ACTION,
            target=visible(target)[:_TARGET_LIMIT],
            allowed=False,
            detail=f"SSH user {visible(ssh_user)}: {why}"[:_DETAIL_LIMIT],
            terminal=terminal[:64] if terminal else None,
        )


def refuse_unmapped_account(
    ssh_user: str, *, terminal: str | None = None, clock: Clock | None = None
) -> PermissionDenied:
    """An SSH account with no badge in the users file gets no kiosk: audit it and return
    the message to show."""
    _refuse(None, ssh_user, "", "not mapped to a badge", terminal, clock or SystemClock())
    return PermissionDenied(
        _(
            "The SSH account {user} is not linked to a badge, so it cannot open the kiosk. "
            "Ask IT to add it to the SSH users file.",
            user=visible(ssh_user),
        )
    )


def check_ssh_badge(
    ssh_user: str,
    mapped_badge: str | None,
    badge_code: str,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView | None:
    """Before any PIN: may this SSH account sign in as `badge_code`?

    Its own mapped badge: yes (None). Another badge: only if the mapped badge is a
    supervisor's or quality admin's (returned, for the audit row naming both once the
    sign-in succeeds). Otherwise PermissionDenied, audited (`ssh_sign_in`).
    """
    clock = clock or SystemClock()
    badge = normalise_badge(badge_code)
    if mapped_badge is None:
        raise refuse_unmapped_account(ssh_user, terminal=terminal, clock=clock)
    mapped = normalise_badge(mapped_badge)
    if badge == mapped:
        return None
    with transaction():
        holder = Employee.get_or_none((Employee.badge_code == mapped) & Employee.active)
        holder_view = employee_view(holder) if holder is not None else None
    if holder_view is not None and holder_view.has_role(SSH_MAY_SIGN_IN_AS_ANYONE):
        return holder_view
    _refuse(
        holder,
        ssh_user,
        badge,
        f"badge {mapped} may sign in only as {mapped}, not as {badge}",
        terminal,
        clock,
    )
    raise PermissionDenied(
        _(
            "Over SSH you sign in only with your own badge ({mapped}). Ask a supervisor if "
            "someone else needs the kiosk.",
            mapped=mapped,
        )
    )


def ssh_sign_in(
    outbox: Outbox,
    ssh_user: str,
    mapped_badge: str | None,
    badge_code: str,
    pin: str | None = None,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
) -> EmployeeView:
    """Sign in over SSH: the badge rule first (check_ssh_badge), then the usual sign-in
    (its PIN, lock and audit row); a supervisor's account signing in as someone else is
    audited naming both (`ssh_sign_in_as`)."""
    from kiosk.services.platform.outbox import sign_in_or_kept

    clock = clock or SystemClock()
    supervisor = check_ssh_badge(ssh_user, mapped_badge, badge_code, terminal=terminal, clock=clock)
    employee = sign_in_or_kept(outbox, badge_code, pin, terminal=terminal, clock=clock)
    if supervisor is not None and employee.id != supervisor.id:
        with transaction():
            record_action(
                supervisor.id,
                SSH_SIGN_IN_AS_ACTION,
                employee.badge_code,
                clock.now(),
                detail=(
                    f"SSH user {visible(ssh_user)} (badge {supervisor.badge_code}, "
                    f"{ROLE_TITLES.english(supervisor.role)} {supervisor.name}) signed in as "
                    f"{employee.badge_code} ({employee.name})"
                ),
                terminal=terminal[:64] if terminal else None,
            )
    return employee
