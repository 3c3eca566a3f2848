"""The `kiosk` command: run the app, seed the demo plant, manage the database."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

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
from kiosk.i18n import set_process_language


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


def build_parser() -> argparse.ArgumentParser:
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

    demo = commands.add_parser(
        "demo", help="create (or refresh) the demo plant in the default SQLite file and start"
    )
    _add_common(demo)
    demo.add_argument("--no-run", action="store_true", help="only seed the demo plant")
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
    bench.add_argument(
        "names", nargs="*", metavar="NAME", help="scan, startup, board, live, board_live, pooled"
    )

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


def _command_names(commands: argparse._SubParsersAction) -> list[str]:
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
    from kiosk.errors import ValidationFailed
    from kiosk.services.anomalies import import_anomalies
    from kiosk.services.inspections import import_checklist
    from kiosk.services.question_import import import_questions

    who = command_line_user()  # the audit row names who ran it
    importers = {
        "checklist": lambda: f"{import_checklist(path, who=who)} checklist items",
        "questions": lambda: str(import_questions(path, who=who)),
        "anomalies": lambda: str(import_anomalies(path, who=who)),
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
    from kiosk.services import labels

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
    pages = f"{written.pages} page{'s' if written.pages != 1 else ''}"
    print(
        f"{label_set.title}: {written.labels} {kind} label(s) on {pages} "
        f"({layout.columns} × {layout.rows} per A4 page, {written.format.upper()}, "
        f"font: {written.font}) written to:"
    )
    for path in written.files:
        print(f"  {path}")
    for problem in written.skipped:
        print(f"  not printed: {problem}")
    return 0


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if _terminal_missing(args):
        return 2
    if args.command == "bench":  # it makes its own databases: no --db
        try:
            from bench.__main__ import main as run_benchmarks
        except ImportError:
            print(
                "kiosk: the benchmarks run from a checkout (bench/ beside kiosk/).", file=sys.stderr
            )
            return 2
        return run_benchmarks(args.names)
    if args.command == "samples":  # copies files from the package: no database
        from kiosk.samples_cli import run_samples

        return run_samples(args)
    try:
        if args.command == "ssh-shell":  # checks the terminal before opening the database
            from kiosk.ssh_shell import run_ssh_shell

            return run_ssh_shell(args)
        settings = _settings(args)
        set_process_language(settings.language)  # CLI messages and service refusals
        if args.command == "import" and args.import_command in ("plant", "roster"):
            from kiosk.import_cli import run_import  # opens the database unless --template

            return run_import(args, settings.database_url)
        if args.command == "scoreboard":
            return _run_scoreboard(settings, args.contest)
        if args.command in ("run", "board"):
            # the app opens the database itself, once its first screen is up (kiosk/app.py):
            # a kiosk also starts while the server is away, and says so on screen
            return _run_app(settings, board_only=args.command == "board")
        if args.command == "campaign":
            from kiosk.campaign_cli import run_campaign

            return run_campaign(args, settings)
        from kiosk.services import database

        # only the commands that make a database may make a SQLite file: a check or an
        # export with a mistyped --db must not leave an empty database behind
        makes_database = args.command == "demo" or (
            args.command == "db" and args.db_command == "upgrade"
        )
        url = settings.database_url
        if args.command == "db" and args.db_command == "upgrade":
            from models import db

            url = db.direct_url(url)  # long DDL: straight to the server, never a pooler
        status = database.open_database(url, create=makes_database)
        if args.command == "db" and args.db_command == "check":
            print(f"{status.where}: schema version {status.version} (this kiosk: {status.latest})")
            database.require_current_schema(status)
            return 0
        if args.command == "import":
            database.require_current_schema(status)
            return _import(args.import_command, args.file)
        if args.command == "admin":
            from kiosk.admin_cli import run_admin

            database.require_current_schema(status)
            return run_admin(args)
        if args.command == "export":
            from kiosk.exports_cli import run_export

            database.require_current_schema(status)
            return run_export(args)
        if args.command == "db" and args.db_command == "upgrade":
            applied = database.upgrade()
            done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
            print(f"{status.where}: schema version {status.latest} ({done})")
            if args.app_role:
                database.grant_app_role(args.app_role)
            granted = database.regrant_app_roles()
            if granted:
                print(f"Application role(s) granted: {', '.join(granted)}.")
            return 0
        if args.command == "demo":
            from kiosk.services.demo import seed_demo_plant

            database.upgrade()
            seed_demo_plant()
            print(f"Demo plant ready in {status.where}.")
            return 0 if args.no_run else _run_app(settings)
        database.require_current_schema(status)
        if args.command == "keys":
            from kiosk.services.plant import rotate_signing_key

            rotation = rotate_signing_key(args.grace_days)
            print(
                "New label key made. Labels printed before stay valid until "
                f"{format_local(rotation.previous_valid_until)}: print new ones "
                "(kiosk labels) and put them up before then."
            )
            return 0
        if args.command == "auth":
            from kiosk.auth_cli import run_auth

            database.require_current_schema(status)
            return run_auth(args)
        if args.command == "ledger":
            from kiosk.ledger_cli import run_ledger

            return run_ledger(args)
        if args.command == "sweep":
            from kiosk.services.deadlines import sweep

            result = sweep()
            print(
                f"{result.overdue} overdue defect(s) not yet charged; "
                f"charged {result.charged_now} now."
            )
            return 0
        if args.command == "labels":
            return _print_labels(args)
        if args.command == "serve":
            from kiosk.web import serve

            return serve(settings, host=args.host, port=args.port, public_url=args.public_url)
        raise AssertionError(f"unhandled command {args.command}")
    except (ServiceError, ConfigError) as exc:
        print(f"kiosk: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    finally:
        if "kiosk.services.database" in sys.modules:  # not loaded by `kiosk --help`
            sys.modules["kiosk.services.database"].close()


if __name__ == "__main__":
    sys.exit(main())
