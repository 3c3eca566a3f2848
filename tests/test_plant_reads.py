"""Reads that cost what they show: each rewritten read returns exactly what the old one
did (or a slow reference computed here from the raw rows), on the demo plant and on a
mid-size plant grown by tests.helpers.plant_factory; paged lists show every row exactly once."""

from __future__ import annotations

import pytest

from kiosk.caller import Caller
from kiosk.services.defects.lifecycle import OPEN_STATUSES
from kiosk.services.lines import suppliers
from kiosk.services.reports import kpis, reports
from kiosk.services.training import assessments
from models import Campaign, Defect, Employee, LedgerEntry, Supplier, Team, db
from models.migrations.v0018_defect_rollups import rebuild
from models.totals import LedgerTeamHour, LedgerTeamPerson
from tests.helpers.plant_factory import grow_plant
from tests.helpers.rollups import assert_daily_series_as_the_rows_say
from tests.helpers.threads import run_workers


@pytest.fixture(params=["demo", "grown"])
def plant(request, demo_plant, clock, copy_of_template) -> str:
    if request.param == "grown":
        copy_of_template("grown")  # the demo plant after grow_plant(), grown once per process
    return request.param


def test_coverage_counts_in_sql_and_pages_the_missing_people(plant):
    old = assessments.coverage_report()
    page = assessments.coverage_page(limit=200)
    assert page.overall == old.overall
    assert page.by_department == old.by_department
    assert page.by_team == old.by_team
    assert page.missing_total == len(old.missing)
    shown = []
    offset = 0
    while offset < page.missing_total:
        part = assessments.coverage_page(offset=offset, limit=37)
        assert part.missing_total == page.missing_total
        shown.extend(part.missing)
        offset += 37
    assert shown == list(old.missing)  # every row once, in the old order
    assert assessments.coverage_page(offset=offset, limit=37).missing == ()


async def test_the_coverage_screen_pages_every_missing_person_once(demo_plant, clock):
    from tests.helpers.app import (
        SIZE,
        make_app,
        open_coverage,
        settle,
        sign_in,
        table_rows,
        text_of,
    )

    grow_plant(employees=150, defects=0, ledger=0)
    expected = [e.badge_code for e in assessments.coverage_report().missing]
    assert len(expected) > 100
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", "1234")
        await open_coverage(pilot, app)
        assert text_of(app, "#missing-title").startswith(f"Still missing: 1–50 of {len(expected)} ")
        seen = []
        while True:
            seen.extend(row[1] for row in table_rows(app, "#missing"))
            if len(seen) >= len(expected):
                break
            await pilot.press("pagedown")
            await settle(pilot)
        assert seen == expected
        last_page = (len(expected) - 1) // 50 * 50
        assert f"{last_page + 1}–{len(expected)} of {len(expected)}" in text_of(
            app, "#missing-title"
        )
        await pilot.press("pagedown")  # past the end: says so, stays
        await settle(pilot)
        assert "There is no page that way." in text_of(app, "#message")
        await pilot.press("f7")
        await settle(pilot)
        shown = [row[1] for row in table_rows(app, "#missing")]
        assert shown == expected[last_page - 50 : last_page]


def _raw_defects() -> list[Defect]:
    return list(Defect.select())


def test_supplier_ranking_groups_in_sql_as_the_raw_rows_say(plant, clock):
    ranking = suppliers.supplier_ranking(Caller.system(clock))
    first, after = suppliers._bounds(ranking.start, ranking.end)
    before_first, before_after = suppliers._bounds(ranking.previous_start, ranking.previous_end)
    incoming = [d for d in _raw_defects() if d.source == suppliers.SOURCE]
    now = [d for d in incoming if first <= d.reported_at < after]
    then = [d for d in incoming if before_first <= d.reported_at < before_after]
    codes = {s.id: s.code for s in Supplier.select()}

    def code(d):
        return codes.get(d.supplier_id, suppliers.NO_SUPPLIER)

    expected = {}
    for key in {code(d) for d in now + then}:
        mine = [d for d in now if code(d) == key]
        expected[key] = (
            len(mine),
            sum(1 for d in then if code(d) == key),
            tuple(sorted({d.lot for d in mine if d.lot})),
            sum(1 for d in mine if d.severity == "critical"),
        )
    got = {r.supplier_code: (r.count, r.previous_count, r.lots, r.critical) for r in ranking.rows}
    assert got == expected
    assert (ranking.total, ranking.previous_total) == (len(now), len(then))
    counts = [r.count for r in ranking.rows]
    assert counts == sorted(counts, reverse=True)
    high, active = suppliers.high_risk_count(ranking.start, ranking.end, ranking.threshold_percent)
    assert high == sum(1 for r in ranking.rows if r.high_risk)
    assert active == Supplier.select().where(Supplier.active).count()


