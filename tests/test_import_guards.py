"""Every import refuses bad files at once with a message: a pipe or a device, a file
nested too deeply, a header of a million columns; and a file import is audited with
who ran it."""

from __future__ import annotations

import os
import threading
import time

import pytest

from kiosk.cli import main
from models import AuditEntry, db

KINDS = ("questions", "checklist", "anomalies")
SUFFIX = {"questions": ".csv", "checklist": ".csv", "anomalies": ".csv"}


def _imports(kind: str, path, database: str) -> tuple[int, float]:
    started = time.monotonic()
    status = main(["import", kind, str(path), "--db", database])
    return status, time.monotonic() - started


@pytest.mark.parametrize("kind", KINDS)
def test_a_pipe_or_a_device_is_refused_without_reading_it(kind, database, tmp_path, capsys):
    fifo = tmp_path / f"pipe{SUFFIX[kind]}"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: None)  # nobody writes: reading would block
    writer.start()
    status, seconds = _imports(kind, fifo, database)
    assert status == 2 and seconds < 30  # it came back: reading the pipe would block for good
    assert "is not a regular file (a pipe or a device)" in capsys.readouterr().err
    status, seconds = _imports(kind, "/dev/zero", database)
    assert status == 2 and seconds < 30  # /dev/zero read to its end would never end
    writer.join()


def test_json_and_toml_nested_too_deeply_get_a_message(database, tmp_path, capsys):
    deep_json = tmp_path / "questions.json"
    deep_json.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert _imports("questions", deep_json, database)[0] == 2
    deep_toml = tmp_path / "checklist.toml"
    deep_toml.write_text("item = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert _imports("checklist", deep_toml, database)[0] == 2
    err = capsys.readouterr().err
    assert err.count("is nested too deeply") == 2 and "Traceback" not in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_million_column_header_is_refused(kind, database, tmp_path, capsys):
    wide = tmp_path / f"wide{SUFFIX[kind]}"
    wide.write_text(",".join(f"c{n}" for n in range(1_000_000)) + "\n", encoding="utf-8")
    status, _seconds = _imports(kind, wide, database)  # (took minutes with a quadratic check)
    assert status == 2
    assert "column" in capsys.readouterr().err


def test_question_and_checklist_imports_are_audited_with_who_ran_them(database, tmp_path):
    questions = tmp_path / "questions.csv"
    questions.write_text(
        "key,topic,kind,text,choice_1,choice_2,answer,explanation,difficulty\n"
        "Q1,5M1E,single,What is M in 5M1E?,Man,Moon,1,Man machine material...,1\n",
        encoding="utf-8",
    )
    checklist = tmp_path / "checklist.csv"
    checklist.write_text(
        "code,area,text,category\nC1,5S/7S,Floor clear,environment\n", encoding="utf-8"
    )
    assert main(["import", "questions", str(questions), "--db", database]) == 0
    assert main(["import", "checklist", str(checklist), "--db", database]) == 0
    with db.connection():
        rows = {
            row.action: row
            for row in AuditEntry.select().where(
                AuditEntry.action.in_(["import_questions", "import_checklist"])
            )
        }
    assert rows["import_questions"].target == "questions.csv"
    assert rows["import_checklist"].target == "checklist.csv"
    for row in rows.values():
        assert row.allowed and "(command line)" not in row.detail and "@" in row.detail
