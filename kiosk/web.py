"""`kiosk serve`: the supervisor board in a browser, through textual-serve, behind a sign-in.

textual-serve starts one `kiosk board` process per browser tab and streams it over a
websocket; it has no authentication of its own. `BoardServer` wraps it: every path
(the page, its static files, the websocket) needs a session cookie that `/login`
issues to a supervisor or above (badge + PIN). The cookie is signed with the plant's
web session key from the database, HttpOnly and SameSite=Strict; failed sign-ins are
throttled per badge and client address and per address, in memory, with a rising
lock (and counted per address in the audit trail, apart from the kiosks' count: see
auth.channel_of). PINs are never logged.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler
from textual_serve.server import Server

from kiosk.caller import Caller
from kiosk.config import Settings
from kiosk.errors import PermissionDenied, ServiceError, ValidationFailed
from kiosk.services.plant import plant
from kiosk.services.platform.auth import EmployeeView
from kiosk.services.platform.text import clean_text
from kiosk.services.platform.web_access import (
    MAX_BADGE_LENGTH,
    SessionSigner,
    SignInThrottle,
    WebSession,
    check_credentials,
    check_session,
    end_session,
    web_sign_in,
)

log = logging.getLogger("kiosk.web")

COOKIE = "qk_board_session"
MAX_OPEN_BOARDS = 16  # each open tab runs one board process
TITLE = "Quality Kiosk · supervisor board"


class PublicUrlError(ValueError):
    pass


def check_public_url(url: str) -> str:
    """`http(s)://host[:port][/path]` without a trailing slash, or PublicUrlError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublicUrlError(f"--public-url must look like https://board.plant.lan, not {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise PublicUrlError("--public-url takes no query, fragment, user or password")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def board_command() -> str:
    """The command textual-serve starts for each browser tab: the read-only board.

    The database URL reaches it through QK_DATABASE_URL (never on a command line).
    """
    return shlex.join([sys.executable, "-m", "kiosk.cli", "board"])


class BoardServer(Server):
    """textual-serve's server with a sign-in in front of everything it serves."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        signer: SessionSigner,
        throttle: SignInThrottle,
        public_url: str | None = None,
        sign_in: Callable[..., EmployeeView] = web_sign_in,
        check_session: Callable[[WebSession], EmployeeView | None] = check_session,
        end_session: Callable[[WebSession], None] = end_session,
        max_open_boards: int = MAX_OPEN_BOARDS,
    ) -> None:
        super().__init__(command, host=host, port=port, title=TITLE, public_url=public_url)
        self.explicit_public_url = public_url
        self.prefix = urlsplit(public_url).path.rstrip("/") if public_url else ""
        self.secure_cookie = bool(public_url and public_url.startswith("https://"))
        self.signer = signer
        self.throttle = throttle
        self.sign_in = sign_in
        self.check_session = check_session
        self.end_session = end_session
        self.max_open_boards = max_open_boards
        self._revoked: dict[str, float] = {}  # session id -> expiry (sign-out)
        self._open: dict[str, set[asyncio.Task[Any]]] = {}  # session id -> websocket tasks

    # -- the aiohttp application ----------------------------------------------------

    def initialize_logging(self) -> None:
        # Plain lines, and no tracebacks with local variables (a PIN must never be logged).
        logging.basicConfig(
            level=logging.DEBUG if self.debug else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )

    async def _make_app(self) -> web.Application:
        @web.middleware
        async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._guard(request, handler)

        app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws", self.handle_websocket, name="websocket"),
                web.get("/login", self.handle_login_form, name="login"),
                web.post("/login", self.handle_login),
                web.get("/logout", self.handle_logout, name="logout"),
                web.static("/static", self.statics_path, name="static"),
            ]
        )
        app.on_response_prepare.append(self._security_headers)
        app.on_shutdown.append(self.on_shutdown)
        return app

    def serve(self, debug: bool = False) -> None:
        """Like textual-serve's, but says where it serves only once it listens."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, self.request_exit)
        where = self.explicit_public_url or f"http://{self.host}:{self.port}"

        def listening(*_: object) -> None:
            print(f"Serving the supervisor board on {where} (sign in at {where}/login).")
            print("Press Ctrl+C to stop.", flush=True)

        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=listening,
            shutdown_timeout=5,
        )

    async def on_shutdown(self, app: web.Application) -> None:
        for tasks in list(self._open.values()):
            for task in list(tasks):
                task.cancel()

    def url(self, path: str) -> str:
        return f"{self.prefix}{path}"

    # -- sessions ---------------------------------------------------------------------

    def session_of(self, request: web.Request) -> WebSession | None:
        session = self.signer.read(request.cookies.get(COOKIE))
        if session is None or session.session_id in self._revoked:
            return None
        return session

    def revoke(self, session: WebSession) -> None:
        now = time.time()
        for session_id, expires in list(self._revoked.items()):
            if expires <= now:
                del self._revoked[session_id]
        self._revoked[session.session_id] = session.expires_at
        for task in list(self._open.get(session.session_id, ())):
            task.cancel()  # close the boards this session has open

    def _set_cookie(self, response: web.StreamResponse, token: str, max_age: int) -> None:
        response.set_cookie(
            COOKIE,
            token,
            max_age=max_age,
            path=self.prefix or "/",
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
        )

    def _same_origin(self, request: web.Request) -> bool:
        """Browsers send Origin on websockets and form posts: it must be this server."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser; the cookie is still required
        allowed = {f"{request.scheme}://{request.host}"}
        if self.explicit_public_url:
            public = urlsplit(self.explicit_public_url)
            allowed.add(f"{public.scheme}://{public.netloc}")
        return origin in allowed

    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in ("/login", "/logout"):
            return await handler(request)
        session = self.session_of(request)
        if session is None:
            if request.path == "/":
                raise web.HTTPFound(self.url("/login"))
            return web.Response(status=401, text="Sign in first.\n")
        if request.path in ("/", "/ws"):
            if request.path == "/ws" and not self._same_origin(request):
                return web.Response(status=403, text="Wrong origin.\n")
            try:
                user = await asyncio.to_thread(self.check_session, session)
            except ServiceError as exc:
                return web.Response(status=503, text=exc.message + "\n")
            if user is None:  # signed out, or left, deactivated, demoted, PIN removed
                self.revoke(session)
                if request.path == "/":
                    response = web.HTTPFound(self.url("/login?ended=1"))
                    self._set_cookie(response, "", 0)
                    raise response
                return web.Response(status=403, text="This sign-in is no longer valid.\n")
        request["web_session"] = session
        return await handler(request)

    async def _security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.content_type == "text/html":
            response.headers["Cache-Control"] = "no-store"
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'; "
                "base-uri 'none'"
            )

    # -- pages ------------------------------------------------------------------------

    async def handle_index(self, request: web.Request) -> web.Response:
        session: WebSession = request["web_session"]
        try:
            font_size = min(40, max(8, int(request.query.get("fontsize", "16"))))
        except ValueError:
            font_size = 16
        base = self.explicit_public_url or f"{request.scheme}://{request.host}"
        websocket_url = ("wss:" if base.startswith("https:") else "ws:") + base.split(":", 1)[1]
        return web.Response(
            text=board_page(
                static=self.url("/static"),
                websocket_url=websocket_url + "/ws",
                font_size=font_size,
                who=f"{session.name} ({session.role_title}, {session.badge_code})",
                sign_out=self.url("/logout"),
            ),
            content_type="text/html",
        )

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        session: WebSession = request["web_session"]
        if sum(len(tasks) for tasks in self._open.values()) >= self.max_open_boards:
            raise web.HTTPServiceUnavailable(text="Too many boards are open. Close one first.\n")
        task = asyncio.current_task()
        assert task is not None
        tasks = self._open.setdefault(session.session_id, set())
        tasks.add(task)
        # The board closes when the session runs out, even on a wall screen left open.
        timer = asyncio.get_running_loop().call_later(
            max(0.0, session.expires_at - time.time()), task.cancel
        )
        log.info("board opened for %s from %s", session.badge_code, request.remote)
        try:
            return await super().handle_websocket(request)
        finally:
            timer.cancel()
            tasks.discard(task)
            if not tasks:
                self._open.pop(session.session_id, None)
            log.info("board closed for %s", session.badge_code)

    async def handle_login_form(self, request: web.Request) -> web.Response:
        if self.session_of(request) is not None:
            raise web.HTTPFound(self.url("/"))
        notice = ""
        if "signed_out" in request.query:
            notice = "Signed out."
        elif "ended" in request.query:
            notice = "That sign-in is no longer valid. Sign in again."
        return self._login_page(notice=notice)

    async def handle_login(self, request: web.Request) -> web.Response:
        if not self._same_origin(request):
            return web.Response(status=403, text="Wrong origin.\n")
        form = await request.post()
        badge_typed = form.get("badge")
        pin = form.get("pin")
        badge_typed = badge_typed if isinstance(badge_typed, str) else ""
        pin = pin if isinstance(pin, str) else ""
        client = request.remote or "unknown"
        try:
            badge, pin = check_credentials(badge_typed, pin)
        except ValidationFailed as exc:
            return self._login_page(
                badge=badge_typed, error=" ".join(exc.problems.values()), status=400
            )
        locked = self.throttle.locked_for(badge, client)
        if locked is not None:
            kind, seconds = locked
            what = "for this badge from this computer" if kind == "badge" else "from this computer"
            log.warning("web sign-in locked %s: badge %s from %s", what, badge, client)
            return self._login_page(
                badge=badge,
                error=f"Too many failed sign-ins {what}. Try again in {seconds} s.",
                status=429,
            )
        try:
            employee = await asyncio.to_thread(
                self.sign_in, Caller.system(), badge, pin, client=client
            )
        except PermissionDenied as exc:
            self.throttle.failed(badge, client)
            log.warning("web sign-in refused: badge %s from %s", badge, client)
            return self._login_page(badge=badge, error=exc.message, status=401)
        except ServiceError as exc:  # the database is away: not the person's fault
            return self._login_page(badge=badge, error=exc.message, status=503)
        self.throttle.succeeded(badge, client)
        token, session = self.signer.issue(employee)
        log.info("web sign-in: %s (%s) from %s", employee.badge_code, employee.role, client)
        response = web.HTTPSeeOther(self.url("/"))
        self._set_cookie(response, token, self.signer.lifetime_seconds)
        raise response

    async def handle_logout(self, request: web.Request) -> web.Response:
        session = self.session_of(request)
        if session is not None:
            self.revoke(session)
            try:  # in the database too, so a copied cookie stays dead after a restart
                await asyncio.to_thread(self.end_session, session)
            except ServiceError as exc:
                log.warning("sign-out of %s kept in memory only: %s", session.badge_code, exc)
            log.info("web sign-out: %s", session.badge_code)
        response = web.HTTPSeeOther(self.url("/login?signed_out=1"))
        self._set_cookie(response, "", 0)
        raise response

    def _login_page(
        self, *, badge: str = "", error: str = "", notice: str = "", status: int = 200
    ) -> web.Response:
        return web.Response(
            text=login_page(
                action=self.url("/login"),
                badge=clean_text(badge)[:MAX_BADGE_LENGTH],
                error=error,
                notice=notice,
            ),
            content_type="text/html",
            status=status,
        )


# -- HTML (every value escaped) ---------------------------------------------------------

_STYLE = """
  html, body { margin: 0; background: #0c181f; color: #e8eef2;
               font-family: "DejaVu Sans", system-ui, sans-serif; }
  main { max-width: 420px; margin: 12vh auto; padding: 28px 32px; background: #12232d;
         border-top: 4px solid #c62828; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  p.sub { margin: 0 0 20px; color: #9fb3bf; }
  label { display: block; margin: 14px 0 4px; }
  input { width: 100%; box-sizing: border-box; padding: 8px; font-size: 18px;
          background: #0c181f; color: #fff; border: 1px solid #476373; }
  button { margin-top: 20px; padding: 10px 24px; font-size: 16px; background: #c62828;
           color: #fff; border: 0; cursor: pointer; }
  .error { background: #5c1a1a; padding: 8px 10px; margin-bottom: 8px; }
  .notice { background: #1d4020; padding: 8px 10px; margin-bottom: 8px; }
"""


def login_page(*, action: str, badge: str, error: str = "", notice: str = "") -> str:
    e = html.escape
    message = ""
    if error:
        message = f'<div class="error" id="error" role="alert">{e(error)}</div>'
    elif notice:
        message = f'<div class="notice" id="notice">{e(notice)}</div>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · {e(TITLE)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
  <h1>{e(TITLE)}</h1>
  <p class="sub">Supervisors and quality admins: sign in with your badge and PIN.</p>
  {message}
  <form method="post" action="{e(action)}" autocomplete="off">
    <label for="badge">Badge</label>
    <input id="badge" name="badge" value="{e(badge)}" maxlength="{MAX_BADGE_LENGTH}"
           autocapitalize="characters" spellcheck="false" required{"" if badge else " autofocus"}>
    <label for="pin">PIN</label>
    <input id="pin" name="pin" type="password" inputmode="numeric" maxlength="32"
           required{" autofocus" if badge else ""}>
    <button type="submit" id="sign-in">Sign in</button>
  </form>
</main>
</body>
</html>
"""


def board_page(*, static: str, websocket_url: str, font_size: int, who: str, sign_out: str) -> str:
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(TITLE)}</title>
<link rel="stylesheet" href="{e(static)}/css/xterm.css">
<style>
  @font-face {{ font-family: "Roboto Mono"; font-style: normal; font-weight: 100 700;
               src: url("{e(static)}/fonts/RobotoMono-VariableFont_wght.ttf"); }}
  @font-face {{ font-family: "Roboto Mono"; font-style: italic; font-weight: 100 700;
               src: url("{e(static)}/fonts/RobotoMono-Italic-VariableFont_wght.ttf"); }}
  html, body {{ margin: 0; padding: 0; background: #0c181f; overflow: hidden; }}
  #bar {{ height: 28px; display: flex; align-items: center; gap: 18px; padding: 0 12px;
          font: 14px "DejaVu Sans", system-ui, sans-serif; color: #e8eef2;
          background: #12232d; }}
  #bar a {{ color: #9fd3ff; }}
  #bar .who {{ flex: 1; color: #9fb3bf; }}
  #ended {{ display: none; color: #ffb4a8; }}
  body.-closed #ended {{ display: inline; }}
  #terminal.textual-terminal {{ width: 100vw; height: calc(100vh - 28px); }}
</style>
<script src="{e(static)}/js/textual.js"></script>
</head>
<body>
<div id="bar">
  <strong>{e(TITLE)}</strong>
  <span class="who" id="who">Signed in: {e(who)}</span>
  <span id="ended">The board has closed. <a href="">Open it again</a></span>
  <a id="sign-out" href="{e(sign_out)}">Sign out</a>
</div>
<div id="terminal" class="textual-terminal"
     data-session-websocket-url="{e(websocket_url)}" data-font-size="{font_size}"></div>
</body>
</html>
"""


# -- `kiosk serve` -----------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, *, host: str, port: int, public_url: str | None) -> int:
    """Run the board web server until Ctrl+C or SIGTERM (the database is already open)."""
    if not 0 < port < 65536:
        print(f"kiosk: --port must be 1-65535, not {port}.", file=sys.stderr)
        return 2
    try:
        public_url = check_public_url(public_url) if public_url else None
    except PublicUrlError as exc:
        print(f"kiosk: {exc}.", file=sys.stderr)
        return 2
    signer = SessionSigner(plant.web_session_key())
    # Each browser tab's board process inherits these (the URL may hold a password).
    os.environ["QK_DATABASE_URL"] = settings.database_url
    os.environ.setdefault("QK_TERMINAL_ID", "web board")
    if not _is_loopback(host) and not (public_url or "").startswith("https://"):
        print(
            "kiosk: note: this serves plain HTTP; put a reverse proxy with TLS in front "
            "(see the README) and pass --public-url https://...",
            file=sys.stderr,
        )
    server = BoardServer(
        board_command(),
        host=host,
        port=port,
        public_url=public_url,
        signer=signer,
        throttle=SignInThrottle(),
    )
    try:
        server.serve()
    except OSError as exc:
        print(f"kiosk: cannot serve on {host}:{port}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    return 0
