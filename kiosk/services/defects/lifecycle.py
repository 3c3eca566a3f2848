"""The "Eagle Eye" defect lifecycle: progress, fix, verify, reject, close, typical, reassign.

reported -> in_progress -> fixed -> verified -> closed
                 ^            |
                 +-- reject --+

Every transition writes a DefectEvent (who, when, from, to, why) in the same
transaction as the change. Verification inside the correction window awards
the campaign's on-time points once (key ``ontime:<id>``); a verification after
the window makes sure the late deduction exists (key ``overdue:<id>``, the same
key the deadline sweep uses, so it is written once whoever notices first).
Permission checks live here; a refusal is audited and then raised.

Rules against farming points (campaign data, see campaigns.RULES):
- who verifies: a team leader or above from outside the responsible team, or from the
  campaign's Quality department (`verifier_outside_team`; never the fixer);
- a defect reported by a member of the responsible team ("self-reported") earns the
  on-time points only when a leader outside the team (or Quality) confirmed it was real
  (`confirm`, before the verification; `self_report_confirmation`);
- a team earns the on-time points at most `ontime_awards_per_team_day` times a (local) day.
A withheld award still closes the window with its one outcome: a ledger row of 0 points
under the same key `ontime:<id>`, whose reason says why (and the defect's history too).
So every closed window has exactly one outcome row, and the sweep (which skips a defect
verified on time) never charges it.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import ParamSpec, TypeVar

from peewee import SQL, fn

from kiosk.caller import Caller
from kiosk.clock import Clock, to_local
from kiosk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import N_, LazyLabels, _, retranslate
from kiosk.services.defects.defect_states import OPEN_STATUSES as OPEN_STATUSES  # screens read it
from kiosk.services.defects.defect_states import allowed, transition
from kiosk.services.defects.defects import CATEGORY_LABELS
from kiosk.services.plant.campaigns import CampaignView, active_campaign_row, rules_of
from kiosk.services.platform import ledger, uow
from kiosk.services.platform.auth import (
    ROLE_TITLES,
    EmployeeView,
    record_action,
)
from kiosk.services.platform.refusals import audits_refusals
from kiosk.services.platform.text import clean_text
from models import (
    Campaign,
    Defect,
    DefectEvent,
    DefectProgress,
    Employee,
    LedgerEntry,
    ProductionLine,
    Station,
    Team,
    db,
)
from models.defects import CATEGORIES_5M1E
from models.migrations.v0018_defect_rollups import PARTIAL

ONTIME_AWARDS = PARTIAL["ledger_entry_ontime_awards"]  # a positive on-time award
STATUS_TITLES = LazyLabels(
    {
        "reported": N_("reported"),
        "in_progress": N_("in progress"),
        "fixed": N_("fixed, awaiting verification"),
        "verified": N_("verified"),
        "closed": N_("closed"),
    }
)
NOTE_MAX = 1000

P = ParamSpec("P")
R = TypeVar("R")


def audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Audit every PermissionDenied the action raises (its caller, its `defect_id`), then
    re-raise. Put it above the unit of work: the refused unit has rolled back, and the
    audit row commits on its own."""
    return audits_refusals(action, lambda given: str(given["defect_id"]))


def _defect_id(value: str | uuid.UUID) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())
    except ValueError as exc:
        raise NotFound(_("There is no defect {value!r}.", value=str(value)[:40])) from exc


def lock_defect(defect_id: str | uuid.UUID) -> Defect:
    """Load a defect for change; on PostgreSQL the row stays locked until commit."""
    query = Defect.select().where(Defect.id == _defect_id(defect_id))
    if db.is_postgresql():
        query = query.for_update()
    defect: Defect | None = query.first()
    if defect is None:
        raise NotFound(_("There is no defect {defect_id}.", defect_id=str(defect_id)[:8]))
    return defect


def _note(text: str | None, field: str, required: str | None = None) -> str:
    cleaned = clean_text(text or "", keep_newlines=True)
    if required and not cleaned:
        raise ValidationFailed({field: required})
    if len(cleaned) > NOTE_MAX:
        raise ValidationFailed(
            {field: _("Keep it under {NOTE_MAX:,} characters.", NOTE_MAX=NOTE_MAX)}
        )
    return cleaned


