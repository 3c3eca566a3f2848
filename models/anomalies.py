"""Imported on-site anomaly history: counts per month and 5M1E category (one row each)."""

from __future__ import annotations

from peewee import AutoField, CharField, IntegerField, TextField

from models.base import BaseModel, UTCDateTimeField


class AnomalyHistory(BaseModel):
    """On-site anomalies counted before the kiosk (e.g. last year's monthly PMC report).

    One row per month and category: importing the same month and category again
    replaces the row. The anomaly report adds these counts to the on-site anomaly
    defects reported through the kiosk in that month.
    """

    id = AutoField()
    month = CharField(max_length=7)  # "YYYY-MM", a local calendar month
    category = CharField(max_length=16)  # a 5M1E key (models.defects.CATEGORIES_5M1E)
    count = IntegerField()
    note = TextField(default="")
    source = CharField(max_length=200, default="")  # the file it came from
    imported_at = UTCDateTimeField()

    class Meta:
        indexes = ((("month", "category"), True),)
