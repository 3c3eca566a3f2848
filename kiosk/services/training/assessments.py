"""Awareness-training assessments and training coverage.

An employee starts an assessment: N items are drawn at random from the active
question bank (N and the pass mark come from the active campaign), no item twice.
Each answer is committed the moment it is given, so a power cut loses at most the
item on screen, and the unfinished attempt resumes at the next sign-in. The last
answer finishes the attempt: score, pass or fail (pass when score / N reaches the
pass mark exactly or more). Retakes are allowed; the best passed attempt counts.

Coverage = active employees with a passed assessment (in the active campaign) /
all active employees, overall, by department and by team, with the list of who
is still missing. Supervisors and above may see it; refusals are audited.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, TextIO

from peewee import JOIN, SQL, ColumnBase, ModelSelect, Node, NodeList, Tuple, fn

from kiosk.caller import Caller
from kiosk.clock import format_local
from kiosk.errors import ConstraintConflict, NotFound, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.plant.campaigns import active_campaign_row, campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.auth import EmployeeView, record_action, require_role
from kiosk.services.platform.uow import for_update
from kiosk.services.training.training import ChoiceView
from models import Campaign, Choice, Employee, Question, QuizAnswer, Team, db
from models.assessments import ANSWER_CONTEXT, Assessment, AssessmentItem
from models.totals import CoverageEmployees, CoveragePassed, CoveragePerson

COVERAGE_ROLE = "supervisor"
COVERAGE_ACTION = (
    "view_training_coverage"  # "Only a supervisor or above may view training coverage."
)
NO_TEAM = N_("(no team)")
CSV_HEADER = (
    "badge",
    "name",
    "department",
    "team",
    "passed",
    "best_score",
    "best_score_percent",
    "passed_at",
)


# -- views handed to screens ------------------------------------------------------


@dataclass(frozen=True)
class AttemptSummary:
    id: str
    started_at: datetime
    finished_at: datetime | None
    answered: int
    item_count: int
    score: int | None
    passed: bool | None

    @property
    def percent(self) -> int | None:
        return None if self.score is None else self.score * 100 // self.item_count

    @property
    def progress_text(self) -> str:
        return _(
            "{answered} of {item_count} items answered",
            answered=self.answered,
            item_count=self.item_count,
        )


@dataclass(frozen=True)
class AssessmentStatus:
    """What the start screen shows a person before an attempt."""

    employee_name: str
    campaign_name: str
    item_count: int  # how many items a new attempt draws
    pass_mark_percent: int
    bank_size: int
    unfinished: AttemptSummary | None
    best_passed: AttemptSummary | None
    last_finished: AttemptSummary | None
    attempts: int  # finished attempts


@dataclass(frozen=True)
class ItemView:
    position: int
    item_count: int
    question_id: int
    topic: str
    kind: str
    text: str
    choices: tuple[ChoiceView, ...]

    @property
    def progress_text(self) -> str:
        return _(
            "Item {position} of {item_count}", position=self.position, item_count=self.item_count
        )


@dataclass(frozen=True)
class MissedItem:
    position: int
    text: str
    chosen_text: str
    correct_position: int
    correct_text: str
    explanation: str
    chosen_position: int = 0  # 0: not answered


@dataclass(frozen=True)
class AssessmentResult:
    score: int
    item_count: int
    pass_mark_percent: int
    passed: bool
    finished_at: datetime
    missed: tuple[MissedItem, ...]

    @property
    def percent(self) -> int:
        return self.score * 100 // self.item_count


@dataclass(frozen=True)
class AssessmentView:
    id: str
    item_count: int
    pass_mark_percent: int
    answered: int
    started_at: datetime
    current: ItemView | None  # the first unanswered item; None once finished
    result: AssessmentResult | None  # set once finished
    resumed: bool = False

    @property
    def finished(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class CoverageGroup:
    name: str
    passed: int
    total: int

    @property
    def percent(self) -> int:
        """Rounded down: 39 of 40 shows 97, never 100 while someone is missing."""
        return self.passed * 100 // self.total if self.total else 0

    @property
    def missing(self) -> int:
        return self.total - self.passed


@dataclass(frozen=True)
class EmployeeCoverage:
    badge_code: str
    name: str
    department: str
    team_name: str
    passed: bool
    best_score: int | None  # of the best passed attempt, else of the best finished one
    best_item_count: int | None
    passed_at: datetime | None  # when the best passed attempt finished

    @property
    def best_percent(self) -> int | None:
        if self.best_score is None or not self.best_item_count:
            return None
        return self.best_score * 100 // self.best_item_count


@dataclass(frozen=True)
class CoverageReport:
    campaign_name: str
    pass_mark_percent: int
    overall: CoverageGroup
    by_department: tuple[CoverageGroup, ...]
    by_team: tuple[CoverageGroup, ...]
    employees: tuple[EmployeeCoverage, ...]  # every active employee

    @property
    def missing(self) -> tuple[EmployeeCoverage, ...]:
        return tuple(e for e in self.employees if not e.passed)


# -- the rules --------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    campaign: Campaign | None
    item_count: int
    pass_mark_percent: int

    @property
    def campaign_name(self) -> str:
        return self.campaign.name if self.campaign else _("(no active campaign)")


def _rules(campaign: Campaign | None = None) -> _Rules:
    """The active campaign's rules, or those of the campaign given."""
    campaign = campaign or active_campaign_row()
    rules = rules_of(campaign)
    items, mark = rules.assessment_items, rules.pass_mark_percent
    return _Rules(campaign, max(1, int(items)), min(100, max(1, int(mark))))


