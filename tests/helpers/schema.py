"""Pretending a database is at an older schema step, to test what an upgrade from it does."""

from __future__ import annotations

from models import db
from models.migrations import SchemaVersion, v0024_coverage_rollup, v0025_quick_fix_guards
from models.migrations.v0018_defect_rollups import drop_sqlite_guards


def forget_steps_from(database, version: int) -> None:
    """This database says it is at step `version - 1`: the later steps' rows are forgotten,
    so `kiosk db upgrade` runs them again. On SQLite the rollups' guard triggers (step 18)
    are lifted too: a database of an earlier step had none, and the steps before 18 rebuild
    rollups that the guards would refuse to see rebuilt (and those of steps 24 and 25 from
    those steps on)."""
    SchemaVersion.delete().where(SchemaVersion.version >= version).execute()
    if version <= 18 and not db.is_postgresql(database):
        drop_sqlite_guards(database)
    if not db.is_postgresql(database):
        for step in (v0024_coverage_rollup, v0025_quick_fix_guards):
            if version <= step.VERSION:
                step.drop_sqlite_guards(database)
