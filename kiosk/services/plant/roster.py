"""`kiosk import roster`: the people, from HR's roster file (CSV or XLSX), by badge.

Columns (a header row; names not case-sensitive; other columns are ignored):

- badge: the code on the badge (工号, "Employee No." ... are read as badge too); upper
  case, what a scanner can type (A-Z 0-9 . _ -, at most 32). Leading zeros stay.
- name: the person's name (Chinese is fine), at most 120 characters.
- department: a department's code or name (from the plant file).
- team: a line team's code (or its name); may be empty for supervisors and quality admins.
- role: operator, team_leader, supervisor or quality_admin, or the title (Team leader,
  班组长 ...).

A badge that is new is added; a known one gets the file's name, department, team and
role (and is active again if it had left). With `deactivate_missing`, active people whose
badge is not in the file are deactivated: their history, points and defects stay and keep
their names. Refused, nothing imported, each with its line: empty or doubled badges,
badges a scanner cannot type, empty names, unknown roles, teams and departments, and a
file that would leave the plant without an active quality admin.

Leaders and up sign in with a PIN they choose from a one-time enrolment code; people who
hold such a role and no PIN yet are listed in the result (`needs_enrolment`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.caller import Caller
from kiosk.errors import Conflict, ConstraintConflict
from kiosk.i18n import _, translate
from kiosk.services.plant.stations import is_scannable_code
from kiosk.services.platform import uow
from kiosk.services.platform.auth import ROLE_RANK, ROLE_TITLES, normalise_badge, record_action
from kiosk.services.platform.tabular import (
    Columns,
    Problems,
    Row,
    Table,
    doubled,
    normalise_name,
    read_table,
    refuse,
)
from kiosk.services.platform.text import shorten
from models import Department, Employee, Team, db
from models.people import ROLES

NAME_MAX = 120
BATCH = 500
PROGRESS_EVERY = 250
COLUMNS = Columns(
    ("badge", "name", "department", "team", "role"),
    synonyms={
        "badge": (
            "badge code",
            "badge no",
            "badge number",
            "badge id",
            "employee no",
            "employee number",
            "employee id",
            "employee code",
            "emp no",
            "staff no",
            "staff id",
            "工号",
            "员工编号",
            "胸卡号",
            "卡号",
        ),
        "name": ("full name", "employee name", "姓名", "员工姓名"),
        "department": ("dept", "department name", "department code", "部门"),
        "team": ("team code", "team name", "班组", "班组代码"),
        "role": ("kiosk role", "角色"),
    },
    code_columns=frozenset({"badge", "team"}),
)
SHEET_NAMES = ("roster", "employees", "people", "staff", "花名册", "员工")
NEEDS_TEAM = ("operator", "team_leader")
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _role_names() -> dict[str, str]:
    names = {}
    for role in ROLES:
        names[normalise_name(role)] = role
        names[normalise_name(ROLE_TITLES.english(role))] = role
        names[normalise_name(translate(ROLE_TITLES.english(role), "zh_CN"))] = role
    return names


@dataclass(frozen=True)
class Person:
    badge: str
    name: str
    role: str


@dataclass(frozen=True)
class RosterImport:
    """What a roster import did (or, with dry_run, would do)."""

    source: str
    rows: int
    added: int
    changed: int
    deactivated: int
    unchanged: int
    changes: tuple[str, ...]  # one line per added, changed or deactivated person
    needs_enrolment: tuple[Person, ...]  # leaders and up without a PIN after the import
    dry_run: bool

    def summary(self) -> str:
        """One line, English (the audit trail and the CLI)."""
        return (
            f"{self.rows} people in the file: {self.added} added, {self.changed} changed, "
            f"{self.deactivated} deactivated, {self.unchanged} unchanged; "
            f"{len(self.needs_enrolment)} need a PIN enrolment code"
        )


@dataclass
class _Current:
    id: int
    name: str
    department: str
    team_id: int | None
    role: str
    active: bool
    has_pin: bool


@dataclass
class _Plan:
    inserts: list[dict[str, Any]]
    updates: list[tuple[int, dict[str, Any]]]
    deactivate: list[int]
    changes: list[str]
    unchanged: int
    needs_enrolment: list[Person]


def read_roster(path: Path | str) -> Table:
    """The roster file's rows (no database)."""
    return read_table(Path(path), COLUMNS, SHEET_NAMES)


