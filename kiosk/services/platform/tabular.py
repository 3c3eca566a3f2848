"""Reading the tables a plant hands us: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX
sheets and TOML arrays of tables, into rows of text keyed by canonical column names.

Every row knows where it came from ("line 7", "sheet Lines, row 7"), so each problem a
file has can be named where a person will find it. Guards first: only a regular file
(never a FIFO or a device), at most `MAX_BYTES`, at most `MAX_ROWS` rows.

Column names are matched case-insensitively, spaces, '-' and '_' alike, through each
column's synonyms (HR exports say "Employee No." or "工号" for a badge); a column that is
not known is ignored by name. An XLSX number is read as the cell shows it (a badge
stored as 1234 with the number format 000000 reads "001234"); a formula, an error value,
or a date in a code column is refused with its cell address.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any

from kiosk.errors import ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.platform.text import clean_text, csv_rows, header_problems, shorten

MAX_BYTES = 20_000_000
MAX_ROWS = 50_000
MAX_SHEET_ROWS = 200_000  # rows of a sheet read, empty ones too
MAX_COLUMNS = 200  # cells of a sheet row read
PROBLEMS_SHOWN = 100
CSV_DELIMITERS = (",", ";", "\t")


# -- where a row came from, and the problems found ----------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row: where it is in the file, and its cells by canonical column."""

    where: str
    order: tuple[int, int]  # (sheet or table number, line or row): sorts problems
    cells: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Table:
    """The rows of one CSV file, sheet or TOML array, and the columns it had."""

    source: str
    columns: frozenset[str]
    rows: tuple[Row, ...]


@dataclass
class Problems:
    """Problems found in a file, by row; `check()` refuses the file if there are any."""

    _found: dict[tuple[int, int], tuple[str, list[str]]] = field(default_factory=dict)

    def add(self, row: Row, message: str) -> None:
        self.add_at(row.where, row.order, message)

    def add_at(self, where: str, order: tuple[int, int], message: str) -> None:
        self._found.setdefault(order, (where, []))[1].append(message)

    def on(self, row: Row) -> bool:
        """Has this row a problem already?"""
        return row.order in self._found

    def __bool__(self) -> bool:
        return bool(self._found)

    def check(self) -> None:
        """Raise ValidationFailed naming every problem (the first PROBLEMS_SHOWN rows)."""
        if not self._found:
            return
        problems: dict[str, str] = {}
        ordered = sorted(self._found.items())
        for _order, (where, messages) in ordered[:PROBLEMS_SHOWN]:
            text = "; ".join(messages)
            problems[where] = (
                _("{where}: {problems}", where=where, problems=text) if where else text
            )
        if len(ordered) > PROBLEMS_SHOWN:
            problems["more"] = _(
                "… and {count:,} more rows with problems.", count=len(ordered) - PROBLEMS_SHOWN
            )
        raise ValidationFailed(problems)


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


# -- columns -------------------------------------------------------------------------


def normalise_name(text: str) -> str:
    """A column or sheet name as compared: lower case, spaces, '-', '_' and '.' alike."""
    return re.sub(r"[\s_\-.:：]+", "_", clean_text(str(text)).lower()).strip("_")


@dataclass(frozen=True)
class Columns:
    """What a table holds: canonical column -> the names it may have in a file."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    code_columns: frozenset[str] = frozenset()  # dates refused, numbers read as shown

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)

    @cached_property
    def _names(self) -> dict[str, str]:
        names = {}
        for column in reversed(self.all):
            names.update({normalise_name(s): column for s in self.synonyms.get(column, ())})
        return names | {column: column for column in self.all}

    def canonical(self, name: str) -> str | None:
        return self._names.get(normalise_name(name))


def header_columns(cells: list[str], where: str, columns: Columns) -> list[str | None]:
    """The canonical column of each header cell (None: not ours, ignored); refuses a header
    that misses a required column or names one twice. Linear in the header's length."""
    canonical = [columns.canonical(cell) for cell in cells]
    known = [name for name in canonical if name is not None]
    problems = header_problems(known, columns.all, columns.required)
    if problems:
        raise refuse(
            _(
                "{where} (the header): {problems}. Columns: {required} (required), {optional} "
                "(optional); other columns are ignored.",
                where=where,
                problems="; ".join(problems),
                required=", ".join(columns.required),
                optional=", ".join(columns.optional) or "-",
            )
        )
    return canonical


HEADER_SEARCH_ROWS = 10


