"""The admin services (people, lines and stations, suppliers, departments, teams), on SQLite
and PostgreSQL: each action, each refusal, and the audit row naming before and after."""

from __future__ import annotations

import subprocess
import threading

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.services.plant import plant, plant_admin
from kiosk.services.plant.stations import BadgeScan, StationScan, parse_scan
from kiosk.services.platform import auth
from models import (
    AuditEntry,
    Department,
    Employee,
    ProductionLine,
    Station,
    Supplier,
    Team,
    db,
)
from tests.helpers.qr import decode_files

ADMIN, SUPERVISOR, LEADER, OPERATOR = "E4001", "E4002", "E1001", "E1002"


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def last_audit(action: str) -> AuditEntry:
    with db.connection():
        return (
            AuditEntry.select()
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id.desc())
            .get()
        )


def audit_count() -> int:
    with db.connection():
        return AuditEntry.select().count()


def employee(badge: str) -> Employee:
    with db.connection():
        return Employee.select(Employee, Team).join(Team).where(Employee.badge_code == badge).get()


# --- people ---------------------------------------------------------------------------


def test_search_pages_every_match_once_with_a_total(demo_plant, clock):
    admin = person(ADMIN)
    page = plant_admin.search_people(Caller.of(admin, clock), "", limit=7)
    assert page.total == 41  # 40 active demo people and one leaver
    seen: list[str] = []
    offset = 0
    while True:
        page = plant_admin.search_people(Caller.of(admin, clock), "", offset=offset, limit=7)
        seen += [row.badge_code for row in page.rows]
        if not page.has_next:
            break
        offset += 7
    assert len(seen) == len(set(seen)) == 41
    assert seen == sorted(seen)
    by_name = plant_admin.search_people(Caller.of(admin, clock), "li n")
    assert [row.badge_code for row in by_name.rows] == ["E1002"] and by_name.total == 1
    by_badge = plant_admin.search_people(Caller.of(admin, clock), "e40")
    assert by_badge.total == 6 and by_badge.rows[0].role == "quality_admin"
    assert plant_admin.search_people(Caller.of(admin, clock), "%").total == 0  # % is literal
    leaver = plant_admin.search_people(Caller.of(admin, clock), "E9001").rows[0]
    assert not leaver.active


def test_operators_and_leaders_are_refused_and_the_refusal_is_audited(demo_plant, clock):
    for badge in (OPERATOR, LEADER):
        with pytest.raises(PermissionDenied, match="Only a supervisor or above may manage people"):
            plant_admin.search_people(Caller.of(person(badge), clock), "")
        with pytest.raises(PermissionDenied):
            plant_admin.add_person(Caller.of(person(badge), clock), "N1", "New", "MFG", "T1")
        with pytest.raises(PermissionDenied):
            plant_admin.add_line(Caller.of(person(badge), clock), "L9", "New line", "T1")
    refused = last_audit("manage people")
    assert not refused.allowed and refused.detail == "needs Supervisor, has Team leader"
    with pytest.raises(PermissionDenied, match="quality admin or above may manage suppliers"):
        plant_admin.add_code_row(Caller.of(person(SUPERVISOR), clock), "supplier", "S9", "X")
    with pytest.raises(PermissionDenied, match="manage departments and teams"):
        plant_admin.code_rows(Caller.of(person(SUPERVISOR), clock), "department")
    with db.connection():
        assert not Employee.select().where(Employee.badge_code == "N1").exists()
        assert not ProductionLine.select().where(ProductionLine.code == "L9").exists()


def test_add_a_person_and_change_their_team_and_role(demo_plant, clock):
    admin = person(ADMIN)
    row = plant_admin.add_person(Caller.of(admin, clock), " n-0042 ", "王小明", "MFG", "t2")
    assert (row.badge_code, row.department, row.team_code, row.role) == (
        "N-0042",
        "Manufacturing",
        "T2",
        "operator",
    )
    added = last_audit("add_person")
    assert added.allowed and added.target == "N-0042" and added.actor_id == employee(ADMIN).id
    assert added.detail == "name: 王小明; department: Manufacturing; team: T2; role: operator"
    assert auth.identify_badge("N-0042").name == "王小明"

    row = plant_admin.change_person(
        Caller.of(admin, clock), "N-0042", team_code="T1", role="team_leader", department="Quality"
    )
    assert (row.team_code, row.role, row.department) == ("T1", "team_leader", "Quality")
    assert last_audit("change_person").detail == (
        "department: Manufacturing -> Quality; team: T2 -> T1; role: operator -> team_leader"
    )
    before = audit_count()
    plant_admin.change_person(Caller.of(admin, clock), "N-0042", team_code="T1", name="王小明")
    assert audit_count() == before  # nothing changed: nothing audited


