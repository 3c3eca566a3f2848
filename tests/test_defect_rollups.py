"""The defects' rollups (schema steps 18 and 21): the board's defect figures, the supplier
ranking, the anomaly Pareto and the Red-Black List's farming marks read them and return
exactly what a slow count of the raw defects here says, on the demo plant and on a grown
plant, in zones whose local days are not UTC days; the rollups equal their defects after
each kind of write, concurrent writes and a rolled-back transaction; a direct write to a
rollup is refused (SQLite: step 18's guard triggers; PostgreSQL: the application role may
not)."""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from datetime import datetime, timedelta

import psycopg
import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.services.defects.counts import campaign_figures, reported_counts, whole_utc_days
from kiosk.services.defects.lifecycle import OPEN_STATUSES
from kiosk.services.lines import anomalies, suppliers
from kiosk.services.plant.campaigns import rules_of
from kiosk.services.reports import kpis, reports
from models import Campaign, Defect, Employee, Station, db
from models.anomalies import AnomalyHistory
from models.db import write_transaction
from tests.helpers.rollups import (
    app_role_demo_plant,
    assert_daily_series_as_the_rows_say,
    defect_rollups_counted_again,
    defect_rollups_kept,
    on_time,
    quick_fixes_counted_again,
    quick_fixes_kept,
    rebuilt_equals_kept,
    sqlite_demo_plant,
    suspicious_counted_again,
)
from tests.helpers.threads import run_workers


@pytest.fixture(params=["demo", "grown"])
def plant(request, demo_plant, clock, copy_of_template) -> str:
    if request.param == "grown":
        copy_of_template("grown")  # the demo plant after grow_plant(), grown once per process
    return request.param


@pytest.fixture(params=["CST-8", "<+0530>-5:30"])
def zone(request, monkeypatch):
    """Local days that start at 16:00 or 18:30 UTC (a whole and a half-hour offset)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_the_defect_rollups_equal_the_defects_counted_again(plant):
    with db.connection():
        kept = defect_rollups_kept()
        assert kept == defect_rollups_counted_again()
        assert sum(kept[0].values()) == Defect.select().count()
    assert rebuilt_equals_kept()


def _figures(campaign_id: int | None, now: datetime) -> tuple[int, ...]:
    """The board's defect tiles as the old read counted them, in Python."""
    rows = [d for d in Defect.select() if campaign_id is None or d.campaign_id == campaign_id]
    return (
        sum(1 for d in rows if d.due_at <= now or on_time(d)),
        sum(on_time(d) for d in rows),
        sum(1 for d in rows if d.status in OPEN_STATUSES),
        sum(1 for d in rows if d.status in OPEN_STATUSES and d.due_at < now),
        sum(1 for d in rows if d.severity == "critical" and d.status == "closed"),
    )


def test_the_board_tiles_read_the_rollup_as_the_defects_say(plant, zone, clock):
    with db.connection():
        active = Campaign.get(Campaign.active).id
        moments = [clock.now() + timedelta(hours=h) for h in (-75, -3, 0, 5, 29, 24 * 20)]
        # and exactly on a due time, where "due" and "overdue" part
        moments.append(Defect.select().order_by(Defect.due_at).first().due_at)
        for campaign_id in (active, None):
            for now in moments:
                got = campaign_figures(campaign_id, now)
                assert (
                    got.due,
                    got.verified_on_time,
                    got.open,
                    got.overdue,
                    got.critical_closed,
                ) == _figures(campaign_id, now), (campaign_id, now)
    summary = kpis.board_summary(Caller.system(clock))
    assert (
        summary.due,
        summary.verified_on_time,
        summary.open_defects,
        summary.overdue_defects,
        summary.critical_resolved,
    ) == _figures(active, clock.now())