def test_red_black_overdue_shows_the_longest_overdue_and_counts_them_all(plant, clock):
    board = reports.red_black(Caller.system(clock))
    now = clock.now()
    late = sorted(
        (d for d in _raw_defects() if d.status in OPEN_STATUSES and d.due_at < now),
        key=lambda d: (d.due_at, str(d.id)),
    )
    assert board.overdue_total == len(late)
    shown = [(d.id, d.due_at, d.severity) for d in board.overdue_defects]
    assert [due for _id, due, _s in shown] == [d.due_at for d in late][: reports.OVERDUE_SHOWN]
    assert {i for i, _d, _s in shown} <= {str(d.id) for d in late}
    assert len(shown) == min(len(late), reports.OVERDUE_SHOWN)


def _raw_ledger() -> list[LedgerEntry]:
    return list(LedgerEntry.select())


def test_the_rollups_equal_the_ledger_summed_again(plant):
    def rows():
        hours = sorted(LedgerTeamHour.select().tuples())
        people = sorted(LedgerTeamPerson.select().tuples())
        return hours, people

    kept = rows()
    with db.connection() as database, database.atomic():
        rebuild(database)
    assert rows() == kept
    assert sum(h[3] for h in kept[0]) == sum(e.amount for e in _raw_ledger())


def test_daily_series_reads_the_rollup_as_the_ledger_says(plant, clock):
    assert_daily_series_as_the_rows_say(clock)


def test_red_black_points_read_the_rollup_as_the_ledger_says(plant, clock):
    board = reports.red_black(Caller.system(clock))
    campaign = Campaign.get(Campaign.active)
    ledger = [e for e in _raw_ledger() if e.campaign_id == campaign.id]
    teams = {t.id: t.name for t in Team.select()}
    people = {e.id: e.name for e in Employee.select()}

    def per_team(prefix):
        found = {}
        for e in ledger:
            if e.idempotency_key.startswith(prefix):
                count, total = found.get(teams[e.team_id], (0, 0))
                found[teams[e.team_id]] = (count + 1, total + e.amount)
        return found

    assert {t.team_name: t.on_time for t in board.on_time_teams} == {
        name: count for name, (count, _total) in per_team("ontime:").items()
    }
    assert {t.team_name: (t.penalties, t.points_lost) for t in board.late_teams} == per_team(
        "overdue:"
    )
    totals = {}
    for e in ledger:
        if e.employee_id is not None:
            key = (people[e.employee_id], teams[e.team_id])
            totals[key] = totals.get(key, 0) + e.amount
    best = sorted(
        ((pts, name, team) for (name, team), pts in totals.items() if pts > 0),
        key=lambda t: (-t[0], t[1]),
    )
    got = [(p.points, p.name, p.team_name) for p in board.top_people]
    assert [pts for pts, _n, _t in got] == [pts for pts, _n, _t in best[: reports.TOP_PEOPLE]]
    assert set(got) <= set(best)


