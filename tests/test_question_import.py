"""Question bank import from CSV and JSON: all or nothing, line-numbered problems, upsert by key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.errors import ValidationFailed
from kiosk.services.plant.demo import demo_question_items
from kiosk.services.platform import auth
from kiosk.services.training.assessments import answer_item, start_assessment
from kiosk.services.training.question_import import import_questions, read_questions
from models import Choice, Question

HEADER = "key,topic,kind,text,choice_1,choice_2,choice_3,choice_4,answer,explanation,difficulty\n"
GOOD_CSV = HEADER + (
    "ESD-001,ESD,single,What do you wear at the SMT line?,Gloves,Wrist strap,Nothing,,2,"
    "Static kills chips.,1\n"
    "esd-002,ESD,truefalse,A strap needs testing once a month.,,,,,false,Every shift.,2\n"
    'tq-001,Torque,single,"The tool\'s label expired, what now?",Keep going,"Stop, hand it in",'
    "Ask around,Turn it up,B,Calibrate first.,3\n"
)
SAMPLE = Path(__file__).resolve().parent.parent / "kiosk" / "data" / "sample-questions.csv"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def bank() -> dict[str, tuple]:
    """Every question with its choices, as stored (ids included: an update must keep them)."""
    return {
        q.key: (
            q.id,
            q.topic,
            q.kind,
            q.text,
            q.explanation,
            q.difficulty,
            q.active,
            tuple(
                (c.id, c.position, c.text, c.correct)
                for c in Choice.select().where(Choice.question == q).order_by(Choice.position)
            ),
        )
        for q in Question.select()
    }


def test_a_good_csv_is_imported_and_reimporting_it_changes_nothing(database, tmp_path):
    path = write(tmp_path, "questions.csv", GOOD_CSV)
    summary = import_questions(path)
    assert (summary.total, summary.added, summary.changed, summary.unchanged) == (3, 3, 0, 0)
    stored = bank()
    assert set(stored) == {"esd-001", "esd-002", "tq-001"}  # keys are not case-sensitive
    _id, topic, kind, text, explanation, difficulty, active, choices = stored["esd-001"]
    assert (topic, kind, explanation, difficulty, active) == (
        "ESD",
        "single",
        "Static kills chips.",
        1,
        True,
    )
    assert [(c[2], c[3]) for c in choices] == [
        ("Gloves", False),
        ("Wrist strap", True),
        ("Nothing", False),
    ]
    assert [(c[2], c[3]) for c in stored["esd-002"][-1]] == [("True", False), ("False", True)]
    assert stored["tq-001"][3] == "The tool's label expired, what now?"
    assert [c[3] for c in stored["tq-001"][-1]] == [False, True, False, False]

    again = import_questions(path)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
    assert bank() == stored


def test_a_changed_row_updates_its_item_in_place(database, tmp_path):
    import_questions(write(tmp_path, "q.csv", GOOD_CSV))
    before = bank()
    edited = GOOD_CSV.replace("Gloves,Wrist strap,Nothing,,2", "Gloves,Wrist strap,,,2")
    summary = import_questions(write(tmp_path, "q2.csv", edited))
    assert (summary.added, summary.changed, summary.unchanged) == (0, 1, 2)
    after = bank()
    assert after["esd-001"][0] == before["esd-001"][0]
    assert [c[2] for c in after["esd-001"][-1]] == ["Gloves", "Wrist strap"]
    assert after["tq-001"] == before["tq-001"]

    retired = HEADER.replace("difficulty\n", "difficulty,active\n") + (
        'tq-001,Torque,single,"The tool\'s label expired, what now?",Keep going,'
        '"Stop, hand it in",Ask around,Turn it up,B,Calibrate first.,3,no\n'
    )
    summary = import_questions(write(tmp_path, "q3.csv", retired))
    assert (summary.changed, Question.get(Question.key == "tq-001").active) == (1, False)
    assert import_questions(write(tmp_path, "q4.csv", retired)).unchanged == 1


def test_a_bad_csv_imports_nothing_and_names_every_bad_line(database, tmp_path):
    import_questions(write(tmp_path, "good.csv", GOOD_CSV))
    before = bank()
    bad = HEADER + (
        "new-001,ESD,single,A fine new item,a,b,,,1,,\n"  # line 2: fine
        "new-002,ESD,single,Only one choice,a,,,,1,,\n"  # line 3
        'new-003,ESD,single,"A question over\ntwo lines",a,b,c,,5,,\n'  # line 4 (answer past 3)
        "new-004,,single,No topic,a,b,,,1,,\n"  # line 6
        "new-005,ESD,multiple,Unknown kind,a,b,,,1,,\n"  # line 7
        "new-001,ESD,single,Key used twice,a,b,,,1,,\n"  # line 8
        "new-006,ESD,single,Gap in the choices,a,,c,,1,,\n"  # line 9
        "new-007,ESD,single,Bad difficulty,a,b,,,1,,9\n"  # line 10
        "bad key!,ESD,single,Bad key,a,b,,,1,,\n"  # line 11
        "new-008,ESD,truefalse,Answer is no word,,,,,maybe,,\n"  # line 12
    )
    with pytest.raises(ValidationFailed) as refused:
        import_questions(write(tmp_path, "bad.csv", bad))
    message = refused.value.message
    for line in (3, 4, 6, 7, 8, 9, 10, 11, 12):
        assert f"line {line}" in message, line
    assert "line 2:" not in message and "line 2 " not in message
    assert "line 5" not in message  # the second line of the quoted question is part of line 4
    assert "already used on line 2" in message
    assert "answer '5' points past the 3 choices" in message
    assert bank() == before  # not even the good row went in


def test_the_cli_imports_csv_and_refuses_broken_files_with_exit_2(database, tmp_path, capsys):
    good = write(tmp_path, "q.csv", GOOD_CSV)
    assert main(["import", "questions", str(good), "--db", database]) == 0
    assert "3 items: 3 new, 0 changed, 0 unchanged" in capsys.readouterr().out
    assert main(["import", "questions", str(good), "--db", database]) == 0
    assert "0 new, 0 changed, 3 unchanged" in capsys.readouterr().out
    stored = bank()

    broken = write(tmp_path, "q.json", '[\n  {"key": "a", "topic": "T",\n  "kind" "single"}\n]\n')
    assert main(["import", "questions", str(broken), "--db", database]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err and "not valid JSON" in err and "line 3" in err

    latin = write(
        tmp_path, "latin.csv", (HEADER + "q-1,Qualität,single,Größe?,a,b,,,1,,\n").encode("latin-1")
    )
    assert main(["import", "questions", str(latin), "--db", database]) == 2
    err = capsys.readouterr().err
    assert "is not UTF-8 text (line 2" in err

    assert main(["import", "questions", str(tmp_path / "missing.csv"), "--db", database]) == 2
    assert "there is no such file" in capsys.readouterr().err
    assert main(["import", "questions", str(write(tmp_path, "q.txt", "x")), "--db", database]) == 2
    assert ".csv or a .json file" in capsys.readouterr().err
    db_bank = bank()
    assert db_bank == stored


def test_json_items_are_checked_with_their_line_numbers(database, tmp_path):
    items = [
        {
            "key": "j-1",
            "topic": "T",
            "kind": "single",
            "text": "Fine",
            "choices": ["a", "b"],
            "answer": 1,
        },
        {
            "key": "j-2",
            "topic": "T",
            "kind": "single",
            "text": "Past",
            "choices": ["a", "b"],
            "answer": 2,
        },
        {
            "key": "j-3",
            "topic": "T",
            "kind": "truefalse",
            "text": "Bool",
            "answer": True,
            "colour": 1,
        },
    ]
    path = write(tmp_path, "q.json", json.dumps(items, indent=2))
    with pytest.raises(ValidationFailed) as refused:
        import_questions(path)
    problems = list(refused.value.problems.values())
    # each item starts on its own line of the indented file: 2, 13, 24
    assert problems[0].startswith("line 13 (key 'j-2'): answer '2' points past the 2 choices")
    assert problems[1].startswith("line 24 (key 'j-3'): unknown field(s) 'colour'")
    assert Question.select().count() == 0

    del items[2]["colour"]
    items[1]["answer"] = "B"
    summary = import_questions(write(tmp_path, "q2.json", json.dumps(items)))
    assert summary.added == 3
    right = {
        q.key: Choice.get((Choice.question == q) & Choice.correct).position
        for q in Question.select()
    }
    assert right == {"j-1": 2, "j-2": 2, "j-3": 1}  # JSON numbers count from 0, as questions.json


def test_the_shipped_bank_and_the_sample_file_import_cleanly(demo_plant, tmp_path):
    shipped = write(tmp_path, "questions.json", json.dumps(demo_question_items()))
    summary = import_questions(shipped)
    assert (summary.added, summary.changed, summary.unchanged) == (
        0,
        0,
        36,
    )  # as the demo loaded it
    sample = import_questions(SAMPLE)
    assert (sample.total, sample.added) == (len(read_questions(SAMPLE)), sample.total)
    assert sample.total >= 5


def test_an_answered_item_cannot_lose_the_choice_people_chose(demo_plant, tmp_path, clock):
    import_questions(write(tmp_path, "q.csv", HEADER + "only-1,T,single,Pick four,a,b,c,d,4,,\n"))
    Question.update(active=False).where(Question.key != "only-1").execute()
    person = auth.identify_badge("E1002")
    view = start_assessment(Caller.of(person, clock))
    assert view.current is not None and view.current.text == "Pick four"
    answer_item(Caller.of(person, clock), view.id, 1, 4)
    before = bank()
    with pytest.raises(ValidationFailed) as refused:
        import_questions(
            write(tmp_path, "q2.csv", HEADER + "only-1,T,single,Pick four,a,b,c,,1,,\n")
        )
    assert "line 2 (key 'only-1')" in refused.value.message
    assert "cannot lose choices" in refused.value.message
    assert bank() == before
