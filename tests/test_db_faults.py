"""Database faults: a pooled PostgreSQL connection killed by the server is replaced."""

from __future__ import annotations

import threading

import psycopg
import pytest

from kiosk.errors import DatabaseUnavailable
from kiosk.services.platform import auth
from models import db


@pytest.mark.parametrize("engine", ["postgresql"])  # PostgreSQL only
def test_a_killed_pooled_connection_is_replaced(pg_demo_plant, pg_server, engine):
    url, name = pg_demo_plant
    assert auth.identify_badge("E1002").name == "Li Na"  # a pooled connection now exists
    with psycopg.connect(pg_server.replace("/postgres", f"/{name}"), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()[0]
    assert killed >= 1
    # the next unit of work gets a fresh connection, on this thread and on others
    assert auth.identify_badge("E1002").name == "Li Na"
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(auth.identify_badge("E3003").name))
    worker.start()
    worker.join()
    assert results == ["He Ping"]


@pytest.mark.parametrize("engine", ["postgresql"])  # PostgreSQL only
def test_a_server_that_is_gone_is_reported_not_raised(pg_demo_plant, engine):
    url, _name = pg_demo_plant
    db.bind("postgresql://qk@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
            auth.identify_badge("E1002")
    finally:
        db.bind(url)
    assert auth.identify_badge("E1002").name == "Li Na"