async def test_a_board_for_a_campaign_with_no_data_shows_empty_panels(demo_plant, clock):
    from textual.widgets import DataTable, Digits

    from kiosk.app import KioskApp
    from kiosk.config import Settings
    from kiosk.services.plant import campaigns
    from screens.board import BoardScreen, Tile
    from tests.helpers.app import SIZE, settle, text_of

    empty = campaigns.create_campaign(
        Caller.system(clock), campaigns.CampaignDraft("Empty 2027", "2027-03-01", "2027-03-31")
    )
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        screen._picked(empty.id)
        for _ in range(20):
            await settle(pilot)
            if "Empty 2027" in text_of(app, "#campaign-line"):
                break
        assert "Empty 2027" in text_of(app, "#campaign-line")
        assert "error" not in str(screen.query_one("#message").classes)
        assert screen.query_one("#tile-open", Tile).query_one(Digits).value == "0/0"
        assert screen.query_one("#tile-critical", Tile).query_one(Digits).value.startswith("0")
        teams = screen.query_one("#board-teams", DataTable)
        assert all(str(teams.get_row_at(i)[-1]) in ("0", "+0") for i in range(teams.row_count))
        board = reports.red_black(Caller.system(clock), campaign_id=empty.id)
        assert (board.on_time_teams, board.top_people, board.overdue_defects) == ((), (), ())
        assert board.late_teams == () and board.overdue_total == 0
        series = kpis.daily_series(Caller.system(clock), campaign_id=empty.id)
        assert set(series.defects_reported) == {0}
        assert all(set(points) == {0} for _name, points in series.team_points)


async def test_the_review_queue_pages_every_proposal_once(demo_plant, clock):
    import uuid
    from datetime import timedelta as later

    from kiosk.services.defects import proposals
    from models.proposals import Proposal
    from tests.helpers.app import SIZE, make_app, open_proposals, settle, sign_in, text_of
    from tests.helpers.app import table_rows as rows

    submitter = Employee.get(Employee.badge_code == "E1004")
    with db.connection():
        Proposal.insert_many(
            [
                {
                    "id": uuid.UUID(int=n + 1),
                    "submitter": submitter.id,
                    "team": submitter.team_id,
                    "title": f"Idea {n:03d}",
                    "problem": "p",
                    "proposal": "q",
                    "benefit": "b",
                    "status": "submitted",
                    "submitted_at": clock.now() - later(hours=200 - n),
                }
                for n in range(120)
            ]
        ).execute()
    expected = [p.title for p in proposals._review_queue(0, 200)]  # every waiting one, oldest first
    assert len(expected) == 121
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await open_proposals(pilot, app)
        assert "1–50 of 121" in text_of(app, "#queue-title")
        seen = []
        while True:
            seen.extend(row[3] for row in rows(app, "#queue"))
            if len(seen) >= len(expected):
                break
            await pilot.press("pagedown")
            await settle(pilot)
        assert seen == expected
        assert "101–121 of 121" in text_of(app, "#queue-title")
        await pilot.press("pageup")
        await settle(pilot)
        assert [row[3] for row in rows(app, "#queue")] == expected[50:100]


def test_proposal_views_read_as_tuples_say_what_the_rows_say(demo_plant, clock):
    """The proposals' views (queue, detail, one's own) are made from plain tuples: each
    field as the model instances say, a reviewer's name, and a proposal without a team."""
    import uuid

    from kiosk.services.defects import proposals
    from models.proposals import Proposal

    with db.connection():
        submitter = Employee.get(Employee.badge_code == "E4003")
        Proposal.create(
            id=uuid.UUID(int=7),
            submitter=submitter.id,
            team=None,
            title="Teamless idea",
            problem="p",
            proposal="q",
            benefit="b",
            status="submitted",
            submitted_at=clock.now(),
        )
        views = {view.id: view for view in proposals._views(proposals._query())}
        rows = list(Proposal.select())
        assert len(views) == len(rows) >= 3
        for row in rows:
            view = views[str(row.id)]
            assert view.short_id == str(row.id)[:8]
            assert (view.title, view.problem, view.proposal, view.benefit, view.status) == (
                row.title,
                row.problem,
                row.proposal,
                row.benefit,
                row.status,
            )
            assert (view.submitted_at, view.reviewed_at, view.points) == (
                row.submitted_at,
                row.reviewed_at,
                row.points,
            )
            person = row.submitter
            assert (view.submitter_id, view.submitter_name, view.submitter_badge) == (
                person.id,
                person.name,
                person.badge_code,
            )
            assert view.team_name == (row.team.name if row.team_id else "(no team)")
            assert view.reviewed_by == (row.reviewed_by.name if row.reviewed_by_id else None)
            assert view.review_comment == (row.review_comment or "")
    assert any(view.reviewed_by for view in views.values())
    assert views[str(uuid.UUID(int=7))].team_name == "(no team)"


