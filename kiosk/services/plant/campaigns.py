"""The Quality Month campaigns: their phases, point rules and targets (data, not constants).

`CampaignView` holds every rule and target of a campaign; its field defaults come from
`models.campaign.RULE_DEFAULTS`, the one place a default lives (what applies when no
campaign is active, what a new campaign starts from, what a new row holds). `RULES`
describes each rule for the file format, the form and the checks (range, label, explanation).

A campaign is created ahead of time (inactive) or active at once; activating one is
one transaction in which the previous active campaign becomes inactive. Campaigns
never overlap, never share a name, and are never deleted: a past campaign keeps its
ledger, defects and results, and boards and exports can still show it.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from kiosk.caller import Caller
from kiosk.clock import Clock, SystemClock, to_local
from kiosk.errors import Conflict, NotFound, ValidationFailed
from kiosk.i18n import N_, _, counted
from kiosk.services.platform import uow
from kiosk.services.platform.auth import EmployeeView, record_action, require_role
from models import Campaign, db
from models.campaign import RULE_DEFAULTS

MINIMUM_ROLE = "quality_admin"
ACTION = "manage_campaigns"  # "Only a quality admin or above may manage campaigns."
NO_CAMPAIGN = N_("(no active campaign)")
NAME_LENGTH = 120
MAX_PHASES = 12
MAX_DAYS = 366
LIST_LIMIT = 200


@dataclass(frozen=True)
class Phase:
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class CampaignView:
    """A campaign with every rule and target; a rule's default is in RULE_DEFAULTS."""

    id: int | None = None
    name: str = NO_CAMPAIGN
    starts_on: date | None = None
    ends_on: date | None = None
    phases: tuple[Phase, ...] = ()
    active: bool = False
    # point rules
    correction_window_hours: int = int(RULE_DEFAULTS["correction_window_hours"])
    ontime_points: int = int(RULE_DEFAULTS["ontime_points"])
    late_points: int = int(RULE_DEFAULTS["late_points"])
    contest_correct_points: int = int(RULE_DEFAULTS["contest_correct_points"])
    contest_wrong_points: int = int(RULE_DEFAULTS["contest_wrong_points"])
    pass_mark_percent: int = int(RULE_DEFAULTS["pass_mark_percent"])
    assessment_items: int = int(RULE_DEFAULTS["assessment_items"])
    proposal_points_min: int = int(RULE_DEFAULTS["proposal_points_min"])
    proposal_points_max: int = int(RULE_DEFAULTS["proposal_points_max"])
    supplier_risk_share_percent: int = int(RULE_DEFAULTS["supplier_risk_share_percent"])
    # line evaluation weights (percent, summing to 100)
    weight_5s: int = int(RULE_DEFAULTS["weight_5s"])
    weight_standard_ops: int = int(RULE_DEFAULTS["weight_standard_ops"])
    weight_fpy: int = int(RULE_DEFAULTS["weight_fpy"])
    # targets shown against actuals on the board
    target_correction_rate_percent: int = int(RULE_DEFAULTS["target_correction_rate_percent"])
    target_training_coverage_percent: int = int(RULE_DEFAULTS["target_training_coverage_percent"])
    target_fpy_percent: int = int(RULE_DEFAULTS["target_fpy_percent"])
    critical_issue_target: int = int(RULE_DEFAULTS["critical_issue_target"])
    target_high_risk_supplier_percent: int = int(RULE_DEFAULTS["target_high_risk_supplier_percent"])
    # rules against farming points
    verifier_outside_team: int = int(
        RULE_DEFAULTS["verifier_outside_team"]
    )  # 1: verify only from outside the team or Quality; 0: off
    quality_department: str = str(RULE_DEFAULTS["quality_department"])
    self_report_confirmation: int = int(
        RULE_DEFAULTS["self_report_confirmation"]
    )  # 1: a self-reported defect earns +2 only if confirmed
    ontime_awards_per_team_day: int = int(RULE_DEFAULTS["ontime_awards_per_team_day"])
    suspicious_self_reports: int = int(RULE_DEFAULTS["suspicious_self_reports"])
    suspicious_fix_hours: int = int(RULE_DEFAULTS["suspicious_fix_hours"])

    @property
    def weights(self) -> tuple[int, int, int]:
        return (self.weight_5s, self.weight_standard_ops, self.weight_fpy)

    @property
    def exists(self) -> bool:
        return self.id is not None

    def phases_on(self, day: date) -> list[Phase]:
        return [phase for phase in self.phases if phase.starts_on <= day <= phase.ends_on]

    def days_left(self, day: date) -> int | None:
        if self.ends_on is None:
            return None
        return max((self.ends_on - day).days, 0)

    def rules(self) -> dict[str, int | str]:
        return {rule.key: getattr(self, rule.key) for rule in RULES}

    def is_quality(self, department: str) -> bool:
        """Whether a person's department is the campaign's Quality department."""
        return " ".join(department.split()).casefold() == (
            " ".join(self.quality_department.split()).casefold()
        )


