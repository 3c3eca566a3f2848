"""Base model bound to the shared proxy, and field helpers (UTC times, UUIDs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from peewee import DateTimeField, Model

from models.db import database_proxy


class UTCDateTimeField(DateTimeField):
    """Stores naive UTC in the database, hands back timezone-aware UTC datetimes."""

    def db_value(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC field: pass an aware datetime")
        return super().db_value(value.astimezone(UTC).replace(tzinfo=None))

    def python_value(self, value: object) -> datetime | None:
        parsed = super().python_value(value)
        if isinstance(parsed, datetime):
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return parsed


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False