def passes(score: int, item_count: int, pass_mark_percent: int) -> bool:
    """Exact: 8 of 10 at 80 % passes, 7 of 10 does not (no rounding)."""
    return item_count > 0 and score * 100 >= pass_mark_percent * item_count


# -- taking an assessment -------------------------------------------------------------


@uow.read
def assessment_status(caller: Caller) -> AssessmentStatus:
    """The person's standing: an unfinished attempt, the best pass, the last result."""
    employee = caller.person
    rules = _rules()
    bank = Question.select().where(Question.active).count()
    attempts = list(
        _campaign_attempts(rules.campaign)
        .where(Assessment.employee == employee.id)
        .order_by(Assessment.started_at)
    )
    unfinished = (
        Assessment.select()
        .where((Assessment.employee == employee.id) & Assessment.finished_at.is_null())
        .first()
    )
    finished = [a for a in attempts if a.finished_at is not None]
    best = _best_passed(finished)
    last = max(finished, key=lambda a: a.finished_at) if finished else None
    return AssessmentStatus(
        employee_name=employee.name,
        campaign_name=rules.campaign_name,
        item_count=min(rules.item_count, bank),
        pass_mark_percent=rules.pass_mark_percent,
        bank_size=bank,
        unfinished=_summary(unfinished) if unfinished else None,
        best_passed=_summary(best) if best else None,
        last_finished=_summary(last) if last else None,
        attempts=len(finished),
    )


def start_assessment(
    caller: Caller,
    *,
    rng: random.Random | None = None,
) -> AssessmentView:
    """Resume the person's unfinished attempt, or draw a new one."""
    try:
        return _start(caller, rng or random.SystemRandom())
    except ConstraintConflict:
        # Another kiosk started one for this person at the same instant: resume that one.
        return _start(caller, rng or random.SystemRandom())


@uow.write
def _start(caller: Caller, rng: random.Random) -> AssessmentView:
    person = for_update(Employee.select().where(Employee.id == caller.person.id)).first()
    if person is None or not person.active:
        raise NotFound(_("Your badge is no longer active. Sign in again."))
    underway = (
        Assessment.select()
        .where((Assessment.employee == person.id) & Assessment.finished_at.is_null())
        .first()
    )
    if underway is not None:
        return _view(underway, resumed=True)
    rules = _rules()
    bank = [q.id for q in Question.select(Question.id).where(Question.active)]
    if not bank:
        raise NotFound(
            _(
                "There are no training items yet. Ask the quality office to import some "
                "(kiosk import questions FILE)."
            )
        )
    drawn = rng.sample(sorted(bank), min(rules.item_count, len(bank)))
    now = caller.now()
    assessment = Assessment.create(
        employee=person.id,
        campaign=rules.campaign.id if rules.campaign else None,
        item_count=len(drawn),
        pass_mark_percent=rules.pass_mark_percent,
        started_at=now,
        terminal=caller.terminal,
    )
    AssessmentItem.insert_many(
        [
            {"assessment": assessment.id, "position": n, "question": question_id}
            for n, question_id in enumerate(drawn, start=1)
        ]
    ).execute()
    return _view(assessment)