def _move(
    defect: Defect,
    actor: EmployeeView,
    to_status: str,
    note: str,
    now: datetime,
    terminal: str | None,
) -> None:
    from_status = defect.status
    defect.status = to_status
    defect.updated_at = now
    defect.save()
    DefectEvent.create(
        defect=defect,
        actor=actor.id,
        at=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
        terminal=terminal,
    )
    # the audit trail names every change of a defect, in the same transaction
    record_action(
        actor.id,
        f"defect_{to_status}" if to_status != from_status else "defect_update",
        str(defect.id),
        now,
        detail=str(note)[:500],
        terminal=terminal,
    )


def _require_state(defect: Defect, action: str) -> None:
    """Refuse an action the state table (defect_states.TRANSITIONS) has no row for."""
    if allowed(defect.status, action):
        return
    short = str(defect.id)[:8]
    if defect.status == "verified" and action in ("verify", "reject"):
        who = Employee.get_by_id(defect.verified_by_id).name if defect.verified_by_id else "?"
        raise Conflict(_("Defect {short} was already verified by {who}.", short=short, who=who))
    raise Conflict(
        _(
            "Defect {short} is {STATUS_TITLES}: it cannot be {doing} now.",
            short=short,
            STATUS_TITLES=STATUS_TITLES[defect.status],
            doing=_(transition(action).doing),
        )
    )


def _on_responsible_team(actor: EmployeeView, defect: Defect, doing: str) -> None:
    if actor.team_id == defect.team_id or actor.has_role("supervisor"):
        return
    team = Team.get_by_id(defect.team_id).name
    raise PermissionDenied(
        _(
            "Only {team} (the responsible team) or a supervisor may {doing} this defect.",
            team=team,
            doing=doing,
        )
    )


@audited(transition("progress").refusal_audit)
@uow.write(idempotent=True, ids={"progress_id": uuid.uuid4})
def post_progress(
    caller: Caller,
    defect_id: str | uuid.UUID,
    text: str,
    *,
    progress_id: uuid.UUID | None = None,
) -> DefectDetail:
    """A progress update; the first one moves a reported defect to in progress."""
    actor = caller.person
    note = _note(text, "progress", _("Write what was done or found."))
    defect = lock_defect(defect_id)
    if progress_id is not None and (
        DefectProgress.select().where(DefectProgress.client_id == str(progress_id)).exists()
    ):
        return _detail(defect.id, caller.now())  # sent before: once is enough
    _on_responsible_team(actor, defect, _("post progress on"))
    _require_state(defect, "progress")
    now = caller.now()
    DefectProgress.create(
        defect=defect,
        author=actor.id,
        at=now,
        text=note,
        terminal=caller.terminal,
        client_id=str(progress_id) if progress_id else None,
    )
    if defect.status == "reported":
        _move(defect, actor, "in_progress", N_("first progress update"), now, caller.terminal)
    else:
        defect.updated_at = now
        defect.save()
    return _detail(defect.id, now)


@audited(transition("fixed").refusal_audit)
@uow.write
def mark_fixed(
    caller: Caller,
    defect_id: str | uuid.UUID,
    note: str = "",
) -> DefectDetail:
    """A member of the responsible team says the correction is done."""
    actor = caller.person
    text = _note(note, "note")
    defect = lock_defect(defect_id)
    if actor.team_id != defect.team_id:
        team = Team.get_by_id(defect.team_id).name
        raise PermissionDenied(_("Only a member of {team} may mark this defect fixed.", team=team))
    _require_state(defect, "fixed")
    now = caller.now()
    defect.fixed_by_id = actor.id
    defect.fixed_at = now
    _move(defect, actor, "fixed", text or N_("correction done"), now, caller.terminal)
    return _detail(defect.id, now)


def _farming_rules(defect: Defect) -> CampaignView:
    campaign = Campaign.get_or_none(Campaign.id == defect.campaign_id) or active_campaign_row()
    return rules_of(campaign)


