"""Improvement proposals: submission, one review, points through the ledger, audited refusals."""

from __future__ import annotations

import threading

import pytest

from kiosk.caller import Caller
from kiosk.errors import Conflict, PermissionDenied, ValidationFailed
from kiosk.services.defects import proposals
from kiosk.services.defects.proposals import ProposalDraft
from kiosk.services.platform import auth
from kiosk.services.platform.ledger import team_totals
from models import AuditEntry, Campaign, Employee, LedgerEntry, db
from models.proposals import Proposal


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def points(team_code: str) -> int:
    return next(t.points for t in team_totals() if t.team_code == team_code)


def draft(title: str = "Torque marker pens at every station") -> ProposalDraft:
    return ProposalDraft(
        title,
        "Checked bolts are not marked, so some are checked twice and some never.",
        "Mark every torqued bolt with a paint pen stripe across bolt and housing.",
        "Loose bolts visible at a glance; about 30 s saved per unit.",
    )


def ledger_rows(proposal_id: str) -> list[LedgerEntry]:
    with db.connection():
        return list(
            LedgerEntry.select().where(
                (LedgerEntry.cause_type == "proposal") & (LedgerEntry.cause_id == proposal_id)
            )
        )


def refusals(action: str) -> list[tuple[str, str]]:
    with db.connection():
        rows = (
            AuditEntry.select(AuditEntry, Employee)
            .join(Employee)
            .where((AuditEntry.action == action) & ~AuditEntry.allowed)
            .order_by(AuditEntry.id)
        )
        return [(row.actor.badge_code, row.detail) for row in rows]


def test_acceptance_writes_one_ledger_row_and_a_second_review_is_refused(demo_plant, clock):
    submitted = proposals.submit_proposal(Caller.of(person("E1003"), clock, "T-9"), draft())
    assert (submitted.status, submitted.submitter_name) == ("submitted", "Wang Fang")
    assert submitted.status_title == "waiting for review"
    before = points("T1")

    accepted = proposals.accept_proposal(
        Caller.of(person("E4002"), clock), submitted.id, "+7", "Roll it out on Line 1"
    )
    assert (accepted.status, accepted.points, accepted.reviewed_by) == ("accepted", 7, "Liang Yu")
    assert points("T1") == before + 7
    rows = ledger_rows(submitted.id)
    assert len(rows) == 1
    row = rows[0]
    with db.connection():
        assert row.idempotency_key == f"proposal:{submitted.id}"
        assert (row.amount, row.team.code, row.employee.badge_code) == (7, "T1", "E1003")
        assert row.created_by.badge_code == "E4002"
        assert row.campaign_id == Campaign.get(Campaign.active).id
        assert row.created_at == clock.now()

    with pytest.raises(Conflict, match="already accepted by Liang Yu .*\\+7 points"):
        proposals.accept_proposal(Caller.of(person("E4001"), clock), submitted.id, 3)
    with pytest.raises(Conflict, match="already accepted by Liang Yu"):
        proposals.reject_proposal(
            Caller.of(person("E4001"), clock), submitted.id, "changed my mind"
        )
    assert len(ledger_rows(submitted.id)) == 1
    assert points("T1") == before + 7
    mine = proposals.my_proposals(person("E1003").id)
    assert [(p.title, p.status, p.points) for p in mine] == [
        ("Torque marker pens at every station", "accepted", 7)
    ]


def test_points_outside_the_campaign_range_are_refused_with_the_range(demo_plant, clock):
    submitted = proposals.submit_proposal(Caller.of(person("E2002"), clock), draft())
    reviewer = person("E5001")
    for given in (11, 0, -3, "abc", "", "2.5", True):
        with pytest.raises(ValidationFailed) as refused:
            proposals.accept_proposal(Caller.of(reviewer, clock), submitted.id, given)
        assert "1 to 10" in refused.value.problems["points"], given
    with db.connection():
        Campaign.update(proposal_points_min=2, proposal_points_max=4).execute()
    assert str(proposals.points_range()) == "2 to 4"
    with pytest.raises(
        ValidationFailed, match="5 points is outside the campaign's range: give 2 to 4"
    ):
        proposals.accept_proposal(Caller.of(reviewer, clock), submitted.id, 5)
    assert ledger_rows(submitted.id) == []
    assert proposals.proposal_detail(submitted.id).status == "submitted"
    accepted = proposals.accept_proposal(Caller.of(reviewer, clock), submitted.id, "4")
    assert accepted.points == 4
    assert [r.amount for r in ledger_rows(submitted.id)] == [4]