def test_counts_over_local_days_add_whole_utc_days_and_the_pieces_at_the_ends(plant, zone):
    with db.connection():
        defects = list(Defect.select())
        first = min(d.reported_at for d in defects) - timedelta(hours=7, minutes=13)
        for hours in (3, 20, 24, 30, 24 * 9 + 5, 24 * 60):
            after = first + timedelta(hours=hours)
            start, end = whole_utc_days(first, after)
            assert first <= start and end <= after or start >= end
            for source in ("incoming_material", "on_site_anomaly"):
                expected: dict[tuple, int] = {}
                for d in defects:
                    if d.source == source and first <= d.reported_at < after:
                        key = (d.supplier_id, d.severity)
                        expected[key] = expected.get(key, 0) + 1
                got = reported_counts(source, first, after, ("supplier", "severity"))
                assert got == expected, (source, hours)
            first += timedelta(hours=11)


def test_the_anomaly_pareto_reads_the_rollup_as_the_defects_say(plant, zone, clock):
    month = anomalies.default_month(clock)
    for shown in (month, anomalies.shift_month(month, -1), anomalies.shift_month(month, -12)):
        pareto = anomalies.anomaly_pareto(Caller.system(clock), shown)
        first, after = anomalies._bounds(shown)
        with db.connection():
            expected: dict[str, int] = {}
            for d in Defect.select().where(Defect.source == anomalies.SOURCE):
                if first <= d.reported_at < after:
                    expected[d.category] = expected.get(d.category, 0) + 1
            reported = sum(expected.values())
            for row in AnomalyHistory.select().where(AnomalyHistory.month == shown):
                expected[row.category] = expected.get(row.category, 0) + row.count
        assert {r.category: r.count for r in pareto.rows if r.count} == expected
        assert (pareto.reported, pareto.total) == (reported, sum(expected.values()))


def test_the_supplier_ranking_reads_the_rollup_as_the_defects_say(plant, zone, clock):
    ranking = suppliers.supplier_ranking(Caller.system(clock))
    first, after = suppliers._bounds(ranking.start, ranking.end)
    with db.connection():
        codes = {s.id: s.code for s in suppliers.Supplier.select()}
        expected: dict[str, tuple[int, int]] = {}
        for d in Defect.select().where(Defect.source == suppliers.SOURCE):
            if first <= d.reported_at < after:
                code = codes.get(d.supplier_id, suppliers.NO_SUPPLIER)
                count, critical = expected.get(code, (0, 0))
                expected[code] = (count + 1, critical + (d.severity == "critical"))
    got = {r.supplier_code: (r.count, r.critical) for r in ranking.rows if r.count}
    assert got == expected


def _new_defect(
    worker: int, n: int, station: Station, people: tuple[int, int], now: datetime
) -> Defect:
    reporter, team = people
    return Defect.create(
        id=uuid.UUID(int=worker * 1000 + n + 1),
        campaign=Campaign.get(Campaign.active).id if n % 3 else None,
        station=station.id,
        line=station.line_id,
        team=team,
        reporter=reporter,
        category=("man", "machine", "material")[n % 3],
        severity=("minor", "major", "critical")[(worker + n) % 3],
        source=("incoming_material", "on_site_anomaly", "inspection")[(worker * n) % 3],
        supplier=None,
        description=f"concurrent {worker}-{n}",
        reported_at=now + timedelta(hours=7 * n),
        due_at=now + timedelta(hours=7 * n + 24),
        updated_at=now,
    )


