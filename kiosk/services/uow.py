"""Units of work: one connection and one transaction around a service call."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import peewee

from kiosk.services.errors import DatabaseUnavailable
from models import db

P = ParamSpec("P")
R = TypeVar("R")

UNAVAILABLE_MESSAGE = (
    "The quality database cannot be reached right now. Nothing you entered is lost: "
    "try again in a moment, or call the quality office if this stays."
)


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn a lost or refused connection into a message for the screen."""
    try:
        yield
    except (peewee.OperationalError, peewee.InterfaceError) as exc:
        if not is_connection_fault(exc):
            raise  # a bug, not an outage: let it be logged as one
        if "locked" in str(exc):
            raise DatabaseUnavailable(
                "The database is busy (another terminal is writing). Try again."
            ) from exc
        raise DatabaseUnavailable(UNAVAILABLE_MESSAGE) from exc


_SQLITE_FAULTS = ("locked", "unable to open", "disk i/o", "readonly", "read-only", "disk is full")


def is_connection_fault(exc: Exception) -> bool:
    """True for a lost, refused or locked database; False for a faulty query."""
    if isinstance(exc, peewee.InterfaceError):
        return True
    if db.is_postgresql():
        return True  # psycopg raises OperationalError only for connection trouble
    return any(fault in str(exc).lower() for fault in _SQLITE_FAULTS)


@contextlib.contextmanager
def transaction() -> Iterator[peewee.Database]:
    """One write transaction; listeners hear of it when it commits (see services.live)."""
    from kiosk.services.live import announce

    with database_errors(), db.connection() as database, db.write_transaction(database):
        yield database
        if database.transaction_depth() == 1:
            announce()


def read_only(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function on this thread's connection (no transaction)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with database_errors(), db.connection():
            return function(*args, **kwargs)

    return wrapper


def atomic(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function in one transaction on this thread's connection."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return function(*args, **kwargs)

    return wrapper
