"""The worklist (F5): states, teams, search by id or station, pages with the count; a closed
defect found and marked typical at 80x24. Both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import DataTable

from kiosk import i18n
from kiosk.caller import Caller
from kiosk.errors import ValidationFailed
from kiosk.i18n import _
from kiosk.services.defects import lifecycle
from kiosk.services.defects import worklist as service
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from models import Defect, DefectProgress, ProductionLine, Station, Team, db
from screens.defect_detail import DefectDetailScreen
from screens.widgets.tables import FittedTable
from screens.worklist import WorklistScreen
from tests.helpers.app import make_app, post_keys, screen_text, settle, sign_in, text_of


def _closed(clock, station: str = "L1-S04", text: str = "Tester probe worn") -> str:
    """A defect of T1 reported, fixed, verified by another team's leader and closed."""
    receipt = report_defect(
        Caller.of(auth.identify_badge("E4004"), clock),
        DefectDraft(station, "measurement", "major", "inspection", text),
    )
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), receipt.id, "done")
    lifecycle.verify(Caller.of(auth.identify_badge("E4003"), clock), receipt.id, "ok")
    lifecycle.close(
        Caller.of(auth.identify_badge("E1001"), clock),
        receipt.id,
        lifecycle.RootCause("machine", "Probe past its cycle limit", "Probe counter"),
    )
    return receipt.id


def _t1() -> int:
    with db.connection():
        return Team.get(Team.code == "T1").id


def test_states_teams_search_and_pages_are_counted(demo_plant, clock):
    closed_id = _closed(clock)
    team = _t1()
    with db.connection():
        open_t1 = (
            Defect.select()
            .where((Defect.team == team) & Defect.status.in_(service.FILTERS["open"]))
            .count()
        )
        everything = Defect.select().count()
    page = service.worklist_page(Caller.system(clock), team)
    assert page.total == open_t1 == len(page.items)
    assert closed_id not in {item.id for item in page.items}

    closed = service.worklist_page(Caller.system(clock), team, state="closed")
    assert [item.id for item in closed.items] == [closed_id]
    assert closed.items[0].status == "closed"
    assert service.worklist_page(Caller.system(clock), None, state="all").total == everything

    by_id = service.worklist_page(
        Caller.system(clock), None, state="all", search=closed_id[:6].upper()
    )
    assert [item.id for item in by_id.items] == [closed_id]
    by_station = service.worklist_page(Caller.system(clock), None, state="all", search="l1-s04")
    assert closed_id in {item.id for item in by_station.items}
    assert all(item.station_code == "L1-S04" for item in by_station.items)
    assert (
        service.worklist_page(Caller.system(clock), None, state="all", search="zz-none").total == 0
    )

    for n in range(5):
        report_defect(
            Caller.of(auth.identify_badge("E1002"), clock),
            DefectDraft("L1-S02", "man", "minor", "inspection", f"Paging {n}"),
        )
    first = service.worklist_page(Caller.system(clock), None, search="L1-S02", limit=2)
    second = service.worklist_page(Caller.system(clock), None, search="L1-S02", offset=2, limit=2)
    assert first.total == second.total >= 5 and len(first.items) == len(second.items) == 2
    assert (first.first, first.last, second.first) == (1, 2, 3)
    assert not {i.id for i in first.items} & {i.id for i in second.items}
    assert [i.seconds_left for i in first.items] == sorted(i.seconds_left for i in first.items)

    with pytest.raises(ValidationFailed):
        service.worklist_page(Caller.system(clock), None, state="everything")


def test_each_row_shows_its_newest_progress_post(demo_plant, clock):
    """The page names each defect's newest post (a defect with many posts, one with none),
    as a walk over all the posts would."""
    reporter = Caller.of(auth.identify_badge("E1002"), clock)
    leader = Caller.of(auth.identify_badge("E1001"), clock)
    busy = report_defect(reporter, DefectDraft("L1-S02", "man", "minor", "inspection", "Busy"))
    quiet = report_defect(reporter, DefectDraft("L1-S03", "man", "minor", "inspection", "Quiet"))
    for n in range(4):
        clock.advance(timedelta(minutes=7))
        lifecycle.post_progress(leader, busy.id, f"step {n}")
    page = service.worklist_page(Caller.system(clock), _t1(), search="L1-S0")
    rows = {item.id: item for item in page.items}
    with db.connection():
        posts = {
            str(defect.id): sorted((p.at, p.id, p.text) for p in defect.progress)
            for defect in Defect.select().where(Defect.id.in_([busy.id, quiet.id]))
        }
    newest_at, _, newest_text = posts[busy.id][-1]
    assert (rows[busy.id].last_progress, rows[busy.id].last_progress_at) == (
        "step 3",
        newest_at,
    )
    assert newest_text == "step 3"
    assert posts[quiet.id] == []
    assert (rows[quiet.id].last_progress, rows[quiet.id].last_progress_at) == ("", None)