@dataclass(frozen=True)
class _Entry:
    """One checked row of the file."""

    row: Row
    badge: str
    name: str
    department: str  # the department's name, as employees carry it
    team_id: int | None
    role: str


class _Checker:
    """Checks rows against the plant's roles, departments and teams (loaded once)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.roles = _role_names()
        self.teams = {
            t.code: t for t in Team.select(Team.id, Team.code, Team.name, Team.kind, Team.active)
        }
        self.team_code = {t.id: t.code for t in self.teams.values()}
        self.teams_by_name: dict[str, list[Any]] = {}
        for team in self.teams.values():
            self.teams_by_name.setdefault(team.name.lower(), []).append(team)
        self.departments: dict[str, Any] = {}
        for department in Department.select():
            self.departments.setdefault(department.name.lower(), department)
            self.departments.setdefault(department.code.lower(), department)

    def entry(self, row: Row) -> _Entry | None:
        """The row checked, or None (its problems noted)."""
        badge, name, role = self._badge(row), self._name(row), self._role(row)
        department, team = self._department(row), self._team(row, role)
        if self.problems.on(row):
            return None
        assert badge and role and department
        return _Entry(row, badge, name, department, team.id if team else None, role)

    def _badge(self, row: Row) -> str:
        badge = normalise_badge(row.get("badge"))
        if not badge:
            self.problems.add(row, _("badge is empty"))
        elif not is_scannable_code(badge):
            self.problems.add(
                row,
                _(
                    "badge {badge} cannot go on a label a scanner reads: use A-Z, 0-9, '.', '_' "
                    "and '-', at most 32 characters",
                    badge=shorten(badge, 40),
                ),
            )
        return badge

    def _name(self, row: Row) -> str:
        name = row.get("name")
        if not name:
            self.problems.add(row, _("name is empty"))
        elif len(name) > NAME_MAX:
            self.problems.add(row, _("name is longer than {count} characters", count=NAME_MAX))
        return name

    def _role(self, row: Row) -> str | None:
        text = row.get("role")
        role = self.roles.get(normalise_name(text)) if text else None
        if not text:
            self.problems.add(row, _("role is empty"))
        elif role is None:
            self.problems.add(
                row,
                _(
                    "unknown role {role}: use operator, team_leader, supervisor or "
                    "quality_admin (or Operator, Team leader, Supervisor, Quality admin)",
                    role=shorten(text, 30),
                ),
            )
        return role

    def _department(self, row: Row) -> str:
        text = row.get("department")
        department = self.departments.get(text.lower())
        if not text:
            self.problems.add(row, _("department is empty"))
        elif department is None:
            self.problems.add(
                row,
                _(
                    "unknown department {department}: add it to the plant file and import "
                    "that first",
                    department=shorten(text, 40),
                ),
            )
        elif not department.active:
            self.problems.add(
                row, _("department {department} is inactive", department=department.name)
            )
        return department.name if department is not None else ""

    def _team(self, row: Row, role: str | None) -> Any:
        """The line team by code, else by its name if only one team has it."""
        text = row.get("team")
        team = self.teams.get(text.upper())
        if team is None and len(self.teams_by_name.get(text.lower(), [])) == 1:
            team = self.teams_by_name[text.lower()][0]
        if not text:
            if role in NEEDS_TEAM:
                self.problems.add(row, _("team is empty: operators and team leaders need a team"))
        elif team is None:
            self.problems.add(
                row,
                _(
                    "unknown team {team}: add it to the plant file and import that first",
                    team=shorten(text, 40),
                ),
            )
        elif team.kind != "line":
            self.problems.add(row, _("{code} is a contest team, not a line team", code=team.code))
        elif not team.active:
            self.problems.add(row, _("team {code} is inactive", code=team.code))
        return team


def _current() -> dict[str, _Current]:
    """Everybody by badge, loaded once (no query per row)."""
    return {
        badge: _Current(id_, name, department, team_id, role, active, pin_hash is not None)
        for id_, badge, name, department, team_id, role, active, pin_hash in db.tuples(
            Employee.select(
                Employee.id,
                Employee.badge_code,
                Employee.name,
                Employee.department,
                Employee.team,
                Employee.role,
                Employee.active,
                Employee.pin_hash,
            )
        )
    }


def _differences(
    existing: _Current, entry: _Entry, team_code: dict[int, str]
) -> tuple[dict[str, Any], list[str]]:
    """The values to update on a known person, and how each changes (for the list)."""
    values: dict[str, Any] = {}
    what = []
    for field, old, new, shown_old, shown_new in (
        ("name", existing.name, entry.name, existing.name, entry.name),
        (
            "department",
            existing.department,
            entry.department,
            existing.department,
            entry.department,
        ),
        (
            "team",
            existing.team_id,
            entry.team_id,
            team_code.get(existing.team_id, "-") if existing.team_id else "-",
            team_code.get(entry.team_id, "-") if entry.team_id else "-",
        ),
        ("role", existing.role, entry.role, existing.role, entry.role),
    ):
        if old != new:
            values[field] = new
            what.append(f"{field} {shown_old} -> {shown_new}")
    if not existing.active:
        values["active"] = True
        what.append("active again")
    return values, what


def _plan(table: Table, deactivate_missing: bool, progress: Progress | None) -> _Plan:
    problems = Problems()
    checker = _Checker(problems)
    current = _current()
    for row, first in doubled(table.rows, "badge"):
        problems.add(
            row,
            _(
                "badge {badge} is also on {where}",
                badge=row.get("badge").upper(),
                where=first.where,
            ),
        )
    plan = _Plan([], [], [], [], 0, [])
    entries = []
    for number, row in enumerate(table.rows, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress("checking", number, len(table.rows))
        entry = checker.entry(row)
        if entry is not None:
            entries.append(entry)
    for entry in entries:
        existing = current.get(entry.badge)
        leader = ROLE_RANK[entry.role] >= ROLE_RANK["team_leader"]
        if leader and (existing is None or not existing.has_pin):
            plan.needs_enrolment.append(Person(entry.badge, entry.name, entry.role))
        if existing is None:
            plan.inserts.append(
                {
                    "badge_code": entry.badge,
                    "name": entry.name,
                    "department": entry.department,
                    "team": entry.team_id,
                    "role": entry.role,
                    "active": True,
                }
            )
            shown = checker.team_code.get(entry.team_id, "no team") if entry.team_id else "no team"
            plan.changes.append(
                f"+ {entry.badge} {entry.name} ({entry.department}, {shown}, "
                f"{ROLE_TITLES.english(entry.role)})"
            )
            continue
        values, what = _differences(existing, entry, checker.team_code)
        if values:
            plan.updates.append((existing.id, values))
            plan.changes.append(f"~ {entry.badge} {entry.name}: {', '.join(what)}")
        else:
            plan.unchanged += 1
    in_file = {normalise_badge(row.get("badge")) for row in table.rows}
    leavers = []
    if deactivate_missing:
        leavers = [b for b, person in current.items() if person.active and b not in in_file]
        plan.deactivate = [current[badge].id for badge in leavers]
        plan.changes += [f"- {badge} {current[badge].name} deactivated" for badge in leavers]
    if not problems:
        _keep_a_quality_admin(current, entries, leavers, problems)
    problems.check()
    return plan


def _keep_a_quality_admin(
    current: dict[str, _Current], entries: list[_Entry], leavers: list[str], problems: Problems
) -> None:
    """Refuse a file that demotes or deactivates the last active quality admin(s)."""
    before = {
        b for b, person in current.items() if person.active and person.role == "quality_admin"
    }
    in_file = {entry.badge for entry in entries}
    after = {entry.badge for entry in entries if entry.role == "quality_admin"}
    after |= {badge for badge in before if badge not in in_file and badge not in leavers}
    if not before or after:
        return
    for entry in entries:
        if entry.badge in before:
            problems.add(
                entry.row,
                _(
                    "this file would leave no active quality admin: {badge} would become a "
                    "{role}. Keep at least one quality admin",
                    badge=entry.badge,
                    role=entry.row.get("role"),
                ),
            )
    leaving = sorted(before & set(leavers))
    if leaving:
        problems.add_at(
            "",
            (-1, 0),
            _(
                "the last active quality admin ({badges}) is not in the file, so "
                "--deactivate-missing would deactivate them. Keep at least one quality "
                "admin in the file",
                badges=", ".join(leaving),
            ),
        )


def _apply(plan: _Plan, progress: Progress | None) -> None:
    total = len(plan.inserts) + len(plan.updates) + len(plan.deactivate)
    done = 0
    for start in range(0, len(plan.inserts), BATCH):
        batch = plan.inserts[start : start + BATCH]
        Employee.insert_many(batch).execute()
        done += len(batch)
        if progress:
            progress("writing", done, total)
    for employee_id, values in plan.updates:
        Employee.update(**values).where(Employee.id == employee_id).execute()
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress("writing", done, total)
    for start in range(0, len(plan.deactivate), BATCH):
        ids = plan.deactivate[start : start + BATCH]
        Employee.update(active=False).where(Employee.id.in_(ids)).execute()
        done += len(ids)
        if progress:
            progress("writing", done, total)


def _result(plan: _Plan, table: Table, dry_run: bool) -> RosterImport:
    return RosterImport(
        source=table.source,
        rows=len(table.rows),
        added=len(plan.inserts),
        changed=len(plan.updates),
        deactivated=len(plan.deactivate),
        unchanged=plan.unchanged,
        changes=tuple(plan.changes),
        needs_enrolment=tuple(plan.needs_enrolment),
        dry_run=dry_run,
    )


@uow.read
def _dry_run(table: Table, deactivate_missing: bool, progress: Progress | None) -> RosterImport:
    return _result(_plan(table, deactivate_missing, progress), table, True)


def import_roster(
    caller: Caller,
    path: Path | str,
    *,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    who: str = "",
    progress: Progress | None = None,
) -> RosterImport:
    """Read, check and upsert HR's roster by badge: all or nothing (one write unit), one
    audit row. The caller is the command line's (no actor).

    `who` names the person who ran it (the OS user for the CLI) in the audit detail;
    `progress(stage, done, total)` is called now and then for a progress bar.
    """
    path = Path(path)
    table = read_roster(path)
    if not table.rows:  # with --deactivate-missing an empty export would empty the plant
        raise refuse(_("{name} holds no people: only a header.", name=path.name))
    table = Table(path.name, table.columns, table.rows)
    if dry_run:
        return _dry_run(table, deactivate_missing, progress)
    try:
        return _import(caller, path, table, deactivate_missing, who, progress)
    except ConstraintConflict:  # another import (or an admin) wrote the same code meanwhile
        raise Conflict(
            _(
                "The plant changed while this file was imported: nothing was imported. Run the "
                "import again."
            )
        ) from None


@uow.write
def _import(
    caller: Caller,
    path: Path,
    table: Table,
    deactivate_missing: bool,
    who: str,
    progress: Progress | None,
) -> RosterImport:
    plan = _plan(table, deactivate_missing, progress)
    _apply(plan, progress)
    result = _result(plan, table, False)
    record_action(
        None,
        "import_roster",
        shorten(path.name, 128),
        caller.now(),
        detail=(
            result.summary()
            + (" (--deactivate-missing)" if deactivate_missing else "")
            + (f"; run by OS user {who}" if who else "")
        ),
    )
    return result


TEMPLATE_ROWS = (
    ("badge", "name", "department", "team", "role"),
    ("E0001", "王建国", "Manufacturing", "A1", "team_leader"),
    ("E0002", "Li Na", "MFG", "A1", "operator"),
)


def write_template(path: Path | str) -> Path:
    """An empty roster with its header and two example rows: .csv (UTF-8 with a byte-order
    mark, so Excel reads Chinese) or .xlsx (every column formatted as text)."""
    import csv

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream).writerows(TEMPLATE_ROWS)
        return path
    if suffix != ".xlsx":
        raise refuse(_("A roster template is a .csv or an .xlsx file, not {name}.", name=path.name))
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Roster"
    for row in TEMPLATE_ROWS:
        sheet.append(list(row))
    for column in sheet.iter_cols(min_row=1, max_row=2000, max_col=len(TEMPLATE_ROWS[0])):
        sheet.column_dimensions[column[0].column_letter].width = 22
        for cell in column:
            cell.number_format = "@"  # text: badges keep their leading zeros
    workbook.save(path)
    return path
