"""The shared reader behind the plant and roster imports (no database): encodings, headers,
Excel numbers, and problems named by line."""

from __future__ import annotations

import pytest

from kiosk.errors import ValidationFailed
from kiosk.services.platform.tabular import (
    PROBLEMS_SHOWN,
    Columns,
    _number_text,
    csv_table,
    decode_text,
    header_columns,
)

COLUMNS = Columns(
    ("badge", "name"),
    ("team",),
    synonyms={"badge": ("Employee No.", "工号"), "name": ("姓名",)},
    code_columns=frozenset({"badge"}),
)


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234, "000000", "001234"),
        (1234.0, "General", "1234"),
        (1234, "@", "1234"),
        (12, '"E"0000', "E0012"),
        (12.5, "General", "12.5"),
        (1234567, "000000", "1234567"),
    ],
)
def test_excel_numbers_read_as_the_cell_shows_them(value, number_format, shown):
    assert _number_text(value, number_format) == shown


def test_headers_by_synonym_case_and_spacing_unknown_ones_ignored():
    assert header_columns(["EMPLOYEE  NO", "姓名", "Remarks", "Team"], "line 1", COLUMNS) == [
        "badge",
        "name",
        None,
        "team",
    ]
    with pytest.raises(ValidationFailed, match=r"column\(s\) badge given twice"):
        header_columns(["badge", "工号", "name"], "line 1", COLUMNS)
    with pytest.raises(ValidationFailed, match=r"line 1 \(the header\): missing column\(s\) name"):
        header_columns(["badge", "team"], "line 1", COLUMNS)


def test_encodings():
    text = "工号,姓名\nE1,张三\n"
    assert decode_text(text.encode("gbk"), "x.csv") == text
    assert decode_text(text.encode("gb18030"), "x.csv") == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode(), "x.csv") == text
    with pytest.raises(ValidationFailed, match="neither UTF-8 nor GBK text \\(line 2"):
        decode_text(b"badge,name\nE1,\x80\xff\n", "x.csv")


def test_rows_delimiters_and_problems_by_line():
    table = csv_table('badge;name;team\nE1;张三;T1\n\n"E2";"Li\nNa";T2\n', "x.csv", COLUMNS)
    assert [(row.where, dict(row.cells)) for row in table.rows] == [
        ("line 2", {"badge": "E1", "name": "张三", "team": "T1"}),
        ("line 4", {"badge": "E2", "name": "LiNa", "team": "T2"}),  # the line a row starts on
    ]
    with pytest.raises(ValidationFailed, match="not valid CSV near line 2"):
        csv_table('badge,name\nE1,"a"b\n', "x.csv", COLUMNS)
    many = "badge,name\n" + "E1,a,b,c\n" * (PROBLEMS_SHOWN + 5)
    with pytest.raises(ValidationFailed) as refused:
        csv_table(many, "x.csv", COLUMNS)
    problems = list(refused.value.problems.values())
    assert problems[0] == "line 2: 4 cells, the header has 2"
    assert problems[-1] == "… and 5 more rows with problems."
