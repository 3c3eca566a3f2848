"""Frozen migrations: a database upgraded from any step ends identical to a fresh one.

For every schema step k (found in models/migrations, so a new step is covered the day it
is added) a database is built at step k, then upgraded to the newest step; its whole
schema (tables, columns, types, nullability, defaults, foreign keys, indexes with their
uniqueness and WHERE clause, triggers, views, and PostgreSQL's functions, constraints and
sequences) must equal that of a database upgraded straight to the newest step. Both
engines, each read from its own catalogue (sqlite_master and PRAGMAs; information_schema
and pg_catalog).

The steps must also be frozen (no step takes its tables from today's model classes), and
today's model classes must describe the schema the steps make.
"""

from __future__ import annotations

import importlib
import itertools
import os
import re
from datetime import UTC, date, datetime

import peewee
import pytest

from models import db, migrations
from models.base import BaseModel
from tests.helpers.pg import admin_execute, database_url

_names = itertools.count(1)


def _normalised(sql: str | None) -> str | None:
    if sql is None:
        return None
    sql = re.sub(r"\s+", " ", sql).strip()
    return re.sub(r"IF NOT EXISTS ", "", sql, flags=re.IGNORECASE)


def _sqlite_schema(database: peewee.Database) -> dict[str, object]:
    def rows(sql: str) -> list[tuple]:
        return database.execute_sql(sql).fetchall()

    schema: dict[str, object] = {}
    for kind, name, table, sql in rows(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ):
        if kind == "table":
            schema[f"table {name}"] = {
                "columns": {
                    column[1]: {
                        "type": column[2].upper(),
                        "not null": bool(column[3]),
                        "default": column[4],
                        "primary key": column[5],
                    }
                    for column in rows(f'PRAGMA table_xinfo("{name}")')
                },
                "foreign keys": sorted(
                    key[2:7] for key in rows(f'PRAGMA foreign_key_list("{name}")')
                ),
            }
        elif kind == "index":
            unique = [
                index[2] for index in rows(f'PRAGMA index_list("{table}")') if index[1] == name
            ]
            where = None
            if sql and " WHERE " in sql.upper():
                where = _normalised(sql[sql.upper().index(" WHERE ") + 7 :])
            schema[f"index {name}"] = {
                "table": table,
                "columns": [column[2] for column in rows(f'PRAGMA index_info("{name}")')],
                "unique": bool(unique and unique[0]),
                "where": where,
            }
        else:  # trigger, view
            schema[f"{kind} {name}"] = {"table": table, "sql": _normalised(sql)}
    return schema


def _postgresql_schema(database: peewee.Database) -> dict[str, object]:
    def rows(sql: str) -> list[tuple]:
        return database.execute_sql(sql).fetchall()

    schema: dict[str, dict] = {}
    for table, column, data_type, length, nullable, default in rows(
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
        "column_default FROM information_schema.columns WHERE table_schema = 'public'"
    ):
        entry = schema.setdefault(f"table {table}", {"columns": {}, "constraints": {}})
        entry["columns"][column] = {
            "type": data_type,
            "length": length,
            "not null": nullable == "NO",
            "default": default,
        }
    for table, name, definition in rows(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = 'public' AND c.conrelid <> 0"
    ):
        schema[f"table {table}"]["constraints"][name] = definition
    for table, name, definition in rows(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    ):
        schema[f"index {name}"] = {"table": table, "sql": definition}
    for table, name, definition in rows(
        "SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = 'public'"
    ):
        schema[f"trigger {name}"] = {"table": table, "sql": definition}
    for name, definition in rows(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
    ):
        schema[f"function {name}"] = {"sql": _normalised(definition)}
    for name, definition in rows(
        "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'"
    ):
        schema[f"view {name}"] = {"sql": _normalised(definition)}
    for (name,) in rows(
        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"
    ):
        schema[f"sequence {name}"] = {}
    return schema


def schema_of(url: str) -> dict[str, object]:
    """The whole schema of the database at `url`, without the step bookkeeping's rows."""
    database = db.bind(url)
    with db.connection():
        if db.is_postgresql(database):
            return _postgresql_schema(database)
        return _sqlite_schema(database)


def differences(first: dict, second: dict) -> list[str]:
    """What differs, one line per column, index, trigger... (readable in a failure)."""
    lines = []
    for key in sorted(set(first) | set(second)):
        a, b = first.get(key), second.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and "columns" in a:
            for part in sorted(set(a) | set(b)):
                pa, pb = a.get(part), b.get(part)
                if isinstance(pa, dict) and isinstance(pb, dict):
                    lines += [
                        f"{key} {part} {name}: {pa.get(name)} != {pb.get(name)}"
                        for name in sorted(set(pa) | set(pb))
                        if pa.get(name) != pb.get(name)
                    ]
                elif pa != pb:
                    lines.append(f"{key} {part}: {pa} != {pb}")
        else:
            lines.append(f"{key}: {a} != {b}")
    return lines


def _upgrade(url: str, until: int | None = None) -> list[int]:
    database = db.bind(url)
    with db.connection():
        return migrations.upgrade(database, lambda: datetime(2025, 9, 10, tzinfo=UTC), until=until)


