"""Base model bound to the shared proxy, and field helpers (UTC times, UUIDs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from peewee import DateTimeField, Model, ModelDelete

from models.db import database_proxy


class UTCDateTimeField(DateTimeField):
    """Stores naive UTC in the database, hands back timezone-aware UTC datetimes."""

    def db_value(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC field: pass an aware datetime")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        # types-peewee leaves Field.db_value/python_value unannotated
        stored: datetime | None = super().db_value(naive)  # type: ignore[no-untyped-call]
        return stored

    def python_value(self, value: object) -> datetime | None:
        parsed: object = super().python_value(value)  # type: ignore[no-untyped-call]
        if isinstance(parsed, datetime):
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        if parsed is None:
            return None
        # Peewee hands back text it could not parse as it was; no row is written that way
        raise ValueError(f"not a date and time in a UTC field: {parsed!r}")


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


class BaseModel(Model):
    """A table of the shared database. For the type checker each table writes out its key
    (`id = AutoField()` is the key Peewee adds by itself when none is named) and, under
    each foreign key `x`, the `x_id: int` (or `UUID`, `| None`) attribute Peewee makes."""

    if TYPE_CHECKING:  # types-peewee's `delete` (a generic descriptor) is ambiguous on a class

        @classmethod
        def delete(cls) -> ModelDelete: ...

    class Meta:
        database = database_proxy
        legacy_table_names = False
