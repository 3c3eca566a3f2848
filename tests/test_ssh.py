"""`kiosk ssh-shell` behind a real OpenSSH sshd, on SQLite and PostgreSQL.

The sshd runs as a child process (`sshd -D -e -f CONFIG`) on a free loopback port with a
throwaway host key, a client key and the README's `Match` block (group and paths swapped
for the test's). As root the sessions run as a dedicated system user, `qk-ssh-test`
(created once with useradd if missing, never root: root logins stay refused); as
anyone else, as the current user. A client (`ssh -tt`) is driven through a
pseudo-terminal and the test reads what the kiosk draws.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.config import Settings
from kiosk.services.platform.ssh_sessions import REFUSED_COMMAND_ACTION, SSH_SIGN_IN_ACTION
from kiosk.ssh_shell import (
    NEEDS_TERMINAL,
    SshSession,
    UsersFileError,
    load_user_map,
    session_from_environment,
)
from models import AuditEntry, db
from screens.signin import SignInScreen
from screens.station import StationScreen
from tests.helpers.app import settle, text_of
from tests.helpers.pg import free_port

pytestmark = pytest.mark.env  # needs what a newcomer may lack (see pyproject markers)

ROOT = Path(__file__).resolve().parents[1]
KIOSK = Path(sys.executable).parent / "kiosk"  # the venv's console script
ROWS, COLUMNS = 34, 110
SCREEN_TIMEOUT = 25.0


# -- the pieces: a user, the README's Match block, sshd ----------------------------------


def session_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def readme_match_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Team leaders over SSH", 1)[1]
    found = re.search(r"```sshd_config\n(.*?)```", section, re.DOTALL)
    assert found, "README: the sshd_config block of 'Team leaders over SSH' is missing"
    return found.group(1)


def swap(text: str, old: str, new: str) -> str:
    assert old in text, f"README's Match block no longer has {old!r}"
    return text.replace(old, new)


@dataclass
class Sshd:
    directory: Path
    port: int
    user: str
    process: subprocess.Popen

    @property
    def config_file(self) -> Path:
        return self.directory / "kiosk.toml"

    @property
    def users_file(self) -> Path:
        return self.directory / "ssh-users.toml"

    @property
    def kiosk_log(self) -> Path:
        return self.directory / "data" / "quality-kiosk" / "kiosk.log"

    def serve(self, database_url: str, users: dict[str, str] | None = None) -> None:
        """What the next sessions use: the kiosk's settings file and the users file."""
        self.config_file.write_text(f'[kiosk]\ndatabase_url = "{database_url}"\n')
        self.users_file.unlink(missing_ok=True)
        if users is not None:
            lines = "".join(f'"{name}" = "{badge}"\n' for name, badge in users.items())
            self.users_file.write_text("[users]\n" + lines)
        for path in (self.config_file, self.users_file):
            if path.exists():
                path.chmod(0o644)

    def ssh(self, *options: str, command: Sequence[str] = ()) -> list[str]:
        return [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(self.directory / "client_key"),
            "-p",
            str(self.port),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=10",
            *options,
            f"{self.user}@127.0.0.1",
            *command,
        ]

    def log(self) -> str:
        return (self.directory / "sshd.log").read_text(errors="replace")


def sshd_binary() -> str:
    found = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(found) or not shutil.which("ssh"):
        pytest.fail(
            "sshd or ssh not found: apt-get install -y openssh-server openssh-client "
            "(.ci/run installs them)"
        )
    return found


