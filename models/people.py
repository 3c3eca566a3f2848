"""Teams and employees."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, ForeignKeyField

from models.base import BaseModel, UTCDateTimeField

ROLES = ("operator", "team_leader", "supervisor", "quality_admin")
TEAM_KINDS = ("line", "contest")


class Department(BaseModel):
    """The plant's own departments (data, not a list in the code; schema step 11).

    An employee's `department` holds the department's name as shown; renaming a
    department renames it on its employees in the same transaction.
    """

    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120, unique=True)
    active = BooleanField(default=True)


class Team(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    kind = CharField(max_length=16, default="line")
    active = BooleanField(default=True)


class Employee(BaseModel):
    id = AutoField()
    badge_code = CharField(max_length=64, unique=True)
    name = CharField(max_length=120)
    department = CharField(max_length=40)
    team = ForeignKeyField(Team, backref="members", null=True, on_delete="SET NULL")
    team_id: int | None
    role = CharField(max_length=16, default="operator")
    active = BooleanField(default=True)
    pin_hash = CharField(max_length=255, null=True)


class EnrolmentCode(BaseModel):
    """A one-time code a supervisor issues so a person can choose their own PIN (step 11).

    Only a hash of the code is kept; it is good once, until `expires_at`.
    """

    id = AutoField()
    employee = ForeignKeyField(Employee, backref="enrolment_codes", on_delete="RESTRICT")
    employee_id: int
    code_hash = CharField(max_length=255)
    issued_by = ForeignKeyField(Employee, null=True, on_delete="RESTRICT")
    issued_by_id: int | None
    issued_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
