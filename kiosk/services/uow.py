"""Units of work: one connection and one transaction around a service call."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import peewee

from kiosk.errors import DatabaseUnavailable
from kiosk.i18n import N_, _
from models import db

log = logging.getLogger("kiosk.services.uow")
P = ParamSpec("P")
R = TypeVar("R")

UNAVAILABLE_MESSAGE = N_(
    "The quality database cannot be reached right now. Nothing you entered is lost: "
    "try again in a moment, or call the quality office if this stays."
)


_DATABASE_FAULTS = (peewee.OperationalError, peewee.InterfaceError, peewee.ProgrammingError)
_contact = threading.local()  # whether this thread's last unit of work reached the database


def clear_contact() -> None:
    """Forget this thread's last contact with the database (before a call is watched)."""
    _contact.answered = None


def last_contact() -> bool | None:
    """Did this thread's last unit of work since clear_contact() reach the database?
    True: it answered; False: it could not be reached; None: no unit ran. The status bar
    shows this, so a reply made from kept data while offline does not read as online."""
    return getattr(_contact, "answered", None)


class _DatabaseErrors:
    """Turn a lost or refused connection into a message for the screen.

    A class, not a generator context manager: it wraps every board refresh, and this
    costs a third as much (bench: board query vs hand-written SQL).
    """

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is None or not issubclass(exc_type, _DATABASE_FAULTS):
            if exc_type is None or not issubclass(exc_type, DatabaseUnavailable):
                _contact.answered = True
            return False
        if not is_connection_fault(exc):
            _contact.answered = True
            return False  # a bug, not an outage: let it be logged as one
        _contact.answered = False
        if "locked" in str(exc):  # SQLite waited SQLITE_BUSY_TIMEOUT_MS first (bounded)
            raise DatabaseUnavailable(
                _("The database is busy (another terminal is writing). Try again."),
                connection_lost=False,
            ) from exc
        raise DatabaseUnavailable(_(UNAVAILABLE_MESSAGE)) from exc


_DATABASE_ERRORS = _DatabaseErrors()


def database_errors() -> _DatabaseErrors:
    """`with database_errors():` a dropped, refused or busy database becomes
    DatabaseUnavailable (with a message for the screen); faulty queries stay bugs."""
    return _DATABASE_ERRORS


_SQLITE_FAULTS = (
    "locked",
    "unable to open",
    "disk i/o",
    "readonly",
    "read-only",
    "disk is full",
    "closed database",  # the handle went away under the unit
)


def is_connection_fault(exc: Exception) -> bool:
    """True for a lost, refused or locked database; False for a faulty query."""
    if isinstance(exc, peewee.InterfaceError):
        return True
    if db.is_postgresql():
        # psycopg raises OperationalError only for connection trouble; a ProgrammingError
        # is a faulty query
        return isinstance(exc, peewee.OperationalError)
    return any(fault in str(exc).lower() for fault in _SQLITE_FAULTS)


@contextlib.contextmanager
def transaction() -> Iterator[peewee.Database]:
    """One write transaction; listeners hear of it when it commits (see services.live)."""
    from kiosk.services.live import announce

    with database_errors(), db.connection() as database, db.write_transaction(database):
        yield database
        if database.transaction_depth() == 1:
            announce()


_RETRY = object()


def _attempt(function: Callable[P, R], args, kwargs, *, last: bool) -> R | object:
    """Run a unit on this thread's connection; `_RETRY` when it dropped after connecting."""
    with database_errors(), db.connection():  # a refused connect is reported at once
        try:
            with database_errors():
                return function(*args, **kwargs)
        except DatabaseUnavailable as fault:
            if last or not fault.connection_lost:
                raise
            log.warning(
                "%s: the database connection dropped during the unit; trying once more",
                function.__qualname__,
            )
    # leaving db.connection() gave the dead connection back: the pool discards it
    return _RETRY


def run_retrying_once(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a unit of work; if the connection drops during it, run it once more on a fresh
    connection, then report. Only for units that are safe to run twice (they read, or
    what they write carries ids made before the first attempt).

    Inside an outer unit the outer one owns the connection and decides: no retry here.
    """
    if db.connection_open():
        with database_errors():
            return function(*args, **kwargs)
    outcome = _attempt(function, args, kwargs, last=False)
    if outcome is _RETRY:
        outcome = _attempt(function, args, kwargs, last=True)
    return outcome  # type: ignore[return-value]


def read_only(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function on this thread's connection (no transaction).

    Reading twice is harmless, so a connection that drops during the read is retried once.
    """

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_retrying_once(function, *args, **kwargs)

    return wrapper


def idempotent(**make_ids: Callable[[], object]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A write that is safe to run twice: retried once if the connection drops during it.

    `make_ids` names the keyword arguments that carry the kiosk-made ids of what the
    unit stores (e.g. `defect_id=uuid.uuid4`): a missing one is made before the first
    attempt, so the retry stores under the same id, and a unit that finds its id stored
    already returns what is there. Units keyed by an idempotency key (the ledger) or a
    unique row (a contest answer) need no ids here.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for name, make in make_ids.items():
                if kwargs.get(name) is None:
                    kwargs[name] = make()
            return run_retrying_once(function, *args, **kwargs)

        return wrapper

    return decorate


def atomic(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function in one transaction on this thread's connection."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction():
            return function(*args, **kwargs)

    return wrapper
