"""Teams and employees."""

from __future__ import annotations

from peewee import BooleanField, CharField, ForeignKeyField

from models.base import BaseModel

ROLES = ("operator", "team_leader", "supervisor", "quality_admin")
DEPARTMENTS = (
    "Manufacturing",
    "Quality",
    "Production Technology",
    "Purchasing",
    "R&D",
    "HR",
    "PMC",
)
TEAM_KINDS = ("line", "contest")


class Team(BaseModel):
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    kind = CharField(max_length=16, default="line")
    active = BooleanField(default=True)


class Employee(BaseModel):
    badge_code = CharField(max_length=64, unique=True)
    name = CharField(max_length=120)
    department = CharField(max_length=40)
    team = ForeignKeyField(Team, backref="members", null=True, on_delete="SET NULL")
    role = CharField(max_length=16, default="operator")
    active = BooleanField(default=True)
    pin_hash = CharField(max_length=255, null=True)
