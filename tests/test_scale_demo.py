"""`kiosk demo --scale`: a plant-sized data set on both engines, whole (ledger verify,
totals), and the kiosk's reads and the demo's codes work on it."""

from __future__ import annotations

import io

import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.errors import ServiceError
from kiosk.progress import TextProgress
from kiosk.services.defects.worklist import worklist_page
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.plant.demo import demo_hints
from kiosk.services.plant.scale_demo import PLANT, parse_scale, plant_summary, seed_plant
from kiosk.services.plant.stations import lookup_station
from kiosk.services.platform import auth, ledger
from kiosk.services.reports import kpis, reports
from models import Defect, Employee, LedgerEntry, Team, db
from models.defects import STATUSES
from tests.helpers.points import totals_and_sums
from tests.helpers.rollups import (
    defect_rollups_counted_again,
    defect_rollups_kept,
    rebuilt_equals_kept,
)
from tests.helpers.terminal import FakeTerminal

SCALE = 0.01


def _expected(name: str) -> int:
    return round(PLANT[name] * SCALE)


def test_a_hundredth_of_a_plant_on_each_engine(database, clock, capsys):
    steps: list[tuple[str, int, int]] = []
    summary = seed_plant(Caller.system(clock), SCALE, progress=lambda *step: steps.append(step))
    assert summary == plant_summary()
    assert summary.defects == _expected("defects")
    assert summary.ledger_rows == _expected("ledger_rows")
    assert summary.assessments == _expected("assessments")
    assert summary.employees >= _expected("employees")
    assert summary.campaigns == 4 and summary.contests >= 1 and summary.proposals > 20
    assert steps[-1] == ("ledger", _expected("ledger_rows") - 4, _expected("ledger_rows") - 4)
    with db.connection():
        active = active_campaign_row()
        # spread: every status, several teams, every report inside the campaign
        statuses = {d.status for d in Defect.select(Defect.status).distinct()}
        assert statuses == set(STATUSES)
        assert Defect.select(Defect.team).distinct().count() >= 4
        first, last = (
            Defect.select().order_by(Defect.reported_at).first(),
            (Defect.select().order_by(Defect.reported_at.desc()).first()),
        )
        assert active.starts_on <= first.reported_at.date() <= last.reported_at.date()
        assert last.reported_at <= clock.now()
        campaigns = {row.campaign_id for row in LedgerEntry.select(LedgerEntry.campaign)}
        assert len(campaigns) == 4
    kept, summed = totals_and_sums()
    assert kept == summed
    # the rollups the boards read were kept by the triggers through the bulk inserts
    with db.connection():
        assert defect_rollups_kept() == defect_rollups_counted_again()
    assert rebuilt_equals_kept()
    assert main(["ledger", "verify", "--db", database]) == 0
    assert f"{_expected('ledger_rows')} rows chained" in capsys.readouterr().out
    # the board and the worklist open on it
    board = kpis.board_summary(Caller.system(clock))
    assert board is not None
    assert reports.red_black(Caller.system(clock)) is not None
    totals = ledger.team_totals(active.id)
    assert sum(t.points for t in totals) == sum(
        points for (campaign, _team), points in summed.items() if campaign == active.id
    )
    with db.connection():
        busiest = Defect.get(Defect.status == "reported").team_id
    page = worklist_page(Caller.system(clock), busiest)
    assert page.total > 0 and 0 < len(page.items) <= page.total
    # the demo's codes still work
    assert auth.identify_badge("E1002").name == "Li Na"
    assert auth.sign_in(Caller.of(None, clock), "E1001", "1234").role == "team_leader"
    assert lookup_station(Caller.system(), "L1-S01").code == "L1-S01"
    assert demo_hints()
    # and so do the plant-scale people's badges
    with db.connection():
        leader = Employee.get(
            Employee.badge_code.startswith("P") & (Employee.role == "team_leader")
        )
    assert auth.sign_in(Caller.of(None, clock), leader.badge_code, "1234").id == leader.id
    with pytest.raises(ServiceError, match="already holds a plant-scale data set"):
        seed_plant(Caller.system(clock), SCALE)


def test_kiosk_demo_scale_on_the_command_line(db_url, capsys):
    assert main(["demo", "--scale", "0.002", "--no-run", "--quiet", "--db", db_url]) == 0
    out, err = capsys.readouterr()
    assert "Plant-scale data set (scale 0.002)" in out and "2,000 ledger rows" in out
    assert err == ""  # not a terminal: no progress bar
    with db.connection():
        assert Team.select().where(Team.code.startswith("PT")).exists()
    assert main(["ledger", "verify", "--db", db_url]) == 0


def test_scale_words():
    assert parse_scale("plant") == 1.0 and parse_scale("0.1") == 0.1
    for wrong in ("0", "-1", "lots", "11"):
        with pytest.raises(ServiceError, match="--scale"):
            parse_scale(wrong)


def test_the_progress_bar_draws_on_a_terminal_only():
    terminal = FakeTerminal()
    bar = TextProgress(terminal)
    bar("ledger", 0, 10)
    bar("ledger", 10, 10)
    bar.close()
    assert "ledger" in terminal.getvalue() and "100%" in terminal.getvalue()
    for quiet_one in (TextProgress(io.StringIO()), TextProgress(FakeTerminal(), quiet=True)):
        quiet_one("ledger", 10, 10)
        quiet_one.close()
        assert quiet_one.stream.getvalue() == ""


def test_a_wrong_scale_leaves_no_database_file(tmp_path, capsys):
    target = tmp_path / "x.db"
    with pytest.raises(SystemExit) as stop:
        main(["demo", "--scale", "abc", "--no-run", "--db", f"sqlite:///{target}"])
    assert stop.value.code == 2
    assert "--scale is `plant` or a number" in capsys.readouterr().err
    assert not target.exists()
