"""Badge sign-in, leaders' PINs and role checks, with the audit trail they leave."""

from __future__ import annotations

import pytest

from kiosk.services.auth import PinRequired, identify_badge, require_role, sign_in
from kiosk.services.demo import DEMO_PIN
from kiosk.services.errors import NotFound, PermissionDenied
from models import AuditEntry, Employee, db


def _audit_rows() -> list[AuditEntry]:
    with db.connection():
        return list(AuditEntry.select().order_by(AuditEntry.id))


@pytest.mark.parametrize("badge", ["E1002", "e1002", "  e1002  ", "E1002\r\n", "\tE1002 "])
def test_operator_signs_in_by_badge(demo_plant, clock, badge):
    person = sign_in(badge, terminal="K1", clock=clock)
    assert person.name == "Li Na"
    assert person.badge_code == "E1002"
    assert person.role == "operator"
    assert person.role_title == "Operator"
    assert person.team_name == "Line 1 Team (AC chargers)"
    assert person.needs_pin is False
    rows = _audit_rows()
    assert len(rows) == 1
    assert (rows[0].action, rows[0].allowed, rows[0].terminal) == ("sign_in", True, "K1")
    assert rows[0].actor_id == person.id
    assert rows[0].at == clock.now()


def test_unknown_badge_is_refused_and_audited(demo_plant, clock):
    with pytest.raises(NotFound) as caught:
        sign_in(" e7777 ", terminal="K1", clock=clock)
    assert caught.value.message == (
        "Badge E7777 is not known here. Ask your team leader to register it."
    )
    [row] = _audit_rows()
    assert (row.action, row.allowed, row.actor_id) == ("sign_in", False, None)
    assert row.target == "E7777"
    assert "not known" in row.detail


def test_inactive_demo_badge_is_refused(demo_plant, clock):
    with pytest.raises(NotFound) as caught:
        sign_in("E9001", clock=clock)
    assert "E9001" in caught.value.message
    assert "inactive" in caught.value.message
    [row] = _audit_rows()
    assert row.allowed is False
    assert row.target == "E9001"


def test_inactive_badge_is_not_identified_either(demo_plant):
    with pytest.raises(NotFound, match="inactive"):
        identify_badge("E9001")
    assert identify_badge("e1001").name == "Zhang Wei"


@pytest.mark.parametrize(
    ("badge", "name", "title"),
    [("E1001", "Zhang Wei", "Team leader"), ("E4002", "Liang Yu", "Supervisor")],
)
def test_leader_needs_the_pin(demo_plant, clock, badge, name, title):
    with pytest.raises(PinRequired) as caught:
        sign_in(badge, clock=clock)
    assert caught.value.message == f"{name}: enter your PIN."
    assert identify_badge(badge).needs_pin is True

    person = sign_in(badge.lower(), DEMO_PIN, terminal="K2", clock=clock)
    assert (person.name, person.role_title) == (name, title)
    rows = _audit_rows()
    assert [(r.action, r.allowed, r.actor_id) for r in rows] == [("sign_in", True, person.id)]


def test_wrong_pin_is_refused_and_audited(demo_plant, clock):
    with pytest.raises(PermissionDenied) as caught:
        sign_in("E1001", "9999", terminal="K3", clock=clock)
    assert not isinstance(caught.value, PinRequired)
    assert caught.value.message == "Wrong PIN. Scan your badge and try again."
    with db.connection():
        leader = Employee.get(Employee.badge_code == "E1001")
    [row] = _audit_rows()
    assert (row.action, row.allowed, row.actor_id) == ("sign_in", False, leader.id)
    assert (row.detail, row.terminal) == ("wrong PIN", "K3")


def test_empty_pin_is_a_wrong_pin(demo_plant, clock):
    with pytest.raises(PermissionDenied, match="Wrong PIN"):
        sign_in("E1001", "", clock=clock)
    assert [r.allowed for r in _audit_rows()] == [False]


def test_each_refusal_is_a_row_and_the_right_pin_still_works(demo_plant, clock):
    for pin in ("0000", "12345", "4321"):
        with pytest.raises(PermissionDenied):
            sign_in("E1001", pin, clock=clock)
    assert sign_in("E1001", DEMO_PIN, clock=clock).name == "Zhang Wei"
    assert [r.allowed for r in _audit_rows()] == [False, False, False, True]


def test_require_role_refuses_an_operator_and_audits(demo_plant, clock):
    operator = sign_in("E1002", clock=clock)
    with pytest.raises(PermissionDenied) as caught:
        require_role(
            operator, "team_leader", "verify_defect", target="D-1", terminal="K1", clock=clock
        )
    assert caught.value.message == "Only a team leader or above may verify defect."
    refusal = _audit_rows()[-1]
    assert (refusal.action, refusal.allowed, refusal.actor_id) == (
        "verify_defect",
        False,
        operator.id,
    )
    assert refusal.target == "D-1"
    assert refusal.detail == "needs Team leader, has Operator"


def test_require_role_lets_a_leader_through_without_an_audit_row(demo_plant, clock):
    leader = sign_in("E1001", DEMO_PIN, clock=clock)
    supervisor = sign_in("E4002", DEMO_PIN, clock=clock)
    before = len(_audit_rows())
    require_role(leader, "team_leader", "verify_defect", clock=clock)
    require_role(supervisor, "team_leader", "verify_defect", clock=clock)
    assert len(_audit_rows()) == before
    with pytest.raises(PermissionDenied, match="Only a quality admin or above may import"):
        require_role(supervisor, "quality_admin", "import", clock=clock)
    assert len(_audit_rows()) == before + 1
