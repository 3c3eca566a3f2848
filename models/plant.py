"""Production lines, stations, suppliers and plant-wide settings."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, TextField

from models.base import BaseModel
from models.people import Team


class ProductionLine(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    team = ForeignKeyField(Team, backref="lines", null=True, on_delete="SET NULL")
    team_id: int | None
    active = BooleanField(default=True)


class Station(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    line = ForeignKeyField(ProductionLine, backref="stations", on_delete="CASCADE")
    line_id: int
    team = ForeignKeyField(Team, backref="stations", null=True, on_delete="SET NULL")
    team_id: int | None
    active = BooleanField(default=True)


class Supplier(BaseModel):
    id = AutoField()
    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=120)
    active = BooleanField(default=True)


class PlantSetting(BaseModel):
    """Key/value settings shared by every terminal (e.g. the label signing key)."""

    key = CharField(max_length=64, primary_key=True)
    value = TextField()