def test_the_defect_rollups_stay_equal_after_concurrent_and_interrupted_writes(demo_plant, clock):
    with db.connection():
        stations = list(Station.select().order_by(Station.id))
        reporter = Employee.select().order_by(Employee.id).first().id
        team = Defect.select().first().team_id
    now = clock.now()

    def run(worker: int) -> None:
        for n in range(8):
            station = stations[(worker + n) % len(stations)]
            with db.connection() as database, write_transaction(database):
                defect = _new_defect(worker, n, station, (reporter, team), now)
            with db.connection() as database, write_transaction(database):
                if n % 4 == 0:
                    Defect.delete().where(Defect.id == defect.id).execute()
                    continue
                Defect.update(
                    status=("in_progress", "fixed", "verified")[n % 3],
                    verified_at=now + timedelta(hours=7 * n + (2 if n % 2 else 30)),
                    severity="critical",
                    reported_at=now + timedelta(hours=7 * n + 13),
                ).where(Defect.id == defect.id).execute()

    run_workers(run, 5)
    with db.connection() as database:
        assert Defect.select().where(Defect.description.startswith("concurrent")).count() == 30
        assert defect_rollups_kept() == defect_rollups_counted_again()
        with pytest.raises(RuntimeError), write_transaction(database):  # then the power goes
            _new_defect(99, 1, stations[0], (reporter, team), now)
            Defect.update(status="closed", severity="minor").where(
                Defect.description.startswith("concurrent")
            ).execute()
            Defect.delete().where(Defect.status == "reported").execute()
            raise RuntimeError("interrupted")
        assert defect_rollups_kept() == defect_rollups_counted_again()
        # a bulk update and delete, each one statement
        with write_transaction(database):
            Defect.update(status="closed").where(Defect.status == "fixed").execute()
            Defect.delete().where(Defect.description.startswith("concurrent")).execute()
        assert defect_rollups_kept() == defect_rollups_counted_again()


DIRECT_WRITES = (
    "UPDATE defect_team_status SET defects = defects + 1",
    "INSERT INTO defect_team_status (team_id, status, defects) VALUES (1, 'closed', 99)",
    "DELETE FROM defect_team_status",
    "UPDATE defect_day_source SET defects = defects + 1",
    "UPDATE defect_campaign_due SET status = 'closed'",
    "INSERT INTO defect_day_source (source, day, supplier_key, category, severity, defects) "
    "VALUES ('inspection', '2025-09-03 00:00:00', 0, 'man', 'minor', 5)",
    "INSERT INTO defect_campaign_due (campaign_key, due_day, status, severity, on_time, "
    "defects) VALUES (1, '2025-09-03 00:00:00', 'reported', 'minor', 0, 5)",
    "DELETE FROM defect_campaign_due",
    "DELETE FROM defect_day_source",
    "UPDATE defect_campaign_hour SET defects = 0",
    "INSERT INTO defect_campaign_hour (campaign_key, hour, defects) "
    "VALUES (1, '2025-09-03 08:00:00', 2)",
    "UPDATE ledger_team_hour SET amount = amount + 10",
    "INSERT INTO ledger_team_hour (campaign_key, team_id, hour, amount) "
    "VALUES (1, 1, '2025-09-03 08:00:00', 5)",
    "DELETE FROM ledger_team_hour",
    "UPDATE ledger_team_person SET ontime_entries = ontime_entries + 1",
    "INSERT INTO ledger_team_person (campaign_key, team_id, employee_key, amount, "
    "ontime_entries, overdue_entries, overdue_amount) VALUES (9, 1, 0, 1, 0, 0, 0)",
    "DELETE FROM ledger_team_person",
)


