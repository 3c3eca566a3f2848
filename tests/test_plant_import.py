"""`kiosk import plant`: departments, line teams, lines, stations and suppliers from a
TOML file, an XLSX workbook or CSV files; upsert by code, all or nothing, audited."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.errors import ValidationFailed
from kiosk.services.plant import plant_import
from kiosk.services.plant.plant_import import import_plant, write_template
from kiosk.services.platform.uow import transaction
from models import AuditEntry, Department, Employee, ProductionLine, Station, Supplier, Team

DATA = Path(__file__).resolve().parent.parent / "kiosk" / "data"
SAMPLE_PLANT = DATA / "sample-plant.toml"

SMALL = """\
[[departments]]
code = "MFG"
name = "Manufacturing"

[[teams]]
code = "T1"
name = "Team one"

[[teams]]
code = "T2"
name = "Team two"

[[lines]]
code = "L1"
name = "Line one"
team = "T1"

[[stations]]
code = "L1-S01"
name = "First"
line = "L1"

[[stations]]
code = "L1-S02"
name = "Second"
line = "L1"
team = "T2"

[[suppliers]]
code = "SUP-1"
name = "Copper Co."
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def plant() -> dict[str, set[tuple]]:
    """Everything the plant import manages, as stored."""
    return {
        "departments": {(d.code, d.name, d.active) for d in Department.select()},
        "teams": {(t.code, t.name, t.kind, t.active) for t in Team.select()},
        "lines": {
            (line.code, line.name, line.team.code if line.team else None, line.active)
            for line in ProductionLine.select()
        },
        "stations": {
            (s.code, s.name, s.line.code, s.team.code if s.team else None, s.active)
            for s in Station.select()
        },
        "suppliers": {(s.code, s.name, s.active) for s in Supplier.select()},
    }


def counts(result) -> dict[str, tuple[int, int, int, int]]:
    return {kind: (c.added, c.changed, c.deactivated, c.unchanged) for kind, c in result.counts}


def test_the_sample_plant_imports_into_an_empty_database_and_again_changes_nothing(database):
    first = import_plant(Caller.system(), [SAMPLE_PLANT], who="qm")
    assert counts(first) == {
        "departments": (4, 0, 0, 0),
        "teams": (3, 0, 0, 0),
        "lines": (2, 0, 0, 0),
        "stations": (8, 0, 0, 0),
        "suppliers": (2, 0, 0, 0),
    }
    assert first.warnings == ()  # every team answers for a line or a station
    stored = plant()
    assert ("LA", "AC wallbox assembly", "A1", True) in stored["lines"]
    assert ("LA-S04", "Final inspection", "LA", "QC", True) in stored["stations"]
    assert ("LA-S01", "Enclosure and PCB fit", "LA", None, True) in stored["stations"]
    assert {t[2] for t in stored["teams"]} == {"line"}

    again = import_plant(Caller.system(), [SAMPLE_PLANT], who="qm")
    assert not again.changed_anything
    assert {c[:3] for c in counts(again).values()} == {(0, 0, 0)}
    assert plant() == stored
    audit = list(AuditEntry.select().where(AuditEntry.action == "import_plant"))
    assert len(audit) == 2  # one row per import
    assert audit[0].actor_id is None and audit[0].allowed
    assert audit[0].target == "sample-plant.toml"
    assert "stations 8 added" in audit[0].detail and "OS user qm" in audit[0].detail
    assert "stations 0 added, 0 changed, 0 deactivated, 8 unchanged" in audit[1].detail