@uow.write(idempotent=True, ids={"answer_id": uuid.uuid4})
def answer_item(
    caller: Caller,
    assessment_id: str | uuid.UUID,
    position: int,
    choice_position: int,
    *,
    answer_id: uuid.UUID | None = None,
) -> AssessmentView:
    """Save the answer to one item (committed at once) and return where the attempt stands.

    An item already answered keeps its first answer: a double Enter, or the same
    answer sent again after a dropped connection, is saved once. The last answer
    finishes the attempt.
    """
    employee = caller.person
    answer_id = answer_id or uuid.uuid4()
    assessment = _own_assessment(employee, assessment_id, lock=True)
    if assessment.finished_at is not None:
        return _view(assessment)
    item = for_update(
        AssessmentItem.select().where(
            (AssessmentItem.assessment == assessment.id) & (AssessmentItem.position == position)
        )
    ).first()
    if item is None:
        raise NotFound(_("This assessment has no item {position}.", position=position))
    if item.answer_id is not None or QuizAnswer.get_or_none(QuizAnswer.id == answer_id):
        return _view(assessment)
    choices = list(
        Choice.select().where(Choice.question == item.question_id).order_by(Choice.position)
    )
    chosen = next((c for c in choices if c.position == choice_position), None)
    if chosen is None:
        raise ValidationFailed({"choice": _("Choose 1 to {count}.", count=len(choices))})
    now = caller.now()
    QuizAnswer.create(
        id=answer_id,
        employee=employee.id,
        question=item.question_id,
        choice=chosen.id,
        correct=chosen.correct,
        context=ANSWER_CONTEXT,
        answered_at=now,
        terminal=caller.terminal,
    )
    AssessmentItem.update(answer=answer_id).where(AssessmentItem.id == item.id).execute()
    open_items = (
        AssessmentItem.select()
        .where((AssessmentItem.assessment == assessment.id) & AssessmentItem.answer.is_null())
        .count()
    )
    if open_items == 0:
        _finish(assessment, now, caller.terminal)
    return _view(Assessment.get_by_id(assessment.id))


@uow.read
def assessment_view(caller: Caller, assessment_id: str | uuid.UUID) -> AssessmentView:
    """One of the person's attempts as it stands (its result once finished)."""
    employee = caller.person
    return _view(_own_assessment(employee, assessment_id, lock=False))


def _finish(assessment: Assessment, now: datetime, terminal: str | None) -> None:
    score = (
        AssessmentItem.select()
        .join(QuizAnswer, on=(AssessmentItem.answer == QuizAnswer.id))
        .where((AssessmentItem.assessment == assessment.id) & QuizAnswer.correct)
        .count()
    )
    passed = passes(score, assessment.item_count, assessment.pass_mark_percent)
    Assessment.update(finished_at=now, score=score, passed=passed).where(
        Assessment.id == assessment.id
    ).execute()
    record_action(
        assessment.employee_id,
        "finish_assessment",
        f"assessment {str(assessment.id)[:8]}",
        now,
        detail=f"{score} of {assessment.item_count}, {'passed' if passed else 'not passed'}",
        terminal=terminal,
    )


def _own_assessment(
    employee: EmployeeView, assessment_id: str | uuid.UUID, *, lock: bool
) -> Assessment:
    missing = NotFound(_("That assessment is not known here. Press F8 and start again."))
    try:
        key = uuid.UUID(str(assessment_id))
    except ValueError:
        raise missing from None
    query = Assessment.select().where((Assessment.id == key) & (Assessment.employee == employee.id))
    assessment: Assessment | None = (for_update(query) if lock else query).first()
    if assessment is None:
        raise missing
    return assessment


def _view(assessment: Assessment, *, resumed: bool = False) -> AssessmentView:
    items = list(
        AssessmentItem.select(AssessmentItem, Question)
        .join(Question, on=(AssessmentItem.question == Question.id))
        .where(AssessmentItem.assessment == assessment.id)
        .order_by(AssessmentItem.position)
    )
    answered = sum(1 for item in items if item.answer_id is not None)
    current = next((item for item in items if item.answer_id is None), None)
    current_view = None
    if current is not None and assessment.finished_at is None:
        choices = Choice.select().where(Choice.question == current.question_id)
        current_view = ItemView(
            position=current.position,
            item_count=assessment.item_count,
            question_id=current.question_id,
            topic=current.question.topic,
            kind=current.question.kind,
            text=current.question.text,
            choices=tuple(
                ChoiceView(c.id, c.position, c.text) for c in choices.order_by(Choice.position)
            ),
        )
    result = _result(assessment, items) if assessment.finished_at is not None else None
    return AssessmentView(
        id=str(assessment.id),
        item_count=assessment.item_count,
        pass_mark_percent=assessment.pass_mark_percent,
        answered=answered,
        started_at=assessment.started_at,
        current=current_view,
        result=result,
        resumed=resumed,
    )


