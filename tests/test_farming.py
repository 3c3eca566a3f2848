"""Points that cannot be farmed (issue 15, item 5): who may verify, confirmation of a
self-reported defect, the daily cap of on-time awards, the suspicious mark on the
Red-Black List, the rules in the campaign file; and the board's ledger-check warning."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.config import Settings
from kiosk.errors import Conflict, PermissionDenied, ValidationFailed
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.plant import campaign_file, campaigns
from kiosk.services.platform import auth, ledger_check
from kiosk.services.platform.ledger import team_totals
from kiosk.services.reports import reports
from models import AuditEntry, Campaign, LedgerEntry, PlantSetting, db
from screens.board import BoardScreen
from screens.defect_detail import DefectDetailScreen
from screens.red_black import RedBlackScreen
from tests.helpers.app import (
    check_layout,
    error_of,
    fill_form,
    key_help,
    make_app,
    message,
    open_defect_from_worklist,
    settle,
    sign_in,
    table_rows,
    text_of,
    type_into,
)
from tests.helpers.schema import forget_steps_from

SMALL = (80, 24)
LINE_1 = "Line 1 Team (AC chargers)"
OUTSIDE_ONLY = (
    "Only a team leader or above from outside Line 1 Team (AC chargers), or from the "
    "Quality department, may verify this defect."
)


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def fixed_defect(clock, station: str = "L1-S02", reporter: str = "E4004") -> str:
    draft = DefectDraft(station, "machine", "minor", "inspection", "Loose earth screw")
    defect_id = report_defect(Caller.of(person(reporter), clock), draft).id
    clock.advance(timedelta(minutes=30))
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    return defect_id


def outcome(defect_id: str) -> list[tuple[str, int]]:
    with db.connection():
        rows = LedgerEntry.select().where(LedgerEntry.cause_id == defect_id)
        return sorted((r.idempotency_key.split(":")[0], r.amount) for r in rows)


def points(team_code: str) -> int:
    return next(t.points for t in team_totals() if t.team_code == team_code)


def set_rules(**rules: object) -> None:
    """The active campaign's rules changed (what a new campaign file would set)."""
    with db.connection():
        Campaign.update(**rules).where(Campaign.active).execute()


def refusals(action: str) -> list[tuple[str, str]]:
    with db.connection():
        return [
            (a.actor.badge_code, a.detail)
            for a in AuditEntry.select()
            .where((AuditEntry.action == action) & ~AuditEntry.allowed)
            .order_by(AuditEntry.id)
        ]


# -- who may verify ----------------------------------------------------------------------


def test_only_a_leader_outside_the_team_or_from_quality_verifies(demo_plant, clock):
    defect_id = fixed_defect(clock)
    # Line 1's own leader (not the fixer) may no longer verify or reject Line 1's fix
    with pytest.raises(PermissionDenied) as refused:
        lifecycle.verify(Caller.of(person("E1001"), clock), defect_id)
    assert refused.value.message == OUTSIDE_ONLY
    with pytest.raises(PermissionDenied, match="may reject this defect"):
        lifecycle.reject(Caller.of(person("E1001"), clock), defect_id, "not convinced")
    assert [badge for badge, _detail in refusals("defect_verify")] == ["E1001"]
    assert refusals("defect_verify")[0][1] == OUTSIDE_ONLY
    assert [badge for badge, _detail in refusals("defect_reject")] == ["E1001"]
    assert outcome(defect_id) == []
    # a leader of another line may
    detail = lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    assert (detail.status, detail.verified_by) == ("verified", "Huang Qiang")
    assert outcome(defect_id) == [("ontime", 2)]


def test_a_quality_leader_verifies_even_inside_the_team_and_the_department_is_data(
    demo_plant, clock
):
    # a defect given to the Quality team (T4): its own leader is from Quality
    draft = DefectDraft("L1-S03", "measurement", "minor", "inspection", "Gauge label faded")
    defect_id = report_defect(Caller.of(person("E1003"), clock), draft).id
    lifecycle.reassign(Caller.of(person("E4002"), clock), defect_id, "T4", "gauge belongs to QA")
    lifecycle.mark_fixed(Caller.of(person("E4005"), clock), defect_id)
    set_rules(quality_department="Quality Assurance")  # the plant calls it so
    with pytest.raises(PermissionDenied, match="from the Quality Assurance department"):
        lifecycle.verify(Caller.of(person("E4003"), clock), defect_id)
    set_rules(quality_department="quality")  # case and spaces do not matter
    detail = lifecycle.verify(Caller.of(person("E4003"), clock), defect_id)
    assert detail.verified_by == "Song Lei"


