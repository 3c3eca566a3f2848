"""Big exports stream: the ledger and the defects are read a page at a time (keyset) and
written row by row (CSV, write-only XLSX); what is written equals what the database holds,
whatever the page size and however many rows share a time."""

from __future__ import annotations

import csv
from datetime import timedelta

import openpyxl
import pytest
from peewee import fn

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.plant.scale_demo import seed_plant
from kiosk.services.platform.ledger import Award, write_awards
from kiosk.services.platform.uow import transaction
from kiosk.services.reports import exports
from models import Defect, Employee, LedgerEntry, Team, db


@pytest.fixture
def small_plant(database, clock, monkeypatch) -> str:
    seed_plant(Caller.system(clock), 0.002)
    with transaction():  # rows sharing one time: the keyset must still see each once
        team = Team.get(Team.code == "T1").id
        write_awards(
            (
                Award(team, 1, "same time", "test", str(n), f"same:{n}"),
                clock.now() - timedelta(hours=1),
            )
            for n in range(150)
        )
    monkeypatch.setattr(exports, "PAGE_ROWS", 64)  # many pages
    return database


def _ledger_in_order() -> list[tuple[str, str, str]]:
    with db.connection():
        return [
            (str(row.id), str(row.amount), row.cause_id)
            for row in LedgerEntry.select().order_by(LedgerEntry.created_at, LedgerEntry.id)
        ]


def _read(path) -> tuple[list[str], list[list[str]]]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as stream:
            header, *rows = list(csv.reader(stream))
        return header, rows
    sheet = openpyxl.load_workbook(path, read_only=True).active
    header, *rows = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    return header, rows


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_ledger_export_holds_every_row_once_in_order(
    small_plant, tmp_path, file_format, capsys
):
    path = tmp_path / f"ledger.{file_format}"
    assert main(["export", "ledger", "--output", str(path), "--db", small_plant]) == 0
    expected = _ledger_in_order()
    assert f"{len(expected)} rows of ledger written" in capsys.readouterr().out
    header, rows = _read(path)
    at = {name: header.index(name) for name in ("row", "points", "cause id")}
    written = [(r[at["row"]], r[at["points"]], r[at["cause id"]]) for r in rows]
    assert written == expected and len(expected) > 2_000


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_defects_export_holds_every_defect_once(small_plant, tmp_path, file_format):
    path = tmp_path / f"defects.{file_format}"
    assert main(["export", "defects", "--output", str(path), "--db", small_plant]) == 0
    header, rows = _read(path)
    with db.connection():
        expected = [str(d.id) for d in Defect.select().order_by(Defect.reported_at, Defect.id)]
    assert [row[header.index("defect")] for row in rows] == expected and len(expected) >= 100


def test_the_performance_export_sums_in_the_database(small_plant):
    with db.connection():
        active = active_campaign_row()
        summed = dict(
            LedgerEntry.select(Employee.badge_code, fn.SUM(LedgerEntry.amount))
            .join(Employee, on=LedgerEntry.employee == Employee.id)
            .where(LedgerEntry.campaign == active.id)
            .group_by(Employee.badge_code)
            .tuples()
        )
    table = exports.performance_table(None, str(active.id))
    shown = {row["badge"]: row["points"] for row in exports.rows_of(table) if row["points"]}
    assert shown == {badge: total for badge, total in summed.items() if total} and shown