def _result(assessment: Assessment, items: list[AssessmentItem]) -> AssessmentResult:
    answers = {
        a.id: a
        for a in QuizAnswer.select().where(
            QuizAnswer.id.in_([i.answer_id for i in items if i.answer_id] or [uuid.uuid4()])
        )
    }
    question_ids = [item.question_id for item in items]
    choices: dict[int, list[Choice]] = {}
    for choice in Choice.select().where(Choice.question.in_(question_ids or [-1])):
        choices.setdefault(choice.question_id, []).append(choice)
    missed = []
    for item in items:
        answer = answers.get(item.answer_id) if item.answer_id else None
        if answer is not None and answer.correct:
            continue
        options = sorted(choices.get(item.question_id, []), key=lambda c: c.position)
        chosen = next((c for c in options if answer and c.id == answer.choice_id), None)
        right = next((c for c in options if c.correct), None)
        missed.append(
            MissedItem(
                position=item.position,
                text=item.question.text,
                chosen_text=chosen.text if chosen else _("(no answer)"),
                chosen_position=chosen.position if chosen else 0,
                correct_position=right.position if right else 0,
                correct_text=right.text if right else "",
                explanation=item.question.explanation,
            )
        )
    return AssessmentResult(
        score=assessment.score or 0,
        item_count=assessment.item_count,
        pass_mark_percent=assessment.pass_mark_percent,
        passed=bool(assessment.passed),
        finished_at=assessment.finished_at,
        missed=tuple(missed),
    )


def _summary(assessment: Assessment) -> AttemptSummary:
    answered = (
        AssessmentItem.select()
        .where((AssessmentItem.assessment == assessment.id) & AssessmentItem.answer.is_null(False))
        .count()
    )
    return AttemptSummary(
        id=str(assessment.id),
        started_at=assessment.started_at,
        finished_at=assessment.finished_at,
        answered=answered,
        item_count=assessment.item_count,
        score=assessment.score,
        passed=assessment.passed,
    )


def _campaign_attempts(campaign: Campaign | None) -> ModelSelect[Assessment]:
    """Attempts that count now: those of the active campaign (all when none is active)."""
    query = Assessment.select()
    if campaign is not None:
        query = query.where(Assessment.campaign == campaign.id)
    return query


def _best_passed(finished: Iterable[Assessment]) -> Assessment | None:
    """The passed attempt with the best score (the earliest of equals)."""
    passed = [a for a in finished if a.passed]
    if not passed:
        return None
    return min(passed, key=lambda a: (-Fraction(a.score or 0, a.item_count), a.finished_at))


def _best_finished(finished: Iterable[Assessment]) -> Assessment | None:
    done = list(finished)
    if not done:
        return None
    return min(done, key=lambda a: (-Fraction(a.score or 0, a.item_count), a.finished_at))


# -- coverage -----------------------------------------------------------------------------


MISSING_PAGE = 50


@dataclass(frozen=True)
class CoveragePage:
    """What the coverage screen shows: the figures (counted in SQL) and one page of the
    people still missing, with how many there are in all."""

    campaign_name: str
    pass_mark_percent: int
    overall: CoverageGroup
    by_department: tuple[CoverageGroup, ...]
    by_team: tuple[CoverageGroup, ...]
    missing: tuple[EmployeeCoverage, ...]  # this page of them
    missing_offset: int
    missing_limit: int

    @property
    def missing_total(self) -> int:
        return self.overall.missing

    @property
    def first(self) -> int:
        return self.missing_offset + 1 if self.missing else 0

    @property
    def last(self) -> int:
        return self.missing_offset + len(self.missing)


def training_coverage(
    caller: Caller,
    *,
    offset: int = 0,
    limit: int = MISSING_PAGE,
) -> CoveragePage:
    """Coverage for the supervisor screen (supervisor and up; a refusal is audited): the
    figures and one page of the people still missing."""
    require_role(
        caller,
        COVERAGE_ROLE,
        COVERAGE_ACTION,
        target="training coverage",
    )
    return coverage_page(offset=offset, limit=limit)