def test_changes_are_updated_and_missing_things_kept_unless_deactivate_missing(database, tmp_path):
    import_plant(Caller.system(), [write(tmp_path, "plant.toml", SMALL)])
    with transaction():
        contest = Team.create(code="C1", name="Contest", kind="contest")
        Employee.create(badge_code="E1", name="Wang", department="Manufacturing", role="operator")
    changed = (
        SMALL.replace('name = "Manufacturing"', 'name = "Production"')
        .replace(
            'code = "L1-S02"\nname = "Second"\nline = "L1"\nteam = "T2"',
            'code = "L1-S02"\nname = "Second"\nline = "L1"',
        )
        .replace('name = "Line one"\nteam = "T1"', 'name = "Line one"\nteam = "T2"')
        .replace('[[suppliers]]\ncode = "SUP-1"\nname = "Copper Co."\n', "")
        .replace('[[stations]]\ncode = "L1-S01"\nname = "First"\nline = "L1"\n\n', "")
    )
    path = write(tmp_path, "plant2.toml", changed)
    result = import_plant(Caller.system(), [path])
    assert counts(result)["departments"] == (0, 1, 0, 0)
    assert counts(result)["lines"] == (0, 1, 0, 0)
    assert counts(result)["stations"] == (0, 1, 0, 0)
    assert "~ department MFG: name 'Manufacturing' -> 'Production'" in result.changes
    assert "~ line L1: team T1 -> T2" in result.changes
    assert "~ station L1-S02: team T2 -> (the line's)" in result.changes
    stored = plant()
    assert ("MFG", "Production", True) in stored["departments"]
    assert Employee.get(Employee.badge_code == "E1").department == "Production"  # renamed too
    assert ("L1-S01", "First", "L1", None, True) in stored["stations"]  # left alone
    assert ("L1-S02", "Second", "L1", None, True) in stored["stations"]
    assert ("SUP-1", "Copper Co.", True) in stored["suppliers"]

    dry = import_plant(Caller.system(), [path], deactivate_missing=True, dry_run=True)
    assert "- station L1-S01 'First' deactivated" in dry.changes
    assert plant() == stored  # a dry run writes nothing

    result = import_plant(Caller.system(), [path], deactivate_missing=True)
    assert counts(result)["stations"] == (0, 0, 1, 1)
    assert counts(result)["suppliers"] == (0, 0, 1, 0)
    assert counts(result)["teams"] == (0, 0, 0, 2)  # the contest team is not a line team
    assert counts(result)["departments"] == (0, 0, 0, 1)
    stored = plant()
    assert ("L1-S01", "First", "L1", None, False) in stored["stations"]  # never deleted
    assert ("SUP-1", "Copper Co.", False) in stored["suppliers"]
    assert Team.get_by_id(contest.id).active
    # the first file again: back to active
    back = import_plant(Caller.system(), [tmp_path / "plant.toml"])
    assert "~ station L1-S01: active again" in back.changes
    assert ("SUP-1", "Copper Co.", True) in plant()["suppliers"]


def test_deactivating_a_team_or_department_people_are_in_warns(database, tmp_path):
    import_plant(Caller.system(), [SAMPLE_PLANT])
    with transaction():
        team = Team.get(Team.code == "QC")
        Employee.create(badge_code="E1", name="Wang", department="Quality", team=team)
    result = import_plant(
        Caller.system(), [write(tmp_path, "plant.toml", SMALL)], deactivate_missing=True
    )
    assert counts(result)["departments"] == (0, 0, 3, 1)
    assert "team QC is deactivated but 1 active people are on it: import the roster next" in (
        result.warnings
    )
    assert (
        "department QA is deactivated but 1 active people are in it: import the roster next"
        in result.warnings
    )


def test_a_dry_run_reports_and_writes_nothing(database, tmp_path):
    result = import_plant(Caller.system(), [SAMPLE_PLANT], dry_run=True)
    assert result.dry_run and counts(result)["stations"] == (8, 0, 0, 0)
    assert "+ station LB-S04 'Final inspection' on line LB, team QC" in result.changes
    assert plant() == {k: set() for k in plant_import.KINDS}
    assert not AuditEntry.select().where(AuditEntry.action == "import_plant").exists()


