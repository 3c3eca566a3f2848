"""Assessments and training coverage, as services (no Textual)."""

from __future__ import annotations

import csv
import random
from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.clock import format_local
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.services.platform import auth
from kiosk.services.training.assessments import (
    AssessmentView,
    answer_item,
    assessment_status,
    coverage_report,
    passes,
    start_assessment,
    training_coverage,
)
from models import AuditEntry, Campaign, Choice, Employee, Question, QuizAnswer
from models.assessments import Assessment, AssessmentItem


def right_position(question_id: int) -> int:
    return Choice.get((Choice.question == question_id) & Choice.correct).position


def wrong_position(question_id: int) -> int:
    return Choice.get((Choice.question == question_id) & ~Choice.correct).position


def take(badge: str, right: int, clock, *, rng: random.Random | None = None) -> AssessmentView:
    """Start (or resume) and answer every item: the first `right` right, the rest wrong."""
    person = auth.identify_badge(badge)
    view = start_assessment(Caller.of(person, clock), rng=rng)
    while view.current is not None:
        item = view.current
        correct = item.position <= right
        choice = right_position(item.question_id) if correct else wrong_position(item.question_id)
        clock.advance(timedelta(seconds=20))
        view = answer_item(Caller.of(person, clock), view.id, item.position, choice)
    return view


def test_the_draw_honours_n_and_never_repeats_an_item(demo_plant, clock):
    Campaign.update(assessment_items=7).execute()
    person = auth.identify_badge("E1002")
    view = start_assessment(Caller.of(person, clock), rng=random.Random(5))
    assert (view.item_count, view.answered, view.current.position) == (7, 0, 1)
    drawn = [i.question_id for i in AssessmentItem.select().order_by(AssessmentItem.position)]
    assert len(drawn) == 7 and len(set(drawn)) == 7
    assert [i.position for i in AssessmentItem.select().order_by(AssessmentItem.position)] == list(
        range(1, 8)
    )

    # A bank smaller than N: every item once.
    Campaign.update(assessment_items=50).execute()
    other = start_assessment(Caller.of(auth.identify_badge("E1003"), clock), rng=random.Random(1))
    items = list(AssessmentItem.select().where(AssessmentItem.assessment == other.id))
    assert other.item_count == 36 == len({i.question_id for i in items})


def test_eight_of_ten_passes_at_80_and_seven_fails(demo_plant, clock):
    assert passes(8, 10, 80) and not passes(7, 10, 80)
    passed = take("E1002", 8, clock)
    failed = take("E1003", 7, clock)
    assert passed.result is not None and failed.result is not None
    assert (passed.result.score, passed.result.percent, passed.result.passed) == (8, 80, True)
    assert (failed.result.score, failed.result.percent, failed.result.passed) == (7, 70, False)
    assert [m.position for m in passed.result.missed] == [9, 10]
    missed = passed.result.missed[0]
    question = Question.get(Question.text == missed.text)
    assert missed.explanation == question.explanation != ""
    assert missed.correct_position == right_position(question.id)
    stored = {a.employee.badge_code: (a.score, a.passed) for a in Assessment.select()}
    assert stored == {"E1002": (8, True), "E1003": (7, False)}
    assert QuizAnswer.select().where(QuizAnswer.context == "assessment").count() == 20


def test_a_double_enter_saves_the_answer_once(demo_plant, clock):
    person = auth.identify_badge("E1002")
    view = start_assessment(Caller.of(person, clock, "K7"))
    item = view.current
    first = answer_item(
        Caller.of(person, clock, "K7"), view.id, 1, wrong_position(item.question_id)
    )
    again = answer_item(Caller.of(person, clock), view.id, 1, right_position(item.question_id))
    assert first.answered == again.answered == 1
    assert again.current.position == 2
    answers = list(QuizAnswer.select())
    assert len(answers) == 1 and answers[0].correct is False  # the first answer stands
    # where it was taken and answered: the kiosk's terminal
    assert answers[0].terminal == "K7" and Assessment.get_by_id(view.id).terminal == "K7"
    with pytest.raises(ValidationFailed, match="Choose 1 to"):
        answer_item(Caller.of(person, clock), view.id, 2, 9)
    with pytest.raises(NotFound):
        answer_item(Caller.of(auth.identify_badge("E1003"), clock), view.id, 2, 1)  # not theirs
    assert QuizAnswer.select().count() == 1


def test_an_unfinished_assessment_resumes_where_it_stopped(demo_plant, clock):
    person = auth.identify_badge("E1002")
    view = start_assessment(Caller.of(person, clock))
    for position in (1, 2, 3):
        item = view.current
        view = answer_item(
            Caller.of(person, clock), view.id, position, right_position(item.question_id)
        )
    status = assessment_status(Caller.of(person))
    assert status.unfinished is not None and status.unfinished.answered == 3
    resumed = start_assessment(Caller.of(person, clock))
    assert (resumed.id, resumed.resumed, resumed.answered, resumed.current.position) == (
        view.id,
        True,
        3,
        4,
    )
    assert Assessment.select().count() == 1


