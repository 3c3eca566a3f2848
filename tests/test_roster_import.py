"""`kiosk import roster`: HR's roster (CSV or XLSX) upserted by badge; leavers deactivated
with --deactivate-missing; all or nothing with line numbers; encodings and Excel numbers."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import language
from kiosk.progress import TextProgress
from kiosk.services.plant.plant_import import import_plant
from kiosk.services.plant.roster import import_roster, write_template
from kiosk.services.platform import auth
from kiosk.services.platform.uow import transaction
from models import AuditEntry, Employee, Team
from tests.helpers.terminal import FakeTerminal

DATA = Path(__file__).resolve().parent.parent / "kiosk" / "data"
SAMPLE_PLANT = DATA / "sample-plant.toml"
SAMPLE_ROSTER = DATA / "sample-roster.csv"
HEADER = "badge,name,department,team,role\n"
SMALL = HEADER + (
    "E0301,孙红兵,Quality,QC,quality_admin\n"
    "E0101,王建国,Manufacturing,A1,Team leader\n"
    "E0102,李娜,MFG,A1,operator\n"
    "E0103,Zhang Wei,Manufacturing,A1,operator\n"
)


@pytest.fixture
def sample_plant(database) -> str:
    import_plant(Caller.system(), [SAMPLE_PLANT])
    return database


def write(tmp_path: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding)
    return path


def people() -> dict[str, tuple]:
    return {
        e.badge_code: (e.name, e.department, e.team.code if e.team else None, e.role, e.active)
        for e in Employee.select()
    }


def test_the_sample_roster_imports_and_again_changes_nothing(sample_plant):
    first = import_roster(Caller.system(), SAMPLE_ROSTER, who="hr")
    assert (first.rows, first.added, first.changed, first.deactivated) == (20, 20, 0, 0)
    stored = people()
    assert stored["E0101"] == ("王建国", "Manufacturing", "A1", "team_leader", True)
    assert stored["E0301"] == ("孙红兵", "Quality", "QC", "quality_admin", True)
    assert {p.badge for p in first.needs_enrolment} == {
        "E0101",
        "E0201",
        "E0301",
        "E0302",
        "E0303",
        "E0401",
    }
    again = import_roster(Caller.system(), SAMPLE_ROSTER, who="hr")
    assert (again.added, again.changed, again.deactivated, again.unchanged) == (0, 0, 0, 20)
    assert again.changes == ()
    assert "0 added, 0 changed, 0 deactivated, 20 unchanged" in again.summary()
    assert people() == stored
    audit = list(AuditEntry.select().where(AuditEntry.action == "import_roster"))
    assert [a.actor_id for a in audit] == [None, None]
    assert audit[0].target == "sample-roster.csv"
    assert "20 added" in audit[0].detail and "run by OS user hr" in audit[0].detail

    # an imported operator signs in with the badge alone
    assert auth.sign_in(Caller.of(None), "e0102").name == "李娜"


def test_moves_and_leavers(sample_plant, tmp_path):
    import_roster(Caller.system(), SAMPLE_ROSTER)
    moved = (
        SAMPLE_ROSTER.read_text(encoding="utf-8")
        .replace("E0102,李娜,Manufacturing,A1,operator", "E0102,李娜,Quality,QC,team_leader")
        .replace("E0103,张伟,Manufacturing,A1,operator\n", "")
        .replace("E0104,刘洋", "E0104,刘洋洋")
        + "E0601,新人,Purchasing,A2,operator\n"
    )
    path = write(tmp_path, "roster.csv", moved)
    kept = import_roster(Caller.system(), path)
    assert (kept.added, kept.changed, kept.deactivated) == (1, 2, 0)
    assert (
        "~ E0102 李娜: department Manufacturing -> Quality, team A1 -> QC, role operator -> "
        "team_leader" in kept.changes
    )
    assert "E0102" in {p.badge for p in kept.needs_enrolment}  # promoted: no PIN yet
    assert people()["E0103"][-1] is True  # not in the file, left alone without the flag

    dry = import_roster(Caller.system(), path, deactivate_missing=True, dry_run=True)
    assert dry.changes == ("- E0103 张伟 deactivated",)
    assert people()["E0103"][-1] is True
    left = import_roster(Caller.system(), path, deactivate_missing=True)
    assert (left.added, left.changed, left.deactivated, left.unchanged) == (0, 0, 1, 20)
    assert people()["E0103"] == ("张伟", "Manufacturing", "A1", "operator", False)
    with pytest.raises(NotFound) as refused:
        auth.sign_in(Caller.of(None), "E0103")
    message = refused.value.message
    assert "E0103" in message and "inactive" in message
    assert not any(name in message for name, *_rest in people().values())  # names nobody
    # back on the roster: active again
    back = import_roster(Caller.system(), SAMPLE_ROSTER)
    assert "~ E0103 张伟: active again" in back.changes


def test_a_dry_run_writes_nothing(sample_plant):
    result = import_roster(Caller.system(), SAMPLE_ROSTER, dry_run=True)
    assert result.dry_run and result.added == 20
    assert people() == {}
    assert not AuditEntry.select().where(AuditEntry.action == "import_roster").exists()


BAD_ROSTERS = {
    "unknown role": ("E0201,黄强,Manufacturing,A2,boss\n", "line 6: unknown role boss"),
    "unknown team": ("E0201,黄强,Manufacturing,Z9,operator\n", "line 6: unknown team Z9"),
    "unknown department": ("E0201,黄强,Sales,A2,operator\n", "line 6: unknown department Sales"),
    "doubled badge": (
        "e0101,Someone,Manufacturing,A2,operator\n",
        "line 6: badge E0101 is also on line 3",
    ),
    "empty name": ("E0201,,Manufacturing,A2,operator\n", "line 6: name is empty"),
    "badge a scanner cannot type": (
        "E 0201,黄强,Manufacturing,A2,operator\n",
        "line 6: badge E 0201 cannot go on a label",
    ),
    "no team for an operator": (
        "E0201,黄强,Manufacturing,,operator\n",
        "line 6: team is empty",
    ),
    "too many cells": (
        "E0201,黄强,Manufacturing,A2,operator,x\n",
        "line 6: 6 cells, the header has 5",
    ),
}


def test_bad_rosters_are_refused_with_their_line_and_nothing_is_imported(sample_plant, tmp_path):
    import_roster(Caller.system(), write(tmp_path, "first.csv", SMALL))
    before = people()
    for case, (row, expected) in BAD_ROSTERS.items():
        with pytest.raises(ValidationFailed) as refused:
            import_roster(Caller.system(), write(tmp_path, "bad.csv", SMALL + row))
        assert expected in refused.value.message, case
        assert people() == before, case
    with language("zh_CN"), pytest.raises(ValidationFailed) as refused:
        import_roster(
            Caller.system(), write(tmp_path, "bad.csv", SMALL + BAD_ROSTERS["unknown role"][0])
        )
    assert "第 6 行：未知角色 boss" in refused.value.message
    # the last quality admin is neither demoted nor deactivated
    demoted = SMALL.replace("孙红兵,Quality,QC,quality_admin", "孙红兵,Quality,QC,supervisor")
    with pytest.raises(ValidationFailed) as refused:
        import_roster(Caller.system(), write(tmp_path, "bad.csv", demoted))
    assert "line 2: this file would leave no active quality admin: E0301" in refused.value.message
    without = SMALL.replace("E0301,孙红兵,Quality,QC,quality_admin\n", "")
    import_roster(
        Caller.system(), write(tmp_path, "ok.csv", without)
    )  # without the flag: the admin stays
    with pytest.raises(ValidationFailed, match=r"the last active quality admin \(E0301\)"):
        import_roster(Caller.system(), write(tmp_path, "bad.csv", without), deactivate_missing=True)
    assert people() == before
    # a header without a role column
    with pytest.raises(
        ValidationFailed, match="line 1 \\(the header\\): missing column\\(s\\) role"
    ):
        import_roster(
            Caller.system(), write(tmp_path, "bad.csv", "badge,name,department,team\nE1,A,QA,QC\n")
        )
    # a contest team is not a line team
    with transaction():
        Team.create(code="C1", name="Contest", kind="contest")
    with pytest.raises(ValidationFailed, match="line 6: C1 is a contest team"):
        import_roster(
            Caller.system(),
            write(tmp_path, "bad.csv", SMALL + "E0201,黄强,Manufacturing,C1,operator\n"),
        )
    assert not AuditEntry.select().where(AuditEntry.target == "bad.csv").exists()


def test_encodings_header_synonyms_and_titles(sample_plant, tmp_path):
    hr_export = (
        "工号,姓名,部门,班组,角色,入职日期,Notes\n"
        "E0101,王建国,Manufacturing,A1,班组长,2020-01-02,x\n"
        "E0102,李娜,Manufacturing,Assembly team 1,Operator,2021-03-04,\n"
    )
    result = import_roster(Caller.system(), write(tmp_path, "gbk.csv", hr_export, encoding="gbk"))
    assert result.added == 2
    assert people()["E0101"] == ("王建国", "Manufacturing", "A1", "team_leader", True)
    assert people()["E0102"][2] == "A1"  # the team by its name
    bom = "\ufeffBadge Code;Full Name;Dept;Team;Role\nE0103;张伟;Manufacturing;A1;operator\n"
    assert import_roster(Caller.system(), write(tmp_path, "bom.csv", bom)).added == 1
    mixed = (
        b"badge,name,department,team,role\n"
        + "E0104,刘洋,MFG,A1,operator\n".encode()
        + "E0105,陈静,MFG,A1,operator\n".encode("gbk")
    )
    with pytest.raises(ValidationFailed, match="mixes encodings: line 2 is UTF-8, line 3 is not"):
        import_roster(Caller.system(), write(tmp_path, "mixed.csv", mixed))
    titled = "2025年员工花名册,,,,\n,,,,\n" + HEADER + "E0106,Zhao Lei,MFG,A1,operator\n"
    assert (
        import_roster(Caller.system(), write(tmp_path, "titled.csv", titled)).added == 1
    )  # title rows skipped
    with pytest.raises(ValidationFailed, match="holds no people: only a header"):
        import_roster(
            Caller.system(), write(tmp_path, "empty.csv", HEADER), deactivate_missing=True
        )
    with pytest.raises(ValidationFailed, match="give a .csv or .xlsx file"):
        import_roster(Caller.system(), write(tmp_path, "roster.json", "[]"))


def _workbook(rows: list[list[object]]) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roster"
    sheet.append(["Employee No.", "Name", "Department", "Team", "Role"])
    for row in rows:
        sheet.append(row)
    return workbook


def test_xlsx_numbers_stay_as_the_cells_show_and_formulas_are_refused(sample_plant, tmp_path):
    from datetime import datetime

    workbook = _workbook(
        [
            [1234, "王建国", "Manufacturing", "A1", "operator"],
            [98765, "李娜", "Manufacturing", "A1", "operator"],
            ["001236", "张伟", "Manufacturing", "A1", "operator"],
        ]
    )
    sheet = workbook["Roster"]
    sheet["A2"].number_format = "000000"  # Excel shows 001234
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    assert import_roster(Caller.system(), path).added == 3
    assert {"001234", "98765", "001236"} <= set(people())

    sheet.append(["E0201", "=B2", "Manufacturing", "A2", "operator"])
    sheet.append([datetime(2025, 1, 2), "黄强", "Manufacturing", "A2", "operator"])
    workbook.save(path)
    with pytest.raises(ValidationFailed) as refused:
        import_roster(Caller.system(), path)
    message = refused.value.message
    assert "sheet Roster, row 5: cell B5 holds a formula (=B2)" in message
    assert "sheet Roster, row 6: cell A6 holds a date (2025-01-02)" in message
    assert len(people()) == 3


def test_a_300_person_xlsx_and_a_3000_row_csv(sample_plant, tmp_path):
    teams = ["A1", "A2", "QC"]
    rows = [["E0301", "孙红兵", "Quality", "QC", "quality_admin"]]
    rows += [
        [f"{n:06d}", f"员工{n}", "Manufacturing", teams[n % 3], "operator"] for n in range(1, 300)
    ]
    workbook = _workbook(rows)
    for cell in workbook["Roster"]["A"][1:]:
        cell.number_format = "@"
    path = tmp_path / "roster-300.xlsx"
    workbook.save(path)
    assert import_roster(Caller.system(), path).added == 300
    assert people()["000007"] == ("员工7", "Manufacturing", "A2", "operator", True)

    big = io.StringIO()
    big.write(HEADER + "E0301,孙红兵,Quality,QC,quality_admin\n")
    for n in range(1, 3000):
        role = "team_leader" if n % 100 == 0 else "operator"
        big.write(f"B{n:05d},员工{n},Manufacturing,{teams[n % 3]},{role}\n")
    path = write(tmp_path, "roster-3000.csv", big.getvalue())
    drawn = FakeTerminal()
    result = import_roster(
        Caller.system(), path, deactivate_missing=True, progress=TextProgress(drawn)
    )
    assert (result.rows, result.added, result.deactivated) == (3000, 2999, 299)
    assert len(result.needs_enrolment) == 29 + 1  # the leaders, and the admin without a PIN
    assert "writing      [##############################] 100% 3,298/3,298" in drawn.getvalue()
    assert Employee.select().where(Employee.active).count() == 3000
    again = import_roster(Caller.system(), path, deactivate_missing=True)
    assert (again.added, again.changed, again.deactivated, again.unchanged) == (0, 0, 0, 3000)


def test_the_cli_and_the_templates(sample_plant, tmp_path, capsys):
    good = write(tmp_path, "roster.csv", SMALL)
    assert main(["import", "roster", str(good), "--dry-run", "--db", sample_plant]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing written" in out and "+ E0102 李娜 (Manufacturing, A1, Operator)" in out
    assert main(["import", "roster", str(good), "--db", sample_plant]) == 0
    out = capsys.readouterr().out
    assert "4 added, 0 changed, 0 deactivated, 0 unchanged" in out
    assert "E0101  王建国  (Team leader)" in out  # needs an enrolment code
    bad = write(tmp_path, "bad.csv", SMALL + BAD_ROSTERS["unknown role"][0])
    assert main(["import", "roster", str(bad), "--db", sample_plant]) == 2
    err = capsys.readouterr().err
    assert "nothing imported from" in err and "  line 6: unknown role boss" in err

    for name in ("template.csv", "template.xlsx"):
        assert main(["import", "roster", "--template", str(tmp_path / name)]) == 0
        result = import_roster(Caller.system(), write_template(tmp_path / name), dry_run=True)
        assert result.added == 2  # its example rows fit the sample plant
    assert (tmp_path / "template.csv").read_bytes().startswith(b"\xef\xbb\xbfbadge,name")
    sample = tmp_path / "roster.csv"
    assert main(["import", "roster", "--sample", str(sample)]) == 0
    assert sample.read_bytes() == SAMPLE_ROSTER.read_bytes()


def test_devices_and_large_files_are_refused(sample_plant, tmp_path):
    with pytest.raises(ValidationFailed, match="is not a regular file"):
        import_roster(Caller.system(), _device(tmp_path))
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    with pytest.raises(ValidationFailed, match="is not a regular file"):
        import_roster(Caller.system(), fifo)
    big = tmp_path / "big.xlsx"
    with big.open("wb") as stream:
        stream.truncate(50_000_000)
    with pytest.raises(ValidationFailed, match="more than 20,000,000"):
        import_roster(Caller.system(), big)


def _device(tmp_path: Path) -> Path:
    """/dev/zero under a .csv name (a symlink), as a person might give it."""
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    return link
