"""`kiosk import plant|roster` sub-commands: the plant's structure and HR's roster.

kiosk/cli.py owns the `import` group; this module adds these two sub-commands and runs
them. A file with any problem imports nothing: each problem is listed with its line (or
sheet and row) and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.config import command_line_user
from kiosk.i18n import counted
from kiosk.progress import TextProgress

IMPORT_COMMANDS = frozenset({"plant", "roster"})
CHANGES_SHOWN = 200
ENROLMENT_SHOWN = 50


def add_import_commands(
    import_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `plant` and `roster` to the `kiosk import` group."""
    plant = import_commands.add_parser(
        "plant",
        help="departments, line teams, lines, stations and suppliers from a TOML file, an "
        "XLSX workbook (a sheet per kind) or CSV files (one per kind); upsert by code",
        description="Upsert the plant's structure by code: the same file twice changes "
        "nothing. Things the plant has and the file does not are left alone unless "
        "--deactivate-missing. Sample: kiosk/data/sample-plant.toml.",
    )
    plant.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="plant.toml, plant.xlsx, or departments.csv teams.csv lines.csv stations.csv "
        "suppliers.csv",
    )
    plant_out = plant.add_mutually_exclusive_group()
    plant_out.add_argument(
        "--template",
        type=Path,
        metavar="FILE",
        help="write a template (.toml with comments, or .xlsx with a Notes sheet) and stop",
    )
    plant_out.add_argument(
        "--sample",
        type=Path,
        metavar="FILE.toml",
        help="write the sample plant that ships with Quality Kiosk to FILE.toml and stop",
    )
    _add_flags(plant, "departments, line teams, lines, stations and suppliers")
    add_common(plant)
    _add_language(plant)
    roster = import_commands.add_parser(
        "roster",
        help="people from HR's roster (CSV or XLSX: badge, name, department, team, role); "
        "upsert by badge",
        description="Add new people, update moved ones (name, department, team, role). "
        "Import the plant first: departments and teams must exist. Sample: "
        "kiosk/data/sample-roster.csv.",
    )
    roster.add_argument("file", type=Path, nargs="?", metavar="FILE", help="roster .csv or .xlsx")
    roster_out = roster.add_mutually_exclusive_group()
    roster_out.add_argument(
        "--template",
        type=Path,
        metavar="FILE",
        help="write an empty roster (.csv or .xlsx) with its header and example rows, and stop",
    )
    roster_out.add_argument(
        "--sample",
        type=Path,
        metavar="FILE.csv",
        help="write the sample roster (20 people of the sample plant) to FILE.csv and stop",
    )
    _add_flags(roster, "people (leavers; their history stays)")
    add_common(roster)
    _add_language(roster)


def _add_language(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--language",
        metavar="LANGUAGE",
        help="language of the problems listed: en (English) or zh_CN (简体中文; zh too)",
    )


def _add_flags(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be added, changed and deactivated; write nothing",
    )
    parser.add_argument(
        "--deactivate-missing",
        action="store_true",
        help=f"deactivate {what} that the file does not list (never deleted)",
    )


def run_import(args: argparse.Namespace, database_url: str) -> int:
    """Run `kiosk import plant|roster`; returns the exit status."""
    from kiosk.errors import ValidationFailed

    given = args.files if args.import_command == "plant" else [args.file] if args.file else []
    out = args.template or args.sample
    try:
        if out is not None:
            if given:
                print("kiosk: give FILE, or --template/--sample FILE, not both.", file=sys.stderr)
                return 2
            return _write_template(args.import_command, out, sample=args.sample is not None)
        if not given:
            print(
                f"kiosk: which file? kiosk import {args.import_command} FILE "
                f"(or --template FILE for a template).",
                file=sys.stderr,
            )
            return 2
        from kiosk.services.platform import database

        database.require_current_schema(database.open_database(database_url, create=False))
        if args.import_command == "plant":
            return _import_plant(args)
        return _import_roster(args)
    except BrokenPipeError:  # `kiosk import roster FILE | head`: the import itself is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValidationFailed as exc:
        if out is not None:
            print(f"kiosk: {exc.message}", file=sys.stderr)
            return 2
        names = ", ".join(str(path) for path in given)
        print(f"kiosk: nothing imported from {names}:", file=sys.stderr)
        for problem in exc.problems.values():
            print(f"  {problem}", file=sys.stderr)
        return 2