ANY_CAMPAIGN = -1  # the rollups' campaign key of "a pass in any campaign" (schema step 24)


def _campaign_key(campaign: Campaign | None) -> int:
    """The coverage rollups' key: the campaign's id, or any campaign when none is active."""
    return campaign.id if campaign is not None else ANY_CAMPAIGN


def _text_order(field: ColumnBase) -> Node:
    """Order text as Python does (by code point) on both engines."""
    return NodeList((field, SQL('COLLATE "C"'))) if db.is_postgresql() else field


@dataclass(frozen=True)
class _Group:
    """A department and team name with the teams behind it (team key 0: none) and how
    many of its active employees passed."""

    department: str
    team_name: str
    team_keys: tuple[int, ...]
    passed: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.passed


def _rollup_groups(campaign_key: int) -> list[_Group]:
    """The active employees per department and team name, in the missing list's order,
    from the rollups schema step 24 keeps (a row per department and team)."""
    passed = CoveragePassed.alias("passed")
    rows = db.tuples(
        CoverageEmployees.select(
            CoverageEmployees.department,
            CoverageEmployees.team_key,
            Team.name,
            CoverageEmployees.employees,
            fn.COALESCE(passed.employees, 0),
        )
        .join(Team, JOIN.LEFT_OUTER, on=(Team.id == CoverageEmployees.team_key))
        .join(
            passed,
            JOIN.LEFT_OUTER,
            on=(
                (passed.campaign_key == campaign_key)
                & (passed.department == CoverageEmployees.department)
                & (passed.team_key == CoverageEmployees.team_key)
            ),
            src=CoverageEmployees,
        )
        .where(CoverageEmployees.employees > 0)
    )
    merged: dict[tuple[str, str], list[Any]] = {}
    for department, team_key, team_name, total, done in rows:
        name = _(NO_TEAM) if team_name is None else team_name
        group = merged.setdefault((department, name), [[], 0, 0])
        group[0].append(team_key)
        group[1] += int(done)
        group[2] += int(total)
    return [
        _Group(department, name, tuple(sorted(keys)), done, total)
        for (department, name), (keys, done, total) in sorted(merged.items())
    ]


def _coverage_groups(
    groups: list[_Group],
) -> tuple[tuple[CoverageGroup, ...], tuple[CoverageGroup, ...]]:
    """(by department, by team name), each sorted by name."""
    departments: dict[str, list[int]] = {}
    teams: dict[str, list[int]] = {}
    for group in groups:
        for totals, name in ((departments, group.department), (teams, group.team_name)):
            counts = totals.setdefault(name, [0, 0])
            counts[0] += group.passed
            counts[1] += group.total

    def listed(totals: dict[str, list[int]]) -> tuple[CoverageGroup, ...]:
        return tuple(CoverageGroup(name, *totals[name]) for name in sorted(totals))

    return listed(departments), listed(teams)


def _page_groups(groups: list[_Group], offset: int, limit: int) -> tuple[list[_Group], int]:
    """The groups that hold missing people `offset` to `offset + limit` of the list, and
    how many missing people come before the first of them."""
    shown: list[_Group] = []
    before = seen = 0
    for group in groups:
        if group.missing and seen + group.missing > offset and seen < offset + limit:
            if not shown:
                before = seen
            shown.append(group)
        seen += group.missing
    return shown, before


def _in_groups(groups: list[_Group]) -> Node:
    """Employees of these departments and teams."""
    parts = []
    for group in groups:
        teams = [key for key in group.team_keys if key]
        in_team = Employee.team.in_(teams) if teams else None
        if 0 in group.team_keys:
            no_team = Employee.team.is_null()
            in_team = no_team if in_team is None else (in_team | no_team)
        parts.append((Employee.department == group.department) & in_team)
    condition = parts[0]
    for part in parts[1:]:
        condition = condition | part
    return condition


