"""`kiosk ledger verify`: recompute the ledger's hash chain and running totals.

Run it from cron (daily, say) on any machine with the kiosk installed; the board shows a
warning while the latest check has failed. Exit status 0 when the ledger is whole, 1
when a row or a total disagrees (the first one is named), 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from kiosk.config import command_line_user


def add_ledger_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    ledger = commands.add_parser("ledger", help="the point ledger: check it is whole")
    actions = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify",
        help="recompute the hash chain and the running totals; name the first row that "
        "disagrees (exit 1)",
    )
    add_common(verify)


def run_ledger(args: argparse.Namespace) -> int:
    from kiosk.caller import Caller
    from kiosk.services.platform.ledger_check import verify_ledger

    result = verify_ledger(Caller.system(), who=f"by {command_line_user()} (command line)")
    if result.ok:
        print(f"Ledger whole: {result.rows} rows chained, every running total agrees.")
        return 0
    print(
        f"kiosk: ledger check FAILED after {result.rows} rows: {result.problem}.", file=sys.stderr
    )
    return 1