_VIEW_DEFAULTS = {
    f.name: f.default for f in fields(CampaignView) if isinstance(f.default, int | str)
}


@dataclass(frozen=True)
class Rule:
    key: str  # the Campaign column and the CampaignView field
    section: str  # the campaign file's table: rules, line_evaluation or targets
    file_key: str  # the key in that table
    label: str  # for the form (N_: read with _())
    low: int
    high: int
    explain: str  # a comment in the campaign file template (English)
    text: bool = False  # a text rule: low and high bound its length

    @property
    def default(self) -> int | str:
        value = _VIEW_DEFAULTS[self.key]
        return str(value) if self.text else int(value)

    def file_value(self, value: object) -> str:
        """The value as the campaign file writes it (text in TOML quotes)."""
        if self.text:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}"'
        return str(value)


RULES: tuple[Rule, ...] = (
    Rule(
        "correction_window_hours",
        "rules",
        "correction_window_hours",
        N_("Correction window (hours)"),
        1,
        720,
        "hours a team has to correct a reported defect (its due time = reported + this)",
    ),
    Rule(
        "ontime_points",
        "rules",
        "ontime_points",
        N_("Points for an on-time correction"),
        0,
        100,
        "points to the responsible team for a correction verified inside the window",
    ),
    Rule(
        "late_points",
        "rules",
        "late_points",
        N_("Points for a missed window"),
        -100,
        0,
        "points (zero or negative) once, when the window passes without a verified correction",
    ),
    Rule(
        "contest_correct_points",
        "rules",
        "contest_correct_points",
        N_("Contest: points for a right answer"),
        0,
        100,
        "knowledge contest: points to the team for a right answer",
    ),
    Rule(
        "contest_wrong_points",
        "rules",
        "contest_wrong_points",
        N_("Contest: points for a wrong answer"),
        -100,
        0,
        "knowledge contest: points (zero or negative) for a wrong answer",
    ),
    Rule(
        "pass_mark_percent",
        "rules",
        "pass_mark_percent",
        N_("Assessment pass mark (%)"),
        1,
        100,
        "training assessment: the share of right answers that passes (%)",
    ),
    Rule(
        "assessment_items",
        "rules",
        "assessment_items",
        N_("Items per assessment"),
        1,
        100,
        "training assessment: how many items are drawn from the question bank",
    ),
    Rule(
        "proposal_points_min",
        "rules",
        "proposal_points_min",
        N_("Proposal points: lowest"),
        0,
        100,
        "improvement proposals: the fewest points a reviewer may award",
    ),
    Rule(
        "proposal_points_max",
        "rules",
        "proposal_points_max",
        N_("Proposal points: highest"),
        1,
        100,
        "improvement proposals: the most points a reviewer may award",
    ),
    Rule(
        "supplier_risk_share_percent",
        "rules",
        "supplier_risk_share_percent",
        N_("High-risk supplier: defect share (%)"),
        1,
        100,
        "a supplier with this share (%) of the period's incoming-material defects is high-risk",
    ),
    Rule(
        "verifier_outside_team",
        "rules",
        "verifier_outside_team",
        N_("Verifier from outside the team (1 = on, 0 = off)"),
        0,
        1,
        "against farming: 1 = only a team leader or above from outside the responsible team, "
        "or from the Quality department, may verify or reject a fix; 0 = any leader but the "
        "fixer",
    ),
    Rule(
        "quality_department",
        "rules",
        "quality_department",
        N_("Quality department (its leaders may verify any team)"),
        1,
        40,
        "the department whose team leaders and above may verify and confirm for any team "
        "(as the roster names it)",
        text=True,
    ),
    Rule(
        "self_report_confirmation",
        "rules",
        "self_report_confirmation",
        N_("Self-reported defects need a confirmation (1 = on, 0 = off)"),
        0,
        1,
        "against farming: 1 = a defect reported by a member of the responsible team earns "
        "the on-time points only when a leader outside the team (or Quality) confirmed it "
        "was real",
    ),
    Rule(
        "ontime_awards_per_team_day",
        "rules",
        "ontime_awards_per_team_day",
        N_("On-time awards per team and day, at most"),
        1,
        1000,
        "against farming: a team earns the on-time points at most this many times a day; "
        "corrections over the cap are verified but earn nothing",
    ),
    Rule(
        "suspicious_self_reports",
        "rules",
        "suspicious_self_reports",
        N_("Red-Black List: self-reported quick fixes that mark a team"),
        1,
        10_000,
        "the Red-Black List marks a team with at least this many self-reported defects "
        "fixed quickly in the campaign",
    ),
    Rule(
        "suspicious_fix_hours",
        "rules",
        "suspicious_fix_hours",
        N_("Red-Black List: a quick fix takes at most (hours)"),
        1,
        720,
        "a self-reported defect counts as fixed quickly when it was marked fixed within "
        "this many hours of its report",
    ),
    Rule(
        "weight_5s",
        "line_evaluation",
        "weight_5s",
        N_("Line evaluation weight: 5S/7S (%)"),
        0,
        100,
        "benchmark-line evaluation: weight of the 5S/7S score (the three weights add up to 100)",
    ),
    Rule(
        "weight_standard_ops",
        "line_evaluation",
        "weight_standard_ops",
        N_("Line evaluation weight: standardized operations (%)"),
        0,
        100,
        "weight of the standardized-operations score",
    ),
    Rule(
        "weight_fpy",
        "line_evaluation",
        "weight_fpy",
        N_("Line evaluation weight: first-pass yield (%)"),
        0,
        100,
        "weight of the line's first-pass yield",
    ),
    Rule(
        "target_correction_rate_percent",
        "targets",
        "correction_rate_percent",
        N_("Target: defects corrected on time (%)"),
        0,
        100,
        "board target: defects verified inside their window / all defects due (%)",
    ),
    Rule(
        "target_training_coverage_percent",
        "targets",
        "training_coverage_percent",
        N_("Target: training coverage (%)"),
        0,
        100,
        "board target: active employees with a passed assessment (%)",
    ),
    Rule(
        "target_fpy_percent",
        "targets",
        "fpy_percent",
        N_("Target: first-pass yield (%)"),
        0,
        100,
        "board target: units passed the first time / units produced, all lines (%)",
    ),
    Rule(
        "critical_issue_target",
        "targets",
        "critical_issues",
        N_("Target: critical issues resolved"),
        0,
        10_000,
        "board target: critical defects closed during the campaign",
    ),
    Rule(
        "target_high_risk_supplier_percent",
        "targets",
        "high_risk_supplier_percent",
        N_("Target: high-risk suppliers at most (%)"),
        0,
        100,
        "board target: high-risk suppliers / active suppliers, at most (%)",
    ),
)
RULES_BY_KEY = {rule.key: rule for rule in RULES}
WEIGHT_KEYS = ("weight_5s", "weight_standard_ops", "weight_fpy")


