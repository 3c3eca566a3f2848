"""Every privileged action that is allowed leaves an audit row: who, what, when, where.

(Refusals are covered beside each service's tests.) One scenario per service, on both
engines: the rows are written in the action's own transaction.
"""

from __future__ import annotations

import random
from datetime import timedelta

from kiosk.caller import Caller
from kiosk.services.defects import lifecycle, proposals
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.defects.lifecycle import RootCause
from kiosk.services.defects.proposals import ProposalDraft
from kiosk.services.lines import lines
from kiosk.services.platform import auth
from kiosk.services.training import contests
from models import AuditEntry, Choice, Employee, db

TERMINAL = "WS-07"


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def allowed_rows(*actions: str) -> list[tuple[str, str, str, str | None]]:
    """(actor badge, action, target, terminal) of allowed rows from TERMINAL, oldest first
    (the demo plant's own history was written from the terminal "demo")."""
    with db.connection():
        rows = (
            AuditEntry.select(AuditEntry, Employee)
            .join(Employee)
            .where(
                AuditEntry.allowed
                & AuditEntry.action.in_(actions)
                & (AuditEntry.terminal == TERMINAL)
            )
            .order_by(AuditEntry.id)
        )
        return [(r.actor.badge_code, r.action, r.target, r.terminal) for r in rows]


def details(action: str) -> list[str]:
    with db.connection():
        rows = AuditEntry.select().where(
            (AuditEntry.action == action) & (AuditEntry.terminal == TERMINAL)
        )
        return [r.detail for r in rows.order_by(AuditEntry.id)]


def draft() -> ProposalDraft:
    return ProposalDraft(
        "Colour-coded torque bits",
        "Bits of different sizes get mixed up at the station.",
        "Paint each bit size a colour and mark the holder.",
        "No wrong bit used; fewer stripped screws.",
    )


def test_proposal_reviews_are_audited(demo_plant, clock):
    first = proposals.submit_proposal(Caller.of(person("E1003"), clock), draft())
    second = proposals.submit_proposal(Caller.of(person("E2003"), clock), draft())
    proposals.accept_proposal(Caller.of(person("E4002"), clock, TERMINAL), first.id, 3, "good")
    proposals.reject_proposal(
        Caller.of(person("E4002"), clock, TERMINAL), second.id, "Done already"
    )
    assert allowed_rows("accept_proposal", "reject_proposal") == [
        ("E4002", "accept_proposal", f"proposal {str(first.id)[:8]}", TERMINAL),
        ("E4002", "reject_proposal", f"proposal {str(second.id)[:8]}", TERMINAL),
    ]
    assert details("accept_proposal") == ["+3 points; good"]
    assert details("reject_proposal") == ["Done already"]


def test_contest_draws_and_confirmed_answers_are_audited(demo_plant, clock):
    host = person("E1001")
    a = contests.register_contest_team(
        Caller.of(host, clock), "Sharp Eyes", ["E1003", "E2003", "E4006", "E5004"]
    )
    b = contests.register_contest_team(
        Caller.of(host, clock), "Zero Slips", ["E1004", "E2004", "E3004", "E6003"]
    )
    contest = contests.create_contest(Caller.of(host, clock), "Final", [a.code, b.code])
    view = contests.draw_item(
        Caller.of(host, clock, TERMINAL), contest.id, after=0, rng=random.Random(3)
    )
    assert view.item is not None
    question = view.item.question_id
    with db.connection():
        right = Choice.get((Choice.question == question) & Choice.correct).position
    contests.submit_answer(Caller.of(host, clock, TERMINAL), contest.id, 1, a.id, right, member=1)
    # the same confirmation again (a double Enter) counts nothing and audits nothing new
    contests.submit_answer(Caller.of(host, clock, TERMINAL), contest.id, 1, a.id, right, member=1)
    assert allowed_rows("draw_contest_item", "confirm_contest_answer") == [
        ("E1001", "draw_contest_item", f"contest {contest.id} item 1", TERMINAL),
        ("E1001", "confirm_contest_answer", f"contest {contest.id} item 1 {a.code}", TERMINAL),
    ]
    assert details("confirm_contest_answer") == ["ABCD"[right - 1] + ", right, by E1003"]


def test_production_counts_and_line_evaluations_are_audited(demo_plant, clock):
    leader, supervisor = person("E1001"), person("E4002")
    for code in ("L1", "L2", "L3"):
        lines.record_production(Caller.of(leader, clock, TERMINAL), code, "2025-09-08", 1000, 950)
    evaluation = lines.evaluate_lines(
        Caller.of(supervisor, clock, TERMINAL),
        "2025-09-01",
        "2025-09-09",
        {"L1": (90, 80), "L2": (70, 70), "L3": (95, 95)},
    )
    rows = allowed_rows("record_production", "evaluate_lines")
    assert rows[:3] == [
        ("E1001", "record_production", f"line {code} 2025-09-08", TERMINAL)
        for code in ("L1", "L2", "L3")
    ]
    assert rows[3] == (
        "E4002",
        "evaluate_lines",
        f"evaluation {evaluation.id} 2025-09-01..2025-09-09",
        TERMINAL,
    )
    assert details("record_production")[0] == "1000 produced, 950 passed first time"
    assert details("evaluate_lines")[0].startswith("L3 ")


def test_marking_a_typical_case_is_audited(demo_plant, clock):
    draft_ = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    defect_id = report_defect(Caller.of(person("E4004"), clock), draft_).id
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id, "Screws torqued")
    clock.advance(timedelta(hours=2))
    lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    lifecycle.close(
        Caller.of(person("E1001"), clock),
        defect_id,
        RootCause("machine", "Worn clutch", "Weekly check"),
    )
    lifecycle.mark_typical(Caller.of(person("E4002"), clock, TERMINAL), defect_id)
    lifecycle.mark_typical(Caller.of(person("E4002"), clock, TERMINAL), defect_id, False)
    assert allowed_rows("defect_typical", "defect_not_typical") == [
        ("E4002", "defect_typical", str(defect_id), TERMINAL),
        ("E4002", "defect_not_typical", str(defect_id), TERMINAL),
    ]
