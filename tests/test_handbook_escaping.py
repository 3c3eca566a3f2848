"""User text in the Markdown handbook stays text: a fence, a heading or HTML in a root
cause cannot swallow or restyle the rest of the handbook."""

from __future__ import annotations

from datetime import timedelta

from markdown_it import MarkdownIt

from kiosk.caller import Caller
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.reports import handbook

HOSTILE = (
    "~~~\n# Not a heading\n```\n    indented code\n1. not a list\n"
    "<b>html</b> &amp; ~~gone~~ ![x](y)"
)


def test_a_root_cause_with_fences_and_markup_keeps_the_handbook_whole(demo_plant, clock):
    person = auth.identify_badge
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Screw loose\n~~~")
    defect_id = report_defect(Caller.of(person("E1003"), clock), draft).id
    clock.advance(timedelta(hours=2))
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    lifecycle.close(
        Caller.of(person("E2001"), clock),
        defect_id,
        lifecycle.RootCause("machine", HOSTILE, "Torque checked\n```python"),
    )
    lifecycle.mark_typical(Caller.of(person("E4002"), clock), defect_id)

    html = MarkdownIt("commonmark").render(
        handbook.render_markdown(handbook.compile_handbook(Caller.system(clock)))
    )
    assert "<pre>" not in html and "<code>" not in html  # no fence, no indented code
    assert "<h1>Not a heading" not in html and "<ol>" not in html
    assert "<b>" not in html and "<img" not in html and "<del>" not in html
    # the sections after the root cause are still there, as headings
    for heading in ("Description", "Corrective action", "What to check to prevent recurrence"):
        assert f"<h3>{heading}" in html, heading
    assert "~~~" in html and "# Not a heading" in html and "&amp;amp;" in html
    assert "1. not a list" in html and "indented code" in html
