"""Quality benchmark line evaluation: first-pass yield, 5S/7S, standardized operations, and the
Quality Mobile Flag, held by the best line until the next evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from peewee import JOIN, fn

from kiosk.caller import Caller
from kiosk.clock import to_local
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import _
from kiosk.services.plant.campaigns import active_campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from kiosk.services.platform.refusals import audits_refusals
from kiosk.services.platform.text import clean_text
from models import Employee, ProductionLine, db
from models.inspections import ChecklistItem, Inspection, InspectionResult
from models.lines import LineEvaluation, LineScore, ProductionCount

MAX_UNITS_A_DAY = 1_000_000
PRODUCTION_ROLE = "team_leader"  # enters production counts
EVALUATION_ROLE = "supervisor"  # evaluates the lines


@dataclass(frozen=True)
class LineYield:
    line_code: str
    line_name: str
    produced: int
    passed_first: int

    @property
    def fpy_percent(self) -> float | None:
        return 100.0 * self.passed_first / self.produced if self.produced else None


def _parse_day(value: str | date, field: str = "day") -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(clean_text(value))
    except ValueError as exc:
        raise ValidationFailed({field: _("Give the day as YYYY-MM-DD, e.g. 2025-09-12.")}) from exc


def _parse_count(value: str | int, field: str, label: str) -> int:
    try:
        number = int(clean_text(str(value)))
    except ValueError as exc:
        raise ValidationFailed({field: _("{label} must be a whole number.", label=label)}) from exc
    if not 0 <= number <= MAX_UNITS_A_DAY:
        raise ValidationFailed(
            {
                field: _(
                    "{label} must be between 0 and {MAX_UNITS_A_DAY:,}.",
                    label=label,
                    MAX_UNITS_A_DAY=MAX_UNITS_A_DAY,
                )
            }
        )
    return number


@audits_refusals("record_production", lambda given: given["line_code"])
@uow.write
def record_production(
    caller: Caller,
    line_code: str,
    day: str | date,
    produced: str | int,
    passed_first: str | int,
) -> LineYield:
    """Enter (or correct) a line's production count for a day: units made, units passed first
    time. Team leaders and above."""
    actor = caller.person
    if not actor.has_role(PRODUCTION_ROLE):
        raise PermissionDenied(_("Only a team leader or above may enter production counts."))
    the_day = _parse_day(day)
    if the_day > to_local(caller.now()).date():
        raise ValidationFailed({"day": _("That day has not come yet.")})
    units = _parse_count(produced, "produced", _("Units produced"))
    first = _parse_count(passed_first, "passed_first", _("Units passed first time"))
    if first > units:
        raise ValidationFailed(
            {"passed_first": _("More units passed first time than were produced: check both.")}
        )
    line = ProductionLine.get_or_none(
        (ProductionLine.code == clean_text(line_code).upper()) & ProductionLine.active
    )
    if line is None:
        raise ValidationFailed({"line": _("Choose one of the plant's lines.")})
    ProductionCount.insert(
        line=line,
        day=the_day,
        produced=units,
        passed_first=first,
        entered_by=actor.id,
        entered_at=caller.now(),
    ).on_conflict(
        conflict_target=[ProductionCount.line, ProductionCount.day],
        update={
            ProductionCount.produced: units,
            ProductionCount.passed_first: first,
            ProductionCount.entered_by: actor.id,
            ProductionCount.entered_at: caller.now(),
        },
    ).execute()
    record_action(
        actor.id,
        "record_production",
        f"line {line.code} {the_day.isoformat()}",
        caller.now(),
        detail=f"{units} produced, {first} passed first time",
        terminal=caller.terminal,
    )
    return LineYield(line.code, line.name, units, first)


def _yields(start: date | None, end: date | None) -> list[LineYield]:
    produced = fn.COALESCE(fn.SUM(ProductionCount.produced), 0)
    passed = fn.COALESCE(fn.SUM(ProductionCount.passed_first), 0)
    join_on = ProductionCount.line == ProductionLine.id
    if start is not None:
        join_on &= ProductionCount.day >= start
    if end is not None:
        join_on &= ProductionCount.day <= end
    rows = db.tuples(
        ProductionLine.select(
            ProductionLine.code, ProductionLine.name, produced.alias("u"), passed.alias("p")
        )
        .join(ProductionCount, JOIN.LEFT_OUTER, on=join_on)
        .where(ProductionLine.active)
        .group_by(ProductionLine.code, ProductionLine.name)
        .order_by(ProductionLine.code)
    )
    return [LineYield(code, name, int(u), int(p)) for code, name, u, p in rows]


@uow.read
def first_pass_yield(start: date | None = None, end: date | None = None) -> list[LineYield]:
    """Each active line's units produced, passed first time and FPY over a period."""
    return _yields(start, end)


