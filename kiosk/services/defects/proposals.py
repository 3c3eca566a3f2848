"""Improvement proposals: any employee submits; a reviewer accepts (with points) or rejects.

An acceptance awards the points at once through the ledger (key ``proposal:<id>``)
to the submitter's team, attributed to the submitter, within the campaign's
range (``proposal_points_min`` .. ``proposal_points_max``). A proposal is
reviewed once: a second review is refused naming who reviewed it. Reviewing
needs a supervisor or above; every refusal is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, ModelSelect, fn

from kiosk.caller import Caller
from kiosk.clock import FrozenClock, format_local
from kiosk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import N_, LazyLabels, _
from kiosk.services.plant.campaigns import RULES_BY_KEY, active_campaign_row, rules_of
from kiosk.services.platform import ledger, uow
from kiosk.services.platform.auth import (
    EmployeeView,
    identify_badge,
    record_action,
    require_role,
)
from kiosk.services.platform.refusals import audits_refusals
from kiosk.services.platform.text import clean_text
from models import Campaign, Employee, Team, db
from models.proposals import Proposal

TITLE_MIN = 5
TITLE_MAX = 120
TEXT_MAX = 2000
BENEFIT_MAX = 1000
COMMENT_MAX = 1000
DEFAULT_POINTS_RANGE = (
    int(RULES_BY_KEY["proposal_points_min"].default),
    int(RULES_BY_KEY["proposal_points_max"].default),
)  # when no campaign is active

STATUS_TITLES = LazyLabels(
    {
        "submitted": N_("waiting for review"),
        "accepted": N_("accepted"),
        "rejected": N_("rejected"),
    }
)


@dataclass(frozen=True)
class ProposalDraft:
    """What the person typed on the proposal form."""

    title: str
    problem: str
    proposal: str
    benefit: str


@dataclass(frozen=True)
class ProposalView:
    id: str
    short_id: str
    title: str
    problem: str
    proposal: str
    benefit: str
    status: str
    submitter_id: int
    submitter_name: str
    submitter_badge: str
    team_name: str
    submitted_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str
    points: int | None

    @property
    def status_title(self) -> str:
        return STATUS_TITLES.get(self.status, self.status)


@dataclass(frozen=True)
class PointsRange:
    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.low} to {self.high}"


# -- checking what was typed -----------------------------------------------------


def _field(
    value: str | None,
    name: str,
    *,
    label: str,
    maximum: int,
    minimum: int = 1,
    single_line: bool = False,
    problems: dict[str, str],
) -> str:
    cleaned = clean_text(value or "", keep_newlines=not single_line)
    if not cleaned:
        problems[name] = _("Write the {label}.", label=label)
    elif len(cleaned) < minimum:
        problems[name] = _(
            "The {label} needs at least {minimum} characters.", label=label, minimum=minimum
        )
    elif len(cleaned) > maximum:
        problems[name] = _(
            "Keep the {label} under {maximum:,} characters (it has {count:,}).",
            label=label,
            maximum=maximum,
            count=len(cleaned),
        )
    return cleaned


def check_draft(draft: ProposalDraft) -> ProposalDraft:
    """The draft with its text cleaned; ValidationFailed naming every bad field."""
    problems: dict[str, str] = {}
    title = _field(
        draft.title,
        "title",
        label="title",
        minimum=TITLE_MIN,
        maximum=TITLE_MAX,
        single_line=True,
        problems=problems,
    )
    problem = _field(
        draft.problem, "problem", label=_("problem you see"), maximum=TEXT_MAX, problems=problems
    )
    proposal = _field(
        draft.proposal,
        "proposal",
        label=_("proposed improvement"),
        maximum=TEXT_MAX,
        problems=problems,
    )
    benefit = _field(
        draft.benefit,
        "benefit",
        label=_("expected benefit"),
        maximum=BENEFIT_MAX,
        problems=problems,
    )
    if problems:
        raise ValidationFailed(problems)
    return ProposalDraft(title, problem, proposal, benefit)


def _comment(text: str | None, required: str | None = None) -> str:
    cleaned = clean_text(text or "", keep_newlines=True)
    if required and not cleaned:
        raise ValidationFailed({"comment": required})
    if len(cleaned) > COMMENT_MAX:
        raise ValidationFailed(
            {
                "comment": _(
                    "Keep the comment under {COMMENT_MAX:,} characters.", COMMENT_MAX=COMMENT_MAX
                )
            }
        )
    return cleaned


def _points(value: int | str | None, allowed: PointsRange) -> int:
    wrong = ValidationFailed(
        {
            "points": _(
                "Give a whole number of points from {allowed} (the campaign's range).",
                allowed=allowed,
            )
        }
    )
    if isinstance(value, bool):
        raise wrong
    if isinstance(value, int):
        amount = value
    else:
        text = clean_text(value or "").removeprefix("+")
        if not text.isdigit() or len(text) > 6:
            raise wrong
        amount = int(text)
    if not allowed.low <= amount <= allowed.high:
        raise ValidationFailed(
            {
                "points": _(
                    "{amount} points is outside the campaign's range: give {allowed} points.",
                    amount=amount,
                    allowed=allowed,
                )
            }
        )
    return amount


# -- writing --------------------------------------------------------------------


def _proposal_id(value: str | uuid.UUID) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())
    except ValueError as exc:
        raise NotFound(
            _("There is no proposal {value!r}.", value=clean_text(str(value))[:40])
        ) from exc


def _lock(proposal_id: str | uuid.UUID) -> Proposal:
    query = Proposal.select().where(Proposal.id == _proposal_id(proposal_id))
    if db.is_postgresql():
        query = query.for_update()
    proposal: Proposal | None = query.first()
    if proposal is None:
        raise NotFound(_("There is no proposal {proposal_id}.", proposal_id=str(proposal_id)[:8]))
    return proposal


def _active_employee(person: EmployeeView) -> Employee:
    employee = Employee.get_or_none(Employee.id == person.id)
    if employee is None or not employee.active:
        raise PermissionDenied(
            _("{name} is not an active employee: sign in again.", name=person.name)
        )
    return employee


def _campaign_for(proposal: Proposal | None) -> Campaign | None:
    if proposal is not None and proposal.campaign_id is not None:
        found = Campaign.get_or_none(Campaign.id == proposal.campaign_id)
        if found is not None:
            return found
    return active_campaign_row()


def _range_of(campaign: Campaign | None) -> PointsRange:
    rules = rules_of(campaign)
    return PointsRange(rules.proposal_points_min, rules.proposal_points_max)


@uow.write
def submit_proposal(caller: Caller, draft: ProposalDraft) -> ProposalView:
    """Any signed-in employee submits a proposal; it waits for a reviewer."""
    clean = check_draft(draft)
    employee = _active_employee(caller.person)
    twin = (
        Proposal.select()
        .where(
            (Proposal.submitter == employee.id)
            & (Proposal.status == "submitted")
            & (fn.LOWER(Proposal.title) == clean.title.lower())
        )
        .first()
    )
    if twin is not None:
        raise Conflict(
            _(
                'You already submitted "{title}" on {time}; it is waiting for review. Give '
                "a new proposal another title.",
                title=twin.title,
                time=format_local(twin.submitted_at),
            )
        )
    campaign = active_campaign_row()
    proposal = Proposal.create(
        campaign=campaign.id if campaign else None,
        submitter=employee.id,
        team=employee.team_id,
        title=clean.title,
        problem=clean.problem,
        proposal=clean.proposal,
        benefit=clean.benefit,
        status="submitted",
        submitted_at=caller.now(),
        terminal=caller.terminal,
    )
    return _view(proposal.id)


def _require_unreviewed(proposal: Proposal) -> None:
    if proposal.status == "submitted":
        return
    who = Employee.get_by_id(proposal.reviewed_by_id).name if proposal.reviewed_by_id else "?"
    when = format_local(proposal.reviewed_at)
    outcome = (
        _(
            "accepted by {who} on {when} ({points:+d} points)",
            who=who,
            when=when,
            points=proposal.points,
        )
        if proposal.status == "accepted"
        else _("rejected by {who} on {when}", who=who, when=when)
    )
    raise Conflict(
        _(
            "Proposal {id} was already {outcome}: it is reviewed once.",
            id=str(proposal.id)[:8],
            outcome=outcome,
        )
    )


def _may_review(actor: EmployeeView, proposal: Proposal) -> None:
    if proposal.submitter_id == actor.id:
        raise PermissionDenied(
            _("You submitted this proposal yourself: another reviewer must review it.")
        )


_refusal_audited = audits_refusals(
    "proposal_review", lambda given: clean_text(str(given["proposal_id"]))[:64]
)


@_refusal_audited
@uow.write
def accept_proposal(
    caller: Caller,
    proposal_id: str | uuid.UUID,
    points: int | str | None,
    comment: str = "",
) -> ProposalView:
    """Accept a proposal and award its points to the submitter's team at once (supervisor+)."""
    actor = caller.person
    if not actor.has_role("supervisor"):
        raise PermissionDenied(_("Only a supervisor or above may review proposals."))
    note = _comment(comment)
    proposal = _lock(proposal_id)
    _require_unreviewed(proposal)
    _may_review(actor, proposal)
    campaign = _campaign_for(proposal)
    amount = _points(points, _range_of(campaign))
    submitter = Employee.get_by_id(proposal.submitter_id)
    team_id = submitter.team_id or proposal.team_id
    if team_id is None:
        raise Conflict(
            _(
                "{name} belongs to no team, so the points have nowhere to go. Ask the "
                "quality office to put them in a team first.",
                name=submitter.name,
            )
        )
    now = caller.now()
    proposal.status = "accepted"
    proposal.points = amount
    proposal.reviewed_by_id = actor.id
    proposal.reviewed_at = now
    proposal.review_comment = note
    proposal.save()
    result = ledger.write_award(
        ledger.Award(
            team_id=team_id,
            amount=amount,
            reason=f'improvement proposal {str(proposal.id)[:8]} accepted: "{proposal.title}"',
            cause_type="proposal",
            cause_id=str(proposal.id),
            idempotency_key=f"proposal:{proposal.id}",
            employee_id=submitter.id,
            created_by_id=actor.id,
            campaign_id=campaign.id if campaign else None,
        ),
        now,
    )
    if not result.written:
        raise Conflict(_("Proposal {id} has already earned its points.", id=str(proposal.id)[:8]))
    record_action(
        actor.id,
        "accept_proposal",
        f"proposal {str(proposal.id)[:8]}",
        now,
        detail=f"{amount:+d} points; {note}",
        terminal=caller.terminal,
    )
    return _view(proposal.id)


