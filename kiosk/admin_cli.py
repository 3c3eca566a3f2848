"""`kiosk admin create|enrol`: IT's way in to PINs, from the server's shell.

- `kiosk admin create --badge B --name N [--department D] [--team T]` makes the very
  first quality admin of a plant and prints their one-time enrolment code. It is refused
  while an active quality admin exists; `--force` (audited, with the OS user) is the
  escape for a plant whose admins have all left.
- `kiosk admin enrol BADGE` prints a new enrolment code for an existing team leader,
  supervisor or quality admin (their PIN, if any, is cleared: a reset).

Both write an audit row with no actor and the OS user in its detail. The code is
printed once and stored only as a hash.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kiosk.clock import format_local
from kiosk.config import command_line_user


def add_admin_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    admin = commands.add_parser("admin", help="the first quality admin; enrolment codes (IT)")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    create = admin_commands.add_parser(
        "create",
        help="make the first quality admin and print their one-time enrolment code",
        description="Refused while an active quality admin exists (see --force). The new "
        "admin signs in with the badge, types the code and chooses a PIN.",
    )
    create.add_argument("--badge", required=True, metavar="BADGE", help="their badge code")
    create.add_argument("--name", required=True, metavar="NAME", help="their full name")
    create.add_argument(
        "--department",
        default="",
        metavar="D",
        help="a department of the plant, by code or name (on a plant with no departments "
        "yet it is created)",
    )
    create.add_argument("--team", metavar="T", help="the code of an existing team")
    create.add_argument(
        "--force",
        action="store_true",
        help="create even though active quality admins exist (audited with your OS user)",
    )
    _add_hours(create)
    add_common(create)
    enrol = admin_commands.add_parser(
        "enrol",
        help="print a new one-time enrolment code for a leader, supervisor or quality admin",
        description="Any PIN the person has is cleared (a reset); older codes stop working.",
    )
    enrol.add_argument("badge", metavar="BADGE")
    _add_hours(enrol)
    add_common(enrol)


def _add_hours(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hours", type=int, default=72, metavar="N", help="the code is valid N hours (72)"
    )


def run_admin(args: argparse.Namespace) -> int:
    from kiosk.caller import Caller
    from kiosk.services.platform import enrolment

    if args.admin_command == "create":
        made = enrolment.create_first_admin(
            Caller.system(),
            args.badge,
            args.name,
            department=args.department,
            team=args.team,
            force=args.force,
            os_user=command_line_user(),
            hours=args.hours,
        )
        if made.department_created:
            print(f"Department {args.department.strip()} created (the plant had none).")
        print(f"Quality admin {made.issued.name} ({made.issued.badge_code}) created.")
        issued = made.issued
    else:
        issued = enrolment.issue_code_by_it(
            Caller.system(), args.badge, os_user=command_line_user(), hours=args.hours
        )
        if issued.reset:
            print(f"The PIN of {issued.name} ({issued.badge_code}) is cleared.")
    print(
        f"One-time enrolment code for {issued.name} ({issued.role_title}, badge "
        f"{issued.badge_code}):\n\n    {issued.shown}\n\n"
        f"Valid until {format_local(issued.expires_at)}, once. It is not shown again. At a "
        "kiosk: scan the badge, type this code, choose a PIN twice."
    )
    return 0
