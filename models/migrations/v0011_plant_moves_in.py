"""Schema step 11: a real plant moves in (departments as data, PIN enrolment codes,
campaign targets; a campaign's name is unique and at most one campaign is active).

The tables are defined here as they are at this step (frozen), not taken from
today's model classes, so a database upgraded through this step and one created
fresh end the same.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, Database, ForeignKeyField, Model

from models.base import UTCDateTimeField
from models.db import is_postgresql
from models.migrations.frozen import bound, existing, frozen_base

VERSION = 11
TITLE = "departments as data, one-time PIN enrolment codes, campaign targets"

NEW_CAMPAIGN_COLUMNS = {
    "target_correction_rate_percent": 100,
    "target_training_coverage_percent": 100,
    "target_fpy_percent": 98,
    "target_high_risk_supplier_percent": 10,
}


def _frozen_tables(database: Database) -> list[type[Model]]:
    Frozen = frozen_base()

    Employee = existing(Frozen, "employee")

    class Department(Frozen):
        code = CharField(max_length=32, unique=True)
        name = CharField(max_length=120, unique=True)
        active = BooleanField(default=True)

    class EnrolmentCode(Frozen):
        employee = ForeignKeyField(Employee, on_delete="RESTRICT")
        code_hash = CharField(max_length=255)
        issued_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
        issued_at = UTCDateTimeField()
        expires_at = UTCDateTimeField()
        used_at = UTCDateTimeField(null=True)

    return bound(database, [Department, EnrolmentCode])


def apply(database: Database) -> None:
    present = {column.name for column in database.get_columns("campaign")}
    for name, default in NEW_CAMPAIGN_COLUMNS.items():
        if name not in present:
            database.execute_sql(
                f"ALTER TABLE campaign ADD COLUMN {name} INTEGER NOT NULL DEFAULT {int(default)}"
            )
    database.create_tables(_frozen_tables(database), safe=True)
    # campaigns: a name names one campaign; at most one campaign is active at a time
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS campaign_name ON campaign (name)")
    database.execute_sql(
        f"CREATE UNIQUE INDEX IF NOT EXISTS campaign_one_active ON campaign (active) "
        f"WHERE active = {'TRUE' if is_postgresql(database) else '1'}"
    )
    # the departments employees already name become the plant's list (code = name)
    true = "TRUE" if is_postgresql(database) else "1"
    database.execute_sql(
        "INSERT INTO department (code, name, active) "
        f"SELECT DISTINCT SUBSTR(department, 1, 32), department, {true} FROM employee "
        "WHERE department <> '' AND department NOT IN (SELECT name FROM department)"
    )