@_refusal_audited
@uow.write
def reject_proposal(caller: Caller, proposal_id: str | uuid.UUID, comment: str) -> ProposalView:
    """Reject a proposal with a comment that tells the submitter why (supervisor+)."""
    actor = caller.person
    if not actor.has_role("supervisor"):
        raise PermissionDenied(_("Only a supervisor or above may review proposals."))
    note = _comment(comment, _("Say why the proposal is not accepted: the submitter reads it."))
    proposal = _lock(proposal_id)
    _require_unreviewed(proposal)
    _may_review(actor, proposal)
    proposal.status = "rejected"
    proposal.reviewed_by_id = actor.id
    proposal.reviewed_at = caller.now()
    proposal.review_comment = note
    proposal.save()
    record_action(
        actor.id,
        "reject_proposal",
        f"proposal {str(proposal.id)[:8]}",
        proposal.reviewed_at,
        detail=note,
        terminal=caller.terminal,
    )
    return _view(proposal.id)


# -- reading --------------------------------------------------------------------


# what a view shows, read as plain tuples (a queue page of 50 spent most of its time
# making a model instance, and its submitter's and team's, for each row)
_COLUMNS = (
    Proposal.id,
    Proposal.title,
    Proposal.problem,
    Proposal.proposal,
    Proposal.benefit,
    Proposal.status,
    Employee.id,
    Employee.name,
    Employee.badge_code,
    Team.name,
    Proposal.submitted_at,
    Proposal.reviewed_by,
    Proposal.reviewed_at,
    Proposal.review_comment,
    Proposal.points,
)