def run_quiet(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


def kiosk_processes(sshd: Sshd) -> list[int]:
    """Process ids of the kiosks this sshd started (their environment names its settings)."""
    marker = f"QK_CONFIG={sshd.config_file}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
        if marker in environment and b"ssh-shell" in arguments:
            found.append(int(entry.name))
    return found


def wait_until_gone(sshd: Sshd, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := kiosk_processes(sshd)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="module")
def sshd() -> Iterator[Sshd]:
    binary = sshd_binary()
    user = session_user()
    directory = Path(tempfile.mkdtemp(prefix="qk-sshd-"))
    directory.chmod(0o755)  # the session user reads its authorized keys and settings here
    process: subprocess.Popen | None = None
    server: Sshd | None = None
    try:
        run_quiet("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / "host"))
        run_quiet(
            "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(directory / "client_key")
        )
        shutil.copy(directory / "client_key.pub", directory / "authorized_keys")
        (directory / "authorized_keys").chmod(0o644)
        data = directory / "data"
        if os.geteuid() == 0:  # sshd's privilege separation directory (made at boot on a host)
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        match = readme_match_block()
        match = swap(match, "Match Group kiosk", f"Match User {user}")
        match = swap(match, "/opt/quality-kiosk/.venv/bin/kiosk", str(KIOSK))
        match = swap(match, "SetEnv ", f"SetEnv XDG_DATA_HOME={data} ")
        match = swap(match, "/etc/quality-kiosk/kiosk.toml", str(directory / "kiosk.toml"))
        match = swap(match, "/etc/quality-kiosk/ssh-users.toml", str(directory / "ssh-users.toml"))
        port = free_port()
        config = directory / "sshd_config"
        config.write_text(
            f"Port {port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {directory / 'host'}\n"
            f"PidFile {directory / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {directory / 'authorized_keys'}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            f"PermitRootLogin {'prohibit-password' if user == 'root' else 'no'}\n"
            "LogLevel VERBOSE\n" + match
        )
        checked = subprocess.run([binary, "-t", "-f", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0, f"sshd -t refused the config:\n{checked.stderr}"
        with open(directory / "sshd.log", "wb") as log:
            process = subprocess.Popen(
                [binary, "-D", "-e", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            assert process.poll() is None, "sshd ended:\n" + (directory / "sshd.log").read_text()
            assert time.monotonic() < deadline, "sshd does not listen"
            time.sleep(0.05)
        server = Sshd(directory, port, user, process)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if server is not None:  # a kiosk our sessions left behind, by process id
            for pid in kiosk_processes(server):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


# -- a terminal on the client side ----------------------------------------------------

_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)"
)


class Terminal:
    """`ssh -tt ...` on a pseudo-terminal of ROWS x COLUMNS; reads what it draws."""

    def __init__(self, command: list[str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        environment = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.output = bytearray()
        self.mark = 0

    def text(self, since: int = 0) -> str:
        return _ESCAPES.sub("", self.output[since:].decode("utf-8", errors="replace"))

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the client ended: the slave side is closed
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, wanted: str, timeout: float = SCREEN_TIMEOUT) -> str:
        """Read until `wanted` appears in what was drawn since the last wait."""
        deadline = time.monotonic() + timeout
        while wanted not in self.text(self.mark):
            open_ = self._read(min(0.2, max(0.0, deadline - time.monotonic())))
            if time.monotonic() > deadline or not open_:
                if wanted in self.text(self.mark):
                    break
                raise AssertionError(
                    f"{wanted!r} did not appear; the screen showed:\n{self.text()[-3000:]}"
                )
        seen = self.text(self.mark)
        self.mark = len(self.output)
        return seen

    def type(self, keys: str, pause: float = 0.0) -> None:
        for key in keys:
            os.write(self.master, key.encode())
            if pause:
                time.sleep(pause)

    def wait_exit(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.process.wait(max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        with contextlib.suppress(OSError):
            os.close(self.master)


@contextlib.contextmanager
def connect(sshd: Sshd, *command: str) -> Iterator[Terminal]:
    terminal = Terminal(sshd.ssh("-tt", command=command))
    try:
        yield terminal
    finally:
        terminal.close()


def audit(action: str) -> list[AuditEntry]:
    with db.connection():
        return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


# -- over a real sshd -------------------------------------------------------------------


def test_without_a_terminal_the_asked_command_is_not_run(sshd):
    sshd.serve("sqlite:////nonexistent/never-opened.db")  # refused before any database
    for asked in (["/bin/sh", "-c", "'echo pwned'"], ["echo pwned; cat /etc/passwd"], []):
        result = subprocess.run(
            sshd.ssh("-T", command=asked),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
        said = result.stdout + result.stderr
        assert result.returncode == 2, said + sshd.log()
        assert NEEDS_TERMINAL in result.stderr
        assert "pwned" not in said and "root:" not in said
    assert not kiosk_processes(sshd)
    assert "echo pwned" in sshd.kiosk_log.read_text()  # the refused command is logged


def test_mapped_operator_over_ssh_asked_command_refused_and_ctrl_q_ends(sshd, demo_plant):
    sshd.serve(demo_plant, users={sshd.user: "E1002"})  # an operator: no PIN
    with connect(sshd, "echo pwned") as terminal:
        screen = terminal.wait_for("Li Na")
        screen += terminal.wait_for("opens the Quality Kiosk only")
        assert f"ssh:{sshd.user}@127.0.0.1" in screen  # the terminal id in the status bar
        assert len(kiosk_processes(sshd)) == 1
        terminal.type("\x11")  # Ctrl+Q
        status = terminal.wait_exit()
        assert "pwned" not in terminal.text()
    assert status == 0, terminal.text()[-2000:]
    assert wait_until_gone(sshd, 3.0) == []
    refused = audit(REFUSED_COMMAND_ACTION)
    assert [(e.target, e.terminal, e.allowed) for e in refused] == [
        ("echo pwned", f"ssh:{sshd.user}@127.0.0.1", False)
    ]
    signed_in = audit("sign_in")
    assert [(e.actor.badge_code, e.terminal, e.allowed) for e in signed_in] == [
        ("E1002", f"ssh:{sshd.user}@127.0.0.1", True)
    ]


def test_mapped_leader_gives_the_pin_and_a_dropped_connection_ends_the_kiosk(sshd, demo_plant):
    sshd.serve(demo_plant, users={sshd.user: "e1001"})
    with connect(sshd) as terminal:
        terminal.wait_for("Zhang Wei: enter your PIN.")
        terminal.type("1234\r")
        terminal.wait_for("Welcome, Zhang Wei")
        running = kiosk_processes(sshd)
        assert len(running) == 1
        terminal.process.kill()  # the tablet's Wi-Fi drops: the client is gone at once
        terminal.process.wait(5)
        assert wait_until_gone(sshd, 5.0) == [], sshd.log()[-2000:]
    assert "SIGHUP: the SSH connection is gone" in sshd.kiosk_log.read_text()
    signed_in = audit("sign_in")
    assert [(e.actor.badge_code, e.allowed) for e in signed_in] == [("E1001", True)]
    assert audit(REFUSED_COMMAND_ACTION) == []


def test_an_ssh_account_not_mapped_to_a_badge_gets_no_kiosk(sshd, demo_plant):
    sshd.serve(demo_plant)  # no users file: nobody is mapped
    with connect(sshd) as terminal:
        terminal.wait_for("is not linked to a badge")
        status = terminal.wait_exit()
    assert status == 2, terminal.text()[-2000:]
    assert "Scan your badge" not in terminal.text()  # the kiosk never started
    assert wait_until_gone(sshd, 3.0) == []
    refused = audit(SSH_SIGN_IN_ACTION)
    assert [(e.actor, e.allowed, e.terminal) for e in refused] == [
        (None, False, f"ssh:{sshd.user}@127.0.0.1")
    ]
    assert refused[0].detail == f"SSH user {sshd.user}: not mapped to a badge"
    assert audit("sign_in") == []


# -- without sshd: the pieces -------------------------------------------------------------


def test_session_from_sshd_environment():
    environ = {
        "SSH_CONNECTION": "203.0.113.7 51234 10.0.0.2 22",
        "SSH_ORIGINAL_COMMAND": "cat /etc/passwd",
    }
    session = session_from_environment(environ, "zhangwei")
    assert session == SshSession("zhangwei", "203.0.113.7", "cat /etc/passwd")
    assert session.terminal_id == "ssh:zhangwei@203.0.113.7"
    console = session_from_environment({}, "zhangwei")
    assert console.terminal_id == "ssh:zhangwei@local" and console.requested_command is None
    long_user = session_from_environment({"SSH_CONNECTION": "2001:db8::1 1 ::1 22"}, "u" * 80)
    assert len(long_user.terminal_id) == 64  # fits the audit trail's column


def test_users_file(tmp_path):
    path = tmp_path / "ssh-users.toml"
    path.write_text('[users]\nzhangwei = " e1001 "\nlina = "E1002"\n')
    assert load_user_map(path) == {"zhangwei": "E1001", "lina": "E1002"}
    for broken in ('users = "E1001"\n', "[users]\nx = 1\n", '[users]\nx = "E1\\u001b"\n', "[us"):
        path.write_text(broken)
        with pytest.raises(UsersFileError):
            load_user_map(path)
    with pytest.raises(UsersFileError, match="cannot read"):
        load_user_map(tmp_path / "missing.toml")


def make_app(url: str, clock, preset: str | None) -> KioskApp:
    settings = Settings(database_url=url, terminal_id="ssh:test@10.0.0.9")
    return KioskApp(settings, clock=clock, preset_badge=preset)


async def test_preset_badge_leader_starts_at_the_pin_prompt(demo_plant, clock):
    app = make_app(demo_plant, clock, "E1001")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert text_of(app, "#prompt") == "Zhang Wei: enter your PIN."
        await pilot.press(*"1234", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert "Zhang Wei" in text_of(app, "#greeting")


async def test_preset_badge_operator_and_unknown_badge(demo_plant, clock):
    app = make_app(demo_plant, clock, "E1002")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)  # no PIN: signed in at once
        assert "Li Na" in text_of(app, "#greeting")
    app = make_app(demo_plant, clock, "E7777")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "Badge E7777 is not known" in text_of(app, "#message")
        assert text_of(app, "#prompt") == "Scan your badge"