def test_an_operator_or_a_team_leader_cannot_review_and_the_refusal_is_audited(demo_plant, clock):
    submitted = proposals.submit_proposal(Caller.of(person("E1003"), clock), draft())
    with pytest.raises(PermissionDenied, match="Only a supervisor or above may review"):
        proposals.accept_proposal(Caller.of(person("E1002"), clock), submitted.id, 5)
    with pytest.raises(PermissionDenied, match="Only a supervisor or above may review"):
        proposals.reject_proposal(Caller.of(person("E1001"), clock), submitted.id, "no")
    with pytest.raises(PermissionDenied):
        proposals.review_queue(Caller.of(person("E1002"), clock))
    assert refusals("proposal_review") == [
        ("E1002", "Only a supervisor or above may review proposals."),
        ("E1001", "Only a supervisor or above may review proposals."),
    ]
    assert [badge for badge, _ in refusals("review_proposals")] == ["E1002"]
    assert ledger_rows(submitted.id) == []
    assert proposals.proposal_detail(submitted.id).status == "submitted"


def test_nobody_reviews_their_own_proposal_and_a_rejection_needs_a_reason(demo_plant, clock):
    own = proposals.submit_proposal(Caller.of(person("E4002"), clock), draft("Shorter gauge check"))
    with pytest.raises(PermissionDenied, match="yourself"):
        proposals.accept_proposal(Caller.of(person("E4002"), clock), own.id, 5)
    assert refusals("proposal_review")[-1][0] == "E4002"
    with pytest.raises(ValidationFailed) as missing:
        proposals.reject_proposal(Caller.of(person("E5001"), clock), own.id, "  \x1b[2J ")
    assert "Say why" in missing.value.problems["comment"]
    rejected = proposals.reject_proposal(
        Caller.of(person("E5001"), clock), own.id, "The gauge check is a customer requirement."
    )
    assert (rejected.status, rejected.points, rejected.reviewed_by) == (
        "rejected",
        None,
        "Deng Chao",
    )
    with pytest.raises(Conflict, match="already rejected by Deng Chao"):
        proposals.accept_proposal(Caller.of(person("E4001"), clock), own.id, 5)
    assert ledger_rows(own.id) == []


def test_submission_cleans_text_checks_every_field_and_refuses_a_double_submit(demo_plant, clock):
    with pytest.raises(ValidationFailed) as empty:
        proposals.submit_proposal(
            Caller.of(person("E1002"), clock), ProposalDraft("", " ", "\x07", "")
        )
    assert set(empty.value.problems) == {"title", "problem", "proposal", "benefit"}
    too_long = ProposalDraft("x" * 121, "p" * 2001, "ok enough", "b" * 1001)
    with pytest.raises(ValidationFailed) as long:
        proposals.submit_proposal(Caller.of(person("E1002"), clock), too_long)
    assert set(long.value.problems) == {"title", "problem", "benefit"}
    assert "under 120 characters" in long.value.problems["title"]
    with pytest.raises(ValidationFailed, match="at least 5 characters"):
        proposals.submit_proposal(Caller.of(person("E1002"), clock), draft("Fix"))

    messy = ProposalDraft(
        "\x1b[31mBetter\u200b bin labels\x07  ",
        "Bins look alike;\nparts get mixed.\x1b]0;pwned\x07",
        "Colour labels",
        "Fewer mix-ups",
    )
    saved = proposals.submit_proposal(Caller.of(person("E1002"), clock), messy)
    assert saved.title == "Better bin labels"
    assert saved.problem == "Bins look alike;\nparts get mixed."
    with pytest.raises(Conflict, match='already submitted "Better bin labels"'):
        proposals.submit_proposal(Caller.of(person("E1002"), clock), messy)
    with db.connection():
        assert Proposal.select().where(Proposal.title == "Better bin labels").count() == 1


def test_two_reviewers_at_once_award_the_points_once(demo_plant, clock):
    submitted = proposals.submit_proposal(Caller.of(person("E3003"), clock), draft())
    before = points("T3")
    reviewers = [person("E4002"), person("E5001")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(reviewer: auth.EmployeeView) -> None:
        barrier.wait(timeout=10)
        try:
            proposals.accept_proposal(Caller.of(reviewer, clock), submitted.id, 6)
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=run, args=(reviewer,)) for reviewer in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    assert "already accepted by" in next(o for o in outcomes if o != "won")
    assert [r.amount for r in ledger_rows(submitted.id)] == [6]
    assert points("T3") == before + 6


def test_the_demo_plant_has_an_accepted_a_rejected_and_a_waiting_proposal(demo_plant, clock):
    queue = proposals.review_queue(Caller.of(person("E4002"), clock))
    assert [(p.submitter_badge, p.status) for p in queue] == [("E3003", "submitted")]
    li_na = proposals.my_proposals(person("E1002").id)
    assert [(p.status, p.points, p.reviewed_by) for p in li_na] == [("accepted", 5, "Liang Yu")]
    assert [r.amount for r in ledger_rows(li_na[0].id)] == [5]
    wu_hao = proposals.my_proposals(person("E2003").id)
    assert [(p.status, p.reviewed_by) for p in wu_hao] == [("rejected", "Deng Chao")]
    assert proposals.seed_demo_proposals(Caller.system(clock)) == 0  # seeding again adds nothing
