"""`kiosk ssh-shell`: what an OpenSSH `ForceCommand` runs for team leaders' tablets.

The SSH user gets the kiosk and nothing else:

- no terminal (``ssh -T``, scp, sftp, a command without ``-t``): one line on stderr, exit 2;
- a command the client asked for (``SSH_ORIGINAL_COMMAND``) is never run: it is logged
  and written to the audit trail, and the kiosk starts instead;
- an SSH user named in the users file (``[users] zhangwei = "E1001"``) starts at their
  own badge (a leader still gives the PIN) and may sign in only as that badge; a user
  mapped to a supervisor's or quality admin's badge may sign in as anyone (audited,
  naming both: ssh_sessions.ssh_sign_in); an SSH user not in the file gets one line
  on stderr and exit 2 (audited);
- the terminal id is ``ssh:<user>@<client ip>`` (status bar, audit trail);
- a dropped connection (SIGHUP) ends the app; if it cannot end within a few seconds the
  process exits anyway, so nothing is left running on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import logging.handlers
import os
import pwd
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kiosk.config import Settings, data_dir, load_settings
from kiosk.errors import ServiceError
from kiosk.files import log_file_handler
from kiosk.i18n import N_, _

if TYPE_CHECKING:
    from kiosk.app import KioskApp

NEEDS_TERMINAL = "ssh-shell needs a terminal: connect with ssh -t"
USERS_ENV = "QK_SSH_USERS"
DEFAULT_USERS_FILE = Path("/etc/quality-kiosk/ssh-users.toml")
HANGUP_GRACE_SECONDS = 3.0
REFUSED_NOTICE = N_(
    "This connection opens the Quality Kiosk only: the command you asked for was not run."
)
UNMAPPED_NOTICE = N_(
    "The SSH account {user} is not linked to a badge, so it cannot open the kiosk. "
    "Ask IT to add it to the SSH users file."
)
_TERMINAL_ID_LIMIT = 64  # the audit trail's terminal column
_BADGE_LIMIT = 64

log = logging.getLogger("kiosk.ssh")


# -- who is connecting ----------------------------------------------------------------


@dataclass(frozen=True)
class SshSession:
    user: str
    client_ip: str  # "" when not started by sshd (a trial run on a console)
    requested_command: str | None  # what the client asked to run: never run

    @property
    def terminal_id(self) -> str:
        return f"ssh:{self.user}@{self.client_ip or 'local'}"[:_TERMINAL_ID_LIMIT]


def login_name() -> str:
    """The account this process runs as (sshd switched to it; the client cannot fake it)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid{os.getuid()}"


def session_from_environment(environ: Mapping[str, str], user: str) -> SshSession:
    """Read sshd's SSH_CONNECTION ("client-ip client-port server-ip server-port")."""
    from kiosk.services.platform.ssh_sessions import visible  # `kiosk --help` loads no services

    fields = environ.get("SSH_CONNECTION", "").split()
    client_ip = visible(fields[0]) if fields else ""
    requested = environ.get("SSH_ORIGINAL_COMMAND")
    return SshSession(user=user, client_ip=client_ip, requested_command=requested)


# -- the users file: SSH user -> badge --------------------------------------------------


class UsersFileError(ValueError):
    """The users file cannot be read or is not `[users] name = "BADGE"`."""


def load_user_map(path: Path) -> dict[str, str]:
    """`[users]` of a TOML file: SSH login name -> badge code (normalised)."""
    from kiosk.services.platform.auth import normalise_badge
    from kiosk.services.platform.ssh_sessions import visible

    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsersFileError(f"cannot read {path}: {exc}") from exc
    users = document.get("users")
    if not isinstance(users, dict):
        raise UsersFileError(f'{path}: expected a [users] table (zhangwei = "E1001")')
    mapping: dict[str, str] = {}
    for name, badge in users.items():
        code = normalise_badge(badge) if isinstance(badge, str) else ""
        if not code or len(code) > _BADGE_LIMIT or visible(code) != code:
            raise UsersFileError(f"{path}: the badge of {name!r} must be a badge code")
        mapping[name] = code
    return mapping


def users_file(given: Path | None, environ: Mapping[str, str]) -> tuple[Path, bool]:
    """The users file and whether someone named it (a missing default file is no fault)."""
    if given is not None:
        return given, True
    if environ.get(USERS_ENV):
        return Path(environ[USERS_ENV]), True
    return DEFAULT_USERS_FILE, False


def preset_badge_for(user: str, path: Path, named: bool) -> str | None:
    """The badge the SSH user is mapped to, or None (then the session is refused)."""
    if not named and not path.exists():
        return None
    try:
        return load_user_map(path).get(user)
    except UsersFileError as exc:
        log.warning("SSH users file unreadable (every SSH account is refused): %s", exc)
        return None


# -- the command ----------------------------------------------------------------------


def add_ssh_shell_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = commands.add_parser(
        "ssh-shell",
        help="the kiosk for an OpenSSH ForceCommand (team leaders' tablets; needs ssh -t)",
    )
    add_common(parser)
    parser.add_argument(
        "--users",
        type=Path,
        metavar="FILE",
        help=f'SSH user -> badge map, TOML: [users] zhangwei = "E1001" (default: ${USERS_ENV}, '
        f"else {DEFAULT_USERS_FILE} if present)",
    )


