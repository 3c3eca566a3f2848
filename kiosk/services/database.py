"""Opening the database from a URL, checking it, and upgrading its schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee

from kiosk.clock import Clock, SystemClock
from kiosk.errors import DatabaseUnavailable, DatabaseUnusable
from kiosk.files import private_file
from kiosk.i18n import _
from models import db, migrations


@dataclass(frozen=True)
class DatabaseStatus:
    where: str
    version: int
    latest: int

    @property
    def up_to_date(self) -> bool:
        return self.version == self.latest


def _unreachable(url: str, exc: Exception) -> DatabaseUnavailable:
    target = db.describe_url(url)
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if target.password_in(reason):
        reason = _("connection refused")
    if target.engine == "sqlite":
        hint = _("Check that the folder exists and this user may write to it.")
    else:
        hint = _(
            "Check that the server is running and reachable, and that --db or "
            "QK_DATABASE_URL names the right host, database, user and password."
        )
    return DatabaseUnavailable(
        _(
            "Cannot open {describe}: {reason}. {hint}",
            describe=target.describe(),
            reason=reason,
            hint=hint,
        )
    )


def open_database(url: str, *, create: bool = True) -> DatabaseStatus:
    """Bind the shared database to `url` and check that it answers.

    A SQLite file that is missing is made (owner-only, 0600) when `create`; otherwise it
    is refused with the command that makes it, and nothing is left on disk (a typo in
    --db does not leave an empty database behind)."""
    try:
        target = db.describe_url(url)
    except db.DatabaseUrlError as exc:
        raise DatabaseUnusable(_("The database URL is not valid: {exc}.", exc=exc)) from exc
    if target.engine == "sqlite" and target.name != ":memory:":
        path = Path(target.name).expanduser()
        if create:
            private_file(path)
        elif not path.exists():
            raise DatabaseUnusable(
                _(
                    "There is no database at {path}. Create it with `kiosk db upgrade` (or "
                    "`kiosk demo` for a demo plant), or give the right --db.",
                    path=str(path),
                )
            )
    # bound already (the CLI opened it before the app, or a test did): keep that binding
    database = db.database_proxy.obj if db.bound_url() == url else None
    if database is None:
        database = db.bind(url)
    try:
        with db.connection():
            version = migrations.current_version(database)
    except (peewee.OperationalError, peewee.InterfaceError, peewee.DatabaseError) as exc:
        raise _unreachable(url, exc) from exc
    return DatabaseStatus(target.describe(), version, migrations.LATEST_VERSION)


def upgrade(clock: Clock | None = None) -> list[int]:
    """Apply missing migrations to the bound database."""
    clock = clock or SystemClock()
    try:
        with db.connection() as database:
            return migrations.upgrade(database, clock.now)
    except peewee.DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(
            _(
                "The schema upgrade stopped: {first_line}. The failed step was rolled back; "
                "earlier steps stay applied. Fix the cause and run `kiosk db upgrade` again.",
                first_line=first_line,
            )
        ) from exc


def open_current_database(url: str) -> DatabaseStatus:
    """Open the database at `url` and require the schema this kiosk was built for
    (what a kiosk, a board or an SSH session needs before anyone uses it)."""
    status = open_database(url, create=False)
    require_current_schema(status)
    return status


def require_current_schema(status: DatabaseStatus) -> None:
    if status.version == 0:
        raise DatabaseUnusable(
            _(
                "{where} has no Quality Kiosk tables yet. Run `kiosk db upgrade` (or `kiosk "
                "demo` for a demo plant).",
                where=status.where,
            )
        )
    if status.version < status.latest:
        raise DatabaseUnusable(
            _(
                "{where} is at schema version {version}; this kiosk needs {latest}. Run `kiosk "
                "db upgrade`.",
                where=status.where,
                version=status.version,
                latest=status.latest,
            )
        )
    if status.version > status.latest:
        raise DatabaseUnusable(
            _(
                "{where} is at schema version {version}, newer than this kiosk ({latest}). "
                "Update Quality Kiosk on this terminal.",
                where=status.where,
                version=status.version,
                latest=status.latest,
            )
        )


def close() -> None:
    db.close_all()
