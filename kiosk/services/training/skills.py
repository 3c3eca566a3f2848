"""Skill competitions: events with scored criteria, participants, judges, rankings.

Events are data (kiosk/data/skill_events.toml, upserted by code). Judges
(supervisor and above) give each participant a whole-number score per
criterion inside its range; a judge entering a score again replaces their own.
A participant's total is the sum over criteria of the average of the judges'
scores for that criterion. Equal totals share a rank; rank 1 wins.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import (
    EmployeeView,
    active_employee,
    normalise_badge,
    record_action,
)
from kiosk.services.platform.refusals import audits_refusals, requires_role
from kiosk.services.platform.text import clean_text, shorten
from models import Employee, db
from models.contests import SkillCriterion, SkillEvent, SkillParticipant, SkillScore

JUDGE_ROLE = "supervisor"
SCORE_LIMIT = 1000
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
_WHOLE = re.compile(r"^[+-]?\d{1,6}$")


# -- views ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionView:
    code: str
    name: str
    min_score: int
    max_score: int

    @property
    def range_text(self) -> str:
        return f"{self.min_score}-{self.max_score}"


@dataclass(frozen=True)
class ParticipantView:
    id: int
    badge_code: str
    name: str
    department: str


@dataclass(frozen=True)
class SkillEventView:
    code: str
    name: str
    description: str
    criteria: tuple[CriterionView, ...]
    participants: tuple[ParticipantView, ...]

    @property
    def max_total(self) -> int:
        return sum(c.max_score for c in self.criteria)

    def criterion(self, code: str) -> CriterionView | None:
        return next((c for c in self.criteria if c.code == code), None)


@dataclass(frozen=True)
class CriterionScore:
    criterion: CriterionView
    score: int | None  # this judge's score; None when not given yet


@dataclass(frozen=True)
class ScoreSheet:
    """One judge's scores for one participant."""

    event: SkillEventView
    participant: ParticipantView
    judge_name: str
    scores: tuple[CriterionScore, ...]
    replaced: tuple[str, ...] = ()  # criteria whose earlier score by this judge was replaced

    @property
    def total(self) -> int:
        return sum(s.score for s in self.scores if s.score is not None)

    @property
    def scored(self) -> int:
        return sum(1 for s in self.scores if s.score is not None)


@dataclass(frozen=True)
class RankingRow:
    participant: ParticipantView
    rank: int | None  # None: no score yet
    total: Fraction
    judges: int
    criteria_scored: int
    criteria_total: int
    winner: bool

    @property
    def total_text(self) -> str:
        if self.rank is None:
            return "—"
        value = round(float(self.total), 2)
        return f"{value:g}" if value == int(value) else f"{value:.2f}"

    @property
    def complete(self) -> bool:
        return self.criteria_scored == self.criteria_total


@dataclass(frozen=True)
class EventRanking:
    event: SkillEventView
    rows: tuple[RankingRow, ...]  # best first; equal totals share a rank; unscored last

    @property
    def winners(self) -> tuple[RankingRow, ...]:
        """Named only once every participant is scored on every criterion."""
        return tuple(row for row in self.rows if row.winner)

    @property
    def leaders(self) -> tuple[RankingRow, ...]:
        """The best so far (the winners once everyone is scored)."""
        return tuple(row for row in self.rows if row.rank == 1)

    @property
    def fully_scored(self) -> int:
        return sum(1 for row in self.rows if row.rank is not None and row.complete)

    @property
    def decided(self) -> bool:
        return bool(self.rows) and self.fully_scored == len(self.rows)

    def row_of(self, badge_code: str) -> RankingRow | None:
        return next((r for r in self.rows if r.participant.badge_code == badge_code), None)


# -- events as data -----------------------------------------------------------------------