def _defaults() -> CampaignView:
    """Rules that apply when no campaign is active: CampaignView's defaults."""
    return CampaignView(name=_(NO_CAMPAIGN))


def _phases_of(campaign: Campaign) -> tuple[Phase, ...]:
    return tuple(
        Phase(
            item["name"], date.fromisoformat(item["starts_on"]), date.fromisoformat(item["ends_on"])
        )
        for item in json.loads(campaign.phases_json or "[]")
    )


def campaign_view(campaign: Campaign) -> CampaignView:
    rules: dict[str, Any] = {  # each rule's value as its field holds it
        rule.key: str(getattr(campaign, rule.key))
        if rule.text
        else int(getattr(campaign, rule.key))
        for rule in RULES
    }
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        phases=_phases_of(campaign),
        active=bool(campaign.active),
        **rules,
    )


def rules_of(campaign: Campaign | None) -> CampaignView:
    """The rules of a campaign row, or the defaults when there is none."""
    return campaign_view(campaign) if campaign is not None else _defaults()


def active_campaign_row() -> Campaign | None:
    row: Campaign | None = (
        Campaign.select().where(Campaign.active).order_by(Campaign.starts_on.desc()).first()
    )
    return row


@uow.read
def active_campaign() -> CampaignView:
    return rules_of(active_campaign_row())


