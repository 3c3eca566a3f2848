"""A unit of work interrupted by a dropped connection is retried once, then reported.

The connection really goes away in the middle of the unit: PostgreSQL ends the session
(pg_terminate_backend on itself), SQLite's handle is closed under the unit.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from kiosk.caller import Caller
from kiosk.errors import DatabaseUnavailable
from kiosk.services.defects import defects, lifecycle
from kiosk.services.defects.defects import DefectDraft
from kiosk.services.platform import auth, outbox
from models import Defect, DefectEvent, db


def drop_connection() -> None:
    """End this thread's database connection the way a network fault or a server does."""
    database = db.database_proxy.obj
    if db.is_postgresql():
        database.execute_sql("SELECT pg_terminate_backend(pg_backend_pid())")
    else:
        database.connection().close()


def dropping(original, times: int, calls: list[int]):
    """`original`, but the connection drops just before each of its first `times` calls."""

    def hooked(*args, **kwargs):
        calls.append(1)
        if len(calls) <= times:
            drop_connection()
        return original(*args, **kwargs)

    return hooked


def draft() -> DefectDraft:
    return DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")


def stored_defects(defect_id: uuid.UUID) -> int:
    with db.connection():
        return Defect.select().where(Defect.id == defect_id).count()


def test_a_report_cut_off_by_a_dropped_connection_is_retried_and_stored_once(
    demo_plant, clock, monkeypatch, caplog
):
    calls: list[int] = []
    monkeypatch.setattr(
        defects,
        "active_campaign_row",
        dropping(defects.active_campaign_row, 1, calls),
    )
    defect_id = uuid.uuid4()
    with caplog.at_level(logging.WARNING, logger="kiosk.services.platform.uow"):
        receipt = defects.report_defect(
            Caller.of(auth.identify_badge("E4004"), clock), draft(), defect_id=defect_id
        )
    assert receipt.id == str(defect_id) and receipt.station_code == "L1-S02"
    assert len(calls) == 2  # the cut-off attempt and the retry
    assert stored_defects(defect_id) == 1
    with db.connection():
        assert DefectEvent.select().where(DefectEvent.defect == defect_id).count() == 1
    assert "connection dropped during the unit; trying once more" in caplog.text


def test_a_report_made_without_an_id_gets_one_id_for_both_attempts(demo_plant, clock, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        defects,
        "active_campaign_row",
        dropping(defects.active_campaign_row, 1, calls),
    )
    with db.connection():
        before = Defect.select().count()
    receipt = defects.report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft())
    with db.connection():
        assert Defect.select().count() == before + 1
    assert stored_defects(uuid.UUID(receipt.id)) == 1


def test_a_second_drop_is_reported_and_the_outbox_keeps_the_report(
    demo_plant, clock, monkeypatch, tmp_path
):
    calls: list[int] = []
    monkeypatch.setattr(
        defects,
        "active_campaign_row",
        dropping(defects.active_campaign_row, 2, calls),
    )
    defect_id = uuid.uuid4()
    with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
        defects.report_defect(
            Caller.of(auth.identify_badge("E4004"), clock), draft(), defect_id=defect_id
        )
    assert len(calls) == 2 and stored_defects(defect_id) == 0
    # what the report screen does with it: kept on the kiosk, sent when the database answers
    calls.clear()
    box = outbox.Outbox(tmp_path / "outbox.db")
    reporter = auth.identify_badge("E4004")
    kept = outbox.report_defect_or_keep(
        Caller.of(reporter, clock), box, draft(), defect_id=defect_id
    )
    assert isinstance(kept, outbox.Queued) and kept.waiting == 1 and len(calls) == 2
    monkeypatch.undo()
    result = box.forward()
    assert (result.sent, result.waiting) == (1, 0)
    assert stored_defects(defect_id) == 1


def test_a_unit_without_kiosk_made_ids_is_reported_at_once_and_changes_nothing(
    demo_plant, clock, monkeypatch
):
    reporter = auth.identify_badge("E4004")
    defect_id = defects.report_defect(Caller.of(reporter, clock), draft()).id
    calls: list[int] = []
    monkeypatch.setattr(lifecycle, "_detail", dropping(lifecycle._detail, 1, calls))
    with pytest.raises(DatabaseUnavailable):
        lifecycle.mark_fixed(
            Caller.of(auth.identify_badge("E1004"), clock), defect_id, "Screws torqued"
        )
    assert len(calls) == 1  # not run a second time
    monkeypatch.undo()
    assert lifecycle.defect_detail(Caller.system(), defect_id).status == "reported"
    # the person presses again on a working connection: it goes through
    fixed = lifecycle.mark_fixed(
        Caller.of(auth.identify_badge("E1004"), clock), defect_id, "Screws torqued"
    )
    assert fixed.status == "fixed"


def test_a_read_cut_off_by_a_dropped_connection_is_read_again(demo_plant, clock, monkeypatch):
    defect_id = defects.report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft()).id
    calls: list[int] = []
    monkeypatch.setattr(lifecycle, "_detail", dropping(lifecycle._detail, 1, calls))
    detail = lifecycle.defect_detail(Caller.system(clock), defect_id)
    assert (detail.status, len(calls)) == ("reported", 2)