def outside_refusal(
    actor: EmployeeView, team_id: int, team_name: str, rules: CampaignView, doing: str
) -> str | None:
    """Why `actor` may not act as a leader from outside the team (None: they may): a team
    leader or above, from another team or from the campaign's Quality department."""
    if actor.has_role("team_leader") and (
        actor.team_id != team_id or rules.is_quality(actor.department)
    ):
        return None
    return _(
        "Only a team leader or above from outside {team}, or from the {department} "
        "department, may {doing} this defect.",
        team=team_name,
        department=rules.quality_department,
        doing=doing,
    )


def _may_verify(actor: EmployeeView, defect: Defect, doing: str) -> None:
    if not actor.has_role("team_leader"):
        raise PermissionDenied(
            _("Only a team leader or above may {doing} a correction.", doing=doing)
        )
    if defect.fixed_by_id == actor.id:
        raise PermissionDenied(
            _("You fixed this defect yourself: another leader must {doing} it.", doing=doing)
        )
    rules = _farming_rules(defect)
    if rules.verifier_outside_team:
        refusal = outside_refusal(
            actor, defect.team_id, Team.get_by_id(defect.team_id).name, rules, doing
        )
        if refusal:
            raise PermissionDenied(refusal)


def _self_reported(defect: Defect) -> bool:
    """Reported by a member of the responsible team (its team now, as the roster says)."""
    reporter_team = Employee.select(Employee.team).where(Employee.id == defect.reporter_id).scalar()
    return reporter_team is not None and reporter_team == defect.team_id


@audited(transition("confirm").refusal_audit)
@uow.write
def confirm(
    caller: Caller,
    defect_id: str | uuid.UUID,
    note: str = "",
) -> DefectDetail:
    """A leader outside the responsible team (or from Quality) confirms that a defect the
    team reported about itself is real; only then can its on-time correction earn points."""
    actor = caller.person
    text = _note(note, "note")
    defect = lock_defect(defect_id)
    short = str(defect.id)[:8]
    if not _self_reported(defect):
        raise Conflict(
            _(
                "Defect {short} was not reported by its own team: it needs no confirmation.",
                short=short,
            )
        )
    if defect.confirmed_by_id is not None:
        who = Employee.get_by_id(defect.confirmed_by_id).name
        raise Conflict(_("Defect {short} was already confirmed by {who}.", short=short, who=who))
    _require_state(defect, "confirm")
    rules = _farming_rules(defect)
    refusal = outside_refusal(
        actor, defect.team_id, Team.get_by_id(defect.team_id).name, rules, _("confirm")
    )
    if refusal:
        raise PermissionDenied(refusal)
    if defect.reporter_id == actor.id:
        raise PermissionDenied(
            _("You reported this defect yourself: another leader must confirm it.")
        )
    now = caller.now()
    defect.confirmed_by_id = actor.id
    defect.confirmed_at = now
    defect.updated_at = now
    defect.save()
    DefectEvent.create(
        defect=defect,
        actor=actor.id,
        at=now,
        from_status=defect.status,
        to_status=defect.status,
        note=f"confirmed as a real defect: {text}" if text else CONFIRMED_NOTE,
        terminal=caller.terminal,
    )
    record_action(
        actor.id, "defect_confirm", str(defect.id), now, detail=text[:500], terminal=caller.terminal
    )
    return _detail(defect.id, now)


@audited(transition("verify").refusal_audit)
@uow.write
def verify(
    caller: Caller,
    defect_id: str | uuid.UUID,
    note: str = "",
) -> DefectDetail:
    """A leader from outside the team or from Quality (never the fixer) confirms the fix; on
    time earns the campaign's points once, unless a farming rule withholds them (then the
    window closes with a 0-point row saying why: `DefectDetail.withheld`)."""
    actor = caller.person
    text = _note(note, "note")
    defect = lock_defect(defect_id)
    _require_state(defect, "verify")
    _may_verify(actor, defect, "verify")
    now = deadline_now(caller.clock)
    defect.verified_by_id = actor.id
    defect.verified_at = now
    on_time = now <= defect.due_at
    _move(
        defect,
        actor,
        "verified",
        text or (N_("verified on time") if on_time else N_("verified after the window")),
        now,
        caller.terminal,
    )
    campaign = Campaign.get_or_none(Campaign.id == defect.campaign_id) or active_campaign_row()
    write_deadline_outcome(defect, campaign, now, actor.id, on_time=on_time)
    return _detail(defect.id, now)


