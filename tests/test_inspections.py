"""Weekly line inspections: checklist import, roles, results, defects from failures, completion.

Each PostgreSQL test costs a fresh database, so related checks share a test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.services.lines import checklists, inspections
from kiosk.services.platform.auth import identify_badge
from models import (
    AuditEntry,
    ChecklistItem,
    Defect,
    DefectEvent,
    Inspection,
    InspectionResult,
    db,
)

GOOD_CSV = """code,area,text,category,position
a-1,5S/7S,Bench clean and free of chips,Environment,1
A-2,standardized operation,Torque card posted,method,
A-3,5s/7s,ESD straps tested,environment,3
"""

GOOD_TOML = """\
# a small checklist
[[item]]
code = "T-1"
area = "5S/7S"
text = "Aisles clear"
category = "environment"

[[item]]
code = "T-2"
area = "standardized operation"
text = "First article recorded"
category = "measurement"
position = 5
"""


def _rows() -> list[tuple]:
    with db.connection():
        return [
            (i.id, i.code, i.area, i.text, i.category, i.position, i.active)
            for i in ChecklistItem.select().order_by(ChecklistItem.code)
        ]


def _refused(path) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        checklists.import_checklist(path)
    return caught.value


@pytest.fixture
def leader(demo_plant):
    return identify_badge("E1001")


def test_csv_with_two_bad_rows_imports_nothing(database, tmp_path):
    path = tmp_path / "checklist.csv"
    path.write_text(
        "code,area,text,category\n"
        "B-1,5S/7S,Bench clean,environment\n"
        "B-2,5S/8S,Tools in place,method\n"  # line 3: unknown area
        "B-3,standardized operation,Card posted,method\n"
        ",5S/7S,No code here,planet\n"  # line 5: no code, unknown category
        "B-4,5S/7S,Straps tested,environment\n",
        encoding="utf-8",
    )
    error = _refused(path)
    assert list(error.problems) == ["line 3", "line 5"]
    assert "line 3: area '5S/8S' is not one of: 5S/7S, standardized operation" in error.message
    assert "line 5: code is empty" in error.message
    assert "category 'planet' is not a 5M1E category" in error.message
    assert "line 2" not in error.message and "line 4" not in error.message
    assert _rows() == []

    path.write_text(
        "code,area,text,category\n"
        "B-1,5S/7S,Bench clean,environment\n"
        "b-1,5S/7S,Bench clean again,environment\n"  # line 3: same code
        "B-2,5S/7S,Too many,method,x,y\n",  # line 4: extra fields
        encoding="utf-8",
    )
    error = _refused(path)
    assert "line 3: code B-1 is used twice (first at line 2)" in error.message
    assert "line 4: has 6 fields, the header on line 1 names 4" in error.message
    assert _rows() == []


def test_same_file_twice_gives_the_same_rows_and_changes_update(database, tmp_path):
    path = tmp_path / "checklist.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    assert checklists.import_checklist(path) == 3
    first = _rows()
    assert [
        (code, area, category, position) for _id, code, area, _t, category, position, _a in first
    ] == [
        ("A-1", "5S/7S", "environment", 1),
        ("A-2", "standardized operation", "method", 2),  # no position: its place in the file
        ("A-3", "5S/7S", "environment", 3),
    ]
    assert checklists.import_checklist(path) == 3
    assert _rows() == first

    path.write_text(GOOD_CSV.replace("Torque card posted", "Torque card posted at L2"), "utf-8")
    checklists.import_checklist(path)
    second = _rows()
    assert [row[0] for row in second] == [row[0] for row in first]  # same rows, updated
    assert second[1][3] == "Torque card posted at L2"


def test_toml_import_and_its_errors(database, tmp_path):
    path = tmp_path / "checklist.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    assert checklists.import_checklist(path) == 2
    assert [(r[1], r[2], r[4], r[5]) for r in _rows()] == [
        ("T-1", "5S/7S", "environment", 1),
        ("T-2", "standardized operation", "measurement", 5),
    ]
    before = _rows()

    bad = GOOD_TOML.replace('"measurement"', '"luck"') + (
        '\n[[item]]\ncode = "t-1"\narea = "5S/7S"\ntext = ""\ncategory = "man"\ncolour = "red"\n'
    )
    path.write_text(bad, encoding="utf-8")
    error = _refused(path)
    assert list(error.problems) == ["item 2 (line 8)", "item 3 (line 15)"]
    assert "item 2 (line 8): category 'luck' is not a 5M1E category" in error.message
    assert "item 3 (line 15): unknown key 'colour'" in error.message
    assert "text is empty" in error.message
    assert "code T-1 is used twice (first at item 1 (line 2))" in error.message
    assert _rows() == before


def test_unreadable_files_are_refused_with_a_message(tmp_path):
    """No database needed: these are refused before any is touched."""
    syntax = tmp_path / "broken.toml"
    syntax.write_text('[[item]]\ncode = "X-1\n', encoding="utf-8")
    assert "broken.toml is not valid TOML" in _refused(syntax).message
    assert "line 2" in _refused(syntax).message

    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,area,text,category\nX-1,5S/7S,Sch\xe4rfe,method\n".encode("latin-1"))
    message = _refused(latin).message
    assert "latin.csv is not UTF-8 text (line 2" in message and "save it as UTF-8" in message

    assert "there is no such file" in _refused(tmp_path / "nope.csv").message
    assert "a .toml or a .csv file" in _refused(tmp_path / "list.xlsx").message
    header = tmp_path / "header.csv"
    header.write_text("code,area,txt,category\nX-1,5S/7S,Clean,method\n", encoding="utf-8")
    assert "missing text; unknown txt" in _refused(header).message
    empty = tmp_path / "empty.toml"
    empty.write_text("title = 'no items'\n", encoding="utf-8")
    assert "holds no [[item]] tables" in _refused(empty).message


def test_operator_is_refused_and_the_refusal_audited(demo_plant, clock):
    operator = identify_badge("E1002")
    with pytest.raises(PermissionDenied) as caught:
        inspections.start_inspection(Caller.of(operator, clock, "K9"), "L1")
    assert caught.value.message == "Only a team leader or above may run an inspection."
    with db.connection():
        assert Inspection.select().count() == 0
        [audit] = list(AuditEntry.select().where(AuditEntry.action == "run_an_inspection"))
        assert audit.actor.badge_code == "E1002"
        assert audit.allowed is False
        assert audit.target == "line L1"
        assert audit.terminal == "K9"
        assert audit.at == clock.now()


def test_start_resume_and_one_result_per_item(leader, clock):
    view = inspections.start_inspection(Caller.of(leader, clock, "K1"), "l1")
    assert (view.line_code, view.week, view.inspector_name) == ("L1", "2025-W37", "Zhang Wei")
    assert view.total == 13 and view.checked == 0 and not view.resumed
    assert view.items[0].code == "5S-01" and view.items[-1].code == "SO-04"
    assert [s.code for s in view.stations] == [f"L1-S0{n}" for n in range(1, 6)]

    supervisor = identify_badge("E4002")
    clock.advance(timedelta(hours=1))
    again = inspections.start_inspection(Caller.of(supervisor, clock), "L1")
    assert again.id == view.id and again.resumed and again.inspector_name == "Zhang Wei"

    inspections.record_result(Caller.of(leader, clock), view.id, "5S-01", "pass", "")
    with pytest.raises(ValidationFailed) as caught:  # a recorded result never flips silently
        inspections.record_result(Caller.of(leader, clock), view.id, "5S-01", "n/a", "")
    assert caught.value.problems == {
        "change": "5S-01 is already recorded as pass. Confirm to change it to n/a."
    }
    updated = inspections.record_result(
        Caller.of(leader, clock), view.id, "5s-01", "n/a", "line idle \x1b[31mtoday", change=True
    )
    assert updated.item("5S-01").outcome == "n/a"
    assert updated.item("5S-01").note == "line idle today"
    assert updated.progress_text == "1 of 13 items checked"

    with pytest.raises(ValidationFailed) as caught:
        inspections.record_result(Caller.of(leader, clock), view.id, "5S-01", "fail", "   ")
    assert caught.value.problems == {"note": "A failed item needs a note: say what is wrong."}
    with pytest.raises(ValidationFailed) as caught:
        inspections.record_result(Caller.of(leader, clock), view.id, "5S-01", "fail", "x" * 501)
    assert "keep it to 500" in caught.value.message
    with pytest.raises(ValidationFailed):
        inspections.record_result(Caller.of(leader, clock), view.id, "5S-01", "maybe", "")
    with pytest.raises(NotFound):
        inspections.record_result(Caller.of(leader, clock), view.id, "ZZ-99", "pass", "")

    with db.connection():
        [result] = list(InspectionResult.select())
        assert (result.item.code, result.outcome, result.note) == (
            "5S-01",
            "n/a",
            "line idle today",
        )
        assert Inspection.select().count() == 1
        assert AuditEntry.select().where(AuditEntry.action == "start_inspection").count() == 1
        change = AuditEntry.get(AuditEntry.action == "change_inspection_result")
        assert change.detail.startswith("pass -> n/a") and change.target.endswith("5S-01")


def test_failed_item_raises_one_prefilled_defect(leader, clock):
    view = inspections.start_inspection(Caller.of(leader, clock), "L1")
    note = "Card at L1-S03 shows the old sequence"
    inspections.record_result(Caller.of(leader, clock), view.id, "SO-01", "fail", note)
    inspections.record_result(Caller.of(leader, clock), view.id, "SO-02", "pass", "")
    with db.connection():
        defects_before = Defect.select().count()
        item = ChecklistItem.get(ChecklistItem.code == "SO-01")

    receipt = inspections.raise_defect_from_failure(
        Caller.of(leader, clock, "K1"), view.id, "SO-01", "l1-s03"
    )
    assert receipt.station_code == "L1-S03"
    assert receipt.team_name == "Line 1 Team (AC chargers)"
    assert receipt.due_at == clock.now() + timedelta(hours=48)

    with db.connection():
        defect = Defect.get_by_id(receipt.id)
        assert defect.description == f"Inspection 2025-W37 SO-01: {item.text}. {note}"
        assert (defect.category, defect.severity, defect.source) == (
            "method",
            "minor",
            "inspection",
        )
        assert defect.station.code == "L1-S03" and defect.team.code == "T1"
        assert defect.reporter.badge_code == "E1001"
        assert defect.reported_at == clock.now()
        assert defect.due_at == clock.now() + timedelta(hours=48)
        assert defect.terminal == "K1"
        assert [e.to_status for e in DefectEvent.select().where(DefectEvent.defect == defect)] == [
            "reported"
        ]
        result = InspectionResult.get(InspectionResult.item == item)
        assert str(result.defect_id) == receipt.id

    clock.advance(timedelta(minutes=5))
    again = inspections.raise_defect_from_failure(
        Caller.of(leader, clock), view.id, "SO-01", "L1-S05"
    )
    assert again == receipt
    shown = inspections.inspection_view(view.id).item("SO-01")
    assert shown.defect_short_id == receipt.short_id and shown.outcome == "fail"
    for outcome in ("pass", "n/a"):  # a failure with a defect never flips, even when asked
        with pytest.raises(ValidationFailed) as caught:
            inspections.record_result(
                Caller.of(leader, clock), view.id, "SO-01", outcome, change=True
            )
        assert "SO-01 stays FAIL: defect" in caught.value.message
    assert inspections.inspection_view(view.id).item("SO-01").note == note

    with pytest.raises(ValidationFailed) as caught:
        inspections.raise_defect_from_failure(Caller.of(leader, clock), view.id, "SO-02", "L1-S01")
    assert "SO-02 is not marked failed" in caught.value.message
    inspections.record_result(Caller.of(leader, clock), view.id, "SO-03", "fail", "No record")
    with pytest.raises(ValidationFailed) as caught:
        inspections.raise_defect_from_failure(Caller.of(leader, clock), view.id, "SO-03", "L2-S01")
    assert "Station L2-S01 is not on line L1" in caught.value.message
    with db.connection():
        assert Defect.select().count() == defects_before + 1


def test_complete_refuses_missing_items_and_the_board_list(leader, clock):
    assert [line.code for line in inspections.lines_missing_inspection(Caller.system(clock))] == [
        "L1",
        "L2",
        "L3",
    ]
    view = inspections.start_inspection(Caller.of(leader, clock), "L1")
    codes = [item.code for item in view.items]
    for code in codes[:-2]:
        inspections.record_result(Caller.of(leader, clock), view.id, code, "pass", "")
    with pytest.raises(ValidationFailed) as caught:
        inspections.complete_inspection(Caller.of(leader, clock), view.id)
    assert caught.value.message == (
        "2 of 13 items are not checked yet: SO-03, SO-04. Check them, then complete."
    )
    lines = {line.code: line for line in inspections.lines_for_inspection(Caller.system(clock))}
    assert (lines["L1"].status, lines["L1"].checked, lines["L1"].total) == ("in progress", 11, 13)
    assert lines["L2"].status == "not inspected"

    inspections.record_result(Caller.of(leader, clock), view.id, "SO-03", "n/a", "")
    inspections.record_result(
        Caller.of(leader, clock), view.id, "SO-04", "fail", "No log since 10:00"
    )
    clock.advance(timedelta(minutes=30))
    done = inspections.complete_inspection(Caller.of(leader, clock, "K1"), view.id)
    assert done.completed_at == clock.now()
    assert (done.count("pass"), done.count("fail"), done.count("n/a")) == (11, 1, 1)
    assert inspections.complete_inspection(Caller.of(leader, clock), view.id) == done  # idempotent
    with pytest.raises(ValidationFailed) as caught:
        inspections.record_result(Caller.of(leader, clock), view.id, "SO-04", "pass", "")
    assert "was completed" in caught.value.message

    missing = inspections.lines_missing_inspection(Caller.system(clock))
    assert [line.code for line in missing] == ["L2", "L3"]
    with db.connection():
        inspection = Inspection.get_by_id(view.id)
        assert inspection.completed_at == clock.now()
        assert (
            InspectionResult.select().where(InspectionResult.inspection == inspection).count() == 13
        )
        assert (
            AuditEntry.get(AuditEntry.action == "complete_inspection").target == "line L1 2025-W37"
        )

    clock.advance(timedelta(days=7))  # a new week: every line is due again
    assert [line.code for line in inspections.lines_missing_inspection(Caller.system(clock))] == [
        "L1",
        "L2",
        "L3",
    ]


def test_two_kiosks_at_once_share_one_inspection_and_one_defect(leader, clock):
    from concurrent.futures import ThreadPoolExecutor

    other = identify_badge("E4003")  # a team leader of the quality team
    with ThreadPoolExecutor(max_workers=4) as pool:
        views = list(
            pool.map(
                lambda person: inspections.start_inspection(Caller.of(person, clock), "L2"),
                [leader, other, leader, other],
            )
        )
    assert len({view.id for view in views}) == 1
    inspection_id = views[0].id
    inspections.record_result(
        Caller.of(leader, clock), inspection_id, "5S-06", "fail", "Guard open"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        receipts = list(
            pool.map(
                lambda station: inspections.raise_defect_from_failure(
                    Caller.of(leader, clock), inspection_id, "5S-06", station
                ),
                ["L2-S01", "L2-S02", "L2-S03", "L2-S04"],
            )
        )
    assert len({receipt.id for receipt in receipts}) == 1
    with db.connection():
        assert Inspection.select().count() == 1
        assert Defect.select().where(Defect.description.contains("5S-06")).count() == 1
