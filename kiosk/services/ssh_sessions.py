"""SSH sessions: the audit trail of commands a client asked for and did not get."""

from __future__ import annotations

import re

from kiosk.clock import Clock, SystemClock
from kiosk.services.uow import transaction
from models import AuditEntry

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
