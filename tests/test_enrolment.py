"""PIN enrolment: one-time codes, PIN rules, resets, changing one's own PIN, the kept roster,
and `kiosk admin create|enrol`, on SQLite and PostgreSQL.

Each PostgreSQL test costs a fresh database, so related checks share a test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk import cli
from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import language
from kiosk.services.plant.demo import DEMO_PIN
from kiosk.services.platform import auth, enrolment, outbox
from kiosk.services.platform.auth import EnrolmentRequired, NoPin, sign_in
from models import AuditEntry, Department, Employee, EnrolmentCode, db
from tests.helpers.offline import ServerAway

LEADER, SUPERVISOR, ADMIN, OPERATOR = "E1001", "E4002", "E4001", "E1002"


def _rows_since(first_id: int) -> list[AuditEntry]:
    with db.connection():
        return list(AuditEntry.select().where(AuditEntry.id > first_id).order_by(AuditEntry.id))


def _last_audit_id() -> int:
    with db.connection():
        return AuditEntry.select().order_by(AuditEntry.id.desc()).first().id


def _no_pin(badge: str) -> None:
    with db.connection():
        Employee.update(pin_hash=None).where(Employee.badge_code == badge).execute()


def test_pin_rules():
    good = {"team_leader": "2580", "supervisor": "258013", "quality_admin": "947261"}
    for role, pin in good.items():
        assert enrolment.pin_problem(pin, role, "E1001") is None, role
    refused = [
        ("12a4", "team_leader", "digits only"),
        ("", "team_leader", "digits only"),
        ("１２３５", "team_leader", "digits only"),  # full-width digits
        ("258", "team_leader", "at least 4 digits"),
        ("25801", "supervisor", "at least 6 digits"),
        ("2580131", "quality_admin", None),
        ("1" * 13, "team_leader", "at most 12"),
        ("0000", "team_leader", "one digit repeated"),
        ("777777", "supervisor", "one digit repeated"),
        ("1234", "team_leader", "digits in a row"),
        ("654321", "supervisor", "digits in a row"),
        ("3456789", "quality_admin", "digits in a row"),
        ("1001", "team_leader", "badge's digits"),  # E1001
        ("991001", "supervisor", "badge's digits"),
    ]
    for pin, role, why in refused:
        problem = enrolment.pin_problem(pin, role, "E1001")
        if why is None:
            assert problem is None, pin
        else:
            assert problem is not None and why in problem, (pin, problem)


def test_a_leader_without_pin_is_never_signed_in_on_the_badge_alone(demo_plant, clock, tmp_path):
    box = outbox.Outbox(tmp_path / "outbox.db")
    # the kept roster of a kiosk where the leader signed in before the PIN was removed
    # (or from an older version that let a PIN-less leader in): no PIN kept
    leader = sign_in(Caller.of(None, clock), LEADER, DEMO_PIN)
    box.remember(leader, None, clock.now())
    _no_pin(LEADER)
    before = _last_audit_id()
    for pin in (None, "", DEMO_PIN):
        with pytest.raises(NoPin) as caught:
            sign_in(Caller.of(None, clock, "K1"), LEADER, pin)
        assert not isinstance(caught.value, EnrolmentRequired)
        assert caught.value.message == (
            "Zhang Wei has no PIN yet. Ask a supervisor for an enrolment code, then scan "
            "your badge again."
        )
    rows = _rows_since(before)
    assert [(r.action, r.allowed, r.detail, r.terminal) for r in rows] == [
        ("sign_in", False, "no PIN set", "K1")
    ] * 3
    # an operator still signs in by badge
    assert sign_in(Caller.of(None, clock), OPERATOR).role == "operator"

    with ServerAway():  # offline: the kept roster refuses the badge alone too
        with pytest.raises(PermissionDenied, match="no PIN of Zhang Wei is kept"):
            box.offline_sign_in(LEADER, None, now=clock.now())
        with pytest.raises(PermissionDenied, match="no PIN of Zhang Wei is kept"):
            box.offline_sign_in(LEADER, "1234", now=clock.now())
        with pytest.raises(PermissionDenied):
            outbox.sign_in_or_kept(Caller.of(None, clock), box, LEADER, None)

    # with a live code, the badge asks for the code (not audited: not a refusal yet)
    with db.connection():
        supervisor = auth.identify_badge(SUPERVISOR)
    enrolment.issue_code(Caller.of(supervisor, clock), LEADER)
    before = _last_audit_id()
    with pytest.raises(EnrolmentRequired, match="Zhang Wei: enter your enrolment code."):
        sign_in(Caller.of(None, clock), LEADER)
    assert _rows_since(before) == []
    # typing a PIN instead (web, unlock) is still no way in
    with pytest.raises(NoPin):
        sign_in(Caller.of(None, clock), LEADER, "1234")


def test_issue_code_then_enrol_then_sign_in(demo_plant, clock, tmp_path):
    box = outbox.Outbox(tmp_path / "outbox.db")
    supervisor = sign_in(Caller.of(None, clock), SUPERVISOR, DEMO_PIN)
    _no_pin(LEADER)
    before = _last_audit_id()
    first = enrolment.issue_code(Caller.of(supervisor, clock, "K9"), LEADER)
    issued = enrolment.issue_code(Caller.of(supervisor, clock, "K9"), LEADER.lower())
    assert issued.code.isdigit() and len(issued.code) == 8
    assert issued.shown == f"{issued.code[:4]} {issued.code[4:]}"
    assert (issued.name, issued.role, issued.reset) == ("Zhang Wei", "team_leader", False)
    assert issued.expires_at == clock.now() + timedelta(hours=72)
    with db.connection():
        codes = list(EnrolmentCode.select().order_by(EnrolmentCode.id))
    assert len(codes) == 2
    assert all(issued.code not in c.code_hash and first.code not in c.code_hash for c in codes)
    assert codes[0].expires_at == clock.now()  # the older one is void
    rows = _rows_since(before)
    assert [(r.action, r.allowed, r.actor_id, r.target, r.terminal) for r in rows] == [
        ("issue_enrolment_code", True, supervisor.id, LEADER, "K9")
    ] * 2
    assert all(issued.code not in r.detail and first.code not in r.detail for r in rows)

    # the older code no longer works
    with pytest.raises(PermissionDenied, match="Wrong enrolment code"):
        enrolment.check_code(Caller.of(None, clock, "K1"), LEADER, first.code)
    start = enrolment.check_code(Caller.of(None, clock, "K1"), LEADER, issued.shown)
    assert (start.name, start.min_digits) == ("Zhang Wei", 4)

    # a trivial PIN or two different PINs: refused, nothing written, the code still holds
    before = _last_audit_id()
    with pytest.raises(ValidationFailed, match="digits in a row"):
        outbox.enrol_and_keep(Caller.of(None, clock), box, LEADER, issued.code, "1234", "1234")
    with pytest.raises(ValidationFailed, match="The two PINs differ"):
        outbox.enrol_and_keep(Caller.of(None, clock), box, LEADER, issued.code, "2580", "2581")
    assert _rows_since(before) == []
    person = outbox.enrol_and_keep(
        Caller.of(None, clock, "K1"), box, LEADER, issued.code, "2580", "2580"
    )
    assert (person.name, person.needs_pin) == ("Zhang Wei", True)
    rows = _rows_since(before)
    assert [(r.action, r.allowed, r.detail, r.actor_id) for r in rows] == [
        ("enrol_pin", True, "", person.id),
        ("sign_in", True, "enrolled a PIN", person.id),
    ]
    with db.connection():
        assert EnrolmentCode.get_by_id(codes[1].id).used_at == clock.now()
        assert "2580" not in Employee.get_by_id(person.id).pin_hash

    # the code is spent: not a second time
    with pytest.raises(PermissionDenied, match="not valid"):
        enrolment.enrol_pin(Caller.of(None, clock), LEADER, issued.code, "3691", "3691")
    with pytest.raises(auth.PinRequired):
        sign_in(Caller.of(None, clock), LEADER)
    assert sign_in(Caller.of(None, clock), LEADER, "2580").name == "Zhang Wei"
    with ServerAway():  # the kept roster learnt the new PIN
        assert box.offline_sign_in(LEADER, "2580", now=clock.now()).name == "Zhang Wei"


def test_expired_and_wrong_codes_and_the_lock(demo_plant, clock):
    admin = sign_in(Caller.of(None, clock), ADMIN, DEMO_PIN)
    _no_pin(SUPERVISOR)
    issued = enrolment.issue_code(Caller.of(admin, clock), SUPERVISOR, hours=1)
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(NoPin, match="Ask a supervisor"):  # no live code: told to ask
        sign_in(Caller.of(None, clock), SUPERVISOR)
    with pytest.raises(PermissionDenied, match="not valid"):
        enrolment.check_code(Caller.of(None, clock), SUPERVISOR, issued.code)

    issued = enrolment.issue_code(Caller.of(admin, clock), SUPERVISOR)
    wrong = "00000000" if issued.code != "00000000" else "11111111"
    for _ in range(auth.PIN_FAILURES_ALLOWED):
        with pytest.raises(PermissionDenied, match="Wrong enrolment code"):
            enrolment.check_code(Caller.of(None, clock, "K1"), SUPERVISOR, wrong)
    # five wrong codes lock the badge like five wrong PINs: the right code waits too
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        enrolment.check_code(Caller.of(None, clock), SUPERVISOR, issued.code)
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        enrolment.enrol_pin(Caller.of(None, clock), SUPERVISOR, issued.code, "258013", "258013")
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        sign_in(Caller.of(None, clock), SUPERVISOR)
    with db.connection():
        wrongs = AuditEntry.select().where(AuditEntry.detail == "wrong enrolment code").count()
    assert wrongs == auth.PIN_FAILURES_ALLOWED
    clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
    with pytest.raises(ValidationFailed, match="at least 6 digits"):
        enrolment.enrol_pin(Caller.of(None, clock), SUPERVISOR, issued.code, "2580", "2580")
    assert enrolment.enrol_pin(
        Caller.of(None, clock), SUPERVISOR, issued.code, "258013", "258013"
    ).name


def test_who_may_issue_codes_and_the_reset(demo_plant, clock):
    leader = sign_in(Caller.of(None, clock), LEADER, DEMO_PIN)
    supervisor = sign_in(Caller.of(None, clock), SUPERVISOR, DEMO_PIN)
    admin = sign_in(Caller.of(None, clock), ADMIN, DEMO_PIN)
    before = _last_audit_id()
    with pytest.raises(PermissionDenied, match="Only a supervisor or above"):
        enrolment.issue_code(Caller.of(leader, clock), "E2001")
    with language("zh_CN"), pytest.raises(PermissionDenied) as refused:
        enrolment.issue_code(Caller.of(leader, clock), "E2001")
    assert refused.value.message == "只有主管及以上人员才能签发启用码。"
    with pytest.raises(PermissionDenied, match="Only a quality admin may issue"):
        enrolment.issue_code(Caller.of(supervisor, clock), ADMIN)
    with pytest.raises(PermissionDenied, match="for yourself"):
        enrolment.code_target(Caller.of(supervisor, clock), SUPERVISOR)
    refusals = _rows_since(before)
    assert [(r.action, r.allowed, r.actor_id, r.target) for r in refusals] == [
        ("issue_an_enrolment_code", False, leader.id, "E2001"),
        ("issue_an_enrolment_code", False, leader.id, "E2001"),
        ("issue_an_enrolment_code", False, supervisor.id, ADMIN),
        ("issue_an_enrolment_code", False, supervisor.id, SUPERVISOR),
    ]
    with pytest.raises(PermissionDenied, match="operators sign in with their badge alone"):
        enrolment.issue_code(Caller.of(admin, clock), OPERATOR)
    with pytest.raises(NotFound):
        enrolment.issue_code(Caller.of(admin, clock), "E9001")  # inactive
    with db.connection():
        assert EnrolmentCode.select().count() == 0

    # a supervisor resets a leader's PIN: cleared and a new code, one audited action
    target = enrolment.code_target(Caller.of(supervisor, clock), LEADER)
    assert (target.name, target.has_pin) == ("Zhang Wei", True)
    before = _last_audit_id()
    issued = enrolment.issue_code(Caller.of(supervisor, clock, "K2"), LEADER)
    assert issued.reset is True
    [row] = _rows_since(before)
    assert (row.action, row.actor_id, row.target, row.terminal) == (
        "reset_pin",
        supervisor.id,
        LEADER,
        "K2",
    )
    with pytest.raises(EnrolmentRequired):
        sign_in(Caller.of(None, clock), LEADER)
    with pytest.raises(NoPin):  # the old PIN no longer works
        sign_in(Caller.of(None, clock), LEADER, DEMO_PIN)
    # a quality admin may issue for another quality admin and a supervisor
    with db.connection():
        Employee.update(role="quality_admin").where(Employee.badge_code == "E5001").execute()
    assert enrolment.issue_code(Caller.of(admin, clock), "E5001").reset is True
    assert enrolment.issue_code(Caller.of(admin, clock), "E6005").role == "supervisor"


def test_change_own_pin(demo_plant, clock):
    leader = sign_in(Caller.of(None, clock), LEADER, DEMO_PIN)
    operator = sign_in(Caller.of(None, clock), OPERATOR)
    with pytest.raises(PermissionDenied, match="no PIN to change"):
        enrolment.change_pin(Caller.of(operator, clock), "", "2580", "2580")
    before = _last_audit_id()
    with pytest.raises(ValidationFailed) as wrong:
        enrolment.change_pin(Caller.of(leader, clock, "K1"), "9999", "2580", "2580")
    assert wrong.value.problems == {"current": "That is not your current PIN."}
    with pytest.raises(ValidationFailed, match="one digit repeated"):
        enrolment.change_pin(Caller.of(leader, clock), DEMO_PIN, "5555", "5555")
    with pytest.raises(ValidationFailed, match="differ"):
        enrolment.change_pin(Caller.of(leader, clock), DEMO_PIN, "2580", "2850")
    enrolment.change_pin(Caller.of(leader, clock, "K1"), DEMO_PIN, "2580", "2580")
    rows = _rows_since(before)
    assert [(r.action, r.allowed, r.detail) for r in rows] == [
        ("change_pin", False, "wrong current PIN"),
        ("change_pin", True, ""),
    ]
    with pytest.raises(PermissionDenied, match="Wrong PIN"):
        sign_in(Caller.of(None, clock), LEADER, DEMO_PIN)
    assert sign_in(Caller.of(None, clock), LEADER, "2580").name == "Zhang Wei"


@pytest.fixture
def no_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.delenv("QK_DATABASE_URL", raising=False)


def test_admin_create_on_an_empty_database_and_admin_enrol(database, clock, capsys, no_config_file):
    url = database
    status = cli.main(["admin", "create", "--badge", "e9", "--name", " Sun  Li ", "--db", url])
    assert status == 0
    out = capsys.readouterr().out
    assert "Quality admin Sun Li (E9) created." in out
    assert "One-time enrolment code for Sun Li (Quality admin, badge E9)" in out
    # an active quality admin exists: a second create is refused
    assert cli.main(["admin", "create", "--badge", "Q2", "--name", "Wang Fang", "--db", url]) == 2
    assert "1 active quality admin already" in capsys.readouterr().err
    status = cli.main(
        ["admin", "create", "--badge", "Q2", "--name", "Wang Fang", "--force", "--db", url]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "One-time enrolment code for Wang Fang (Quality admin, badge Q2)" in out
    with db.connection():
        forced = AuditEntry.get(
            (AuditEntry.action == "create_first_admin") & (AuditEntry.target == "Q2")
        )
        assert forced.actor_id is None and "forced while 1 active" in forced.detail
        assert "by OS user" in forced.detail
    assert cli.main(["admin", "enrol", "Q2", "--db", url]) == 0
    out = capsys.readouterr().out
    code = out.split("\n\n")[1].strip()
    assert len(code.replace(" ", "")) == 8
    with db.connection():
        rows = list(
            AuditEntry.select()
            .where(AuditEntry.action == "issue_enrolment_code")
            .order_by(AuditEntry.id)
        )
        assert [(r.actor_id, r.target) for r in rows] == [(None, "E9"), (None, "Q2"), (None, "Q2")]
        assert all(code.replace(" ", "") not in r.detail for r in rows)
    assert cli.main(["admin", "enrol", "NOPE", "--db", url]) == 2
    assert "not known" in capsys.readouterr().err


def test_admin_create_checks_department_team_and_badge(database, clock):
    with pytest.raises(ValidationFailed) as bad:
        enrolment.create_first_admin(Caller.of(None, clock), "bad code!", " ", os_user="it")
    assert set(bad.value.problems) == {"badge", "name"}
    with pytest.raises(ValidationFailed, match="no active team T9"):
        enrolment.create_first_admin(
            Caller.of(None, clock), "Q1", "Wang Fang", team="t9", os_user="it"
        )
    made = enrolment.create_first_admin(
        Caller.of(None, clock), "Q1", "Wang Fang", department="Quality Office", os_user="it"
    )
    assert made.department_created
    with db.connection():
        assert [(d.code, d.name) for d in Department.select()] == [
            ("QUALITY-OFFICE", "Quality Office")
        ]
        assert Employee.get(Employee.badge_code == "Q1").department == "Quality Office"
    with pytest.raises(ValidationFailed, match="no department Sales. Known: Quality Office"):
        enrolment.create_first_admin(
            Caller.of(None, clock), "Q3", "Li Lei", department="Sales", force=True, os_user="it"
        )
    with pytest.raises(ValidationFailed, match="exists already"):
        enrolment.create_first_admin(
            Caller.of(None, clock), "q1", "Li Lei", force=True, os_user="it"
        )
    # the new admin enrols with the code and signs in
    start = enrolment.check_code(Caller.of(None, clock), "Q1", made.issued.code)
    assert start.min_digits == 6
    person = enrolment.enrol_pin(Caller.of(None, clock), "Q1", made.issued.code, "947261", "947261")
    assert person.role == "quality_admin"
    assert sign_in(Caller.of(None, clock), "Q1", "947261").name == "Wang Fang"


def test_the_kept_roster_locks_a_badge_after_five_wrong_pins(demo_plant, clock, tmp_path):
    box = outbox.Outbox(tmp_path / "outbox.db")
    box.remember(sign_in(Caller.of(None, clock), LEADER, DEMO_PIN), DEMO_PIN, clock.now())
    with ServerAway():
        for _ in range(auth.PIN_FAILURES_ALLOWED):
            with pytest.raises(PermissionDenied, match="Wrong PIN"):
                outbox.sign_in_or_kept(Caller.of(None, clock), box, LEADER, "0000")
        with pytest.raises(PermissionDenied, match="Too many wrong PINs for badge E1001"):
            outbox.sign_in_or_kept(Caller.of(None, clock), box, LEADER, DEMO_PIN)
        clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
        assert (
            outbox.sign_in_or_kept(Caller.of(None, clock), box, LEADER, DEMO_PIN).name
            == "Zhang Wei"
        )
