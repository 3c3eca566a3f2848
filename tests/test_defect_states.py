"""The defect state table: every (state, action) pair it does not list is refused by the
services and not offered by the screens; the docs show the table as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from peewee import fn

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
        "progress": lambda: lifecycle.post_progress(supervisor, defect_id, "Looked", clock=clock),
        "fixed": lambda: lifecycle.mark_fixed(member, defect_id, "Done", clock=clock),
        "confirm": lambda: lifecycle.confirm(supervisor, defect_id, clock=clock),
        "verify": lambda: lifecycle.verify(supervisor, defect_id, clock=clock),
        "reject": lambda: lifecycle.reject(supervisor, defect_id, "Not done", clock=clock),
        "close": lambda: lifecycle.close(
            supervisor, defect_id, RootCause("machine", "Worn", "Checked weekly"), clock=clock
        ),
        "typical": lambda: lifecycle.mark_typical(supervisor, defect_id, clock=clock),
        "reassign": lambda: lifecycle.reassign(supervisor, defect_id, "T2", "Theirs", clock=clock),
    }
    calls[action]()


def test_the_docs_show_the_state_table_as_it_is():
    assert DOCS.read_text(encoding="utf-8") == markdown_table(), (
        "docs/defect-states.md is out of date: write markdown_table() into it"
    )


def test_every_pair_not_in_the_table_is_refused_and_not_offered(demo_plant, clock):
    # self-reported (by a member of the responsible team), so confirm reaches its state check
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    defect_id = report_defect(person("E1004"), draft, clock=clock).id
    short = defect_id[:8]
    refused = []
    for state in STATES:
        with db.connection():
            Defect.update(status=state).where(Defect.id == defect_id).execute()
        detail = lifecycle.defect_detail(defect_id, clock=clock)
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
    defect_id = report_defect(person("E4004"), draft, clock=clock).id
    outsider = person("E4004")  # an operator: may not close
    for call in (
        lambda: lifecycle.close(outsider, defect_id, RootCause("machine", "a", "b"), clock=clock),
        lambda: lifecycle.close(
            root=RootCause("machine", "a", "b"), defect_id=defect_id, actor=outsider, clock=clock
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
    own = report_defect(person("E1004"), draft, clock=clock).id  # self-reported
    other = report_defect(person("E4004"), draft, clock=clock).id
    root = RootCause("machine", "Clutch worn", "Weekly clutch check")
    steps = (
        (
            "progress",
            own,
            lambda: lifecycle.post_progress(person("E1003"), own, "Found", clock=clock),
        ),
        (
            "progress",
            own,
            lambda: lifecycle.post_progress(person("E1003"), own, "More", clock=clock),
        ),
        ("confirm", own, lambda: lifecycle.confirm(person("E2001"), own, clock=clock)),
        ("fixed", own, lambda: lifecycle.mark_fixed(person("E1004"), own, "Done", clock=clock)),
        ("reject", own, lambda: lifecycle.reject(person("E2001"), own, "Not yet", clock=clock)),
        ("fixed", own, lambda: lifecycle.mark_fixed(person("E1004"), own, "Done", clock=clock)),
        ("verify", own, lambda: lifecycle.verify(person("E2001"), own, clock=clock)),
        ("close", own, lambda: lifecycle.close(person("E1001"), own, root, clock=clock)),
        ("typical", own, lambda: lifecycle.mark_typical(person("E4002"), own, clock=clock)),
        (
            "reassign",
            other,
            lambda: lifecycle.reassign(person("E4002"), other, "T2", "Theirs", clock=clock),
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
