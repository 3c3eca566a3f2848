"""Placeholder (not for main): step 18 belongs to another branch; the lead drops this file
when that step is merged. It changes nothing."""

from __future__ import annotations

from peewee import Database

VERSION = 18
TITLE = "placeholder (not committed to main)"


def apply(database: Database) -> None:
    pass
