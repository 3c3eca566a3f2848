"""`kiosk export coverage|performance|ledger|defects|inspections|evaluations|handbook`.

kiosk/cli.py owns the `export` group; this module adds these sub-commands to it
and runs them. Files go to --output (or a default name in the current folder);
`--output -` writes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk.caller import Caller
from kiosk.i18n import counted
from kiosk.progress import TextProgress

TABLE_EXPORTS = {
    "coverage": "training coverage: one row per active employee, passed yes/no",
    "performance": "points per employee for one month, per cause type (for monthly performance)",
    "ledger": "every point ledger row, with local times",
    "defects": "every defect with its lifecycle times and root cause",
    "inspections": "every weekly inspection result",
    "evaluations": "every benchmark-line evaluation: scores, totals, ranks, the Mobile Flag",
}
EXPORT_COMMANDS = frozenset({*TABLE_EXPORTS, "handbook"})
TABLE_FORMATS = ("csv", "xlsx")
HANDBOOK_FORMATS = ("md", "pdf")


def add_export_commands(
    export_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add this module's sub-commands to the `kiosk export` group."""
    for name, help_text in TABLE_EXPORTS.items():
        command = export_commands.add_parser(name, help=help_text, description=help_text)
        if name == "coverage":  # who has passed by now: no month to choose
            command.set_defaults(month=None)
        else:
            _add_month(command, name)
        add_campaign_option(command)
        command.add_argument(
            "--format", choices=TABLE_FORMATS, help="default: from --output's suffix, else csv"
        )
        command.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help="default: NAME[-YYYY-MM].FORMAT in this folder; '-' for standard output",
        )
        command.add_argument("--quiet", action="store_true", help="no progress bar")
        add_common(command)
    _add_handbook(export_commands, add_common)


def _add_month(command: argparse.ArgumentParser, name: str) -> None:
    command.add_argument(
        "--month",
        metavar="YYYY-MM",
        help="only this month, by local date"
        + (
            " (performance: this or --campaign is required)"
            if name == "performance"
            else " (default: everything)"
        ),
    )


def _add_handbook(
    export_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    handbook = export_commands.add_parser(
        "handbook",
        help="the Handbook for Preventing Recurrence of Typical Quality Issues (Markdown or PDF)",
        description="Compiled from the defects marked as typical cases.",
    )
    handbook.add_argument(
        "--format", choices=HANDBOOK_FORMATS, help="default: from --output's suffix, else md"
    )
    handbook.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="default: typical-cases-handbook.FORMAT in this folder; '-' for standard output",
    )
    handbook.add_argument(
        "--font",
        metavar="FILE",
        help="a TrueType/OpenType font for the PDF; it must hold every character of the "
        "handbook (default: the first installed font that does, e.g. Noto Sans CJK)",
    )
    add_campaign_option(handbook)
    add_common(handbook)


def add_campaign_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--campaign",
        metavar="NAME",
        help="only this campaign's rows (its name as `kiosk campaign list` shows it, or its "
        "id); a past campaign keeps its points, defects and results",
    )


def _format(given: str | None, output: str | None, allowed: tuple[str, ...]) -> str:
    if given:
        return given
    suffix = Path(output).suffix.lower().lstrip(".") if output and output != "-" else ""
    if suffix == "markdown":
        suffix = "md"
    return suffix if suffix in allowed else allowed[0]


def _say(text: str, to_stdout: bool) -> None:
    print(text, file=sys.stderr if not to_stdout else sys.stdout)


def run_export(args: argparse.Namespace) -> int:
    """Run one of this module's export sub-commands; returns the exit status."""
    try:
        if args.export_command == "handbook":
            return _export_handbook(args)
        return _export_table(args)
    except OSError as exc:
        target = getattr(exc, "filename", None) or args.output
        print(f"kiosk: cannot write {target}: {exc.strerror or exc}.", file=sys.stderr)
        return 2


def _export_table(args: argparse.Namespace) -> int:
    from kiosk.services.reports import exports

    month = exports.parse_month(args.month) if args.month else None
    summary = ""
    table: exports.Table | exports.TableStream
    if args.export_command == "coverage":
        table, overall = exports.coverage_export(args.campaign)
        summary = (
            f"Training coverage {overall.percent} % ({overall.passed} of {overall.total} "
            "active employees passed): "
        )
    else:
        builders: dict[
            str,
            Callable[[exports.Month | None, str | None], exports.Table | exports.TableStream],
        ] = {
            "performance": exports.performance_table,
            "ledger": exports.ledger_stream,  # read a page at a time while written
            "defects": exports.defects_stream,
            "inspections": exports.inspections_table,
            "evaluations": exports.evaluations_table,
        }
        table = builders[args.export_command](month, args.campaign)
    file_format = _format(args.format, args.output, TABLE_FORMATS)
    to_stdout = args.output == "-"
    progress = TextProgress(quiet=getattr(args, "quiet", False))
    try:
        if to_stdout:
            if file_format == "csv":
                rows = exports.write_csv(table, sys.stdout, progress=progress)
            else:
                sys.stdout.flush()
                rows = exports.write_xlsx(table, sys.stdout.buffer, progress=progress)
                sys.stdout.buffer.flush()
        else:
            path = Path(args.output) if args.output else Path(f"{table.name}.{file_format}")
            rows = exports.save(table, path, file_format, progress=progress)
    finally:
        progress.close()
    if to_stdout:
        _say(f"{summary}{counted(rows, 'row')} of {table.name} written.", to_stdout=False)
    else:
        _say(
            f"{summary}{counted(rows, 'row')} of {table.name} written to {path} "
            f"({file_format.upper()}).",
            True,
        )
    return 0


def _export_handbook(args: argparse.Namespace) -> int:
    from kiosk.services.reports import handbook

    content = handbook.compile_handbook(Caller.system(), campaign=args.campaign)
    file_format = _format(args.format, args.output, HANDBOOK_FORMATS)
    to_stdout = args.output == "-"
    path = (
        None
        if to_stdout
        else Path(args.output or f"typical-cases-handbook.{file_format}").expanduser()
    )
    cases = len(content.cases)
    what = f"handbook with {cases} typical case{'s' if cases != 1 else ''}"
    if file_format == "md":
        text = handbook.render_markdown(content)
        if path is None:
            sys.stdout.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        _say(f"Markdown {what} written to {path or 'standard output'}.", not to_stdout)
        return 0
    try:
        result = handbook.render_pdf(content, path or sys.stdout.buffer, font=args.font)
    except FileNotFoundError as exc:
        print(f"kiosk: {exc}.", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"kiosk: note: {note}", file=sys.stderr)
    _say(f"PDF {what} written to {path or 'standard output'} (font: {result.font}).", not to_stdout)
    return 0