def deadline_now(clock: Clock) -> datetime:
    """The time a correction window is judged by. On PostgreSQL the database server's
    clock, so kiosks whose clocks drift apart cannot disagree about a deadline (a test's
    FrozenClock still decides); on SQLite, one machine's clock."""
    if db.is_postgresql() and getattr(clock, "defers_to_database", False):
        return db.server_now()
    return clock.now()


def _outcome_keys(defect: Defect) -> tuple[str, str]:
    return f"ontime:{defect.id}", f"overdue:{defect.id}"


def write_deadline_outcome(
    defect: Defect,
    campaign: Campaign | None,
    now: datetime,
    created_by_id: int | None,
    *,
    on_time: bool,
) -> bool:
    """The one outcome of a defect's correction window: +2 verified on time, or -2 late.

    Call with the defect's row locked (`lock_defect`) in the writing transaction, after
    re-reading it: whichever kiosk comes first writes the outcome, and every later
    attempt (a sweep, a verification, a retry) finds it and writes nothing, whichever
    outcome it would have chosen. Never both, never twice. True when written now.
    """
    ontime_key, overdue_key = _outcome_keys(defect)
    decided = LedgerEntry.select(LedgerEntry.id).where(
        LedgerEntry.idempotency_key.in_([ontime_key, overdue_key])
    )
    if decided.exists():
        return False
    rules = rules_of(campaign)
    amount = rules.ontime_points if on_time else rules.late_points
    withheld = _withheld(defect, campaign, rules, now) if on_time else None
    if withheld is not None:
        amount = 0
    if not on_time or withheld:
        DefectEvent.create(
            defect=defect,
            actor=created_by_id,
            at=now,
            from_status=defect.status,
            to_status=defect.status,
            note=withheld or f"correction window passed: {amount:+d} points",
        )
    # the ledger row last: on PostgreSQL it takes the chain lock, held to the commit
    ledger.write_award(
        ledger.Award(
            team_id=defect.team_id,
            amount=amount,
            reason=(
                withheld
                or (
                    f"defect {str(defect.id)[:8]} corrected and verified on time"
                    if on_time
                    else f"defect {str(defect.id)[:8]} not corrected within the window"
                )
            ),
            cause_type="defect",
            cause_id=str(defect.id),
            idempotency_key=ontime_key if on_time else overdue_key,
            employee_id=defect.fixed_by_id if on_time else None,
            created_by_id=created_by_id,
            campaign_id=campaign.id if campaign else None,
        ),
        now,
    )
    return True


def ontime_awards_today(team_id: int, now: datetime) -> int:
    """The team's positive on-time awards of the (local) day of `now`: a range of the
    partial index of schema step 18 (its condition spelt as the index spells it), so it
    reads at most the daily cap's rows."""
    first = datetime.combine(to_local(now).date(), time.min).astimezone()  # local midnight
    after = datetime.combine(first.date() + timedelta(days=1), time.min).astimezone()
    awarded = (
        LedgerEntry.select(fn.COUNT(LedgerEntry.id))
        .where(
            (LedgerEntry.team == team_id)
            & SQL(ONTIME_AWARDS)
            & (LedgerEntry.created_at >= first)
            & (LedgerEntry.created_at < after)
        )
        .scalar()
    )
    return int(awarded or 0)


WITHHELD_UNCONFIRMED = N_(
    "verified on time, but no points: a member of {team} reported it and no leader "
    "outside the team confirmed it"
)
WITHHELD_CAP = N_(
    "verified on time, but no points: {team} already earned the on-time points {cap} "
    "times today (the campaign's daily cap)"
)
CONFIRMED_NOTE = N_("confirmed as a real defect by a leader outside the team")


