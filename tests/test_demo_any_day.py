"""The demo tried on any day of a month: its history lies inside its campaign.

Seeded on the 1st, the 15th and the last day of a month, the board shows points and
defects of the campaign, the performance export has points, and the Pareto compares the
month with the same month a year before sensibly (not -98.8 %).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.services.lines import anomalies
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform.uow import read
from kiosk.services.reports import exports, kpis

DAYS = [
    datetime(2025, 10, 1, 8, 0, tzinfo=UTC),  # the 1st: the history lies in the month before
    datetime(2025, 10, 15, 8, 0, tzinfo=UTC),
    datetime(2025, 10, 31, 20, 0, tzinfo=UTC),  # the last day
    datetime(2028, 3, 1, 0, 30, tzinfo=UTC),  # half an hour into a leap year's March
]


@read
def campaign_dates() -> tuple[str, date, date]:
    campaign = active_campaign_row()
    return campaign.name, campaign.starts_on, campaign.ends_on


@pytest.mark.parametrize("moment", DAYS, ids=lambda moment: moment.date().isoformat())
def test_the_demo_seeded_any_day_has_its_history_inside_its_campaign(database, moment):
    clock = FrozenClock(moment)
    seed_demo_plant(Caller.system(clock))
    name, starts_on, ends_on = campaign_dates()
    today = moment.date()
    assert starts_on <= today <= ends_on  # live
    assert (ends_on.year, ends_on.month) == (today.year, today.month)  # the month tried in
    assert (today - starts_on).days >= 5  # the few days of history fit inside it

    board = kpis.board_summary(Caller.system(clock))
    assert board.days_left is not None and board.phases_today
    assert board.verified_on_time == 2 and board.overdue_defects == 1
    assert board.open_defects >= 3
    points = {total.team_code: total.points for total in board.team_totals}
    assert points["T1"] >= 2 and points["T3"] >= 2  # on time (and a proposal)
    series = kpis.daily_series(Caller.system(clock))
    assert sum(series.defects_reported) >= 6  # every demo defect on a day of the chart
    assert any(any(day != 0 for day in days) for _team, days in series.team_points)

    performance = exports.performance_table(None, name)
    assert sum(row[4] for row in performance.rows) > 0  # not all zeros
    by_badge = {row[0]: row[4] for row in performance.rows}
    assert by_badge["E1004"] >= 2 and by_badge["E3004"] >= 2

    pareto = anomalies.anomaly_pareto(Caller.system(clock))
    assert pareto.month == f"{today.year:04d}-{today.month:02d}"
    assert pareto.last_year_total == 80
    assert pareto.total >= 48  # the PMC's count for the month so far, and the kiosk's
    assert -60 < pareto.change_percent < 0  # fewer than a year before, not -98.8 %


def test_seeded_in_the_middle_of_a_month_the_campaign_is_that_calendar_month(demo_plant):
    name, starts_on, ends_on = campaign_dates()  # the fixture seeds on 2025-09-10
    assert (starts_on, ends_on) == (date(2025, 9, 1), date(2025, 9, 30))
    assert name.startswith("2025 Quality Month")
