"""Every list keeps the columns a person needs at 80x24 (the rest elided, wrapped, or named
under the table as hidden) and shows them all at 120x40; a long note reads in full."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk import i18n
from kiosk.caller import Caller
from kiosk.i18n import _
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.training import contests
from models import ProductionLine, Station, Team, db
from screens.widgets.tables import Col, FittedTable, choose_columns
from tests.helpers.app import fill_form, make_app, open_menu_entry, settle, sign_in, table_rows
from tests.helpers.contest import first_item_answered_right, open_host_screen

SIZES = ((80, 24), (120, 40))
NOTE = " ".join(f"step{n:02d}" for n in range(30))  # thirty words: 209 characters


def headers(table: FittedTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


def drawn(table: FittedTable) -> str:
    """The table's lines as they are drawn."""
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


STANDINGS = ({"Rank", "Team", "Points"}, ["Rank", "Team", "Points", "Right", "Wrong"])
# each list: the columns a person needs at 80x24, and all of them in their order
COLUMNS = {
    "#checklist": (
        {"Code", "Item", "Result"},
        ["Code", "Area", "Item", "Result", "Note", "Defect"],
    ),
    "#anomalies-table": (
        {"Category", "Count", "Cumulative", "Change"},
        ["Category", "Count", "Share", "Cumulative", "Year before", "Change"],
    ),
    "#ranking": (
        {"Rank", "Participant", "Total"},
        ["Rank", "Participant", "Department", "Total", "Judges", "Scored"],
    ),
    "#teams": ({"Code", "Team", "Members"}, ["Code", "Team", "Members", "Departments"]),
    "#standings": STANDINGS,
    "#campaigns": (
        {"From", "To", "Active", "Campaign name"},
        ["From", "To", "Active", "Phases", "Campaign name"],
    ),
    "#codes-department": (
        {"Code", "Department name", "Status"},
        ["Code", "Department name", "Status", "Active people"],
    ),
    "#codes-team": (
        {"Code", "Line team name", "Status"},
        ["Code", "Line team name", "Status", "Active lines"],
    ),
    "#codes-supplier": (
        {"Code", "Supplier name", "Status"},
        ["Code", "Supplier name", "Status"],
    ),
    "#history": ({"When", "Who", "What"}, ["When", "Who", "What"]),
}


def check(app, selector: str, size: tuple[int, int]) -> None:
    """At 80x24 the needed columns, inside the screen, the others named as hidden; wider,
    every column and none hidden."""
    needed, every = COLUMNS[selector]
    table = app.screen.query_one(selector, FittedTable)
    shown = headers(table)
    assert needed <= set(shown), f"{size} {selector}: {shown}"
    assert table.region.right <= size[0], f"{size} {selector}: {table.region}"
    assert table.row_count, f"{size} {selector}: no rows"
    assert shown == [c for c in every if c in shown], "in their order"
    if table.hidden_labels:
        assert set(table.hidden_labels) == set(every) - set(shown)
        assert table.border_subtitle == "hidden: " + ", ".join(table.hidden_labels)
    if size != SIZES[0]:
        assert shown == every and table.hidden_labels == (), f"{selector}: {shown}"


async def test_a_supervisors_lists_keep_names_points_and_results_at_80x24(demo_plant, clock):
    contests.contest_teams()  # the demo's two contest teams
    for size in SIZES:
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "E4002", "1234")
            # each key path from the station screen, the list it leads to, the way back
            for keys, selector, back in (
                (("f6", "enter"), "#checklist", ("escape", "escape")),  # the first line
                (("ctrl+a",), "#anomalies-table", ("escape",)),
                (("f9", "down", "enter", "down", "enter"), "#ranking", ("escape", "escape")),
            ):
                await pilot.press(*keys)
                await settle(pilot)
                check(app, selector, size)
                await pilot.press(*back)
                await settle(pilot)
            await open_host_screen(pilot, app)
            check(app, "#teams", size)
            await first_item_answered_right(pilot, app)
            check(app, "#standings", size)
            await pilot.press("s")  # the scoreboard, beside the host
            await settle(pilot)
            check(app, "#standings", size)
            table = app.screen.query_one("#standings", FittedTable)
            first = [str(cell) for cell in table.get_row_at(0)]
            assert first[:3] == ["1", "Zero Defect Eagles", "+2"]  # best first


async def test_an_admins_lists_keep_codes_names_and_status_at_80x24(demo_plant, clock):
    for size in SIZES:
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "E4001", "1234")
            await pilot.press("ctrl+k")
            await settle(pilot)
            check(app, "#campaigns", size)
            name = "2025 Quality Month: Strive for Zero Defects, Fully Build Reliability"
            lines = drawn(app.screen.query_one("#campaigns", FittedTable))
            assert all(word in lines for word in name.split()), lines  # wrapped, not cut
            await pilot.press("escape")
            await settle(pilot)
            await open_menu_entry(pilot, app, 3)  # departments and line teams
            check(app, "#codes-department", size)
            check(app, "#codes-team", size)
            await pilot.press("escape", "escape")
            await settle(pilot)
            await open_menu_entry(pilot, app, 2)  # suppliers
            check(app, "#codes-supplier", size)