def _withheld(
    defect: Defect, campaign: Campaign | None, rules: CampaignView, now: datetime
) -> str | None:
    """Why an on-time correction earns no points (English, as stored), or None."""
    team = Team.get_by_id(defect.team_id).name
    if (
        rules.self_report_confirmation
        and defect.confirmed_by_id is None
        and (_self_reported(defect))
    ):
        return WITHHELD_UNCONFIRMED.format(team=team)
    if db.is_postgresql():  # the ledger's writer lock first, so two kiosks cannot both
        # count nine awards and write the tenth (ledger.write_award takes it again)
        db.database_proxy.execute_sql(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            (ledger.CHAIN_LOCK, campaign.id if campaign else 0),
        )
    awarded = ontime_awards_today(defect.team_id, now)
    cap = rules.ontime_awards_per_team_day
    if awarded >= cap:
        return WITHHELD_CAP.format(team=team, cap=cap)
    return None


@audited(transition("reject").refusal_audit)
@uow.write
def reject(
    caller: Caller,
    defect_id: str | uuid.UUID,
    reason: str,
) -> DefectDetail:
    """The verifier does not accept the fix: back to in progress, with the reason."""
    actor = caller.person
    why = _note(reason, "reason", _("Say why the fix is not accepted."))
    defect = lock_defect(defect_id)
    _require_state(defect, "reject")
    _may_verify(actor, defect, "reject")
    now = caller.now()
    defect.fixed_by = None
    defect.fixed_at = None
    _move(defect, actor, "in_progress", f"fix rejected: {why}", now, caller.terminal)
    return _detail(defect.id, now)


@dataclass(frozen=True)
class RootCause:
    factor: str | None
    cause: str
    corrective_action: str


def root_cause_problems(root: RootCause) -> dict[str, str]:
    problems: dict[str, str] = {}
    if root.factor not in CATEGORIES_5M1E:
        problems["factor"] = _("Choose the 5M1E factor of the root cause.")
    if not clean_text(root.cause):
        problems["cause"] = _("Write the root cause: why did it happen?")
    if not clean_text(root.corrective_action):
        problems["action"] = _("Write the corrective action that prevents it from happening again.")
    return problems


@audited(transition("close").refusal_audit)
@uow.write
def close(
    caller: Caller,
    defect_id: str | uuid.UUID,
    root: RootCause,
) -> DefectDetail:
    """Close a verified defect; a root cause (5M1E + text) and a corrective action are required."""
    actor = caller.person
    problems = root_cause_problems(root)
    if problems:
        raise ValidationFailed(problems)
    defect = lock_defect(defect_id)
    if not actor.has_role("team_leader"):
        raise PermissionDenied(_("Only a team leader or above may close a defect."))
    _require_state(defect, "close")
    now = caller.now()
    defect.root_cause_factor = root.factor
    defect.root_cause = _note(root.cause, "cause")
    defect.corrective_action = _note(root.corrective_action, "action")
    defect.closed_at = now
    factor = CATEGORY_LABELS.english(root.factor or "").split(" (")[0]
    _move(
        defect, actor, "closed", f"root cause ({factor}): {defect.root_cause}", now, caller.terminal
    )
    return _detail(defect.id, now)


@audited(transition("typical").refusal_audit)
@uow.write
def mark_typical(
    caller: Caller,
    defect_id: str | uuid.UUID,
    typical: bool = True,
) -> DefectDetail:
    """Mark a closed defect as a typical case for the prevention handbook (supervisor+)."""
    actor = caller.person
    defect = lock_defect(defect_id)
    if not actor.has_role("supervisor"):
        raise PermissionDenied(_("Only a supervisor or above may mark a typical case."))
    _require_state(defect, "typical")
    now = caller.now()
    defect.typical = typical
    defect.updated_at = now
    defect.save()
    DefectEvent.create(
        defect=defect,
        actor=actor.id,
        at=now,
        from_status="closed",
        to_status="closed",
        note=N_("marked as a typical case") if typical else N_("no longer a typical case"),
        terminal=caller.terminal,
    )
    record_action(
        actor.id,
        "defect_typical" if typical else "defect_not_typical",
        str(defect.id),
        now,
        terminal=caller.terminal,
    )
    return _detail(defect.id, now)