def test_retakes_are_allowed_and_the_best_pass_counts(demo_plant, clock):
    take("E1002", 5, clock)
    take("E1002", 10, clock)
    take("E1002", 8, clock)
    status = assessment_status(Caller.of(auth.identify_badge("E1002")))
    assert status.attempts == 3 and status.unfinished is None
    assert (status.best_passed.score, status.best_passed.passed) == (10, True)
    assert status.last_finished.score == 8
    li_na = next(e for e in coverage_report().employees if e.badge_code == "E1002")
    assert (li_na.passed, li_na.best_score, li_na.best_percent) == (True, 10, 100)
    assert li_na.passed_at == status.best_passed.finished_at


def test_coverage_on_the_demo_roster(demo_plant, clock):
    take("E1002", 9, clock)  # Manufacturing, Line 1 Team
    take("E4002", 8, clock)  # Quality, Quality Inspection Team
    take("E5003", 10, clock)  # R&D, Production Technology Team
    take("E1003", 6, clock)  # Manufacturing, Line 1 Team: not passed
    take("E6002", 8, clock)  # Purchasing, Incoming Material Team, then leaves the plant
    Employee.update(active=False).where(Employee.badge_code == "E6002").execute()
    start_assessment(Caller.of(auth.identify_badge("E2002"), clock))  # started, never finished

    report = coverage_report()
    # 40 active demo employees, less E6002: 39; passed: E1002, E4002, E5003.
    assert (report.overall.passed, report.overall.total, report.overall.percent) == (3, 39, 7)
    departments = {g.name: (g.passed, g.total) for g in report.by_department}
    assert departments == {
        "HR": (0, 2),
        "Manufacturing": (1, 21),
        "PMC": (0, 2),
        "Production Technology": (0, 2),
        "Purchasing": (0, 2),
        "Quality": (1, 7),
        "R&D": (1, 3),
    }
    teams = {g.name: (g.passed, g.total) for g in report.by_team}
    assert teams == {
        "Incoming Material Team": (0, 6),
        "Line 1 Team (AC chargers)": (1, 7),
        "Line 2 Team (DC fast chargers)": (0, 7),
        "Line 3 Team (SMT & soldering)": (0, 7),
        "Production Technology Team": (1, 6),
        "Quality Inspection Team": (1, 6),
    }
    missing = {e.badge_code: e for e in report.missing}
    assert len(missing) == 36
    assert not {"E1002", "E4002", "E5003", "E6002", "E9001"} & set(missing)
    wang = missing["E1003"]
    assert (wang.name, wang.department, wang.team_name) == (
        "Wang Fang",
        "Manufacturing",
        "Line 1 Team (AC chargers)",
    )
    assert (wang.best_score, wang.best_item_count, wang.passed_at) == (6, 10, None)
    assert missing["E2002"].best_score is None  # unfinished counts for nothing


def test_only_supervisors_see_coverage_and_a_refusal_is_audited(demo_plant, clock):
    report = training_coverage(Caller.of(auth.identify_badge("E4002"), clock))
    assert report.overall.total == 40
    with pytest.raises(PermissionDenied, match="supervisor or above may view training coverage"):
        training_coverage(Caller.of(auth.identify_badge("E1001"), clock, "T-9"))
    refusal = AuditEntry.get(AuditEntry.action == "view_training_coverage")
    assert (refusal.allowed, refusal.actor.badge_code, refusal.terminal) == (False, "E1001", "T-9")


def test_kiosk_export_coverage_writes_one_row_per_active_employee(
    demo_plant, clock, tmp_path, capsys, monkeypatch
):
    take("E1002", 9, clock)
    take("E1003", 4, clock)
    passed_at = Assessment.get(Assessment.passed == True).finished_at  # noqa: E712
    output = tmp_path / "coverage.csv"
    assert main(["export", "coverage", "--db", demo_plant, "--output", str(output)]) == 0
    assert "Training coverage 2 % (1 of 40 active employees passed): 40 rows" in (
        capsys.readouterr().out
    )
    with output.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [
        "badge",
        "name",
        "department",
        "team",
        "passed",
        "best_score",
        "best_score_percent",
        "passed_at",
    ]
    assert len(rows) == 41
    by_badge = {row[0]: row for row in rows[1:]}
    assert "E9001" not in by_badge  # inactive
    assert by_badge["E1002"] == [
        "E1002",
        "Li Na",
        "Manufacturing",
        "Line 1 Team (AC chargers)",
        "yes",
        "9/10",
        "90",
        format_local(passed_at),
    ]
    assert by_badge["E1003"][4:] == ["no", "4/10", "40", ""]
    assert by_badge["E4002"][4:] == ["no", "", "", ""]

    # like every export: a file by default (coverage.csv here), XLSX too
    monkeypatch.chdir(tmp_path)
    assert main(["export", "coverage", "--db", demo_plant]) == 0
    assert "40 rows of coverage written to coverage.csv (CSV)" in capsys.readouterr().out
    with (tmp_path / "coverage.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert list(csv.reader(stream)) == rows
    assert main(["export", "coverage", "--db", demo_plant, "--format", "xlsx"]) == 0
    assert "written to coverage.xlsx (XLSX)" in capsys.readouterr().out
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "coverage.xlsx").active
    cells = [[("" if v is None else str(v)) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert cells == rows
    assert main(["export", "coverage", "--db", demo_plant, "-o", "-"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("badge,name,") and len(printed) == 41
    bad = tmp_path / "no-such-folder" / "c.csv"
    assert main(["export", "coverage", "--db", demo_plant, "--output", str(bad)]) == 2
    assert "cannot write" in capsys.readouterr().err
