"""The worklist (F5): states, teams, search by id or station, pages with the count; a closed
defect found and marked typical at 80x24. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable

from kiosk.caller import Caller
from kiosk.errors import ValidationFailed
from kiosk.services.defects import lifecycle
from kiosk.services.defects import worklist as service
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from models import Defect, Team, db
from screens.defect_detail import DefectDetailScreen
from screens.worklist import WorklistScreen
from tests.helpers.app import make_app, post_keys, settle, sign_in, text_of


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


async def test_a_leader_lists_what_awaits_verification_with_its_status_at_80(demo_plant, clock):
    """At 80 columns the Status column stays (the time left goes first), and `s` lists the
    defects fixed and awaiting verification."""
    fixed = report_defect(
        Caller.of(auth.identify_badge("E4004"), clock),
        DefectDraft("L1-S02", "machine", "major", "inspection", "Torque tool drifts"),
    ).id
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), fixed, "recalibrated")
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", "1234")
        await pilot.press("f5")
        await settle(pilot)
        table = app.screen.query_one("#worklist", DataTable)
        assert "Status" in [column.label.plain for column in table.columns.values()]
        await pilot.press("s")
        await settle(pilot)
        assert "fixed (awaiting verification)" in text_of(app, "#worklist-title")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[0] for row in rows] == [fixed[:8]]
        assert "fixed, awaiting verification" in rows[0]