def test_the_verifier_rule_can_be_switched_off_but_never_the_fixer(demo_plant, clock):
    set_rules(verifier_outside_team=0)
    defect_id = fixed_defect(clock)
    assert lifecycle.verify(Caller.of(person("E1001"), clock), defect_id).verified_by == "Zhang Wei"
    other = report_defect(
        Caller.of(person("E4004"), clock), DefectDraft("L1-S01", "man", "minor", "inspection", "x")
    ).id
    lifecycle.mark_fixed(Caller.of(person("E1001"), clock), other)
    with pytest.raises(PermissionDenied, match="fixed this defect yourself"):
        lifecycle.verify(Caller.of(person("E1001"), clock), other)


# -- self-reported defects ---------------------------------------------------------------


def test_an_unconfirmed_self_report_verified_on_time_closes_with_zero(demo_plant, clock):
    before = points("T1")
    defect_id = fixed_defect(clock, reporter="E1003")  # Line 1 reports Line 1's station
    detail = lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    assert detail.status == "verified" and not detail.overdue
    assert detail.self_reported and detail.needs_confirmation
    assert detail.withheld == (
        "verified on time, but no points: a member of Line 1 Team (AC chargers) reported it "
        "and no leader outside the team confirmed it"
    )
    assert any(line.what == detail.withheld for line in detail.history)
    # the window's one outcome: a row of 0 under the on-time key; the sweep adds nothing
    assert outcome(defect_id) == [("ontime", 0)]
    assert points("T1") == before
    clock.advance(timedelta(days=3))
    deadlines.sweep(Caller.system(clock))
    assert outcome(defect_id) == [("ontime", 0)]


def test_an_unconfirmed_self_report_verified_late_still_costs_two(demo_plant, clock):
    defect_id = fixed_defect(clock, reporter="E1003")
    clock.advance(timedelta(hours=49))
    lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    assert outcome(defect_id) == [("overdue", -2)]


def test_confirmation_by_a_leader_outside_the_team_then_on_time_earns_two(demo_plant, clock):
    before = points("T1")
    draft = DefectDraft("L1-S04", "machine", "major", "inspection", "Tester probe worn")
    defect_id = report_defect(Caller.of(person("E1003"), clock), draft).id
    with pytest.raises(PermissionDenied, match="from outside Line 1 Team"):
        lifecycle.confirm(Caller.of(person("E1001"), clock), defect_id)  # the team's own leader
    with pytest.raises(PermissionDenied, match="team leader or above from outside"):
        lifecycle.confirm(Caller.of(person("E2003"), clock), defect_id)  # an operator
    assert [badge for badge, _detail in refusals("defect_confirm")] == ["E1001", "E2003"]
    detail = lifecycle.confirm(Caller.of(person("E2001"), clock), defect_id, "probe seen worn")
    assert (detail.confirmed_by, detail.needs_confirmation) == ("Huang Qiang", False)
    assert detail.history[-1].what == "confirmed as a real defect: probe seen worn"
    with pytest.raises(Conflict, match="already confirmed by Huang Qiang"):
        lifecycle.confirm(Caller.of(person("E3001"), clock), defect_id)
    with db.connection():
        allowed = AuditEntry.get((AuditEntry.action == "defect_confirm") & AuditEntry.allowed)
        assert (allowed.actor.badge_code, allowed.target, allowed.detail) == (
            "E2001",
            defect_id,
            "probe seen worn",
        )
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    detail = lifecycle.verify(Caller.of(person("E3001"), clock), defect_id)
    assert detail.withheld is None
    assert outcome(defect_id) == [("ontime", 2)]
    assert points("T1") == before + 2
    # a defect someone else reported needs no confirmation
    other = fixed_defect(clock)
    with pytest.raises(Conflict, match="needs no confirmation"):
        lifecycle.confirm(Caller.of(person("E2001"), clock), other)


def test_confirmation_can_be_switched_off(demo_plant, clock):
    set_rules(self_report_confirmation=0)
    defect_id = fixed_defect(clock, reporter="E1003")
    assert lifecycle.verify(Caller.of(person("E2001"), clock), defect_id).withheld is None
    assert outcome(defect_id) == [("ontime", 2)]


# -- the daily cap -----------------------------------------------------------------------


def test_on_time_awards_over_the_daily_cap_are_not_written(demo_plant, clock):
    set_rules(ontime_awards_per_team_day=2)
    before = points("T1")
    ids = [fixed_defect(clock, station) for station in ("L1-S01", "L1-S02", "L1-S03")]
    details = [lifecycle.verify(Caller.of(person("E2001"), clock), defect_id) for defect_id in ids]
    assert [outcome(defect_id) for defect_id in ids] == [
        [("ontime", 2)],
        [("ontime", 2)],
        [("ontime", 0)],
    ]
    assert details[2].withheld == (
        "verified on time, but no points: Line 1 Team (AC chargers) already earned the "
        "on-time points 2 times today (the campaign's daily cap)"
    )
    assert points("T1") == before + 4
    # another team is not held back by Line 1's cap
    draft = DefectDraft("L2-S01", "machine", "minor", "inspection", "Loose")
    line_2 = report_defect(Caller.of(person("E4004"), clock), draft).id
    lifecycle.mark_fixed(Caller.of(person("E2003"), clock), line_2)
    lifecycle.verify(Caller.of(person("E3001"), clock), line_2)
    assert outcome(line_2) == [("ontime", 2)]
    # the next day Line 1 earns again
    clock.advance(timedelta(days=1))
    tomorrow = fixed_defect(clock, "L1-S04")
    lifecycle.verify(Caller.of(person("E2001"), clock), tomorrow)
    assert outcome(tomorrow) == [("ontime", 2)]


def test_two_kiosks_verifying_at_the_cap_write_one_award(demo_plant, clock):
    set_rules(ontime_awards_per_team_day=1)
    ids = [fixed_defect(clock, station) for station in ("L1-S01", "L1-S02")]
    verifiers = [person("E2001"), person("E3001")]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(verifier, defect_id) -> None:
        try:
            barrier.wait(timeout=10)
            lifecycle.verify(Caller.of(verifier, clock), defect_id)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(verifiers, ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcome(defect_id)[0] for defect_id in ids) == [("ontime", 0), ("ontime", 2)]


# -- the Red-Black List ------------------------------------------------------------------


def farm(clock, count: int, hours_to_fix: float = 1, reporter: str = "E1003") -> None:
    for number in range(count):
        draft = DefectDraft(f"L1-S0{number % 5 + 1}", "man", "minor", "inspection", "farm")
        defect_id = report_defect(Caller.of(person(reporter), clock), draft).id
        clock.advance(timedelta(hours=hours_to_fix))
        lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)


def test_the_red_black_list_marks_many_quick_self_fixes(demo_plant, clock):
    set_rules(suspicious_self_reports=3, suspicious_fix_hours=2)
    farm(clock, 2)
    farm(clock, 2, hours_to_fix=3)  # fixed too slowly to count
    farm(clock, 2, reporter="E4004")  # reported by Quality: not self-reported
    assert reports.red_black(Caller.system(clock)).suspicious_teams == ()
    farm(clock, 1)
    board = reports.red_black(Caller.system(clock))
    assert board.suspicious_teams == (reports.SuspiciousTeam(LINE_1, 3),)
    assert board.is_suspicious(LINE_1) and board.suspicious_hours == 2


async def test_the_red_black_screen_shows_the_mark_at_80x24(demo_plant, clock):
    set_rules(suspicious_self_reports=2)
    farm(clock, 2)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, RedBlackScreen)
        [(team, fixes)] = table_rows(app, "#suspicious")  # the name elided at 80 columns
        assert LINE_1.startswith(team.rstrip("…").strip()) and fixes == "2"
        assert "⚠ Check: self-reported defects fixed within 4 h" in text_of(
            app, "#suspicious-title"
        )
        on_time = {row[0].rstrip("…") for row in table_rows(app, "#on-time")}
        assert any(f"⚠ {LINE_1}".startswith(team) for team in on_time)  # the praise: marked
        for selector in ("#suspicious-title", "#suspicious"):  # on screen at 80x24
            assert app.screen.query_one(selector).region.bottom <= SMALL[1]


# -- the campaign file -------------------------------------------------------------------


def test_the_campaign_file_takes_and_checks_the_farming_rules():
    text = campaign_file.campaign_template()
    for line in (
        "verifier_outside_team = 1",
        'quality_department = "Quality"',
        "self_report_confirmation = 1",
        "ontime_awards_per_team_day = 10",
        "suspicious_self_reports = 5",
        "suspicious_fix_hours = 4",
    ):
        assert line in text, line
    changed = (
        text.replace('quality_department = "Quality"', 'quality_department = "QA Dept"')
        .replace("ontime_awards_per_team_day = 10", "ontime_awards_per_team_day = 6")
        .replace("verifier_outside_team = 1", "verifier_outside_team = 0")
    )
    view = campaigns.check_draft(campaign_file.parse_campaign(changed))
    assert (view.quality_department, view.ontime_awards_per_team_day) == ("QA Dept", 6)
    assert view.verifier_outside_team == 0 and view.is_quality("qa  dept")
    bad = (
        text.replace('quality_department = "Quality"', "quality_department = 5")
        .replace("ontime_awards_per_team_day = 10", "ontime_awards_per_team_day = 0")
        .replace("verifier_outside_team = 1", "verifier_outside_team = 2")
        .replace("suspicious_fix_hours = 4", 'suspicious_fix_hours = "soon"')
    )
    with pytest.raises(ValidationFailed) as problems:
        campaigns.check_draft(campaign_file.parse_campaign(bad))
    assert problems.value.problems == {
        "quality_department": "Quality department (its leaders may verify any team): "
        "give it as text.",
        "ontime_awards_per_team_day": "On-time awards per team and day, at most must be "
        "from 1 to 1000 (got 0).",
        "verifier_outside_team": "Verifier from outside the team (1 = on, 0 = off) must be "
        "from 0 to 1 (got 2).",
        "suspicious_fix_hours": "Red-Black List: a quick fix takes at most (hours): give a "
        "whole number (got 'soon').",
    }
    too_long = text.replace('quality_department = "Quality"', f'quality_department = "{"Q" * 41}"')
    with pytest.raises(ValidationFailed, match="give 1 to 40 characters"):
        campaigns.check_draft(campaign_file.parse_campaign(too_long))


def test_a_new_campaign_stores_the_farming_rules(demo_plant, clock, tmp_path):
    text = campaign_file.campaign_template().replace(
        'quality_department = "Quality"', 'quality_department = "QA"'
    )
    view = campaigns.create_campaign(Caller.system(clock), campaign_file.parse_campaign(text))
    with db.connection():
        row = Campaign.get_by_id(view.id)
        assert (row.quality_department, row.ontime_awards_per_team_day) == ("QA", 10)
        audit = AuditEntry.get(AuditEntry.action == "create_campaign")
        assert "quality_department=QA" in audit.detail


# -- the defect detail screen ------------------------------------------------------------


@pytest.mark.slow  # a long Pilot walk-through
async def test_confirm_is_offered_only_to_an_outside_leader_then_verify_earns_two(
    demo_plant, clock
):
    draft = DefectDraft("L1-S04", "measurement", "major", "inspection", "Tester probe worn")
    receipt = report_defect(Caller.of(person("E1003"), clock), draft)
    before = points("T1")
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001", pin="1234")  # Line 1's own leader
        await open_defect_from_worklist(pilot, app, receipt.short_id)
        assert "Reported by its own team" in text_of(app, "#summary")
        screen = app.screen
        assert isinstance(screen, DefectDetailScreen)
        assert not screen.check_action("act", ("confirm",))
        assert "Confirm real" not in str(screen.query_one("KeyHelp").content)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)

        await sign_in(pilot, "E2001", pin="1234")
        await open_defect_from_worklist(pilot, app, receipt.short_id, all_teams=True)
        assert "Confirm real" in str(app.screen.query_one("KeyHelp").content)
        await fill_form(pilot, app, "o", note="Probe tip worn, seen myself")
        assert isinstance(app.screen, DefectDetailScreen)
        summary = text_of(app, "#summary")
        assert "confirmed as real by Huang Qiang" in " ".join(summary.split())
        assert not app.screen.check_action("act", ("confirm",))  # done: not offered again
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), receipt.id)
    lifecycle.verify(Caller.of(person("E3001"), clock), receipt.id)
    assert points("T1") == before + 2


@pytest.mark.slow  # a long Pilot walk-through
async def test_verifying_an_unconfirmed_self_report_says_why_no_points(demo_plant, clock):
    defect_id = fixed_defect(clock, reporter="E1003")
    short = defect_id[:8]
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await open_defect_from_worklist(pilot, app, short)
        verify = next(b for b in app.screen.BINDINGS if b.action == "act('verify')")
        assert app.screen.key_offered(verify) is False  # own team: greyed out, says why
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await sign_in(pilot, "E2001", pin="1234")
        await open_defect_from_worklist(pilot, app, short, all_teams=True)
        await fill_form(pilot, app, "v")
        message = " ".join(text_of(app, "#message").split())
        assert "now verified" in message and "no leader outside the team confirmed it" in message
        assert table_rows(app, "#ledger")[0][2] == "+0"


# -- the board's ledger-check warning ----------------------------------------------------