SAMPLES = {"plant": "data/sample-plant.toml", "roster": "data/sample-roster.csv"}


def _write_template(command: str, path: Path, *, sample: bool = False) -> int:
    if command == "plant":
        from kiosk.services.plant.plant_import import write_template
    else:
        from kiosk.services.plant.roster import write_template
    try:
        if sample:
            from importlib import resources

            path.write_bytes(resources.files("kiosk").joinpath(SAMPLES[command]).read_bytes())
        else:
            write_template(path)
    except OSError as exc:
        print(f"kiosk: cannot write {path}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    what = "Sample" if sample else "Template"
    print(f"{what} written to {path}: edit it, then kiosk import {command} {path}.")
    return 0


def _print_changes(changes: Sequence[str], dry_run: bool) -> None:
    """The list of changes: all of a dry run's (up to CHANGES_SHOWN), a small import's."""
    if not changes or (not dry_run and len(changes) > 20):
        return  # a big real import: the summary says how many
    print("Would change:" if dry_run else "Changes:")
    for text in changes[:CHANGES_SHOWN]:
        print(f"  {text}")
    if len(changes) > CHANGES_SHOWN:
        print(f"  ... and {len(changes) - CHANGES_SHOWN} more")


def _import_plant(args: argparse.Namespace) -> int:
    from kiosk.caller import Caller
    from kiosk.services.plant.plant_import import import_plant

    result = import_plant(
        Caller.system(),
        args.files,
        deactivate_missing=args.deactivate_missing,
        dry_run=args.dry_run,
        who=command_line_user(),
    )
    source = ", ".join(str(path) for path in args.files)
    head = "Dry run, nothing written" if result.dry_run else "Imported"
    print(f"{head}: {source}")
    for kind, count in result.counts:
        print(
            f"  {kind:<12} {count.added} added, {count.changed} changed, "
            f"{count.deactivated} deactivated, {count.unchanged} unchanged"
        )
    _print_changes(result.changes, result.dry_run)
    for warning in result.warnings:
        print(f"  warning: {warning}")
    return 0


def _import_roster(args: argparse.Namespace) -> int:
    from kiosk.caller import Caller
    from kiosk.services.plant.roster import import_roster
    from kiosk.services.platform.auth import ROLE_TITLES

    bar = TextProgress()  # drawn only on a terminal
    try:
        result = import_roster(
            Caller.system(),
            args.file,
            deactivate_missing=args.deactivate_missing,
            dry_run=args.dry_run,
            who=command_line_user(),
            progress=bar,
        )
    finally:
        bar.close()
    head = "Dry run, nothing written" if result.dry_run else "Imported"
    print(f"{head}: {args.file}: {result.summary()}.")
    _print_changes(result.changes, result.dry_run)
    if result.needs_enrolment:
        print(
            f"{counted(len(result.needs_enrolment), 'person', 'people')} (leaders, supervisors "
            "or admins) without a PIN: each needs a one-time enrolment code to choose one "
            "before signing in:"
        )
        for person in result.needs_enrolment[:ENROLMENT_SHOWN]:
            print(f"  {person.badge}  {person.name}  ({ROLE_TITLES.english(person.role)})")
        if len(result.needs_enrolment) > ENROLMENT_SHOWN:
            print(f"  ... and {len(result.needs_enrolment) - ENROLMENT_SHOWN} more")
    return 0
