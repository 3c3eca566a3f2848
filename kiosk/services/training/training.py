"""Quiz items: drawing the next item for a person, saving answers, loading the bank."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, fn

from kiosk.caller import Caller
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from models import Choice, Question, QuizAnswer, db


@dataclass(frozen=True)
class ChoiceView:
    id: int
    position: int  # 1-based, the key a person presses
    text: str


@dataclass(frozen=True)
class QuestionView:
    id: int
    key: str
    topic: str
    kind: str
    text: str
    choices: tuple[ChoiceView, ...]


@dataclass(frozen=True)
class AnswerResult:
    answer_id: str
    correct: bool
    chosen_position: int
    correct_position: int
    correct_text: str
    explanation: str
    answered_at: datetime


def _question_view(question: Question) -> QuestionView:
    choices = Choice.select().where(Choice.question == question).order_by(Choice.position)
    return QuestionView(
        id=question.id,
        key=question.key,
        topic=question.topic,
        kind=question.kind,
        text=question.text,
        choices=tuple(ChoiceView(c.id, c.position, c.text) for c in choices),
    )


@uow.read
def next_question(
    caller: Caller, *, exclude: Iterable[int] = (), rng: random.Random | None = None
) -> QuestionView:
    """An item this person has answered correctly least often (random among equals)."""
    employee = caller.person
    rng = rng or random.Random()
    correct_answers = fn.COUNT(QuizAnswer.id)
    rows = list(
        db.dicts(
            Question.select(Question.id, correct_answers.alias("times_right"))
            .join(
                QuizAnswer,
                JOIN.LEFT_OUTER,
                on=(
                    (QuizAnswer.question == Question.id)
                    & (QuizAnswer.employee == employee.id)
                    & QuizAnswer.correct
                ),
            )
            .where(Question.active & Question.id.not_in(list(exclude) or [-1]))
            .group_by(Question.id)
        )
    )
    if not rows:
        raise NotFound(_("There are no quiz items yet. Ask the quality office to import some."))
    fewest = min(row["times_right"] for row in rows)
    candidates = sorted(row["id"] for row in rows if row["times_right"] == fewest)
    return _question_view(Question.get_by_id(rng.choice(candidates)))


@uow.write(idempotent=True, ids={"answer_id": uuid.uuid4})
def answer_question(
    caller: Caller,
    question_id: int,
    position: int,
    *,
    answer_id: uuid.UUID | None = None,
) -> AnswerResult:
    """Save one answer. The same answer id saved twice (a double Enter) is stored once."""
    employee = caller.person
    answer_id = answer_id or uuid.uuid4()
    question = Question.get_or_none(Question.id == question_id)
    if question is None:
        raise NotFound(_("That quiz item was removed. Take the next one."))
    choices = list(Choice.select().where(Choice.question == question).order_by(Choice.position))
    chosen = next((c for c in choices if c.position == position), None)
    if chosen is None:
        raise ValidationFailed({"choice": _("Choose 1 to {count}.", count=len(choices))})
    right = next(c for c in choices if c.correct)
    now = caller.now()
    QuizAnswer.insert(
        id=answer_id,
        employee=employee.id,
        question=question,
        choice=chosen,
        correct=chosen.correct,
        context="practice",
        answered_at=now,
        terminal=caller.terminal,
    ).on_conflict_ignore().execute()
    saved = QuizAnswer.get_by_id(answer_id)
    saved_choice = Choice.get_by_id(saved.choice_id)
    return AnswerResult(
        answer_id=str(answer_id),
        correct=saved.correct,
        chosen_position=saved_choice.position,
        correct_position=right.position,
        correct_text=right.text,
        explanation=question.explanation,
        answered_at=saved.answered_at,
    )


@uow.read
def answer_count(employee_id: int) -> tuple[int, int]:
    """(answers given, answers right) by one employee."""
    query = QuizAnswer.select().where(QuizAnswer.employee == employee_id)
    return query.count(), query.where(QuizAnswer.correct).count()


def _validate_item(number: int, item: Mapping[str, object]) -> list[str]:
    problems: list[str] = []
    for key in ("key", "topic", "kind", "text", "choices", "answer"):
        if key not in item:
            problems.append(_("item {number}: missing {key!r}", number=number, key=key))
    if problems:
        return problems
    choices = item["choices"]
    if item["kind"] not in ("single", "truefalse"):
        problems.append(_("item {number}: kind must be 'single' or 'truefalse'", number=number))
    if not isinstance(choices, list) or not 2 <= len(choices) <= 6:
        problems.append(_("item {number}: needs 2 to 6 choices", number=number))
    elif not isinstance(item["answer"], int) or not 0 <= item["answer"] < len(choices):
        problems.append(
            _("item {number}: answer must be the index of one of its choices", number=number)
        )
    return problems


@uow.write
def load_question_bank(items: Sequence[Mapping[str, object]]) -> int:
    """Insert or update items by their stable key; all or nothing. Returns items loaded."""
    problems: list[str] = [
        p for number, item in enumerate(items, start=1) for p in _validate_item(number, item)
    ]
    if problems:
        raise ValidationFailed({str(i): p for i, p in enumerate(problems)})
    for item in items:
        question, _created = Question.get_or_create(
            key=str(item["key"]),
            defaults={"topic": item["topic"], "kind": item["kind"], "text": item["text"]},
        )
        question.topic = str(item["topic"])
        question.kind = str(item["kind"])
        question.text = str(item["text"])
        question.explanation = str(item.get("explanation", ""))
        difficulty = item.get("difficulty", 1)
        question.difficulty = difficulty if isinstance(difficulty, int) else int(str(difficulty))
        question.save()
        existing = {c.position: c for c in Choice.select().where(Choice.question == question)}
        choices = item["choices"]
        assert isinstance(choices, list)  # _validate_item refused anything else
        for position, text in enumerate(choices, start=1):
            choice = existing.get(position) or Choice(question=question, position=position)
            choice.text = str(text)
            choice.correct = position - 1 == item["answer"]
            choice.save()
        stale = [c.id for position, c in existing.items() if position > len(choices)]
        if stale:
            Choice.delete().where(Choice.id.in_(stale)).execute()
    return len(items)
