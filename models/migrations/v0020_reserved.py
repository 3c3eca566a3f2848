"""Schema step 20 is another branch's (pooled16: v0020_ledger_append.py). This stand-in,
which changes nothing, only keeps the steps numbered without a gap on this branch until
that one is merged: drop this file when merging (two steps 20 are refused)."""

from __future__ import annotations

from peewee import Database

VERSION = 20
TITLE = "reserved (another branch's step)"


def apply(database: Database) -> None:
    """Nothing."""
