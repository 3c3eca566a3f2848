"""Reads that cost what they show: each rewritten read returns exactly what the old one
did (or a slow reference computed here from the raw rows), on the demo plant and on a
mid-size plant grown by tests.plant_factory; paged lists show every row exactly once."""

from __future__ import annotations

import pytest

from kiosk.services import assessments
from tests.plant_factory import grow_plant


@pytest.fixture(params=["demo", "grown"])
def plant(request, demo_plant, clock) -> str:
    if request.param == "grown":
        grow_plant()
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
    from tests.test_assessment_screens import open_coverage, sign_in, table_rows
    from tests.test_screens import SIZE, make_app, settle, text_of

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
