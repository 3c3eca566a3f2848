"""Quiz items on the demo question bank: drawing, answering, double submissions."""

from __future__ import annotations

import random
import uuid

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, ValidationFailed
from kiosk.services.platform.auth import sign_in
from kiosk.services.training.training import answer_count, answer_question, next_question
from models import Choice, Question, QuizAnswer, db


@pytest.fixture
def operator(demo_plant, clock):
    return sign_in(Caller.of(None, clock), "E3003")


def _choices(question_id: int) -> list[Choice]:
    with db.connection():
        return list(Choice.select().where(Choice.question == question_id).order_by(Choice.position))


def _right_position(question_id: int) -> int:
    [right] = [c.position for c in _choices(question_id) if c.correct]
    return right


def _wrong_position(question_id: int) -> int:
    return next(c.position for c in _choices(question_id) if not c.correct)


def _answers() -> list[QuizAnswer]:
    with db.connection():
        return list(QuizAnswer.select())


def test_next_question_has_numbered_choices(operator):
    rng = random.Random(1)
    seen = set()
    for _ in range(5):
        question = next_question(Caller.of(operator), rng=rng)
        seen.add(question.id)
        assert question.text
        assert question.kind in ("single", "truefalse")
        assert 2 <= len(question.choices) <= 6
        assert [c.position for c in question.choices] == list(range(1, len(question.choices) + 1))
        assert all(c.text for c in question.choices)
        with db.connection():
            assert Question.get_by_id(question.id).text == question.text
    assert len(seen) > 1


def test_answers_are_saved_with_the_correct_flag_and_explained(operator, clock):
    question = next_question(Caller.of(operator), rng=random.Random(3))
    right = _right_position(question.id)
    result = answer_question(Caller.of(operator, clock, "K9"), question.id, right)
    with db.connection():
        explanation = Question.get_by_id(question.id).explanation
    assert explanation
    assert result.correct is True
    assert (result.chosen_position, result.correct_position) == (right, right)
    assert result.correct_text == question.choices[right - 1].text
    assert result.explanation == explanation
    assert result.answered_at == clock.now()
    [row] = _answers()
    assert str(row.id) == result.answer_id
    assert (row.employee_id, row.question_id, row.correct) == (operator.id, question.id, True)
    assert row.choice_id == question.choices[right - 1].id
    assert row.terminal == "K9"
    assert answer_count(operator.id) == (1, 1)

    wrong = _wrong_position(question.id)
    result = answer_question(Caller.of(operator, clock), question.id, wrong)
    assert result.correct is False
    assert (result.chosen_position, result.correct_position) == (wrong, right)
    assert result.correct_text == question.choices[right - 1].text
    assert result.explanation == explanation
    with db.connection():
        saved = QuizAnswer.get_by_id(result.answer_id)
    assert (saved.correct, saved.choice_id) == (False, question.choices[wrong - 1].id)
    assert answer_count(operator.id) == (2, 1)


def test_same_answer_id_twice_stores_one_row(operator, clock):
    question = next_question(Caller.of(operator), rng=random.Random(5))
    answer_id = uuid.uuid4()
    wrong = _wrong_position(question.id)
    first = answer_question(Caller.of(operator, clock), question.id, wrong, answer_id=answer_id)
    # A double Enter: the second submission (even with another key) changes nothing.
    second = answer_question(
        Caller.of(operator, clock), question.id, _right_position(question.id), answer_id=answer_id
    )
    assert len(_answers()) == 1
    assert first.answer_id == second.answer_id == str(answer_id)
    assert second.correct is False
    assert second.chosen_position == wrong
    assert answer_count(operator.id) == (1, 0)


def test_position_out_of_range_is_refused(operator, clock):
    question = next_question(Caller.of(operator), rng=random.Random(6))
    expected = f"Choose 1 to {len(question.choices)}."
    for position in (0, -1, len(question.choices) + 1, 99):
        with pytest.raises(ValidationFailed) as caught:
            answer_question(Caller.of(operator, clock), question.id, position)
        assert caught.value.problems == {"choice": expected}, position
        assert caught.value.message == expected
    with pytest.raises(NotFound, match="removed"):
        answer_question(Caller.of(operator, clock), 987654, 1)
    assert _answers() == []


def _two_questions() -> tuple[int, int, list[int]]:
    """Two item ids, and the ids of every other item (to exclude)."""
    with db.connection():
        ids = sorted(q.id for q in Question.select(Question.id))
    return ids[0], ids[1], ids[2:]


def _drawn(employee, exclude: list[int], seeds: range) -> set[int]:
    return {
        next_question(Caller.of(employee), exclude=exclude, rng=random.Random(s)).id for s in seeds
    }


def test_items_answered_right_come_after_those_not_yet_right(operator, clock):
    first, second, others = _two_questions()
    # Only two items left in play: both are drawn, exclude is honoured.
    assert _drawn(operator, others, range(20)) == {first, second}
    assert _drawn(operator, [*others, first], range(5)) == {second}

    answer_question(Caller.of(operator, clock), first, _right_position(first))
    assert _drawn(operator, others, range(20)) == {second}
    # Once both are right, both are drawn again.
    answer_question(Caller.of(operator, clock), second, _right_position(second))
    assert _drawn(operator, others, range(20)) == {first, second}


def test_wrong_answers_and_other_peoples_answers_do_not_count(operator, clock):
    first, second, others = _two_questions()
    answer_question(Caller.of(operator, clock), first, _wrong_position(first))
    assert _drawn(operator, others, range(20)) == {first, second}

    colleague = sign_in(Caller.of(None, clock), "E3004")
    answer_question(Caller.of(colleague, clock), first, _right_position(first))
    assert _drawn(operator, others, range(20)) == {first, second}
    assert _drawn(colleague, others, range(20)) == {second}


def test_no_item_already_right_is_drawn_while_others_remain(operator, clock):
    rng = random.Random(11)
    answered_right: set[int] = set()
    for _ in range(6):
        question = next_question(Caller.of(operator), rng=rng)
        assert question.id not in answered_right
        answer_question(Caller.of(operator, clock), question.id, _right_position(question.id))
        answered_right.add(question.id)
    assert answer_count(operator.id) == (6, 6)
