"""Keeping the plant true by hand: people, lines and stations, suppliers, departments, teams.

Who may do what (every refusal is audited through auth.require_role / record_refusal):

- people (search, add, change, deactivate, reactivate, print a badge): supervisors and
  quality admins. A supervisor gives roles up to team leader only and does not change a
  supervisor or a quality admin; only a quality admin makes or changes those.
- lines and stations (add, rename, move, deactivate, reactivate, print a label):
  supervisors and quality admins.
- suppliers, departments and line teams: quality admins.

Nobody changes their own role or deactivates themselves, and the last active quality
admin is never deactivated or demoted. Every change writes one audit row in the same
transaction, whose detail names each changed field before and after
("team: T1 -> T2; role: operator -> team_leader").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from peewee import JOIN, SQL, ColumnBase, Model, ModelSelect, NodeList, fn

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.plant.stations import is_scannable_code
from kiosk.services.platform import auth, uow
from kiosk.services.platform.auth import ROLE_RANK, EmployeeView, record_action, record_refusal
from kiosk.services.platform.text import clean_text, shorten
from kiosk.services.platform.uow import for_update
from models import Department, Employee, ProductionLine, Station, Supplier, Team, db

PAGE_SIZE = 50
MAX_PAGE = 500
NAME_MAX = 120
DEPARTMENT_NAME_MAX = 40  # employee.department holds the name: it has 40 characters

PEOPLE_ROLE = "supervisor"
LINES_ROLE = "supervisor"
SUPPLIERS_ROLE = "quality_admin"
STRUCTURE_ROLE = "quality_admin"  # departments and line teams
# the highest role a supervisor may give (and hold on to change someone)
SUPERVISOR_GIVES_UP_TO = "team_leader"
P = ParamSpec("P")
R = TypeVar("R")

# what require_role refusals name, for the translation catalog (see auth.ACTION_PHRASES)
ACTION_PHRASES = (
    N_("manage people"),
    N_("manage lines and stations"),
    N_("manage suppliers"),
    N_("manage departments and teams"),
)


def _require_people(caller: Caller, *_arguments: object, **_keywords: object) -> None:
    auth.require_role(caller, PEOPLE_ROLE, "manage people")


def _require_lines(caller: Caller, *_arguments: object, **_keywords: object) -> None:
    auth.require_role(caller, LINES_ROLE, "manage lines and stations")


def _require_kind(caller: Caller, kind: str, *_arguments: object, **_keywords: object) -> None:
    """Suppliers, departments or line teams: the role their kind needs."""
    _model, role, phrase = _kind(kind)
    auth.require_role(caller, role, phrase)


def _yes_no(active: bool) -> str:
    return "active" if active else "inactive"


def _changes(pairs: Sequence[tuple[str, object, object]]) -> str:
    """The audit detail: "team: T1 -> T2; role: operator -> team_leader" (changed ones only)."""
    return "; ".join(f"{name}: {before} -> {after}" for name, before, after in pairs)


class _Refused(Exception):
    """A refusal found inside a unit of work: audited after its rollback (see _admin_write)."""

    def __init__(self, action: str, target: str, why: str, message: str) -> None:
        super().__init__(message)
        self.action, self.target, self.why, self.message = action, target, why, message


def _refuse(action: str, target: str, why: str, message: str) -> _Refused:
    return _Refused(action, target, why, message)


def _admin_write(
    require: Callable[..., None],
) -> Callable[[Callable[Concatenate[Caller, P], R]], Callable[Concatenate[Caller, P], R]]:
    """A change made by hand: `require(caller, *arguments)` first (its refusal audited on
    its own), then the whole function as one write unit (@uow.write). A refusal raised in
    the unit (_Refused) rolls it back, then is audited in a unit of its own (so the
    refusal's row survives) and reaches the screen as PermissionDenied."""

    def decorate(
        function: Callable[Concatenate[Caller, P], R],
    ) -> Callable[Concatenate[Caller, P], R]:
        unit = uow.write(function)

        @functools.wraps(function)
        def wrapper(caller: Caller, /, *args: P.args, **kwargs: P.kwargs) -> R:
            require(caller, *args, **kwargs)
            try:
                return unit(caller, *args, **kwargs)
            except _Refused as refused:
                record_refusal(caller, refused.action, refused.target, refused.why)
                raise PermissionDenied(refused.message) from None

        return wrapper

    return decorate


def _code(value: str | None, field: str, problems: dict[str, str]) -> str:
    code = clean_text(value or "").upper()
    if not code:
        problems[field] = _("Give a code.")
    elif not is_scannable_code(code):
        problems[field] = _(
            "“{code}” cannot be printed on a label or typed by a scanner: use A-Z, 0-9, "
            "'.', '_' and '-', up to 32 characters.",
            code=shorten(code, 32),
        )
    return code


def _name(value: str | None, field: str, problems: dict[str, str], limit: int = NAME_MAX) -> str:
    name = clean_text(value or "")
    if not name:
        problems[field] = _("Give a name.")
    elif len(name) > limit:
        problems[field] = _("At most {limit} characters.", limit=limit)
    return name


def _check(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationFailed(problems)


# --- choices for the forms ---------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class AdminChoices:
    """What the forms offer: active departments, active line teams and active lines."""

    departments: tuple[Choice, ...]
    teams: tuple[Choice, ...]
    lines: tuple[Choice, ...]


@uow.read
def admin_choices() -> AdminChoices:
    departments = Department.select().where(Department.active).order_by(Department.name)
    teams = Team.select().where(Team.active & (Team.kind == "line")).order_by(Team.code)
    lines = ProductionLine.select().where(ProductionLine.active).order_by(ProductionLine.code)
    return AdminChoices(
        tuple(Choice(d.code, d.name) for d in departments),
        tuple(Choice(t.code, t.name) for t in teams),
        tuple(Choice(line.code, line.name) for line in lines),
    )


def role_title(role: str) -> str:
    return auth.ROLE_TITLES.get(role, role)


def roles_for(actor: EmployeeView) -> tuple[str, ...]:
    """The roles this person may give: a supervisor up to team leader, an admin all."""
    ceiling = ROLE_RANK[SUPERVISOR_GIVES_UP_TO if actor.role != "quality_admin" else actor.role]
    return tuple(role for role, rank in ROLE_RANK.items() if rank <= ceiling)


# --- people ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    badge_code: str
    name: str
    department: str
    team_code: str
    team_name: str
    role: str
    active: bool
    has_pin: bool

    @property
    def role_title(self) -> str:
        return auth.ROLE_TITLES.get(self.role, self.role)


@dataclass(frozen=True)
class PeoplePage:
    rows: tuple[PersonRow, ...]
    total: int  # everyone who matches, on every page
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


def _person_row(employee: Employee, team: Team | None) -> PersonRow:
    return PersonRow(
        badge_code=employee.badge_code,
        name=employee.name,
        department=employee.department,
        team_code=team.code if team else "",
        team_name=team.name if team else "",
        role=employee.role,
        active=employee.active,
        has_pin=bool(employee.pin_hash),
    )


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(field: ColumnBase, pattern: str) -> NodeList:
    return NodeList((fn.LOWER(field), SQL("LIKE"), pattern, SQL("ESCAPE '\\'")))


@uow.read
def search_people(
    caller: Caller,
    text: str = "",
    *,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> PeoplePage:
    """People whose name or badge contains `text` (any case), by badge, one page at a time;
    inactive people too (to reactivate them). Counted and paged in SQL."""
    _require_people(caller)
    offset = max(int(offset), 0)
    limit = min(max(int(limit), 1), MAX_PAGE)
    wanted = clean_text(text).lower()
    query = Employee.select(Employee, Team).join(
        Team, on=(Employee.team == Team.id), join_type=JOIN.LEFT_OUTER
    )
    counted = Employee.select()
    if wanted:
        pattern = _like(wanted)
        where = _matches(Employee.name, pattern) | _matches(Employee.badge_code, pattern)
        query = query.where(where)
        counted = counted.where(where)
    total = counted.count()
    rows = query.order_by(Employee.badge_code).offset(offset).limit(limit)
    return PeoplePage(
        tuple(_person_row(employee, employee.team) for employee in rows), total, offset, limit
    )


def _employee(badge_code: str) -> Employee:
    code = auth.normalise_badge(badge_code or "")
    employee = Employee.get_or_none(Employee.badge_code == code)
    if employee is None:
        raise NotFound(_("Badge {code} is not known here.", code=shorten(code, 32)))
    return employee


def _department(value: str | None, problems: dict[str, str]) -> Department | None:
    text = clean_text(value or "")
    if not text:
        problems["department"] = _("Choose a department.")
        return None
    department: Department | None = (
        Department.select()
        .where((Department.code == text.upper()) | (Department.name == text))
        .first()
    )
    if department is None or not department.active:
        problems["department"] = _(
            "{department} is not an active department here.", department=shorten(text)
        )
        return None
    return department


def _line_team(value: str | None, problems: dict[str, str], field: str = "team") -> Team | None:
    code = clean_text(value or "").upper()
    if not code:
        problems[field] = _("Choose a team.")
        return None
    team = Team.get_or_none(Team.code == code)
    if team is None or not team.active or team.kind != "line":
        problems[field] = _("{team} is not an active line team.", team=shorten(code, 32))
        return None
    return team


def _role(value: str | None, problems: dict[str, str]) -> str:
    role = clean_text(value or "")
    if role not in ROLE_RANK:
        problems["role"] = _("Choose a role.")
    return role


def _may_handle(actor: EmployeeView, role: str) -> bool:
    """A supervisor handles people up to team leader; a quality admin handles everyone."""
    if actor.role == "quality_admin":
        return True
    return ROLE_RANK[role] <= ROLE_RANK[SUPERVISOR_GIVES_UP_TO]


def _refuse_senior(action: str, target: str, role: str) -> _Refused:
    title = auth.ROLE_TITLES[role].lower()
    return _refuse(
        action,
        target,
        f"a supervisor may not handle a {auth.ROLE_TITLES.english(role)}",
        _("Only a quality admin may make someone a {role} or change a {role}.", role=title),
    )


def _other_active_admins(employee: Employee) -> int:
    """Active quality admins besides this one. On PostgreSQL every admin row is locked, in
    one order, so two admins demoting each other at once are decided one after the other
    (the second sees the first's change and is refused)."""
    query = (
        Employee.select(Employee.id)
        .where((Employee.role == "quality_admin") & Employee.active)
        .order_by(Employee.id)
    )
    return sum(1 for row in for_update(query) if row.id != employee.id)


def _last_admin(action: str, employee: Employee) -> _Refused:
    return _refuse(
        action,
        employee.badge_code,
        "the last active quality admin",
        _(
            "{name} is the last active quality admin: make someone else quality admin first.",
            name=employee.name,
        ),
    )


@_admin_write(_require_people)
def add_person(
    caller: Caller,
    badge_code: str,
    name: str,
    department: str,
    team_code: str,
    role: str = "operator",
) -> PersonRow:
    """A new person on the roster (no PIN yet: a leader and up enrols one)."""
    actor = caller.person
    problems: dict[str, str] = {}
    badge = auth.normalise_badge(clean_text(badge_code or ""))
    if not badge:
        problems["badge_code"] = _("Give the badge code.")
    elif not is_scannable_code(badge):
        problems["badge_code"] = _(
            "“{code}” cannot be printed on a badge or typed by a scanner: use A-Z, 0-9, "
            "'.', '_' and '-', up to 32 characters.",
            code=shorten(badge, 32),
        )
    clean_name = _name(name, "name", problems)
    clean_role = _role(role, problems)
    found_department = _department(department, problems)
    team = _line_team(team_code, problems)
    if badge and "badge_code" not in problems:
        holder = Employee.get_or_none(Employee.badge_code == badge)
        if holder is not None:
            problems["badge_code"] = (
                _("Badge {code} already belongs to {name}.", code=badge, name=holder.name)
                if holder.active
                else _(
                    "Badge {code} belongs to {name} (inactive): reactivate them instead.",
                    code=badge,
                    name=holder.name,
                )
            )
    _check(problems)
    if not _may_handle(actor, clean_role):
        raise _refuse_senior("add_person", badge, clean_role)
    assert found_department is not None and team is not None
    employee = Employee.create(
        badge_code=badge,
        name=clean_name,
        department=found_department.name,
        team=team,
        role=clean_role,
    )
    record_action(
        actor.id,
        "add_person",
        badge,
        caller.now(),
        detail=f"name: {clean_name}; department: {found_department.name}; "
        f"team: {team.code}; role: {clean_role}",
        terminal=caller.terminal,
    )
    return _person_row(employee, team)


@_admin_write(_require_people)
def change_person(
    caller: Caller,
    badge_code: str,
    *,
    name: str | None = None,
    department: str | None = None,
    team_code: str | None = None,
    role: str | None = None,
) -> PersonRow:
    """Change a person's name, department, team or role (None: leave it as it is)."""
    actor = caller.person
    problems: dict[str, str] = {}
    employee = _employee(badge_code)
    old_team = employee.team
    new_name = employee.name if name is None else _name(name, "name", problems)
    new_department = employee.department
    if department is not None:
        found = _department(department, problems)
        new_department = found.name if found else employee.department
        if found is None and department.strip() == employee.department:
            problems.pop("department")  # kept as it is, even if it has gone inactive
    new_team = old_team
    if team_code is not None and (
        old_team is None or clean_text(team_code).upper() != old_team.code
    ):
        new_team = _line_team(team_code, problems)
    new_role = employee.role if role is None else _role(role, problems)
    _check(problems)
    target = employee.badge_code
    if new_role != employee.role and employee.id == actor.id:
        raise _refuse(
            "change_person",
            target,
            "own role",
            _("Nobody changes their own role: ask another quality admin."),
        )
    if not _may_handle(actor, employee.role):
        raise _refuse_senior("change_person", target, employee.role)
    if not _may_handle(actor, new_role):
        raise _refuse_senior("change_person", target, new_role)
    if (
        employee.role == "quality_admin"
        and new_role != "quality_admin"
        and employee.active
        and _other_active_admins(employee) == 0
    ):
        raise _last_admin("change_person", employee)
    changes = []
    if new_name != employee.name:
        changes.append(("name", employee.name, new_name))
    if new_department != employee.department:
        changes.append(("department", employee.department, new_department))
    if (new_team.id if new_team else None) != (old_team.id if old_team else None):
        changes.append(
            ("team", old_team.code if old_team else "-", new_team.code if new_team else "-")
        )
    if new_role != employee.role:
        changes.append(("role", employee.role, new_role))
    if changes:
        Employee.update(
            name=new_name, department=new_department, team=new_team, role=new_role
        ).where(Employee.id == employee.id).execute()
        record_action(
            actor.id,
            "change_person",
            target,
            caller.now(),
            detail=_changes(changes),
            terminal=caller.terminal,
        )
    employee.name, employee.department, employee.role = new_name, new_department, new_role
    return _person_row(employee, new_team)


@_admin_write(_require_people)
def set_person_active(
    caller: Caller,
    badge_code: str,
    active: bool,
) -> PersonRow:
    """Deactivate a leaver (their history stays and keeps their name) or bring them back."""
    actor = caller.person
    action = "reactivate_person" if active else "deactivate_person"
    employee = _employee(badge_code)
    target = employee.badge_code
    if not _may_handle(actor, employee.role):
        raise _refuse_senior(action, target, employee.role)
    if not active and employee.id == actor.id:
        raise _refuse(
            action,
            target,
            "own badge",
            _("Nobody deactivates themselves: ask another supervisor or quality admin."),
        )
    if (
        not active
        and employee.active
        and employee.role == "quality_admin"
        and _other_active_admins(employee) == 0
    ):
        raise _last_admin(action, employee)
    if employee.active != active:
        Employee.update(active=active).where(Employee.id == employee.id).execute()
        record_action(
            actor.id,
            action,
            target,
            caller.now(),
            detail=_changes([("status", _yes_no(employee.active), _yes_no(active))]),
            terminal=caller.terminal,
        )
        employee.active = active
    return _person_row(employee, employee.team)


# --- lines and stations ----------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    code: str
    name: str
    team_code: str
    team_name: str
    active: bool
    stations: int  # active stations


@dataclass(frozen=True)
class StationRow:
    code: str
    name: str
    line_code: str
    team_code: str  # its own team, or "" when the line's team answers for it
    team_name: str
    active: bool


@uow.read
def lines_overview(caller: Caller) -> tuple[LineRow, ...]:
    """Every line (inactive ones too), with its team and how many active stations it has."""
    _require_lines(caller)
    counts = dict(
        db.tuples(
            Station.select(Station.line, fn.COUNT(Station.id))
            .where(Station.active)
            .group_by(Station.line)
        )
    )
    query = (
        ProductionLine.select(ProductionLine, Team)
        .join(Team, on=(ProductionLine.team == Team.id), join_type=JOIN.LEFT_OUTER)
        .order_by(ProductionLine.code)
    )
    return tuple(
        LineRow(
            line.code,
            line.name,
            line.team.code if line.team else "",
            line.team.name if line.team else "",
            line.active,
            counts.get(line.id, 0),
        )
        for line in query
    )


@uow.read
def line_stations(caller: Caller, line_code: str) -> tuple[StationRow, ...]:
    _require_lines(caller)
    line = _line(line_code)
    query = (
        Station.select(Station, Team)
        .join(Team, on=(Station.team == Team.id), join_type=JOIN.LEFT_OUTER)
        .where(Station.line == line)
        .order_by(Station.code)
    )
    return tuple(_station_row(station, line, station.team) for station in query)


def _station_row(station: Station, line: ProductionLine, team: Team | None) -> StationRow:
    return StationRow(
        station.code,
        station.name,
        line.code,
        team.code if team else "",
        team.name if team else "",
        station.active,
    )


def _line(code: str) -> ProductionLine:
    wanted = clean_text(code or "").upper()
    line = ProductionLine.get_or_none(ProductionLine.code == wanted)
    if line is None:
        raise NotFound(_("Line {code} is not known here.", code=shorten(wanted, 32)))
    return line


def _station(code: str) -> Station:
    wanted = clean_text(code or "").upper()
    station = Station.get_or_none(Station.code == wanted)
    if station is None:
        raise NotFound(_("Station {code} is not known here.", code=shorten(wanted, 32)))
    return station


def _line_row(line: ProductionLine, team: Team | None) -> LineRow:
    stations = Station.select().where((Station.line == line) & Station.active).count()
    return LineRow(
        line.code,
        line.name,
        team.code if team else "",
        team.name if team else "",
        line.active,
        stations,
    )


@_admin_write(_require_lines)
def add_line(
    caller: Caller,
    code: str,
    name: str,
    team_code: str,
) -> LineRow:
    actor = caller.person
    problems: dict[str, str] = {}
    clean_code = _code(code, "code", problems)
    clean_name = _name(name, "name", problems)
    team = _line_team(team_code, problems)
    if (
        "code" not in problems
        and ProductionLine.select().where(ProductionLine.code == clean_code).exists()
    ):
        problems["code"] = _("Line {code} exists already.", code=clean_code)
    _check(problems)
    line = ProductionLine.create(code=clean_code, name=clean_name, team=team)
    record_action(
        actor.id,
        "add_line",
        clean_code,
        caller.now(),
        detail=f"name: {clean_name}; team: {team.code if team else '-'}",
        terminal=caller.terminal,
    )
    return _line_row(line, team)


@_admin_write(_require_lines)
def change_line(
    caller: Caller,
    code: str,
    *,
    name: str | None = None,
    team_code: str | None = None,
) -> LineRow:
    """Rename a line or move it to another team (None: leave it)."""
    actor = caller.person
    problems: dict[str, str] = {}
    line = _line(code)
    old_team = line.team
    new_name = line.name if name is None else _name(name, "name", problems)
    new_team = old_team
    if team_code is not None and (
        old_team is None or clean_text(team_code).upper() != old_team.code
    ):
        new_team = _line_team(team_code, problems)
    _check(problems)
    changes = []
    if new_name != line.name:
        changes.append(("name", line.name, new_name))
    if new_team != old_team:
        changes.append(
            ("team", old_team.code if old_team else "-", new_team.code if new_team else "-")
        )
    if changes:
        ProductionLine.update(name=new_name, team=new_team).where(
            ProductionLine.id == line.id
        ).execute()
        record_action(
            actor.id,
            "change_line",
            line.code,
            caller.now(),
            detail=_changes(changes),
            terminal=caller.terminal,
        )
    line.name = new_name
    return _line_row(line, new_team)


@_admin_write(_require_lines)
def set_line_active(
    caller: Caller,
    code: str,
    active: bool,
) -> LineRow:
    """Deactivate a line (its active stations with it) or reactivate it (its stations are
    reactivated one by one, as they are put back)."""
    actor = caller.person
    action = "reactivate_line" if active else "deactivate_line"
    line = _line(code)
    team = line.team
    if active and (team is None or not team.active):
        raise ValidationFailed(
            {"team": _("Line {code} has no active team: move it to one first.", code=line.code)}
        )
    if line.active != active:
        changes = [("status", _yes_no(line.active), _yes_no(active))]
        if not active:
            stopped = [
                code
                for (code,) in db.tuples(
                    Station.select(Station.code)
                    .where((Station.line == line) & Station.active)
                    .order_by(Station.code)
                )
            ]
            if stopped:
                Station.update(active=False).where(
                    (Station.line == line) & Station.active
                ).execute()
                changes.append(("stations", ", ".join(stopped), "inactive"))
        ProductionLine.update(active=active).where(ProductionLine.id == line.id).execute()
        record_action(
            actor.id,
            action,
            line.code,
            caller.now(),
            detail=_changes(changes),
            terminal=caller.terminal,
        )
        line.active = active
    return _line_row(line, team)


def _station_team(value: str | None, problems: dict[str, str]) -> Team | None:
    """A station's own team: empty means the line's team answers for it."""
    if not clean_text(value or ""):
        return None
    return _line_team(value, problems)


def _active_line(value: str | None, problems: dict[str, str]) -> ProductionLine | None:
    code = clean_text(value or "").upper()
    if not code:
        problems["line"] = _("Choose a line.")
        return None
    line = ProductionLine.get_or_none(ProductionLine.code == code)
    if line is None:
        problems["line"] = _("Line {code} is not known here.", code=shorten(code, 32))
        return None
    if not line.active:
        problems["line"] = _(
            "Line {code} is inactive: a station cannot be on it. Reactivate the line first.",
            code=line.code,
        )
        return None
    return line


@_admin_write(_require_lines)
def add_station(
    caller: Caller,
    code: str,
    name: str,
    line_code: str,
    team_code: str = "",
) -> StationRow:
    actor = caller.person
    problems: dict[str, str] = {}
    clean_code = _code(code, "code", problems)
    clean_name = _name(name, "name", problems)
    line = _active_line(line_code, problems)
    team = _station_team(team_code, problems)
    if "code" not in problems and Station.select().where(Station.code == clean_code).exists():
        problems["code"] = _("Station {code} exists already.", code=clean_code)
    _check(problems)
    assert line is not None
    station = Station.create(code=clean_code, name=clean_name, line=line, team=team)
    record_action(
        actor.id,
        "add_station",
        clean_code,
        caller.now(),
        detail=f"name: {clean_name}; line: {line.code}; team: {team.code if team else '-'}",
        terminal=caller.terminal,
    )
    return _station_row(station, line, team)


@_admin_write(_require_lines)
def change_station(
    caller: Caller,
    code: str,
    *,
    name: str | None = None,
    line_code: str | None = None,
    team_code: str | None = None,
) -> StationRow:
    """Rename a station, move it to another line, or give it its own team ("" for the
    line's team); None leaves a field as it is."""
    actor = caller.person
    problems: dict[str, str] = {}
    station = _station(code)
    old_line, old_team = station.line, station.team
    new_name = station.name if name is None else _name(name, "name", problems)
    new_line: ProductionLine | None = old_line
    if line_code is not None and clean_text(line_code).upper() != old_line.code:
        new_line = _active_line(line_code, problems)
    new_team = old_team
    if team_code is not None and clean_text(team_code).upper() != (
        old_team.code if old_team else ""
    ):
        new_team = _station_team(team_code, problems)
    _check(problems)
    assert new_line is not None
    changes = []
    if new_name != station.name:
        changes.append(("name", station.name, new_name))
    if new_line.id != old_line.id:
        changes.append(("line", old_line.code, new_line.code))
    if new_team != old_team:
        changes.append(
            ("team", old_team.code if old_team else "-", new_team.code if new_team else "-")
        )
    if changes:
        Station.update(name=new_name, line=new_line, team=new_team).where(
            Station.id == station.id
        ).execute()
        record_action(
            actor.id,
            "change_station",
            station.code,
            caller.now(),
            detail=_changes(changes),
            terminal=caller.terminal,
        )
    station.name = new_name
    return _station_row(station, new_line, new_team)


@_admin_write(_require_lines)
def set_station_active(
    caller: Caller,
    code: str,
    active: bool,
) -> StationRow:
    actor = caller.person
    action = "reactivate_station" if active else "deactivate_station"
    station = _station(code)
    line, team = station.line, station.team
    if active and not line.active:
        raise ValidationFailed(
            {
                "line": _(
                    "Line {code} is inactive: a station cannot be on it. Reactivate the "
                    "line first.",
                    code=line.code,
                )
            }
        )
    if station.active != active:
        Station.update(active=active).where(Station.id == station.id).execute()
        record_action(
            actor.id,
            action,
            station.code,
            caller.now(),
            detail=_changes([("status", _yes_no(station.active), _yes_no(active))]),
            terminal=caller.terminal,
        )
        station.active = active
    return _station_row(station, line, team)


# --- suppliers, departments, line teams -------------------------------------------------


@dataclass(frozen=True)
class CodeRow:
    """A supplier, a department or a line team: its code, name, whether active, and how
    much hangs on it (active employees of a department; active lines of a team)."""

    code: str
    name: str
    active: bool
    used_by: int = 0


_KINDS: dict[str, tuple[type[Supplier | Department | Team], str, str]] = {
    # kind: (model, role, action phrase, audit noun)
    "supplier": (Supplier, SUPPLIERS_ROLE, "manage suppliers"),
    "department": (Department, STRUCTURE_ROLE, "manage departments and teams"),
    "team": (Team, STRUCTURE_ROLE, "manage departments and teams"),
}


def _kind(kind: str) -> tuple[type[Supplier | Department | Team], str, str]:
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    return _KINDS[kind]


def _scoped(model: type[Model], query: ModelSelect[Any]) -> ModelSelect[Any]:
    return query.where(model.kind == "line") if model is Team else query


def _used_by(kind: str) -> dict[int, int]:
    if kind == "department":
        return {
            department_id: count
            for department_id, count in db.tuples(
                Department.select(Department.id, fn.COUNT(Employee.id))
                .join(Employee, on=(Employee.department == Department.name))
                .where(Employee.active)
                .group_by(Department.id)
            )
        }
    if kind == "team":
        return dict(
            db.tuples(
                ProductionLine.select(ProductionLine.team, fn.COUNT(ProductionLine.id))
                .where(ProductionLine.active)
                .group_by(ProductionLine.team)
            )
        )
    return {}


@uow.read
def code_rows(caller: Caller, kind: str) -> tuple[CodeRow, ...]:
    """Every supplier, department or line team (inactive ones too), by code."""
    _require_kind(caller, kind)
    model = _kind(kind)[0]
    used = _used_by(kind)
    query = _scoped(model, model.select()).order_by(model.code)
    return tuple(CodeRow(row.code, row.name, row.active, used.get(row.id, 0)) for row in query)


def _row_of(kind: str, code: str) -> Supplier | Department | Team:
    model = _kind(kind)[0]
    wanted = clean_text(code or "").upper()
    row: Supplier | Department | Team | None = _scoped(
        model, model.select().where(fn.UPPER(model.code) == wanted)
    ).first()
    if row is None:
        raise NotFound(_("{code} is not known here.", code=shorten(wanted, 32)))
    return row


@_admin_write(_require_kind)
def add_code_row(
    caller: Caller,
    kind: str,
    code: str,
    name: str,
) -> CodeRow:
    """A new supplier, department or line team."""
    actor = caller.person
    model = _kind(kind)[0]
    problems: dict[str, str] = {}
    clean_code = _code(code, "code", problems)
    limit = DEPARTMENT_NAME_MAX if kind == "department" else NAME_MAX
    clean_name = _name(name, "name", problems, limit)
    if "code" not in problems and model.select().where(model.code == clean_code).exists():
        problems["code"] = _("{code} exists already.", code=clean_code)
    if (
        kind == "department"
        and "name" not in problems
        and Department.select().where(Department.name == clean_name).exists()
    ):
        problems["name"] = _("A department is called {name} already.", name=clean_name)
    _check(problems)
    extra = {"kind": "line"} if kind == "team" else {}
    model.create(code=clean_code, name=clean_name, **extra)
    record_action(
        actor.id,
        f"add_{kind}",
        clean_code,
        caller.now(),
        detail=f"name: {clean_name}",
        terminal=caller.terminal,
    )
    return CodeRow(clean_code, clean_name, True)


@_admin_write(_require_kind)
def rename_code_row(
    caller: Caller,
    kind: str,
    code: str,
    name: str,
) -> CodeRow:
    """Rename a supplier, department or line team. A department's new name reaches its
    employees (who hold the name) in the same transaction."""
    actor = caller.person
    model = _kind(kind)[0]
    problems: dict[str, str] = {}
    limit = DEPARTMENT_NAME_MAX if kind == "department" else NAME_MAX
    clean_name = _name(name, "name", problems, limit)
    row = _row_of(kind, code)
    if (
        kind == "department"
        and "name" not in problems
        and Department.select()
        .where((Department.name == clean_name) & (Department.id != row.id))
        .exists()
    ):
        problems["name"] = _("A department is called {name} already.", name=clean_name)
    _check(problems)
    old_name = row.name
    if clean_name != old_name:
        model.update(name=clean_name).where(model.id == row.id).execute()
        detail = _changes([("name", old_name, clean_name)])
        if kind == "department":
            moved = (
                Employee.update(department=clean_name)
                .where(Employee.department == old_name)
                .execute()
            )
            detail += f"; employees renamed: {moved}"
        record_action(
            actor.id,
            f"rename_{kind}",
            row.code,
            caller.now(),
            detail=detail,
            terminal=caller.terminal,
        )
    return CodeRow(row.code, clean_name, row.active, _used_by(kind).get(row.id, 0))


@_admin_write(_require_kind)
def set_code_row_active(
    caller: Caller,
    kind: str,
    code: str,
    active: bool,
) -> CodeRow:
    """Deactivate or reactivate a supplier, department or line team. A department is
    not deactivated while active employees are in it, nor a team while active employees
    are in it or an active line or station depends on it."""
    actor = caller.person
    model = _kind(kind)[0]
    action = f"{'reactivate' if active else 'deactivate'}_{kind}"
    row = _row_of(kind, code)
    if not active and row.active:
        if kind == "department":
            people = (
                Employee.select().where((Employee.department == row.name) & Employee.active).count()
            )
            if people:
                raise ValidationFailed(
                    {
                        "code": _(
                            "{count} active employees are in {name}: move them to another "
                            "department first.",
                            count=people,
                            name=row.name,
                        )
                    }
                )
        if kind == "team":
            lines = [
                code
                for (code,) in db.tuples(
                    ProductionLine.select(ProductionLine.code)
                    .where((ProductionLine.team == row) & ProductionLine.active)
                    .order_by(ProductionLine.code)
                )
            ]
            stations = [
                code
                for (code,) in db.tuples(
                    Station.select(Station.code)
                    .join(ProductionLine)
                    .where((Station.team == row) & Station.active & ProductionLine.active)
                    .order_by(Station.code)
                )
            ]
            people = Employee.select().where((Employee.team == row) & Employee.active).count()
            if people:
                raise ValidationFailed(
                    {
                        "code": _(
                            "{count} active employees are in team {code}: move them to "
                            "another team first.",
                            count=people,
                            code=row.code,
                        )
                    }
                )
            if lines or stations:
                raise ValidationFailed(
                    {
                        "code": _(
                            "Team {code} answers for {places}: move them to another team first.",
                            code=row.code,
                            places=shorten(", ".join(lines + stations), 60),
                        )
                    }
                )
    if row.active != active:
        model.update(active=active).where(model.id == row.id).execute()
        record_action(
            actor.id,
            action,
            row.code,
            caller.now(),
            detail=_changes([("status", _yes_no(row.active), _yes_no(active))]),
            terminal=caller.terminal,
        )
    return CodeRow(row.code, row.name, active, _used_by(kind).get(row.id, 0))


# --- labels -----------------------------------------------------------------------------


def print_label(caller: Caller, kind: str, code: str, folder: Path) -> Path:
    """Write one badge ("B") or station ("S") label as a PDF sheet into `folder` (made if
    missing); returns the file's path."""
    from kiosk.services.reports import labels  # Pillow and qrcode load only when a label is printed

    if kind == "B":
        _require_people(caller)
        label_set = labels.badge_label(code)
    else:
        _require_lines(caller)
        label_set = labels.station_label(code)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationFailed(
            {
                "output": _(
                    "The folder {folder} cannot be made: {reason}.",
                    folder=folder,
                    reason=exc.strerror or exc,
                )
            }
        ) from exc
    written = labels.write_sheets(label_set, folder / f"{label_set.slug}.pdf", "pdf")
    return written.files[0]