BAD_PLANTS = {
    "unknown team": (
        SMALL.replace('team = "T1"', 'team = "T9"'),
        "line 13: unknown team T9",
    ),
    "line without a team": (
        SMALL.replace('name = "Line one"\nteam = "T1"', 'name = "Line one"\nteam = ""'),
        "line 13: team is empty",
    ),
    "doubled code": (
        SMALL.replace('code = "L1-S02"', 'code = "L1-S01"'),
        "line 23: code L1-S01 is also on line 18",
    ),
    "code a scanner cannot type": (
        SMALL.replace('code = "L1-S02"', 'code = "L1 S02"'),
        "line 23: code L1 S02 cannot go on a label",
    ),
    "empty name": (SMALL.replace('name = "Copper Co."', 'name = ""'), "line 29: name is empty"),
    "missing line": (
        SMALL.replace('line = "L1"\nteam = "T2"', 'team = "T2"'),
        "line 23: missing line",
    ),
    "unknown line": (
        SMALL.replace('line = "L1"\nteam = "T2"', 'line = "L7"\nteam = "T2"'),
        "line 23: unknown line L7",
    ),
    "department name longer than an employee's department": (
        SMALL.replace('name = "Manufacturing"', 'name = "' + "M" * 41 + '"'),
        "line 1: name is longer than 40 characters",
    ),
    "not TOML": (SMALL.replace('name = "Team one"', 'name = "Team one'), "is not valid TOML"),
    "nothing": ("# empty\n", "holds no departments, teams, lines, stations or suppliers"),
}


def test_bad_plant_files_are_refused_with_their_line_and_nothing_is_written(database, tmp_path):
    import_plant(Caller.system(), [SAMPLE_PLANT])
    with transaction():
        Team.create(code="C1", name="Contest", kind="contest")
        ProductionLine.update(active=False).where(ProductionLine.code == "LB").execute()
    before = plant()
    cases = dict(BAD_PLANTS)
    cases["contest team"] = (SMALL.replace('code = "T2"', 'code = "C1"'), "C1 is a contest team")
    cases["station on an inactive line"] = (
        SMALL.replace('line = "L1"\nteam = "T2"', 'line = "LB"\nteam = "T2"'),
        "line 23: station L1-S02 is on line LB, which is inactive",
    )
    for case, (text, expected) in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            import_plant(Caller.system(), [write(tmp_path, "bad.toml", text)])
        assert expected in refused.value.message, case
        assert plant() == before, case
    # a station on a line the same import would deactivate
    text = SMALL.replace('line = "L1"\nteam = "T2"', 'line = "LA"\nteam = "T2"')
    with pytest.raises(ValidationFailed) as refused:
        import_plant(Caller.system(), [write(tmp_path, "bad.toml", text)], deactivate_missing=True)
    assert "line 23: line LA is not in the file, so --deactivate-missing" in refused.value.message
    assert plant() == before
    assert (
        not AuditEntry.select()
        .where((AuditEntry.action == "import_plant") & (AuditEntry.target == "bad.toml"))
        .exists()
    )


def test_a_department_named_before_departments_had_codes_is_taken_over(database):
    with transaction():  # schema step 11 made code = name for the names employees had
        Department.create(code="Quality", name="Quality")
    result = import_plant(Caller.system(), [SAMPLE_PLANT])
    assert counts(result)["departments"] == (3, 1, 0, 0)
    assert "~ department QA: code Quality -> QA" in result.changes
    assert ("QA", "Quality", True) in plant()["departments"]


def test_a_team_with_no_line_is_imported_with_a_warning(database, tmp_path):
    result = import_plant(
        Caller.system(),
        [write(tmp_path, "plant.toml", SMALL + '\n[[teams]]\ncode = "QT"\nname = "Quality"\n')],
    )
    assert counts(result)["teams"] == (3, 0, 0, 0)
    assert result.warnings == (
        "team QT is responsible for no line or station (fine for an office team; defects "
        "reported at a station never go to it)",
    )


def test_the_templates_import_as_they_are(database, tmp_path):
    toml = write_template(tmp_path / "plant.toml")
    assert "# required" in toml.read_text(encoding="utf-8")
    assert counts(import_plant(Caller.system(), [toml]))["stations"] == (2, 0, 0, 0)
    xlsx = write_template(tmp_path / "plant.xlsx")
    result = import_plant(Caller.system(), [xlsx])  # the same plant: nothing changes
    assert not result.changed_anything
    with pytest.raises(ValidationFailed, match="a .toml or an .xlsx"):
        write_template(tmp_path / "plant.csv")