async def test_supervisor_finds_a_closed_defect_and_marks_it_typical(demo_plant, clock):
    closed_id = _closed(clock)
    clock.advance(timedelta(hours=1))
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, WorklistScreen)
        await pilot.press("a", "s", "s", "s")  # all teams; open -> fixed -> verified -> closed
        await settle(pilot)
        assert "Defects of all teams · closed" in text_of(app, "#worklist-title")
        await pilot.press("slash")
        post_keys(app, closed_id[:8] + "\n")
        await settle(pilot)
        table = app.screen.query_one("#worklist", DataTable)
        assert table.has_focus and table.row_count == 1
        assert str(table.get_row_at(0)[0]) == closed_id[:8]
        assert "1 defect. Enter opens one." in text_of(app, "#message")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        await pilot.press("t")
        await settle(pilot)
        if not isinstance(app.screen, DefectDetailScreen):  # a confirmation form
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
    with db.connection():
        assert Defect.get_by_id(closed_id).typical


async def test_paging_shows_the_count_and_moves_on(demo_plant, clock):
    """A page is the rows the table shows at 80x24 (no more is read); F8 walks every
    defect exactly once, with the count, and says when there is no page further."""
    for n in range(55):
        report_defect(
            Caller.of(auth.identify_badge("E1002"), clock),
            DefectDraft("L1-S02", "man", "minor", "inspection", f"Loose screw {n}"),
        )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press("f5")
        await settle(pilot)
        table = app.screen.query_one("#worklist", DataTable)
        message = text_of(app, "#message")
        total = int(message.split(" of ")[1].split()[0])
        fits = table.size.height - 1  # under its header
        assert 5 <= table.row_count <= fits < 24
        assert message.startswith(f"1–{table.row_count} of {total}")
        assert "F8 next page" in message
        seen: list[str] = []
        while True:
            seen += [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
            await pilot.press("f8")
            await settle(pilot)
            if "no page that way" in text_of(app, "#message"):
                break
            first = len(seen) + 1
            assert text_of(app, "#message").startswith(f"{first}–")
        assert len(seen) == len(set(seen)) == total >= 55


PLANT_STATION = "PL001-S01"  # a station code as `kiosk demo --scale` makes them
LONG_TEXT = "Torque tool drifts past its tolerance on the night shift, lot {n}"


def _plant_like_rows(clock) -> str:
    """Line 1 Team's worklist as a plant's looks: long station codes and descriptions,
    critical defects, some overdue, and one fixed and awaiting verification (the widest
    status); the fixed one's id."""
    team = _t1()
    with db.connection():
        line = ProductionLine.get(ProductionLine.team == team)
        Station.create(code=PLANT_STATION, name="Station 1", line=line)
    reporter = Caller.of(auth.identify_badge("E4004"), clock)

    def report(n: int) -> str:
        text = LONG_TEXT.format(n=n)
        draft = DefectDraft(PLANT_STATION, "machine", "critical", "inspection", text)
        return report_defect(reporter, draft).id

    for n in range(3):
        report(n)
    clock.advance(timedelta(days=3, hours=4))  # those three are overdue now
    fixed = report(3)
    clock.advance(timedelta(hours=5, minutes=20))
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), fixed, "recalibrated")
    return fixed


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_leader_sees_the_time_left_of_what_awaits_verification_at_80(
    demo_plant, clock, language
):
    """At 80x24, with a plant's rows, the countdown stays beside the status (in a word
    or two: "to verify"; the defect's screen names it in full), of my team and of all
    teams; severity goes first."""
    fixed = _plant_like_rows(clock)
    with db.connection():
        seconds = int((Defect.get_by_id(fixed).due_at - clock.now()).total_seconds())
    with i18n.language(language):
        left = lifecycle.describe_time_left(seconds)  # "1d 18h left"
        to_verify, time_left, status = _("to verify"), _("Time left"), _("Status")
        full_status = lifecycle.STATUS_TITLES["fixed"]
    assert seconds > 0 and len(to_verify) < len(full_status)
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", "1234")
        await pilot.press("f5")
        await settle(pilot)
        table = app.screen.query_one("#worklist", FittedTable)
        headers = [column.label.plain for column in table.columns.values()]
        assert {status, time_left} <= set(headers), headers
        assert table.region.right <= 80 and table.virtual_size.width <= table.size.width
        rows = {
            str(cells[0]): [str(cell) for cell in cells]
            for cells in map(table.get_row_at, range(table.row_count))
        }
        assert rows[fixed[:8]][headers.index(time_left)] == left
        assert rows[fixed[:8]][headers.index(status)] == to_verify
        late = [cells for key, cells in rows.items() if PLANT_STATION in cells and key != fixed[:8]]
        assert len(late) == 3
        assert all(cells[headers.index(time_left)].startswith(_overdue(language)) for cells in late)
        await pilot.press("a")  # all teams: a plant's longer station codes compete too
        await settle(pilot)
        headers = [column.label.plain for column in table.columns.values()]
        assert {status, time_left} <= set(headers), headers
        assert table.region.right <= 80 and table.virtual_size.width <= table.size.width
        everyone = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert all(row[headers.index(time_left)] for row in everyone)
        ours = {row[0]: row for row in everyone}[fixed[:8]]  # on the first page
        assert ours[headers.index(time_left)] == left
        assert ours[headers.index(status)] == to_verify
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("s")  # fixed, awaiting verification: what a leader goes to verify
        await settle(pilot)
        with i18n.language(language):
            assert _("fixed (awaiting verification)") in text_of(app, "#worklist-title")
        shown = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[0] for row in shown] == [fixed[:8]]
        assert left in shown[0] and to_verify in shown[0]
        await pilot.press("enter")  # the defect's own screen names the status in full
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        assert full_status.upper() in screen_text(app)  # the summary says it in capitals


