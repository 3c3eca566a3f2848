"""Kiosks reach PostgreSQL over TLS with the server's certificate checked (sslmode=
verify-full and the plant's CA file in the URL), against a server started with TLS and a
test CA; a server whose certificate another CA signed is refused with a clear message."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.errors import DatabaseUnavailable
from kiosk.services.platform import database as database_service
from models import db
from tests.helpers.pg import Cluster

pytestmark = pytest.mark.env  # needs what a newcomer may lack (see pyproject markers)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _authority(folder: Path, name: str) -> None:
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN=Quality Kiosk {name}",
        cwd=folder,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """(URL without TLS settings, the CA that signed the server, another CA)."""
    assert shutil.which("openssl"), "openssl is needed (apt-get install -y openssl)"
    folder = tmp_path_factory.mktemp("tls")
    _authority(folder, "plant-ca")
    _authority(folder, "other-ca")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1", cwd=folder,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "plant-ca.crt", "-CAkey", "plant-ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt",
        cwd=folder,
    )  # fmt: skip
    cluster = Cluster()
    for name in ("server.crt", "server.key"):
        shutil.copy(folder / name, cluster.directory / name)
        if cluster.as_postgres:
            shutil.chown(cluster.directory / name, "postgres", "postgres")
        os.chmod(cluster.directory / name, 0o600)
    cluster.extra_options = (
        f"-c ssl=on -c ssl_cert_file={cluster.directory / 'server.crt'} "
        f"-c ssl_key_file={cluster.directory / 'server.key'}"
    )
    try:
        yield cluster.start(), folder / "plant-ca.crt", folder / "other-ca.crt"
    finally:
        db.close_all()
        cluster.stop()


def test_verify_full_with_the_plants_ca_connects_encrypted(tls_server):
    url, plant_ca, _other = tls_server
    status = database_service.open_database(
        f"{url}?sslmode=verify-full&sslrootcert={plant_ca}", create=False
    )
    assert status.version == 0  # reached: an empty database
    with db.connection() as database:
        encrypted = database.execute_sql(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()[0]
    assert encrypted is True
    db.close_all()


def test_a_server_certificate_from_another_ca_is_refused(tls_server):
    url, _plant_ca, other_ca = tls_server
    with pytest.raises(DatabaseUnavailable) as refused:
        database_service.open_database(
            f"{url}?sslmode=verify-full&sslrootcert={other_ca}", create=False
        )
    message = refused.value.message
    assert "certificate verify failed" in message and "127.0.0.1" in message
    db.close_all()
