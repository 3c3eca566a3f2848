"""The database connection: one proxy, initialised once from a URL.

`sqlite:///path/to/file.db` (the embedded default) or
`postgresql://user:password@host:5432/dbname` (a plant's shared server).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import unquote, urlparse

from peewee import (
    BaseQuery,
    Database,
    DatabaseProxy,
    Field,
    Model,
    PostgresqlDatabase,
    SqliteDatabase,
    _atomic,
)
from peewee import (  # type: ignore[attr-defined]  # peewee has it; types-peewee omits it
    __exception_wrapper__ as driver_errors_as_peewee_errors,
)
from playhouse import db_url
from playhouse.pool import PooledPostgresqlDatabase

from models.drivers import enable_postgresql

database_proxy = DatabaseProxy()

SQLITE_BUSY_TIMEOUT_MS = 10_000
# PostgreSQL connections one kiosk process may hold at once (QK_DB_POOL_SIZE), and how
# many of them it keeps open while idle: one for queries (the change feed's LISTEN is
# the other). Hundreds of terminals then hold two server connections each at most.
POOL_SIZE = 8
IDLE_CONNECTIONS = 1


class DatabaseUrlError(ValueError):
    """The database URL cannot be understood."""


@dataclass(frozen=True)
class DatabaseTarget:
    """What a URL points at, safe to show on screen (never the password)."""

    engine: str  # "sqlite" or "postgresql"
    host: str
    port: int | None
    name: str
    user: str

    password: str = field(default="", repr=False)

    def password_in(self, text: str) -> bool:
        return bool(self.password) and self.password in text

    def describe(self) -> str:
        if self.engine == "sqlite":
            return f"SQLite file {self.name}"
        port = f":{self.port}" if self.port else ""
        user = f" as user {self.user!r}" if self.user else ""
        return f"PostgreSQL database {self.name!r} on {self.host or 'localhost'}{port}{user}"


def describe_url(url: str) -> DatabaseTarget:
    parsed = urlparse(url)
    scheme = parsed.scheme.split("+")[0]
    if scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        if parsed.netloc:
            path = parsed.netloc + parsed.path
        if not path:
            raise DatabaseUrlError(
                f"{url!r} names no file: use sqlite:////absolute/path.db or sqlite:///relative.db"
            )
        return DatabaseTarget("sqlite", "", None, path, "")
    if scheme in ("postgres", "postgresql"):
        name = parsed.path.lstrip("/")
        if not name:
            raise DatabaseUrlError(
                "the PostgreSQL URL names no database: use postgresql://user:password@host/dbname"
            )
        try:
            port = parsed.port
        except ValueError as exc:
            raise DatabaseUrlError(f"the port in the database URL is not a number: {exc}") from exc
        return DatabaseTarget(
            "postgresql",
            parsed.hostname or "",
            port,
            name,
            parsed.username or "",
            unquote(parsed.password or ""),
        )
    raise DatabaseUrlError(
        f"unsupported database URL scheme {parsed.scheme!r}: use sqlite:///FILE or postgresql://…"
    )


_application_name = f"quality-kiosk {os.getpid()}"


def set_application_name(name: str) -> None:
    """How this process's connections are named on the server (pg_stat_activity)."""
    global _application_name
    _application_name = name[:63]


def application_name() -> str:
    return _application_name


def connect_params(url: str) -> dict[str, Any]:
    """Keyword arguments for a PostgreSQL driver connection (psycopg.connect) from a URL."""
    params: dict[str, Any] = db_url.parse(
        url.replace("postgres://", "postgresql://", 1), unquote_password=True
    )
    params.setdefault("connect_timeout", 5)
    params.setdefault("application_name", _application_name)
    return params


# -- which tables a write transaction wrote (services.live tells the boards) -------------

_writes = threading.local()
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)',
    re.IGNORECASE,
)


def _note_write(sql: str) -> None:
    tables = getattr(_writes, "tables", None)
    if tables is not None and sql[:1] in "IUDiud ":
        match = _WRITE.match(sql)
        if match:
            tables.add(match.group(1).lower())