def test_sqlite_refuses_direct_writes_to_the_rollups(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    connection = sqlite_demo_plant(tmp_path / "plant.db", clock)
    try:
        tables = (
            "defect_team_status",
            "defect_day_source",
            "defect_campaign_due",
            "defect_campaign_hour",
            "ledger_team_hour",
        )
        before = [connection.execute(f"SELECT * FROM {t}").fetchall() for t in tables]
        for statement in DIRECT_WRITES:
            with pytest.raises(sqlite3.DatabaseError, match="rollups are kept by the"):
                connection.execute(statement)
        # a REPLACE that would change nothing may pass; one that would is refused
        connection.execute(
            "INSERT OR REPLACE INTO defect_day_source SELECT * FROM defect_day_source"
        )
        with pytest.raises(sqlite3.DatabaseError, match="rollups are kept by the"):
            connection.execute(
                "INSERT OR REPLACE INTO defect_day_source "
                "SELECT source, day, supplier_key, category, severity, defects + 1 "
                "FROM defect_day_source"
            )
        assert [connection.execute(f"SELECT * FROM {t}").fetchall() for t in tables] == before
    finally:
        connection.close()
    assert main(["ledger", "verify", "--db", url]) == 0


QUICK_FIX_WRITES = (
    "UPDATE defect_quick_fix SET defects = defects + 1",
    "UPDATE defect_quick_fix SET fix_hours = fix_hours + 1",
    "INSERT INTO defect_quick_fix (campaign_key, fix_hours, team_id, defects) VALUES (0, 3, 1, 4)",
    "INSERT OR REPLACE INTO defect_quick_fix "
    "SELECT campaign_key, fix_hours, team_id, defects + 1 FROM defect_quick_fix",
    "DELETE FROM defect_quick_fix",
)


def test_sqlite_refuses_direct_writes_to_the_quick_fix_rollup(tmp_path, clock):
    """Schema step 25's guards on step 21's rollup: only the defects' triggers write it."""
    connection = sqlite_demo_plant(tmp_path / "plant.db", clock)
    try:
        with db.connection() as database, write_transaction(database):
            _make_quick_fixes(random.Random(25), 30)  # through the triggers: allowed
        with db.connection():
            kept = quick_fixes_kept()
            assert kept == quick_fixes_counted_again() != {}
        for statement in QUICK_FIX_WRITES:
            with pytest.raises(sqlite3.DatabaseError, match="rollups are kept by the"):
                connection.execute(statement)
        # a REPLACE that writes the counts it has may pass
        connection.execute("INSERT OR REPLACE INTO defect_quick_fix SELECT * FROM defect_quick_fix")
        with db.connection():
            assert quick_fixes_kept() == kept
            assert rebuilt_equals_kept()
    finally:
        connection.close()


def test_postgresql_application_role_cannot_write_the_rollups(two_roles, clock, capsys):
    # the kiosks run as the application role: the owner's trigger functions keep the rollups
    app_url = app_role_demo_plant(two_roles, clock)
    with db.connection():
        assert defect_rollups_kept() == defect_rollups_counted_again()
        assert sum(defect_rollups_kept()[0].values()) == Defect.select().count() > 0
    connection = psycopg.connect(app_url, autocommit=True)
    try:
        quick_fix = "UPDATE defect_quick_fix SET defects = defects + 1"  # step 21's
        for statement in (*DIRECT_WRITES, "TRUNCATE defect_day_source", quick_fix):
            with pytest.raises(psycopg.Error, match="permission denied"):
                connection.execute(statement)
    finally:
        connection.close()


def test_the_daily_series_reads_the_rollups_as_the_rows_say_in_any_zone(plant, zone, clock):
    """Points and defects reported per local day: by the hourly rollups where local days
    start on whole UTC hours (+8), else (+5:30) from the ledger and the defects."""
    assert_daily_series_as_the_rows_say(clock)


# -- schema step 21: the quick self-fixes behind the Red-Black List's farming marks ---------

# from report to fix: at and just past a whole hour, the longest rule (720 h) and past it,
# and a fix recorded before the report
SPANS = (
    timedelta(0),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=4, microseconds=1),
    timedelta(hours=19, minutes=59),
    timedelta(hours=720),
    timedelta(hours=720, seconds=1),
    timedelta(hours=900),
    -timedelta(hours=1),
)


def _members() -> dict[int, list[int]]:
    """Employee ids per team, in id order."""
    members: dict[int, list[int]] = {}
    rows = Employee.select(Employee.id, Employee.team).order_by(Employee.id).tuples()
    for employee, team in rows:
        if team is not None:
            members.setdefault(team, []).append(employee)
    return members


def _make_quick_fixes(rng: random.Random, count: int) -> None:
    """`count` defects, one statement each, marked fixed after one of SPANS; most reported
    by a member of their own team."""
    members = _members()
    defects = list(Defect.select().order_by(Defect.id))
    for d in rng.sample(defects, min(count, len(defects))):
        own = members.get(d.team_id) if rng.random() < 0.8 else None
        reporter = rng.choice(own) if own else d.reporter_id
        Defect.update(reporter=reporter, fixed_at=d.reported_at + rng.choice(SPANS)).where(
            Defect.id == d.id
        ).execute()


