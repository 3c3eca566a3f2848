"""The kiosk's own offline store: a local SQLite file beside the app, never the plant database.

When the plant database cannot be reached, a kiosk keeps what people enter here
(defect reports, progress updates, quiz answers) and forwards it, in order, once
the server is back. It also remembers the badges signed in on this kiosk, so
those people can sign in while the server is away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    IntegerField,
    Model,
    ModelDelete,
    SqliteDatabase,
    TextField,
)

outbox_database = SqliteDatabase(None)


class OutboxModel(Model):
    if TYPE_CHECKING:  # types-peewee's `delete` (a generic descriptor) is ambiguous on a class

        @classmethod
        def delete(cls) -> ModelDelete: ...

    class Meta:
        database = outbox_database
        legacy_table_names = False


class OutboxEntry(OutboxModel):
    """One thing entered while offline, waiting to be sent (oldest first)."""

    id = AutoField()
    kind = CharField(max_length=32)  # report_defect, post_progress, answer_question, audit_entry
    payload = TextField()  # JSON, with the ids made on this kiosk and the time it was entered
    created_at = DateTimeField()  # naive UTC
    attempts = IntegerField(default=0)
    failed = TextField(null=True)  # the server refused it (not an outage): why


class CachedBadge(OutboxModel):
    """A person who signed in on this kiosk while it was online."""

    badge_code = CharField(max_length=64, primary_key=True)
    employee = TextField()  # JSON of the EmployeeView
    pin_hash = CharField(max_length=255, null=True)  # scrypt of the PIN last accepted here
    seen_at = DateTimeField()


class OfflineWrongPin(OutboxModel):
    """A wrong PIN given on this kiosk's kept roster while the server was away: five lock
    the badge here as online, and a restart does not clear them. Cleared by the badge's
    next sign-in (kept or online); forgotten after a day. (Its audit row goes out with the
    outbox as an OutboxEntry of kind audit_entry.)"""

    id = AutoField()
    badge_code = CharField(max_length=64, index=True)
    at = DateTimeField(index=True)  # naive UTC


class CachedView(OutboxModel):
    """Reference data the kiosk needs to take entries while offline (stations, form options)."""

    key = CharField(max_length=96, primary_key=True)  # e.g. "station:L1-S01", "report-options"
    value = TextField()  # JSON
    seen_at = DateTimeField()


OUTBOX_TABLES = [OutboxEntry, CachedBadge, CachedView, OfflineWrongPin]