def _is_terminal(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def _set_up_logging() -> None:
    """The kiosk log file in the user's data directory; sshd's syslog (auth) when there."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    try:
        handler = log_file_handler(data_dir() / "kiosk.log")
    except OSError:
        pass  # no writable home: the audit trail and syslog still hear of it
    else:
        root.addHandler(handler)
    if Path("/dev/log").exists():
        with contextlib.suppress(OSError):
            syslog = logging.handlers.SysLogHandler(
                "/dev/log", facility=logging.handlers.SysLogHandler.LOG_AUTH
            )
            syslog.setFormatter(logging.Formatter(f"quality-kiosk[{os.getpid()}]: %(message)s"))
            log.addHandler(syslog)


def run_ssh_shell(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: IO[Any] | None = None,
    stderr: IO[Any] | None = None,
) -> int:
    """Run the kiosk for one SSH connection; the exit status for sshd."""
    environ = os.environ if environ is None else environ
    stdin = sys.stdin if stdin is None else stdin
    from kiosk.caller import Caller
    from kiosk.services.platform import database
    from kiosk.services.platform.ssh_sessions import record_refused_command, visible

    stderr = sys.__stderr__ if stderr is None else stderr  # where Textual draws
    session = session_from_environment(environ, login_name())
    _set_up_logging()
    if session.requested_command is not None:
        log.warning(
            "SSH user %s from %s asked to run %s: not run (only the kiosk runs here)",
            session.user,
            session.client_ip or "a local console",
            visible(repr(session.requested_command)),
        )
    if not (_is_terminal(stdin) and _is_terminal(stderr)):
        log.warning("SSH user %s connected without a terminal: refused", session.user)
        print(NEEDS_TERMINAL, file=stderr or sys.stderr, flush=True)
        return 2

    settings = load_settings().with_overrides(
        database_url=getattr(args, "db", None), terminal_id=session.terminal_id
    )
    if "locked" in {f.name for f in dataclasses.fields(Settings)}:
        # Ctrl+Q ends the SSH session; it must not ask for a supervisor's PIN.
        settings = dataclasses.replace(settings, locked=False)
    database.open_current_database(settings.database_url)
    if session.requested_command is not None:
        try:
            record_refused_command(
                Caller.system(terminal=session.terminal_id),
                session.user,
                session.requested_command,
            )
        except ServiceError as exc:
            log.warning("could not audit the refused command: %s", exc.message)
    path, named = users_file(getattr(args, "users", None), environ)
    preset = preset_badge_for(session.user, path, named)
    if preset is None:
        return _refuse_unmapped(session, stderr)
    log.info(
        "SSH session of %s from %s as terminal %s%s",
        session.user,
        session.client_ip or "a local console",
        session.terminal_id,
        f", badge {preset}" if preset else "",
    )
    return _run_app(settings, session, preset)


def _refuse_unmapped(session: SshSession, stderr: IO[Any] | None) -> int:
    """An SSH account with no badge in the users file: no kiosk (audited), exit 2."""
    from kiosk.caller import Caller
    from kiosk.errors import PermissionDenied
    from kiosk.services.platform.ssh_sessions import refuse_unmapped_account

    log.warning("SSH user %s is not mapped to a badge: refused", session.user)
    try:
        refusal = refuse_unmapped_account(Caller.system(terminal=session.terminal_id), session.user)
    except ServiceError as exc:
        log.warning("could not audit the refused SSH user: %s", exc.message)
        refusal = PermissionDenied(_(UNMAPPED_NOTICE, user=session.user))
    print(refusal.message, file=stderr or sys.stderr, flush=True)
    return 2


def _run_app(settings: Settings, session: SshSession, preset: str) -> int:
    from kiosk.app import KioskApp

    class SshKioskApp(KioskApp):
        ssh_user = session.user  # screens/signin.py signs in through ssh_sessions.ssh_sign_in
        ssh_badge = preset

        def on_ready(self) -> None:
            if session.requested_command is not None:
                self.notify(_(REFUSED_NOTICE), severity="warning", timeout=15, markup=False)

    app = SshKioskApp(settings, preset_badge=preset)
    hang_up = HangUp(app)
    previous = {signum: signal.signal(signum, hang_up) for signum in HangUp.SIGNALS}
    try:
        app.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if hang_up.signum is not None:
        log.info("SSH session of %s ended: connection closed", session.user)
        return 128 + hang_up.signum
    log.info("SSH session of %s ended", session.user)
    return app.return_code or 0


class HangUp:
    """SIGHUP (the connection dropped) or SIGTERM: end the app, and the process for sure."""

    SIGNALS = (signal.SIGHUP, signal.SIGTERM)

    def __init__(self, app: KioskApp, grace_seconds: float = HANGUP_GRACE_SECONDS) -> None:
        self.app = app
        self.grace_seconds = grace_seconds
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        # Nothing that takes a lock here (a signal handler interrupts the main thread
        # anywhere): log and keep time on a thread of its own.
        threading.Thread(target=self._last_resort, name="ssh-hangup", daemon=True).start()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app is not running yet (or any more)
            raise SystemExit(128 + signum) from None
        loop.call_soon_threadsafe(self._exit_app)

    def _exit_app(self) -> None:
        self.app.exit(return_code=128 + (self.signum or 0))

    def _last_resort(self) -> None:
        name = signal.Signals(self.signum or 0).name
        log.info("%s: the SSH connection is gone, the kiosk exits", name)
        time.sleep(self.grace_seconds)
        log.warning("%s: the app did not end within %s s; exiting now", name, self.grace_seconds)
        os._exit(128 + (self.signum or 0))