@uow.write
def load_skill_events(events: list[Mapping[str, object]]) -> int:
    """Insert or update events and their criteria by code; all or nothing.

    Criteria that a known event no longer lists are kept (scores refer to them)
    but set inactive. Returns the number of events loaded.
    """
    problems: dict[str, str] = {}
    checked: list[tuple[dict[str, object], list[dict[str, object]]]] = []
    seen_events: set[str] = set()
    for number, event in enumerate(events, start=1):
        found: list[str] = []
        code = _code(event.get("code"), found)
        name = _text(event.get("name"), "name", found)
        if code in seen_events:
            found.append(_("code {code} is used twice", code=code))
        seen_events.add(code)
        raw_criteria = event.get("criterion")
        criteria: list[dict[str, object]] = []
        if not isinstance(raw_criteria, list) or not raw_criteria:
            found.append(_("needs at least one [[event.criterion]]"))
        else:
            seen: set[str] = set()
            for n, raw in enumerate(raw_criteria, start=1):
                if not isinstance(raw, Mapping):
                    found.append(_("criterion {n} is not a table", n=n))
                    continue
                mine: list[str] = []
                c_code = _code(raw.get("code"), mine)
                c_name = _text(raw.get("name"), "name", mine)
                low, high = raw.get("min", 0), raw.get("max", 10)
                if not (isinstance(low, int) and isinstance(high, int)) or isinstance(low, bool):
                    mine.append(_("min and max must be whole numbers"))
                elif not -SCORE_LIMIT <= low < high <= SCORE_LIMIT:
                    mine.append(
                        _("the range {low}-{high} is not a range (min < max)", low=low, high=high)
                    )
                if c_code in seen:
                    mine.append(_("code {c_code} is used twice", c_code=c_code))
                seen.add(c_code)
                found.extend(_("criterion {n}: {p}", n=n, p=p) for p in mine)
                criteria.append(
                    {"code": c_code, "name": c_name, "min": low, "max": high, "position": n}
                )
        if found:
            problems[f"event {number}"] = _(
                "event {number}: {items}", number=number, items="; ".join(found)
            )
        else:
            description = clean_text(str(event.get("description", "")))
            position = event.get("position", number)
            checked.append(
                (
                    {
                        "code": code,
                        "name": name,
                        "description": description,
                        "position": position if isinstance(position, int) else number,
                    },
                    criteria,
                )
            )
    if problems:
        raise ValidationFailed(problems)
    for event, criteria in checked:
        SkillEvent.insert(**event, active=True).on_conflict(
            conflict_target=[SkillEvent.code],
            update={
                SkillEvent.name: event["name"],
                SkillEvent.description: event["description"],
                SkillEvent.position: event["position"],
                SkillEvent.active: True,
            },
        ).execute()
        row = SkillEvent.get(SkillEvent.code == event["code"])
        for criterion in criteria:
            values = {
                SkillCriterion.name: criterion["name"],
                SkillCriterion.min_score: criterion["min"],
                SkillCriterion.max_score: criterion["max"],
                SkillCriterion.position: criterion["position"],
                SkillCriterion.active: True,
            }
            SkillCriterion.insert(
                event=row,
                code=criterion["code"],
                name=criterion["name"],
                min_score=criterion["min"],
                max_score=criterion["max"],
                position=criterion["position"],
                active=True,
            ).on_conflict(
                conflict_target=[SkillCriterion.event, SkillCriterion.code], update=values
            ).execute()
        SkillCriterion.update(active=False).where(
            (SkillCriterion.event == row)
            & SkillCriterion.code.not_in([c["code"] for c in criteria])
        ).execute()
    return len(checked)


def load_default_skill_events() -> int:
    """The campaign's three events (kiosk/data/skill_events.toml)."""
    text = resources.files("kiosk").joinpath("data/skill_events.toml").read_text(encoding="utf-8")
    return load_skill_events(tomllib.loads(text)["event"])


def _code(value: object, found: list[str]) -> str:
    code = clean_text(value).upper() if isinstance(value, str) else ""
    if not _CODE.match(code):
        found.append(_("code must be 1-32 letters, digits, '_' or '-'"))
    return code


def _text(value: object, key: str, found: list[str]) -> str:
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        found.append(_("{key} is missing", key=key))
    elif len(text) > 120:
        found.append(_("{key} is longer than 120 characters", key=key))
    return text


# -- reading ---------------------------------------------------------------------------------


@uow.read
def skill_events() -> list[SkillEventView]:
    events = SkillEvent.select().where(SkillEvent.active).order_by(SkillEvent.position)
    return [_event_view(event) for event in events]


@uow.read
def event_view(event_code: str) -> SkillEventView:
    return _event_view(_event(event_code))


@uow.read
def score_sheet(caller: Caller, event_code: str, badge_code: str) -> ScoreSheet:
    """What this judge has entered so far for one participant."""
    judge = caller.person
    event = _event(event_code)
    return _sheet(event, _participant(event, badge_code), judge)


@uow.read
def ranking(event_code: str) -> EventRanking:
    return _ranking(_event(event_code))


# -- writing ------------------------------------------------------------------------------------