@audited(transition("reassign").refusal_audit)
@uow.write
def reassign(
    caller: Caller,
    defect_id: str | uuid.UUID,
    team_code: str,
    reason: str,
) -> DefectDetail:
    """Give the defect to another team (supervisor+, with a reason); the due time stays."""
    actor = caller.person
    why = _note(reason, "reason", _("Say why the defect goes to another team."))
    defect = lock_defect(defect_id)
    if not actor.has_role("supervisor"):
        raise PermissionDenied(_("Only a supervisor or above may reassign a defect."))
    _require_state(defect, "reassign")
    team = Team.get_or_none((Team.code == team_code.strip().upper()) & Team.active)
    if team is None:
        raise ValidationFailed({"team": _("Choose one of the plant's teams.")})
    if team.id == defect.team_id:
        raise ValidationFailed({"team": _("The defect already belongs to {name}.", name=team.name)})
    old = Team.get_by_id(defect.team_id).name
    defect.team = team
    now = caller.now()
    _move(
        defect,
        actor,
        defect.status,
        f"reassigned from {old} to {team.name}: {why}",
        now,
        caller.terminal,
    )
    return _detail(defect.id, now)


# -- reading -----------------------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    what: str


@dataclass(frozen=True)
class LedgerLine:
    id: int
    at: datetime
    team: str
    amount: int
    reason: str


@dataclass(frozen=True)
class DefectDetail:
    id: str
    short_id: str
    station_code: str
    station_name: str
    line_name: str
    team_id: int
    team_name: str
    reporter: str
    category: str
    severity: str
    source: str
    supplier: str | None
    lot: str | None
    description: str
    status: str
    reported_at: datetime
    due_at: datetime
    overdue: bool
    seconds_left: int
    fixed_by_id: int | None
    fixed_by: str | None
    verified_by: str | None
    verified_at: datetime | None
    root_cause_factor: str | None
    root_cause: str | None
    corrective_action: str | None
    typical: bool
    history: tuple[HistoryLine, ...]
    ledger: tuple[LedgerLine, ...]
    # rules against farming
    reporter_id: int = 0
    self_reported: bool = False  # reported by a member of the responsible team
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    needs_confirmation: bool = False  # self-reported, unconfirmed, and the rule is on
    verifier_outside_team: bool = True
    quality_department: str = "Quality"
    withheld: str | None = None  # why an on-time correction earned no points

    @property
    def status_title(self) -> str:
        return STATUS_TITLES.get(self.status, self.status)

    def rules(self) -> CampaignView:
        return CampaignView(
            verifier_outside_team=int(self.verifier_outside_team),
            quality_department=self.quality_department,
        )


def may_verify(actor: EmployeeView | None, detail: DefectDetail) -> bool:
    """Whether to offer `actor` the verify and reject keys (the service decides again)."""
    if actor is None or not actor.has_role("team_leader") or actor.id == detail.fixed_by_id:
        return False
    if not detail.verifier_outside_team:
        return True
    return outside_refusal(actor, detail.team_id, detail.team_name, detail.rules(), "") is None


def offer(action: str, actor: EmployeeView | None, detail: DefectDetail) -> bool | None:
    """Whether a screen offers `actor` the key of `action` on this defect, from the state
    table: None when the state or the role does not allow it (the key is greyed out),
    False when the rules refuse this person, True when offered (the service decides
    again)."""
    row = transition(action)
    if detail.status not in row.from_states:
        return None
    if action == "confirm":  # offered only to a leader who may confirm this defect
        return may_confirm(actor, detail)
    if row.role and (actor is None or not actor.has_role(row.role)):
        return None
    if action in ("verify", "reject") and not may_verify(actor, detail):
        return None  # the fixer, or a leader of the responsible team
    return True