def test_the_farming_marks_read_their_rollup_as_the_old_count_says(plant, clock):
    """Whatever the campaign's rule (hours, how many), the Red-Black List marks the teams
    the count over the defects marked: the same teams, counts and order."""
    caller = Caller.system(clock)
    with db.connection() as database:
        with write_transaction(database):
            _make_quick_fixes(random.Random(21), 80)
        assert quick_fixes_kept() == quick_fixes_counted_again() != {}
        campaign = Campaign.get(Campaign.active)
        marked = set()
        for hours, at_least in ((1, 1), (4, 2), (20, 1), (720, 1), (720, 3), (5, 50)):
            Campaign.update(suspicious_fix_hours=hours, suspicious_self_reports=at_least).where(
                Campaign.id == campaign.id
            ).execute()
            listed = reports.red_black(caller)
            got = [(t.team_name, t.quick_self_fixes) for t in listed.suspicious_teams]
            assert got == suspicious_counted_again(campaign.id, hours, at_least)
            assert listed.suspicious_hours == hours
            marked.add(tuple(got))
        assert len(marked) > 2  # the rules change what is marked
        # every campaign (no campaign row: the default rules)
        rules = rules_of(None)
        every = [(t.team_name, t.quick_self_fixes) for t in reports._suspicious_teams(None)]
        hours, at_least = rules.suspicious_fix_hours, rules.suspicious_self_reports
        assert every == suspicious_counted_again(None, hours, at_least)
        # the overdue count: every open defect past its window, any campaign
        now = clock.now()
        assert listed.overdue_total == sum(
            1 for d in Defect.select() if d.status in OPEN_STATUSES and d.due_at < now
        )
        assert listed.overdue_total >= len(listed.overdue_defects) > 0


def test_the_quick_fix_rollup_follows_each_write_that_changes_it(demo_plant, clock):
    with db.connection() as database:
        assert quick_fixes_kept() == quick_fixes_counted_again() == {}  # none on the demo
        members = _members()
        d = Defect.select().where(Defect.fixed_at.is_null()).order_by(Defect.id).first()
        campaign, team = d.campaign_id or 0, d.team_id
        other = next(t for t in sorted(members) if t != team)
        reporter = members[team][0]

        def write(query) -> dict:
            with write_transaction(database):
                query.execute()
            kept = quick_fixes_kept()
            assert kept == quick_fixes_counted_again()
            return kept

        mine = Defect.id == d.id
        # marked fixed (by a member of its team) exactly 4 hours after the report
        fixed = {"reporter": reporter, "fixed_at": d.reported_at + timedelta(hours=4)}
        assert write(Defect.update(**fixed).where(mine)) == {(campaign, 4, team): 1}
        # the fix rejected: the lifecycle clears fixed_at
        assert write(Defect.update(fixed_at=None).where(mine)) == {}
        later = d.reported_at + timedelta(hours=4, microseconds=1)
        assert write(Defect.update(fixed_at=later).where(mine)) == {(campaign, 5, team): 1}
        # corrections that keep it under the same key: the fix time within the hour, the
        # reporter another member of the team (SQLite once refused these: the rollup was
        # one short between taking the old row away and adding the new one)
        within = later + timedelta(minutes=30)
        assert write(Defect.update(fixed_at=within).where(mine)) == {(campaign, 5, team): 1}
        colleague = Defect.update(reporter=members[team][1]).where(mine)
        assert write(colleague) == {(campaign, 5, team): 1}
        assert write(Defect.update(reporter=reporter).where(mine)) == {(campaign, 5, team): 1}
        # reassigned to a team its reporter is not in, then the reporter moves there
        assert write(Defect.update(team=other).where(mine)) == {}
        moved = Employee.update(team=other).where(Employee.id == reporter)
        assert write(moved) == {(campaign, 5, other): 1}
        # another campaign (none), then the reporter moves away again
        assert write(Defect.update(campaign=None).where(mine)) == {(0, 5, other): 1}
        assert write(Employee.update(team=None).where(Employee.id == reporter)) == {}
        assert write(Employee.update(team=other).where(Employee.id == reporter)) == {
            (0, 5, other): 1
        }
        # a bulk insert: one statement, rows fixed after each span, by the same reporter
        station = Station.select().order_by(Station.id).first()
        now = clock.now()
        rows = []
        for n, span in enumerate(SPANS):
            row = _new_defect(7, n, station, (reporter, other), now).__data__
            rows.append({**row, "id": uuid.uuid4(), "fixed_at": row["reported_at"] + span})
        with write_transaction(database):
            Defect.delete().where(Defect.description.startswith("concurrent 7-")).execute()
        kept = write(Defect.insert_many(rows))
        assert sorted(key[1] for key, n in kept.items() for _ in range(n)) == sorted(
            [0, 0, 1, 4, 5, 20, 720, 721, 721, 5]
        )
        # a bulk move of several employees away and back, a bulk reject, a purge
        movers = [e for e, t in Employee.select(Employee.id, Employee.team).tuples() if t == other]
        assert write(Employee.update(team=team).where(Employee.id.in_(movers))) == {}
        assert write(Employee.update(team=other).where(Employee.id.in_(movers))) == kept
        assert write(Defect.update(fixed_at=None).where(Defect.reporter == reporter)) == {}
        assert write(Defect.update(fixed_at=now).where(Defect.reporter == reporter)) != {}
        assert write(Defect.delete().where(Defect.reporter == reporter)) == {}
        assert rebuilt_equals_kept()