def test_bad_people_input_is_named_per_field_and_nothing_is_written(demo_plant, clock):
    admin = person(ADMIN)
    with pytest.raises(ValidationFailed) as caught:
        plant_admin.add_person(Caller.of(admin, clock), "bad badge!", "", "Nowhere", "T99", "boss")
    assert set(caught.value.problems) == {"badge_code", "name", "department", "team", "role"}
    assert "cannot be printed on a badge" in caught.value.problems["badge_code"]
    with pytest.raises(ValidationFailed, match="already belongs to Li Na"):
        plant_admin.add_person(Caller.of(admin, clock), "e1002", "Copy", "MFG", "T1")
    with pytest.raises(ValidationFailed, match="inactive"):
        plant_admin.add_person(Caller.of(admin, clock), "E9001", "Copy", "MFG", "T1")
    with db.connection():
        Department.update(active=False).where(Department.code == "PMC").execute()
        Team.create(code="CX9", name="Contest team", kind="contest")
    with pytest.raises(ValidationFailed) as caught:
        plant_admin.add_person(Caller.of(admin, clock), "N1", "X", "PMC", "CX9")
    assert "not an active department" in caught.value.problems["department"]
    assert "not an active line team" in caught.value.problems["team"]
    with db.connection():
        assert Employee.select().where(Employee.badge_code == "N1").count() == 0


def test_role_rules_own_role_supervisor_ceiling_and_last_admin(demo_plant, clock):
    admin, supervisor = person(ADMIN), person(SUPERVISOR)
    with pytest.raises(PermissionDenied, match="Nobody changes their own role"):
        plant_admin.change_person(Caller.of(admin, clock), ADMIN, role="operator")
    assert last_audit("change_person").detail == "own role"
    with pytest.raises(PermissionDenied, match="may make someone a supervisor"):
        plant_admin.change_person(Caller.of(supervisor, clock), OPERATOR, role="supervisor")
    with pytest.raises(PermissionDenied, match="Only a quality admin"):
        plant_admin.change_person(Caller.of(supervisor, clock), "E5001", team_code="T1")
    with pytest.raises(PermissionDenied, match="Only a quality admin"):
        plant_admin.set_person_active(Caller.of(supervisor, clock), ADMIN, False)
    # a supervisor makes a leader and moves people between line teams
    row = plant_admin.change_person(Caller.of(supervisor, clock), OPERATOR, role="team_leader")
    assert row.role == "team_leader"
    assert plant_admin.roles_for(supervisor) == ("operator", "team_leader")
    assert plant_admin.roles_for(admin)[-1] == "quality_admin"

    # the demo's only admin: not deactivated, not demoted, by anyone
    plant_admin.change_person(Caller.of(admin, clock), "E5001", role="quality_admin")
    second = person("E5001")
    plant_admin.set_person_active(Caller.of(second, clock), ADMIN, False)
    with pytest.raises(PermissionDenied, match="last active quality admin"):
        plant_admin.set_person_active(Caller.of(admin, clock), "E5001", False)
    with pytest.raises(PermissionDenied, match="Nobody deactivates themselves"):
        plant_admin.set_person_active(Caller.of(second, clock), "E5001", False)
    refused = last_audit("deactivate_person")
    assert not refused.allowed
    with pytest.raises(PermissionDenied, match="last active quality admin"):
        plant_admin.change_person(Caller.of(admin, clock), "E5001", role="supervisor")
    assert employee("E5001").role == "quality_admin" and employee("E5001").active