def _missing_people(
    campaign_key: int, groups: list[_Group], offset: int, limit: int
) -> list[tuple[int, str, str, str, str]]:
    """The page of missing people: only the teams it shows are read (the index of step 24
    serves each team's people by name)."""
    shown, before = _page_groups(groups, offset, limit)
    if not shown:
        return []
    team_name = fn.COALESCE(Team.name, _(NO_TEAM))
    has_passed = CoveragePerson.select(SQL("1")).where(
        (CoveragePerson.employee_id == Employee.id)
        & (CoveragePerson.campaign_key == campaign_key)
        & (CoveragePerson.passes > 0)
    )
    return list(
        db.tuples(
            Employee.select(
                Employee.id, Employee.badge_code, Employee.name, Employee.department, team_name
            )
            .join(Team, JOIN.LEFT_OUTER, on=(Employee.team == Team.id))
            .where(Employee.active & _in_groups(shown) & ~fn.EXISTS(has_passed))
            .order_by(
                _text_order(Employee.department),
                _text_order(team_name),
                _text_order(Employee.name),
                _text_order(Employee.badge_code),
            )
            .offset(offset - before)
            .limit(limit)
        )
    )


@uow.read
def coverage_page(offset: int = 0, limit: int = MISSING_PAGE) -> CoveragePage:
    """Coverage of the active campaign from the rollups, by department and by team, and the
    people still missing from `offset` (ordered by department, team, name, badge), at
    most `limit` of them with their best finished attempt."""
    rules = _rules()
    offset, limit = max(0, offset), max(1, min(limit, 200))
    campaign_key = _campaign_key(rules.campaign)
    groups = _rollup_groups(campaign_key)
    by_department, by_team = _coverage_groups(groups)
    overall = CoverageGroup(
        _("All active employees"),
        sum(g.passed for g in by_department),
        sum(g.total for g in by_department),
    )
    people = _missing_people(campaign_key, groups, offset, limit)
    finished: dict[int, list[Assessment]] = {}
    if people:
        for attempt in _campaign_attempts(rules.campaign).where(
            Assessment.finished_at.is_null(False)
            & Assessment.employee.in_([person[0] for person in people])
        ):
            finished.setdefault(attempt.employee_id, []).append(attempt)
    missing = []
    for person_id, badge, name, department, team in people:
        shown = _best_finished(finished.get(person_id, []))
        missing.append(
            EmployeeCoverage(
                badge_code=badge,
                name=name,
                department=department,
                team_name=team,
                passed=False,
                best_score=shown.score if shown else None,
                best_item_count=shown.item_count if shown else None,
                passed_at=None,
            )
        )
    return CoveragePage(
        campaign_name=rules.campaign_name,
        pass_mark_percent=rules.pass_mark_percent,
        overall=overall,
        by_department=by_department,
        by_team=by_team,
        missing=tuple(missing),
        missing_offset=offset,
        missing_limit=limit,
    )


def coverage_counts(campaign: Campaign | None) -> tuple[int, int]:
    """(active employees with a passed attempt in the campaign, active employees), read
    from the rollups of schema step 24 (boards); with no campaign, a pass in any campaign
    counts."""
    total = CoverageEmployees.select(fn.SUM(CoverageEmployees.employees)).scalar()
    passed = (
        CoveragePassed.select(fn.SUM(CoveragePassed.employees))
        .where(CoveragePassed.campaign_key == _campaign_key(campaign))
        .scalar()
    )
    return int(passed or 0), int(total or 0)


@uow.read
def coverage_report(campaign: str | None = None) -> CoverageReport:
    """Coverage of the active campaign (or of the campaign named: its passes, today's
    active employees), ungated (for `kiosk export coverage [--campaign NAME]`)."""
    rules = _rules(campaign_row(campaign) if campaign is not None else None)
    people = list(
        Employee.select(Employee, Team)
        .join(Team, JOIN.LEFT_OUTER, on=(Employee.team == Team.id))
        .where(Employee.active)
    )
    finished: dict[int, list[Assessment]] = {}
    for attempt in _campaign_attempts(rules.campaign).where(
        Assessment.finished_at.is_null(False)
        & Assessment.employee.in_([p.id for p in people] or [-1])
    ):
        finished.setdefault(attempt.employee_id, []).append(attempt)
    rows = [
        _employee_coverage(
            (
                person.badge_code,
                person.name,
                person.department,
                person.team.name if person.team is not None else _(NO_TEAM),
            ),
            finished.get(person.id, []),
        )
        for person in people
    ]
    rows.sort(key=lambda e: (e.department, e.team_name, e.name, e.badge_code))
    return CoverageReport(
        campaign_name=rules.campaign_name,
        pass_mark_percent=rules.pass_mark_percent,
        overall=_group(_("All active employees"), rows),
        by_department=_groups(rows, lambda e: e.department),
        by_team=_groups(rows, lambda e: e.team_name),
        employees=tuple(rows),
    )


