"""Schema step 3: training assessments (attempts and the items drawn for each)."""

from __future__ import annotations

from peewee import Database

from models.assessments import ASSESSMENT_TABLES

VERSION = 3
TITLE = "training assessments: attempts and their drawn items"


def apply(database: Database) -> None:
    database.create_tables(ASSESSMENT_TABLES, safe=True)
