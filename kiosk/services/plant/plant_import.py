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

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import fn

from kiosk.caller import Caller
from kiosk.errors import Conflict, ConstraintConflict
from kiosk.i18n import _
from kiosk.services.plant.stations import is_scannable_code
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from kiosk.services.platform.tabular import (
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
from kiosk.services.platform.text import shorten
from models import Department, Employee, ProductionLine, Station, Supplier, Team, db

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
        team_codes: dict[int | None, str] = {t.id: t.code for t in self.teams.values()}
        self.team_code = team_codes.get
        self.line_code = {line.id: line.code for line in self.lines.values()}.get


class _Planner:
    """Compares the file with the plant, kind by kind: problems, changes, counts, warnings."""

    def __init__(self, tables: Mapping[str, Table], deactivate_missing: bool) -> None:
        self.problems = Problems()
        self.now = _Existing()
        self.deactivate_missing = deactivate_missing
        self.changes: list[_Change] = []
        self.outcomes: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
        self.deactivate: dict[str, list[tuple[int, str]]] = {kind: [] for kind in KINDS}
        self.rows = {
            kind: _rows(
                tables[kind],
                self.problems,
                DEPARTMENT_NAME_MAX if kind == "departments" else NAME_MAX,
            )
            for kind in KINDS
        }
        self.in_file = {kind: {code for _row, code, _name in self.rows[kind]} for kind in KINDS}
        self.responsible: set[str] = set()  # teams that answer for a line or a station

    def plan(self) -> _Plan:
        self._departments()
        self._teams()
        self._lines()
        self._stations()
        self._simple("suppliers")
        self.problems.check()
        counts = {
            kind: KindCounts(
                self.outcomes[kind]["added"],
                self.outcomes[kind]["changed"],
                len(self.deactivate[kind]),
                self.outcomes[kind]["unchanged"],
            )
            for kind in KINDS
        }
        return _Plan(self.changes, self.deactivate, counts, self._warnings())

    # -- the steps every kind shares

    def _upsert(
        self,
        kind: str,
        code: str,
        existing: Any,
        current: Mapping[str, Any],
        wanted: Mapping[str, Any],
        added: str,
    ) -> None:
        """Plan adding `code` (no `existing` row) or changing what differs from `wanted`;
        `current` gives the fields a row holds by id (a team, a line) as codes."""
        if existing is None:
            self.outcomes[kind]["added"] += 1
            self.changes.append(_Change(kind, code, None, dict(wanted), f"+ {added}"))
            return
        now = {field: current.get(field, getattr(existing, field)) for field in wanted}
        values = {field: new for field, new in wanted.items() if now[field] != new}
        what = [_difference(kind, field, now[field], new) for field, new in values.items()]
        if not existing.active:
            values["active"] = True
            what.append("active again")
        if not values:
            self.outcomes[kind]["unchanged"] += 1
            return
        self.outcomes[kind]["changed"] += 1
        old_name = existing.name if kind == "departments" else ""
        text = f"~ {SINGULAR[kind]} {code}: {', '.join(what)}"
        self.changes.append(_Change(kind, code, existing.id, values, text, old_name))

    def _deactivate(
        self, kind: str, existing: Iterable[Any], keep: Collection[str] = frozenset()
    ) -> None:
        """With --deactivate-missing: the active rows the file does not list."""
        if self.deactivate_missing:
            self.deactivate[kind] = [
                (row.id, f"- {SINGULAR[kind]} {row.code} {row.name!r} deactivated")
                for row in existing
                if row.active and row.code not in self.in_file[kind] and row.code not in keep
            ]

    def _kept(self, kind: str, existing: Iterable[Any]) -> Iterator[Any]:
        """The active rows the file does not list, which this import leaves as they are."""
        if not self.deactivate_missing:
            yield from (r for r in existing if r.active and r.code not in self.in_file[kind])

    def _usable_team(self, row: Row, code: str) -> bool:
        """Is `code` a line team that is active after this import? If not, say why."""
        team = self.now.teams.get(code)
        if code in self.in_file["teams"]:
            return True
        if team is None:
            message = _("unknown team {code}: not in the file's teams nor in the plant", code=code)
        elif team.kind != "line":
            message = _("{code} is a contest team, not a line team", code=code)
        elif not team.active:
            message = _("team {code} is inactive: add it to the file's teams", code=code)
        elif self.deactivate_missing:
            message = _(
                "team {code} is not in the file, so --deactivate-missing would deactivate it",
                code=code,
            )
        else:
            return True
        self.problems.add(row, message)
        return False

    # -- each kind

    def _simple(self, kind: str) -> None:
        existing_rows = getattr(self.now, kind)
        for _row, code, name in self.rows[kind]:
            existing = existing_rows.get(code)
            self._upsert(
                kind,
                code,
                existing,
                {},
                {"code": code, "name": name},
                f"{SINGULAR[kind]} {code} {name!r}",
            )
        self._deactivate(kind, existing_rows.values())

    def _departments(self) -> None:
        """Matched by code; a new code takes over the department that has its name."""
        names: dict[str, Row] = {}
        by_name = {d.name.lower(): d for d in self.now.departments.values()}
        taken_over: set[str] = set()
        for row, code, name in self.rows["departments"]:
            if not name:
                continue  # reported
            if name.lower() in names:
                self.problems.add(
                    row,
                    _("name {name} is also on {where}", name=name, where=names[name.lower()].where),
                )
                continue
            names[name.lower()] = row
            existing = self.now.departments.get(code)
            holder = by_name.get(name.lower())
            if existing is None and holder and holder.code not in self.in_file["departments"]:
                existing = holder
                taken_over.add(holder.code)
            elif holder is not None and existing is not None and holder.id != existing.id:
                self.problems.add(
                    row, _("name {name} belongs to department {code}", name=name, code=holder.code)
                )
                continue
            self._upsert(
                "departments",
                code,
                existing,
                {},
                {"code": code, "name": name},
                f"department {code} {name!r}",
            )
        self._deactivate("departments", self.now.departments.values(), keep=taken_over)

    def _teams(self) -> None:
        """Line teams; a contest team's code is refused."""
        for row, code, name in self.rows["teams"]:
            existing = self.now.teams.get(code)
            if existing is not None and existing.kind != "line":
                self.problems.add(row, _("{code} is a contest team, not a line team", code=code))
                continue
            self._upsert(
                "teams",
                code,
                existing,
                {},
                {"code": code, "name": name, "kind": "line"},
                f"team {code} {name!r}",
            )
        line_teams = (t for t in self.now.teams.values() if t.kind == "line")
        self._deactivate("teams", line_teams)

    def _lines(self) -> None:
        team_code = self.now.team_code
        for row, code, name in self.rows["lines"]:
            team = _code(row, "team", self.problems)
            if not team or not self._usable_team(row, team):
                continue
            self.responsible.add(team)
            existing = self.now.lines.get(code)
            current = {"team": team_code(existing.team_id)} if existing else {}
            self._upsert(
                "lines",
                code,
                existing,
                current,
                {"code": code, "name": name, "team": team},
                f"line {code} {name!r}, team {team}",
            )
        self._deactivate("lines", self.now.lines.values())
        self.responsible |= {
            team_code(line.team_id) or "" for line in self._kept("lines", self.now.lines.values())
        }

    def _station_line(self, row: Row, station: str) -> str:
        """The station's line code if it is (or stays) an active line, else ""."""
        line = _code(row, "line", self.problems)
        if not line or line in self.in_file["lines"]:
            return line
        known = self.now.lines.get(line)
        if known is None:
            message = _("unknown line {code}: not in the file's lines nor in the plant", code=line)
        elif not known.active:
            message = _(
                "station {station} is on line {code}, which is inactive: add the line to the "
                "file's lines, or put the station on another line",
                station=station,
                code=line,
            )
        elif self.deactivate_missing:
            message = _(
                "line {code} is not in the file, so --deactivate-missing would deactivate it "
                "under station {station}",
                code=line,
                station=station,
            )
        else:
            return line
        self.problems.add(row, message)
        return ""

    def _stations(self) -> None:
        now = self.now
        for row, code, name in self.rows["stations"]:
            line = self._station_line(row, code)
            team = _code(row, "team", self.problems, required=False)
            if not line or (team and not self._usable_team(row, team)):
                continue
            if team:
                self.responsible.add(team)
            existing = now.stations.get(code)
            current = (
                {
                    "line": now.line_code(existing.line_id),
                    "team": now.team_code(existing.team_id) if existing.team_id else None,
                }
                if existing
                else {}
            )
            self._upsert(
                "stations",
                code,
                existing,
                current,
                {"code": code, "name": name, "line": line, "team": team or None},
                f"station {code} {name!r} on line {line}" + (f", team {team}" if team else ""),
            )
        self._deactivate("stations", now.stations.values())
        self.responsible |= {
            now.team_code(s.team_id) or ""
            for s in self._kept("stations", now.stations.values())
            if s.team_id
        }

    # -- warnings

    def _warnings(self) -> list[str]:
        warnings = [
            f"team {code} is responsible for no line or station (fine for an office team; "
            "defects reported at a station never go to it)"
            for _row, code, _name in self.rows["teams"]
            if code not in self.responsible
        ]
        teams = {team_id for team_id, _text in self.deactivate["teams"]}
        if teams:
            code_of = {t.id: t.code for t in self.now.teams.values()}
            warnings += [
                f"team {code_of[team_id]} is deactivated but {count} active people are on it: "
                "import the roster next"
                for team_id, count in _active_members(Employee.team, teams)
            ]
        going = {i for i, _text in self.deactivate["departments"]}
        departments = {d.name: d.code for d in self.now.departments.values() if d.id in going}
        if departments:
            warnings += [
                f"department {departments[name]} is deactivated but {count} active people are "
                "in it: import the roster next"
                for name, count in _active_members(Employee.department, set(departments))
            ]
        return warnings


def _difference(kind: str, field: str, old: Any, new: Any) -> str:
    """How one field changes, for the list of changes."""
    if field == "name":
        return f"name {old!r} -> {new!r}"
    none = "(the line's)" if kind == "stations" and field == "team" else "-"
    return f"{field} {old or none} -> {new or none}"


def _active_members(column: Any, values: set[Any]) -> list[tuple[Any, int]]:
    """(value, active employees) for each of `values` of an employee column, counted in SQL."""
    return list(
        db.tuples(
            Employee.select(column, fn.COUNT(Employee.id))
            .where(column.in_(list(values)) & Employee.active)
            .group_by(column)
        )
    )


def _plan(tables: Mapping[str, Table], deactivate_missing: bool) -> _Plan:
    return _Planner(tables, deactivate_missing).plan()


# -- the import ----------------------------------------------------------------------

_MODELS: dict[str, type[Department | Team | ProductionLine | Station | Supplier]] = {
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


@uow.read
def _dry_run(tables: Mapping[str, Table], deactivate_missing: bool, source: str) -> PlantImport:
    return _result(_plan(tables, deactivate_missing), source, True)


def import_plant(
    caller: Caller,
    paths: Sequence[Path | str],
    *,
    deactivate_missing: bool = False,
    dry_run: bool = False,
    who: str = "",
) -> PlantImport:
    """Read, check and upsert the plant file(s): all or nothing (one write unit), one
    audit row. The caller is the command line's (no actor).

    `who` names the person who ran it (the OS user for the CLI) in the audit detail.
    """
    files = [Path(p) for p in paths]
    source = shorten(", ".join(p.name for p in files), 120)
    tables = read_plant_files(files)
    if dry_run:
        return _dry_run(tables, deactivate_missing, source)
    try:
        return _import(caller, tables, deactivate_missing, source, who)
    except ConstraintConflict:  # another import (or an admin) wrote the same code meanwhile
        raise Conflict(
            _(
                "The plant changed while this file was imported: nothing was imported. Run the "
                "import again."
            )
        ) from None


@uow.write
def _import(
    caller: Caller, tables: Mapping[str, Table], deactivate_missing: bool, source: str, who: str
) -> PlantImport:
    plan = _plan(tables, deactivate_missing)
    _apply(plan)
    result = _result(plan, source, False)
    record_action(
        None,
        "import_plant",
        source,
        caller.now(),
        detail=(
            f"{result.summary()}"
            + (" (--deactivate-missing)" if deactivate_missing else "")
            + (f"; run by OS user {who}" if who else "")
        ),
    )
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
TEMPLATE_SHEETS: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
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