class _HeaderSearch:
    """The header is the first non-empty row that names every required column, among the
    first HEADER_SEARCH_ROWS (a title row above it, as HR exports have, is skipped). If
    none does, the first row is taken for the header and its problems are reported."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.first: tuple[list[str], str] | None = None
        self.seen = 0

    def offer(self, cells: list[str], where: str) -> list[str | None] | None:
        names = {self.columns.canonical(cell) for cell in cells}
        if set(self.columns.required) <= names:
            return header_columns(cells, where, self.columns)
        self.first = self.first or (cells, where)
        self.seen += 1
        if self.seen >= HEADER_SEARCH_ROWS:
            self.finish("")
        return None

    def finish(self, source: str) -> None:
        """No header found: refuse, naming what the first row lacks."""
        if self.first is None:
            raise refuse(_("{source} is empty: it needs a header row and rows.", source=source))
        header_columns(*self.first, self.columns)
        raise AssertionError("header_columns accepted a row offer() refused")


def _row(
    where: str, order: tuple[int, int], header: list[str | None], cells: list[str]
) -> tuple[Row, str | None]:
    extra = [cell for cell in cells[len(header) :] if cell.strip()]
    values = {
        name: clean_text(cell)
        for name, cell in zip(header, cells, strict=False)
        if name is not None
    }
    problem = None
    if extra:
        problem = _("{count} cells, the header has {count2}", count=len(cells), count2=len(header))
    return Row(where, order, values), problem


# -- the file itself -----------------------------------------------------------------


def check_regular_file(path: Path, max_bytes: int = MAX_BYTES) -> None:
    """Refuse anything but a regular file of at most `max_bytes` (never opening it)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise refuse(_("{path}: there is no such file.", path=path)) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise refuse(_("{path} cannot be read: {reason}.", path=path, reason=reason)) from None
    if stat.S_ISDIR(info.st_mode):
        raise refuse(_("{path} is a folder, not a file.", path=path))
    if not stat.S_ISREG(info.st_mode):
        raise refuse(
            _("{path} is not a regular file (a pipe or a device): give a saved file.", path=path)
        )
    if info.st_size > max_bytes:
        raise refuse(
            _(
                "{name} is {size:,} bytes, more than {max_bytes:,}: is it the right file? "
                "Split it, or save it without pictures and extra sheets.",
                name=path.name,
                size=info.st_size,
                max_bytes=max_bytes,
            )
        )


def read_file_bytes(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, or a clear refusal."""
    check_regular_file(path, max_bytes)
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise refuse(_("{path} cannot be read: {reason}.", path=path, reason=reason)) from None
    if len(data) > max_bytes:  # it grew while we looked
        raise refuse(
            _(
                "{name} is larger than {max_bytes:,} bytes: is it the right file?",
                name=path.name,
                max_bytes=max_bytes,
            )
        )
    return data


def read_utf8_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text (with or without a byte-order mark) of a regular file of at most
    `max_bytes`, or a ValidationFailed("file") that says what is wrong and where."""
    data = read_file_bytes(path, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            _(
                "{name} is not UTF-8 text (line {line}, byte {start}): save it as UTF-8 (in "
                "Excel: CSV UTF-8) and import it again.",
                name=path.name,
                line=line,
                start=exc.start + 1,
            )
        ) from None


NESTED_TOO_DEEPLY = N_(
    "{name} is nested too deeply (tables or lists inside each other hundreds of levels "
    "down): is it the right file?"
)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030 (which reads GBK and GB2312).

    A file whose lines mix UTF-8 and another encoding is refused, naming a line of each.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    utf8_line: int | None = None
    other_line: int | None = None
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_line = other_line or number
        else:
            utf8_line = utf8_line or number
        if utf8_line and other_line:
            raise refuse(
                _(
                    "{name} mixes encodings: line {utf8_line} is UTF-8, line {other_line} is not. "
                    "Open it in a spreadsheet, save it as CSV UTF-8 and import it again.",
                    name=name,
                    utf8_line=utf8_line,
                    other_line=other_line,
                )
            )
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        at_line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            _(
                "{name} is neither UTF-8 nor GBK text (line {line}, byte {start}): save it as "
                "UTF-8 (in Excel: CSV UTF-8) and import it again.",
                name=name,
                line=at_line,
                start=exc.start + 1,
            )
        ) from None


# -- CSV -----------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path, columns: Columns, *, max_bytes: int = MAX_BYTES) -> Table:
    """A CSV file's rows (comma, semicolon or tab separated; the header row first)."""
    text = decode_text(read_file_bytes(path, max_bytes), path.name)
    return csv_table(text, path.name, columns)


