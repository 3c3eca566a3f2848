"""Units of work: one connection and one transaction around a service call."""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar, overload

import peewee

from kiosk.errors import ConstraintConflict, DatabaseBusy, DatabaseUnavailable
from kiosk.i18n import N_, _
from models import db

log = logging.getLogger("kiosk.services.platform.uow")
P = ParamSpec("P")
R = TypeVar("R")
Q = TypeVar("Q", bound=peewee.Select)

UNAVAILABLE_MESSAGE = N_(
    "The quality database cannot be reached right now. Nothing you entered is lost: "
    "try again in a moment, or call the quality office if this stays."
)


_contact = threading.local()  # whether this thread's last unit of work reached the database

# What a database error means, from the database's own codes (classify_fault)
LOST = "lost"  # the connection is gone or was refused: cannot be reached
BUSY = "busy"  # it answered, but a lock or a limit stopped it: try again in a moment
TRANSIENT = "transient"  # deadlock or serialization failure: run the whole unit again
CONSTRAINT = "constraint"  # the data conflicts with what is stored

# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_PG_LOST = {"57P01", "57P02", "57P03"}  # admin / crash shutdown, cannot connect now
_PG_TRANSIENT = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_PG_BUSY = {"55P03", "57014", "53300", "53400"}  # lock_not_available, query_canceled
# (statement / lock timeouts), too_many_connections, configuration_limit_exceeded
# SQLite primary result codes (https://www.sqlite.org/rescode.html)
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY (after the bounded wait), SQLITE_LOCKED
_SQLITE_LOST = {8, 10, 11, 13, 14, 26}  # READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB
_SQLITE_CONSTRAINT = 19


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception, which Peewee keeps as `orig` on its own."""
    original = getattr(exc, "orig", None)
    return original if isinstance(original, BaseException) else exc


def _is_database_error(exc: BaseException) -> bool:
    # psycopg's subclasses (DeadlockDetected...) are two levels below the DB-API classes
    # Peewee maps, so some arrive unwrapped; checked by module to keep psycopg unloaded
    return isinstance(exc, peewee.PeeweeException) or type(exc).__module__.startswith("psycopg")


def classify_fault(exc: BaseException) -> str | None:
    """LOST, BUSY, TRANSIENT or CONSTRAINT by the database's own error code (SQLSTATE on
    PostgreSQL, the result code on SQLite); None for a faulty query (a bug)."""
    if not _is_database_error(exc):
        return None
    if isinstance(exc, peewee.InterfaceError):
        return LOST
    original = _driver_error(exc)
    state = getattr(original, "sqlstate", None)
    if type(original).__module__.startswith("psycopg"):
        if state is None:  # raised by the client: the connection failed or went away
            names = {kind.__name__ for kind in type(original).__mro__}
            return LOST if names & {"OperationalError", "InterfaceError"} else None
        if state.startswith("08") or state in _PG_LOST:
            return LOST
        if state in _PG_TRANSIENT:
            return TRANSIENT
        if state in _PG_BUSY:
            return BUSY
        return CONSTRAINT if state.startswith("23") else None
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary in _SQLITE_BUSY:
            return BUSY
        if primary in _SQLITE_LOST:
            return LOST
        return CONSTRAINT if primary == _SQLITE_CONSTRAINT else None
    if "closed database" in str(exc).lower():  # the handle went away under the unit
        return LOST
    return None


def is_connection_fault(exc: Exception) -> bool:
    """True for a lost or refused database; False for anything the database answered."""
    return classify_fault(exc) == LOST


def clear_contact() -> None:
    """Forget this thread's last contact with the database (before a call is watched)."""
    _contact.answered = None


def last_contact() -> bool | None:
    """Did this thread's last unit of work since clear_contact() reach the database?
    True: it answered; False: it could not be reached; None: no unit ran. The status bar
    shows this, so a reply made from kept data while offline does not read as online."""
    return getattr(_contact, "answered", None)


class TransientConflict(DatabaseBusy):
    """A deadlock or serialization failure: the database rolled the unit back. The unit
    entry points run it again (retry_transient); one that cannot reports it as busy."""


BUSY_MESSAGE = N_("The database is busy (another terminal is writing). Try again.")


