"""Badge sign-in, leaders' PINs and role checks, with the audit trail they leave.

Each PostgreSQL test costs a fresh database, so related checks share a test.
"""

from __future__ import annotations

import threading

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied
from kiosk.services.plant.demo import DEMO_PIN
from kiosk.services.platform.auth import PinRequired, identify_badge, require_role, sign_in
from models import AuditEntry, Employee, db


def _audit_rows() -> list[AuditEntry]:
    """Audit rows written by the test (not the demo seed's imports and reviews)."""
    with db.connection():
        return list(
            AuditEntry.select()
            .where(
                ~AuditEntry.action.startswith("import_")
                & (AuditEntry.terminal.is_null() | (AuditEntry.terminal != "demo"))
            )
            .order_by(AuditEntry.id)
        )


def test_operator_signs_in_by_badge(demo_plant, clock):
    badges = ["E1002", "e1002", "  e1002  ", "E1002\r\n", "\tE1002 "]
    for badge in badges:
        person = sign_in(Caller.of(None, clock, "K1"), badge)
        assert person.name == "Li Na", badge
        assert person.badge_code == "E1002", badge
    assert person.role == "operator"
    assert person.role_title == "Operator"
    assert person.team_name == "Line 1 Team (AC chargers)"
    assert person.needs_pin is False
    rows = _audit_rows()
    assert [(r.action, r.allowed, r.actor_id, r.terminal) for r in rows] == [
        ("sign_in", True, person.id, "K1")
    ] * len(badges)
    assert rows[0].at == clock.now()


def test_unknown_and_inactive_badges_are_refused_and_audited(demo_plant, clock):
    with pytest.raises(NotFound) as caught:
        sign_in(Caller.of(None, clock, "K1"), " e7777 ")
    assert caught.value.message == (
        "Badge E7777 is not known here. Ask your team leader to register it."
    )

    with pytest.raises(NotFound) as caught:
        sign_in(Caller.of(None, clock), "e9001")  # the demo's inactive employee
    assert caught.value.message == (
        "Badge E9001 belongs to an inactive employee. Ask HR or your team leader."
    )

    unknown, inactive = _audit_rows()
    assert (unknown.action, unknown.allowed, unknown.actor_id) == ("sign_in", False, None)
    assert (unknown.target, unknown.terminal) == ("E7777", "K1")
    assert "not known" in unknown.detail
    assert (inactive.allowed, inactive.target) == (False, "E9001")
    assert "inactive" in inactive.detail

    with pytest.raises(NotFound, match="inactive"):
        identify_badge("E9001")
    assert identify_badge("e1001").name == "Zhang Wei"


def test_leaders_need_the_pin(demo_plant, clock):
    for badge, name, title in [
        ("E1001", "Zhang Wei", "Team leader"),
        ("E4002", "Liang Yu", "Supervisor"),
        ("E4001", "Sun Hongbing", "Quality admin"),
    ]:
        with pytest.raises(PinRequired) as caught:
            sign_in(Caller.of(None, clock), badge)
        assert caught.value.message == f"{name}: enter your PIN."
        assert identify_badge(badge).needs_pin is True
        person = sign_in(Caller.of(None, clock, "K2"), badge.lower(), DEMO_PIN)
        assert (person.name, person.role_title) == (name, title)
        assert _audit_rows()[-1].actor_id == person.id
    # Asking for the PIN is not a refusal: only the three sign-ins are audited.
    assert [(r.action, r.allowed, r.terminal) for r in _audit_rows()] == [
        ("sign_in", True, "K2")
    ] * 3


def test_wrong_pin_is_refused_and_audited(demo_plant, clock):
    with pytest.raises(PermissionDenied) as caught:
        sign_in(Caller.of(None, clock, "K3"), "E1001", "9999")
    assert not isinstance(caught.value, PinRequired)
    assert caught.value.message == "Wrong PIN. Scan your badge and try again."
    with db.connection():
        leader = Employee.get(Employee.badge_code == "E1001")
    [row] = _audit_rows()
    assert (row.action, row.allowed, row.actor_id) == ("sign_in", False, leader.id)
    assert (row.detail, row.terminal) == ("wrong PIN", "K3")
    assert row.at == clock.now()

    for pin in ("", "0000", "12345"):  # four wrong PINs: one short of the lock
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            sign_in(Caller.of(None, clock), "E1001", pin)
    assert sign_in(Caller.of(None, clock), "E1001", DEMO_PIN).name == "Zhang Wei"
    assert [r.allowed for r in _audit_rows()] == [False] * 4 + [True]


