"""`kiosk import plant`: the plant's structure from a file, upserted by code.

What a plant file holds, in this order (each kind optional; see `write_template`):

- departments: code, name (at most 40 characters). Employees carry the department's
  name: renaming a department renames it on its employees in the same transaction. A
  new code whose name an existing department already has takes that department over
  (its code changes).
- teams: code, name. Line teams only; contest teams are never touched (a file naming a
  contest team's code is refused).
- lines: code, name, team (the responsible team: required, because a defect reported
  at a station goes to the line's team).
- stations: code, name, line, and team (optional: empty means the line's team).
- suppliers: code, name.

A TOML file with `[[departments]]`, `[[teams]]`, `[[lines]]`, `[[stations]]` and
`[[suppliers]]` tables; an XLSX workbook with a sheet per kind (named like the kinds;
other sheets, e.g. Notes, are ignored); or CSV files, one per kind, named after it
(`stations.csv`, `plant-lines.csv`).

Upsert by code: a code that is new is added, a changed name/team/line is updated, an
inactive one in the file is active again; the same file twice changes nothing. What the
database has and the file does not is left alone, unless `deactivate_missing` (then it
is deactivated, never deleted: history keeps pointing at it).

Refused (nothing written), each with its line or sheet row: empty or doubled codes,
codes a scanner cannot type, unknown or inactive teams and lines, a station on an
inactive line (or on one this import deactivates), a contest team's code. A team that
is responsible for no line or station is imported with a warning (an office team, e.g.
Quality, has members but no line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import IntegrityError, fn

from kiosk.clock import Clock, SystemClock
from kiosk.errors import Conflict
from kiosk.i18n import _
from kiosk.services.auth import record_action
from kiosk.services.stations import is_scannable_code
from kiosk.services.tabular import (
    Columns,
    Problems,
    Row,
    Table,
    doubled,
    find_sheet,
    normalise_name,
    open_workbook,
    read_csv,
    read_toml,
    refuse,
    sheet_table,
    toml_table,
)
from kiosk.services.text import shorten
from kiosk.services.uow import read_only, transaction
from models import Department, Employee, ProductionLine, Station, Supplier, Team

KINDS = ("departments", "teams", "lines", "stations", "suppliers")
SINGULAR = {
    "departments": "department",
    "teams": "team",
    "lines": "line",
    "stations": "station",
    "suppliers": "supplier",
}
NAME_MAX = 120
DEPARTMENT_NAME_MAX = 40  # employees carry the department's name (employee.department)
_CODE = ("code", "id", "代码", "编码", "编号")
_NAME = ("name", "title", "名称")
COLUMNS: dict[str, Columns] = {
    "departments": Columns(
        ("code", "name"),
        synonyms={"code": (*_CODE, "department_code", "dept_code"), "name": (*_NAME, "部门")},
        code_columns=frozenset({"code"}),
    ),
    "teams": Columns(
        ("code", "name"),
        synonyms={"code": (*_CODE, "team_code"), "name": (*_NAME, "team_name", "班组")},
        code_columns=frozenset({"code"}),
    ),
    "lines": Columns(
        ("code", "name", "team"),
        synonyms={
            "code": (*_CODE, "line_code"),
            "name": (*_NAME, "line_name", "产线"),
            "team": ("team_code", "responsible_team", "班组", "责任班组"),
        },
        code_columns=frozenset({"code", "team"}),
    ),
    "stations": Columns(
        ("code", "name", "line"),
        ("team",),
        synonyms={
            "code": (*_CODE, "station_code"),
            "name": (*_NAME, "station_name", "工位"),
            "line": ("line_code", "产线", "线体"),
            "team": ("team_code", "responsible_team", "班组", "责任班组"),
        },
        code_columns=frozenset({"code", "line", "team"}),
    ),
    "suppliers": Columns(
        ("code", "name"),
        synonyms={"code": (*_CODE, "supplier_code"), "name": (*_NAME, "supplier_name", "供应商")},
        code_columns=frozenset({"code"}),
    ),
}
SHEET_NAMES = {
    "departments": ("departments", "department", "部门"),
    "teams": ("teams", "team", "line teams", "班组"),
    "lines": ("lines", "line", "production lines", "产线"),
    "stations": ("stations", "station", "工位"),
    "suppliers": ("suppliers", "supplier", "供应商"),
}


# -- reading -------------------------------------------------------------------------


def read_plant_files(paths: Sequence[Path]) -> dict[str, Table]:
    """The plant file(s) as one table per kind (a kind the file does not hold: no rows)."""
    paths = [Path(p) for p in paths]
    suffixes = {p.suffix.lower() for p in paths}
    if len(paths) == 1 and suffixes == {".toml"}:
        tables = _from_toml(paths[0])
    elif len(paths) == 1 and suffixes <= {".xlsx", ".xlsm"}:
        tables = _from_xlsx(paths[0])
    elif paths and suffixes <= {".csv", ".txt"}:
        tables = _from_csv_files(paths)
    else:
        raise refuse(
            _(
                "A plant file is one .toml file, one .xlsx workbook (a sheet per kind), or "
                "CSV files, one per kind (departments.csv, teams.csv, lines.csv, "
                "stations.csv, suppliers.csv)."
            )
        )
    if not any(table.rows for table in tables.values()):
        raise refuse(
            _(
                "{name} holds no departments, teams, lines, stations or suppliers.",
                name=", ".join(p.name for p in paths),
            )
        )
    return tables


def _empty(kind: str) -> Table:
    return Table(kind, frozenset(), ())


def _from_toml(path: Path) -> dict[str, Table]:
    data, text = read_toml(path)
    tables = {}
    for number, kind in enumerate(KINDS):
        key = next((k for k in (kind, SINGULAR[kind]) if k in data), kind)
        tables[kind] = toml_table(data, text, key, COLUMNS[kind], table=number)
    return tables


def _from_xlsx(path: Path) -> dict[str, Table]:
    workbook = open_workbook(path)
    try:
        tables = {}
        for number, kind in enumerate(KINDS):
            sheet = find_sheet(workbook, SHEET_NAMES[kind])
            tables[kind] = (
                sheet_table(workbook, sheet, COLUMNS[kind], sheet=number) if sheet else _empty(kind)
            )
        return tables
    finally:
        workbook.close()


def _kind_of_file(path: Path) -> str:
    stem = normalise_name(path.stem)
    found = [kind for kind in KINDS if SINGULAR[kind] in stem]
    if len(found) != 1:
        raise refuse(
            _(
                "{name}: name each CSV file after what it holds (departments.csv, teams.csv, "
                "lines.csv, stations.csv, suppliers.csv).",
                name=path.name,
            )
        )
    return found[0]


def _from_csv_files(paths: Sequence[Path]) -> dict[str, Table]:
    tables = {kind: _empty(kind) for kind in KINDS}
    for path in paths:
        kind = _kind_of_file(path)
        if tables[kind].rows:
            raise refuse(_("Two files hold {kind}: give one.", kind=kind))
        table = read_csv(path, COLUMNS[kind])
        # problems sort by file: give this file's rows the kind's number
        number = KINDS.index(kind)
        tables[kind] = Table(
            f"{path.name}",
            table.columns,
            tuple(
                Row(
                    _("{name} line {line}", name=path.name, line=r.order[1]),
                    (number, r.order[1]),
                    r.cells,
                )
                for r in table.rows
            ),
        )
    return tables


# -- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class KindCounts:
    added: int = 0
    changed: int = 0
    deactivated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class PlantImport:
    """What an import did (or, with dry_run, would do)."""

    source: str
    counts: tuple[tuple[str, KindCounts], ...]
    changes: tuple[str, ...]  # one line per added/changed/deactivated thing
    warnings: tuple[str, ...]
    dry_run: bool

    @property
    def changed_anything(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        """One line, English (the audit trail and the CLI)."""
        parts = []
        for kind, count in self.counts:
            parts.append(
                f"{kind} {count.added} added, {count.changed} changed, "
                f"{count.deactivated} deactivated, {count.unchanged} unchanged"
            )
        return "; ".join(parts)


@dataclass
class _Change:
    kind: str
    code: str
    existing_id: int | None  # None: to add
    values: dict[str, Any]
    text: str
    old_name: str = ""  # a department's name before a rename


@dataclass
class _Plan:
    changes: list[_Change]
    deactivate: dict[str, list[tuple[int, str]]]
    counts: dict[str, KindCounts]
    warnings: list[str]


def _code(row: Row, column: str, problems: Problems, *, required: bool = True) -> str:
    code = row.get(column).upper()
    if not code:
        if required:
            problems.add(row, _("{column} is empty", column=column))
        return ""
    if not is_scannable_code(code):
        problems.add(
            row,
            _(
                "{column} {code} cannot go on a label a scanner reads: use A-Z, 0-9, '.', '_' "
                "and '-', at most 32 characters",
                column=column,
                code=shorten(code, 40),
            ),
        )
        return ""
    return code


def _name(row: Row, problems: Problems, limit: int = NAME_MAX) -> str:
    name = row.get("name")
    if not name:
        problems.add(row, _("name is empty"))
    elif len(name) > limit:
        problems.add(row, _("name is longer than {count} characters", count=limit))
    return name


def _rows(table: Table, problems: Problems, name_max: int) -> list[tuple[Row, str, str]]:
    """(row, code, name) of each row with a good code, a doubled code reported."""
    for row, first in doubled(table.rows, "code"):
        problems.add(
            row,
            _("code {code} is also on {where}", code=row.get("code").upper(), where=first.where),
        )
    seen: set[str] = set()
    good = []
    for row in table.rows:
        code, name = _code(row, "code", problems), _name(row, problems, name_max)
        if code and code not in seen:
            seen.add(code)
            good.append((row, code, name))
    return good


class _Existing:
    """What the database holds now, loaded once."""

    def __init__(self) -> None:
        self.departments = {d.code: d for d in Department.select()}
        self.teams = {t.code: t for t in Team.select()}
        self.lines = {line.code: line for line in ProductionLine.select()}
        self.stations = {s.code: s for s in Station.select()}
        self.suppliers = {s.code: s for s in Supplier.select()}
        team_codes = {t.id: t.code for t in self.teams.values()}
        self.team_code = team_codes.get
        self.line_code = {line.id: line.code for line in self.lines.values()}.get


def _plan(tables: Mapping[str, Table], deactivate_missing: bool) -> _Plan:
    problems = Problems()
    now = _Existing()
    changes: list[_Change] = []
    counts: dict[str, KindCounts] = {}
    deactivate: dict[str, list[tuple[int, str]]] = {kind: [] for kind in KINDS}
    rows = {
        kind: _rows(
            tables[kind], problems, DEPARTMENT_NAME_MAX if kind == "departments" else NAME_MAX
        )
        for kind in KINDS
    }
    in_file = {kind: {code for _row, code, _name in rows[kind]} for kind in KINDS}

    def tally(kind: str, added: int, changed: int, unchanged: int) -> None:
        counts[kind] = KindCounts(added, changed, len(deactivate[kind]), unchanged)

    # which existing teams and lines stay usable after this import
    def usable_team(code: str) -> bool:
        return code in in_file["teams"] or (
            code in now.teams
            and now.teams[code].kind == "line"
            and now.teams[code].active
            and not deactivate_missing
        )

    def team_problem(row: Row, code: str) -> None:
        team = now.teams.get(code)
        if team is None:
            message = _("unknown team {code}: not in the file's teams nor in the plant", code=code)
        elif team.kind != "line":
            message = _("{code} is a contest team, not a line team", code=code)
        elif not team.active:
            message = _("team {code} is inactive: add it to the file's teams", code=code)
        else:
            message = _(
                "team {code} is not in the file, so --deactivate-missing would deactivate it",
                code=code,
            )
        problems.add(row, message)

    # departments (matched by code, else taken over by name)
    added = changed = unchanged = 0
    names_in_file: dict[str, Row] = {}
    by_name = {d.name.lower(): d for d in now.departments.values()}
    claimed: set[str] = set()
    for row, code, name in rows["departments"]:
        if not name:
            continue  # reported
        if name.lower() in names_in_file:
            problems.add(
                row,
                _(
                    "name {name} is also on {where}",
                    name=name,
                    where=names_in_file[name.lower()].where,
                ),
            )
            continue
        names_in_file[name.lower()] = row
        existing = now.departments.get(code)
        holder = by_name.get(name.lower())
        if existing is None and holder is not None and holder.code not in in_file["departments"]:
            existing = holder  # the department this name already is: its code changes
        elif holder is not None and existing is not None and holder.id != existing.id:
            problems.add(
                row, _("name {name} belongs to department {code}", name=name, code=holder.code)
            )
            continue
        if existing is None:
            added += 1
            changes.append(
                _Change(
                    "departments",
                    code,
                    None,
                    {"code": code, "name": name},
                    f"+ department {code} {name!r}",
                )
            )
            continue
        claimed.add(existing.code)
        values: dict[str, Any] = {}
        what = []
        if existing.code != code:
            values["code"] = code
            what.append(f"code {existing.code} -> {code}")
        if existing.name != name:
            values["name"] = name
            what.append(f"name {existing.name!r} -> {name!r}")
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if values:
            changed += 1
            changes.append(
                _Change(
                    "departments",
                    code,
                    existing.id,
                    values,
                    f"~ department {code}: {', '.join(what)}",
                    existing.name,
                )
            )
        else:
            unchanged += 1
    if deactivate_missing:
        deactivate["departments"] = [
            (d.id, f"- department {d.code} {d.name!r} deactivated")
            for d in now.departments.values()
            if d.active and d.code not in in_file["departments"] and d.code not in claimed
        ]
    tally("departments", added, changed, unchanged)

    # teams (line teams)
    added = changed = unchanged = 0
    for row, code, name in rows["teams"]:
        existing = now.teams.get(code)
        if existing is not None and existing.kind != "line":
            problems.add(row, _("{code} is a contest team, not a line team", code=code))
            continue
        if existing is None:
            added += 1
            changes.append(
                _Change(
                    "teams",
                    code,
                    None,
                    {"code": code, "name": name, "kind": "line"},
                    f"+ team {code} {name!r}",
                )
            )
            continue
        values, what = {}, []
        if existing.name != name:
            values["name"] = name
            what.append(f"name {existing.name!r} -> {name!r}")
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if values:
            changed += 1
            changes.append(
                _Change("teams", code, existing.id, values, f"~ team {code}: {', '.join(what)}")
            )
        else:
            unchanged += 1
    if deactivate_missing:
        deactivate["teams"] = [
            (t.id, f"- team {t.code} {t.name!r} deactivated")
            for t in now.teams.values()
            if t.kind == "line" and t.active and t.code not in in_file["teams"]
        ]
    tally("teams", added, changed, unchanged)

    # lines
    added = changed = unchanged = 0
    responsible: set[str] = set()
    for row, code, name in rows["lines"]:
        team = _code(row, "team", problems)
        if team and not usable_team(team):
            team_problem(row, team)
            continue
        if not team:
            continue
        responsible.add(team)
        existing = now.lines.get(code)
        if existing is None:
            added += 1
            changes.append(
                _Change(
                    "lines",
                    code,
                    None,
                    {"code": code, "name": name, "team": team},
                    f"+ line {code} {name!r}, team {team}",
                )
            )
            continue
        values, what = {}, []
        if existing.name != name:
            values["name"] = name
            what.append(f"name {existing.name!r} -> {name!r}")
        if now.team_code(existing.team_id) != team:
            values["team"] = team
            what.append(f"team {now.team_code(existing.team_id) or '-'} -> {team}")
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if values:
            changed += 1
            changes.append(
                _Change("lines", code, existing.id, values, f"~ line {code}: {', '.join(what)}")
            )
        else:
            unchanged += 1
    if deactivate_missing:
        deactivate["lines"] = [
            (line.id, f"- line {line.code} {line.name!r} deactivated")
            for line in now.lines.values()
            if line.active and line.code not in in_file["lines"]
        ]
    else:  # lines kept as they are keep their teams busy
        responsible |= {
            now.team_code(line.team_id) or ""
            for line in now.lines.values()
            if line.active and line.code not in in_file["lines"]
        }
    tally("lines", added, changed, unchanged)

    # stations
    added = changed = unchanged = 0
    for row, code, name in rows["stations"]:
        line = _code(row, "line", problems)
        team = _code(row, "team", problems, required=False)
        if line and line not in in_file["lines"]:
            known = now.lines.get(line)
            if known is None:
                problems.add(
                    row,
                    _("unknown line {code}: not in the file's lines nor in the plant", code=line),
                )
                continue
            if not known.active:
                problems.add(
                    row,
                    _(
                        "station {station} is on line {code}, which is inactive: add the line "
                        "to the file's lines, or put the station on another line",
                        station=code,
                        code=line,
                    ),
                )
                continue
            if deactivate_missing:
                problems.add(
                    row,
                    _(
                        "line {code} is not in the file, so --deactivate-missing would "
                        "deactivate it under station {station}",
                        code=line,
                        station=code,
                    ),
                )
                continue
        if team and not usable_team(team):
            team_problem(row, team)
            continue
        if not line:
            continue
        if team:
            responsible.add(team)
        existing = now.stations.get(code)
        if existing is None:
            added += 1
            changes.append(
                _Change(
                    "stations",
                    code,
                    None,
                    {"code": code, "name": name, "line": line, "team": team or None},
                    f"+ station {code} {name!r} on line {line}"
                    + (f", team {team}" if team else ""),
                )
            )
            continue
        values, what = {}, []
        if existing.name != name:
            values["name"] = name
            what.append(f"name {existing.name!r} -> {name!r}")
        if now.line_code(existing.line_id) != line:
            values["line"] = line
            what.append(f"line {now.line_code(existing.line_id)} -> {line}")
        old_team = now.team_code(existing.team_id) if existing.team_id else None
        if old_team != (team or None):
            values["team"] = team or None
            what.append(f"team {old_team or '(the line’s)'} -> {team or '(the line’s)'}")
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if values:
            changed += 1
            changes.append(
                _Change(
                    "stations", code, existing.id, values, f"~ station {code}: {', '.join(what)}"
                )
            )
        else:
            unchanged += 1
    if deactivate_missing:
        deactivate["stations"] = [
            (s.id, f"- station {s.code} {s.name!r} deactivated")
            for s in now.stations.values()
            if s.active and s.code not in in_file["stations"]
        ]
    else:
        responsible |= {
            now.team_code(s.team_id) or ""
            for s in now.stations.values()
            if s.active and s.team_id and s.code not in in_file["stations"]
        }
    tally("stations", added, changed, unchanged)

    # suppliers
    added = changed = unchanged = 0
    for _row, code, name in rows["suppliers"]:
        existing = now.suppliers.get(code)
        if existing is None:
            added += 1
            changes.append(
                _Change(
                    "suppliers",
                    code,
                    None,
                    {"code": code, "name": name},
                    f"+ supplier {code} {name!r}",
                )
            )
            continue
        values, what = {}, []
        if existing.name != name:
            values["name"] = name
            what.append(f"name {existing.name!r} -> {name!r}")
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if values:
            changed += 1
            changes.append(
                _Change(
                    "suppliers", code, existing.id, values, f"~ supplier {code}: {', '.join(what)}"
                )
            )
        else:
            unchanged += 1
    if deactivate_missing:
        deactivate["suppliers"] = [
            (s.id, f"- supplier {s.code} {s.name!r} deactivated")
            for s in now.suppliers.values()
            if s.active and s.code not in in_file["suppliers"]
        ]
    tally("suppliers", added, changed, unchanged)

    problems.check()
    warnings = [
        f"team {code} is responsible for no line or station (fine for an office team; "
        "defects reported at a station never go to it)"
        for _row, code, _name in rows["teams"]
        if code not in responsible
    ]
    going = [team_id for team_id, _text in deactivate["teams"]]
    if going:
        members = (
            Employee.select(Employee.team, fn.COUNT(Employee.id))
            .where(Employee.team.in_(going) & Employee.active)
            .group_by(Employee.team)
            .tuples()
        )
        code_of = {t.id: t.code for t in now.teams.values()}
        warnings += [
            f"team {code_of[team_id]} is deactivated but {count} active people are on it: "
            "import the roster next"
            for team_id, count in members
        ]
    going_departments = {
        d.name: d.code
        for d in now.departments.values()
        if d.id in {i for i, _t in deactivate["departments"]}
    }
    if going_departments:
        members = (
            Employee.select(Employee.department, fn.COUNT(Employee.id))
            .where(Employee.department.in_(list(going_departments)) & Employee.active)
            .group_by(Employee.department)
            .tuples()
        )
        warnings += [
            f"department {going_departments[name]} is deactivated but {count} active people "
            "are in it: import the roster next"
            for name, count in members
        ]
    return _Plan(changes, deactivate, counts, warnings)


# -- the import ----------------------------------------------------------------------

_MODELS = {
    "departments": Department,
    "teams": Team,
    "lines": ProductionLine,
    "stations": Station,
    "suppliers": Supplier,
}


def _apply(plan: _Plan) -> None:
    team_ids = {t.code: t.id for t in Team.select(Team.id, Team.code)}
    line_ids = {
        line.code: line.id for line in ProductionLine.select(ProductionLine.id, ProductionLine.code)
    }
    for change in plan.changes:  # in kind order: teams exist before their lines
        model = _MODELS[change.kind]
        values = dict(change.values)
        if "team" in values:
            values["team"] = team_ids[values["team"]] if values["team"] else None
        if "line" in values:
            values["line"] = line_ids[values["line"]]
        if change.existing_id is None:
            created = model.create(**values)
            if change.kind == "teams":
                team_ids[change.code] = created.id
            elif change.kind == "lines":
                line_ids[change.code] = created.id
            continue
        model.update(**values).where(model.id == change.existing_id).execute()
        if change.kind == "departments" and "name" in values:
            Employee.update(department=values["name"]).where(
                Employee.department == change.old_name
            ).execute()
    for kind in reversed(KINDS):
        ids = [row_id for row_id, _text in plan.deactivate[kind]]
        if ids:
            model = _MODELS[kind]
            model.update(active=False).where(model.id.in_(ids)).execute()


def _result(plan: _Plan, source: str, dry_run: bool) -> PlantImport:
    texts = [change.text for change in plan.changes]
    for kind in KINDS:
        texts += [text for _id, text in plan.deactivate[kind]]
    return PlantImport(
        source=source,
        counts=tuple((kind, plan.counts[kind]) for kind in KINDS),
        changes=tuple(texts),
        warnings=tuple(plan.warnings),
        dry_run=dry_run,
    )


@read_only
def _dry_run(tables: Mapping[str, Table], deactivate_missing: bool, source: str) -> PlantImport:
    return _result(_plan(tables, deactivate_missing), source, True)


def import_plant(
    paths: Sequence[Path | str],
    *,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    who: str = "",
    clock: Clock | None = None,
) -> PlantImport:
    """Read, check and upsert the plant file(s): all or nothing, one audit row.

    `who` names the person who ran it (the OS user for the CLI) in the audit detail.
    """
    paths = [Path(p) for p in paths]
    source = shorten(", ".join(p.name for p in paths), 120)
    tables = read_plant_files(paths)
    if dry_run:
        return _dry_run(tables, deactivate_missing, source)
    now = (clock or SystemClock()).now()
    try:
        with transaction():
            plan = _plan(tables, deactivate_missing)
            _apply(plan)
            result = _result(plan, source, False)
            record_action(
                None,
                "import_plant",
                source,
                now,
                detail=(
                    f"{result.summary()}"
                    + (" (--deactivate-missing)" if deactivate_missing else "")
                    + (f"; run by OS user {who}" if who else "")
                ),
            )
    except IntegrityError:  # another import (or an admin) wrote the same code meanwhile
        raise Conflict(
            _(
                "The plant changed while this file was imported: nothing was imported. Run the "
                "import again."
            )
        ) from None
    return result


# -- the template --------------------------------------------------------------------

TEMPLATE_TOML = """\
# Quality Kiosk plant file: import it with `kiosk import plant FILE.toml`
# (`--dry-run` first shows what it would add, change and deactivate).
#
# Every entry is matched by its code: importing the file again changes nothing, a
# changed name, team or line is updated. Codes are what labels and scanners carry:
# upper-case letters A-Z, digits 0-9, '.', '_' and '-', at most 32 characters (lower
# case is read as upper case). Names: up to 120 characters (departments: 40); Chinese
# is fine.
# Whatever the plant has and this file does not is left alone, unless the import
# runs with --deactivate-missing: then it is deactivated (never deleted).
# A kind you do not need yet can be left out; the order of the kinds does not matter.

