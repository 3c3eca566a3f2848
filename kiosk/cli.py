"""The `kiosk` command: run the app, seed the demo plant, manage the database."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk import __version__
from kiosk.config import ConfigError, Settings, data_dir, load_settings
from kiosk.services import database
from kiosk.services.errors import ServiceError


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (sqlite:///FILE or postgresql://USER:PASSWORD@HOST/DB); "
        "default: $QK_DATABASE_URL, else a SQLite file in the user data directory",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Quality Kiosk: the Quality Month on the shop floor.",
        epilog="commands: kiosk run | kiosk demo [--no-run] | kiosk board | kiosk sweep | "
        "kiosk db upgrade | kiosk db check | kiosk import checklist FILE. "
        "Each takes --db URL. `kiosk COMMAND --help` tells more.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="start the terminal app on this terminal")
    _add_common(run)
    run.add_argument("--terminal", metavar="ID", help="terminal id shown in the status bar")
    run.add_argument(
        "--idle-timeout", type=int, metavar="SECONDS", help="sign out after this idle time"
    )

    demo = commands.add_parser(
        "demo", help="create (or refresh) the demo plant in the default SQLite file and start"
    )
    _add_common(demo)
    demo.add_argument("--no-run", action="store_true", help="only seed the demo plant")

    board = commands.add_parser(
        "board", help="show the Red-Black List board (no sign-in; for wall screens)"
    )
    _add_common(board)

    sweep = commands.add_parser(
        "sweep", help="charge overdue defects once (for cron; every kiosk also does it)"
    )
    _add_common(sweep)

    db = commands.add_parser("db", help="database schema: upgrade or check")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="create or migrate the schema")
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
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    return settings.with_overrides(
        database_url=args.db,
        terminal_id=getattr(args, "terminal", None),
        idle_timeout_seconds=getattr(args, "idle_timeout", None),
    )


def _log_to_file() -> Path:
    """Faults go to a log file (a running full-screen app has no console to print to)."""
    path = data_dir() / "kiosk.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return path


def _run_app(settings: Settings, *, board_only: bool = False) -> int:
    from kiosk.app import KioskApp

    _log_to_file()
    KioskApp(settings, board_only=board_only).run()
    return 0


def _import_checklist(path: Path) -> int:
    from kiosk.services.errors import ValidationFailed
    from kiosk.services.inspections import import_checklist

    try:
        count = import_checklist(path)
    except ValidationFailed as exc:
        print(f"kiosk: nothing imported from {path}:", file=sys.stderr)
        for problem in exc.problems.values():
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(f"Imported {count} checklist items from {path}.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        status = database.open_database(settings.database_url)
        if args.command == "db" and args.db_command == "check":
            print(f"{status.where}: schema version {status.version} (this kiosk: {status.latest})")
            database.require_current_schema(status)
            return 0
        if args.command == "import":
            database.require_current_schema(status)
            return _import_checklist(args.file)
        if args.command == "db" and args.db_command == "upgrade":
            applied = database.upgrade()
            done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
            print(f"{status.where}: schema version {status.latest} ({done})")
            return 0
        if args.command == "demo":
            from kiosk.services.demo import seed_demo_plant

            database.upgrade()
            seed_demo_plant()
            print(f"Demo plant ready in {status.where}.")
            return 0 if args.no_run else _run_app(settings)
        database.require_current_schema(status)
        if args.command == "sweep":
            from kiosk.services.deadlines import sweep

            result = sweep()
            print(
                f"{result.overdue} overdue defect(s) not yet charged; "
                f"charged {result.charged_now} now."
            )
            return 0
        return _run_app(settings, board_only=args.command == "board")
    except (ServiceError, ConfigError) as exc:
        print(f"kiosk: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
