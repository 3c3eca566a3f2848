"""Files the kiosk makes that only its own user may read: the SQLite database, the
offline outbox (it keeps PIN hashes of people who signed in there) and the log."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from io import TextIOWrapper
from pathlib import Path

PRIVATE_MODE = 0o600
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def private_file(path: Path) -> Path:
    """Make `path` (and its folder) if it is missing, readable and writable by its owner
    only. A file that exists keeps its mode: an administrator may have widened it on
    purpose (a SQLite file shared by a group). SQLite gives its -wal and -shm files the
    database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE))
    return path


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, PRIVATE_MODE)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the rotated ones too) are made 0600."""

    def _open(self) -> TextIOWrapper:  # logging.FileHandler's own hook
        stream = open(  # noqa: SIM115 - the handler keeps the stream open
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=_private_opener,
        )
        assert isinstance(stream, TextIOWrapper)  # a log handler's mode is a text mode
        return stream


def log_file_handler(path: Path) -> logging.Handler:
    """The kiosk log at `path`: rotated at 2 MB, three kept, owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=3)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler
