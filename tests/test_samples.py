"""`kiosk samples FOLDER`: the set-up files the README walks through, written out and valid."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import load_settings
from kiosk.samples_cli import PLANT_SAMPLES


def test_samples_are_written_and_kept_unless_forced(tmp_path, capsys):
    folder = tmp_path / "setup"
    assert main(["samples", str(folder)]) == 0
    for name in PLANT_SAMPLES:
        assert (folder / name).stat().st_size > 0, name
    units = sorted(path.name for path in (folder / "deploy").iterdir())
    assert "quality-kiosk@.service" in units and "quality-kiosk-sweep.timer" in units
    assert "deploy/kiosk.toml" in capsys.readouterr().out

    edited = folder / PLANT_SAMPLES[0]
    edited.write_text("my own edits", encoding="utf-8")
    assert main(["samples", str(folder)]) == 0
    assert "already there" in capsys.readouterr().out
    assert edited.read_text(encoding="utf-8") == "my own edits"
    assert main(["samples", str(folder), "--force"]) == 0
    assert edited.read_text(encoding="utf-8") != "my own edits"


def test_the_sample_settings_file_is_what_the_kiosk_reads(tmp_path):
    main(["samples", str(tmp_path)])
    path = tmp_path / "deploy" / "kiosk.toml"
    tomllib.loads(path.read_text(encoding="utf-8"))
    settings = load_settings(path, environ={})
    assert settings.database_url == "postgresql://kiosk:PASSWORD@db.plant.lan/quality"


@pytest.mark.env  # systemd-analyze
def test_the_sample_systemd_units_pass_systemd_analyze(tmp_path):
    """Each unit, with its programs pointed at ones this machine has, verifies clean."""
    main(["samples", str(tmp_path)])
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed (apt-get install -y systemd)"
    kiosk = str(Path(sys.executable).with_name("kiosk"))
    units = tmp_path / "units"
    units.mkdir()
    for source in (tmp_path / "deploy").iterdir():
        if source.suffix not in (".service", ".timer"):
            continue
        text = source.read_text(encoding="utf-8")
        text = text.replace("/opt/quality-kiosk/.venv/bin/kiosk", kiosk)
        text = text.replace("/usr/bin/cage", shutil.which("true") or "/bin/true")
        name = source.name.replace("@.service", "@tty1.service")
        (units / name).write_text(text, encoding="utf-8")
    names = sorted(str(path) for path in units.iterdir())
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # users named in the units exist on the kiosk machines, not on this one
        if line.strip() and "User=" not in line
    ]
    assert result.returncode == 0 and not problems, "\n".join(problems)