def csv_table(text: str, source: str, columns: Columns, sheet: int = 0) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: list[str | None] | None = None
    search = _HeaderSearch(columns)
    rows: list[Row] = []
    problems = Problems()
    try:
        for line, cells in csv_rows(reader):
            where = _("line {line}", line=line)
            if header is None:
                header = search.offer(cells, where)
                continue
            row, problem = _row(where, (sheet, line), header, cells)
            if problem:
                problems.add(row, problem)
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise refuse(
                    _(
                        "{source} has more than {count:,} rows: split it.",
                        source=source,
                        count=MAX_ROWS,
                    )
                )
    except csv.Error as exc:
        raise refuse(
            _(
                "{source} is not valid CSV near line {line}: {reason}.",
                source=source,
                line=reader.line_num,
                reason=exc,
            )
        ) from None
    if header is None:
        search.finish(source)
        raise AssertionError("unreachable")
    problems.check()
    return Table(source, frozenset(n for n in header if n), tuple(rows))


# -- XLSX ----------------------------------------------------------------------------

_ZERO_PADDED = re.compile(r'^(?:"([^"]*)")?(0+)$')


def _number_text(value: int | float, number_format: str | None) -> str:
    """A number as Excel shows it, for the formats a code column uses."""
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    number = int(value)
    padded = _ZERO_PADDED.match((number_format or "").replace("\\", ""))
    if padded and number >= 0:
        return (padded.group(1) or "") + str(number).zfill(len(padded.group(2)))
    return str(number)


def _cell_text(cell: Any, code_column: bool) -> tuple[str, str | None]:
    """(the cell's text, a problem or None)."""
    value = cell.value
    if value is None:
        return "", None
    kind = getattr(cell, "data_type", None)
    if kind == "f":
        return "", _(
            "cell {cell} holds a formula ({formula}): paste it as values (Paste Special, "
            "Values) and import again",
            cell=cell.coordinate,
            formula=shorten(str(value), 30),
        )
    if kind == "e":
        return "", _(
            "cell {cell} holds an error value ({value})",
            cell=cell.coordinate,
            value=shorten(str(value), 20),
        )
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, datetime | date | time):
        if isinstance(value, datetime) and value.time() == time(0):
            value = value.date()
        text = value.isoformat()
        if code_column:
            return text, _(
                "cell {cell} holds a date ({value}), not a code: Excel turns codes like "
                "1-2 into dates. Format the column as Text, type the code again",
                cell=cell.coordinate,
                value=text,
            )
        return text, None
    if isinstance(value, int | float):
        return _number_text(value, getattr(cell, "number_format", None)), None
    return clean_text(str(value)), None