def _views(query: ModelSelect[Proposal]) -> list[ProposalView]:
    rows = list(db.tuples(query))
    reviewer_ids = {row[11] for row in rows if row[11] is not None}
    names: dict[int, str] = {}
    if reviewer_ids:
        people = Employee.select(Employee.id, Employee.name).where(
            Employee.id.in_(list(reviewer_ids))
        )
        names = dict(db.tuples(people))
    no_team = _("(no team)")
    views = []
    for (
        proposal_id,
        title,
        problem,
        proposal,
        benefit,
        status,
        submitter_id,
        submitter_name,
        submitter_badge,
        team_name,
        submitted_at,
        reviewed_by,
        reviewed_at,
        review_comment,
        points,
    ) in rows:
        text_id = str(proposal_id)
        views.append(
            ProposalView(
                id=text_id,
                short_id=text_id[:8],
                title=title,
                problem=problem,
                proposal=proposal,
                benefit=benefit,
                status=status,
                submitter_id=submitter_id,
                submitter_name=submitter_name,
                submitter_badge=submitter_badge,
                team_name=no_team if team_name is None else team_name,
                submitted_at=submitted_at,
                reviewed_by=names.get(reviewed_by) if reviewed_by is not None else None,
                reviewed_at=reviewed_at,
                review_comment=review_comment or "",
                points=points,
            )
        )
    return views


