"""The defect state table: every (state, action) pair it does not list is refused by the
services and not offered by the screens; the docs show the table as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from peewee import fn

from kiosk.caller import Caller
from kiosk.errors import Conflict, PermissionDenied
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defect_states import (
    SAME,
    STATES,
    TRANSITIONS,
    markdown_table,
    transition,
)
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.defects.lifecycle import RootCause
from kiosk.services.platform import auth
from models import AuditEntry, Defect, LedgerEntry, db

DOCS = Path(__file__).resolve().parent.parent / "docs" / "defect-states.md"


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def _call(action: str, defect_id: str, clock) -> None:
    supervisor, member = person("E4002"), person("E1004")
    calls = {
        "progress": lambda: lifecycle.post_progress(
            Caller.of(supervisor, clock), defect_id, "Looked"
        ),
        "fixed": lambda: lifecycle.mark_fixed(Caller.of(member, clock), defect_id, "Done"),
        "confirm": lambda: lifecycle.confirm(Caller.of(supervisor, clock), defect_id),
        "verify": lambda: lifecycle.verify(Caller.of(supervisor, clock), defect_id),
        "reject": lambda: lifecycle.reject(Caller.of(supervisor, clock), defect_id, "Not done"),
        "close": lambda: lifecycle.close(
            Caller.of(supervisor, clock), defect_id, RootCause("machine", "Worn", "Checked weekly")
        ),
        "typical": lambda: lifecycle.mark_typical(Caller.of(supervisor, clock), defect_id),
        "reassign": lambda: lifecycle.reassign(
            Caller.of(supervisor, clock), defect_id, "T2", "Theirs"
        ),
    }
    calls[action]()


def test_the_docs_show_the_state_table_as_it_is():
    assert DOCS.read_text(encoding="utf-8") == markdown_table(), (
        "docs/defect-states.md is out of date: write markdown_table() into it"
    )


def test_every_pair_not_in_the_table_is_refused_and_not_offered(demo_plant, clock):
    # self-reported (by a member of the responsible team), so confirm reaches its state check
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    defect_id = report_defect(Caller.of(person("E1004"), clock), draft).id
    short = defect_id[:8]
    refused = []
    for state in STATES:
        with db.connection():
            Defect.update(status=state).where(Defect.id == defect_id).execute()
        detail = lifecycle.defect_detail(Caller.system(clock), defect_id)
        for row in TRANSITIONS:
            if state in row.from_states:
                continue
            assert lifecycle.offer(row.action, person("E4002"), detail) is None, (state, row)
            with pytest.raises(Conflict) as caught:
                _call(row.action, defect_id, clock)
            if state == "verified" and row.action in ("verify", "reject"):
                assert "was already verified" in caught.value.message
            else:
                assert caught.value.message.startswith(f"Defect {short} is "), caught.value
                assert caught.value.message.endswith(f"it cannot be {row.doing} now.")
            refused.append((state, row.action))
    assert len(refused) == len(STATES) * len(TRANSITIONS) - sum(
        len(row.from_states) for row in TRANSITIONS
    )
    with db.connection():
        assert Defect.get_by_id(defect_id).status == "closed"  # the last state set, unchanged


def test_a_refusal_is_audited_whether_arguments_are_named_or_not(demo_plant, clock):
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    defect_id = report_defect(Caller.of(person("E4004"), clock), draft).id
    outsider = person("E4004")  # an operator: may not close
    for call in (
        lambda: lifecycle.close(
            Caller.of(outsider, clock), defect_id, RootCause("machine", "a", "b")
        ),
        lambda: lifecycle.close(
            root=RootCause("machine", "a", "b"),
            defect_id=defect_id,
            caller=Caller.of(outsider, clock),
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with db.connection():
        rows = AuditEntry.select().where(
            (AuditEntry.action == "defect_close") & ~AuditEntry.allowed
        )
        assert [(row.target, row.actor_id) for row in rows] == [(defect_id, outsider.id)] * 2


def test_each_action_moves_and_writes_what_the_table_says(demo_plant, clock):
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    own = report_defect(Caller.of(person("E1004"), clock), draft).id  # self-reported
    other = report_defect(Caller.of(person("E4004"), clock), draft).id
    root = RootCause("machine", "Clutch worn", "Weekly clutch check")
    steps = (
        (
            "progress",
            own,
            lambda: lifecycle.post_progress(Caller.of(person("E1003"), clock), own, "Found"),
        ),
        (
            "progress",
            own,
            lambda: lifecycle.post_progress(Caller.of(person("E1003"), clock), own, "More"),
        ),
        ("confirm", own, lambda: lifecycle.confirm(Caller.of(person("E2001"), clock), own)),
        (
            "fixed",
            own,
            lambda: lifecycle.mark_fixed(Caller.of(person("E1004"), clock), own, "Done"),
        ),
        (
            "reject",
            own,
            lambda: lifecycle.reject(Caller.of(person("E2001"), clock), own, "Not yet"),
        ),
        (
            "fixed",
            own,
            lambda: lifecycle.mark_fixed(Caller.of(person("E1004"), clock), own, "Done"),
        ),
        ("verify", own, lambda: lifecycle.verify(Caller.of(person("E2001"), clock), own)),
        ("close", own, lambda: lifecycle.close(Caller.of(person("E1001"), clock), own, root)),
        ("typical", own, lambda: lifecycle.mark_typical(Caller.of(person("E4002"), clock), own)),
        (
            "reassign",
            other,
            lambda: lifecycle.reassign(Caller.of(person("E4002"), clock), other, "T2", "Theirs"),
        ),
    )
    for action, defect_id, call in steps:
        row = transition(action)
        with db.connection():
            before = Defect.get_by_id(defect_id).status
            newest = AuditEntry.select(fn.MAX(AuditEntry.id)).scalar() or 0
            ledger_before = LedgerEntry.select().where(LedgerEntry.cause_id == defect_id).count()
        assert before in row.from_states, (action, before)
        detail = call()
        assert detail.status == (before if row.to_state == SAME else row.to_state) or (
            action == "progress" and before == "in_progress"
        ), (action, detail.status)
        with db.connection():
            written = {
                entry.action
                for entry in AuditEntry.select().where(
                    (AuditEntry.id > newest) & AuditEntry.allowed
                )
            }
            ledger_rows = LedgerEntry.select().where(LedgerEntry.cause_id == defect_id).count()
        assert written <= set(re.findall(r"defect_\w+", row.audit)), (action, written)
        assert written or (action == "progress" and before == "in_progress"), action
        assert (ledger_rows > ledger_before) == (row.ledger != "none"), action
