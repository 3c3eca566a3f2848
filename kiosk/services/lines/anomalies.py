"""The on-site anomaly report: a monthly Pareto by 5M1E category against a year before.

A month's count per category is the on-site anomaly defects reported through the
kiosk in that local calendar month plus the imported history for that month
(`kiosk import anomalies FILE`: one row per month and category; importing the same
month and category again replaces it).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path

from kiosk.caller import Caller
from kiosk.clock import Clock, SystemClock, to_local
from kiosk.errors import ValidationFailed
from kiosk.i18n import N_, LazyLabels, _, ngettext
from kiosk.services.defects.counts import reported_counts
from kiosk.services.lines.suppliers import percent
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from kiosk.services.platform.refusals import requires_role
from kiosk.services.platform.tabular import read_utf8_text
from kiosk.services.platform.text import clean_text, csv_rows, header_problems, shorten
from models import db
from models.anomalies import AnomalyHistory
from models.defects import CATEGORIES_5M1E

MINIMUM_ROLE = "supervisor"
ACTION = "view_the_anomaly_report"  # "Only a supervisor or above may view the anomaly report."
SOURCE = "on_site_anomaly"
CATEGORY_LABELS = LazyLabels(
    {
        "man": N_("Man"),
        "machine": N_("Machine"),
        "material": N_("Material"),
        "method": N_("Method"),
        "environment": N_("Environment"),
        "measurement": N_("Measurement"),
    }
)
COLUMNS = ("month", "category", "count", "note")
REQUIRED_COLUMNS = COLUMNS[:3]
IMPORT_MAX_BYTES = 1_000_000
COUNT_MAX = 100_000
NOTE_MAX = 300
PROBLEMS_SHOWN = 30
YEARS = (1990, 2100)
SAMPLE_FILE = "data/sample-anomalies.csv"
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


# -- months -------------------------------------------------------------------------


def parse_month(value: str, field: str = "month") -> str:
    """A month as YYYY-MM ("2024-9" and "2024/09" become "2024-09"); anything else is refused."""
    text = clean_text(str(value))
    match = _MONTH.match(text)
    if match:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and YEARS[0] <= year <= YEARS[1]:
            return f"{year:04d}-{month:02d}"
        if 1 <= month <= 12:
            raise ValidationFailed(
                {
                    field: _(
                        "Month {year:04d}-{month:02d} is outside {YEARS}-{YEARS2}.",
                        year=year,
                        month=month,
                        YEARS=YEARS[0],
                        YEARS2=YEARS[1],
                    )
                }
            )
    raise ValidationFailed(
        {
            field: _(
                "Month {text!r} is not a month: use YYYY-MM (e.g. 2024-09).", text=shorten(text, 20)
            )
        }
    )


def shift_month(month: str, months: int) -> str:
    year, number = (int(part) for part in parse_month(month).split("-"))
    index = year * 12 + (number - 1) + months
    return parse_month(f"{index // 12:04d}-{index % 12 + 1:02d}")


def _bounds(month: str) -> tuple[datetime, datetime]:
    """Local midnight on the 1st of the month to local midnight on the 1st of the next."""
    year, number = (int(part) for part in month.split("-"))
    following_year, following = (year + 1, 1) if number == 12 else (year, number + 1)
    first = datetime.combine(date(year, number, 1), time.min).astimezone()
    after = datetime.combine(date(following_year, following, 1), time.min).astimezone()
    return first, after


def default_month(clock: Clock | None = None) -> str:
    """This month; while a campaign is active but today lies outside it, its nearest month."""
    today = to_local((clock or SystemClock()).now()).date()
    campaign = active_campaign_row()
    if campaign is not None:
        today = min(max(today, campaign.starts_on), campaign.ends_on)
    return f"{today.year:04d}-{today.month:02d}"


# -- the report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoRow:
    category: str  # 5M1E key
    label: str  # "Material"
    count: int  # this month: reported + imported
    share_percent: float  # of this month's total, 1 decimal
    cumulative_percent: float  # running share down the Pareto, 1 decimal (last row: 100.0)
    last_year_count: int  # the same month a year before

    @property
    def change(self) -> int:
        return self.count - self.last_year_count


@dataclass(frozen=True)
class AnomalyPareto:
    month: str  # "2025-09"
    last_year_month: str  # "2024-09"
    rows: tuple[ParetoRow, ...]  # by count, largest first (ties in 5M1E order)
    total: int
    last_year_total: int
    reported: int  # of `total`: on-site anomaly defects reported at the kiosk
    imported: int  # of `total`: imported history
    previous_month: str
    next_month: str

    @property
    def change_percent(self) -> float | None:
        """Year-over-year change of the total, 1 decimal; None without last year's data."""
        if not self.last_year_total:
            return None
        return percent(self.total - self.last_year_total, self.last_year_total)

    def row(self, category: str) -> ParetoRow | None:
        return next((row for row in self.rows if row.category == category), None)