def _overdue(language: str) -> str:
    with i18n.language(language):
        return lifecycle.describe_time_left(-60).split()[0]  # OVERDUE / 超期


def test_rows_read_ids_and_times_as_the_models_do(demo_plant, clock):
    """Each row's id, due time, time left and newest post's time are what reading the
    defect and its posts through the models gives: times stored with and without
    microseconds, and (SQLite keeps text) one written by another program with an offset."""
    reporter = Caller.of(auth.identify_badge("E1002"), clock)
    leader = Caller.of(auth.identify_badge("E1001"), clock)
    drafts = [DefectDraft("L1-S02", "man", "minor", "inspection", f"Times {n}") for n in range(3)]
    ids = [report_defect(reporter, draft).id for draft in drafts]
    clock.advance(timedelta(minutes=3, microseconds=654321))
    lifecycle.post_progress(leader, ids[2], "checked")
    with db.connection() as database:
        due = clock.now() + timedelta(hours=5, microseconds=123456)
        Defect.update(due_at=due).where(Defect.id == ids[0]).execute()
        if not db.is_postgresql():
            database.execute_sql(
                "UPDATE defect SET due_at = ? WHERE id = ?",
                ("2025-09-11 10:00:00.250000+02:00", uuid.UUID(ids[1]).hex),
            )
    page = service.worklist_page(Caller.system(clock), _t1(), search="L1-S02", limit=200)
    items = {item.id: item for item in page.items}
    assert set(ids) <= set(items)
    with db.connection():
        for item in page.items:
            defect = Defect.get_by_id(item.id)
            newest = (
                DefectProgress.select()
                .where(DefectProgress.defect == defect.id)
                .order_by(DefectProgress.at.desc(), DefectProgress.id.desc())
                .first()
            )
            assert item.id == str(defect.id) and item.short_id == item.id[:8]
            assert (item.due_at, item.due_at.tzinfo) == (defect.due_at, UTC)
            assert item.seconds_left == int((defect.due_at - clock.now()).total_seconds())
            assert item.last_progress_at == (newest.at if newest else None)
    assert items[ids[0]].due_at == due and due.microsecond == 777777  # 654321 + 123456
    assert items[ids[2]].last_progress_at == clock.now()
    assert items[ids[2]].last_progress_at.tzinfo == UTC
    if not db.is_postgresql():
        assert items[ids[1]].due_at == datetime(2025, 9, 11, 8, 0, 0, 250000, tzinfo=UTC)
        assert items[ids[1]].due_at.tzinfo == UTC
