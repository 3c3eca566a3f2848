"""Opening the database from a URL, checking it, and upgrading its schema."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee

from kiosk.clock import Clock, SystemClock
from kiosk.errors import DatabaseUnavailable, DatabaseUnusable
from kiosk.files import private_file
from kiosk.i18n import _
from models import db, migrations
from models.migrations import v0017_read_indexes as read_indexes
from models.migrations import v0018_defect_rollups as defect_rollups
from models.migrations import v0022_top_people_index as top_people_index
from models.migrations import v0024_coverage_rollup as coverage_rollup
from models.migrations import v0026_ledger_cause_index as ledger_cause_index


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


def _read_index_steps(
    database: peewee.Database,
) -> list[
    tuple[int, dict[str, tuple[str, str]], Callable[[peewee.Database, list[str] | None], None]]
]:
    """(step, its indexes on this engine, the function that makes them) of the steps that
    keep indexes for the reads."""
    return [
        (read_indexes.VERSION, read_indexes.INDEXES, read_indexes.create_indexes),
        (
            defect_rollups.VERSION,
            defect_rollups.indexes(db.is_postgresql(database)),
            defect_rollups.create_indexes,
        ),
        (top_people_index.VERSION, top_people_index.INDEXES, top_people_index.create_indexes),
        (coverage_rollup.VERSION, coverage_rollup.INDEXES, coverage_rollup.create_indexes),
        (
            ledger_cause_index.VERSION,
            ledger_cause_index.INDEXES,
            ledger_cause_index.create_indexes,
        ),
    ]


def missing_indexes() -> list[str]:
    """The indexes the boards' and the kiosk's reads use (schema steps 17, 18, 22, 24 and
    26) that this database lacks: dropped by hand, or restored without them. Only those of
    the steps applied."""
    missing = []
    with db.connection() as database:
        version = migrations.current_version(database)
        for step, indexes, _make in _read_index_steps(database):
            if version < step:
                continue
            tables = {table for table, _columns in indexes.values()}
            present = {index.name for table in tables for index in database.get_indexes(table)}
            missing += [name for name in indexes if name not in present]
    return missing


def restore_indexes() -> list[str]:
    """Make the reads' missing indexes again (part of `kiosk db upgrade`); returns them."""
    missing = missing_indexes()
    if missing:
        with db.connection() as database, database.atomic():
            for _step, indexes, make in _read_index_steps(database):
                make(database, [name for name in missing if name in indexes])
    return missing


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


APP_ROLES = "app_roles"  # plant setting: the roles `--app-role` granted, granted again
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# what the application role may not do, beyond not owning anything (no ALTER, no
# DISABLE TRIGGER): the ledger, its chain and the audit trail are insert-only; the running
# totals are written only by the ledger's trigger (SECURITY DEFINER, schema step 13)
_APP_ROLE_REVOKES = (
    "REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entry, ledger_chain, audit_entry FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON team_point_total, schema_version FROM {role}",
    # the ledger's rollups (schema step 17), also kept by a SECURITY DEFINER trigger
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_team_hour, ledger_team_person FROM {role}",
    # the defects' rollups (schema step 18), kept by the defects' SECURITY DEFINER triggers
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE "
    "ON defect_day_source, defect_campaign_due, defect_campaign_hour FROM {role}",
    # defects per team and status (schema step 20), kept the same way
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON defect_team_status FROM {role}",
    # the quick self-fixes (schema step 21), kept by SECURITY DEFINER triggers
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON defect_quick_fix FROM {role}",
    # training coverage (schema step 24), kept by SECURITY DEFINER triggers
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE "
    "ON coverage_employees, coverage_person, coverage_passed FROM {role}",
)


def grant_app_role(role: str) -> None:
    """Give a PostgreSQL role what the kiosks need and nothing more (run as the owner,
    after the schema is current): SELECT, INSERT, UPDATE and DELETE on the plant's tables
    but INSERT and SELECT only on the ledger, its chain and the audit trail, SELECT only on
    the running totals and the schema version. Remembered, so every later
    `kiosk db upgrade` grants the new tables too."""
    if not db.is_postgresql():
        raise DatabaseUnusable(_("An application role is a PostgreSQL setting."))
    if not _ROLE_NAME.match(role):
        raise DatabaseUnusable(
            _("{role!r} is not a role name (lower-case letters, digits, _).", role=role)
        )
    with db.connection() as database, database.atomic():
        quoted = f'"{role}"'
        name = database.execute_sql("SELECT current_database()").fetchone()[0]
        for statement in (
            f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO {quoted}',
            f"GRANT USAGE ON SCHEMA public TO {quoted}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
            *(revoke.format(role=quoted) for revoke in _APP_ROLE_REVOKES),
        ):
            database.execute_sql(statement)
        roles = set(_app_roles(database)) | {role}
        database.execute_sql(
            "INSERT INTO plant_setting (key, value) VALUES (%s, %s) ON CONFLICT (key) "
            "DO UPDATE SET value = excluded.value",
            (APP_ROLES, ",".join(sorted(roles))),
        )


def _app_roles(database: peewee.Database) -> list[str]:
    row = database.execute_sql(
        "SELECT value FROM plant_setting WHERE key = %s", (APP_ROLES,)
    ).fetchone()
    return [name for name in (row[0].split(",") if row else []) if _ROLE_NAME.match(name)]


def regrant_app_roles() -> list[str]:
    """Grant the remembered application roles again (after an upgrade added tables)."""
    if not db.is_postgresql():
        return []
    with db.connection() as database:
        roles = _app_roles(database)
    for role in roles:
        grant_app_role(role)
    return roles