def test_the_quick_fix_rollup_stays_equal_after_concurrent_and_interrupted_writes(
    demo_plant, clock
):
    """Kiosks marking defects fixed, rejecting fixes and deleting them while employees
    move between two teams, on five threads; then a transaction that fails half way."""
    with db.connection():
        members = _members()
        first, second = sorted(members)[:2]
        movers = members[first][:2]
        stations = list(Station.select().order_by(Station.id))
    now = clock.now()

    def run(worker: int) -> None:
        for n in range(6):
            reporter = movers[(worker + n) % 2]
            station = stations[(worker + n) % len(stations)]
            with db.connection() as database, write_transaction(database):
                team = Employee.get_by_id(reporter).team_id or first
                defect = _new_defect(worker, n, station, (reporter, team), now)
            with db.connection() as database, write_transaction(database):
                fixed_at = now + timedelta(hours=7 * n + n % 5)
                Defect.update(fixed_at=fixed_at).where(Defect.id == defect.id).execute()
            with db.connection() as database, write_transaction(database):
                to = second if (worker + n) % 2 else first
                Employee.update(team=to).where(Employee.id == reporter).execute()
            with db.connection() as database, write_transaction(database):
                if n % 3 == 0:
                    Defect.delete().where(Defect.id == defect.id).execute()
                elif n % 3 == 1:
                    Defect.update(fixed_at=None).where(Defect.id == defect.id).execute()

    run_workers(run, 5)
    with db.connection() as database:
        assert Defect.select().where(Defect.description.startswith("concurrent")).count() == 20
        kept = quick_fixes_kept()
        assert kept == quick_fixes_counted_again() != {}
        with pytest.raises(RuntimeError), write_transaction(database):  # then the power goes
            Defect.update(fixed_at=now).where(Defect.fixed_at.is_null()).execute()
            Employee.update(team=second).where(Employee.id.in_(movers)).execute()
            Defect.delete().where(Defect.description.startswith("concurrent")).execute()
            raise RuntimeError("interrupted")
        assert quick_fixes_kept() == kept == quick_fixes_counted_again()
        assert rebuilt_equals_kept()
