"""The README's "Setting up your plant", run as written: its commands in order on a
throwaway PostgreSQL database (an owner role and an application role), then, at a kiosk,
the quality admin enrols a PIN from the printed code and an imported operator scans a
printed station label into a defect report."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pyzbar import pyzbar
from textual.widgets import Input, Select

from kiosk.cli import main
from kiosk.services.platform import database as database_service
from models import Defect, Employee, db
from screens.defect_report import DefectReportScreen
from screens.station import StationScreen
from tests.helpers.app import key_help, make_app, post_keys, settle, sign_in, text_of
from tests.helpers.pg import admin_execute, database_url

README = Path(__file__).resolve().parent.parent / "README.md"


def walkthrough_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- setup-walkthrough -->", 1)[1].split("<!-- /setup-walkthrough -->")[0]
    lines = block.split("```sh", 1)[1].split("```", 1)[0].splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


@pytest.fixture
def empty_plant_database(pg_server):
    suffix = os.getpid()
    owner, app, name = f"qk_setup_owner_{suffix}", f"qk_setup_app_{suffix}", f"qk_setup_{suffix}"
    for role in (owner, app):
        admin_execute(pg_server, f"CREATE ROLE {role} LOGIN")
    admin_execute(pg_server, f"CREATE DATABASE {name} OWNER {owner}")
    base = database_url(pg_server, name)
    try:
        yield (
            base.replace("postgresql://qk@", f"postgresql://{owner}@"),
            base.replace("postgresql://qk@", f"postgresql://{app}@"),
            app,
        )
    finally:
        db.close_all()
        admin_execute(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        for role in (app, owner):
            admin_execute(pg_server, f"DROP ROLE IF EXISTS {role}")


def _station_label_payload(pdf: Path, code: str, folder: Path) -> str:
    """Read the printed station sheet back the way a scanner would (zbar)."""
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(folder / "page")],
        check=True,
        timeout=120,
    )
    for page in sorted(folder.glob("page*.png")):
        with Image.open(page) as image:
            for symbol in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE]):
                payload = symbol.data.decode("ascii")
                if payload.startswith(f"QK1:S:{code}:"):
                    return payload
    raise AssertionError(f"no label for {code} on {pdf}")


@pytest.mark.env  # pdftoppm
async def test_the_readme_setup_walkthrough_makes_a_working_plant(
    empty_plant_database, clock, tmp_path, monkeypatch, capsys
):
    owner_url, app_url, app_role = empty_plant_database
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("QK_DATABASE_URL", raising=False)
    commands = walkthrough_commands()
    assert commands[-1].startswith("kiosk run"), "the walk-through ends by starting a kiosk"
    code = None
    for command in commands[:-1]:
        words = shlex.split(command)
        if words[0] == "export":
            name, _, _value = words[1].partition("=")
            assert name == "QK_DATABASE_URL"
            monkeypatch.setenv(name, app_url)  # the README's application role, here
            continue
        if words[0] == "cd":
            monkeypatch.chdir(tmp_path / words[1])
            continue
        assert words[0] == "kiosk", command
        arguments = words[1:]
        if "--db" in arguments:  # the owner's URL in the README: the test's owner
            arguments[arguments.index("--db") + 1] = owner_url
        if "--app-role" in arguments:
            arguments[arguments.index("--app-role") + 1] = app_role
        status = main(arguments)
        output = capsys.readouterr()
        assert status == 0, f"{command}\n{output.out}\n{output.err}"
        if arguments[:2] == ["admin", "enrol"]:
            code = re.search(r"^\s+(\d{4} ?\d{4})\s*$", output.out, re.MULTILINE).group(1)
    assert code is not None
    db.close_all()

    database_service.open_database(app_url, create=False)
    with db.connection():
        assert Employee.select().where(Employee.active).count() == 20
    payload = _station_label_payload(tmp_path / "setup" / "stations.pdf", "LA-S01", tmp_path)
    app = make_app(app_url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        # the first quality admin: badge, the printed code, a PIN twice
        await sign_in(pilot, "E0301")
        assert "enter your enrolment code" in text_of(app, "#prompt")
        for typed in (code, "480159", "480159"):
            await pilot.press(*typed, "enter")
            await settle(pilot)
        assert isinstance(app.screen, StationScreen) and app.user.badge_code == "E0301"
        await pilot.press("f10")
        await settle(pilot)
        # an imported operator scans the printed station label and reports a defect
        await sign_in(pilot, "E0102")
        assert isinstance(app.screen, StationScreen) and app.user.name == "李娜"
        post_keys(app, payload + "\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        app.screen.query_one("#category", Select).value = "machine"
        app.screen.query_one("#description", Input).focus()
        await pilot.press(*"Enclosure screw stripped", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert "reported" in text_of(app, "#message")
    with db.connection():
        defect = Defect.get(Defect.description == "Enclosure screw stripped")
        assert (defect.station.code, defect.team.code, defect.reporter.badge_code) == (
            "LA-S01",
            "A1",
            "E0102",
        )


async def test_demo_codes_are_offered_on_the_demo_plant_only(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Demo codes" in key_help(app)


async def test_a_real_plant_offers_no_demo_codes(database, clock):
    app = make_app(database, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Demo codes" not in key_help(app) and "Red-Black list" in key_help(app)
