"""The supplier ranking and anomaly Pareto screens driven by the Pilot, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable
from textual_plotext import PlotextPlot

from kiosk.caller import Caller
from kiosk.services.lines import anomalies
from models import AuditEntry, db
from screens.anomalies import AnomaliesScreen
from screens.station import StationScreen
from screens.suppliers import SuppliersScreen
from tests.helpers.app import key_help, make_app, settle, sign_in, text_of
from tests.helpers.incoming import add_defect, noon, seed_incoming

SIZE = (110, 40)


def table_rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def test_operator_is_refused_and_a_supervisor_sees_the_ranking(demo_plant, clock):
    seed_incoming()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")  # an operator: neither key is offered; both say no
        assert "Suppliers" not in key_help(app) and "Anomalies" not in key_help(app)
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)  # no screen, no form: told at once
        assert text_of(app, "#message") == (
            "Suppliers: only a supervisor or above may use this key."
        )
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert "Anomalies: only a supervisor or above" in text_of(app, "#message")
        with db.connection():
            refusals = [
                (entry.action, entry.target, entry.actor.badge_code, entry.terminal)
                for entry in AuditEntry.select().where(~AuditEntry.allowed).order_by(AuditEntry.id)
            ]
        assert refusals == [
            ("key_refused", "suppliers", "E1002", "TEST-1"),
            ("key_refused", "anomalies", "E1002", "TEST-1"),
        ]
        await pilot.press("f10")

        await sign_in(pilot, "E4002", "1234")  # a supervisor
        assert isinstance(app.screen, StationScreen)
        await pilot.press("ctrl+u")  # the station scan input has focus: the binding still works
        await settle(pilot)
        assert isinstance(app.screen, SuppliersScreen)
        rows = table_rows(app, "#supplier-table")
        assert rows[0] == [
            "1",
            "SUP-CN01",
            "Hunan Copper Terminals Co.",
            "4",
            "40.0 %",
            "▲ 2 → 4",
            "A1, A2 (+1)",
            "⚠ HIGH RISK",
        ]
        assert rows[1] == [
            "2",
            "SUP-CN02",
            "Shenzhen PCB Works",
            "3",
            "30.0 %",
            "= 3 → 3",
            "P7, SP-2509-114",
            "⚠ HIGH RISK",
        ]
        assert rows[2][3:] == ["2", "20.0 %", "▼ 5 → 2", "E1, E2", "⚠ HIGH RISK"]
        assert rows[3][0] == "4" and rows[3][3:] == ["1", "10.0 %", "▲ 0 → 1", "R1", "—"]
        assert rows[4][:2] == ["—", "SUP-X9"] and rows[4][5] == "▼ 1 → 0"
        assert text_of(app, "#supplier-detail") == (
            "SUP-CN01 Hunan Copper Terminals Co.: 4 defects, 40.0 % (2 the period before). "
            "Lots: A1, A2, A3. HIGH RISK: share 40.0 % ≥ 25 %."
        )
        await pilot.press("down", "down")
        await settle(pilot)
        assert text_of(app, "#supplier-detail").endswith("HIGH RISK: 1 critical defect.")
        assert "2025-09-01 – 2025-09-30" in text_of(app, "#suppliers-period")
        summary = text_of(app, "#suppliers-summary")
        assert "10 incoming-material defects" in summary and "3 high-risk suppliers" in summary

        add_defect(noon(9, 9), supplier="SUP-CN04", lot="R9")  # another terminal writes
        await pilot.press("r")
        await settle(pilot)
        rows = table_rows(app, "#supplier-table")
        assert [row[1] for row in rows][:4] == ["SUP-CN01", "SUP-CN02", "SUP-CN03", "SUP-CN04"]
        assert rows[0][4] == "36.4 %" and rows[3][3:7] == ["2", "18.2 %", "▲ 0 → 2", "R1, R9"]
        assert text_of(app, "#supplier-detail").startswith("SUP-CN03")  # the cursor stayed
        await pilot.press("left_square_bracket")  # the 30 days before: 2 to 31 August
        await settle(pilot)
        assert "2025-08-02 – 2025-08-31" in text_of(app, "#suppliers-period")
        rows = table_rows(app, "#supplier-table")
        assert [(row[1], row[3], row[4]) for row in rows] == [
            ("SUP-CN03", "5", "45.5 %"),
            ("SUP-CN02", "3", "27.3 %"),
            ("SUP-CN01", "2", "18.2 %"),
            ("SUP-X9", "1", "9.1 %"),
            ("SUP-CN04", "0", "0.0 %"),  # its 1 August defect is in the period before that
        ]
        await pilot.press("c")
        await settle(pilot)
        assert "2025-09-01 – 2025-09-30" in text_of(app, "#suppliers-period")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)


async def test_the_pareto_screen_shows_the_month_and_moves_with_brackets(
    demo_plant, clock, tmp_path: Path
):
    # September 2025: the demo's method anomaly + 2 more, a machine one, 5 material imported
    add_defect(noon(9, 3), source="on_site_anomaly", category="method")
    add_defect(noon(9, 15), source="on_site_anomaly", category="method")
    add_defect(noon(9, 20), source="on_site_anomaly", category="machine")
    history = tmp_path / "sept.csv"
    history.write_text(  # replaces the demo's PMC count for September (all six categories)
        "month,category,count\n2025-09,material,6\n2025-09,machine,0\n2025-09,method,0\n2025-09,man,0\n2025-09,measurement,0\n2025-09,environment,0\n",
        encoding="utf-8",
    )
    anomalies.import_anomalies(Caller.system(clock), history)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", "1234")
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, AnomaliesScreen)
        assert "2025-09" in text_of(app, "#anomalies-month")
        assert "compared with 2024-09" in text_of(app, "#anomalies-month")
        summary = text_of(app, "#anomalies-summary")
        assert "10 on-site anomalies (4 reported at the kiosk, 6 imported)" in summary
        assert "2024-09: 80" in summary and "-87.5 % year on year" in summary
        assert table_rows(app, "#anomalies-table") == [
            ["Material", "6", "60.0 %", "60.0 %", "31", "▼ -25"],
            ["Method", "3", "30.0 %", "90.0 %", "12", "▼ -9"],
            ["Machine", "1", "10.0 %", "100.0 %", "14", "▼ -13"],
            ["Man", "0", "0.0 %", "100.0 %", "10", "▼ -10"],
            ["Measurement", "0", "0.0 %", "100.0 %", "8", "▼ -8"],
            ["Environment", "0", "0.0 %", "100.0 %", "5", "▼ -5"],
        ]
        chart = str(app.screen.query_one("#anomalies-chart", PlotextPlot).render())
        assert "Pareto by 5M1E (10)" in chart and "Material" in chart and "Machine" in chart

        await pilot.press("left_square_bracket")  # the month before: the plant's August report
        await settle(pilot)
        assert "2025-08" in text_of(app, "#anomalies-month")
        assert "80 on-site anomalies (0 reported at the kiosk, 80 imported)" in text_of(
            app, "#anomalies-summary"
        )
        assert table_rows(app, "#anomalies-table")[0] == [
            "Material",
            "30",
            "37.5 %",
            "37.5 %",
            "29",
            "▲ +1",
        ]
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert "2025-10" in text_of(app, "#anomalies-month")
        assert "No on-site anomalies recorded for 2025-10" in text_of(app, "#message")
        assert not app.screen.query_one("#anomalies-table", DataTable).display
