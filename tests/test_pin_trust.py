"""PINs that cannot be guessed and a lock that cannot be a weapon (issue 15, items 2, 3, 7),
on SQLite and PostgreSQL: the kept roster's lock survives a restart and its audit rows
reach the server once; a stale kept role is refused; wrong browser PINs never lock the
kiosks; a supervisor (People screen, F9) and IT (`kiosk auth unlock`) lift a lock, audited;
over SSH an account signs in only as its own badge (a supervisor's as anyone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk import cli
from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.config import command_line_user
from kiosk.errors import NotFound, PermissionDenied
from kiosk.services.platform import auth, outbox, ssh_sessions
from kiosk.services.platform.auth import sign_in
from kiosk.services.platform.web_access import NOT_ACCEPTED, web_sign_in
from models import AuditEntry, db
from screens.admin_people import PeopleScreen
from tests.helpers.app import key_help, make_app, open_menu_entry, settle, text_of
from tests.helpers.offline import ServerAway

LEADER, OPERATOR, SUPERVISOR, ADMIN = "E1001", "E1002", "E4002", "E4001"
PIN, WRONG = "1234", "0000"
SIZE = (80, 24)


def audit_rows(**where) -> list[AuditEntry]:
    with db.connection():
        query = AuditEntry.select().order_by(AuditEntry.id)
        for field, value in where.items():
            query = query.where(getattr(AuditEntry, field) == value)
        return list(query)


# -- the kept roster (offline) --------------------------------------------------------------


def test_offline_lock_survives_a_restart_and_its_audit_goes_out_once(demo_plant, clock, tmp_path):
    path = tmp_path / "outbox.db"
    box = outbox.Outbox(path)
    box.remember(sign_in(Caller.of(None, clock), LEADER, PIN), PIN, clock.now())
    started = clock.now()
    with ServerAway():
        for _ in range(3):
            with pytest.raises(PermissionDenied, match="Wrong PIN"):
                outbox.sign_in_or_kept(Caller.of(None, clock, "WS-7"), box, LEADER, WRONG)
            clock.advance(timedelta(seconds=20))
        box = outbox.Outbox(path)  # the kiosk restarts (or someone pulls its power)
        for _ in range(2):
            with pytest.raises(PermissionDenied, match="Wrong PIN"):
                outbox.sign_in_or_kept(Caller.of(None, clock, "WS-7"), box, LEADER, WRONG)
            clock.advance(timedelta(seconds=20))
        box = outbox.Outbox(path)
        with pytest.raises(PermissionDenied, match="Too many wrong PINs for badge E1001"):
            outbox.sign_in_or_kept(Caller.of(None, clock, "WS-7"), box, LEADER, PIN)
        with pytest.raises(NotFound, match="has not signed in on this kiosk"):
            outbox.sign_in_or_kept(Caller.of(None, clock, "WS-7"), box, "E7777", None)
        assert box.waiting() == 0  # nobody's entries wait: the status bar stays honest
        assert box.pending() == 7
        assert box.forward().sent == 0  # still away: nothing lost
        # ten minutes after the first wrong PIN the right one works again
        clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
        assert outbox.sign_in_or_kept(Caller.of(None, clock, "WS-7"), box, LEADER, PIN).name
    # the server is back: the rows go out in the order they happened, at their own times
    result = box.forward()
    assert (result.sent, result.refused, result.pending) == (8, 0, 0)
    assert box.forward().sent == 0
    rows = audit_rows(action=auth.OFFLINE_SIGN_IN_ACTION)
    assert [(r.target, r.allowed, r.detail.split(";")[0], r.terminal) for r in rows] == [
        *[(LEADER, False, "wrong PIN", "WS-7")] * 5,
        (LEADER, False, auth.LOCKED_DETAIL, "WS-7"),
        ("E7777", False, "badge not kept here", "WS-7"),
        (LEADER, True, f"kiosk record {rows[-1].detail.split()[-1]}", "WS-7"),
    ]
    assert rows[0].at == started and rows[0].actor.badge_code == LEADER
    assert rows[6].actor is None
    assert [r.at for r in rows] == sorted(r.at for r in rows)
    # a send whose answer was lost (sent again): still written once
    for row in rows:
        record_id = row.detail.split("kiosk record ")[1]
        written = auth.record_offline_sign_in(
            record_id,
            employee_id=row.actor.id if row.actor else None,
            badge_code=row.target,
            allowed=row.allowed,
            detail=row.detail.split("; kiosk record")[0] if ";" in row.detail else "",
            terminal=row.terminal,
            at=row.at,
        )
        assert written is False
    assert len(audit_rows(action=auth.OFFLINE_SIGN_IN_ACTION)) == 8
    # offline wrong PINs never counted toward the lock at the server
    assert sign_in(Caller.of(None, clock, "WS-7"), LEADER, PIN).name == "Zhang Wei"


def test_a_kept_role_older_than_the_setting_is_refused(demo_plant, clock, tmp_path):
    box = outbox.Outbox(tmp_path / "outbox.db", role_days=14)
    box.remember(sign_in(Caller.of(None, clock), SUPERVISOR, PIN), PIN, clock.now())
    box.remember(sign_in(Caller.of(None, clock), OPERATOR), None, clock.now())
    clock.advance(timedelta(days=14))
    with ServerAway():
        assert (
            outbox.sign_in_or_kept(Caller.of(None, clock), box, SUPERVISOR, PIN).role
            == "supervisor"
        )
        clock.advance(timedelta(days=1, seconds=1))
        for badge, pin, name in ((SUPERVISOR, PIN, "Liang Yu"), (OPERATOR, None, "Li Na")):
            with pytest.raises(PermissionDenied) as refused:
                outbox.sign_in_or_kept(Caller.of(None, clock, "WS-2"), box, badge, pin)
            assert refused.value.message == (
                f"The server cannot be reached, and {name} last signed in on this kiosk 15 "
                "days ago: a role kept longer than 14 days is not trusted. Sign in when the "
                "server is back."
            )
    box.forward()
    rows = audit_rows(action=auth.OFFLINE_SIGN_IN_ACTION)
    assert [(r.target, r.allowed, r.detail.split(";")[0]) for r in rows] == [
        (SUPERVISOR, True, rows[0].detail),
        (SUPERVISOR, False, "kept role too old"),
        (OPERATOR, False, "kept role too old"),
    ]
    # signing in at the server again renews what the kiosk keeps
    box.remember(sign_in(Caller.of(None, clock), SUPERVISOR, PIN), PIN, clock.now())
    with ServerAway():
        assert outbox.sign_in_or_kept(Caller.of(None, clock), box, SUPERVISOR, PIN).name


# -- channels: the browser cannot lock the kiosks -------------------------------------------


def test_web_brute_force_locks_that_address_in_the_browser_never_the_kiosks(demo_plant, clock):
    for _ in range(30):  # someone on the network tries PINs for a supervisor's badge
        with pytest.raises(PermissionDenied, match=NOT_ACCEPTED):
            web_sign_in(Caller.of(None, clock), SUPERVISOR, "999999", client="10.6.6.6")
    # the right PIN from that address is refused too: the browser channel is locked there
    with pytest.raises(PermissionDenied, match=NOT_ACCEPTED):
        web_sign_in(Caller.of(None, clock), SUPERVISOR, PIN, client="10.6.6.6")
    wrong = audit_rows(terminal="web 10.6.6.6", detail="wrong PIN")
    locked = audit_rows(terminal="web 10.6.6.6", detail=auth.LOCKED_DETAIL)
    assert len(wrong) == auth.PIN_FAILURES_ALLOWED and len(locked) == 26  # no more guesses
    # the supervisor still signs in at every kiosk, and from their own computer
    assert sign_in(Caller.of(None, clock, "WS-1"), SUPERVISOR, PIN).name == "Liang Yu"
    assert (
        web_sign_in(Caller.of(None, clock), SUPERVISOR, PIN, client="10.1.1.1").name == "Liang Yu"
    )
    # a rising delay: ten minutes later one more wrong PIN locks that address for twenty
    clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
    with pytest.raises(PermissionDenied, match=NOT_ACCEPTED):
        web_sign_in(Caller.of(None, clock), SUPERVISOR, "999999", client="10.6.6.6")
    clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
    with pytest.raises(PermissionDenied, match=NOT_ACCEPTED):
        web_sign_in(Caller.of(None, clock), SUPERVISOR, PIN, client="10.6.6.6")
    assert audit_rows(terminal="web 10.6.6.6")[-1].detail == auth.LOCKED_DETAIL
    clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
    assert (
        web_sign_in(Caller.of(None, clock), SUPERVISOR, PIN, client="10.6.6.6").name == "Liang Yu"
    )


def test_channels_count_apart_and_the_kiosk_lock_rises(demo_plant, clock):
    assert auth.channel_of("web 10.0.0.1") == "web"
    assert auth.channel_of("ssh:zhangwei@10.0.0.2") == "ssh"
    assert auth.channel_of("WS-L1-03") == auth.channel_of(None) == "kiosk"
    for _ in range(auth.PIN_FAILURES_ALLOWED):  # over SSH
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            sign_in(Caller.of(None, clock, "ssh:mallory@10.0.0.66"), LEADER, WRONG)
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        sign_in(Caller.of(None, clock, "ssh:zhangwei@10.0.0.2"), LEADER, PIN)
    assert sign_in(Caller.of(None, clock, "WS-1"), LEADER, PIN).name == "Zhang Wei"  # kiosks
    for _ in range(auth.PIN_FAILURES_ALLOWED):  # now at the kiosks
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            sign_in(Caller.of(None, clock, "WS-1"), LEADER, WRONG)
    clock.advance(timedelta(seconds=auth.PIN_LOCK_SECONDS))
    with pytest.raises(PermissionDenied, match="Wrong PIN"):  # the sixth: twenty minutes
        sign_in(Caller.of(None, clock, "WS-2"), LEADER, WRONG)
    clock.advance(timedelta(seconds=2 * auth.PIN_LOCK_SECONDS - 1))
    with pytest.raises(PermissionDenied, match="Try again in 1 min"):
        sign_in(Caller.of(None, clock, "WS-2"), LEADER, PIN)
    clock.advance(timedelta(seconds=1))
    assert sign_in(Caller.of(None, clock, "WS-2"), LEADER, PIN).name == "Zhang Wei"


# -- unlocking: a supervisor on the People screen, IT on the command line -------------------


def test_who_may_unlock_whom(demo_plant, clock):
    leader = sign_in(Caller.of(None, clock), LEADER, PIN)
    supervisor = sign_in(Caller.of(None, clock), SUPERVISOR, PIN)
    with pytest.raises(PermissionDenied, match="Only a supervisor or above may unlock a badge"):
        auth.unlock_pin(Caller.of(leader, clock, "WS-1"), OPERATOR)
    with pytest.raises(PermissionDenied, match="Only a quality admin may unlock the PIN"):
        auth.unlock_pin(Caller.of(supervisor, clock, "WS-1"), ADMIN)
    refused = audit_rows(action=auth.UNLOCK_REFUSAL_ACTION)
    assert [(r.actor.badge_code, r.target, r.allowed) for r in refused] == [
        (LEADER, OPERATOR, False),
        (SUPERVISOR, ADMIN, False),
    ]
    assert audit_rows(action=auth.UNLOCK_ACTION) == []


@pytest.mark.slow  # a long Pilot walk-through
async def test_a_supervisor_unlocks_a_badge_on_the_people_screen(demo_plant, clock):
    for terminal in ("WS-9", "web 10.6.6.6"):
        for _ in range(auth.PIN_FAILURES_ALLOWED):
            with pytest.raises(PermissionDenied):
                sign_in(Caller.of(None, clock, terminal), LEADER, WRONG)
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        sign_in(Caller.of(None, clock, "WS-9"), LEADER, PIN)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        from tests.helpers.app import sign_in as sign_in_on_screen

        await sign_in_on_screen(pilot, SUPERVISOR, pin=PIN)
        await open_menu_entry(pilot, app, 0)
        assert isinstance(app.screen, PeopleScreen)
        assert "Unlock PIN" in key_help(app)
        await pilot.press(*LEADER)
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        message = text_of(app, "#message")
        assert "E1001 Zhang Wei: PIN unlocked" in message
        assert "kiosks, browser (10.6.6.6)" in message
        assert app.screen.query_one("#message").region.bottom <= SIZE[1]  # visible at 80x24
    [row] = audit_rows(action=auth.UNLOCK_ACTION)
    assert (row.actor.badge_code, row.target, row.allowed, row.terminal) == (
        SUPERVISOR,
        LEADER,
        True,
        "TEST-1",
    )
    assert row.detail == "was locked on: kiosks, browser (10.6.6.6)"
    assert sign_in(Caller.of(None, clock, "WS-9"), LEADER, PIN).name == "Zhang Wei"
    assert web_sign_in(
        Caller.of(None, clock), SUPERVISOR, PIN, client="10.6.6.6"
    )  # another badge: fine


def test_it_unlocks_a_badge_from_the_command_line(demo_plant, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-such-config.toml"))
    now = FrozenClock(datetime.now(UTC))  # the command uses the real clock
    for _ in range(auth.PIN_FAILURES_ALLOWED):
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            sign_in(Caller.of(None, now, "WS-3"), LEADER, WRONG)
    with pytest.raises(PermissionDenied, match="Too many wrong PINs"):
        sign_in(Caller.of(None, now, "WS-3"), LEADER, PIN)
    assert cli.main(["auth", "unlock", "e1001", "--db", demo_plant]) == 0
    out = capsys.readouterr().out
    assert "Badge E1001 (Zhang Wei) unlocked; it was locked on: kiosks." in out
    [row] = audit_rows(action=auth.UNLOCK_ACTION)
    assert (row.actor, row.target, row.terminal) == (None, LEADER, "cli")
    assert row.detail == f"was locked on: kiosks; by OS user {command_line_user()}"
    now.advance(timedelta(seconds=1))
    assert sign_in(Caller.of(None, now, "WS-3"), LEADER, PIN).name == "Zhang Wei"
    assert cli.main(["auth", "unlock", "E7777", "--db", demo_plant]) != 0
    assert "Badge E7777 is not known" in capsys.readouterr().err


# -- SSH: an account signs in as its own badge --------------------------------------------


def test_ssh_accounts_sign_in_only_as_their_badge(demo_plant, clock, tmp_path):
    box = outbox.Outbox(tmp_path / "outbox.db")
    terminal = "ssh:zhangwei@10.0.0.2"
    # a leader's account: their own badge, never another (refused before any PIN)
    assert (
        ssh_sessions.check_ssh_badge(
            Caller.of(None, terminal=terminal), "zhangwei", LEADER, "e1001"
        )
        is None
    )
    for other in (OPERATOR, SUPERVISOR):
        with pytest.raises(PermissionDenied, match=r"only with your own badge \(E1001\)"):
            ssh_sessions.ssh_sign_in(
                Caller.of(None, clock, terminal), box, "zhangwei", LEADER, other, PIN
            )
    with pytest.raises(PermissionDenied, match="not linked to a badge"):
        ssh_sessions.ssh_sign_in(Caller.of(None, clock, terminal), box, "mallory", None, OPERATOR)
    refused = audit_rows(action=ssh_sessions.SSH_SIGN_IN_ACTION)
    assert [(r.actor and r.actor.badge_code, r.target, r.allowed, r.detail) for r in refused] == [
        (
            LEADER,
            OPERATOR,
            False,
            "SSH user zhangwei: badge E1001 may sign in only as E1001, not as E1002",
        ),
        (
            LEADER,
            SUPERVISOR,
            False,
            "SSH user zhangwei: badge E1001 may sign in only as E1001, not as E4002",
        ),
        (None, "", False, "SSH user mallory: not mapped to a badge"),
    ]
    assert audit_rows(action="sign_in", allowed=False) == []  # no PIN was even tried
    # a supervisor's account may sign in as anyone: audited, naming both
    as_other = ssh_sessions.ssh_sign_in(
        Caller.of(None, clock, "ssh:chenjie@10.0.0.3"), box, "chenjie", SUPERVISOR, LEADER, PIN
    )
    assert as_other.name == "Zhang Wei"
    [row] = audit_rows(action=ssh_sessions.SSH_SIGN_IN_AS_ACTION)
    assert (row.actor.badge_code, row.target, row.allowed, row.terminal) == (
        SUPERVISOR,
        LEADER,
        True,
        "ssh:chenjie@10.0.0.3",
    )
    assert row.detail == (
        "SSH user chenjie (badge E4002, Supervisor Liang Yu) signed in as E1001 (Zhang Wei)"
    )
    own = ssh_sessions.ssh_sign_in(
        Caller.of(None, clock, terminal), box, "zhangwei", LEADER, LEADER, PIN
    )
    assert own.name == "Zhang Wei"
    assert len(audit_rows(action=ssh_sessions.SSH_SIGN_IN_AS_ACTION)) == 1


async def test_over_ssh_a_leader_typing_another_badge_is_told_no(demo_plant, clock):
    from kiosk.app import KioskApp
    from kiosk.config import Settings
    from screens.signin import SignInScreen

    class SshApp(KioskApp):  # as `kiosk ssh-shell` starts it for the account zhangwei
        ssh_user = "zhangwei"
        ssh_badge = LEADER

    settings = Settings(database_url=demo_plant, terminal_id="ssh:zhangwei@10.0.0.2")
    app = SshApp(settings, clock=clock, preset_badge=LEADER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#prompt") == "Zhang Wei: enter your PIN."
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press(*SUPERVISOR, "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "Over SSH you sign in only with your own badge (E1001)" in text_of(app, "#message")
        assert app.screen.query_one("#message").region.bottom <= SIZE[1]
        await pilot.press(*LEADER, "enter")
        await settle(pilot)
        await pilot.press(*PIN, "enter")
        await settle(pilot)
        assert not isinstance(app.screen, SignInScreen)  # their own badge: signed in
    [refused] = audit_rows(action=ssh_sessions.SSH_SIGN_IN_ACTION)
    assert (refused.actor.badge_code, refused.target, refused.terminal) == (
        LEADER,
        SUPERVISOR,
        "ssh:zhangwei@10.0.0.2",
    )


async def test_the_kiosk_forwards_an_offline_sign_in_by_itself(demo_plant, clock):
    from screens.station import StationScreen
    from tests.helpers.app import sign_in as sign_in_on_screen

    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in_on_screen(pilot, OPERATOR)  # online: the badge is remembered here
        await pilot.press("f10")
        await settle(pilot)
        with ServerAway():
            await sign_in_on_screen(pilot, OPERATOR)
            assert isinstance(app.screen, StationScreen)  # from the kept roster
            assert app.outbox_pending and "waiting" not in app.status_line()
            app.forward_outbox()
            await settle(pilot)
            assert app.outbox_pending  # the server is still away: kept
        app.forward_outbox()
        await settle(pilot)
        assert not app.outbox_pending
    [row] = audit_rows(action=auth.OFFLINE_SIGN_IN_ACTION)
    assert (row.actor.badge_code, row.allowed, row.terminal) == (OPERATOR, True, "TEST-1")


def test_the_offline_role_days_setting(tmp_path):
    from kiosk.config import ConfigError, load_settings

    missing = str(tmp_path / "none.toml")
    assert load_settings(environ={"QK_CONFIG": missing}).offline_role_days == 14
    given = {"QK_CONFIG": missing, "QK_OFFLINE_ROLE_DAYS": "30"}
    assert load_settings(environ=given).offline_role_days == 30
    config = tmp_path / "kiosk.toml"
    config.write_text("[kiosk]\noffline_role_days = 7\n")
    assert load_settings(environ={"QK_CONFIG": str(config)}).offline_role_days == 7
    for wrong in ("0", "366", "two weeks"):
        with pytest.raises(ConfigError, match="offline_role_days"):
            load_settings(environ={"QK_CONFIG": missing, "QK_OFFLINE_ROLE_DAYS": wrong})
