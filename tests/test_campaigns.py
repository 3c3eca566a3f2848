"""Campaigns as data: `kiosk campaign new|list|activate|template`, every check with its
message, one-step activation, and a past campaign still shown by exports and the board."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import Digits, OptionList, Static

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.config import Settings
from kiosk.errors import ValidationFailed
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.plant import campaign_file, campaigns
from kiosk.services.platform import auth
from kiosk.services.reports import exports, handbook, kpis, reports
from models import AuditEntry, Campaign, Defect, Employee, LedgerEntry, db
from screens.board import BoardScreen, CampaignPicker, Tile
from tests.helpers.app import settle

DEMO = "2025 Quality Month: Strive for Zero Defects, Fully Build Reliability"
NEXT = "2026 Quality Month"


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def next_year_file(tmp_path: Path, **changes: str) -> Path:
    """The template (2026-09) with text replaced: {old: new}."""
    text = campaign_file.campaign_template()
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_activating_a_campaign_outside_its_dates_says_so(demo_plant, tmp_path, capsys):
    """The sample file's dates left as they were (README step 4 says to edit them first):
    the command says the campaign is not running today, instead of a board with no phase
    and no days left later. A campaign that holds today gets no note."""
    today = date.today()  # the command line's clock is the system's
    shifts = {"01": -15, "05": -11, "06": -10, "24": 8, "25": 9, "30": 14}
    around_today = {f"2026-09-{day}": str(today + timedelta(days=n)) for day, n in shifts.items()}
    cases = (
        ("2019 Quality Month", {"2026-09": "2019-09"}, "it ended."),
        ("2099 Quality Month", {"2026-09": "2099-09"}, "it has not started."),
        ("This Quality Month", around_today, None),
    )
    for name, dates, said in cases:
        path = next_year_file(tmp_path, **{'name = "2026 Quality Month"': f'name = "{name}"'})
        text = path.read_text(encoding="utf-8")
        for old, new in dates.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        assert main(["campaign", "new", str(path), "--activate", "--db", demo_plant]) == 0
        out = capsys.readouterr().out
        assert ("Note: today" in out) == (said is not None), out
        if said is not None:
            assert f"Note: today ({today}) is outside its dates" in out and said in out
    assert campaign_rows()[-2:] == [("This Quality Month", True), ("2099 Quality Month", False)]


def campaign_rows() -> list[tuple[str, bool]]:
    with db.connection():
        return [(c.name, bool(c.active)) for c in Campaign.select().order_by(Campaign.starts_on)]


def audit(action: str) -> list[AuditEntry]:
    with db.connection():
        return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def test_every_rule_default_is_the_views_and_the_columns_agree():
    defaults = campaigns.rules_of(None)
    assert defaults.name == "(no active campaign)" and defaults.id is None
    for rule in campaigns.RULES:
        assert getattr(defaults, rule.key) == rule.default
        assert Campaign._meta.fields[rule.key].default == rule.default, rule.key
    # every rule column of the table is in the view (nothing read from the model elsewhere)
    columns = {
        name
        for name, column in Campaign._meta.fields.items()
        if type(column).__name__ == "IntegerField"
    }
    text_rules = {rule.key for rule in campaigns.RULES if rule.text}
    assert text_rules == {"quality_department"}
    assert columns == set(campaigns.RULES_BY_KEY) - text_rules


def test_the_template_and_the_shipped_sample_are_valid_campaigns():
    for text in (campaign_file.campaign_template(), campaign_file.sample_campaign_text()):
        view = campaigns.check_draft(campaign_file.parse_campaign(text))
        assert (view.starts_on, view.ends_on) == (date(2026, 9, 1), date(2026, 9, 30))
        assert [p.name for p in view.phases][0] == "Kick-off & awareness"
        assert view.rules() == campaigns.rules_of(None).rules()
    for rule in campaigns.RULES:  # every key is explained in the template
        line = f"{rule.file_key} = {rule.file_value(rule.default)}"
        assert line in campaign_file.campaign_template()


def test_new_list_activate_from_the_command_line(demo_plant, tmp_path, capsys, clock):
    template = tmp_path / "t.toml"
    assert main(["campaign", "template", str(template)]) == 0
    assert main(["campaign", "template", str(template)]) == 2  # no overwrite without --force
    path = next_year_file(
        tmp_path,
        **{
            "correction_window_hours = 48": "correction_window_hours = 24",
            "fpy_percent = 98": "fpy_percent = 95",
        },
    )
    assert main(["campaign", "new", str(path), "--db", demo_plant]) == 0
    assert "inactive" in capsys.readouterr().out
    assert campaign_rows() == [(DEMO, True), (NEXT, False)]  # created ahead of time
    assert main(["campaign", "list", "--db", demo_plant]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("  2026-09-01 to 2026-09-30  2026 Quality Month")
    assert listing[1].startswith("* 2025-09-01 to 2025-09-30  2025 Quality Month")

    assert main(["campaign", "activate", NEXT, "--db", demo_plant]) == 0
    assert campaign_rows() == [(DEMO, False), (NEXT, True)]
    assert main(["campaign", "activate", NEXT, "--db", demo_plant]) == 2
    assert "already the active campaign" in capsys.readouterr().err
    assert main(["campaign", "activate", "Nope", "--db", demo_plant]) == 2
    assert "No campaign is named Nope." in capsys.readouterr().err

    created, activated = audit("create_campaign"), audit("activate_campaign")
    assert [(a.actor_id, a.target, a.allowed) for a in created] == [(None, NEXT, True)]
    assert "OS user" in created[0].detail and "correction_window_hours=24" in created[0].detail
    assert [(a.actor_id, a.target) for a in activated] == [(None, NEXT)]
    assert f"previously active: {DEMO}" in activated[0].detail
    assert "OS user" in activated[0].detail

    # the new campaign's rules apply at once: a 24-hour window
    defect = report_defect(
        Caller.of(person("E4004"), clock),
        DefectDraft("L1-S01", "method", "minor", "inspection", "Label"),
    )
    assert defect.due_at - clock.now() == timedelta(hours=24)
    assert campaigns.active_campaign().target_fpy_percent == 95


BAD_FILES = [
    ({"starts_on = 2026-09-01": 'starts_on = "2026-13-01"'}, "starts_on", "is not a date"),
    (
        {"ends_on = 2026-09-30           #": "ends_on = 2026-08-30 #"},
        "ends_on",
        "The campaign ends (2026-08-30) before it starts (2026-09-01).",
    ),
    (
        {"starts_on = 2026-09-25": "starts_on = 2026-10-25"},
        "phase_4",
        "Phase 4 (Summary & standardization) ends (2026-09-30) before it starts (2026-10-25).",
    ),
    (
        {"starts_on = 2026-09-06": "starts_on = 2026-08-06"},
        "phase_2",
        "Phase 2 (Implementation & problem-solving) lies outside the campaign "
        "(2026-09-01 – 2026-09-30).",
    ),
    (
        {"weight_fpy = 30": "weight_fpy = 31"},
        "weights",
        "The line-evaluation weights add up to 101 %; they must add up to 100 %.",
    ),
    (
        {"ontime_points = 2": "ontime_points = 200"},
        "ontime_points",
        "Points for an on-time correction must be from 0 to 100 (got 200).",
    ),
    (
        {"late_points = -2": "late_points = 2"},
        "late_points",
        "Points for a missed window must be from -100 to 0 (got 2).",
    ),
    (
        {"fpy_percent = 98": "fpy_percent = 120"},
        "target_fpy_percent",
        "Target: first-pass yield (%) must be from 0 to 100 (got 120).",
    ),
    (
        {"proposal_points_min = 1": "proposal_points_min = 20"},
        "proposal_points_max",
        "The highest proposal points (10) are below the lowest (20).",
    ),
    (
        {"pass_mark_percent = 80": 'pass_mark_percent = "eighty"'},
        "pass_mark_percent",
        "Assessment pass mark (%): give a whole number (got 'eighty').",
    ),
    ({'name = "2026 Quality Month"': 'name = " "'}, "name", "Give the campaign a name."),
    (
        {'name = "2026 Quality Month"': f'name = "{DEMO.upper()}"'},
        "name",
        f"A campaign named {DEMO} already exists: choose another name.",
    ),
    (
        {"2026-": "2025-"},
        "starts_on",
        f"The dates overlap the campaign {DEMO} (2025-09-01 – 2025-09-30): "
        "campaigns may not overlap.",
    ),
    ({"[targets]": "[targets]\nfpy_precent = 97"}, "file", "[targets] has unknown key(s)"),
    ({"[[phases]]": "[[phases"}, "file", "is not valid TOML"),
]


@pytest.mark.parametrize("changes, key, message", BAD_FILES)
def test_a_bad_campaign_file_says_what_and_writes_nothing(
    demo_plant, tmp_path, capsys, changes, key, message
):
    path = next_year_file(tmp_path, **changes)
    assert main(["campaign", "new", str(path), "--activate", "--db", demo_plant]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert f"{path}: {key}: " in err and message in err, err
    assert campaign_rows() == [(DEMO, True)]
    assert audit("create_campaign") == [] and audit("activate_campaign") == []


def test_problems_are_reported_together(demo_plant):
    draft = campaigns.CampaignDraft(
        name="",
        starts_on="2026-09-01",
        ends_on="2026-09-30",
        phases=(campaigns.PhaseDraft("Kick-off", "2026-09-01", "2026-10-05"),),
        rules={"weight_5s": 50, "assessment_items": 0},
    )
    with pytest.raises(ValidationFailed) as refused:
        campaigns.create_campaign(Caller.system(), draft)
    assert set(refused.value.problems) == {"name", "phase_1", "weights", "assessment_items"}


def exports_count_active() -> int:
    with db.connection():
        return Employee.select().where(Employee.active).count()


def seeded_then_next(demo_plant, clock) -> tuple[int, int]:
    """The demo month's results, then next year's campaign made active; returns both ids."""
    old = campaigns.active_campaign()
    new = campaigns.create_campaign(
        Caller.system(clock),
        campaigns.CampaignDraft(
            NEXT,
            "2026-09-01",
            "2026-09-30",
            rules={"target_fpy_percent": 95, "target_training_coverage_percent": 90},
        ),
        activate=True,
    )
    return old.id, new.id


def test_the_old_campaign_keeps_its_rows_and_exports_with_campaign(
    demo_plant, clock, tmp_path, capsys
):
    with db.connection():
        demo_defects = Defect.select().count()
        demo_ledger = LedgerEntry.select().count()
    old_id, new_id = seeded_then_next(demo_plant, clock)
    # a defect corrected on time under the new campaign
    defect = report_defect(
        Caller.of(person("E4004"), clock),
        DefectDraft("L2-S01", "method", "minor", "inspection", "Loose"),
    ).id
    lifecycle.mark_fixed(Caller.of(person("E2003"), clock), defect)
    lifecycle.verify(Caller.of(person("E3001"), clock), defect)
    with db.connection():
        assert Defect.get_by_id(defect).campaign_id == new_id
        assert LedgerEntry.select().where(LedgerEntry.campaign == new_id).count() == 1
        assert Defect.select().where(Defect.campaign == old_id).count() == demo_defects

    assert len(exports.defects_table(campaign=DEMO).rows) == demo_defects
    assert len(exports.defects_table(campaign=NEXT).rows) == 1
    assert len(exports.ledger_table(campaign=DEMO).rows) == demo_ledger
    assert len(exports.ledger_table(campaign=str(new_id)).rows) == 1
    assert exports.defects_table(campaign=NEXT).name == "defects-2026-Quality-Month"
    assert handbook.compile_handbook(Caller.system(), campaign=NEXT).cases == ()
    assert handbook.compile_handbook(Caller.system(), campaign=DEMO).campaign_name == DEMO

    out = tmp_path / "old-defects.csv"
    args = ["export", "defects", "--campaign", DEMO, "-o", str(out), "--db", demo_plant]
    assert main(args) == 0
    with open(out, encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == demo_defects and "Loose" not in {r["description"] for r in rows}
    out = tmp_path / "perf.csv"
    args = ["export", "performance", "--campaign", NEXT, "-o", str(out), "--db", demo_plant]
    assert main(args) == 0
    with open(out, encoding="utf-8-sig") as stream:
        points = {r["badge"]: int(r["points"]) for r in csv.DictReader(stream)}
    assert sum(points.values()) == 2  # only the new campaign's +2
    out = tmp_path / "coverage.csv"
    args = ["export", "coverage", "--campaign", DEMO, "-o", str(out), "--db", demo_plant]
    assert main(args) == 0
    assert f"Training coverage 0 % (0 of {exports_count_active()} active" in capsys.readouterr().out
    assert main(["export", "ledger", "--campaign", "Nope", "--db", demo_plant]) == 2
    assert "No campaign is named Nope." in capsys.readouterr().err
    assert main(["export", "performance", "--db", demo_plant]) == 2


def test_the_board_shows_a_past_campaign_and_targets_against_actuals(demo_plant, clock):
    before = kpis.board_summary(Caller.system(clock))
    old_id, new_id = seeded_then_next(demo_plant, clock)
    live = kpis.board_summary(Caller.system(clock))
    assert (live.campaign_name, live.live, live.campaign_id) == (NEXT, True, new_id)
    assert (live.due, live.open_defects) == (0, 0)
    assert all(t.points == 0 for t in live.team_totals)
    assert (live.target_fpy, live.target_coverage) == (95, 90)
    past = kpis.board_summary(Caller.system(clock), campaign_id=old_id)
    assert (past.campaign_name, past.live) == (DEMO, False)
    assert (past.due, past.verified_on_time, past.open_defects) == (
        before.due,
        before.verified_on_time,
        before.open_defects,
    )
    assert past.team_totals == before.team_totals
    assert (past.target_fpy, past.critical_target) == (98, 3)
    assert past.period == "Sep 01 – Sep 30"
    series = kpis.daily_series(Caller.system(clock), campaign_id=old_id)
    assert (series.days[0], series.days[-1]) == ("09-01", "09-10")  # up to today
    assert {name: points[-1] for name, points in series.team_points} == {
        t.team_name: t.points for t in before.team_totals
    }
    with db.connection():
        assert sum(series.defects_reported) == Defect.select().count()  # all the demo's
    old_list = reports.red_black(Caller.system(clock), campaign_id=old_id)
    new_list = reports.red_black(Caller.system(clock))
    assert old_list.late_teams and not new_list.late_teams
    assert old_list.top_teams and not new_list.top_teams


async def test_the_board_picks_a_past_campaign_and_shows_targets(demo_plant, clock):
    old_id, _new_id = seeded_then_next(demo_plant, clock)
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BoardScreen)
        line = str(screen.query_one("#campaign-line", Static).content)
        assert line.startswith(NEXT)
        fpy = str(screen.query_one("#tile-fpy", Tile).query_one(".tile-small", Static).content)
        assert "target 95 %" in fpy
        coverage = screen.query_one("#tile-coverage", Tile)
        assert "0  target 90 %" in str(coverage.query_one(".tile-small", Static).content)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CampaignPicker)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2
        assert "active, live" in str(options.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen
        line = str(screen.query_one("#campaign-line", Static).content)
        assert DEMO in line and "not the active campaign" in line
        assert screen.has_class("past")
        assert screen.query_one("#tile-open", Tile).query_one(Digits).value == "4/1"
        critical = screen.query_one("#tile-critical", Tile)
        assert "0/3  target 3" in str(critical.query_one(".tile-small", Static).content)
        fpy = str(screen.query_one("#tile-fpy", Tile).query_one(".tile-small", Static).content)
        assert "target 98 %" in fpy
        # back to the live one
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("up", "enter")
        await settle(pilot)
        assert screen.campaign_id is None and not screen.has_class("past")
        assert str(screen.query_one("#campaign-line", Static).content).startswith(NEXT)
        assert old_id != screen.campaign_id


def test_the_database_keeps_one_active_campaign_and_distinct_names(demo_plant, clock):
    import threading

    import peewee

    names = [f"{year} Quality Month" for year in (2026, 2027, 2028, 2029)]
    for year, name in zip((2026, 2027, 2028, 2029), names, strict=True):
        campaigns.create_campaign(
            Caller.system(clock), campaigns.CampaignDraft(name, f"{year}-09-01", f"{year}-09-30")
        )
    errors: list[Exception] = []

    def activate(name: str) -> None:
        try:
            campaigns.activate_campaign(Caller.system(clock), name)
        except Exception as exc:  # noqa: BLE001 (collected for the assertion)
            errors.append(exc)

    threads = [threading.Thread(target=activate, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(active for _name, active in campaign_rows()) == 1
    assert len(audit("activate_campaign")) == 4
    with db.connection() as database:
        with pytest.raises(peewee.IntegrityError), database.atomic():
            Campaign.update(active=True).execute()
        with pytest.raises(peewee.IntegrityError), database.atomic():
            Campaign.update(name=NEXT).where(Campaign.name == "2027 Quality Month").execute()
