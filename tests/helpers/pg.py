"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl), or QK_TEST_PG_URL.

The cluster and PgBouncer live in bench/pg.py, which `kiosk bench` uses too (bench/ does
not import tests/)."""

from bench.pg import (
    Cluster,
    PgBouncer,
    PostgresUnavailable,
    admin_execute,
    database_url,
    find_binary,
    free_port,
    scratch_database,
    server,
)

__all__ = [
    "Cluster",
    "PgBouncer",
    "PostgresUnavailable",
    "admin_execute",
    "database_url",
    "find_binary",
    "free_port",
    "scratch_database",
    "server",
]
