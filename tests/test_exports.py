"""Exports as people open them: performance, ledger, defects and inspections in CSV and XLSX
(local times), and the typical-case handbook in Markdown and PDF (Chinese text included)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.clock import FrozenClock
from kiosk.errors import ValidationFailed
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.lines import inspections
from kiosk.services.platform import auth, ledger
from kiosk.services.reports import exports, handbook
from models import Employee, Inspection, LedgerEntry, Team, db


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


@pytest.fixture
def china_time(monkeypatch):
    """The terminal's local time is UTC+8 (as in the plant), whatever this machine says."""
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def award(badge: str | None, team: str, amount: int, cause: str, at: datetime, key: str) -> None:
    with db.connection():
        team_id = Team.get(Team.code == team).id
        employee_id = Employee.get(Employee.badge_code == badge).id if badge else None
    ledger.award(
        ledger.Award(team_id, amount, f"test {key}", cause, key, key, employee_id),
        clock=FrozenClock(at),
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def september(demo_plant, china_time):
    """Ledger rows around the edges of September in local time (UTC+8)."""
    award("E1003", "T1", 2, "defect", utc(2025, 8, 31, 17, 0), "k1")  # 09-01 01:00 local
    award("E1003", "T1", -2, "contest", utc(2025, 9, 15, 3, 0), "k2")
    award("E1003", "T1", 2, "contest", utc(2025, 9, 15, 3, 1), "k3")
    award("E1003", "T1", 4, "proposal", utc(2025, 9, 20, 6, 0), "k4")
    award("E1003", "T1", 3, "skill", utc(2025, 9, 21, 6, 0), "k5")
    award("E1003", "T1", 1, "defect", utc(2025, 9, 30, 16, 30), "k6")  # 10-01 00:30 local
    award("E1003", "T1", 2, "defect", utc(2025, 8, 31, 15, 59), "k7")  # 08-31 23:59 local
    award("E9001", "T1", 1, "defect", utc(2025, 9, 12, 1, 0), "k8")  # inactive employee
    award(None, "T1", -2, "defect", utc(2025, 9, 12, 1, 0), "k9")  # a team's row: nobody's
    return demo_plant


def by_badge(table: exports.Table) -> dict[str, dict]:
    return {str(row["badge"]): row for row in exports.rows_of(table)}


def test_performance_export_sums_each_persons_month_by_local_date(september, tmp_path):
    table = exports.performance_table("2025-09")
    assert table.headers[:8] == (
        "badge",
        "name",
        "department",
        "team",
        "points",
        "defect",
        "contest",
        "proposal",
    )
    assert "skill" in table.headers
    rows = by_badge(table)
    wang = rows["E1003"]
    assert (wang["name"], wang["department"], wang["team"]) == (
        "Wang Fang",
        "Manufacturing",
        "Line 1 Team (AC chargers)",
    )
    assert (wang["points"], wang["defect"], wang["contest"], wang["proposal"], wang["skill"]) == (
        9,
        2,
        0,
        4,
        3,
    )
    assert rows["E9001"]["points"] == 1  # inactive, but earned points this month
    assert rows["E1002"]["proposal"] == 5  # the demo's accepted proposal
    with db.connection():
        active = Employee.select().where(Employee.active).count()
        start, end = exports.parse_month("2025-09").bounds()
        attributed = sum(
            e.amount
            for e in LedgerEntry.select().where(LedgerEntry.employee.is_null(False))
            if start <= e.created_at < end
        )
    assert len(table.rows) == active + 1
    assert sum(int(r["points"]) for r in rows.values()) == attributed
    for row in rows.values():
        assert row["points"] == sum(row[cause] for cause in table.headers[5:])
    assert by_badge(exports.performance_table("2025-10"))["E1003"]["points"] == 1
    assert by_badge(exports.performance_table("2025-08"))["E1003"]["points"] == 2

    csv_path = tmp_path / "performance.csv"
    assert exports.save(table, csv_path, "csv") == len(table.rows)
    with open(csv_path, encoding="utf-8-sig", newline="") as stream:
        read = {row["badge"]: row for row in csv.DictReader(stream)}
    assert (read["E1003"]["points"], read["E1003"]["skill"], read["E1003"]["name"]) == (
        "9",
        "3",
        "Wang Fang",
    )
    assert len(read) == len(table.rows)


def test_performance_xlsx_from_the_command_line_and_a_bad_month(september, tmp_path, capsys):
    path = tmp_path / "september.xlsx"
    status = main(
        ["export", "performance", "--month", "2025-09", "-o", str(path), "--db", september]
    )
    assert status == 0
    assert f"written to {path} (XLSX)" in capsys.readouterr().out
    sheet = openpyxl.load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["badge", "name", "department", "team", "points"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    rows = {
        row[0]: dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert (rows["E1003"]["points"], rows["E1003"]["contest"], rows["E1003"]["skill"]) == (9, 0, 3)
    assert rows["E9001"]["points"] == 1

    for month in ("2025-13", "Sept", "", "2025-09-01"):
        with pytest.raises(ValidationFailed, match="YYYY-MM"):
            exports.parse_month(month)
    assert main(["export", "performance", "--month", "2025/09", "--db", september]) == 2
    assert "Give the month as YYYY-MM" in capsys.readouterr().err


def test_ledger_export_holds_every_row_with_local_times(september, tmp_path):
    everything = exports.ledger_table()
    with db.connection():
        assert len(everything.rows) == LedgerEntry.select().count()
    table = exports.ledger_table("2025-09")
    keys = table.column("cause id")
    assert {"k1", "k2", "k8", "k9"} <= set(keys) and not {"k6", "k7"} & set(keys)
    first = dict(zip(table.headers, table.rows[keys.index("k1")], strict=True))
    assert first["time (local)"] == datetime(2025, 9, 1, 1, 0)
    assert (first["badge"], first["name"], first["points"], first["team code"]) == (
        "E1003",
        "Wang Fang",
        2,
        "T1",
    )
    exports.save(table, tmp_path / "ledger.csv", "csv")
    with open(tmp_path / "ledger.csv", encoding="utf-8-sig", newline="") as stream:
        read = {row["cause id"]: row for row in csv.DictReader(stream)}
    assert read["k1"]["time (local)"] == "2025-09-01 01:00"
    assert read["k2"]["points"] == "-2"  # a number, not an escaped formula
    assert read["k9"]["badge"] == ""
    exports.save(table, tmp_path / "ledger.xlsx", "xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "ledger.xlsx").active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == len(table.rows)
    k1 = next(r for r in rows if r["cause id"] == "k1")
    assert (k1["time (local)"], k1["points"]) == (datetime(2025, 9, 1, 1, 0), 2)


def test_defects_export_opens_with_local_times_and_never_runs_text_as_a_formula(
    demo_plant, china_time, clock, tmp_path
):
    draft = DefectDraft("L2-S01", "method", "minor", "inspection", '=HYPERLINK("x","click")')
    receipt = report_defect(Caller.of(person("E2002"), clock), draft)
    table = exports.defects_table("2025-09")
    ids = table.column("defect")
    assert receipt.id in ids and len(ids) == 7  # the demo's six and this one
    assert exports.defects_table("2025-08").rows == ()
    row = dict(zip(table.headers, table.rows[ids.index(receipt.id)], strict=True))
    assert row["reported (local)"] == datetime(2025, 9, 10, 16, 0)  # 08:00 UTC
    assert row["due (local)"] == datetime(2025, 9, 12, 16, 0)
    assert (row["station"], row["team"], row["reported by"]) == (
        "L2-S01",
        "Line 2 Team (DC fast chargers)",
        "Zhou Xiu",
    )
    exports.save(table, tmp_path / "defects.csv", "csv")
    with open(tmp_path / "defects.csv", encoding="utf-8-sig", newline="") as stream:
        read = {r["defect"]: r for r in csv.DictReader(stream)}
    assert read[receipt.id]["description"] == "'" + '=HYPERLINK("x","click")'
    assert read[receipt.id]["reported (local)"] == "2025-09-10 16:00"
    exports.save(table, tmp_path / "defects.xlsx", "xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "defects.xlsx").active
    header = [cell.value for cell in sheet[1]]
    column = header.index("description") + 1
    cell = next(
        sheet.cell(row=r, column=column)
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value == receipt.id
    )
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x","click")', "s")


def test_inspections_export_has_one_row_per_result(demo_plant, china_time, clock, tmp_path):
    leader = person("E1001")
    view = inspections.start_inspection(Caller.of(leader, clock), "L1")
    first, second = view.items[0].code, view.items[1].code
    inspections.record_result(Caller.of(leader, clock), view.id, first, "pass")
    clock.advance(timedelta(minutes=5))
    inspections.record_result(Caller.of(leader, clock), view.id, second, "fail", "Oil on the floor")
    table = exports.inspections_table("2025-09")
    rows = [dict(zip(table.headers, r, strict=True)) for r in table.rows]
    assert [(r["item"], r["outcome"], r["note"]) for r in rows] == [
        (first, "pass", ""),
        (second, "fail", "Oil on the floor"),
    ]
    assert rows[1]["recorded (local)"] == datetime(2025, 9, 10, 16, 5)
    assert (rows[0]["line"], rows[0]["inspector"], rows[0]["week"]) == (
        "L1",
        "Zhang Wei",
        "2025-W37",
    )
    assert exports.save(table, tmp_path / "inspections.xlsx", "xlsx") == 2
    with db.connection():
        assert Inspection.select().count() == 1


# -- the typical-case handbook ----------------------------------------------------------


def typical_case(clock, station, reporter, fixer, leader, factor, cause, action, description):
    draft = DefectDraft(station, "machine", "major", "inspection", description)
    defect_id = report_defect(Caller.of(person(reporter), clock), draft).id
    clock.advance(timedelta(hours=3))
    lifecycle.mark_fixed(Caller.of(person(fixer), clock), defect_id)
    clock.advance(timedelta(hours=1))
    lifecycle.verify(Caller.of(person(leader), clock), defect_id)
    lifecycle.close(
        Caller.of(person(leader), clock), defect_id, lifecycle.RootCause(factor, cause, action)
    )
    return defect_id


@pytest.fixture
def typical_cases(demo_plant, clock):
    soldering = typical_case(
        clock,
        "L3-S05",
        "E3002",
        "E3004",
        "E2001",  # a leader from outside the responsible team verifies
        "machine",
        "焊接温度不足: soldering iron tip at 290 °C instead of 350 °C",
        "Tip temperature measured with a tip thermometer at every shift start",
        "CP信号连接器虚焊, cold joints on the CP signal connector",
    )
    crimping = typical_case(
        clock,
        "L1-S01",
        "E1003",
        "E1004",
        "E3001",
        "method",
        "Crimp die changed without a first article check",
        "First article crimp height check after every die change, on the *changeover* sheet",
        "Crimp height out of tolerance after a die change",
    )
    ordinary = typical_case(
        clock, "L1-S02", "E1003", "E1004", "E3001", "man", "Ordinary slip", "Retrained", "Scratch"
    )
    supervisor = person("E4002")
    for defect_id in (soldering, crimping):
        lifecycle.mark_typical(Caller.of(supervisor, clock), defect_id)
    return {"soldering": soldering, "crimping": crimping, "ordinary": ordinary}


def test_handbook_markdown_has_one_section_per_typical_case(typical_cases, database, tmp_path):
    markdown = tmp_path / "handbook.md"
    assert main(["export", "handbook", "-o", str(markdown), "--db", database]) == 0
    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Handbook for Preventing Recurrence of Typical Quality Issues\n")
    assert "**2025 Quality Month: Strive for Zero Defects, Fully Build Reliability**" in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Case 1: L1-S01 Cable harness crimping",
        "## Case 2: L3-S05 Hand soldering",
    ]
    assert text.count("### What to check to prevent recurrence") == 2
    assert "Ordinary slip" not in text
    assert "### Root cause (5M1E: Machine)" in text and "### Root cause (5M1E: Method)" in text
    assert "焊接温度不足: soldering iron tip at 290 °C" in text
    assert "on the \\*changeover\\* sheet" in text  # user text is escaped, not emphasis
    assert "Verified by Huang Qiang on" in text and "corrected by Gao Yan" in text
    assert "- [ ] The work instruction at L1-S01 (Cable harness crimping)" in text
    assert "- [ ] Every gauge" not in text  # measurement checks belong to another factor
    assert "- [ ] The corrective action is still in place and followed: Tip temperature" in text


def squashed_pdf_text(path: Path) -> tuple[int, str]:
    """(pages, the text without any whitespace) as poppler's pdftotext reads it.

    pypdf mis-decodes CFF-based CID fonts such as Noto Sans CJK (codes above 255
    come out as wrong characters), so the PDF is read back with pdftotext.
    """
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: apt-get install -y poppler-utils (.ci/run does)"
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    ).stdout
    return text.count("\f"), "".join(text.split())


@pytest.mark.env  # pdftotext
def test_handbook_pdf_shows_each_station_and_root_cause_in_chinese_too(
    typical_cases, database, clock, tmp_path, capsys
):
    path = tmp_path / "out" / "handbook.pdf"
    path.parent.mkdir()
    assert main(["export", "handbook", "-o", str(path), "--db", database]) == 0
    out = capsys.readouterr().out
    assert "PDF handbook with 2 typical cases" in out and "font: Noto Sans CJK SC" in out
    pages, text = squashed_pdf_text(path)
    assert pages == 3  # a title page and one page per case
    for expected in (
        "HandbookforPreventingRecurrenceofTypicalQualityIssues",
        "2025QualityMonth",
        "L1-S01",
        "L3-S05",
        "焊接温度不足",
        "CP信号连接器虚焊",
        "Crimpdiechangedwithoutafirstarticlecheck",
        "Whattochecktopreventrecurrence",
        "VerifiedbyHuJun",
    ):
        assert expected in text, expected
    assert "Ordinaryslip" not in text

    # without a font that holds the Chinese root causes, nothing is written (no boxes)
    from kiosk.services.reports import fonts

    latin = tmp_path / "latin.pdf"
    content = handbook.compile_handbook(Caller.system(clock))
    with pytest.raises(fonts.NoFontForText) as refused:
        handbook.render_pdf(content, latin, font_dirs=(str(tmp_path / "no-fonts"),))
    assert "every character of the handbook (missing: " in refused.value.message
    assert "焊" in refused.value.message and not latin.exists()
    # Droid Sans Fallback (no Latin letters) is passed over for the Latin text
    droid_only = ("/usr/share/fonts/truetype/droid", "/usr/share/fonts/truetype/dejavu")
    latin_only = handbook.Handbook(content.title, content.campaign_name, content.generated_at, ())
    result = handbook.render_pdf(latin_only, latin, font_dirs=droid_only)
    assert result.font == "DejaVu Sans" and not result.cjk
    _pages, text = squashed_pdf_text(latin)
    assert "2025QualityMonth" in text


def test_line_evaluations_export_from_the_command_line(demo_plant, clock, tmp_path):
    import openpyxl

    from kiosk.cli import main
    from kiosk.services.lines import lines
    from kiosk.services.platform import auth

    leader, supervisor = auth.identify_badge("E1001"), auth.identify_badge("E4002")
    lines.record_production(Caller.of(leader, clock), "L2", "2025-09-08", 1000, 990)
    for code in ("L1", "L3"):  # every line has counts: a missing FPY is not 0 %
        lines.record_production(Caller.of(leader, clock), code, "2025-09-08", 100, 90)
    lines.evaluate_lines(
        Caller.of(supervisor, clock),
        "2025-09-01",
        "2025-09-09",
        {"L1": (80, 80), "L2": (90, 90), "L3": (80, 80)},
    )
    target = tmp_path / "evaluations.xlsx"
    assert main(["export", "evaluations", "--db", demo_plant, "-o", str(target)]) == 0
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5:] == (
        "line",
        "line name",
        "5S/7S",
        "standardized operations",
        "first-pass yield %",
        "total",
        "rank",
        "Mobile Flag",
    )
    by_line = {row[5]: row for row in rows[1:]}
    assert set(by_line) == {"L1", "L2", "L3"}
    assert by_line["L2"][9:] == (99.0, 92.7, 1, "yes")
    assert by_line["L1"][11] == by_line["L3"][11] == 2  # tied totals share the rank
    assert not by_line["L1"][12] and not by_line["L3"][12]  # an empty cell: not the holder