def refusal(action: str, actor: EmployeeView | None, detail: DefectDetail, what: str) -> str:
    """Why the key `what` of `action` is not offered to `actor` on this defect (said at once
    when a greyed-out key is pressed anyway): the state it needs, or who may use it."""
    row = transition(action)
    if detail.status not in row.from_states:
        return _(
            "{what}: defect {short} is {status}; this key needs it {states}.",
            what=what,
            short=detail.short_id,
            status=detail.status_title,
            states=_(" or ").join(STATUS_TITLES[state] for state in row.from_states),
        )
    if row.role and (actor is None or not actor.has_role(row.role)):
        return _(
            "{what}: only a {role} or above may use this key.",
            what=what,
            role=ROLE_TITLES[row.role].lower(),
        )
    if actor is not None and action in ("verify", "reject", "confirm"):
        if action != "confirm" and actor.id == detail.fixed_by_id:
            return _(
                "You fixed this defect yourself: another leader must {doing} it.", doing=action
            )
        if action == "confirm" and actor.id == detail.reporter_id:
            return _("You reported this defect yourself: another leader must confirm it.")
        outside = outside_refusal(actor, detail.team_id, detail.team_name, detail.rules(), action)
        if outside is not None:
            return outside
    return _("{what}: not for this defect now.", what=what)


def may_confirm(actor: EmployeeView | None, detail: DefectDetail) -> bool:
    """Whether to offer `actor` the confirm key: a self-reported open defect not yet
    confirmed, and a leader outside the team (or Quality) who did not report it."""
    if actor is None or not detail.self_reported or detail.confirmed_by is not None:
        return False
    if not allowed(detail.status, "confirm") or actor.id == detail.reporter_id:
        return False
    return outside_refusal(actor, detail.team_id, detail.team_name, detail.rules(), "") is None


def _name(employee_id: int | None, names: dict[int, str]) -> str | None:
    if employee_id is None:
        return None
    if employee_id not in names:
        names[employee_id] = Employee.get_by_id(employee_id).name
    return names[employee_id]


def _detail(defect_id: uuid.UUID, now: datetime) -> DefectDetail:
    defect = (
        Defect.select(Defect, Station, ProductionLine, Team)
        .join(Station, on=(Defect.station == Station.id))
        .switch(Defect)
        .join(ProductionLine, on=(Defect.line == ProductionLine.id))
        .switch(Defect)
        .join(Team, on=(Defect.team == Team.id))
        .where(Defect.id == defect_id)
        .get()
    )
    names: dict[int, str] = {}
    history: list[HistoryLine] = []
    for event in DefectEvent.select().where(DefectEvent.defect == defect).order_by(DefectEvent.at):
        what: str
        if event.from_status is None:
            note = _stored_note(event.note)
            what = _("reported ({note})", note=note) if event.note else _("reported")
        elif event.from_status == event.to_status:
            what = _stored_note(event.note)
        else:
            what = f"{STATUS_TITLES[event.from_status]} → {STATUS_TITLES[event.to_status]}"
            if event.note:
                what += f": {_stored_note(event.note)}"
        history.append(HistoryLine(event.at, _name(event.actor_id, names) or _("kiosk"), what))
    for post in DefectProgress.select().where(DefectProgress.defect == defect):
        history.append(
            HistoryLine(
                post.at, _name(post.author_id, names) or "?", _("progress: {text}", text=post.text)
            )
        )
    history.sort(key=lambda line: line.at)
    entries = list(
        LedgerEntry.select(LedgerEntry, Team)
        .join(Team)
        .where((LedgerEntry.cause_type == "defect") & (LedgerEntry.cause_id == str(defect.id)))
        .order_by(LedgerEntry.id)
    )
    rules = _farming_rules(defect)
    self_reported = _self_reported(defect)
    withheld = next(
        (
            _stored_note(e.reason)
            for e in entries
            if e.idempotency_key.startswith("ontime:") and e.amount == 0
        ),
        None,
    )
    open_now = defect.status in OPEN_STATUSES
    verified_late = defect.verified_at is not None and defect.verified_at > defect.due_at
    return DefectDetail(
        id=str(defect.id),
        short_id=str(defect.id)[:8],
        station_code=defect.station.code,
        station_name=defect.station.name,
        line_name=defect.line.name,
        team_id=defect.team.id,
        team_name=defect.team.name,
        reporter=_name(defect.reporter_id, names) or "?",
        category=defect.category,
        severity=defect.severity,
        source=defect.source,
        supplier=defect.supplier.name if defect.supplier else None,
        lot=defect.lot,
        description=defect.description,
        status=defect.status,
        reported_at=defect.reported_at,
        due_at=defect.due_at,
        overdue=(open_now and now > defect.due_at) or verified_late,
        seconds_left=int((defect.due_at - now).total_seconds()),
        fixed_by_id=defect.fixed_by_id,
        fixed_by=_name(defect.fixed_by_id, names),
        verified_by=_name(defect.verified_by_id, names),
        verified_at=defect.verified_at,
        root_cause_factor=defect.root_cause_factor,
        root_cause=defect.root_cause,
        corrective_action=defect.corrective_action,
        typical=defect.typical,
        history=tuple(history),
        ledger=tuple(
            LedgerLine(e.id, e.created_at, e.team.name, e.amount, _stored_note(e.reason))
            for e in entries
        ),
        reporter_id=defect.reporter_id,
        self_reported=self_reported,
        confirmed_by=_name(defect.confirmed_by_id, names),
        confirmed_at=defect.confirmed_at,
        needs_confirmation=bool(
            self_reported and rules.self_report_confirmation and defect.confirmed_by_id is None
        ),
        verifier_outside_team=bool(rules.verifier_outside_team),
        quality_department=rules.quality_department,
        withheld=withheld,
    )


