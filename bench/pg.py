"""A throwaway PostgreSQL cluster (initdb + pg_ctl) and PgBouncer, for the benchmarks and the
tests (tests/helpers/pg.py re-exports them; QK_TEST_PG_URL names an existing server there)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresUnavailable(
        f"{name} not found: install PostgreSQL's server package (apt-get install -y postgresql) "
        "or set QK_TEST_PG_URL to a server the tests may create databases on."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_folder() -> str | None:
    """/dev/shm when there is one: a throwaway cluster in memory creates databases faster."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class Cluster:
    """initdb into a temp dir, pg_ctl start on a free loopback port; removed on stop()."""

    def __init__(self, extra_options: str = "") -> None:
        self.extra_options = extra_options
        self.initdb = find_binary("initdb")
        self.pg_ctl = find_binary("pg_ctl")
        self.directory = Path(tempfile.mkdtemp(prefix="qk-pg-", dir=_memory_folder()))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        self.url = f"postgresql://qk@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            self.initdb, "-D", str(self.data), "-A", "trust", "-U", "qk", "-E", "UTF8", "--no-sync"
        )
        self.start_server()
        return self.url

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 " + self.extra_options
        )

    def stop_server(self) -> None:
        """Stop the server but keep its data (to test an outage)."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-o",
            self._options(),
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def admin_execute(server_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        server_url.replace("postgresql://", "postgresql://", 1), autocommit=True
    ) as connection:
        connection.execute(sql)


def database_url(server_url: str, name: str) -> str:
    base, _, _old = server_url.rpartition("/")
    return f"{base}/{name}"


@contextlib.contextmanager
def server(given: str | None = None) -> Iterator[str]:
    """`given` (a server URL) if there is one, else a throwaway cluster while in use."""
    if given:
        yield given
        return
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def scratch_database(server_url: str, name: str, *, create: bool = True) -> Iterator[str]:
    """The URL of database `name` on the server (made unless `create` is False: a copy of a
    template, say), dropped afterwards with this process's connections closed first."""
    from models import db

    if create:
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        db.close_all()
        admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PgBouncer:
    """A throwaway PgBouncer in transaction-pooling mode in front of a server (the way the
    README tells a plant to run it); Debian's `pgbouncer` package."""

    def __init__(self, server_url: str, pool_size: int = 4) -> None:
        from urllib.parse import urlparse

        self.binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(self.binary):
            raise PostgresUnavailable("pgbouncer not found: apt-get install -y pgbouncer")
        server = urlparse(server_url)
        self.directory = Path(tempfile.mkdtemp(prefix="qk-pgbouncer-"))
        self.port = free_port()
        self.pool_size = pool_size
        self.as_postgres = os.geteuid() == 0  # pgbouncer refuses to run as root
        (self.directory / "users.txt").write_text(f'"{server.username}" ""\n')
        (self.directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={server.hostname} port={server.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.directory / 'users.txt'}\n"
            f"admin_users = {server.username}\n"  # SHOW POOLS, SHOW CLIENTS on db pgbouncer
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
            "max_client_conn = 1000\nmax_db_connections = 0\n"
            "server_reset_query =\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
            f"pidfile = {self.directory / 'pgbouncer.pid'}\n"
        )
        self.process: subprocess.Popen | None = None
        self.url = f"postgresql://{server.username}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        command = [self.binary, str(self.directory / "pgbouncer.ini")]
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
            for child in self.directory.iterdir():
                shutil.chown(child, "postgres", "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        # its log goes to the logfile; stderr must not be a pipe nobody reads: with many
        # clients connecting its log lines filled the pipe, and pgbouncer, blocked writing
        # to it, stopped passing queries on (kiosks stuck inside their transactions)
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        import time

        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.url
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        log = (
            (self.directory / "pgbouncer.log").read_text()
            if (self.directory / "pgbouncer.log").exists()
            else ""
        )
        self.stop()
        raise PostgresUnavailable(f"pgbouncer did not start: {log[-2000:]}")

    def stop(self) -> None:
        self._stop_daemon()  # run through runuser (as root), it outlives runuser's end
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _stop_daemon(self) -> None:
        """SIGINT to the pgbouncer named in its pid file (immediate shutdown), then wait
        for it to be gone (at most 10 s; then SIGKILL)."""
        import signal
        import time

        try:
            pid = int((self.directory / "pgbouncer.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        for sig in (signal.SIGINT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    return
                time.sleep(0.1)
