"""The database server away, as a pulled network cable would make it."""

from __future__ import annotations

from models import db

DEAD = "postgresql://qk@127.0.0.1:1/unreachable"


class ServerAway:
    """Point the shared database at nothing, as a pulled network cable would."""

    def __enter__(self):
        self.real = db.database_proxy.obj
        db.database_proxy.initialize(db.make_database(DEAD))

    def __exit__(self, *exc):
        db.database_proxy.initialize(self.real)