def test_an_xlsx_workbook_and_csv_files_per_kind(database, tmp_path):
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["anything", "=1+1"])  # not a plant sheet: never read
    teams = workbook.create_sheet("TEAMS")
    teams.append(["Team Code", "Name", "Remarks"])  # a synonym, an ignored column
    teams.append(["t1", "Team one", "day shift"])
    lines = workbook.create_sheet("Production lines")
    lines.append(["code", "name", "team"])
    lines.append(["L1", "Line one", "T1"])
    lines.append(["L2", "Line two", "=B2"])
    path = tmp_path / "plant.xlsx"
    workbook.save(path)
    with pytest.raises(ValidationFailed) as refused:
        import_plant(Caller.system(), [path])
    assert "sheet Production lines, row 3: cell C3 holds a formula (=B2)" in refused.value.message
    lines.delete_rows(3)
    workbook.save(path)
    result = import_plant(Caller.system(), [path])
    assert counts(result)["teams"] == (1, 0, 0, 0) and counts(result)["lines"] == (1, 0, 0, 0)

    stations = write(tmp_path, "stations.csv", "code,name,line\nL1-S01,工位一,L1\nL1-S02,Two,L1\n")
    suppliers = write(tmp_path, "plant-suppliers.csv", "code;name\nSUP-1;铜端子厂\n")
    result = import_plant(Caller.system(), [stations, suppliers])
    assert counts(result)["stations"] == (2, 0, 0, 0)
    assert ("SUP-1", "铜端子厂", True) in plant()["suppliers"]
    bad = write(tmp_path, "stations.csv", "code,name,line\nL1-S03,Three,L9\n")
    with pytest.raises(ValidationFailed, match="stations.csv line 2: unknown line L9"):
        import_plant(Caller.system(), [bad])
    with pytest.raises(ValidationFailed, match="name each CSV file after what it holds"):
        import_plant(Caller.system(), [write(tmp_path, "things.csv", "code,name\nA,B\n")])


def test_the_cli_imports_prints_a_dry_run_and_exits_2_on_bad_files(database, tmp_path, capsys):
    assert main(["import", "plant", str(SAMPLE_PLANT), "--dry-run", "--db", database]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing written" in out and "+ line LA 'AC wallbox assembly', team A1" in out
    assert not Team.select().exists()
    assert main(["import", "plant", str(SAMPLE_PLANT), "--db", database]) == 0
    assert "stations     8 added" in capsys.readouterr().out
    bad = write(tmp_path, "bad.toml", BAD_PLANTS["unknown team"][0])
    assert main(["import", "plant", str(bad), "--db", database]) == 2
    err = capsys.readouterr().err
    assert "nothing imported from" in err and "  line 13: unknown team T9" in err
    template = tmp_path / "mine.toml"
    assert main(["import", "plant", "--template", str(template)]) == 0  # no database needed
    assert template.exists()
    sample = tmp_path / "plant.toml"
    assert main(["import", "plant", "--sample", str(sample)]) == 0
    assert sample.read_text(encoding="utf-8") == SAMPLE_PLANT.read_text(encoding="utf-8")
    assert main(["import", "plant", "--db", database]) == 2
    assert "which file?" in capsys.readouterr().err


def test_files_that_are_not_files_or_too_large_are_refused(database, tmp_path):
    fifo = tmp_path / "plant.toml"
    os.mkfifo(fifo)  # opening it would block: it is never opened
    with pytest.raises(ValidationFailed, match="is not a regular file"):
        import_plant(Caller.system(), [fifo])
    big = tmp_path / "big.toml"
    with big.open("wb") as stream:
        stream.truncate(50_000_000)
    with pytest.raises(ValidationFailed, match="is 50,000,000 bytes, more than 20,000,000"):
        import_plant(Caller.system(), [big])
    with pytest.raises(ValidationFailed, match="there is no such file"):
        import_plant(Caller.system(), [tmp_path / "missing.toml"])
