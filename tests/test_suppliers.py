"""The incoming-material supplier ranking, on SQLite and PostgreSQL (hand-computed numbers)."""

from __future__ import annotations

import pytest

from kiosk.caller import Caller
from kiosk.errors import PermissionDenied, ValidationFailed
from kiosk.services.lines import suppliers
from kiosk.services.platform import auth
from models import AuditEntry, Campaign, db
from tests.helpers.incoming import seed_incoming


def test_ranking_counts_shares_trends_lots_and_high_risk(demo_plant, clock):
    seed_incoming()
    ranking = suppliers.supplier_ranking(Caller.system(clock))
    assert (ranking.start.isoformat(), ranking.end.isoformat()) == ("2025-09-01", "2025-09-30")
    assert (ranking.previous_start.isoformat(), ranking.previous_end.isoformat()) == (
        "2025-08-02",
        "2025-08-31",
    )
    assert (ranking.total, ranking.previous_total, ranking.threshold_percent) == (10, 11, 25)
    table = [
        (r.rank, r.supplier_code, r.count, r.share_percent, r.previous_count, r.trend, r.high_risk)
        for r in ranking.rows
    ]
    assert table == [
        (1, "SUP-CN01", 4, 40.0, 2, "up", True),
        (2, "SUP-CN02", 3, 30.0, 3, "same", True),
        (3, "SUP-CN03", 2, 20.0, 5, "down", True),
        (4, "SUP-CN04", 1, 10.0, 0, "up", False),
        (None, "SUP-X9", 0, 0.0, 1, "down", False),
    ]
    cn01, cn02, cn03 = (ranking.row(code) for code in ("SUP-CN01", "SUP-CN02", "SUP-CN03"))
    assert cn01.lots == ("A1", "A2", "A3")
    assert cn02.lots == ("P7", "SP-2509-114")
    assert cn01.risk_reasons == ("share 40.0 % ≥ 25 %",)
    assert cn03.risk_reasons == ("1 critical defect",)  # 20 % is under the threshold
    assert cn03.change == -3 and cn01.supplier_name == "Hunan Copper Terminals Co."
    assert [r.supplier_code for r in ranking.high_risk] == ["SUP-CN01", "SUP-CN02", "SUP-CN03"]

    with db.connection():
        Campaign.update(supplier_risk_share_percent=20).where(Campaign.active).execute()
    ranking = suppliers.supplier_ranking(
        Caller.system(clock)
    )  # the threshold is campaign data, inclusive
    assert ranking.threshold_percent == 20
    assert ranking.row("SUP-CN03").risk_reasons == ("share 20.0 % ≥ 20 %", "1 critical defect")
    assert not ranking.row("SUP-CN04").high_risk
    with db.connection():
        Campaign.update(supplier_risk_share_percent=45).where(Campaign.active).execute()
    ranking = suppliers.supplier_ranking(Caller.system(clock))
    assert [r.supplier_code for r in ranking.high_risk] == ["SUP-CN03"]  # only the critical one


def test_a_chosen_period_compares_with_the_days_just_before(demo_plant, clock):
    seed_incoming()
    ranking = suppliers.supplier_ranking(Caller.system(clock), "2025-09-01", "2025-09-05")
    assert (ranking.previous_start.isoformat(), ranking.previous_end.isoformat()) == (
        "2025-08-27",
        "2025-08-31",
    )
    assert (ranking.days, ranking.total, ranking.previous_total) == (5, 5, 4)
    table = [
        (r.supplier_code, r.count, r.share_percent, r.previous_count, r.trend) for r in ranking.rows
    ]
    assert table == [
        ("SUP-CN01", 3, 60.0, 1, "up"),
        ("SUP-CN03", 1, 20.0, 2, "down"),  # a tie on count: more last period first
        ("SUP-CN02", 1, 20.0, 1, "same"),
    ]
    assert [r.rank for r in ranking.rows] == [1, 2, 3]


def test_bad_periods_are_refused_with_a_message(database, clock):
    with pytest.raises(ValidationFailed) as caught:
        suppliers.supplier_ranking(Caller.system(clock), "2025-09-10", "2025-09-01")
    assert "ends (2025-09-01) before it starts (2025-09-10)" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        suppliers.supplier_ranking(Caller.system(clock), "last week")
    assert "'last week' is not a date" in caught.value.message


def test_operators_are_refused_and_the_refusal_is_audited(demo_plant, clock):
    operator = auth.identify_badge("E1002")
    with pytest.raises(PermissionDenied) as caught:
        suppliers.supplier_ranking_for(Caller.of(operator, clock, "T-9"))
    assert caught.value.message == "Only a supervisor or above may view the supplier ranking."
    with db.connection():
        refusal = AuditEntry.get(AuditEntry.action == suppliers.ACTION)
        assert (refusal.allowed, refusal.actor.badge_code, refusal.terminal) == (
            False,
            "E1002",
            "T-9",
        )
    supervisor = auth.identify_badge("E4002")
    ranking = suppliers.supplier_ranking_for(Caller.of(supervisor, clock))
    assert [(r.supplier_code, r.count, r.share_percent) for r in ranking.rows] == [
        ("SUP-CN02", 1, 100.0)
    ]
