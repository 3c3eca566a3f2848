"""A long paste is cut with a visible counter and a message, never silently; at 80x24."""

from __future__ import annotations

from textual import events

from kiosk.services.defects import defects
from screens.action_form import ActionForm, FormField
from screens.widgets.limited_input import LimitedInput
from tests.helpers.app import make_app, open_defect_report, settle, sign_in

SMALL = (80, 24)


def toasts(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_a_long_paste_into_the_description_is_cut_with_a_counter_and_a_message(
    demo_plant, clock
):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        description = app.screen.query_one("#description", LimitedInput)
        assert description.border_subtitle == f"0/{defects.DESCRIPTION_MAX}"
        description.focus()
        pasted = "Crimp height out of tolerance. " * 100  # 3,100 characters
        description.post_message(events.Paste(pasted))
        await settle(pilot)
        limit = defects.DESCRIPTION_MAX
        assert description.value == pasted[:limit]
        assert description.border_subtitle == f"{limit}/{limit}"
        assert description.has_class("-full")
        assert (
            f"Pasted text cut: {limit:,} of {len(pasted):,} characters kept; this field "
            f"holds at most {limit:,}." in toasts(app)
        )


async def test_a_pasted_block_of_lines_is_joined_not_cut_to_its_first_line(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        form = ActionForm(
            "Note", [FormField("note", "Progress note", max_length=30)], lambda values: values
        )
        app.push_screen(form)
        await settle(pilot)
        field = form.query_one("#field-note", LimitedInput)
        field.focus()
        field.post_message(events.Paste("New fixture\nordered\n"))
        await settle(pilot)
        assert field.value == "New fixture ordered"
        assert field.border_subtitle == "19/30" and toasts(app) == []
        field.post_message(events.Paste(" and the old one sent back for repair"))
        await settle(pilot)
        assert field.value == "New fixture ordered and the ol"  # 30 characters
        assert any("11 of 37 characters kept" in toast for toast in toasts(app))
