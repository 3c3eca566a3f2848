"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl), or QK_TEST_PG_URL."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
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
