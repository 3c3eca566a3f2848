"""Helpers for the tables a step writes out (frozen): a base class, a stand-in for a
table an earlier step made, and binding. Old steps run through these: change nothing here
that would change what they create (tests/test_migrations.py compares the schemas)."""

from __future__ import annotations

from peewee import Database, Model, UUIDField


def frozen_base() -> type[Model]:
    """A base for one step's tables: snake_case table names, no database yet."""

    class Frozen(Model):
        class Meta:
            legacy_table_names = False

    return Frozen


def existing(base: type[Model], table_name: str, *, uuid_key: bool = False) -> type[Model]:
    """A table an earlier step made, declared only so that a foreign key can name it (its
    key: an integer id, or a UUID id)."""
    attributes: dict[str, object] = {
        "Meta": type("Meta", (), {"table_name": table_name}),
        "__module__": __name__,
    }
    if uuid_key:
        attributes["id"] = UUIDField(primary_key=True)
    name = "".join(part.title() for part in table_name.split("_"))
    return type(name, (base,), attributes)


def bound(database: Database, tables: list[type[Model]]) -> list[type[Model]]:
    for table in tables:
        table.bind(database)
    return tables
