"""Audit trail of privileged and refused actions."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, TextField

from models.base import BaseModel, UTCDateTimeField
from models.people import Employee


class AuditEntry(BaseModel):
    id = AutoField()
    at = UTCDateTimeField(index=True)
    actor = ForeignKeyField(Employee, backref="audit", null=True, on_delete="RESTRICT")
    actor_id: int | None
    action = CharField(max_length=64)
    target = CharField(max_length=128, default="")
    allowed = BooleanField()
    detail = TextField(default="")
    terminal = CharField(max_length=64, null=True)