def local_day(clock: Clock | None = None) -> date:
    moment: datetime = (clock or SystemClock()).now()
    return to_local(moment).date()


# -- reading campaigns ------------------------------------------------------------------


@uow.read
def list_campaigns() -> list[CampaignView]:
    """Every campaign, newest first (a plant has one a year: the list is short)."""
    return _campaign_list()


def _campaign_list() -> list[CampaignView]:
    query = Campaign.select().order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    return [campaign_view(row) for row in query.limit(LIST_LIMIT)]


@dataclass(frozen=True)
class CampaignAdmin:
    """What the quality admin's campaign screen shows: the campaigns, and the rules a new
    campaign starts from (the active campaign's, so next year's starts from this year's)."""

    campaigns: tuple[CampaignView, ...]
    starting_rules: CampaignView


def campaigns_for_admin(caller: Caller) -> CampaignAdmin:
    """The campaign screen's list (quality admins; a refusal is audited)."""
    require_role(caller, MINIMUM_ROLE, ACTION, target="campaigns")
    return _campaign_admin()


@uow.read
def _campaign_admin() -> CampaignAdmin:
    return CampaignAdmin(tuple(_campaign_list()), rules_of(active_campaign_row()))


def campaign_row(name_or_id: str | int) -> Campaign:
    """A campaign by name (case and extra spaces ignored), else by id (an int, or text of
    digits that names no campaign); NotFound otherwise."""
    row = None
    if not isinstance(name_or_id, int):
        wanted = " ".join(str(name_or_id).split()).casefold()
        row = next((r for r in Campaign.select() if r.name.casefold() == wanted), None)
    if row is None and str(name_or_id).strip().isdigit():
        row = Campaign.get_or_none(Campaign.id == int(str(name_or_id).strip()))
    if row is None:
        raise NotFound(_("No campaign is named {name}.", name=str(name_or_id)[:NAME_LENGTH]))
    return row


@uow.read
def find_campaign(name_or_id: str | int) -> CampaignView:
    return campaign_view(campaign_row(name_or_id))


# -- checking a new campaign --------------------------------------------------------------


@dataclass(frozen=True)
class PhaseDraft:
    name: str = ""
    starts_on: str | date = ""
    ends_on: str | date = ""


@dataclass(frozen=True)
class CampaignDraft:
    """A campaign as typed or read from a file: nothing checked yet. A rule that is not
    given takes its default."""

    name: str = ""
    starts_on: str | date = ""
    ends_on: str | date = ""
    phases: tuple[PhaseDraft, ...] = ()
    rules: Mapping[str, object] = field(default_factory=dict)


def _date(value: str | date, field_name: str, problems: dict[str, str], what: str) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        problems[field_name] = _("Give {what} as YYYY-MM-DD.", what=_(what))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[field_name] = _(
            "{text!r} is not a date: give {what} as YYYY-MM-DD.", text=text[:30], what=_(what)
        )
        return None


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return None


def check_draft(draft: CampaignDraft) -> CampaignView:
    """The draft as a view (id None, inactive), or ValidationFailed naming every problem.
    Checks what needs no database; `create_campaign` adds names and overlaps."""
    problems: dict[str, str] = {}
    name = " ".join(str(draft.name or "").split())
    if not name:
        problems["name"] = _("Give the campaign a name.")
    elif len(name) > NAME_LENGTH:
        problems["name"] = _("The name is longer than {limit} characters.", limit=NAME_LENGTH)
    starts = _date(draft.starts_on, "starts_on", problems, N_("the first day"))
    ends = _date(draft.ends_on, "ends_on", problems, N_("the last day"))
    if starts and ends:
        if ends < starts:
            problems["ends_on"] = _(
                "The campaign ends ({ends_on}) before it starts ({starts_on}).",
                ends_on=ends,
                starts_on=starts,
            )
        elif (ends - starts).days + 1 > MAX_DAYS:
            problems["ends_on"] = _("A campaign lasts at most {days} days.", days=MAX_DAYS)
    phases = _check_phases(draft.phases, starts, ends, problems)
    rules = _check_rules(draft.rules, problems)
    if problems:
        raise ValidationFailed(problems)
    assert starts is not None and ends is not None
    return CampaignView(name=name, starts_on=starts, ends_on=ends, phases=phases, **rules)


