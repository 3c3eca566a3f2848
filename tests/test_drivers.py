"""SQLite kiosks skip the PostgreSQL driver; PostgreSQL gets exactly what Peewee would set.

Each check runs in a fresh interpreter: which driver Peewee saw is decided at its import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# every global of Peewee's modules and the adapter constants, named so two processes compare
DESCRIBE = """
import enum, inspect, json, sys, types
import peewee
import playhouse.cockroachdb, playhouse.db_url, playhouse.migrate, playhouse.pool
import playhouse.postgres_ext

def describe(value):
    if isinstance(value, types.ModuleType):
        return "module " + value.__name__
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    named = value if inspect.isclass(value) or inspect.isroutine(value) else type(value)
    owner, name = named.__module__, named.__qualname__
    return f"{owner}.{name}:{value!r}" if isinstance(value, enum.Enum) else f"{owner}.{name}"

found = {}
for module in (peewee, playhouse.postgres_ext, playhouse.pool, playhouse.db_url,
               playhouse.cockroachdb, playhouse.migrate):
    for key, value in vars(module).items():
        if not key.startswith("__"):
            found[f"{module.__name__}.{key}"] = describe(value)
for adapter in (peewee.Psycopg3Adapter, playhouse.postgres_ext.Psycopg3ExtAdapter):
    for key in ("txn_idle", "txn_inerror", "txn_unknown"):
        found[f"{adapter.__qualname__}.{key}"] = describe(getattr(adapter, key))
print(json.dumps(found))
"""


def _python(code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_sqlite_kiosk_never_loads_the_postgresql_driver(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    out = _python(
        "import sys\n"
        "from kiosk.app import KioskApp\n"
        "from kiosk.services.platform import database\n"
        "from screens.signin import SignInScreen\n"
        f"database.open_database({url!r})\n"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))\n"
    )
    assert out.strip() == "[]"


def test_peewee_gets_the_same_driver_names_as_a_plain_import() -> None:
    plain = json.loads(_python("import psycopg\n" + DESCRIBE))
    enabled = json.loads(
        _python(
            "import models\nfrom models.drivers import enable_postgresql\n"
            "enable_postgresql()\n" + DESCRIBE
        )
    )
    assert plain["peewee.psycopg"] == "module psycopg"
    differences = {
        key: (plain.get(key), enabled.get(key))
        for key in plain.keys() | enabled.keys()
        if plain.get(key) != enabled.get(key)
    }
    assert differences == {}


LEAN_DEMO = """
import sys
import kiosk.app
assert "psycopg" not in sys.modules
from datetime import UTC, datetime
from kiosk.clock import FrozenClock
from kiosk.services.platform import database, ledger
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.caller import Caller
clock = FrozenClock(datetime(2025, 9, 10, 8, tzinfo=UTC))
database.open_database(sys.argv[1])
database.upgrade(clock)
seed_demo_plant(Caller.system(clock))
print([(total.team_code, total.points) for total in ledger.team_totals()])
"""


def test_a_lean_process_works_on_postgresql(pg_server, tmp_path) -> None:
    """Bind PostgreSQL after Peewee loaded without psycopg: migrate, seed, read the board."""
    from tests.helpers.pg import admin_execute, database_url

    admin_execute(pg_server, 'DROP DATABASE IF EXISTS "qk_drivers" WITH (FORCE)')
    admin_execute(pg_server, 'CREATE DATABASE "qk_drivers"')
    try:
        on_postgresql = _python(LEAN_DEMO, database_url(pg_server, "qk_drivers"))
    finally:
        admin_execute(pg_server, 'DROP DATABASE IF EXISTS "qk_drivers" WITH (FORCE)')
    on_sqlite = _python(LEAN_DEMO, f"sqlite:///{tmp_path / 'kiosk.db'}")
    assert on_postgresql == on_sqlite
    assert "('T1', " in on_postgresql and "('T6', " in on_postgresql
