"""Guards of the command line: what the kiosk writes that others must not read is made
owner-only (0600), a command that only reads never leaves an empty database behind, and
a full-screen command without a terminal stops with a message."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from kiosk.cli import main
from kiosk.files import log_file_handler
from kiosk.services.platform.outbox import Outbox


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path, capsys):
    path = tmp_path / "plant" / "kiosk.db"
    assert main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 0
    assert mode(path) == 0o600
    wal = Path(f"{path}-wal")
    if wal.exists():
        assert mode(wal) == 0o600


def test_check_and_export_refuse_a_missing_sqlite_file_and_make_nothing(tmp_path, capsys):
    missing = tmp_path / "typo" / "kiosk.db"
    assert main(["db", "check", "--db", f"sqlite:///{missing}"]) == 2
    assert main(["export", "ledger", "-o", "-", "--db", f"sqlite:///{missing}"]) == 2
    assert "There is no database at" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()


def test_the_outbox_and_the_log_are_owner_only(tmp_path):
    outbox = tmp_path / "outbox.db"
    Outbox(outbox)
    assert mode(outbox) == 0o600
    log = tmp_path / "logs" / "kiosk.log"
    handler = log_file_handler(log)
    handler.maxBytes = 200
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "x" * 150, None, None)
    for _ in range(3):  # rotates: kiosk.log.1 is made too
        handler.emit(record)
    handler.close()
    assert mode(log) == 0o600 and mode(Path(f"{log}.1")) == 0o600


def test_an_existing_file_keeps_the_mode_it_was_given(tmp_path):
    shared = tmp_path / "shared.db"
    assert main(["db", "upgrade", "--db", f"sqlite:///{shared}"]) == 0
    shared.chmod(0o660)  # an administrator shares it with the kiosk group
    assert main(["db", "upgrade", "--db", f"sqlite:///{shared}"]) == 0
    assert mode(shared) == 0o660


def test_a_full_screen_command_without_a_terminal_stops_with_a_message(tmp_path):
    """`kiosk run` from cron or a pipe used to spin at 100 % CPU on its empty input."""
    import subprocess
    import sys

    database = tmp_path / "kiosk.db"
    assert main(["db", "upgrade", "--db", f"sqlite:///{database}"]) == 0
    kiosk = str(Path(sys.executable).with_name("kiosk"))
    for command in (["run"], ["board"], ["demo"]):
        result = subprocess.run(
            [kiosk, *command, "--db", f"sqlite:///{database}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert result.returncode == 2, command
        assert f"`kiosk {command[0]}` needs a terminal" in result.stderr