async def test_a_long_fix_note_reads_in_full_in_the_defect_history(demo_plant, clock):
    for size in SIZES:
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "E1001", "1234")
            await pilot.press("f5", "enter")
            await settle(pilot)
            await fill_form(pilot, app, "p", progress=NOTE)
            history = app.screen.query_one("#history", FittedTable)
            history.focus()  # the scroll follows the focus down to the history
            await settle(pilot)
            check(app, "#history", size)
            lines = drawn(history)
            assert all(word in lines for word in NOTE.split()), lines
            assert max(len(line.rstrip()) for line in lines.splitlines()) <= size[0]
            assert history.region.bottom <= size[1]
            ledger = app.screen.query_one("#ledger", FittedTable)
            assert {"Points", "Reason"} <= set(headers(ledger))


async def test_a_tall_form_scrolls_its_fields_above_its_buttons(demo_plant, clock):
    """The contest team form (a name and four badges) is taller than 80x24 and 120x40: its
    fields scroll between the title and the buttons, and the last one comes into view."""
    for size in SIZES:
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "E4002", "1234")
            await open_host_screen(pilot, app)
            await pilot.press("t", "ctrl+s")  # sent empty: the problems at the top
            await settle(pilot)
            form = app.screen
            fields, buttons = form.query_one("#form-fields"), form.query_one("#form-buttons")
            message = form.query_one("#message")
            assert "1 field needs attention: Team name" in str(message.content)
            assert message.region.bottom <= fields.region.y
            assert fields.region.bottom <= buttons.region.y, (fields.region, buttons.region)
            assert buttons.region.bottom <= size[1]
            last = form.query_one("#field-member4")
            last.focus()
            await settle(pilot)
            await pilot.wait_for_scheduled_animations()  # focus scrolls it into view, animated
            assert fields.region.contains_region(last.region), (fields.region, last.region)


def test_a_wrapped_note_is_narrowed_before_a_name_is_elided_and_never_cut():
    columns = [
        Col("when", "When"),
        Col("who", "Who", flex=True, min_width=6),
        Col("what", "What", wrap=True, min_width=20),
    ]
    rows = [("2025-09-10 08:00", "Zhang Wei", NOTE)]
    kept, hidden = choose_columns(columns, rows, 60)
    widths = {c.key: w for _n, c, w in kept}
    assert not hidden and widths["who"] == len("Zhang Wei")  # the name whole
    assert widths["what"] == 60 - 3 * 2 - widths["when"] - widths["who"]  # the rest, wrapped
    kept, hidden = choose_columns(columns, rows, 40)  # then the name is elided
    widths = {c.key: w for _n, c, w in kept}
    assert not hidden and widths["what"] == 20 and widths["who"] < len("Zhang Wei")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_black_list_names_each_overdue_defect_at_80x24(demo_plant, clock, language):
    """Which defect is late is the point of the black list: at 80x24, in Chinese too (its
    longer "3天04时"), each overdue row shows the defect's id beside how late it is, with a
    plant's station codes; the station goes before the id. At 120x40 both show."""
    with db.connection():
        line = ProductionLine.get(ProductionLine.team == Team.get(Team.code == "T1").id)
        Station.create(code="PL001-S01", name="Station 1", line=line)
    reporter = Caller.of(auth.identify_badge("E4004"), clock)
    draft = DefectDraft("PL001-S01", "machine", "critical", "inspection", "Torque drifts")
    late = report_defect(reporter, draft).id
    clock.advance(timedelta(days=5, hours=4))  # long past its correction window
    with i18n.language(language):
        overdue, defect = _("Overdue"), _("Defect")
    for size in SIZES:
        app = make_app(demo_plant, clock, language)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("f7")  # from the sign-in screen
            await settle(pilot)
            table = app.screen.query_one("#overdue", FittedTable)
            shown = headers(table)
            assert shown[:2] == [overdue, defect], f"{size}: {shown}"
            assert table.region.right <= size[0]
            assert table.virtual_size.width <= table.size.width, "nothing cut at the right"
            rows = {row[1]: row for row in table_rows(app, "#overdue")}
            assert late[:8] in rows, f"{size}: {sorted(rows)}"
            assert all(len(key) == 8 for key in rows)  # every row names its defect
            if size != SIZES[0]:
                assert "PL001-S01" in rows[late[:8]], rows[late[:8]]