def test_station_lookup_shows_the_most_urgent_and_counts_them_all(plant, clock):
    from kiosk.services.plant.stations import OPEN_SHOWN, lookup_station
    from models import Station

    for station in Station.select().order_by(Station.id).limit(4):
        view = lookup_station(Caller.of(None, clock), station.code)
        still_open = sorted(
            (
                d
                for d in _raw_defects()
                if d.station_id == station.id and d.status not in ("verified", "closed")
            ),
            key=lambda d: (d.due_at, str(d.id)),
        )
        assert view.open_total == len(still_open)
        assert [d.due_at for d in view.open_defects] == [d.due_at for d in still_open][:OPEN_SHOWN]


def test_the_rollups_stay_equal_to_the_ledger_after_concurrent_and_interrupted_writes(
    demo_plant, clock
):
    from kiosk.services.platform.ledger import Award, award

    campaign = Campaign.get(Campaign.active).id
    teams = [t.id for t in Team.select().where(Team.kind == "line").order_by(Team.id)]
    people = [e.id for e in Employee.select().order_by(Employee.id).limit(8)]
    kinds = ("ontime:", "overdue:", "bonus:")

    def one(worker: int, n: int) -> Award:
        kind = kinds[(worker + n) % 3]
        return Award(
            team_id=teams[(worker * 7 + n) % len(teams)],
            amount=-2 if kind == "overdue:" else 3,
            reason="concurrent",
            cause_type="test",
            cause_id=f"{worker}-{n}",
            idempotency_key=f"{kind}rollup-{worker}-{n}",
            employee_id=people[(worker + n) % len(people)] if n % 4 else None,
            campaign_id=campaign,
        )

    def run(worker: int) -> None:
        for n in range(12):
            award(one(worker, n), clock=clock)

    run_workers(run, 5)
    with db.connection() as database:
        with pytest.raises(RuntimeError), database.atomic():  # written, then the power goes
            for n in (1, 2):
                extra = one(99, n)
                LedgerEntry.insert(
                    team=extra.team_id,
                    amount=extra.amount,
                    reason=extra.reason,
                    cause_type=extra.cause_type,
                    cause_id=extra.cause_id,
                    idempotency_key=extra.idempotency_key,
                    employee=extra.employee_id,
                    campaign=campaign,
                    created_at=clock.now(),
                ).execute()
            raise RuntimeError("interrupted")
        hours = sorted(LedgerTeamHour.select().tuples())
        people_rows = sorted(LedgerTeamPerson.select().tuples())
        assert LedgerEntry.select().where(LedgerEntry.reason == "concurrent").count() == 60
        with database.atomic():
            rebuild(database)
        assert sorted(LedgerTeamHour.select().tuples()) == hours
        assert sorted(LedgerTeamPerson.select().tuples()) == people_rows


def test_the_coverage_export_streams_every_employee_once_in_the_reports_order(plant, monkeypatch):
    from kiosk.services.reports import exports

    monkeypatch.setattr(assessments, "STREAM_PAGE", 37)  # many pages, one partly filled
    old = assessments.coverage_report()
    table, overall = exports.coverage_export()
    assert overall == old.overall
    assert table.count == len(old.employees) == old.overall.total
    expected = [
        (e.badge_code, e.team_name, "yes" if e.passed else "no", e.best_percent, e.passed_at)
        for e in old.employees
    ]
    got = [
        (row[0], row[3], row[4], int(row[6]) if row[6] else None, row[7] or None)
        for row in table.rows
    ]
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    assert [bool(g[4]) for g in got] == [e[4] is not None for e in expected]