def _employee_coverage(
    person: tuple[str, str, str, str], finished: list[Assessment]
) -> EmployeeCoverage:
    """A person's line of the coverage (badge, name, department, team) from their finished
    attempts that count."""
    best = _best_passed(finished)
    shown = best or _best_finished(finished)
    badge_code, name, department, team_name = person
    return EmployeeCoverage(
        badge_code=badge_code,
        name=name,
        department=department,
        team_name=team_name,
        passed=best is not None,
        best_score=shown.score if shown else None,
        best_item_count=shown.item_count if shown else None,
        passed_at=best.finished_at if best else None,
    )


@dataclass(frozen=True)
class CoverageStream:
    """Every active employee's coverage line, read a page at a time while it is written
    (`rows` can be walked once), in the report's order; `total` is how many."""

    campaign_name: str
    overall: CoverageGroup
    total: int
    rows: Iterable[EmployeeCoverage]


STREAM_PAGE = 2_000  # employees read per query while streaming


@uow.read
def coverage_stream(campaign: str | None = None) -> CoverageStream:
    """What `coverage_report` holds, for a file: the figure counted in SQL, the lines
    (by department, team, name, badge) read a keyset page at a time, so memory stays
    bounded whatever the plant's size."""
    rules = _rules(campaign_row(campaign) if campaign is not None else None)
    passed, total = coverage_counts(rules.campaign)
    return CoverageStream(
        campaign_name=rules.campaign_name,
        overall=CoverageGroup(_("All active employees"), passed, total),
        total=total,
        rows=_coverage_lines(rules.campaign),
    )


def _coverage_lines(campaign: Campaign | None) -> Iterator[EmployeeCoverage]:
    """Each page starts after the last line of the one before (badges are unique, so the
    order is total); holds this thread's connection while walked."""
    team_name = fn.COALESCE(Team.name, _(NO_TEAM))
    order = [_text_order(f) for f in (Employee.department, team_name, Employee.name)]
    order.append(_text_order(Employee.badge_code))
    query = (
        Employee.select(
            Employee.id, Employee.badge_code, Employee.name, Employee.department, team_name
        )
        .join(Team, JOIN.LEFT_OUTER, on=(Employee.team == Team.id))
        .where(Employee.active)
        .order_by(*order)
    )
    after: tuple[str, str, str, str] | None = None
    with db.connection():
        while True:
            page = query if after is None else query.where(Tuple(*order) > Tuple(*after))
            people: list[tuple[int, str, str, str, str]] = list(db.tuples(page.limit(STREAM_PAGE)))
            finished: dict[int, list[Assessment]] = {}
            for attempt in _campaign_attempts(campaign).where(
                Assessment.finished_at.is_null(False)
                & Assessment.employee.in_([person[0] for person in people] or [-1])
            ):
                finished.setdefault(attempt.employee_id, []).append(attempt)
            for person_id, badge, name, department, team in people:
                yield _employee_coverage(
                    (badge, name, department, team), finished.get(person_id, [])
                )
            if len(people) < STREAM_PAGE:
                return
            # in the order's columns: department, team, name, badge
            badge, name, department, team = people[-1][1:]
            after = (department, team, name, badge)


def _group(name: str, rows: list[EmployeeCoverage]) -> CoverageGroup:
    return CoverageGroup(name, sum(1 for r in rows if r.passed), len(rows))


def _groups(
    rows: list[EmployeeCoverage], key: Callable[[EmployeeCoverage], str]
) -> tuple[CoverageGroup, ...]:
    names = sorted({key(r) for r in rows})
    return tuple(_group(name, [r for r in rows if key(r) == name]) for name in names)


def write_coverage_csv(report: CoverageReport, stream: TextIO) -> int:
    """One header row, then one row per active employee. Returns the rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in report.employees:
        best = f"{row.best_score}/{row.best_item_count}" if row.best_score is not None else ""
        writer.writerow(
            [
                _cell(row.badge_code),
                _cell(row.name),
                _cell(row.department),
                _cell(row.team_name),
                "yes" if row.passed else "no",
                best,
                "" if row.best_percent is None else str(row.best_percent),
                format_local(row.passed_at) if row.passed_at else "",
            ]
        )
    return len(report.employees)


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a name as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
