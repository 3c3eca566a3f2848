"""The `kiosk` command: run the app, seed the demo plant, manage the database."""

from __future__ import annotations

import argparse
import enum
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.clock import format_local
from kiosk.config import (
    THEME_CHOICES,
    ConfigError,
    Settings,
    command_line_user,
    data_dir,
    load_settings,
)
from kiosk.errors import ServiceError
from kiosk.i18n import counted, set_process_language

if TYPE_CHECKING:  # the services load only for the commands that use them
    from kiosk.services.platform.database import DatabaseStatus


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB); "
        "default: $QK_DATABASE_URL, else a SQLite file in the user data directory",
    )


def _add_language(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--language",
        metavar="LANGUAGE",
        help="language of this terminal: en (English) or zh_CN (简体中文; zh, zh-cn too); "
        "Ctrl+L switches",
    )


def _scale_argument(text: str) -> float:
    """`--scale` read while parsing: a wrong value stops before any database is opened."""
    from kiosk.services.plant.scale_demo import parse_scale

    try:
        return parse_scale(text)
    except ServiceError as exc:
        raise argparse.ArgumentTypeError(getattr(exc, "message", str(exc))) from None


def build_parser(only_run: bool = False) -> argparse.ArgumentParser:
    """The command line. `only_run`: just the `run` command (every terminal starts with it;
    the other commands' parsers, and the modules that add them, cost its start-up about as
    much CPU as the rest of the command line)."""
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Quality Kiosk: the Quality Month on the shop floor.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="start the terminal app on this terminal")
    _add_common(run)
    run.add_argument("--terminal", metavar="ID", help="terminal id shown in the status bar")
    run.add_argument(
        "--idle-timeout", type=int, metavar="SECONDS", help="sign out after this idle time"
    )
    run.add_argument(
        "--kiosk",
        action="store_true",
        default=None,
        help="locked kiosk mode: no command palette; quitting needs a supervisor's badge + PIN",
    )
    run.add_argument("--theme", choices=THEME_CHOICES, help="colours for this terminal")
    _add_language(run)
    if only_run:
        return parser

    demo = commands.add_parser(
        "demo", help="create (or refresh) the demo plant in the default SQLite file and start"
    )
    _add_common(demo)
    demo.add_argument("--no-run", action="store_true", help="only seed the demo plant")
    demo.add_argument(
        "--scale",
        type=_scale_argument,  # checked before the database file is made
        metavar="plant|N",
        help="grow the demo to a plant-sized data set (plant: 2,000 people, 50,000 defects, "
        "1,000,000 ledger rows) or N times that (0.1 for a tenth); needs a new --db",
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_language(demo)

    board = commands.add_parser(
        "board", help="show the Red-Black List board (no sign-in; for wall screens)"
    )
    _add_common(board)
    _add_language(board)
    serve = commands.add_parser(
        "serve", help="publish the board in a browser (textual-serve) behind a supervisor sign-in"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    serve.add_argument(
        "--public-url", metavar="URL", help="the address browsers use, e.g. behind a TLS proxy"
    )
    _add_common(serve)
    from kiosk.ssh_shell import add_ssh_shell_command  # team leaders over SSH

    add_ssh_shell_command(commands, _add_common)

    scoreboard = commands.add_parser(
        "scoreboard", help="show the knowledge-contest scoreboard, live (no sign-in)"
    )
    scoreboard.add_argument(
        "--contest", type=int, metavar="ID", help="this contest (default: the running one)"
    )
    _add_common(scoreboard)

    labels = commands.add_parser(
        "labels", help="print QR label sheets (A4) for a line's stations or employee badges"
    )
    labels_what = labels.add_mutually_exclusive_group(required=True)
    labels_what.add_argument("--line", metavar="L", help="the stations of this line (e.g. L1)")
    labels_what.add_argument("--all", action="store_true", help="the stations of every line")
    labels_what.add_argument("--badges", action="store_true", help="employee badges")
    labels.add_argument("--team", metavar="T", help="with --badges: only this team's badges")
    labels.add_argument(
        "--format", choices=["pdf", "png", "svg"], help="default: from --output, else pdf"
    )
    labels.add_argument(
        "--output", type=Path, metavar="FILE", help="PNG/SVG pages go to FILE, FILE-2, ..."
    )
    labels.add_argument("--columns", type=int, default=3, help="labels across a page (3)")
    labels.add_argument("--rows", type=int, default=4, help="labels down a page (4)")
    _add_common(labels)

    from kiosk.samples_cli import add_samples_command  # set-up files for a plant

    add_samples_command(commands)

    sweep = commands.add_parser(
        "sweep", help="charge overdue defects once (for cron; every kiosk also does it)"
    )
    _add_common(sweep)

    bench = commands.add_parser(
        "bench", help="run the benchmarks from a checkout and print each ratio beside its target"
    )
    bench.add_argument("names", nargs="*", metavar="NAME", help="which (default: all)")
    bench.add_argument(
        "--db",
        metavar="URL",
        help="run on this engine only (postgresql://: a server the benchmarks create their "
        "own databases on); default: SQLite and a throwaway PostgreSQL",
    )
    bench.add_argument("--both", action="store_true", help="with a PostgreSQL --db: SQLite too")

    keys = commands.add_parser("keys", help="the plant key that signs QR labels")
    keys_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    rotate = keys_commands.add_parser(
        "rotate", help="make a new label key; old labels stay valid for a grace period"
    )
    _add_common(rotate)
    rotate.add_argument(
        "--grace-days",
        type=int,
        default=30,
        metavar="N",
        help="days the labels signed with the old key still scan (default 30)",
    )

    from kiosk.ledger_cli import add_ledger_commands  # kiosk ledger verify

    add_ledger_commands(commands, _add_common)
    from kiosk.auth_cli import add_auth_commands  # kiosk auth unlock

    add_auth_commands(commands, _add_common)

    db = commands.add_parser("db", help="database schema: upgrade or check")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate the schema")
    upgrade.add_argument(
        "--app-role",
        metavar="ROLE",
        help="PostgreSQL: grant this role what the kiosks need and no more (run as the "
        "owner; remembered, so later upgrades grant new tables too)",
    )
    _add_common(upgrade)
    check = db_commands.add_parser("check", help="connect and print the schema version")
    _add_common(check)

    imports = commands.add_parser("import", help="load plant data from a file")
    import_commands = imports.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    checklist = import_commands.add_parser(
        "checklist", help="weekly inspection checklist items from a TOML or CSV file"
    )
    checklist.add_argument("file", type=Path, metavar="FILE", help="checklist .toml or .csv")
    _add_common(checklist)
    questions = import_commands.add_parser(
        "questions", help="training question bank from a CSV or JSON file (upsert by key)"
    )
    questions.add_argument("file", type=Path, metavar="FILE", help="questions .csv or .json")
    _add_common(questions)
    anomalies = import_commands.add_parser(
        "anomalies",
        help="on-site anomaly history from a CSV file: month,category,count[,note] "
        "(a month+category imported again is replaced)",
    )
    anomalies.add_argument("file", type=Path, metavar="FILE", help="anomaly history .csv")
    _add_common(anomalies)
    from kiosk.import_cli import add_import_commands  # plant, roster

    add_import_commands(import_commands, _add_common)

    exports = commands.add_parser("export", help="write a report or data file")
    export_commands = exports.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    from kiosk.exports_cli import add_export_commands

    add_export_commands(export_commands, _add_common)  # coverage, performance, ..., handbook
    from kiosk.admin_cli import add_admin_commands  # admin create, admin enrol

    add_admin_commands(commands, _add_common)
    from kiosk.campaign_cli import add_campaign_commands  # new, list, activate, template

    add_campaign_commands(commands, _add_common)
    parser.epilog = (
        "every command: "
        + ", ".join(f"kiosk {name}" for name in _command_names(commands))
        + ". Those that use the database take --db URL; `kiosk COMMAND --help` tells more."
    )
    return parser


def _command_names(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> list[str]:
    """Every command, nested ones spelled out ("db upgrade"), for the help text."""
    names = []
    for name, sub in commands.choices.items():
        nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
        names += [f"{name} {inner}" for inner in nested[0].choices] if nested else [name]
    return names


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    return settings.with_overrides(
        database_url=args.db,
        terminal_id=getattr(args, "terminal", None),
        idle_timeout_seconds=getattr(args, "idle_timeout", None),
        locked=getattr(args, "kiosk", None),
        theme=getattr(args, "theme", None),
        language=getattr(args, "language", None),
    )


def _log_to_file() -> Path:
    """Faults go to a log file (a running full-screen app has no console to print to)."""
    from kiosk.files import log_file_handler

    path = data_dir() / "kiosk.log"
    logging.getLogger().addHandler(log_file_handler(path))
    logging.getLogger().setLevel(logging.INFO)
    return path


def _run_app(settings: Settings, *, board_only: bool = False) -> int:
    from kiosk.app import KioskApp

    _log_to_file()
    KioskApp(settings, board_only=board_only).run()
    return 0


def _run_scoreboard(settings: Settings, contest_id: int | None) -> int:
    from kiosk.app import KioskApp
    from screens.scoreboard import ScoreboardScreen

    _log_to_file()
    KioskApp(settings, start_screen=lambda: ScoreboardScreen(contest_id)).run()
    return 0


def _import(kind: str, path: Path) -> int:
    """Run one import; a file with any problem imports nothing and each problem is listed."""
    from kiosk.caller import Caller
    from kiosk.errors import ValidationFailed
    from kiosk.services.lines.anomalies import import_anomalies
    from kiosk.services.lines.checklists import import_checklist
    from kiosk.services.training.question_import import import_questions

    who = command_line_user()  # the audit row names who ran it
    importers = {
        "checklist": lambda: f"{import_checklist(path, who=who)} checklist items",
        "questions": lambda: str(import_questions(path, who=who)),
        "anomalies": lambda: str(import_anomalies(Caller.system(), path, who=who)),
    }
    try:
        summary = importers[kind]()
    except ValidationFailed as exc:
        print(f"kiosk: nothing imported from {path}:", file=sys.stderr)
        for problem in exc.problems.values():
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(f"Imported {path}: {summary}.")
    return 0


def _print_labels(args: argparse.Namespace) -> int:
    from kiosk.services.reports import labels

    if args.team is not None and not args.badges:
        print("kiosk: --team goes with --badges (a line's labels: --line L1).", file=sys.stderr)
        return 2
    if args.badges:
        label_set = labels.badge_labels(args.team)
    else:
        label_set = labels.station_labels(None if args.all else args.line)
    layout = labels.SheetLayout(columns=args.columns, rows=args.rows)
    written = labels.write_sheets(label_set, args.output, args.format, layout)
    kind = "badge" if args.badges else "station"
    pages = counted(written.pages, "page")
    print(
        f"{label_set.title}: {counted(written.labels, kind + ' label')} on {pages} "
        f"({layout.columns} × {layout.rows} per A4 page, {written.format.upper()}, "
        f"font: {written.font}) written to:"
    )
    for path in written.files:
        print(f"  {path}")
    for problem in written.skipped:
        print(f"  not printed: {problem}")
    return 0


def _seed_plant_scale(scale: float, *, quiet: bool) -> None:
    from kiosk.caller import Caller
    from kiosk.progress import TextProgress
    from kiosk.services.plant.scale_demo import seed_plant

    progress = TextProgress(quiet=quiet)
    try:
        summary = seed_plant(Caller.system(), scale, progress=progress)
    finally:
        progress.close()
    print(
        f"Plant-scale data set (scale {scale:g}): {summary.employees:,} active employees in "
        f"{summary.teams:,} line teams, {summary.defects:,} defects in the active campaign, "
        f"{summary.assessments:,} finished assessments, {summary.proposals:,} proposals, "
        f"{summary.contests:,} contests, {summary.ledger_rows:,} ledger rows over "
        f"{summary.campaigns} campaigns."
    )


def _terminal_missing(args: argparse.Namespace) -> bool:
    """A full-screen command started without a terminal (cron, a pipe, systemd without a
    TTY) would spin on its empty input: say so and stop instead. textual-serve's board
    processes have no terminal but a web driver (TEXTUAL_DRIVER), which is fine."""
    full_screen = args.command in ("run", "board", "scoreboard") or (
        args.command == "demo" and not args.no_run
    )
    if not full_screen or os.environ.get("TEXTUAL_DRIVER"):
        return False
    if sys.stdin.isatty() and sys.stdout.isatty():
        return False
    print(
        f"kiosk: `kiosk {args.command}` needs a terminal, and its input or output is not "
        "one. Start it in a terminal (ssh -t for SSH); for a screen without a keyboard "
        "use `kiosk serve`; to only seed the demo, `kiosk demo --no-run`.",
        file=sys.stderr,
    )
    return True


def _run_benchmarks(run: Invocation) -> int:
    try:
        from bench.__main__ import run as run_benchmarks
    except ImportError:
        print("kiosk: the benchmarks run from a checkout (bench/ beside kiosk/).", file=sys.stderr)
        return 2
    return run_benchmarks(run.args.names, run.args.db, run.args.both)


def _write_samples(run: Invocation) -> int:
    from kiosk.samples_cli import run_samples

    return run_samples(run.args)


def _ssh_shell(run: Invocation) -> int:
    from kiosk.ssh_shell import run_ssh_shell  # checks the terminal before the database

    return run_ssh_shell(run.args)


def _import_people_or_plant(run: Invocation) -> int:
    from kiosk.import_cli import run_import  # opens the database unless --template

    return run_import(run.args, run.settings.database_url)


def _import_file(run: Invocation) -> int:
    return _import(run.args.import_command, run.args.file)


def _campaign(run: Invocation) -> int:
    from kiosk.campaign_cli import run_campaign

    return run_campaign(run.args, run.settings)


def _admin(run: Invocation) -> int:
    from kiosk.admin_cli import run_admin

    return run_admin(run.args)


def _export(run: Invocation) -> int:
    from kiosk.exports_cli import run_export

    return run_export(run.args)


def _check_database(run: Invocation) -> int:
    from kiosk.services.platform import database

    status = run.status
    print(f"{status.where}: schema version {status.version} (this kiosk: {status.latest})")
    database.require_current_schema(status)
    missing = database.missing_indexes()
    if missing:
        print(
            f"Missing index(es) the boards and the worklist need: {', '.join(missing)}. "
            "Without them the boards read whole tables and slow down as the data "
            "grows. Run `kiosk db upgrade` to make them again.",
            file=sys.stderr,
        )
        return 1
    return 0


def _upgrade_database(run: Invocation) -> int:
    from kiosk.services.platform import database

    status = run.status
    applied = database.upgrade()
    restored = database.restore_indexes()
    if restored:
        print(f"Made the missing index(es) again: {', '.join(restored)}.")
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"{status.where}: schema version {status.latest} ({done})")
    if run.args.app_role:
        database.grant_app_role(run.args.app_role)
    granted = database.regrant_app_roles()
    if granted:
        roles = "role" if len(granted) == 1 else "roles"
        print(f"Application {roles} granted: {', '.join(granted)}.")
    return 0


def _demo(run: Invocation) -> int:
    from kiosk.caller import Caller
    from kiosk.services.plant.demo import seed_demo_plant
    from kiosk.services.platform import database

    status = run.status
    database.upgrade()
    if run.args.scale:
        _seed_plant_scale(run.args.scale, quiet=run.args.quiet)
    else:
        seed_demo_plant(Caller.system())
    print(f"Demo plant ready in {status.where}.")
    return 0 if run.args.no_run else _run_app(run.settings)


def _rotate_keys(run: Invocation) -> int:
    from kiosk.caller import Caller
    from kiosk.services.plant.plant import rotate_signing_key

    rotation = rotate_signing_key(Caller.system(), run.args.grace_days)
    print(
        "New label key made. Labels printed before stay valid until "
        f"{format_local(rotation.previous_valid_until)}: print new ones "
        "(kiosk labels) and put them up before then."
    )
    return 0


def _auth(run: Invocation) -> int:
    from kiosk.auth_cli import run_auth

    return run_auth(run.args)


def _ledger(run: Invocation) -> int:
    from kiosk.ledger_cli import run_ledger

    return run_ledger(run.args)


def _sweep(run: Invocation) -> int:
    from kiosk.caller import Caller
    from kiosk.services.defects.deadlines import sweep

    result = sweep(Caller.system())
    print(
        f"{counted(result.overdue, 'overdue defect')} not yet charged; "
        f"charged {result.charged_now} now."
    )
    return 0


def _serve(run: Invocation) -> int:
    from kiosk.web import serve

    args = run.args
    return serve(run.settings, host=args.host, port=args.port, public_url=args.public_url)


class Needs(enum.Enum):
    """What a command needs before it runs."""

    NOTHING = "nothing"  # no settings, no database (bench, samples, ssh-shell opens its own)
    SETTINGS = "settings"  # opens the database itself, or the app does, once it is on screen
    DATABASE = "database"  # an existing database, at the current schema version
    NEW_DATABASE = "new database"  # the database may be made (a SQLite file created)


@dataclass(frozen=True)
class Invocation:
    """What a command's handler gets: the parsed line and, as its `Needs` say, the settings
    and the status of the database opened for it."""

    args: argparse.Namespace
    given_settings: Settings | None = None
    given_status: DatabaseStatus | None = None

    @property
    def settings(self) -> Settings:
        assert self.given_settings is not None, "a Needs.NOTHING command has no settings"
        return self.given_settings

    @property
    def status(self) -> DatabaseStatus:
        assert self.given_status is not None, "only DATABASE commands have a database status"
        return self.given_status


@dataclass(frozen=True)
class Command:
    run: Callable[[Invocation], int]
    needs: Needs


# Every command: the key is the command, or "command action" for the nested ones whose
# actions differ in what they need. Only the commands that make a database may make a
# SQLite file: a check or an export with a mistyped --db leaves no empty database behind.
COMMANDS: dict[str, Command] = {
    "bench": Command(_run_benchmarks, Needs.NOTHING),
    "samples": Command(_write_samples, Needs.NOTHING),
    "ssh-shell": Command(_ssh_shell, Needs.NOTHING),
    "run": Command(lambda run: _run_app(run.settings), Needs.SETTINGS),
    "board": Command(lambda run: _run_app(run.settings, board_only=True), Needs.SETTINGS),
    "scoreboard": Command(
        lambda run: _run_scoreboard(run.settings, run.args.contest), Needs.SETTINGS
    ),
    "import plant": Command(_import_people_or_plant, Needs.SETTINGS),
    "import roster": Command(_import_people_or_plant, Needs.SETTINGS),
    "campaign": Command(_campaign, Needs.SETTINGS),
    "demo": Command(_demo, Needs.NEW_DATABASE),
    "db upgrade": Command(_upgrade_database, Needs.NEW_DATABASE),
    "db check": Command(_check_database, Needs.DATABASE),  # says the version, then checks it
    "import": Command(_import_file, Needs.DATABASE),  # checklist, questions, anomalies
    "admin": Command(_admin, Needs.DATABASE),
    "export": Command(_export, Needs.DATABASE),
    "keys": Command(_rotate_keys, Needs.DATABASE),
    "auth": Command(_auth, Needs.DATABASE),
    "ledger": Command(_ledger, Needs.DATABASE),
    "sweep": Command(_sweep, Needs.DATABASE),
    "labels": Command(lambda run: _print_labels(run.args), Needs.DATABASE),
    "serve": Command(_serve, Needs.DATABASE),
}


def command_for(args: argparse.Namespace) -> Command:
    """The table's entry for the parsed command line: "db check" before "db"."""
    action = getattr(args, f"{args.command.replace('-', '_')}_command", None)
    return COMMANDS.get(f"{args.command} {action}") or COMMANDS[args.command]


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(only_run=given[:1] == ["run"]).parse_args(given)
    if _terminal_missing(args):
        return 2
    command = command_for(args)
    if command.needs is Needs.NOTHING:
        return command.run(Invocation(args))
    try:
        settings = _settings(args)
        set_process_language(settings.language)  # CLI messages and service refusals
        if command.needs is Needs.SETTINGS:
            return command.run(Invocation(args, settings))
        from kiosk.services.platform import database

        url = settings.database_url
        if command is COMMANDS["db upgrade"]:
            from models import db

            url = db.direct_url(url)  # long DDL: straight to the server, never a pooler
        status = database.open_database(url, create=command.needs is Needs.NEW_DATABASE)
        if command.needs is Needs.DATABASE and command is not COMMANDS["db check"]:
            database.require_current_schema(status)
        return command.run(Invocation(args, settings, status))
    except (ServiceError, ConfigError) as exc:
        print(f"kiosk: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    finally:
        if "kiosk.services.platform.database" in sys.modules:  # not loaded by `kiosk --help`
            sys.modules["kiosk.services.platform.database"].close()


if __name__ == "__main__":
    sys.exit(main())
