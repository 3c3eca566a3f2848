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
        if _is_lock_timeout(exc):
            raise DatabaseUnavailable(
                "The database is busy (another terminal is writing). Try again."
            ) from exc
        raise DatabaseUnavailable(UNAVAILABLE_MESSAGE) from exc


def _is_lock_timeout(exc: Exception) -> bool:
    return "database is locked" in str(exc)


@contextlib.contextmanager
def transaction() -> Iterator[peewee.Database]:
    with database_errors(), db.connection() as database, db.write_transaction(database):
        yield database


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