def _check_phases(
    drafts: Sequence[PhaseDraft],
    starts: date | None,
    ends: date | None,
    problems: dict[str, str],
) -> tuple[Phase, ...]:
    if len(drafts) > MAX_PHASES:
        problems["phases"] = _("A campaign has at most {count} phases.", count=MAX_PHASES)
        return ()
    phases = []
    for number, item in enumerate(drafts, start=1):
        key = f"phase_{number}"
        phase_name = " ".join(str(item.name or "").split())
        if not phase_name:
            problems[key] = _("Phase {number} needs a name.", number=number)
            continue
        if len(phase_name) > NAME_LENGTH:
            problems[key] = _(
                "Phase {number}: the name is longer than {limit} characters.",
                number=number,
                limit=NAME_LENGTH,
            )
            continue
        found: dict[str, str] = {}
        first = _date(item.starts_on, "starts_on", found, N_("the phase's first day"))
        last = _date(item.ends_on, "ends_on", found, N_("the phase's last day"))
        if found:
            problems[key] = _(
                "Phase {number} ({name}): {problem}",
                number=number,
                name=phase_name,
                problem=" ".join(found.values()),
            )
            continue
        assert first is not None and last is not None
        if last < first:
            problems[key] = _(
                "Phase {number} ({name}) ends ({ends_on}) before it starts ({starts_on}).",
                number=number,
                name=phase_name,
                ends_on=last,
                starts_on=first,
            )
            continue
        if starts and ends and (first < starts or last > ends):
            problems[key] = _(
                "Phase {number} ({name}) lies outside the campaign ({starts_on} – {ends_on}).",
                number=number,
                name=phase_name,
                starts_on=starts,
                ends_on=ends,
            )
            continue
        phases.append(Phase(phase_name, first, last))
    names = [phase.name.casefold() for phase in phases]
    if len(set(names)) != len(names):
        problems["phases"] = _("Two phases have the same name.")
    return tuple(phases)


def _check_text_rule(rule: Rule, raw: object, problems: dict[str, str]) -> str | None:
    text = " ".join(str(raw).split()) if isinstance(raw, str) else None
    if text is None:
        problems[rule.key] = _("{label}: give it as text.", label=_(rule.label))
    elif not rule.low <= len(text) <= rule.high:
        problems[rule.key] = _(
            "{label}: give {low} to {high} characters.",
            label=_(rule.label),
            low=rule.low,
            high=rule.high,
        )
    return text


