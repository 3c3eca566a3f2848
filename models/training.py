"""Question bank and quiz answers."""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
    UUIDField,
)

from models.base import BaseModel, UTCDateTimeField, new_uuid
from models.people import Employee

QUESTION_KINDS = ("single", "truefalse")


class Question(BaseModel):
    id = AutoField()
    key = CharField(max_length=64, unique=True)
    topic = CharField(max_length=64)
    kind = CharField(max_length=16)
    text = TextField()
    explanation = TextField(default="")
    difficulty = IntegerField(default=1)
    active = BooleanField(default=True)


class Choice(BaseModel):
    id = AutoField()
    question = ForeignKeyField(Question, backref="choices", on_delete="CASCADE")
    question_id: int
    position = IntegerField()
    text = TextField()
    correct = BooleanField(default=False)

    class Meta:
        indexes = ((("question", "position"), True),)


class QuizAnswer(BaseModel):
    id = UUIDField(primary_key=True, default=new_uuid)
    employee = ForeignKeyField(Employee, backref="quiz_answers", on_delete="RESTRICT")
    employee_id: int
    question = ForeignKeyField(Question, backref="answers", on_delete="RESTRICT")
    question_id: int
    choice = ForeignKeyField(Choice, backref="answers", on_delete="RESTRICT")
    choice_id: int
    correct = BooleanField()
    context = CharField(max_length=16, default="practice")
    answered_at = UTCDateTimeField(index=True)
    terminal = CharField(max_length=64, null=True)
