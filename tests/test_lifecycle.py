"""The defect lifecycle and the ±2 rule, exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import Conflict, PermissionDenied, ValidationFailed
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.defects.lifecycle import RootCause
from kiosk.services.platform import auth
from kiosk.services.platform.ledger import team_totals
from kiosk.services.reports import reports
from models import AuditEntry, Defect, DefectEvent, LedgerEntry, db


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def new_defect(clock, station: str = "L1-S02", reporter: str = "E4004") -> str:
    draft = DefectDraft(station, "machine", "major", "inspection", "Loose earth screw")
    return report_defect(Caller.of(person(reporter), clock), draft).id


def points(team_code: str) -> int:
    return next(t.points for t in team_totals() if t.team_code == team_code)


def ledger_keys(defect_id: str) -> list[tuple[str, int]]:
    with db.connection():
        rows = LedgerEntry.select().where(LedgerEntry.cause_id == defect_id)
        return sorted((r.idempotency_key.split(":")[0], r.amount) for r in rows)


def test_full_lifecycle_on_time_earns_two_points_once(demo_plant, clock):
    before = points("T1")
    defect_id = new_defect(clock)
    clock.advance(timedelta(hours=3))
    detail = lifecycle.post_progress(
        Caller.of(person("E1003"), clock), defect_id, "Screw found, torque tool checked"
    )
    assert detail.status == "in_progress"
    lifecycle.post_progress(Caller.of(person("E1004"), clock), defect_id, "New screws fitted")
    detail = lifecycle.mark_fixed(
        Caller.of(person("E1004"), clock), defect_id, "All screws torqued"
    )
    assert (detail.status, detail.fixed_by) == ("fixed", "Liu Yang")
    clock.advance(timedelta(hours=10))
    detail = lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)  # a leader outside
    assert detail.status == "verified" and detail.verified_by == "Huang Qiang"
    assert points("T1") == before + 2
    with pytest.raises(Conflict, match="already verified by Huang Qiang"):
        lifecycle.verify(Caller.of(person("E3001"), clock), defect_id)
    assert points("T1") == before + 2
    assert ledger_keys(defect_id) == [("ontime", 2)]
    # the sweep later finds nothing to charge for it
    clock.advance(timedelta(days=5))
    deadlines.sweep(Caller.system(clock))
    assert ledger_keys(defect_id) == [("ontime", 2)]
    with pytest.raises(ValidationFailed) as missing:
        lifecycle.close(Caller.of(person("E1001"), clock), defect_id, RootCause(None, "", ""))
    assert set(missing.value.problems) == {"factor", "cause", "action"}
    detail = lifecycle.close(
        Caller.of(person("E1001"), clock),
        defect_id,
        RootCause("machine", "Screwdriver clutch worn", "Weekly clutch check added to TPM"),
    )
    assert detail.status == "closed" and detail.root_cause == "Screwdriver clutch worn"
    detail = lifecycle.mark_typical(Caller.of(person("E4002"), clock), defect_id)
    assert detail.typical
    whats = [line.what for line in detail.history]
    assert whats[0].startswith("reported")
    assert any("progress: New screws fitted" in w for w in whats)
    assert any(w.startswith("fixed, awaiting verification → verified") for w in whats)
    assert any("root cause (Machine): Screwdriver clutch worn" in w for w in whats)
    with db.connection():
        statuses = [
            (e.from_status, e.to_status)
            for e in DefectEvent.select()
            .where(DefectEvent.defect == defect_id)
            .order_by(DefectEvent.at, DefectEvent.id)
        ]
    with db.connection():
        audited = [
            a.action
            for a in AuditEntry.select()
            .where(AuditEntry.allowed & (AuditEntry.target == defect_id))
            .order_by(AuditEntry.id)
        ]
    # every change of the defect after its report is in the audit trail too
    assert audited == [
        "defect_in_progress",
        "defect_fixed",
        "defect_verified",
        "defect_closed",
        "defect_typical",
    ]
    assert statuses == [
        (None, "reported"),
        ("reported", "in_progress"),
        ("in_progress", "fixed"),
        ("fixed", "verified"),
        ("verified", "closed"),
        ("closed", "closed"),
    ]


def test_window_passed_costs_two_points_once_and_late_verification_earns_nothing(demo_plant, clock):
    defect_id = new_defect(clock)
    clock.advance(timedelta(hours=47, minutes=59))
    deadlines.sweep(Caller.system(clock))  # older demo defects fall due first
    assert ledger_keys(defect_id) == []
    before = points("T1")
    clock.advance(timedelta(minutes=2))
    assert deadlines.sweep(Caller.system(clock)).charged_now == 1
    assert deadlines.sweep(Caller.system(clock)).charged_now == 0
    assert ledger_keys(defect_id) == [("overdue", -2)]
    assert points("T1") == before - 2
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    detail = lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    assert detail.overdue
    assert ledger_keys(defect_id) == [("overdue", -2)]
    assert points("T1") == before - 2


def test_verification_after_window_charges_even_without_a_sweep(demo_plant, clock):
    defect_id = new_defect(clock)
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    clock.advance(timedelta(hours=49))
    lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    deadlines.sweep(Caller.system(clock))
    assert ledger_keys(defect_id) == [("overdue", -2)]


def test_ten_concurrent_sweepers_charge_each_defect_once(demo_plant, clock):
    for station in ("L1-S01", "L1-S02", "L2-S01", "L3-S04"):
        new_defect(clock, station)
    clock.advance(timedelta(days=3))
    before = {code: points(code) for code in ("T1", "T2", "T3")}
    with db.connection():
        uncharged = [
            d
            for d in Defect.select().where(Defect.due_at < clock.now())
            if (d.verified_at is None or d.verified_at > d.due_at)
            and not LedgerEntry.select()
            .where(LedgerEntry.idempotency_key == f"overdue:{d.id}")
            .exists()
        ]
        expected_loss = {code: 0 for code in before}
        for d in uncharged:
            expected_loss[d.team.code] -= 2
    assert len(uncharged) >= 4
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []
    written: list[int] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            written.append(deadlines.sweep(Caller.system(clock)).charged_now)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(written) == len(uncharged)
    for d in uncharged:
        assert ledger_keys(str(d.id)) == [("overdue", -2)]
    for code in before:
        assert points(code) == before[code] + expected_loss[code]


def test_two_concurrent_verifications_one_wins(demo_plant, clock):
    defect_id = new_defect(clock)
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    leaders = [person("E3001"), person("E2001")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(leader) -> None:
        barrier.wait(timeout=10)
        try:
            lifecycle.verify(Caller.of(leader, clock), defect_id)
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=run, args=(leader,)) for leader in leaders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "won"
    assert outcomes.count("won") == 1
    assert "already verified by" in sorted(outcomes)[0]
    assert ledger_keys(defect_id) == [("ontime", 2)]


def test_permissions_are_checked_and_refusals_audited(demo_plant, clock):
    defect_id = new_defect(clock)
    with pytest.raises(PermissionDenied, match="Only Line 1 Team"):
        lifecycle.post_progress(Caller.of(person("E2003"), clock), defect_id, "not my line")
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    with pytest.raises(PermissionDenied, match="team leader or above"):
        lifecycle.verify(Caller.of(person("E1003"), clock), defect_id)
    # a leader who fixed it cannot verify their own fix
    other = new_defect(clock, "L1-S03")
    lifecycle.mark_fixed(Caller.of(person("E1001"), clock), other)
    with pytest.raises(PermissionDenied, match="fixed this defect yourself"):
        lifecycle.verify(Caller.of(person("E1001"), clock), other)
    with pytest.raises(PermissionDenied, match="supervisor"):
        lifecycle.reassign(Caller.of(person("E1001"), clock), defect_id, "T2", "wrong line")
    with db.connection():
        refused = [
            (a.action, a.actor.badge_code)
            for a in AuditEntry.select().where(~AuditEntry.allowed).order_by(AuditEntry.id)
        ]
    assert refused == [
        ("defect_progress", "E2003"),
        ("defect_verify", "E1003"),
        ("defect_verify", "E1001"),
        ("defect_reassign", "E1001"),
    ]
    with db.connection():
        assert Defect.get_by_id(defect_id).status == "fixed"


def test_reject_returns_to_progress_and_reassign_keeps_due_time(demo_plant, clock):
    defect_id = new_defect(clock)
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    with pytest.raises(ValidationFailed):
        lifecycle.reject(Caller.of(person("E2001"), clock), defect_id, "  ")
    detail = lifecycle.reject(Caller.of(person("E2001"), clock), defect_id, "Screws still loose")
    assert detail.status == "in_progress" and detail.fixed_by is None
    assert "fix rejected: Screws still loose" in detail.history[-1].what
    due = detail.due_at
    detail = lifecycle.reassign(
        Caller.of(person("E4002"), clock), defect_id, "T5", "Fixture design issue"
    )
    assert detail.team_name == "Production Technology Team" and detail.due_at == due
    with pytest.raises(PermissionDenied):
        lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    lifecycle.mark_fixed(Caller.of(person("E5003"), clock), defect_id)
    lifecycle.verify(Caller.of(person("E1001"), clock), defect_id)
    assert points("T5") == 2


def test_red_black_list(demo_plant, clock):
    late_id = new_defect(clock, "L2-S02", "E2004")
    clock.advance(timedelta(days=3, hours=1))
    deadlines.sweep(Caller.system(clock))
    board = reports.red_black(Caller.system(clock))
    black = {d.short_id: d for d in board.overdue_defects}
    assert black[late_id[:8]].days_overdue == 1
    assert black[late_id[:8]].overdue_text == "1 d 01 h"
    assert black[late_id[:8]].team_name == "Line 2 Team (DC fast chargers)"
    late_teams = {t.team_name: (t.penalties, t.points_lost) for t in board.late_teams}
    # Line 2: the demo's late hi-pot defect, the demo's open torque defect, and the new one
    assert late_teams["Line 2 Team (DC fast chargers)"] == (3, -6)
    praised = {t.team_name: t.on_time for t in board.on_time_teams}
    assert praised == {"Line 1 Team (AC chargers)": 1, "Line 3 Team (SMT & soldering)": 1}
    # the demo's on-time fixers (+2 each) and the author of its accepted proposal (+5)
    assert [(p.name, p.points) for p in board.top_people] == [
        ("Li Na", 5),
        ("Gao Yan", 2),
        ("Liu Yang", 2),
    ]


def test_supervisor_reverses_a_ledger_row_with_a_new_row(demo_plant, clock):
    from kiosk.services.platform.ledger import reverse_entry

    defect_id = new_defect(clock)
    lifecycle.mark_fixed(Caller.of(person("E1004"), clock), defect_id)
    lifecycle.verify(Caller.of(person("E2001"), clock), defect_id)
    before = points("T1")
    with db.connection():
        entry = LedgerEntry.get(LedgerEntry.idempotency_key == f"ontime:{defect_id}")
    with pytest.raises(PermissionDenied):
        reverse_entry(Caller.of(person("E1001"), clock), entry.id, "fix was fake")
    with pytest.raises(ValidationFailed):
        reverse_entry(Caller.of(person("E4002"), clock), entry.id, " ")
    result = reverse_entry(Caller.of(person("E4002"), clock), entry.id, "fix was not real")
    assert result.written
    with pytest.raises(Conflict, match="already been reversed"):
        reverse_entry(Caller.of(person("E4002"), clock), entry.id, "again")
    with pytest.raises(Conflict, match="itself a reversal"):
        reverse_entry(Caller.of(person("E4002"), clock), result.entry_id, "undo")
    assert points("T1") == before - 2
    with db.connection():
        original = LedgerEntry.get_by_id(entry.id)
        reversal = LedgerEntry.get_by_id(result.entry_id)
        assert (original.amount, original.reverses_id) == (2, None)
        assert (reversal.amount, reversal.reverses_id) == (-2, entry.id)
        assert reversal.created_by.badge_code == "E4002"
        reversals = AuditEntry.select().where(AuditEntry.action == "ledger_reverse")
        # one refused (the team leader), one done (the supervisor), each with who did it
        assert sorted((a.allowed, a.actor.badge_code) for a in reversals) == [
            (False, "E1001"),
            (True, "E4002"),
        ]