def open_workbook(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """An XLSX workbook opened read-only (close it); refuses anything else."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_regular_file(path, max_bytes)
    try:
        return load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise refuse(
            _(
                "{name} is not an Excel workbook (.xlsx). An old .xls: open it in Excel and "
                "save it as .xlsx; or save the sheet as CSV UTF-8.",
                name=path.name,
            )
        ) from None


def sheet_table(workbook: Any, sheet_name: str, columns: Columns, sheet: int = 0) -> Table:
    """The rows of one sheet: the first non-empty row is the header."""
    worksheet = workbook[sheet_name]
    # the size a sheet claims can be wrong (files not saved by Excel): read what is there
    worksheet.reset_dimensions()
    header: list[str | None] | None = None
    search = _HeaderSearch(columns)
    rows: list[Row] = []
    problems = Problems()
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        if number > MAX_SHEET_ROWS:  # rows with nothing in them count too: a packed sheet
            raise refuse(
                _(
                    "{source} has more than {count:,} rows: split it.",
                    source=sheet_name,
                    count=MAX_SHEET_ROWS,
                )
            )
        cells = cells[:MAX_COLUMNS]
        where = _("sheet {sheet}, row {row}", sheet=sheet_name, row=number)
        texts: list[str] = []
        row_problems: list[str] = []
        for index, cell in enumerate(cells):
            name = header[index] if header is not None and index < len(header) else None
            text, problem = _cell_text(cell, name in columns.code_columns)
            texts.append(text)
            if problem and (header is None or name is not None):
                row_problems.append(problem)
        if not any(t.strip() for t in texts):
            continue
        if header is None:
            header = search.offer(texts, where)
            if header is not None and row_problems:
                raise refuse(
                    _("{where}: {problems}", where=where, problems="; ".join(row_problems))
                )
            continue
        row, problem = _row(where, (sheet, number), header, texts)
        rows.append(row)
        for message in [*row_problems, *([problem] if problem else [])]:
            problems.add(row, message)
        if len(rows) > MAX_ROWS:
            raise refuse(
                _(
                    "{source} has more than {count:,} rows: split it.",
                    source=sheet_name,
                    count=MAX_ROWS,
                )
            )
    if header is None:
        search.finish(sheet_name)
        raise AssertionError("unreachable")
    problems.check()
    return Table(sheet_name, frozenset(n for n in header if n), tuple(rows))


def find_sheet(workbook: Any, names: Iterable[str]) -> str | None:
    """The workbook's sheet called one of `names` (compared as column names are)."""
    wanted = {normalise_name(name) for name in names}
    titles = [sheet.title for sheet in workbook.worksheets]  # not chart sheets
    return next((title for title in titles if normalise_name(title) in wanted), None)


def read_xlsx(path: Path, columns: Columns, sheet_names: Iterable[str] = ()) -> Table:
    """The sheet called one of `sheet_names`, else the workbook's first sheet."""
    workbook = open_workbook(path)
    try:
        name = find_sheet(workbook, sheet_names) or workbook.worksheets[0].title
        return sheet_table(workbook, name, columns)
    finally:
        workbook.close()


def read_table(path: Path, columns: Columns, sheet_names: Iterable[str] = ()) -> Table:
    """A .csv, .txt or .xlsx file's rows."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, columns, sheet_names)
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv(path, columns)
    raise refuse(
        _(
            "{name}: give a .csv or .xlsx file, not {suffix}.",
            name=path.name,
            suffix=suffix or "a file without a suffix",
        )
    )


# -- TOML ----------------------------------------------------------------------------


def read_toml(path: Path, *, max_bytes: int = MAX_BYTES) -> tuple[dict[str, Any], str]:
    """A TOML file's data and its text (TOML is UTF-8)."""
    data = read_file_bytes(path, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            _(
                "{name} is not UTF-8 text (line {line}): TOML files are UTF-8.",
                name=path.name,
                line=line,
            )
        ) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise refuse(_("{name} is not valid TOML: {reason}.", name=path.name, reason=exc)) from None
    except RecursionError:
        raise refuse(_(NESTED_TOO_DEEPLY, name=path.name)) from None


def _table_lines(text: str, key: str) -> list[int]:
    """The line of each `[[key]]` header, in order (the rows' line numbers)."""
    pattern = re.compile(rf"^[ \t]*\[\[[ \t]*\"?{re.escape(key)}\"?[ \t]*\]\]", re.MULTILINE)
    return [text.count("\n", 0, match.start()) + 1 for match in pattern.finditer(text)]


def toml_table(
    data: Mapping[str, Any], text: str, key: str, columns: Columns, table: int = 0
) -> Table:
    """The entries of the array of tables `key` (e.g. `[[stations]]`) as rows; values are
    text or numbers; keys that are not columns are ignored."""
    entries = data.get(key, [])
    lines = _table_lines(text, key)
    problems = Problems()
    rows: list[Row] = []
    if not isinstance(entries, list):
        raise refuse(_("'{key}' must be a list of tables: write each entry as [[{key}]].", key=key))
    for number, entry in enumerate(entries, start=1):
        line = lines[number - 1] if len(lines) == len(entries) else number
        where = (
            _("line {line}", line=line)
            if len(lines) == len(entries)
            else _("{key} entry {number}", key=key, number=number)
        )
        cells: dict[str, str] = {}
        row_problems: list[str] = []
        if not isinstance(entry, dict):
            entry = {}
            row_problems.append(_("not a table: write it as [[{key}]]", key=key))
        for name, value in entry.items():
            column = columns.canonical(name)
            if column is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int):
                row_problems.append(_("{name} must be text", name=name))
                continue
            cells[column] = clean_text(str(value))
        row = Row(where, (table, line), cells)
        missing = [c for c in columns.required if c not in cells]
        if missing:
            row_problems.append(_("missing {items}", items=", ".join(missing)))
        for message in row_problems:
            problems.add(row, message)
        rows.append(row)
    problems.check()
    return Table(key, frozenset(columns.all), tuple(rows))


def doubled(rows: Iterable[Row], column: str) -> Iterator[tuple[Row, Row]]:
    """(a row, the first row before it) for every value of `column` given twice
    (compared upper-case; empty values aside)."""
    first: dict[str, Row] = {}
    for row in rows:
        value = row.get(column).upper()
        if not value:
            continue
        if value in first:
            yield row, first[value]
        else:
            first[value] = row
