"""Load the PostgreSQL driver only when a PostgreSQL database is used.

Peewee imports psycopg the moment Peewee itself is imported, whether or not the process
ever talks to PostgreSQL. For a kiosk on the embedded SQLite database that costs about
a tenth of a second at start-up and 11 MB of memory (issue 8's start-up and memory
targets). So the first import of Peewee here hides psycopg, and `enable_postgresql()`
hands Peewee the driver when a PostgreSQL URL is bound: the same names and adapter
constants Peewee and playhouse.postgres_ext would have set at import
(tests/test_drivers.py compares the two, so a Peewee upgrade that reads more of psycopg
at import time fails that test instead of a kiosk).
"""

from __future__ import annotations

import sys

_HIDDEN_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi")


def import_peewee_without_postgresql_driver() -> None:
    """Import Peewee and the playhouse modules we use, with the PostgreSQL drivers hidden.

    Does nothing when Peewee or psycopg is already loaded (then Peewee has its driver).
    """
    if "peewee" in sys.modules or "psycopg" in sys.modules:
        return
    hidden = [name for name in _HIDDEN_DRIVERS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import peewee  # noqa: F401
        import playhouse.db_url  # noqa: F401  (imports postgres_ext, cockroachdb, pool)
        import playhouse.migrate  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def enable_postgresql() -> None:
    """Give Peewee the psycopg driver if its import was skipped (safe to repeat)."""
    import peewee

    # Peewee's module globals that its import would have set (types-peewee declares
    # none of them): written through the modules' namespaces
    peewee_names = vars(peewee)
    if peewee_names.get("psycopg") is not None:
        return
    import psycopg
    from playhouse import postgres_ext
    from psycopg.pq import TransactionStatus
    from psycopg.types import TypeInfo
    from psycopg.types.hstore import register_hstore
    from psycopg.types.json import Json, Jsonb

    peewee_names["TransactionStatus"] = TransactionStatus
    peewee_names["Json_pg3"] = Json
    peewee_names["Jsonb_pg3"] = Jsonb
    peewee.Psycopg3Adapter.txn_idle = TransactionStatus.IDLE
    peewee.Psycopg3Adapter.txn_inerror = TransactionStatus.INERROR
    peewee.Psycopg3Adapter.txn_unknown = TransactionStatus.UNKNOWN
    vars(postgres_ext)["TypeInfo"] = TypeInfo
    vars(postgres_ext)["register_hstore_pg3"] = register_hstore
    peewee_names["psycopg"] = psycopg  # last: Peewee checks this name to pick the driver