def note_write(table: str) -> None:
    """Note a table written by the database itself (a function the transaction called),
    as an INSERT into it would be noted."""
    tables = getattr(_writes, "tables", None)
    if tables is not None:
        tables.add(table)


@contextlib.contextmanager
def noting_writes() -> Iterator[set[str]]:
    """Collect the tables this thread writes (INSERT, UPDATE, DELETE) inside the block;
    an inner block shares the outer one's set."""
    tables = getattr(_writes, "tables", None)
    if tables is not None:
        yield tables
        return
    _writes.tables = tables = set()
    try:
        yield tables
    finally:
        _writes.tables = None


class _NotesWrites(Database):
    def execute_sql(self, sql: str, params: Sequence[object] | None = None) -> Any:
        _note_write(sql)
        # types-peewee leaves Database.execute_sql unannotated
        return super().execute_sql(sql, params)  # type: ignore[no-untyped-call]


class KioskSqliteDatabase(_NotesWrites, SqliteDatabase):
    """SQLite, noting the tables each write transaction writes."""


class KioskPostgresqlDatabase(  # type: ignore[misc]  # types-peewee: PooledDatabase.init differs from PostgresqlDatabase.init
    _NotesWrites, PooledPostgresqlDatabase
):
    """A pool of PostgreSQL connections, noting the tables each write transaction writes.

    While some of its connections are in use the others wait in the pool for the next
    unit (a board's panels read in parallel); once none is in use, all but
    IDLE_CONNECTIONS are closed, so an idle kiosk holds one query connection."""

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        with self._pool_lock:
            super()._close(conn, close_conn)
            if not self._in_use:
                while len(self._connections) > IDLE_CONNECTIONS:
                    _stamp, _counter, extra = heapq.heappop(self._connections)  # oldest
                    self._close_raw(extra)


def pool_size() -> int:
    """QK_DB_POOL_SIZE, else POOL_SIZE: connections one process may hold at once."""
    try:
        return max(int(os.environ.get("QK_DB_POOL_SIZE", POOL_SIZE)), 1)
    except ValueError:
        return POOL_SIZE


def behind_pooler(url: str) -> bool:
    """A direct URL given beside it (QK_DIRECT_DATABASE_URL): `url` reaches the server
    through a transaction pooler (PgBouncer), so no server-side prepared statements."""
    direct = os.environ.get("QK_DIRECT_DATABASE_URL", "").strip()
    return bool(direct) and direct != url


def direct_url(url: str) -> str:
    """Where a session must reach the server itself (LISTEN, migrations): the direct URL
    when one is set (QK_DIRECT_DATABASE_URL), else `url`."""
    direct = os.environ.get("QK_DIRECT_DATABASE_URL", "").strip()
    return direct if direct and describe_url(url).engine == "postgresql" else url


def make_database(url: str) -> Database:
    """Build (but do not open) the Peewee database for a URL."""
    target = describe_url(url)
    if target.engine == "sqlite":
        return KioskSqliteDatabase(
            target.name,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                "synchronous": "normal",
            },
        )
    enable_postgresql()
    params = connect_params(url)
    if behind_pooler(url):  # PgBouncer in transaction mode: a session's statements are gone
        params["prepare_threshold"] = None
    return KioskPostgresqlDatabase(
        prefer_psycopg3=True,
        max_connections=pool_size(),
        stale_timeout=300,
        timeout=10,
        **params,
    )


_bound_url: str | None = None


def bound_url() -> str | None:
    """The URL the shared proxy was last bound to (for side connections, e.g. LISTEN)."""
    return _bound_url


def bind(url: str) -> Database:
    """Initialise the shared proxy from a URL and return the real database."""
    global _bound_url
    database = make_database(url)
    _bound_url = url
    if isinstance(database_proxy.obj, Database) and not database_proxy.obj.is_closed():
        with contextlib.suppress(Exception):
            close_all(database_proxy.obj)
    database_proxy.initialize(database)
    return database


def close_all(database: Database | None = None) -> None:
    database = database or database_proxy.obj
    if database is None:
        return
    if isinstance(database, PooledPostgresqlDatabase):
        database.close_all()
    elif not database.is_closed():
        database.close()


def is_postgresql(database: Database | None = None) -> bool:
    database = database or database_proxy.obj
    return isinstance(database, PostgresqlDatabase)