def test_two_admins_deactivating_each_other_at_once_leave_one(demo_plant, clock):
    admin = person(ADMIN)
    plant_admin.change_person(Caller.of(admin, clock), "E5001", role="quality_admin")
    second = person("E5001")
    start = threading.Barrier(2)
    refused: list[str] = []
    errors: list[BaseException] = []

    def deactivate(actor: auth.EmployeeView, badge: str) -> None:
        try:
            start.wait()
            plant_admin.set_person_active(Caller.of(actor, clock), badge, False)
        except PermissionDenied as exc:
            refused.append(exc.message)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=deactivate, args=(admin, "E5001")),
        threading.Thread(target=deactivate, args=(second, ADMIN)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(refused) == 1 and "last active quality admin" in refused[0]
    with db.connection():
        admins = Employee.select().where((Employee.role == "quality_admin") & Employee.active)
        assert admins.count() == 1


def test_deactivate_and_reactivate_a_person(demo_plant, clock):
    supervisor = person(SUPERVISOR)
    row = plant_admin.set_person_active(Caller.of(supervisor, clock), "E2007", False)
    assert not row.active
    assert last_audit("deactivate_person").detail == "status: active -> inactive"
    with pytest.raises(NotFound, match="inactive"):
        auth.identify_badge("E2007")
    plant_admin.set_person_active(Caller.of(supervisor, clock), "E2007", True)
    assert last_audit("reactivate_person").detail == "status: inactive -> active"
    assert auth.identify_badge("E2007").name == "Zhu Hong"
    with pytest.raises(NotFound):
        plant_admin.set_person_active(Caller.of(supervisor, clock), "NOBODY", False)


# --- lines and stations ----------------------------------------------------------------


def test_lines_and_stations(demo_plant, clock):
    supervisor = person(SUPERVISOR)
    line = plant_admin.add_line(Caller.of(supervisor, clock), "l4", "Line four", "T3")
    assert (line.code, line.team_code, line.active, line.stations) == ("L4", "T3", True, 0)
    assert last_audit("add_line").detail == "name: Line four; team: T3"
    with pytest.raises(ValidationFailed, match="exists already"):
        plant_admin.add_line(Caller.of(supervisor, clock), "L4", "Again", "T3")
    plant_admin.change_line(Caller.of(supervisor, clock), "L4", name="Line 4", team_code="T2")
    assert last_audit("change_line").detail == "name: Line four -> Line 4; team: T3 -> T2"

    station = plant_admin.add_station(Caller.of(supervisor, clock), "L4-S01", "Final test", "L4")
    assert (station.line_code, station.team_code) == ("L4", "")
    plant_admin.change_station(
        Caller.of(supervisor, clock), "L4-S01", name="End test", line_code="L1", team_code="T1"
    )
    assert last_audit("change_station").detail == (
        "name: Final test -> End test; line: L4 -> L1; team: - -> T1"
    )
    rows = plant_admin.line_stations(Caller.of(supervisor, clock), "L1")
    assert "L4-S01" in [row.code for row in rows]

    plant_admin.change_station(Caller.of(supervisor, clock), "L4-S01", line_code="L4")
    plant_admin.set_line_active(Caller.of(supervisor, clock), "L4", False)
    assert last_audit("deactivate_line").detail == (
        "status: active -> inactive; stations: L4-S01 -> inactive"
    )
    with pytest.raises(ValidationFailed, match="inactive: a station cannot be on it"):
        plant_admin.add_station(Caller.of(supervisor, clock), "L4-S02", "X", "L4")
    with pytest.raises(ValidationFailed, match="Reactivate the line first"):
        plant_admin.set_station_active(Caller.of(supervisor, clock), "L4-S01", True)
    with pytest.raises(ValidationFailed, match="inactive"):
        plant_admin.change_station(Caller.of(supervisor, clock), "L1-S01", line_code="L4")
    plant_admin.set_line_active(Caller.of(supervisor, clock), "L4", True)
    plant_admin.set_station_active(Caller.of(supervisor, clock), "L4-S01", True)
    assert last_audit("reactivate_station").detail == "status: inactive -> active"
    overview = {row.code: row for row in plant_admin.lines_overview(Caller.of(supervisor, clock))}
    assert overview["L4"].stations == 1 and overview["L4"].team_code == "T2"
    with pytest.raises(ValidationFailed) as caught:
        plant_admin.add_station(Caller.of(supervisor, clock), "l 4", "", "L1", "T9")
    assert set(caught.value.problems) == {"code", "name", "team"}


# --- suppliers, departments, teams ------------------------------------------------------


def test_suppliers(demo_plant, clock):
    admin = person(ADMIN)
    plant_admin.add_code_row(Caller.of(admin, clock), "supplier", "sup-cn09", "Wuhan Cables")
    plant_admin.rename_code_row(Caller.of(admin, clock), "supplier", "SUP-CN09", "Wuhan Cable Co.")
    assert last_audit("rename_supplier").detail == "name: Wuhan Cables -> Wuhan Cable Co."
    plant_admin.set_code_row_active(Caller.of(admin, clock), "supplier", "SUP-CN09", False)
    assert last_audit("deactivate_supplier").target == "SUP-CN09"
    with db.connection():
        supplier = Supplier.get(Supplier.code == "SUP-CN09")
        assert (supplier.name, supplier.active) == ("Wuhan Cable Co.", False)
    with pytest.raises(ValidationFailed, match="exists already"):
        plant_admin.add_code_row(Caller.of(admin, clock), "supplier", "SUP-CN01", "X")


def test_department_rename_reaches_its_employees_in_one_step(demo_plant, clock):
    admin = person(ADMIN)
    row = plant_admin.rename_code_row(
        Caller.of(admin, clock), "department", "QA", "Quality Assurance"
    )
    assert row.used_by == 7
    audit = last_audit("rename_department")
    assert audit.detail == "name: Quality -> Quality Assurance; employees renamed: 7"
    with db.connection():
        assert Employee.select().where(Employee.department == "Quality").count() == 0
        assert Employee.select().where(Employee.department == "Quality Assurance").count() == 7
    with pytest.raises(ValidationFailed, match="called HR already"):
        plant_admin.rename_code_row(Caller.of(admin, clock), "department", "QA", "HR")
    with pytest.raises(ValidationFailed, match="At most 40"):
        plant_admin.rename_code_row(Caller.of(admin, clock), "department", "QA", "Q" * 41)


def test_departments_and_teams_refuse_deactivation_while_in_use(demo_plant, clock):
    admin = person(ADMIN)
    with pytest.raises(ValidationFailed, match="2 active employees are in HR"):
        plant_admin.set_code_row_active(Caller.of(admin, clock), "department", "HR", False)
    plant_admin.add_code_row(Caller.of(admin, clock), "department", "QMS", "Quality Systems")
    plant_admin.set_code_row_active(Caller.of(admin, clock), "department", "QMS", False)
    assert last_audit("deactivate_department").detail == "status: active -> inactive"
    with pytest.raises(ValidationFailed, match="not an active department"):
        plant_admin.add_person(Caller.of(admin, clock), "N7", "X", "QMS", "T1")

    with pytest.raises(ValidationFailed, match="7 active employees are in team T1"):
        plant_admin.set_code_row_active(Caller.of(admin, clock), "team", "T1", False)
    plant_admin.add_code_row(Caller.of(admin, clock), "team", "T8", "Line 8 Team")
    plant_admin.add_line(Caller.of(admin, clock), "L8", "Line 8", "T8")
    with pytest.raises(ValidationFailed, match="Team T8 answers for L8"):
        plant_admin.set_code_row_active(Caller.of(admin, clock), "team", "T8", False)
    plant_admin.add_station(Caller.of(admin, clock), "L1-S99", "Spare", "L1", "T8")
    plant_admin.set_line_active(Caller.of(admin, clock), "L8", False)
    with pytest.raises(ValidationFailed, match="Team T8 answers for L1-S99"):
        plant_admin.set_code_row_active(Caller.of(admin, clock), "team", "T8", False)
    plant_admin.add_code_row(Caller.of(admin, clock), "team", "T7", "Line 7 Team")
    assert "T7" in [c.code for c in plant_admin.admin_choices().teams]
    plant_admin.rename_code_row(Caller.of(admin, clock), "team", "T7", "Line Seven Team")
    assert last_audit("rename_team").detail == "name: Line 7 Team -> Line Seven Team"
    plant_admin.set_code_row_active(Caller.of(admin, clock), "team", "T7", False)
    with pytest.raises(ValidationFailed, match="not an active line team"):
        plant_admin.add_line(Caller.of(admin, clock), "L7", "Line 7", "T7")
    rows = {row.code: row for row in plant_admin.code_rows(Caller.of(admin, clock), "team")}
    assert not rows["T7"].active and rows["T1"].used_by == 1
    with db.connection():
        assert Team.get(Team.code == "T7").kind == "line"
        assert Station.select().count() > 0


# --- labels -----------------------------------------------------------------------------


@pytest.mark.env  # pdftoppm
def test_print_one_badge_and_one_station_label(demo_plant, clock, tmp_path):
    supervisor = person(SUPERVISOR)
    folder = tmp_path / "labels"
    badge = plant_admin.print_label(Caller.of(supervisor, clock), "B", "e1002", folder)
    assert badge == (folder / "badge-E1002.pdf").resolve()
    assert badge.read_bytes().startswith(b"%PDF")
    station = plant_admin.print_label(Caller.of(supervisor, clock), "S", "L1-S01", folder)
    assert station.name == "station-L1-S01.pdf" and station.stat().st_size > 1000
    for pdf, expected in (
        (badge, BadgeScan("E1002", True)),
        (station, StationScan("L1-S01", True)),
    ):
        prefix = tmp_path / pdf.stem
        subprocess.run(
            ["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(prefix)], check=True
        )
        pages = sorted(tmp_path.glob(f"{pdf.stem}-*.png"))
        assert len(pages) == 1  # one sheet, one label on it, read back by a real QR reader
        texts = decode_files(pages)
        assert [parse_scan(text, plant.signing_key()) for text in texts] == [expected]
    from kiosk.services.reports import labels

    only = labels.badge_label("E1002").labels
    assert len(only) == 1
    assert parse_scan(only[0].payload, plant.signing_key()).code == "E1002"
    with pytest.raises(NotFound, match="No active employee has badge E9001"):
        plant_admin.print_label(Caller.of(supervisor, clock), "B", "E9001", folder)
    with pytest.raises(PermissionDenied):
        plant_admin.print_label(Caller.of(person(OPERATOR), clock), "S", "L1-S01", folder)