@requires_role(
    JUDGE_ROLE, "register_a_participant", lambda given: shorten(given["event_code"] or "")
)
@uow.write
def register_participant(
    caller: Caller,
    event_code: str,
    badge_code: str,
) -> SkillEventView:
    """Enter an active employee in an event (supervisor and up; once per event)."""
    actor = caller.person
    code = normalise_badge(clean_text(badge_code or ""))
    if not code:
        raise ValidationFailed({"badge": _("Scan or type the participant's badge.")})
    event = _event(event_code)
    employee = Employee.get_or_none(Employee.badge_code == code[:64])
    if employee is None or len(code) > 64:
        raise ValidationFailed({"badge": _("Badge {code} is not known.", code=shorten(code, 20))})
    if not employee.active:
        raise ValidationFailed(
            {
                "badge": _(
                    "{code} ({name}) is inactive and cannot take part.",
                    code=code,
                    name=employee.name,
                )
            }
        )
    now = caller.now()
    inserted = list(
        SkillParticipant.insert(
            event=event,
            employee=employee,
            registered_at=now,
            registered_by=actor.id,
        )
        .on_conflict_ignore()
        .returning(SkillParticipant.id)
        .execute()
    )
    if not inserted:
        raise ValidationFailed(
            {
                "badge": _(
                    "{name} ({code}) already takes part in {name2}.",
                    name=employee.name,
                    code=code,
                    name2=event.name,
                )
            }
        )
    record_action(
        actor.id,
        "register_skill_participant",
        f"{event.code} {code}",
        now,
        terminal=caller.terminal,
    )
    return _event_view(event)


@requires_role(
    JUDGE_ROLE,
    "judge_a_skill_competition",
    lambda given: f"{shorten(given['event_code'] or '')} {shorten(given['badge_code'] or '')}",
)
@audits_refusals("enter_skill_scores", lambda given: shorten(given["event_code"] or ""))
@uow.write
def enter_scores(
    caller: Caller,
    event_code: str,
    badge_code: str,
    scores: Mapping[str, object],
) -> ScoreSheet:
    """Save a judge's scores for one participant, by criterion code; all or nothing.

    Blank values are left as they were. A value outside its criterion's range,
    or not a whole number, refuses the lot (the problem is named per criterion).
    """
    judge = caller.person
    event = _event(event_code)
    participant = _participant(event, badge_code)
    if participant.employee_id == judge.id:
        raise PermissionDenied(
            _("You take part in {name}: another judge must score you.", name=event.name)
        )
    criteria = {
        c.code: c
        for c in SkillCriterion.select().where(
            (SkillCriterion.event == event) & SkillCriterion.active
        )
    }
    problems: dict[str, str] = {}
    values: dict[str, int] = {}
    for raw_code, raw_value in scores.items():
        code = clean_text(str(raw_code)).upper()
        criterion = criteria.get(code)
        if criterion is None:
            problems[code or "?"] = _(
                "{code} is not a criterion of {name}.",
                code=shorten(code, 20),
                name=event.name,
            )
            continue
        text = clean_text(str(raw_value)) if raw_value is not None else ""
        if not text:
            continue
        label = f"{criterion.name}: "
        limits = f"{criterion.min_score} to {criterion.max_score}"
        if not _WHOLE.match(text):
            problems[code] = _(
                "{label}{text!r} is not a whole number from {limits}.",
                label=label,
                text=shorten(text, 12),
                limits=limits,
            )
            continue
        value = int(text)
        if not criterion.min_score <= value <= criterion.max_score:
            problems[code] = _(
                "{label}{value} is out of range: give a score from {limits}.",
                label=label,
                value=value,
                limits=limits,
            )
            continue
        values[code] = value
    if problems:
        raise ValidationFailed(problems)
    if not values:
        raise ValidationFailed({"scores": _("Enter at least one score.")})
    judge_row = active_employee(judge)
    now = caller.now()
    earlier = {
        s.criterion_id
        for s in SkillScore.select(SkillScore.criterion).where(
            (SkillScore.participant == participant) & (SkillScore.judge == judge.id)
        )
    }
    replaced = []
    for code, value in values.items():
        criterion = criteria[code]
        if criterion.id in earlier:
            replaced.append(code)
        SkillScore.insert(
            participant=participant,
            criterion=criterion,
            judge=judge_row,
            score=value,
            entered_at=now,
            terminal=caller.terminal,
        ).on_conflict(
            conflict_target=[
                SkillScore.participant,
                SkillScore.criterion,
                SkillScore.judge,
            ],
            update={
                SkillScore.score: value,
                SkillScore.entered_at: now,
                SkillScore.terminal: caller.terminal,
            },
        ).execute()
    record_action(
        judge_row,
        "enter_skill_scores",
        f"{event.code} {participant.employee.badge_code}",
        now,
        detail=", ".join(f"{code}={value}" for code, value in values.items()),
        terminal=caller.terminal,
    )
    return _sheet(event, participant, judge, tuple(replaced))


# -- demo -----------------------------------------------------------------------------------

DEMO_PARTICIPANTS = {
    "EQUIP": ["E1003", "E2003", "E4006"],
    "SOLDER": ["E3002", "E3004", "E3005", "E3006"],
    "BLIND": ["E1005", "E2005", "E4005"],
}


@uow.write
def seed_demo_participants(caller: Caller) -> None:
    now = caller.now()
    for code, badges in DEMO_PARTICIPANTS.items():
        event = SkillEvent.get(SkillEvent.code == code)
        for badge in badges:
            employee = Employee.get(Employee.badge_code == badge)
            SkillParticipant.insert(
                event=event, employee=employee, registered_at=now
            ).on_conflict_ignore().execute()