class _DatabaseErrors:
    """Turn a database fault into a message for the screen, by what the fault is.

    A class, not a generator context manager: it wraps every board refresh, and this
    costs a third as much (bench: board query vs hand-written SQL).
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        if exc is None:
            _contact.answered = True
            return False
        if isinstance(exc, DatabaseUnavailable):
            return False  # an inner unit decided already
        fault = classify_fault(exc)
        if fault is None:
            _contact.answered = True
            return False  # a bug, not an outage: let it be logged as one
        if fault == LOST:
            _contact.answered = False
            raise DatabaseUnavailable(_(UNAVAILABLE_MESSAGE)) from exc
        _contact.answered = True
        if fault == CONSTRAINT:
            raise ConstraintConflict(
                _(
                    "The database refused this change: it conflicts with data already "
                    "stored (another terminal may have just made it). Check and try again."
                )
            ) from exc
        if fault == TRANSIENT:
            raise TransientConflict(_(BUSY_MESSAGE)) from exc
        raise DatabaseBusy(_(BUSY_MESSAGE)) from exc


_DATABASE_ERRORS = _DatabaseErrors()


def database_errors() -> _DatabaseErrors:
    """`with database_errors():` a dropped or refused database becomes DatabaseUnavailable,
    a busy one DatabaseBusy, a constraint Conflict (each with a message for the screen);
    faulty queries stay bugs."""
    return _DATABASE_ERRORS


_commits = threading.local()  # how many outermost write transactions this thread committed


def commits_so_far() -> int:
    """Outermost write transactions this thread has committed (see run_again_if_rolled_back)."""
    return getattr(_commits, "count", 0)


def for_update(query: Q) -> Q:
    """The query with row locks (SELECT ... FOR UPDATE) on PostgreSQL; SQLite's write
    transactions are exclusive already, so there it is the query as it is."""
    return query.for_update() if db.is_postgresql() else query


@contextlib.contextmanager
def transaction() -> Iterator[peewee.Database]:
    """One write transaction; listeners hear of it when it commits (see services.live)."""
    from kiosk.services.platform.live import announce

    with database_errors(), db.connection() as database:
        outermost = database.transaction_depth() == 0
        with db.noting_writes() as written, db.write_transaction(database):
            yield database
            if database.transaction_depth() == 1:
                announce(written)  # what kinds of data it wrote: boards re-read only those
        if outermost:
            _commits.count = commits_so_far() + 1


class _Retry:
    """What an attempt gives back when the connection dropped after connecting."""


_RETRY = _Retry()
TRANSIENT_ATTEMPTS = 4  # a deadlock or serialization failure: run the unit up to 4 times


def _attempt(
    function: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any], *, last: bool
) -> R | _Retry:
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


def _retrying_transient(run: Callable[[], R], name: str) -> R:
    """Run a whole unit again after a deadlock or serialization failure (the database
    rolled all of it back, so running it again is safe), with a growing random pause;
    still failing after TRANSIENT_ATTEMPTS, it is reported as busy."""
    for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
        try:
            return run()
        except TransientConflict:
            if attempt == TRANSIENT_ATTEMPTS:
                raise
            log.warning("%s: deadlock or serialization failure; running it again", name)
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise AssertionError("unreachable")


def run_retrying_once(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a unit of work; if the connection drops during it, run it once more on a fresh
    connection, then report. Only for units that are safe to run twice (they read, or
    what they write carries ids made before the first attempt). A deadlock or
    serialization failure runs it again up to TRANSIENT_ATTEMPTS times.

    Inside an outer unit the outer one owns the connection and decides: no retry here.
    """
    if db.connection_open():
        with database_errors():
            return function(*args, **kwargs)

    def run() -> R:
        outcome = _attempt(function, args, kwargs, last=False)
        if isinstance(outcome, _Retry):
            outcome = _attempt(function, args, kwargs, last=True)
        if isinstance(outcome, _Retry):  # the last attempt raises rather than give this
            raise AssertionError("a unit's last attempt asked to be run again")
        return outcome

    return _retrying_transient(run, function.__qualname__)


def run_again_if_rolled_back(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a whole service call; after a deadlock or serialization failure that left
    nothing committed by this call (the database rolled its one write back), run it
    again, up to TRANSIENT_ATTEMPTS times with a growing random pause. A call that had
    committed a transaction before the failure is reported as busy instead: running it
    again could repeat what it wrote. This is what the screens call every service
    through, so services that open `with transaction()` themselves are retried too."""
    for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
        before = commits_so_far()
        try:
            return function(*args, **kwargs)
        except TransientConflict:
            if attempt == TRANSIENT_ATTEMPTS or commits_so_far() != before:
                raise
            log.warning(
                "%s: deadlock or serialization failure, nothing written; running it again",
                getattr(function, "__qualname__", function),
            )
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise AssertionError("unreachable")


# -- The pair every service uses: `@read` for a unit that only reads, `@write` for one that
# writes. (`transaction()` above is what `@write` is built on; only batch writers that
# commit as they go, the plant-scale seeding, open it themselves.)


def read(function: Callable[P, R]) -> Callable[P, R]:
    """A unit that only reads: this thread's connection, no transaction. Reading twice is
    harmless, so a connection that drops during the read is retried once."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_retrying_once(function, *args, **kwargs)

    return wrapper


@overload
def write(function: Callable[P, R]) -> Callable[P, R]: ...


@overload
def write(
    function: None = None,
    *,
    idempotent: bool = False,
    ids: dict[str, Callable[[], object]] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def write(
    function: Callable[P, R] | None = None,
    *,
    idempotent: bool = False,
    ids: dict[str, Callable[[], object]] | None = None,
) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
    """A unit that writes: the whole call is one transaction (its rows, its audit row, its
    ledger rows), announced to the boards when it commits, and run again after a deadlock
    or serialization failure when it is the outermost unit.

    `idempotent=True`: the unit is also safe to run twice (what it stores is keyed by an
    idempotency key, a unique row, or ids made before the first attempt), so when the
    connection drops during it, it runs once more on a fresh connection. `ids` names the
    keyword arguments that carry those kiosk-made ids (`ids={"defect_id": uuid.uuid4}`):
    a missing one is made before the first attempt, so the retry stores under the same id.

    `@write` or `@write(idempotent=True, ids=...)`.
    """
    if ids and not idempotent:
        raise TypeError("ids are for an idempotent write")

    def decorate(unit: Callable[P, R]) -> Callable[P, R]:
        def in_transaction(*args: P.args, **kwargs: P.kwargs) -> R:
            with transaction():
                return unit(*args, **kwargs)

        if not idempotent:

            @functools.wraps(unit)
            def once(*args: P.args, **kwargs: P.kwargs) -> R:
                if db.connection_open():  # inside an outer unit: it owns the connection
                    return in_transaction(*args, **kwargs)
                return _retrying_transient(
                    lambda: in_transaction(*args, **kwargs), unit.__qualname__
                )

            return once

        @functools.wraps(unit)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for name, make in (ids or {}).items():
                if kwargs.get(name) is None:
                    kwargs[name] = make()
            in_transaction.__qualname__ = unit.__qualname__
            return run_retrying_once(in_transaction, *args, **kwargs)

        return wrapper

    return decorate if function is None else decorate(function)
