"""Versioned schema migrations.

Each step is a function taking the database; steps run in order inside one
transaction per step, and the `schema_version` table records the highest step
applied, so `kiosk db upgrade` is safe to run any number of times. On
PostgreSQL the whole upgrade holds an advisory lock, so two kiosks upgrading at
once apply each step once.

Every step is a module of its own in this package named `vNNNN_what.py` that
defines `VERSION` (int), `TITLE` (str) and `apply(database)`; they are found by
name, so adding a step touches no shared file.

Steps are frozen: a step writes out the tables it creates as they are at that
step (peewee classes defined inside the step, or plain SQL), never today's model
classes from `models.*`, so a model edited later cannot change what an old step
creates. A step that adds a column to an existing table checks
`database.get_columns()` first and uses plain `ALTER TABLE ... ADD COLUMN`.
tests/test_migrations.py builds a database at every step, upgrades it and
compares its whole schema with a fresh one, on both engines.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from peewee import Database, IntegerField

from models.base import BaseModel, UTCDateTimeField
from models.db import is_postgresql, write_transaction

ADVISORY_LOCK_ID = 0x514B_0001  # "QK" + 1


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied_at = UTCDateTimeField()


Step = tuple[int, str, Callable[[Database], None]]


def _discover_steps() -> list[Step]:
    steps: list[Step] = []
    for module_info in pkgutil.iter_modules(__path__):
        if not module_info.name.startswith("v"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        steps.append((module.VERSION, module.TITLE, module.apply))
    steps.sort(key=lambda step: step[0])
    versions = [step[0] for step in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise RuntimeError(f"migration steps must be numbered 1..N without gaps: {versions}")
    return steps


STEPS: list[Step] = _discover_steps()

LATEST_VERSION = STEPS[-1][0]


def current_version(database: Database) -> int:
    """The schema version of the database, 0 when it has never been upgraded."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).first()
    return row.version if row else 0


def upgrade(
    database: Database, now: Callable[[], object], *, until: int | None = None
) -> list[int]:
    """Apply every missing step (up to step `until`, when given); return the versions
    applied now."""
    applied: list[int] = []
    with write_transaction(database):
        if is_postgresql(database):
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_ID,))
        database.create_tables([SchemaVersion], safe=True)
        version = current_version(database)
        for step_version, _title, step in STEPS:
            if step_version <= version or (until is not None and step_version > until):
                continue
            with database.atomic():
                step(database)
                SchemaVersion.create(version=step_version, applied_at=now())
            applied.append(step_version)
    return applied