@dataclass(frozen=True)
class LineScoreView:
    line_code: str
    line_name: str
    score_5s: float
    score_standard_ops: float
    fpy_percent: float | None
    total: float
    rank: int


@dataclass(frozen=True)
class EvaluationView:
    id: int
    evaluated_at: datetime
    evaluator: str
    period_start: date
    period_end: date
    winner_code: str
    winner_name: str
    scores: tuple[LineScoreView, ...]
    weights: tuple[int, int, int]  # 5S/7S, standardized operations, FPY


def local_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From local midnight at `start` to local midnight after `end`, as aware datetimes."""
    first = datetime.combine(start, time.min).astimezone()
    after = datetime.combine(end + timedelta(days=1), time.min).astimezone()
    return first, after


def _inspection_pass_rates(start: date, end: date) -> dict[tuple[str, str], float]:
    """(line code, checklist area) -> % of checked items that passed in the period."""
    first, after = local_day_bounds(start, end)
    rows = db.tuples(
        InspectionResult.select(
            ProductionLine.code,
            ChecklistItem.area,
            InspectionResult.outcome,
            fn.COUNT(InspectionResult.id),
        )
        .join(Inspection)
        .join(ProductionLine)
        .switch(InspectionResult)
        .join(ChecklistItem)
        .where(
            InspectionResult.outcome.in_(["pass", "fail"])
            & (InspectionResult.recorded_at >= first)
            & (InspectionResult.recorded_at < after)
        )
        .group_by(ProductionLine.code, ChecklistItem.area, InspectionResult.outcome)
    )
    counts: dict[tuple[str, str], list[int]] = {}
    for code, area, outcome, count in rows:
        passed_failed = counts.setdefault((code, area), [0, 0])
        passed_failed[0 if outcome == "pass" else 1] += count
    return {key: 100.0 * p / (p + f) for key, (p, f) in counts.items() if p + f}


@dataclass(frozen=True)
class Suggestion:
    line_code: str
    line_name: str
    score_5s: float | None  # from inspection pass rates, None when never inspected
    score_standard_ops: float | None
    fpy_percent: float | None


@uow.read
def evaluation_suggestions(start: date, end: date) -> list[Suggestion]:
    """Starting scores for an evaluation: inspection pass rates and FPY over the period."""
    rates = _inspection_pass_rates(start, end)
    return [
        Suggestion(
            y.line_code,
            y.line_name,
            rates.get((y.line_code, "5S/7S")),
            rates.get((y.line_code, "standardized operation")),
            y.fpy_percent,
        )
        for y in _yields(start, end)
    ]


def _parse_score(value: str | float | None, field: str) -> float:
    try:
        score = float(clean_text(str(value)))
    except ValueError as exc:
        raise ValidationFailed({field: _("A score is a number from 0 to 100.")}) from exc
    if not 0 <= score <= 100:
        raise ValidationFailed({field: _("A score is a number from 0 to 100.")})
    return score


@audits_refusals("evaluate_lines", lambda given: "")
@uow.write
def evaluate_lines(
    caller: Caller,
    period_start: str | date,
    period_end: str | date,
    scores: dict[str, tuple[str | float, str | float]],
    note: str = "",
) -> EvaluationView:
    """Score every line (5S/7S and standardized operations given, FPY from production counts);
    the best total takes the Mobile Flag. Supervisors and above."""
    actor = caller.person
    if not actor.has_role(EVALUATION_ROLE):
        raise PermissionDenied(_("Only a supervisor or above may evaluate the lines."))
    start = _parse_day(period_start, "period_start")
    end = _parse_day(period_end, "period_end")
    if end < start:
        raise ValidationFailed({"period_end": _("The period ends before it starts.")})
    parsed = {
        code.upper(): (
            _parse_score(s5, f"{code}_5s"),
            _parse_score(ops, f"{code}_ops"),
        )
        for code, (s5, ops) in scores.items()
    }
    campaign = active_campaign_row()
    weights = rules_of(campaign).weights
    yields = {y.line_code: y for y in _yields(start, end)}
    missing = sorted(set(yields) - set(parsed))
    if missing:
        raise ValidationFailed(
            {"lines": _("Score every line; missing: {items}.", items=", ".join(missing))}
        )
    unknown = sorted(set(parsed) - set(yields))
    if unknown:
        raise ValidationFailed({"lines": _("Not active lines: {items}.", items=", ".join(unknown))})
    no_counts = sorted(code for code in parsed if yields[code].fpy_percent is None)
    if no_counts and weights[2]:
        # a missing first-pass yield is not 0 %: without counts there is no total
        raise ValidationFailed(
            {
                "lines": _(
                    "No production counts for {items} between {start} and {end}: record "
                    "them first (the first-pass yield is part of the total).",
                    items=", ".join(no_counts),
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            }
        )
    totals = []
    for code, (s5, ops) in parsed.items():
        fpy = yields[code].fpy_percent or 0.0  # only when its weight is 0
        total = (weights[0] * s5 + weights[1] * ops + weights[2] * fpy) / sum(weights)
        totals.append((round(total, 2), fpy, code))
    totals.sort(key=lambda t: (-t[0], -t[1], t[2]))
    lines = {line.code: line for line in ProductionLine.select()}
    evaluation = LineEvaluation.create(
        campaign=campaign,
        evaluated_at=caller.now(),
        evaluator=actor.id,
        period_start=start,
        period_end=end,
        winner=lines[totals[0][2]],
        note=clean_text(note),
    )
    for total, _fpy, code in totals:
        LineScore.create(
            evaluation=evaluation,
            line=lines[code],
            score_5s=parsed[code][0],
            score_standard_ops=parsed[code][1],
            fpy_percent=yields[code].fpy_percent,
            total=total,
        )
    record_action(
        actor.id,
        "evaluate_lines",
        f"evaluation {evaluation.id} {start.isoformat()}..{end.isoformat()}",
        evaluation.evaluated_at,
        detail="; ".join(f"{code} {total}" for total, _fpy, code in totals),
        terminal=caller.terminal,
    )
    return _evaluation_view(evaluation)


def _evaluation_view(evaluation: LineEvaluation) -> EvaluationView:
    campaign = evaluation.campaign
    weights = rules_of(campaign).weights
    rows = (
        LineScore.select(LineScore, ProductionLine)
        .join(ProductionLine)
        .where(LineScore.evaluation == evaluation)
        .order_by(LineScore.total.desc(), ProductionLine.code)
    )
    scores = []
    previous: float | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        scores.append(
            LineScoreView(
                row.line.code,
                row.line.name,
                row.score_5s,
                row.score_standard_ops,
                row.fpy_percent,
                row.total,
                rank,
            )
        )
    return EvaluationView(
        id=evaluation.id,
        evaluated_at=evaluation.evaluated_at,
        evaluator=Employee.get_by_id(evaluation.evaluator_id).name,
        period_start=evaluation.period_start,
        period_end=evaluation.period_end,
        winner_code=evaluation.winner.code,
        winner_name=evaluation.winner.name,
        scores=tuple(scores),
        weights=weights,
    )


@dataclass(frozen=True)
class FlagHolder:
    line_code: str
    line_name: str
    since: datetime
    until: datetime | None  # None: holds it now


@uow.read
def mobile_flag_history() -> list[FlagHolder]:
    """Who held the Quality Mobile Flag, newest first; the first one holds it now."""
    evaluations = list(
        LineEvaluation.select(LineEvaluation, ProductionLine)
        .join(ProductionLine)
        .order_by(LineEvaluation.evaluated_at.desc(), LineEvaluation.id.desc())
    )
    holders = []
    until: datetime | None = None
    for evaluation in evaluations:
        holders.append(
            FlagHolder(
                evaluation.winner.code, evaluation.winner.name, evaluation.evaluated_at, until
            )
        )
        until = evaluation.evaluated_at
    return holders


@uow.read
def latest_evaluation() -> EvaluationView:
    evaluation = (
        LineEvaluation.select()
        .order_by(LineEvaluation.evaluated_at.desc(), LineEvaluation.id.desc())
        .first()
    )
    if evaluation is None:
        raise NotFound(_("No line evaluation yet."))
    return _evaluation_view(evaluation)