# -- helpers ----------------------------------------------------------------------------------


def _event(event_code: str) -> SkillEvent:
    code = clean_text(event_code or "").upper()
    event = SkillEvent.get_or_none((SkillEvent.code == code) & SkillEvent.active)
    if event is None:
        raise NotFound(
            _("There is no skill competition {value}.", value=shorten(code, 20) or "(none)")
        )
    return event


def _participant(event: SkillEvent, badge_code: str) -> SkillParticipant:
    code = normalise_badge(clean_text(badge_code or ""))
    participant: SkillParticipant | None = (
        SkillParticipant.select(SkillParticipant, Employee)
        .join(Employee)
        .where((SkillParticipant.event == event) & (Employee.badge_code == code))
        .first()
    )
    if participant is None:
        raise NotFound(
            _(
                "{value} does not take part in {name}: register them first.",
                value=shorten(code, 20) or "(no badge)",
                name=event.name,
            )
        )
    return participant


def _criteria(event: SkillEvent) -> list[SkillCriterion]:
    return list(
        SkillCriterion.select()
        .where((SkillCriterion.event == event) & SkillCriterion.active)
        .order_by(SkillCriterion.position, SkillCriterion.code)
    )


def _criterion_view(c: SkillCriterion) -> CriterionView:
    return CriterionView(c.code, c.name, c.min_score, c.max_score)


def _participant_view(p: SkillParticipant) -> ParticipantView:
    return ParticipantView(p.id, p.employee.badge_code, p.employee.name, p.employee.department)


def _event_view(event: SkillEvent) -> SkillEventView:
    participants = (
        SkillParticipant.select(SkillParticipant, Employee)
        .join(Employee)
        .where(SkillParticipant.event == event)
        .order_by(Employee.name)
    )
    return SkillEventView(
        code=event.code,
        name=event.name,
        description=event.description,
        criteria=tuple(_criterion_view(c) for c in _criteria(event)),
        participants=tuple(_participant_view(p) for p in participants),
    )


def _sheet(
    event: SkillEvent,
    participant: SkillParticipant,
    judge: EmployeeView,
    replaced: tuple[str, ...] = (),
) -> ScoreSheet:
    given = {
        s.criterion_id: s.score
        for s in SkillScore.select().where(
            (SkillScore.participant == participant) & (SkillScore.judge == judge.id)
        )
    }
    return ScoreSheet(
        event=_event_view(event),
        participant=_participant_view(participant),
        judge_name=judge.name,
        scores=tuple(CriterionScore(_criterion_view(c), given.get(c.id)) for c in _criteria(event)),
        replaced=replaced,
    )


def _ranking(event: SkillEvent) -> EventRanking:
    view = _event_view(event)
    criteria = _criteria(event)
    active_ids = {c.id for c in criteria}
    by_participant: dict[int, dict[int, list[int]]] = {}
    judges: dict[int, set[int]] = {}
    scores = db.tuples(
        SkillScore.select(
            SkillScore.participant, SkillScore.criterion, SkillScore.judge, SkillScore.score
        )
        .join(SkillParticipant)
        .where(SkillParticipant.event == event)
    )
    for participant_id, criterion_id, judge_id, score in scores:
        if criterion_id not in active_ids:
            continue
        by_participant.setdefault(participant_id, {}).setdefault(criterion_id, []).append(score)
        judges.setdefault(participant_id, set()).add(judge_id)
    scored: list[tuple[Fraction, ParticipantView, int, int]] = []
    unscored: list[ParticipantView] = []
    for participant in view.participants:
        per_criterion = by_participant.get(participant.id)
        if not per_criterion:
            unscored.append(participant)
            continue
        total = sum(
            (Fraction(sum(values), len(values)) for values in per_criterion.values()),
            Fraction(0),
        )
        scored.append((total, participant, len(judges.get(participant.id, ())), len(per_criterion)))
    scored.sort(key=lambda row: (-row[0], row[1].name))
    # a winner only when everyone has a score on every criterion: not after 1 of 3
    decided = not unscored and all(row[3] == len(criteria) for row in scored)
    rows: list[RankingRow] = []
    rank = 0
    previous: Fraction | None = None
    for place, (total, participant, judge_count, criteria_scored) in enumerate(scored, start=1):
        if total != previous:
            rank, previous = place, total
        rows.append(
            RankingRow(
                participant,
                rank,
                total,
                judge_count,
                criteria_scored,
                len(criteria),
                rank == 1 and decided,
            )
        )
    rows.extend(RankingRow(p, None, Fraction(0), 0, 0, len(criteria), False) for p in unscored)
    return EventRanking(event=view, rows=tuple(rows))
