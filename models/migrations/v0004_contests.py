"""Schema step 4: knowledge contests (teams, items, answers) and skill competitions."""

from __future__ import annotations

from peewee import Database

from models.contests import CONTEST_TABLES

VERSION = 4
TITLE = "knowledge contests and skill competitions"


def apply(database: Database) -> None:
    database.create_tables(CONTEST_TABLES, safe=True)
