"""Schema step 5: improvement proposals."""

from __future__ import annotations

from peewee import Database

from models.proposals import Proposal

VERSION = 5
TITLE = "improvement proposals"


def apply(database: Database) -> None:
    database.create_tables([Proposal], safe=True)