def _check_rules(given: Mapping[str, object], problems: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(RULES_BY_KEY))
    if unknown:
        problems["rules"] = _("Unknown rules: {items}.", items=", ".join(unknown))
    values: dict[str, Any] = {}
    for rule in RULES:
        raw = given.get(rule.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values[rule.key] = rule.default
            continue
        if rule.text:
            text = _check_text_rule(rule, raw, problems)
            if rule.key not in problems:
                values[rule.key] = text
            continue
        number = _whole_number(raw)
        if number is None:
            problems[rule.key] = _(
                "{label}: give a whole number (got {text!r}).",
                label=_(rule.label),
                text=str(raw)[:20],
            )
        elif not rule.low <= number <= rule.high:
            problems[rule.key] = _(
                "{label} must be from {low} to {high} (got {value}).",
                label=_(rule.label),
                low=rule.low,
                high=rule.high,
                value=number,
            )
        else:
            values[rule.key] = number
    if all(key in values for key in WEIGHT_KEYS):
        total = sum(values[key] for key in WEIGHT_KEYS)
        if total != 100:
            problems["weights"] = _(
                "The line-evaluation weights add up to {total} %; they must add up to 100 %.",
                total=total,
            )
    low, high = values.get("proposal_points_min"), values.get("proposal_points_max")
    if low is not None and high is not None and low > high:
        problems["proposal_points_max"] = _(
            "The highest proposal points ({high}) are below the lowest ({low}).",
            high=high,
            low=low,
        )
    return values


def _check_against_others(view: CampaignView, problems: dict[str, str]) -> None:
    """Another campaign with the same name, or dates that overlap another campaign."""
    assert view.starts_on is not None and view.ends_on is not None
    for other in Campaign.select().order_by(Campaign.starts_on):
        if other.name.casefold() == view.name.casefold():
            problems["name"] = _(
                "A campaign named {name} already exists: choose another name.", name=other.name
            )
        if other.starts_on <= view.ends_on and view.starts_on <= other.ends_on:
            problems.setdefault(
                "starts_on",
                _(
                    "The dates overlap the campaign {name} ({starts_on} – {ends_on}): "
                    "campaigns may not overlap.",
                    name=other.name,
                    starts_on=other.starts_on,
                    ends_on=other.ends_on,
                ),
            )


# -- creating and activating ----------------------------------------------------------------


def command_line_user() -> str:
    """Who runs a `kiosk campaign` command, for the audit trail (no badge there)."""
    try:
        return getpass.getuser()
    except Exception:  # no such user in the password database (a container)
        return "unknown"


def _who(actor: EmployeeView | None) -> str:
    return "" if actor is not None else f"command line, OS user {command_line_user()}"


def _allowed(caller: Caller, target: str) -> None:
    """The command line (no actor) is the plant's IT person; at a kiosk, quality admins."""
    if caller.actor is not None:
        require_role(caller, MINIMUM_ROLE, ACTION, target=target)


def _lock_campaigns() -> None:
    """Campaign changes one at a time (a new name, the overlap check, the active switch)."""
    if db.is_postgresql():
        db.database_proxy.execute_sql("LOCK TABLE campaign IN SHARE ROW EXCLUSIVE MODE")


def create_campaign(
    caller: Caller, draft: CampaignDraft, *, activate: bool = False
) -> CampaignView:
    """Create a campaign (inactive, or active at once); refused unless every check passes.
    A caller with no actor: the command line (audited with the OS user)."""
    _allowed(caller, str(draft.name)[:NAME_LENGTH])
    return _create(caller, check_draft(draft), activate)


@uow.write
def _create(caller: Caller, view: CampaignView, activate: bool) -> CampaignView:
    actor = caller.actor
    _lock_campaigns()
    problems: dict[str, str] = {}
    _check_against_others(view, problems)
    if problems:
        raise ValidationFailed(problems)
    now = caller.now()
    row = Campaign.create(
        name=view.name,
        starts_on=view.starts_on,
        ends_on=view.ends_on,
        active=False,
        phases_json=json.dumps(
            [
                {
                    "name": p.name,
                    "starts_on": p.starts_on.isoformat(),
                    "ends_on": p.ends_on.isoformat(),
                }
                for p in view.phases
            ],
            ensure_ascii=False,
        ),
        **view.rules(),
    )
    record_action(
        actor.id if actor else None,
        "create_campaign",
        view.name,
        now,
        detail="; ".join(
            part
            for part in (
                f"{view.starts_on}..{view.ends_on}",
                counted(len(view.phases), "phase"),
                ", ".join(f"{key}={value}" for key, value in view.rules().items()),
                _who(actor),
            )
            if part
        ),
        terminal=caller.terminal,
    )
    if activate:
        return _activate(row, caller, now)
    return campaign_view(row)


def activate_campaign(caller: Caller, name_or_id: str | int) -> CampaignView:
    """Make one campaign the active one; the previous one becomes inactive in the same
    transaction (its ledger, defects and results stay with it)."""
    _allowed(caller, str(name_or_id)[:NAME_LENGTH])
    return _activate_named(caller, name_or_id)


@uow.write
def _activate_named(caller: Caller, name_or_id: str | int) -> CampaignView:
    _lock_campaigns()
    row = campaign_row(name_or_id)
    if row.active:
        raise Conflict(_("{name} is already the active campaign.", name=row.name))
    return _activate(row, caller, caller.now())


def _activate(row: Campaign, caller: Caller, now: datetime) -> CampaignView:
    actor = caller.actor
    previous = [c.name for c in Campaign.select(Campaign.name).where(Campaign.active)]
    Campaign.update(active=False).where(Campaign.active).execute()
    Campaign.update(active=True).where(Campaign.id == row.id).execute()
    record_action(
        actor.id if actor else None,
        "activate_campaign",
        row.name,
        now,
        detail="; ".join(
            part
            for part in (
                f"previously active: {', '.join(previous) or 'none'}",
                _who(actor),
            )
            if part
        ),
        terminal=caller.terminal,
    )
    return replace(campaign_view(row), active=True)


def draft_from_view(view: CampaignView) -> CampaignDraft:
    """A draft holding a view's values (a form that starts from the defaults)."""
    return CampaignDraft(
        name="" if view.id is None else view.name,
        starts_on=view.starts_on or "",
        ends_on=view.ends_on or "",
        phases=tuple(PhaseDraft(p.name, p.starts_on, p.ends_on) for p in view.phases),
        rules=view.rules(),
    )
