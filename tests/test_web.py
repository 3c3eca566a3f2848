"""`kiosk serve`: the supervisor board in a browser, behind a supervisor sign-in.

The server runs as a real subprocess on a free loopback port against the demo plant
(SQLite and PostgreSQL); plain HTTP checks use aiohttp, and the board itself is
opened in headless Chromium (Debian's package) driven over the DevTools protocol.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from kiosk.caller import Caller
from kiosk.clock import FrozenClock
from kiosk.errors import PermissionDenied, ValidationFailed
from kiosk.services.plant import plant
from kiosk.services.platform.web_access import (
    NOT_ACCEPTED,
    WEB_ACTION,
    SessionSigner,
    SignInThrottle,
    check_session,
    end_session,
    web_sign_in,
    web_user,
)
from models import AuditEntry, Campaign, Employee, PlantSetting
from tests.helpers.cdp import Browser
from tests.helpers.pg import free_port

pytestmark = pytest.mark.env  # needs what a newcomer may lack (see pyproject markers)

SUPERVISOR, ADMIN, LEADER, OPERATOR = "E4002", "E4001", "E1001", "E1002"
PIN = "1234"
WRONG_PIN = "864209"

# Chromium: keep every object a `this.terminal = new Terminal(...)` assignment makes, so
# the test can read the xterm.js buffer the page shows (the page draws on a canvas).
TERMINAL_HOOK = """
(() => {
  window.__qkTerminals = [];
  Object.defineProperty(Object.prototype, "terminal", {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, "terminal",
        {value, writable: true, configurable: true, enumerable: true});
      window.__qkTerminals.push(value);
    },
  });
})();
"""
READ_TERMINAL = """
(() => {
  const t = (window.__qkTerminals || []).find(x => x && x.buffer && x.buffer.active);
  if (!t) return "";
  const buffer = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = buffer.getLine(buffer.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""


# -- the server as a subprocess ---------------------------------------------------------


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_until_up(served: Served, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if served.process.poll() is not None:
            raise AssertionError(f"kiosk serve exited:\n{served.output()}")
        try:
            with urllib.request.urlopen(served.base + "/login", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"kiosk serve did not answer in time:\n{served.output()}")
        time.sleep(0.1)


def _stop(served: Served) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(served.process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        served.process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # the server and any board it started
        os.killpg(served.process.pid, signal.SIGKILL)
    served.process.wait(timeout=5)


@contextlib.contextmanager
def kiosk_serve(db_url: str, tmp_path: Path, name: str = "serve") -> Iterator[Served]:
    port = free_port()
    env = dict(os.environ)
    env.pop("QK_DATABASE_URL", None)
    env.update(
        QK_CONFIG=str(tmp_path / "no-config.toml"),
        XDG_DATA_HOME=str(tmp_path / "data"),  # the boards' log file stays in the test dir
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "serve", "--db", db_url]
            + ["--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_up(served)
        yield served
    finally:
        _stop(served)


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=20)
    )


async def _sign_in(http: aiohttp.ClientSession, base: str, badge: str, pin: str):
    return await http.post(
        base + "/login", data={"badge": badge, "pin": pin}, allow_redirects=False
    )


async def _websocket_status(
    http: aiohttp.ClientSession, base: str, headers: dict[str, str] | None = None
) -> int:
    url = base.replace("http:", "ws:") + "/ws?width=100&height=30"
    try:
        socket = await http.ws_connect(url, headers=headers or {})
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await socket.close()
    return 101


# -- over HTTP: refusals, the throttle, the cookie ----------------------------------------


async def test_serve_refuses_without_a_session_and_throttles_wrong_pins(
    demo_plant: str, tmp_path: Path
) -> None:
    with kiosk_serve(demo_plant, tmp_path) as served:
        base = served.base
        async with _client() as http:
            # Nothing is served without a session: the page sends you to the sign-in form.
            page = await http.get(base + "/", allow_redirects=False)
            assert page.status == 302 and page.headers["Location"] == "/login"
            for static in ("/static/js/textual.js", "/static/css/xterm.css"):
                assert (await http.get(base + static)).status == 401
            assert await _websocket_status(http, base) == 401
            form = await http.get(base + "/login")
            assert form.status == 200
            assert 'name="badge"' in await form.text()

            # Wrong PINs are refused, and the sixth try meets a lock (even with the right PIN).
            for _ in range(5):
                refused = await _sign_in(http, base, ADMIN, WRONG_PIN)
                assert refused.status == 401
                assert NOT_ACCEPTED in await refused.text()
                assert "Set-Cookie" not in refused.headers
            locked = await _sign_in(http, base, ADMIN, PIN)
            assert locked.status == 429
            text = await locked.text()
            assert "Too many failed sign-ins for this badge" in text
            assert WRONG_PIN not in text and PIN not in text  # the PIN is not echoed back

            # An operator badge is no way in; nor is an unknown badge.
            operator = await _sign_in(http, base, OPERATOR, "0000")
            assert operator.status == 401
            assert "Only a supervisor or above" in await operator.text()
            unknown = await _sign_in(http, base, "E9999", PIN)
            assert unknown.status == 401 and NOT_ACCEPTED in await unknown.text()

            # A forged cookie is no session.
            signer = SessionSigner(b"not the plant's key, 32 bytes ...")
            supervisor = web_user(Employee.get(Employee.badge_code == SUPERVISOR).id)
            assert supervisor is not None
            forged_token, _ = signer.issue(supervisor)
            forged = {"Cookie": f"qk_board_session={forged_token}"}
            page = await http.get(base + "/", headers=forged, allow_redirects=False)
            assert page.status == 302
            assert await _websocket_status(http, base, forged) == 401

            # The supervisor's badge and PIN give a signed, HttpOnly, SameSite=Strict cookie.
            accepted = await _sign_in(http, base, SUPERVISOR.lower(), PIN)
            assert accepted.status == 303 and accepted.headers["Location"] == "/"
            set_cookie = accepted.headers["Set-Cookie"]
            assert set_cookie.startswith("qk_board_session=v1.")
            assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
            assert "Path=/" in set_cookie
            token = set_cookie.split(";", 1)[0].split("=", 1)[1]
            cookie = {"Cookie": f"qk_board_session={token}"}

            page = await http.get(base + "/", headers=cookie, allow_redirects=False)
            assert page.status == 200
            body = await page.text()
            assert "Signed in: Liang Yu (Supervisor, E4002)" in body
            assert 'href="/logout"' in body and "js/textual.js" in body
            assert page.headers["X-Frame-Options"] == "DENY"
            assert (await http.get(base + "/static/js/textual.js", headers=cookie)).status == 200
            # A page from elsewhere may not open the websocket, even with the cookie.
            cross = {**cookie, "Origin": "http://evil.example"}
            assert await _websocket_status(http, base, cross) == 403

    audit = list(
        AuditEntry.select().where(AuditEntry.terminal == "web 127.0.0.1").order_by(AuditEntry.id)
    )
    wrong = [a for a in audit if not a.allowed and a.detail == "wrong PIN"]
    assert [a.actor.badge_code for a in wrong] == [ADMIN] * 5  # the locked try never ran
    assert any(
        a.action == WEB_ACTION and not a.allowed and a.actor.badge_code == OPERATOR for a in audit
    )
    assert any(a.target == "E9999" and not a.allowed for a in audit)
    assert [a.actor.badge_code for a in audit if a.allowed] == [SUPERVISOR]
    assert not any(WRONG_PIN in f"{a.detail} {a.target}" for a in audit)
    output = served.output()
    assert "web sign-in refused: badge E4001 from 127.0.0.1" in output
    assert WRONG_PIN not in output and "pin=" not in output.lower()


def _token_of(reply: aiohttp.ClientResponse) -> dict[str, str]:
    token = reply.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1]
    return {"Cookie": f"qk_board_session={token}"}


async def _closes(board: aiohttp.ClientWebSocketResponse, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while not board.closed and time.monotonic() < deadline:
        message = await board.receive(timeout=timeout)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return True
    return board.closed


async def test_sessions_survive_a_restart_and_sign_out_ends_them(
    demo_plant: str, tmp_path: Path
) -> None:
    async with _client() as http:
        with kiosk_serve(demo_plant, tmp_path, "first") as served:
            base = served.base
            wall = _token_of(await _sign_in(http, base, SUPERVISOR, PIN))  # a wall screen
            laptop = _token_of(await _sign_in(http, base, SUPERVISOR, PIN))
            assert (await http.get(base + "/", headers=laptop)).status == 200
            board = await http.ws_connect(
                base.replace("http:", "ws:") + "/ws?width=100&height=30", headers=laptop
            )
            first = await board.receive(timeout=20)
            assert first.type == aiohttp.WSMsgType.BINARY  # the board process is drawing
            out = await http.get(base + "/logout", headers=laptop, allow_redirects=False)
            assert out.status == 303 and out.headers["Location"] == "/login?signed_out=1"
            assert "Max-Age=0" in out.headers["Set-Cookie"]
            assert await _closes(board)  # signing out closes the boards that session had open
            await board.close()
            # The signed-out cookie, replayed, is refused; the other session is untouched.
            page = await http.get(base + "/", headers=laptop, allow_redirects=False)
            assert page.status == 302
            assert await _websocket_status(http, base, laptop) == 401
            assert (await http.get(base + "/", headers=wall)).status == 200
            signed_out = await http.get(base + "/login?signed_out=1")
            assert "Signed out." in await signed_out.text()

        with kiosk_serve(demo_plant, tmp_path, "second") as served:
            base = served.base
            page = await http.get(base + "/", headers=wall, allow_redirects=False)
            assert page.status == 200  # the key is the plant's, kept in the database
            page = await http.get(base + "/", headers=laptop, allow_redirects=False)
            assert page.status == 302  # signed out stays signed out after a restart
            assert await _websocket_status(http, base, laptop) == 401
            # An employee who is no longer active loses the board at the next request.
            Employee.update(active=False).where(Employee.badge_code == SUPERVISOR).execute()
            page = await http.get(base + "/", headers=wall, allow_redirects=False)
            assert page.status == 302 and page.headers["Location"] == "/login?ended=1"
            assert await _websocket_status(http, base, wall) == 401


# -- in a real browser --------------------------------------------------------------------


async def test_the_board_opens_in_headless_chromium(demo_plant: str, tmp_path: Path) -> None:
    campaign = Campaign.get(Campaign.active == True)  # noqa: E712 (a Peewee expression)
    with kiosk_serve(demo_plant, tmp_path) as served:
        browser = Browser(tmp_path / "chromium-profile", tmp_path / "chromium.log")
        try:
            await browser.start()
            await browser.add_init_script(TERMINAL_HOOK)
            await browser.navigate(served.base + "/")
            await browser.wait_for(
                "document.readyState === 'complete' && location.pathname === '/login' "
                "&& !!document.getElementById('badge')",
                15,
                "the sign-in form",
            )
            # Sign in through the form, as a person would.
            await browser.evaluate(
                f"document.getElementById('badge').value = '{SUPERVISOR}';"
                f"document.getElementById('pin').value = '{PIN}';"
                "document.getElementById('sign-in').click(); true"
            )
            await browser.wait_for(
                "location.pathname === '/' && !!document.getElementById('sign-out')",
                15,
                "the board page",
            )
            screen = await browser.wait_for(
                f"(() => {{ const text = {READ_TERMINAL};"
                " return (text.includes('Training coverage') || text.includes('Trained %'))"
                " && text.includes('Red-Black')"
                " && text.includes('Line 1 Team') ? text : ''; })()",
                45,
                "the board in the page's terminal",
            )
            shot = await browser.screenshot(tmp_path / "board.png")
            assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
            assert campaign.name in screen
            # the full labels on a wide terminal, the short ones below 168 columns
            assert "Training coverage %" in screen or "Trained %" in screen
            assert "Corrected on time %" in screen or "On time %" in screen
            assert "Line 1 Team (AC chargers)" in screen
            who = await browser.evaluate("document.getElementById('who').textContent")
            assert who == "Signed in: Liang Yu (Supervisor, E4002)"
            cookie_visible = await browser.evaluate("document.cookie")
            assert "qk_board_session" not in cookie_visible  # HttpOnly: not for scripts

            # Sign out: back at the form, and the board is gone.
            await browser.evaluate("document.getElementById('sign-out').click(); true")
            await browser.wait_for(
                "location.pathname === '/login' && "
                "(document.getElementById('notice') || {}).textContent === 'Signed out.'",
                15,
                "the signed-out form",
            )
            await browser.navigate(served.base + "/")
            await browser.wait_for(
                "document.readyState === 'complete' && location.pathname === '/login'",
                15,
                "the sign-in form again",
            )
        finally:
            await browser.close()
    assert "board opened for E4002 from 127.0.0.1" in served.output()


# -- the rules behind it, without a server ------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_locks_a_badge_from_one_address_for_a_rising_time() -> None:
    now = FakeTime()
    throttle = SignInThrottle(now=now)
    for _ in range(4):
        throttle.failed("E4001", "10.0.0.5")
    assert throttle.locked_for("E4001", "10.0.0.5") is None
    throttle.failed("E4001", "10.0.0.5")
    assert throttle.locked_for("E4001", "10.0.0.5") == ("badge", 60)
    # another computer is not locked out of that badge (guessing cannot be a weapon)
    assert throttle.locked_for("E4001", "10.0.0.6") is None
    assert throttle.locked_for("E4002", "10.0.0.5") is None  # another badge, same computer
    now.now += 59.5
    assert throttle.locked_for("E4001", "10.0.0.5") == ("badge", 1)
    now.now += 1
    assert throttle.locked_for("E4001", "10.0.0.5") is None
    throttle.failed("E4001", "10.0.0.5")  # a fresh count after the lock
    assert throttle.locked_for("E4001", "10.0.0.5") is None
    for _ in range(4):
        throttle.failed("E4001", "10.0.0.5")
    assert throttle.locked_for("E4001", "10.0.0.5") == ("badge", 120)  # the next lock: twice
    throttle.succeeded("E4001", "10.0.0.6")  # a success elsewhere does not clear it
    assert throttle.locked_for("E4001", "10.0.0.5") == ("badge", 120)


def test_throttle_locks_an_address_that_tries_many_badges() -> None:
    now = FakeTime()
    throttle = SignInThrottle(now=now)
    for number in range(20):
        throttle.failed(f"E{5000 + number}", "10.0.0.9")
    assert throttle.locked_for("E4002", "10.0.0.9") == ("address", 60)
    assert throttle.locked_for("E4002", "10.0.0.8") is None
    throttle.failed("E4002", "10.0.0.8")
    throttle.succeeded("E4002", "10.0.0.8")
    for _ in range(4):
        throttle.failed("E4002", "10.0.0.8")
    assert throttle.locked_for("E4002", "10.0.0.8") is None  # the success reset the count
    now.now += 901  # old failures are forgotten
    assert throttle.locked_for("E4002", "10.0.0.9") is None


def test_session_tokens_are_signed_and_expire(demo_plant: str) -> None:
    key = plant.web_session_key()
    assert len(key) == 32 and plant.web_session_key() == key  # made once, kept
    now = FakeTime()
    signer = SessionSigner(key, lifetime_seconds=600, now=now)
    supervisor = web_user(Employee.get(Employee.badge_code == SUPERVISOR).id)
    assert supervisor is not None
    token, session = signer.issue(supervisor)
    assert SessionSigner(plant.web_session_key(), now=now).read(token) == session
    prefix, payload, mac = token.split(".")
    tampered_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for bad in (
        f"{prefix}.{tampered_payload}.{mac}",
        f"{prefix}.{payload}.{mac[:-1]}",
        f"v0.{payload}.{mac}",
        "garbage",
        "",
        None,
        "x" * 5000,
    ):
        assert signer.read(bad) is None
    assert SessionSigner(b"another plant's key 0123456789", now=now).read(token) is None
    now.now += 601
    assert signer.read(token) is None

    # Signed out is kept in the database until the session would have expired.
    assert check_session(session) == supervisor
    end_session(session, now=now.now - 601)
    assert check_session(session) is None
    _, other = signer.issue(supervisor)
    end_session(other, now=now.now)  # prunes the first, which has expired by now
    revoked = PlantSetting.select().where(PlantSetting.key.startswith("web_revoked:"))
    assert [row.key for row in revoked] == [f"web_revoked:{other.session_id}"]


def test_web_sign_in_takes_supervisors_and_up_with_a_pin(
    demo_plant: str, clock: FrozenClock
) -> None:
    supervisor = web_sign_in(Caller.of(None, clock), SUPERVISOR, PIN, client="10.1.2.3")
    assert supervisor.badge_code == SUPERVISOR and supervisor.role == "supervisor"
    assert (
        web_sign_in(Caller.of(None, clock), ADMIN.lower(), PIN, client="10.1.2.3").role
        == "quality_admin"
    )
    for badge, pin in ((SUPERVISOR, WRONG_PIN), ("E9999", PIN)):
        with pytest.raises(PermissionDenied) as refused:
            web_sign_in(Caller.of(None, clock), badge, pin, client="10.1.2.3")
        assert refused.value.message == NOT_ACCEPTED  # the same words: no badge probing
    for badge in (LEADER, OPERATOR):
        with pytest.raises(PermissionDenied, match="Only a supervisor or above"):
            web_sign_in(Caller.of(None, clock), badge, PIN, client="10.1.2.3")
    refusals = AuditEntry.select().where(
        (AuditEntry.action == WEB_ACTION) & (AuditEntry.terminal == "web 10.1.2.3")
    )
    assert sorted(a.actor.badge_code for a in refusals) == [LEADER, OPERATOR]

    # A supervisor whose PIN was removed cannot open the board from a browser.
    Employee.update(pin_hash=None).where(Employee.badge_code == SUPERVISOR).execute()
    with pytest.raises(PermissionDenied, match="has no PIN yet"):
        web_sign_in(Caller.of(None, clock), SUPERVISOR, "anything", client="10.1.2.3")
    assert web_user(supervisor.id) is None

    with pytest.raises(ValidationFailed) as bad:
        web_sign_in(Caller.of(None, clock), "  ", "", client="10.1.2.3")
    assert set(bad.value.problems) == {"badge", "pin"}
    with pytest.raises(ValidationFailed):
        web_sign_in(Caller.of(None, clock), "E" * 41, PIN, client="10.1.2.3")
    with pytest.raises(ValidationFailed):
        web_sign_in(Caller.of(None, clock), SUPERVISOR, "12\x1b[34", client="10.1.2.3")
