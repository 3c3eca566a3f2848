"""`kiosk auth unlock BADGE`: IT lifts a badge's PIN lock from the server's shell.

Wrong PINs lock a badge per channel (kiosks, SSH, each browser address; see
kiosk/services/platform/auth.py). A supervisor unlocks a badge on the People screen (F9); this
is the same for IT: every channel's count starts again. Audited as `unlock_pin` with no
actor, terminal `cli` and the OS user and host (config.command_line_user).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kiosk.config import command_line_user


def add_auth_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    auth = commands.add_parser("auth", help="PIN locks: unlock a badge (IT)")
    actions = auth.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    unlock = actions.add_parser(
        "unlock",
        help="lift a badge's PIN lock on every channel (kiosks, SSH, browsers); audited",
        description="The wrong PINs given so far stop counting; the audit row names what "
        "was locked and the OS user who ran this.",
    )
    unlock.add_argument("badge", metavar="BADGE")
    add_common(unlock)


def run_auth(args: argparse.Namespace) -> int:
    from kiosk.caller import Caller
    from kiosk.services.platform.auth import unlock_pin_by_it

    result = unlock_pin_by_it(Caller.system(), args.badge, os_user=command_line_user())
    who = f"Badge {result.badge_code} ({result.name})"
    if result.was_locked:
        print(f"{who} unlocked; it was locked on: {result.shown}.")
    else:
        print(f"{who} was not locked; its count of wrong PINs starts again.")
    return 0