def test_require_role_refuses_an_operator_and_audits(demo_plant, clock):
    operator = sign_in(Caller.of(None, clock), "E1002")
    with pytest.raises(PermissionDenied) as caught:
        require_role(Caller.of(operator, clock, "K1"), "team_leader", "verify_defect", target="D-1")
    assert caught.value.message == "Only a team leader or above may verify defect."
    refusal = _audit_rows()[-1]
    assert (refusal.action, refusal.allowed, refusal.actor_id) == (
        "verify_defect",
        False,
        operator.id,
    )
    assert (refusal.target, refusal.terminal) == ("D-1", "K1")
    assert refusal.detail == "needs Team leader, has Operator"


def test_require_role_lets_a_leader_through_without_an_audit_row(demo_plant, clock):
    leader = sign_in(Caller.of(None, clock), "E1001", DEMO_PIN)
    supervisor = sign_in(Caller.of(None, clock), "E4002", DEMO_PIN)
    before = len(_audit_rows())
    require_role(Caller.of(leader, clock), "team_leader", "verify_defect")
    require_role(Caller.of(supervisor, clock), "team_leader", "verify_defect")
    assert len(_audit_rows()) == before
    with pytest.raises(PermissionDenied, match="Only a quality admin or above may import"):
        require_role(Caller.of(supervisor, clock), "quality_admin", "import")
    assert [(r.action, r.allowed) for r in _audit_rows()[before:]] == [("import", False)]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_refusals_in_worker_threads_do_not_use_up_the_connection_pool(
    demo_plant, clock, monkeypatch
):
    # A kiosk's pool, shrunk from 32 to 2 connections (1 s wait) so the test stays fast.
    monkeypatch.setattr(db.database_proxy.obj, "_max_connections", 2)
    monkeypatch.setattr(db.database_proxy.obj, "_wait_timeout", 1)
    operator = sign_in(Caller.of(None, clock), "E1002")
    outcomes: list[str] = []

    def in_worker(call) -> None:
        def run() -> None:
            try:
                outcomes.append(str(call()))
            except Exception as exc:  # noqa: BLE001 - what the screen would have to show
                outcomes.append(getattr(exc, "message", repr(exc)))

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)

    for _ in range(3):  # each refusal runs in its own worker thread, as on the screens
        in_worker(lambda: require_role(Caller.of(operator, clock), "team_leader", "verify_defect"))
    in_worker(lambda: sign_in(Caller.of(None, clock), "E1002").name)
    assert outcomes == ["Only a team leader or above may verify defect."] * 3 + ["Li Na"]


def test_five_wrong_pins_lock_the_badge_on_every_terminal(demo_plant, clock):
    from datetime import timedelta

    for attempt in range(5):
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            sign_in(Caller.of(None, clock, f"WS-{attempt}"), "E1001", "0000")
        clock.advance(timedelta(seconds=30))
    # the right PIN is refused too while the badge is locked, on any terminal
    with pytest.raises(PermissionDenied, match="Too many wrong PINs for badge E1001"):
        sign_in(Caller.of(None, clock, "WS-9"), "E1001", "1234")
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        sign_in(Caller.of(None, clock, "WS-9"), "E1001", None)
    # ten minutes after the first failure the lock is gone
    clock.advance(timedelta(minutes=8))
    assert sign_in(Caller.of(None, clock), "E1001", "1234").badge_code == "E1001"
    # a success starts the count again: one more wrong PIN does not lock
    with pytest.raises(PermissionDenied, match="Wrong PIN"):
        sign_in(Caller.of(None, clock), "E1001", "9999")
    assert sign_in(Caller.of(None, clock), "E1001", "1234").name == "Zhang Wei"
    with db.connection():
        locked = AuditEntry.select().where(AuditEntry.detail == "locked: too many wrong PINs")
        assert locked.count() == 2
