"""Data exports: monthly performance points, the ledger, defects and inspections as CSV or XLSX.

Every export is a `Table` (a header row and rows of plain values); times are
shown in this terminal's local time. CSV is written as UTF-8 with a byte-order
mark so spreadsheet programs read Chinese names correctly; XLSX has a bold,
frozen header row. Text that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-`` or ``@``) is written as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, TypeVar

from peewee import JOIN, Expression, Field, Model, ModelSelect, fn

from kiosk.clock import format_local, to_local
from kiosk.errors import ValidationFailed
from kiosk.i18n import _
from kiosk.services.defects.defects import defects_with_places, employee_names
from kiosk.services.lines.lines import local_day_bounds
from kiosk.services.plant.campaigns import campaign_row
from kiosk.services.platform import uow
from models import (
    Campaign,
    ChecklistItem,
    Defect,
    Employee,
    Inspection,
    InspectionResult,
    LedgerEntry,
    ProductionLine,
    Team,
    db,
)

Cell = str | int | float | datetime | date | None
M = TypeVar("M", bound=Model)

FORMATS = ("csv", "xlsx")
TIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
# Cause types that always get a column in the performance export, in this order;
# any other cause type found in the month gets a column after them.
CAUSE_TYPES = ("defect", "contest", "proposal")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

if TYPE_CHECKING:
    from kiosk.services.training.assessments import CoverageGroup


@dataclass(frozen=True)
class Table:
    name: str  # the sheet title and the default file name
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def column(self, header: str) -> list[Cell]:
        index = self.headers.index(header)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class TableStream:
    """A table too big to hold (the ledger, the defects): its rows are read a page at a
    time while they are written (`rows` can be walked once). `count` is how many there
    are, counted in SQL when it was made (for a progress bar)."""

    name: str
    headers: tuple[str, ...]
    count: int
    rows: Iterable[tuple[Cell, ...]]

    def table(self) -> Table:
        return Table(self.name, self.headers, tuple(self.rows))


PAGE_ROWS = 2_000  # rows read per query while streaming an export


def _pages(
    query: ModelSelect[M], order: tuple[Field[Any], Field[Any]], key: Callable[[M], tuple[Any, Any]]
) -> Iterator[M]:
    """The rows of `query` in `order` (a time field, then the id), a page at a time: each
    page starts after the last row of the one before (keyset), so memory stays bounded
    and no page costs more than the first. Holds this thread's connection while walked."""
    first, unique = order
    after: tuple[Any, Any] | None = None
    with db.connection():
        while True:
            page = query
            if after is not None:
                page = page.where((first >= after[0]) & ((first > after[0]) | (unique > after[1])))
            rows = list(page.order_by(first, unique).limit(PAGE_ROWS))
            yield from rows
            if len(rows) < PAGE_ROWS:
                return
            after = key(rows[-1])


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def bounds(self) -> tuple[datetime, datetime]:
        """The month in local time (this terminal's zone), as UTC instants [start, end)."""
        following = Month(self.year + self.month // 12, self.month % 12 + 1)
        return self._local_start_utc(), following._local_start_utc()

    def _local_start_utc(self) -> datetime:
        return datetime(self.year, self.month, 1).astimezone().astimezone(UTC)


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str | None) -> Month:
    """'2025-09' -> Month(2025, 9); ValidationFailed for anything else."""
    match = _MONTH.match((text or "").strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValidationFailed(
            {
                "month": _(
                    "Give the month as YYYY-MM, e.g. 2025-09 (got {text!r}).", text=str(text)[:20]
                )
            }
        )
    return Month(int(match.group(1)), int(match.group(2)))


def _local(moment: datetime | None) -> datetime | None:
    """A stored UTC time as a naive local time (what a spreadsheet cell shows)."""
    return to_local(moment).replace(tzinfo=None) if moment else None


def _in_month(field: Field[Any], month: Month | None) -> Expression | bool:
    if month is None:
        return True
    start, end = month.bounds()
    return (field >= start) & (field < end)


def _campaign(name: str | None) -> Campaign | None:
    """The campaign `--campaign NAME` names (by name or id); None: every campaign."""
    return None if name is None else campaign_row(name)


def _of_campaign(field: Field[Any], campaign: Campaign | None) -> Expression | bool:
    return True if campaign is None else field == campaign.id


def _in_campaign_days(field: Field[Any], campaign: Campaign | None) -> Expression | bool:
    """For rows that carry no campaign: inside the campaign's local days."""
    if campaign is None:
        return True
    start, end = local_day_bounds(campaign.starts_on, campaign.ends_on)
    return (field >= start) & (field < end)


def _name(kind: str, month: Month | None, campaign: Campaign | None) -> str:
    """The sheet title and default file name: kind[-campaign][-month]."""
    parts = [kind]
    if campaign is not None:
        parts.append(re.sub(r"[^\w]+", "-", campaign.name).strip("-")[:40] or str(campaign.id))
    if month is not None:
        parts.append(str(month))
    return "-".join(parts)


# -- the tables -----------------------------------------------------------------


@uow.read
def performance_table(month: Month | str | None, campaign: str | None = None) -> Table:
    """Points per employee for one month (ledger rows attributed to them, by local date).

    Every active employee has a row (0 when they earned nothing); an inactive
    employee appears only with points that month. Columns: badge, name,
    department, team, points, then the points of each cause type.
    """
    month = parse_month(month) if isinstance(month, str) else month
    chosen = _campaign(campaign)
    if month is None and chosen is None:
        raise ValidationFailed({"month": _("Give the month (YYYY-MM) or the campaign.")})
    entries = (
        LedgerEntry.select(LedgerEntry.employee, LedgerEntry.cause_type, fn.SUM(LedgerEntry.amount))
        .where(
            LedgerEntry.employee.is_null(False)
            & _in_month(LedgerEntry.created_at, month)
            & _of_campaign(LedgerEntry.campaign, chosen)
        )
        .group_by(LedgerEntry.employee, LedgerEntry.cause_type)
    )
    # summed in SQL: a row per person and cause type, however long the ledger
    by_person: dict[int, dict[str, int]] = {}
    for employee_id, cause_type, amount in db.tuples(entries):
        by_person.setdefault(employee_id, {})[cause_type] = int(amount)
    found_types = {cause for causes in by_person.values() for cause in causes}
    cause_types = [*CAUSE_TYPES, *sorted(found_types - set(CAUSE_TYPES))]
    people = (
        Employee.select(Employee, Team)
        .join(Team, JOIN.LEFT_OUTER, on=(Employee.team == Team.id))
        .where(Employee.active | Employee.id.in_(list(by_person) or [0]))
        .order_by(Employee.badge_code)
    )
    rows: list[tuple[Cell, ...]] = []
    for person in people:
        causes = by_person.get(person.id, {})
        rows.append(
            (
                person.badge_code,
                person.name,
                person.department,
                person.team.name if person.team else "",
                sum(causes.values()),
                *(causes.get(cause, 0) for cause in cause_types),
            )
        )
    return Table(
        name=_name("performance", month, chosen),
        headers=("badge", "name", "department", "team", "points", *cause_types),
        rows=tuple(rows),
    )


@uow.read
def coverage_export(campaign: str | None = None) -> tuple[TableStream, CoverageGroup]:
    """Training coverage: one row per active employee (passed yes/no, best score), read a
    page at a time as they are written, and the overall figure, for the active campaign or
    the one named."""
    from kiosk.services.training.assessments import CSV_HEADER, coverage_stream

    chosen = _campaign(campaign)
    coverage = coverage_stream(campaign)

    def rows() -> Iterator[tuple[Cell, ...]]:
        for row in coverage.rows:
            yield (
                row.badge_code,
                row.name,
                row.department,
                row.team_name,
                "yes" if row.passed else "no",
                f"{row.best_score}/{row.best_item_count}" if row.best_score is not None else "",
                "" if row.best_percent is None else str(row.best_percent),
                format_local(row.passed_at) if row.passed_at else "",
            )

    table = TableStream(_name("coverage", None, chosen), CSV_HEADER, coverage.total, rows())
    return table, coverage.overall


def ledger_table(month: Month | str | None = None, campaign: str | None = None) -> Table:
    """Every ledger row (of a month, by local date, and of a campaign, when given),
    oldest first, held in memory (see ledger_stream for a file)."""
    return ledger_stream(month, campaign).table()


@uow.read
def ledger_stream(month: Month | str | None = None, campaign: str | None = None) -> TableStream:
    """Every ledger row (of a month, by local date, and of a campaign, when given),
    oldest first, read a page at a time as they are written."""
    month = parse_month(month) if isinstance(month, str) else month
    chosen = _campaign(campaign)
    employees = {
        e.id: (e.badge_code, e.name)
        for e in Employee.select(Employee.id, Employee.badge_code, Employee.name)
    }
    teams = {t.id: (t.code, t.name) for t in Team.select(Team.id, Team.code, Team.name)}
    query = LedgerEntry.select().where(
        _in_month(LedgerEntry.created_at, month) & _of_campaign(LedgerEntry.campaign, chosen)
    )

    def rows() -> Iterator[tuple[Cell, ...]]:
        order = (LedgerEntry.created_at, LedgerEntry.id)
        for entry in _pages(query, order, lambda e: (e.created_at, e.id)):
            badge, name = (
                employees.get(entry.employee_id, ("", "")) if entry.employee_id else ("", "")
            )
            entered = employees.get(entry.created_by_id) if entry.created_by_id else None
            team_code, team_name = teams[entry.team_id]
            yield (
                entry.id,
                _local(entry.created_at),
                team_code,
                team_name,
                badge,
                name,
                entry.amount,
                entry.cause_type,
                entry.cause_id,
                entry.reason,
                entered[1] if entered else "",
                entry.reverses_id or "",
            )

    return TableStream(
        name=_name("ledger", month, chosen),
        headers=(
            "row",
            "time (local)",
            "team code",
            "team",
            "badge",
            "name",
            "points",
            "cause type",
            "cause id",
            "reason",
            "entered by",
            "reverses row",
        ),
        count=query.count(),
        rows=rows(),
    )


def defects_table(month: Month | str | None = None, campaign: str | None = None) -> Table:
    """Every defect (reported in a month, by local date, and of a campaign, when given),
    oldest first, held in memory (see defects_stream for a file)."""
    return defects_stream(month, campaign).table()


@uow.read
def defects_stream(month: Month | str | None = None, campaign: str | None = None) -> TableStream:
    """Every defect (reported in a month, by local date, and of a campaign, when given),
    oldest first, read a page at a time as they are written."""
    month = parse_month(month) if isinstance(month, str) else month
    chosen = _campaign(campaign)
    name = employee_names()
    where = _in_month(Defect.reported_at, month) & _of_campaign(Defect.campaign, chosen)
    query = defects_with_places().where(where)

    def rows() -> Iterator[tuple[Cell, ...]]:
        for d in _pages(query, (Defect.reported_at, Defect.id), lambda d: (d.reported_at, d.id)):
            yield (
                str(d.id),
                _local(d.reported_at),
                d.station.code,
                d.station.name,
                d.line.code,
                d.team.name,
                name(d.reporter_id),
                d.category,
                d.severity,
                d.source,
                d.supplier.name if d.supplier else "",
                d.lot or "",
                d.description,
                d.status,
                _local(d.due_at),
                name(d.fixed_by_id),
                _local(d.fixed_at),
                name(d.verified_by_id),
                _local(d.verified_at),
                _local(d.closed_at),
                d.root_cause_factor or "",
                d.root_cause or "",
                d.corrective_action or "",
                "yes" if d.typical else "",
            )

    return TableStream(
        name=_name("defects", month, chosen),
        headers=(
            "defect",
            "reported (local)",
            "station",
            "station name",
            "line",
            "team",
            "reported by",
            "5M1E category",
            "severity",
            "source",
            "supplier",
            "lot",
            "description",
            "status",
            "due (local)",
            "fixed by",
            "fixed (local)",
            "verified by",
            "verified (local)",
            "closed (local)",
            "root cause factor",
            "root cause",
            "corrective action",
            "typical",
        ),
        count=Defect.select().where(where).count(),
        rows=rows(),
    )


@uow.read
def inspections_table(month: Month | str | None = None, campaign: str | None = None) -> Table:
    """One row per checklist result of every inspection (started in a month, and inside a
    campaign's dates, when given)."""
    month = parse_month(month) if isinstance(month, str) else month
    chosen = _campaign(campaign)
    inspections = list(
        Inspection.select(Inspection, ProductionLine, Employee)
        .join(ProductionLine, on=(Inspection.line == ProductionLine.id))
        .switch(Inspection)
        .join(Employee, on=(Inspection.inspector == Employee.id))
        .where(
            _in_month(Inspection.started_at, month)
            & _in_campaign_days(Inspection.started_at, chosen)
        )
        .order_by(Inspection.started_at)
    )
    results: dict[str, list[InspectionResult]] = {}
    if inspections:
        query = (
            InspectionResult.select(InspectionResult, ChecklistItem)
            .join(ChecklistItem)
            .where(InspectionResult.inspection.in_([i.id for i in inspections]))
            .order_by(ChecklistItem.position, ChecklistItem.code)
        )
        for result in query:
            results.setdefault(str(result.inspection_id), []).append(result)
    rows: list[tuple[Cell, ...]] = []
    for inspection in inspections:
        head = (
            str(inspection.id),
            inspection.week,
            inspection.line.code,
            inspection.line.name,
            inspection.inspector.name,
            _local(inspection.started_at),
            _local(inspection.completed_at),
        )
        found = results.get(str(inspection.id), [])
        if not found:
            rows.append((*head, "", "", "", "", "", None, ""))
        for result in found:
            rows.append(
                (
                    *head,
                    result.item.code,
                    result.item.area,
                    result.item.text,
                    result.outcome,
                    result.note,
                    _local(result.recorded_at),
                    str(result.defect_id) if result.defect_id else "",
                )
            )
    return Table(
        name=_name("inspections", month, chosen),
        headers=(
            "inspection",
            "week",
            "line",
            "line name",
            "inspector",
            "started (local)",
            "completed (local)",
            "item",
            "area",
            "item text",
            "outcome",
            "note",
            "recorded (local)",
            "defect",
        ),
        rows=tuple(rows),
    )


@uow.read
def evaluations_table(month: Month | str | None = None, campaign: str | None = None) -> Table:
    """One row per line per benchmark-line evaluation (made in a month, when given),
    with the scores, the weighted total, the rank and who took the Mobile Flag."""
    from models.lines import LineEvaluation, LineScore

    month = parse_month(month) if isinstance(month, str) else month
    chosen = _campaign(campaign)
    evaluations = list(
        LineEvaluation.select(LineEvaluation, Employee)
        .join(Employee, on=(LineEvaluation.evaluator == Employee.id))
        .where(
            _in_month(LineEvaluation.evaluated_at, month)
            & _of_campaign(LineEvaluation.campaign, chosen)
        )
        .order_by(LineEvaluation.evaluated_at, LineEvaluation.id)
    )
    rows: list[tuple[Cell, ...]] = []
    for evaluation in evaluations:
        scores = (
            LineScore.select(LineScore, ProductionLine)
            .join(ProductionLine)
            .where(LineScore.evaluation == evaluation)
            .order_by(LineScore.total.desc(), ProductionLine.code)
        )
        rank, previous = 0, None
        for position, score in enumerate(scores, start=1):
            if score.total != previous:
                rank, previous = position, score.total
            rows.append(
                (
                    evaluation.id,
                    _local(evaluation.evaluated_at),
                    evaluation.evaluator.name,
                    evaluation.period_start.isoformat(),
                    evaluation.period_end.isoformat(),
                    score.line.code,
                    score.line.name,
                    round(score.score_5s, 1),
                    round(score.score_standard_ops, 1),
                    None if score.fpy_percent is None else round(score.fpy_percent, 2),
                    round(score.total, 2),
                    rank,
                    "yes" if score.line_id == evaluation.winner_id else "",
                )
            )
    return Table(
        name=_name("line-evaluations", month, chosen),
        headers=(
            "evaluation",
            "evaluated (local)",
            "evaluator",
            "period from",
            "period to",
            "line",
            "line name",
            "5S/7S",
            "standardized operations",
            "first-pass yield %",
            "total",
            "rank",
            "Mobile Flag",
        ),
        rows=tuple(rows),
    )


# -- writing files ----------------------------------------------------------------


def _as_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # a spreadsheet must not run it as a formula
    return str(value)


Progress = Callable[[str, int, int], None]  # (what, rows written, of)
PROGRESS_EVERY = 5_000  # rows between progress calls


def _counted(table: Table | TableStream, progress: Progress | None) -> Iterator[tuple[Cell, ...]]:
    """The table's rows, telling `progress` how far the writing has come."""
    if progress is None:
        yield from table.rows
        return
    total = table.count if isinstance(table, TableStream) else len(table.rows)
    done = 0
    for row in table.rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(table.name, done, total)
    progress(table.name, done, max(total, done))


def write_csv(
    table: Table | TableStream, stream: TextIO, *, progress: Progress | None = None
) -> int:
    """Write the header and rows as CSV, a row at a time; returns the number of data rows."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(table.headers)
    written = 0
    for row in _counted(table, progress):
        writer.writerow([_as_text(value) for value in row])
        written += 1
    return written


def csv_text(table: Table) -> str:
    buffer = io.StringIO()
    write_csv(table, buffer)
    return buffer.getvalue()


WIDTH_SAMPLE = 200  # rows looked at for the column widths (set before any row is written)


def write_xlsx(
    table: Table | TableStream,
    target: str | Path | BinaryIO,
    *,
    progress: Progress | None = None,
) -> int:
    """Write one sheet with a bold, frozen header row; returns the number of data rows.

    openpyxl's write-only workbook: rows go to a temporary file as they come (strings
    inline, no shared-string table), so a million rows take no more memory than ten."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", "-", table.name)[:31] or "export")
    rows = _counted(table, progress)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    widths = [len(header) for header in table.headers]
    for row in sample:
        for column, value in enumerate(row):
            shown = len(_as_text(value)) if not isinstance(value, datetime) else 16
            widths[column] = max(widths[column], min(shown, 60))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width + 2
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in table.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    for row in itertools.chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
        written += 1
    workbook.save(target)
    return written


def _xlsx_cell(sheet: Any, value: Cell, make_cell: Callable[..., Any]) -> object:
    """A value as openpyxl writes it: text stays text (even when it starts with "="), a
    time has the date-time format."""
    if isinstance(value, str):
        text = _XLSX_ILLEGAL.sub("", value)
        if not text.startswith(_FORMULA_START):
            return text
        cell = make_cell(sheet, value=text)
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime):
        cell = make_cell(sheet, value=value)
        cell.number_format = XLSX_TIME_FORMAT
        return cell
    return value


def save(
    table: Table | TableStream,
    path: str | Path,
    file_format: str,
    *,
    progress: Progress | None = None,
) -> int:
    """Write a table to a file in `csv` or `xlsx`; returns the number of data rows."""
    if file_format == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as stream:
            return write_csv(table, stream, progress=progress)
    if file_format == "xlsx":
        return write_xlsx(table, path, progress=progress)
    raise ValidationFailed({"format": _("Choose one of {items}.", items=", ".join(FORMATS))})


def rows_of(table: Table) -> Iterable[dict[str, Cell]]:
    """Rows as dictionaries keyed by header (for callers and tests)."""
    for row in table.rows:
        yield dict(zip(table.headers, row, strict=True))
