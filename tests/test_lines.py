"""First-pass yield, line evaluation and the Quality Mobile Flag, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import PermissionDenied, ValidationFailed
from kiosk.services.lines import lines
from kiosk.services.platform import auth
from models import AuditEntry, db
from models.lines import LineEvaluation, LineScore


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def test_production_counts_give_first_pass_yield(demo_plant, clock):
    leader = person("E1001")
    lines.record_production(Caller.of(leader, clock), "L1", "2025-09-08", 1000, 950)
    lines.record_production(Caller.of(leader, clock), "L1", "2025-09-09", 500, 480)
    lines.record_production(Caller.of(leader, clock), "l2", date(2025, 9, 9), "400", "300")
    # a correction of the same day replaces the count
    lines.record_production(Caller.of(leader, clock), "L2", "2025-09-09", 400, 360)
    yields = {y.line_code: y for y in lines.first_pass_yield()}
    assert (yields["L1"].produced, yields["L1"].passed_first) == (1500, 1430)
    assert yields["L1"].fpy_percent == pytest.approx(95.333, abs=0.001)
    assert yields["L2"].fpy_percent == pytest.approx(90.0)
    assert yields["L3"].fpy_percent is None
    only_9th = {y.line_code: y for y in lines.first_pass_yield(date(2025, 9, 9), date(2025, 9, 9))}
    assert only_9th["L1"].fpy_percent == pytest.approx(96.0)


def test_production_count_validation(demo_plant, clock):
    leader = person("E1001")
    cases = [
        (("L1", "2025-09-08", 10, 11), "passed_first"),
        (("L1", "2025-09-08", -1, 0), "produced"),
        (("L1", "yesterday", 10, 5), "day"),
        (("L1", "2025-09-30", 10, 5), "day"),  # in the future of the frozen clock
        (("L9", "2025-09-08", 10, 5), "line"),
        (("L1", "2025-09-08", "ten", 5), "produced"),
    ]
    for args, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            lines.record_production(Caller.of(leader, clock), *args)
        assert field in caught.value.problems, args
    with pytest.raises(PermissionDenied):
        lines.record_production(Caller.of(person("E1002"), clock), "L1", "2025-09-08", 10, 9)
    assert sum(y.produced for y in lines.first_pass_yield()) == 0
    with db.connection():
        refused = AuditEntry.select().where(
            (AuditEntry.action == "record_production") & ~AuditEntry.allowed
        )
        assert [row.actor.badge_code for row in refused] == ["E1002"]


def test_evaluation_weights_scores_and_the_flag_moves(demo_plant, clock):
    leader = person("E1001")
    lines.record_production(Caller.of(leader, clock), "L1", "2025-09-08", 1000, 900)  # 90 %
    lines.record_production(Caller.of(leader, clock), "L2", "2025-09-08", 1000, 990)  # 99 %
    lines.record_production(Caller.of(leader, clock), "L3", "2025-09-08", 1000, 800)  # 80 %
    supervisor = person("E4002")
    with pytest.raises(PermissionDenied):
        lines.evaluate_lines(Caller.of(leader, clock), "2025-09-01", "2025-09-09", {})
    with pytest.raises(ValidationFailed, match="missing: L3"):
        lines.evaluate_lines(
            Caller.of(supervisor, clock),
            "2025-09-01",
            "2025-09-09",
            {"L1": (90, 80), "L2": (70, 70)},
        )
    with pytest.raises(ValidationFailed):
        lines.evaluate_lines(
            Caller.of(supervisor, clock),
            "2025-09-01",
            "2025-09-09",
            {"L1": (190, 80), "L2": (70, 70), "L3": (50, 50)},
        )
    first = lines.evaluate_lines(
        Caller.of(supervisor, clock),
        "2025-09-01",
        "2025-09-09",
        {"L1": (90, 80), "L2": (70, 70), "L3": ("95", "95")},
    )
    # totals: (40*s5 + 30*ops + 30*fpy) / 100
    totals = {s.line_code: s.total for s in first.scores}
    assert totals == {"L1": 87.0, "L2": 78.7, "L3": 90.5}
    assert first.winner_code == "L3" and [s.rank for s in first.scores] == [1, 2, 3]
    clock.advance(timedelta(days=7))
    second_scores = {"L1": (90, 90), "L2": (90, 90), "L3": (10, 10)}
    # no production in the second period: a missing FPY is not 0 %, nothing is scored
    with pytest.raises(ValidationFailed) as refused:
        lines.evaluate_lines(
            Caller.of(supervisor, clock), "2025-09-10", "2025-09-16", second_scores
        )
    assert "No production counts for L1, L2, L3 between 2025-09-10 and 2025-09-16" in (
        refused.value.message
    )
    with db.connection():
        assert LineEvaluation.select().count() == 1
    for code in ("L1", "L2", "L3"):
        lines.record_production(Caller.of(supervisor, clock), code, "2025-09-12", 100, 95)
    second = lines.evaluate_lines(
        Caller.of(supervisor, clock), "2025-09-10", "2025-09-16", second_scores
    )
    # L1 and L2 tie; the code decides
    assert [(s.line_code, s.rank) for s in second.scores] == [("L1", 1), ("L2", 1), ("L3", 3)]
    history = lines.mobile_flag_history()
    assert [(h.line_code, h.until is None) for h in history] == [("L1", True), ("L3", False)]
    assert history[1].until == history[0].since
    with db.connection():
        assert LineEvaluation.select().count() == 2
        assert LineScore.select().count() == 6


def test_suggestions_come_from_inspections_and_counts(demo_plant, clock):
    from kiosk.services.lines import inspections

    leader = person("E1001")
    inspection = inspections.start_inspection(Caller.of(leader, clock), "L1")
    items = inspections.inspection_view(inspection.id).items
    five_s = [i for i in items if i.area == "5S/7S"]
    ops = [i for i in items if i.area == "standardized operation"]
    for item in five_s[:3]:
        inspections.record_result(Caller.of(leader, clock), inspection.id, item.code, "pass")
    inspections.record_result(
        Caller.of(leader, clock), inspection.id, five_s[3].code, "fail", "dirty"
    )
    inspections.record_result(Caller.of(leader, clock), inspection.id, ops[0].code, "pass")
    lines.record_production(Caller.of(leader, clock), "L1", "2025-09-09", 200, 190)
    suggestions = {
        s.line_code: s for s in lines.evaluation_suggestions(date(2025, 9, 8), date(2025, 9, 14))
    }
    assert suggestions["L1"].score_5s == pytest.approx(75.0)
    assert suggestions["L1"].score_standard_ops == pytest.approx(100.0)
    assert suggestions["L1"].fpy_percent == pytest.approx(95.0)
    assert suggestions["L2"].score_5s is None
    outside = {
        s.line_code: s for s in lines.evaluation_suggestions(date(2025, 9, 1), date(2025, 9, 7))
    }
    assert outside["L1"].score_5s is None