def _query() -> ModelSelect[Proposal]:
    return (
        Proposal.select(*_COLUMNS)
        .join(Employee, on=(Proposal.submitter == Employee.id))
        .switch(Proposal)
        .join(Team, join_type=JOIN.LEFT_OUTER, on=(Proposal.team == Team.id))
    )


def _view(proposal_id: uuid.UUID) -> ProposalView:
    return _views(_query().where(Proposal.id == proposal_id))[0]


@uow.read
def proposal_detail(proposal_id: str | uuid.UUID) -> ProposalView:
    found = _views(_query().where(Proposal.id == _proposal_id(proposal_id)))
    if not found:
        raise NotFound(_("There is no proposal {proposal_id}.", proposal_id=str(proposal_id)[:8]))
    return found[0]


@uow.read
def my_proposals(employee_id: int) -> list[ProposalView]:
    """The employee's own proposals, newest first."""
    return _views(
        _query()
        .where(Proposal.submitter == employee_id)
        .order_by(Proposal.submitted_at.desc(), Proposal.title)
    )


QUEUE_PAGE = 50


@dataclass(frozen=True)
class ProposalQueue:
    """One page of the proposals waiting for review, with how many wait in all."""

    items: tuple[ProposalView, ...]
    total: int
    offset: int
    limit: int

    def __iter__(self) -> Iterator[ProposalView]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def first(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)


def review_queue(caller: Caller, *, offset: int = 0, limit: int = QUEUE_PAGE) -> ProposalQueue:
    """Proposals waiting for review, oldest first, a page at a time (supervisor+; a
    refusal is audited)."""
    require_role(
        caller,
        "supervisor",
        "review_proposals",
        target="queue",
    )
    return _review_queue(offset, limit)


@uow.read
def _review_queue(offset: int, limit: int) -> ProposalQueue:
    offset, limit = max(0, offset), max(1, min(limit, 200))
    waiting = Proposal.status == "submitted"
    total = Proposal.select().where(waiting).count()
    items = _views(
        _query()
        .where(waiting)
        .order_by(Proposal.submitted_at, Proposal.title, Proposal.id)
        .offset(offset)
        .limit(limit)
    )
    return ProposalQueue(tuple(items), total, offset, limit)


@uow.read
def points_range() -> PointsRange:
    """The points a reviewer may give for an accepted proposal in the active campaign."""
    return _range_of(active_campaign_row())


# -- the demo plant ----------------------------------------------------------------

DEMO_PROPOSALS = [
    (
        "E1002",
        "Colour-coded crimp dies per terminal size",
        "Operators sometimes fit the 6 mm² die for 10 mm² DC+ terminals; the dies look alike.",
        ("Paint each die and its terminal bin the same colour; add a colour chart at the press."),
        "Fewer crimp-height defects at L1-S01; no wrong-die setups after changeover.",
        ("accept", "E4002", 5, "Good, cheap and quick: roll out on Line 1 this week."),
    ),
    (
        "E3003",
        "Nitrogen flow alarm on the reflow oven",
        "Low nitrogen flow goes unnoticed until AOI finds oxidised joints.",
        "Fit a flow switch that lights the andon lamp when flow drops below 20 l/min.",
        "Catch the drop within minutes instead of after a whole panel batch.",
        None,
    ),
    (
        "E2003",
        "Skip the torque re-check on Burn-in",
        "Re-checking torque after burn-in takes 4 minutes per unit.",
        "Drop the re-check: torque was already checked at L2-S03.",
        "4 minutes saved per unit.",
        ("reject", "E5001", 0, "Burn-in heat relaxes joints; the re-check caught 3 loose bolts."),
    ),
]


def seed_demo_proposals(caller: Caller) -> int:
    """Add the demo proposals (one accepted with points, one rejected, one waiting). Once."""
    now = caller.now()
    with db.connection():
        if Proposal.select().exists():
            return 0
    moment = FrozenClock(now - timedelta(days=3))
    for badge, title, problem, idea, benefit, review in DEMO_PROPOSALS:
        moment.advance(timedelta(hours=5))
        submitted = submit_proposal(
            Caller.of(identify_badge(badge), moment, "demo"),
            ProposalDraft(title, problem, idea, benefit),
        )
        if review is None:
            continue
        decision, reviewer, points, comment = review
        later = FrozenClock(moment.now() + timedelta(hours=20))
        if decision == "accept":
            accept_proposal(
                Caller.of(identify_badge(reviewer), later, "demo"), submitted.id, points, comment
            )
        else:
            reject_proposal(
                Caller.of(identify_badge(reviewer), later, "demo"), submitted.id, comment
            )
    return len(DEMO_PROPOSALS)