def _reported_counts(month: str) -> dict[str, int]:
    """On-site anomaly defects of the month per category, from the rollup the database
    keeps with the defects (schema step 18)."""
    counts = reported_counts(SOURCE, *_bounds(month), ("category",))
    return {category: count for (category,), count in counts.items()}


def _imported_counts(month: str) -> dict[str, int]:
    query = db.tuples(
        AnomalyHistory.select(AnomalyHistory.category, AnomalyHistory.count).where(
            AnomalyHistory.month == month
        )
    )
    return {category: count for category, count in query}


def _merge(*parts: dict[str, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        for category, count in part.items():
            merged[category] = merged.get(category, 0) + count
    return merged


def _order(category: str) -> int:
    return CATEGORIES_5M1E.index(category) if category in CATEGORIES_5M1E else len(CATEGORIES_5M1E)


@uow.read
def anomaly_pareto(caller: Caller, month: str | None = None) -> AnomalyPareto:
    """The Pareto of one month (default: see `default_month`), ungated (boards, exports)."""
    month = parse_month(month) if month is not None else default_month(caller.clock)
    last_year = shift_month(month, -12)
    reported, imported = _reported_counts(month), _imported_counts(month)
    counts = _merge(reported, imported)
    before = _merge(_reported_counts(last_year), _imported_counts(last_year))
    total = sum(counts.values())
    categories = [c for c in set(counts) | set(before) if counts.get(c) or before.get(c)]
    categories.sort(key=lambda c: (-counts.get(c, 0), -before.get(c, 0), _order(c)))
    rows, running = [], 0
    for category in categories:
        count = counts.get(category, 0)
        running += count
        rows.append(
            ParetoRow(
                category=category,
                label=CATEGORY_LABELS.get(category, category),
                count=count,
                share_percent=percent(count, total),
                cumulative_percent=percent(running, total),
                last_year_count=before.get(category, 0),
            )
        )
    return AnomalyPareto(
        month=month,
        last_year_month=last_year,
        rows=tuple(rows),
        total=total,
        last_year_total=sum(before.values()),
        reported=sum(reported.values()),
        imported=sum(imported.values()),
        previous_month=shift_month(month, -1),
        next_month=shift_month(month, 1),
    )


@requires_role(MINIMUM_ROLE, ACTION, lambda given: "anomaly report")
def anomaly_report_for(
    caller: Caller,
    month: str | None = None,
) -> AnomalyPareto:
    """The Pareto for the kiosk screen: supervisors and up (a refusal is audited)."""
    return anomaly_pareto(caller, month)


# -- importing history ---------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    line: int
    month: str
    category: str
    count: int
    note: str


@dataclass(frozen=True)
class ImportSummary:
    rows: int  # rows in the file
    added: int  # month+category pairs new to the database
    replaced: int  # month+category pairs that were there and now hold the file's count
    months: tuple[str, ...]
    anomalies: int  # the sum of the file's counts

    def __str__(self) -> str:
        months = ", ".join(self.months)
        return ngettext(
            "{count} row ({anomalies} anomalies; months {months}): {added} added, "
            "{replaced} replaced",
            "{count} rows ({anomalies} anomalies; months {months}): {added} added, "
            "{replaced} replaced",
            self.rows,
            anomalies=self.anomalies,
            months=months,
            added=self.added,
            replaced=self.replaced,
        )


def import_anomalies(caller: Caller, path: Path | str, *, who: str = "") -> ImportSummary:
    """Import anomaly history from a CSV file; all or nothing.

    Columns (a header row, any order): month (YYYY-MM), category (a 5M1E key), count,
    and an optional note. Every line is checked first; any problem refuses the whole
    file (ValidationFailed naming each bad line by number).
    """
    path = Path(path)
    text = read_utf8_text(path, IMPORT_MAX_BYTES)
    return import_anomaly_text(caller, text, path.name, who=who)


SAMPLE_QUALITY_MONTH = date(2025, 9, 1)  # the Quality Month the sample history was written for


def load_sample_anomalies(caller: Caller, *, quality_month: date | None = None) -> ImportSummary:
    """The sample history shipped with the kiosk (for the demo plant).

    Its months lead up to a September 2025 Quality Month (the month before, the same two
    months a year before, and the Quality Month's own count so far from the PMC report);
    with `quality_month` they move by as many months, so a demo tried in another month
    still compares its month with last year's (about -40 %, not -99 %).
    """
    text = resources.files("kiosk").joinpath(SAMPLE_FILE).read_text(encoding="utf-8-sig")
    if quality_month is not None:
        text = _months_moved(
            text,
            (quality_month.year - SAMPLE_QUALITY_MONTH.year) * 12
            + quality_month.month
            - SAMPLE_QUALITY_MONTH.month,
        )
    return import_anomaly_text(caller, text, Path(SAMPLE_FILE).name)


def _months_moved(text: str, months: int) -> str:
    """The sample CSV with every YYYY-MM in its first column `months` later."""
    if months == 0:
        return text
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        if row and row[0].strip():
            year, month = (int(part) for part in row[0].strip().split("-"))
            index = year * 12 + month - 1 + months
            row[0] = f"{index // 12:04d}-{index % 12 + 1:02d}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


@uow.write
def import_anomaly_text(caller: Caller, text: str, source: str, *, who: str = "") -> ImportSummary:
    entries = _entries_from_csv(text, source)
    now = caller.now()
    keys = {(entry.month, entry.category) for entry in entries}
    present = {
        (row.month, row.category)
        for row in AnomalyHistory.select(AnomalyHistory.month, AnomalyHistory.category).where(
            AnomalyHistory.month.in_(sorted({month for month, _c in keys}))
        )
    }
    for entry in entries:
        AnomalyHistory.insert(
            month=entry.month,
            category=entry.category,
            count=entry.count,
            note=entry.note,
            source=source[:200],
            imported_at=now,
        ).on_conflict(
            conflict_target=[AnomalyHistory.month, AnomalyHistory.category],
            update={
                AnomalyHistory.count: entry.count,
                AnomalyHistory.note: entry.note,
                AnomalyHistory.source: source[:200],
                AnomalyHistory.imported_at: now,
            },
        ).execute()
    replaced = len(keys & present)
    summary = ImportSummary(
        rows=len(entries),
        added=len(keys) - replaced,
        replaced=replaced,
        months=tuple(sorted({entry.month for entry in entries})),
        anomalies=sum(entry.count for entry in entries),
    )
    detail = f"{summary}; by {who}" if who else str(summary)
    record_action(None, "import_anomalies", shorten(source, 128), now, detail=detail)
    return summary


def _header(row: list[str], line: int, source: str) -> dict[str, int]:
    names = [clean_text(cell).lower() for cell in row]
    problems = header_problems(names, COLUMNS, REQUIRED_COLUMNS)
    if problems:
        raise ValidationFailed(
            {
                f"line {line}": _(
                    "line {line} ({source} header): {items}. The header is: "
                    "month,category,count[,note].",
                    line=line,
                    source=source,
                    items="; ".join(problems),
                )
            }
        )
    return {name: index for index, name in enumerate(names)}


def _entry(
    cells: list[str], columns: dict[str, int], line: int
) -> tuple[HistoryEntry | None, list[str]]:
    found: list[str] = []
    if len(cells) > len(columns):
        return None, [
            _(
                "{count} values where the header has {count2} columns",
                count=len(cells),
                count2=len(columns),
            )
        ]

    def cell(name: str) -> str:
        index = columns.get(name)
        return clean_text(cells[index]) if index is not None and index < len(cells) else ""

    month = ""
    raw_month = cell("month")
    if not raw_month:
        found.append(_("the month is empty"))
    else:
        try:
            month = parse_month(raw_month)
        except ValidationFailed:
            found.append(
                _(
                    "month {raw_month!r} is not YYYY-MM (e.g. 2024-09; years {YEARS}-{YEARS2})",
                    raw_month=shorten(raw_month, 20),
                    YEARS=YEARS[0],
                    YEARS2=YEARS[1],
                )
            )
    category = cell("category").lower()
    if category not in CATEGORIES_5M1E:
        shown = shorten(cell("category"), 20)
        found.append(
            (
                _("category {shown!r} is not 5M1E", shown=shown)
                if shown
                else _("the category is empty")
            )
            + _(" (one of {items})", items=", ".join(CATEGORIES_5M1E))
        )
    raw_count = cell("count")
    count = -1
    if not raw_count:
        found.append(_("the count is empty"))
    elif not raw_count.isascii() or not raw_count.isdigit():
        found.append(
            _(
                "count {raw_count!r} is not a whole number of 0 or more",
                raw_count=shorten(raw_count, 20),
            )
        )
    elif int(raw_count) > COUNT_MAX:
        found.append(
            _(
                "count {raw_count} is more than {COUNT_MAX:,}",
                raw_count=raw_count,
                COUNT_MAX=COUNT_MAX,
            )
        )
    else:
        count = int(raw_count)
    note = cell("note")
    if len(note) > NOTE_MAX:
        found.append(
            _(
                "the note is {count} characters long (at most {NOTE_MAX})",
                count=len(note),
                NOTE_MAX=NOTE_MAX,
            )
        )
    if found:
        return None, found
    return HistoryEntry(line, month, category, count, note), []


def _entries_from_csv(text: str, source: str) -> list[HistoryEntry]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns: dict[str, int] | None = None
    entries: list[HistoryEntry] = []
    seen: dict[tuple[str, str], int] = {}
    problems: dict[str, str] = {}
    try:
        for line, row in csv_rows(reader):
            if columns is None:
                columns = _header(row, line, source)
                continue
            entry, found = _entry(row, columns, line)
            if entry is not None:
                key = (entry.month, entry.category)
                if key in seen:
                    found = [
                        _(
                            "{month} {category} is already on line {seen}",
                            month=entry.month,
                            category=entry.category,
                            seen=seen[key],
                        )
                    ]
                    entry = None
                else:
                    seen[key] = line
            if entry is not None:
                entries.append(entry)
            else:
                problems[f"line {line}"] = _(
                    "line {line}: {items}.", line=line, items="; ".join(found)
                )
    except csv.Error as exc:
        line = reader.line_num
        problems[f"line {line}"] = _(
            "line {line}: not readable as CSV ({exc}).", line=line, exc=exc
        )
    if columns is None and not problems:
        raise ValidationFailed(
            {
                "file": _(
                    "{source} is empty: it needs a header month,category,count[,note] and rows.",
                    source=source,
                )
            }
        )
    if not entries and not problems:
        raise ValidationFailed(
            {"file": _("{source} has a header but no rows to import.", source=source)}
        )
    if problems:
        shown = dict(list(problems.items())[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:
            shown["more"] = _("… and {count} more bad lines.", count=len(problems) - PROBLEMS_SHOWN)
        raise ValidationFailed(shown)
    return entries