# Departments: employees' department in the roster is one of these (its code or name).
# Renaming a department here renames it on its employees.
[[departments]]
code = "MFG"                  # required: a short code
name = "Manufacturing"        # required: the name people see

[[departments]]
code = "QA"
name = "Quality"

# Teams: the line teams points go to (contest teams are made in the app, not here).
# The roster puts each person in one of these teams, by code.
[[teams]]
code = "T1"                   # required
name = "Line 1 team"          # required

[[teams]]
code = "QT"
name = "Quality team"         # a team with no line is fine (you get a warning)

# Production lines: each has the team responsible for its defects.
[[lines]]
code = "L1"                   # required
name = "DC fast charger assembly"   # required
team = "T1"                   # required: a team code (from [[teams]] or already in the plant)

# Stations: each gets a QR label (kiosk labels --line L1); scanning it says where you are.
[[stations]]
code = "L1-S01"               # required: printed under the QR label
name = "Cable harness"        # required
line = "L1"                   # required: a line code
team = ""                     # optional: responsible team if not the line's (empty: the line's)

[[stations]]
code = "L1-S02"
name = "Final test"
line = "L1"

# Suppliers: named on incoming-material defects.
[[suppliers]]
code = "SUP-01"               # required
name = "Shenzhen PCB Works"   # required
"""

TEMPLATE_NOTES = (
    (
        "Quality Kiosk plant workbook",
        "Import it with: kiosk import plant FILE.xlsx (--dry-run first shows what would change).",
    ),
    (
        "Sheets",
        "Departments, Teams, Lines, Stations, Suppliers; the first row of each is the "
        "header. A sheet you do not need can be deleted. This Notes sheet is ignored.",
    ),
    (
        "Codes",
        "Upper-case A-Z, 0-9, '.', '_' and '-', at most 32 characters: what labels "
        "and scanners carry. Format code columns as Text so Excel keeps leading zeros.",
    ),
    (
        "Upsert",
        "Every row is matched by its code: the same file twice changes nothing; a "
        "changed name, team or line is updated.",
    ),
    (
        "--deactivate-missing",
        "Departments, line teams, lines, stations and suppliers not in "
        "the workbook are deactivated (never deleted). Without it they are left alone.",
    ),
    ("Departments", "code, name. Renaming a department renames it on its employees."),
    ("Teams", "code, name. Line teams only (contest teams are made in the app)."),
    ("Lines", "code, name, team: the code of the team responsible for the line's defects."),
    ("Stations", "code, name, line (a line code), team (optional: empty means the line's team)."),
    ("Suppliers", "code, name."),
    (
        "Not allowed",
        "Formulas (paste values), empty or doubled codes, unknown teams or lines, "
        "a station on an inactive line. Nothing is imported until every row is right; each "
        "problem names its sheet and row.",
    ),
)
TEMPLATE_SHEETS = {
    "Departments": (("code", "name"), [("MFG", "Manufacturing"), ("QA", "Quality")]),
    "Teams": (("code", "name"), [("T1", "Line 1 team"), ("QT", "Quality team")]),
    "Lines": (("code", "name", "team"), [("L1", "DC fast charger assembly", "T1")]),
    "Stations": (
        ("code", "name", "line", "team"),
        [("L1-S01", "Cable harness", "L1", ""), ("L1-S02", "Final test", "L1", "")],
    ),
    "Suppliers": (("code", "name"), [("SUP-01", "Shenzhen PCB Works")]),
}


def write_template(path: Path | str) -> Path:
    """A plant file to fill in, every column explained: .toml (comments) or .xlsx (a Notes
    sheet). The example rows make a valid tiny plant."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        path.write_text(TEMPLATE_TOML, encoding="utf-8")
        return path
    if suffix != ".xlsx":
        raise refuse(_("A plant template is a .toml or an .xlsx file, not {name}.", name=path.name))
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    notes = workbook.active
    notes.title = "Notes"
    for topic, text in TEMPLATE_NOTES:
        notes.append([topic, text])
        notes.cell(notes.max_row, 1).font = Font(bold=True)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 100
    for title, (header, rows) in TEMPLATE_SHEETS.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
        for column in sheet.iter_cols(min_row=1, max_row=sheet.max_row + 200):
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = 28
            for cell in column:
                cell.number_format = "@"  # text: codes keep their leading zeros
    workbook.save(path)
    return path