@pytest.fixture
def new_database(request: pytest.FixtureRequest, db_url: str, tmp_path):
    """Makes more empty databases of the test's engine; drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        number = next(_names)
        if db_url.startswith("sqlite:"):
            return f"sqlite:///{tmp_path / f'step-{number}.db'}"
        server = request.getfixturevalue("pg_server")
        name = f"qk_steps_{os.getpid()}_{number}"
        admin_execute(server, f'CREATE DATABASE "{name}"')
        made.append(name)
        return database_url(server, name)

    yield make
    db.close_all()
    for name in made:
        admin_execute(request.getfixturevalue("pg_server"), f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_database_upgraded_from_any_step_is_identical_to_a_fresh_one(db_url, new_database):
    latest = migrations.LATEST_VERSION
    assert _upgrade(db_url) == list(range(1, latest + 1))
    fresh = schema_of(db_url)
    assert "table campaign" in fresh and "table ledger_entry" in fresh
    found = {}
    for step in range(1, latest):
        url = new_database()
        assert _upgrade(url, until=step) == list(range(1, step + 1))
        assert _upgrade(url) == list(range(step + 1, latest + 1))
        found[step] = differences(schema_of(url), fresh)
        db.close_all()
    assert found == {step: [] for step in range(1, latest)}


def test_upgrading_step_by_step_ends_as_one_upgrade_and_again_changes_nothing(db_url, new_database):
    for step, _title, _apply in migrations.STEPS:
        assert _upgrade(db_url, until=step) == [step]
    by_steps = schema_of(db_url)
    assert _upgrade(db_url) == []
    assert schema_of(db_url) == by_steps
    at_once = new_database()
    _upgrade(at_once)
    assert differences(schema_of(at_once), by_steps) == []


def test_no_step_takes_its_tables_from_todays_model_classes():
    for version, _title, _apply in migrations.STEPS:
        module = importlib.import_module(_apply.__module__)
        borrowed = []
        for name, value in vars(module).items():
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if (
                    isinstance(item, type)
                    and issubclass(item, peewee.Model)
                    and item.__module__ != module.__name__
                    and item.__module__ not in ("peewee", "playhouse")
                ):
                    borrowed.append(name)
        assert borrowed == [], f"step {version} uses today's model classes: {borrowed}"


def _todays_tables() -> list[type[BaseModel]]:
    import models.anomalies  # noqa: F401  (every model module, so every table is known)
    import models.assessments  # noqa: F401
    import models.contests  # noqa: F401
    import models.lines  # noqa: F401
    import models.proposals  # noqa: F401
    import models.totals  # noqa: F401

    def subclasses(cls: type) -> list[type]:
        return [s for sub in cls.__subclasses__() for s in [sub, *subclasses(sub)]]

    return [
        model
        for model in subclasses(BaseModel)
        if model._meta.database is db.database_proxy and model is not migrations.SchemaVersion
    ]


def test_todays_model_classes_describe_the_schema_the_steps_make(database):
    tables = _todays_tables()
    assert len(tables) > 30
    with db.connection() as connection:
        for model in tables:
            table = model._meta.table_name
            columns = {column.name: column for column in connection.get_columns(table)}
            fields = {field.column_name: field for field in model._meta.sorted_fields}
            assert sorted(columns) == sorted(fields), table
            for name, field in fields.items():
                assert columns[name].null == field.null or field.primary_key, (table, name)
            indexes = {
                (tuple(index.columns), index.unique) for index in connection.get_indexes(table)
            }
            for index in model._meta.fields_to_index():
                columns = tuple(
                    model._meta.combined[field].column_name
                    if isinstance(field, str)
                    else field.column_name
                    for field in index._expressions
                )
                assert (columns, index._unique) in indexes, (table, columns)


def test_a_database_whose_step_11_made_no_campaign_indexes_gets_them(db_url, new_database):
    """Step 11 made the campaign indexes only from a later revision on; step 14 repairs a
    database that ran the older step 11 (and makes the index of defect.confirmed_by)."""
    fresh = new_database()
    _upgrade(fresh)
    _upgrade(db_url, until=13)
    database = db.bind(db_url)
    with db.connection():
        for index in ("campaign_name", "campaign_one_active"):
            database.execute_sql(f"DROP INDEX {index}")
    assert _upgrade(db_url) == list(range(14, migrations.LATEST_VERSION + 1))
    assert differences(schema_of(db_url), schema_of(fresh)) == []


def test_todays_model_classes_make_the_same_columns_as_the_steps(db_url, new_database):
    """Tables made from today's classes have the columns the steps make, with the same
    types and nullability (the database defaults of added columns aside)."""
    _upgrade(db_url)
    migrated = schema_of(db_url)
    from_models = new_database()
    database = db.bind(from_models)
    with db.connection():
        database.create_tables(_todays_tables())
    made = schema_of(from_models)

    def columns(schema: dict) -> dict:
        return {
            (key, name): {part: value for part, value in column.items() if part != "default"}
            for key, entry in schema.items()
            if key.startswith("table ") and key != "table schema_version"
            for name, column in entry["columns"].items()
        }

    assert columns(made) == columns(migrated)
    if db.is_postgresql(database):  # step 13 made it an integer, step 19 a bigint
        chain = migrated["table ledger_chain"]["columns"]["entry_id"]
        assert chain["type"] == "bigint"


# The campaign rule columns, each with the default its step added it with (steps 6 and 7,
# then 11 and 14). Until the steps were frozen (session 4) step 1 made the campaign table
# from the model class of the day: the columns it knew then came without a default.
_RULE_COLUMNS_BY_STEP = {
    6: {"supplier_risk_share_percent": 25},
    7: {"weight_5s": 40, "weight_standard_ops": 30, "weight_fpy": 30, "critical_issue_target": 3},
    11: {
        "target_correction_rate_percent": 100,
        "target_training_coverage_percent": 100,
        "target_fpy_percent": 98,
        "target_high_risk_supplier_percent": 10,
    },
    14: {
        "verifier_outside_team": 1,
        "self_report_confirmation": 1,
        "ontime_awards_per_team_day": 10,
        "suspicious_self_reports": 5,
        "suspicious_fix_hours": 4,
    },
}


def _campaign_as_an_unfrozen_step_1_made_it(database: peewee.Database, known: list[int]) -> None:
    """The campaign table as the model class made it when the steps up to `known[-1]`
    were the newest: every column, its defaults in Python only (none in the database)."""
    rules = {
        name: peewee.IntegerField(default=default)
        for step in known
        for name, default in _RULE_COLUMNS_BY_STEP[step].items()
    }
    if 14 in known:
        rules["quality_department"] = peewee.CharField(max_length=40, default="Quality")
    meta = type("Meta", (), {"table_name": "campaign", "database": database})
    fields = {
        "name": peewee.CharField(max_length=120),
        "starts_on": peewee.DateField(),
        "ends_on": peewee.DateField(),
        "active": peewee.BooleanField(default=False),
        "phases_json": peewee.TextField(default="[]"),
        "correction_window_hours": peewee.IntegerField(default=48),
        "ontime_points": peewee.IntegerField(default=2),
        "late_points": peewee.IntegerField(default=-2),
        "contest_correct_points": peewee.IntegerField(default=2),
        "contest_wrong_points": peewee.IntegerField(default=-2),
        "pass_mark_percent": peewee.IntegerField(default=80),
        "assessment_items": peewee.IntegerField(default=10),
        "proposal_points_min": peewee.IntegerField(default=1),
        "proposal_points_max": peewee.IntegerField(default=10),
    }
    campaign = type("Campaign", (peewee.Model,), {"Meta": meta, **fields, **rules})
    database.create_tables([campaign])
    campaign.create(name="Old", starts_on=date(2025, 9, 1), ends_on=date(2025, 9, 30), weight_5s=7)


@pytest.mark.parametrize(
    ("made_at", "known"),
    [(10, [6, 7]), (16, [6, 7, 11, 14])],
    ids=["before-session-4", "session-4-before-frozen-steps"],
)
def test_a_campaign_table_made_without_its_rule_defaults_gets_them(
    db_url, new_database, made_at, known
):
    """A database made fresh by the unfrozen step 1 (session 3: steps 1-10; session 4
    before the steps were frozen: steps 1-16) has the rule columns of its day without
    their database defaults; step 19 gives them (and rows already there keep theirs)."""
    fresh = new_database()
    _upgrade(fresh)
    database = db.bind(db_url)
    with db.connection():
        _campaign_as_an_unfrozen_step_1_made_it(database, known)
    assert _upgrade(db_url, until=made_at) == list(range(1, made_at + 1))
    database = db.bind(db_url)
    with db.connection():
        without = {
            column.name for column in database.get_columns("campaign") if column.default is None
        }
    assert without >= {name for step in known for name in _RULE_COLUMNS_BY_STEP[step]}
    assert differences(schema_of(db_url), schema_of(fresh)) != []
    assert _upgrade(db_url) == list(range(made_at + 1, migrations.LATEST_VERSION + 1))
    assert differences(schema_of(db_url), schema_of(fresh)) == []
    database = db.bind(db_url)
    with db.connection():
        assert database.execute_sql("SELECT weight_5s, name FROM campaign").fetchall() == [
            (7, "Old")
        ]
        database.execute_sql(
            "INSERT INTO campaign (name, starts_on, ends_on, active, phases_json, "
            "correction_window_hours, ontime_points, late_points, contest_correct_points, "
            "contest_wrong_points, pass_mark_percent, assessment_items, proposal_points_min, "
            "proposal_points_max) VALUES ('New', '2025-10-01', '2025-10-31', false, '[]', "
            "48, 2, -2, 2, -2, 80, 10, 1, 10)"
        )
        assert database.execute_sql(
            "SELECT weight_5s, quality_department, suspicious_fix_hours FROM campaign "
            "WHERE name = 'New'"
        ).fetchall() == [(40, "Quality", 4)]