@uow.read
def defect_detail(caller: Caller, defect_id: str | uuid.UUID) -> DefectDetail:
    return _detail(_existing_id(defect_id), caller.now())


def _existing_id(defect_id: str | uuid.UUID) -> uuid.UUID:
    identifier = _defect_id(defect_id)
    if not Defect.select().where(Defect.id == identifier).exists():
        raise NotFound(_("There is no defect {defect_id}.", defect_id=str(defect_id)[:8]))
    return identifier


@dataclass(frozen=True)
class TeamOption:
    code: str
    name: str


@uow.read
def team_options() -> list[TeamOption]:
    return [
        TeamOption(t.code, t.name)
        for t in Team.select().where(Team.active & (Team.kind == "line")).order_by(Team.name)
    ]


def describe_time_left(seconds: int) -> str:
    """'1d 04h left', '3h 12m left' or 'OVERDUE 2d 03h'."""
    remaining = abs(seconds)
    days, rest = divmod(remaining, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    span = (
        _("{days}d {hours:02d}h", days=days, hours=hours)
        if days
        else _("{hours}h {minutes:02d}m", hours=hours, minutes=minutes)
    )
    return _("{span} left", span=span) if seconds >= 0 else _("OVERDUE {span}", span=span)


# Notes the kiosk writes in English into a defect's history (the database keeps them so);
# shown in the reader's language. Values in them (a 5M1E label) are translated too.
STORED_NOTES = (
    N_("reported at station {code}"),
    N_("correction window passed: {amount} points"),
    N_("fix rejected: {why}"),
    N_("root cause ({factor}): {cause}"),
    N_("reassigned from {old} to {team}: {why}"),
    N_("confirmed as a real defect: {note}"),
    WITHHELD_UNCONFIRMED,
    WITHHELD_CAP,
)


@functools.cache
def _note_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = []
    for template in STORED_NOTES:
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
        patterns.append((template, re.compile(f"^{regex}$", re.DOTALL)))
    return tuple(patterns)


def _stored_note(note: str) -> str:
    """A note the kiosk wrote in English (stored so), shown in the reader's language."""
    again = retranslate(note)
    if again is not None:
        return again
    for template, pattern in _note_patterns():
        found = pattern.match(note)
        if found:
            values = {key: retranslate(value) or value for key, value in found.groupdict().items()}
            return _(template, **values)
    return note
