"""Command-line options are checked like the environment's: --idle-timeout below 10 is
refused with the same message as QK_IDLE_TIMEOUT, and --language takes zh as the README says."""

from __future__ import annotations

import pytest

from kiosk import cli
from kiosk.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def no_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("QK_CONFIG", str(tmp_path / "no-such-config.toml"))
    for name in ("QK_IDLE_TIMEOUT", "QK_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)


def _settings(*argv: str):
    return cli._settings(cli.build_parser().parse_args(["run", *argv]))


def test_idle_timeout_below_ten_is_refused_from_both_places_alike(monkeypatch):
    with pytest.raises(ConfigError) as from_option:
        _settings("--idle-timeout", "5")
    monkeypatch.setenv("QK_IDLE_TIMEOUT", "5")
    with pytest.raises(ConfigError) as from_environment:
        load_settings()
    assert str(from_option.value) == "--idle-timeout: idle timeout must be at least 10 seconds"
    assert str(from_environment.value) == (
        "QK_IDLE_TIMEOUT: idle timeout must be at least 10 seconds"
    )
    monkeypatch.delenv("QK_IDLE_TIMEOUT")
    assert _settings("--idle-timeout", "10").idle_timeout_seconds == 10


def test_a_bad_language_from_the_command_is_one_line_exit_2(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    roster = tmp_path / "roster.csv"
    roster.write_text("badge,name\n", encoding="utf-8")
    status = cli.main(["import", "roster", str(roster), "--db", url, "--language", "klingon"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk: --language: language is one of en, zh_CN, got 'klingon'")
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("given", ["zh", "zh_CN", "zh-cn", "ZH_CN", "en", "en_US"])
def test_language_takes_what_the_readme_says(given):
    expected = "en" if given.lower().startswith("en") else "zh_CN"
    assert _settings("--language", given).language == expected


def test_every_command_in_the_help_has_one_entry_in_the_command_table():
    """The table of commands (kiosk/cli.py COMMANDS) answers for every command `kiosk --help`
    lists, and has no entry the parser cannot reach."""
    import argparse

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    used = set()
    for name in cli._command_names(commands):
        command, _, action = name.partition(" ")
        args = argparse.Namespace(command=command)
        if action:
            setattr(args, f"{command.replace('-', '_')}_command", action)
        entry = cli.command_for(args)
        used.add(next(key for key, value in cli.COMMANDS.items() if value is entry))
    assert used == set(cli.COMMANDS)


def test_db_check_says_the_version_and_a_command_on_a_missing_file_makes_none(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    assert cli.main(["db", "upgrade", "--db", url]) == 0
    assert cli.main(["db", "check", "--db", url]) == 0
    assert "schema version" in capsys.readouterr().out
    assert cli.main(["sweep", "--db", f"sqlite:///{tmp_path / 'missing.db'}"]) == 2
    assert "There is no database at" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()