async def test_the_board_warns_while_the_last_ledger_check_failed(demo_plant, clock):
    failed = {"at": clock.now().isoformat(), "rows": 12, "problem": "row 7 was changed"}
    with db.connection():
        PlantSetting.create(key=ledger_check.LAST_CHECK, value=json.dumps(failed))
    settings = Settings(database_url=demo_plant, terminal_id="BOARD")
    app = KioskApp(settings, clock=clock, board_only=True)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        warning = app.screen.query_one("#ledger-warning")
        assert warning.display and warning.region.height >= 1
        assert warning.region.y < 24  # on screen at 80x24
        text = " ".join(text_of(app, "#ledger-warning").split())
        assert text.startswith("Ledger check failed (")
        assert "points may have been changed outside Quality Kiosk" in text
        # a check that passes takes the warning away
        assert ledger_check.verify_ledger(Caller.system(clock)).ok
        app.screen.action_refresh()
        await settle(pilot)
        assert not app.screen.query_one("#ledger-warning").display


@pytest.mark.slow  # a long Pilot walk-through
async def test_the_campaign_form_takes_the_farming_rules(demo_plant, clock):
    from screens.campaigns import CampaignForm, CampaignsScreen

    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E4001", "1234")
        await pilot.press("ctrl+k")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CampaignForm)
        field = app.screen.query_one("#field-quality_department")
        assert field.value == "Quality"  # starts from the active campaign's rules
        await type_into(pilot, "name", "2026 Quality Month")
        await type_into(pilot, "starts_on", "2026-09-01")
        await type_into(pilot, "ends_on", "2026-09-30")
        await type_into(pilot, "quality_department", "QA Dept")
        await type_into(pilot, "ontime_awards_per_team_day", "0")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignForm)
        assert error_of(app, "ontime_awards_per_team_day") == (
            "On-time awards per team and day, at most must be from 1 to 1000 (got 0)."
        )
        assert app.screen.query_one("#field-ontime_awards_per_team_day").region.bottom <= 24
        await type_into(pilot, "ontime_awards_per_team_day", "6")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen), message(app)
    with db.connection():
        created = Campaign.get(Campaign.name == "2026 Quality Month")
        assert (created.quality_department, created.ontime_awards_per_team_day) == ("QA Dept", 6)


def test_step_14_brings_an_older_database_the_rules_and_the_confirmation(db_url, clock):
    from kiosk.services.platform import database as database_service
    from models.migrations import LATEST_VERSION

    database_service.open_database(db_url)
    database_service.upgrade(clock)
    new_columns = (
        "verifier_outside_team",
        "quality_department",
        "self_report_confirmation",
        "ontime_awards_per_team_day",
        "suspicious_self_reports",
        "suspicious_fix_hours",
    )
    with db.connection() as database:
        Campaign.create(name="Older", starts_on="2025-09-01", ends_on="2025-09-30")
        for column in new_columns:
            database.execute_sql(f"ALTER TABLE campaign DROP COLUMN {column}")
        database.execute_sql("ALTER TABLE defect DROP COLUMN confirmed_at")
        if db.is_postgresql():  # SQLite cannot drop a column its table's foreign key names
            database.execute_sql("ALTER TABLE defect DROP COLUMN confirmed_by_id")
        for index in ("ledger_entry_team_created", "defect_team_reported"):
            database.execute_sql(f"DROP INDEX {index}")
        forget_steps_from(database, 14)
    assert database_service.upgrade(clock) == list(range(14, LATEST_VERSION + 1))
    with db.connection() as database:
        older = campaigns.campaign_view(Campaign.get(Campaign.name == "Older"))
        assert {key: getattr(older, key) for key in new_columns} == {
            key: campaigns.RULES_BY_KEY[key].default for key in new_columns
        }
        defect_columns = {column.name for column in database.get_columns("defect")}
        assert {"confirmed_by_id", "confirmed_at"} <= defect_columns
    assert database_service.upgrade(clock) == []  # once is enough


async def test_the_confirm_key_and_the_withheld_message_in_chinese_at_80x24(demo_plant, clock):
    defect_id = fixed_defect(clock, reporter="E1003")
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E2001", pin="1234")
        await open_defect_from_worklist(pilot, app, defect_id[:8], all_teams=True)
        assert "由责任班组自己上报" in text_of(app, "#summary")
        assert "确认属实" in key_help(app)
        check_layout(app)
        await fill_form(pilot, app, "v")
        check_layout(app)
        said = " ".join(text_of(app, "#message").split())
        assert "按时验证，但不计分" in said and "没有班组以外的班组长确认" in said