def server_now() -> datetime:
    """The PostgreSQL server's clock (clock_timestamp(): the moment of asking, not the
    transaction's start), timezone-aware in UTC. Kiosk clocks drift; one server decides."""
    database = database_proxy.obj
    if not isinstance(database, PostgresqlDatabase):
        raise RuntimeError("server_now() is for PostgreSQL; SQLite runs on this machine's clock")
    moment: datetime = database.execute_sql("SELECT clock_timestamp()").fetchone()[0]
    return moment.astimezone(UTC)


def fetch_all(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    """Run compiled SQL on this thread's connection and return its rows as the driver gives
    them: the driver's cursor under Peewee's error mapping, without Peewee's query
    logging (for a board query run every second; bench/board.py)."""
    database = database_proxy.obj
    with driver_errors_as_peewee_errors:
        cursor = database.connection().cursor()
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def connection_open() -> bool:
    """True while this thread holds its connection (inside a unit of work)."""
    database = database_proxy.obj
    return database is not None and not database.is_closed()


@contextlib.contextmanager
def connection() -> Iterator[Database]:
    """Open this thread's connection for a unit of work and give it back afterwards.

    Re-entrant: an inner use inside an outer one leaves the connection open.
    """
    database = database_proxy.obj
    if database is None:
        raise RuntimeError("the database is not configured: call models.db.bind(url) first")
    opened_here = database.is_closed()
    if opened_here:
        database.connect(reuse_if_open=True)
    try:
        yield database
    finally:
        if opened_here and not database.is_closed():
            database.close()


def write_transaction(database: Database | None = None) -> _atomic:
    """A transaction that takes the write lock at once on SQLite (no upgrade deadlocks)."""
    database = database or database_proxy.obj
    if isinstance(database, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def tuples(query: BaseQuery) -> Iterable[tuple[Any, ...]]:
    """`query.tuples()` (the query, its rows as tuples), typed as what it yields:
    types-peewee gives it the model query's type, whose rows would be model instances."""
    return cast("Iterable[tuple[Any, ...]]", query.tuples())


def dicts(query: BaseQuery) -> Iterable[dict[str, Any]]:
    """`query.dicts()` (the query, its rows as dicts), typed as what it yields (as `tuples`)."""
    return cast("Iterable[dict[str, Any]]", query.dicts())


BULK_PARAMETERS = 30_000  # parameters in one statement, under SQLite's 32,766


def insert_rows(
    model: type[Model],
    fields: Sequence[Field[Any]],
    rows: Sequence[Sequence[object]],
    *,
    returning: Sequence[Field[Any]] = (),
    skip_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert many rows of `model`, thousands per statement, on this thread's connection.

    The statement is written by hand (one placeholder per value, each value through its
    field's db_value as Peewee would): for thousands of rows Peewee's query building costs
    several times the insert itself; fields left out get their defaults. `returning`
    columns come back as the driver gives them; `skip_conflicts` skips a row that breaks
    a unique rule (PostgreSQL only).
    """
    database = database_proxy.obj
    table = model._meta.table_name
    given = {field.name for field in fields}
    defaults = [
        f for f in model._meta.sorted_fields if f.name not in given and f.default is not None
    ]
    if defaults:  # as Peewee fills them: a callable default is called for each row
        fields = (*fields, *defaults)
        rows = [
            (*row, *(f.default() if callable(f.default) else f.default for f in defaults))
            for row in rows
        ]
    columns = ", ".join(field.column_name for field in fields)
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts and is_postgresql(database) else ""
    if returning:
        tail += " RETURNING " + ", ".join(field.column_name for field in returning)
    converters: list[Callable[[object], object]] = [field.db_value for field in fields]
    size = max(1, BULK_PARAMETERS // len(fields))
    returned: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        values = [
            convert(value) for row in chunk for convert, value in zip(converters, row, strict=True)
        ]
        sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{tail}"
        with driver_errors_as_peewee_errors:
            cursor = database.connection().cursor()
            cursor.execute(sql, values)
            if returning:
                returned.extend(tuple(row) for row in cursor.fetchall())
    return returned
