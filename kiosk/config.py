"""Settings: command-line flags over QK_* environment variables over a TOML file over defaults."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.i18n import UnknownLanguage
from kiosk.i18n import normalize as normalize_language

APP_NAME = "quality-kiosk"


THEME_CHOICES = ("high-contrast", "dark", "textual-dark", "textual-light")


class ConfigError(ValueError):
    """The configuration file or an environment variable is wrong."""


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'kiosk.db'}"


def default_outbox_path() -> str:
    """The kiosk's local offline store (QK_OUTBOX_PATH, else the user data directory)."""
    return os.environ.get("QK_OUTBOX_PATH") or str(data_dir() / "outbox.db")


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "kiosk.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    terminal_id: str = field(default_factory=socket.gethostname)
    idle_timeout_seconds: int = 120
    language: str = "en"
    locked: bool = False  # kiosk mode: no palette, quitting needs a supervisor's PIN
    theme: str = ""  # "" = the default for the mode (high contrast on kiosks, dark on boards)
    outbox_path: str = field(default_factory=default_outbox_path)
    offline_role_days: int = 14  # a kept role older than this is refused while offline

    def with_overrides(self, **overrides: object) -> Settings:
        """Command-line values over these, checked by the same rules as the file's and the
        environment's (so --idle-timeout 5 is refused like QK_IDLE_TIMEOUT=5)."""
        # each value checked and converted for its field by _coerce
        clean: dict[str, Any] = {
            key: _coerce(key, value, _OPTION_NAMES.get(key, key))
            for key, value in overrides.items()
            if value is not None
        }
        return replace(self, **clean)


_OPTION_NAMES = {
    "database_url": "--db",
    "terminal_id": "--terminal",
    "idle_timeout_seconds": "--idle-timeout",
    "language": "--language",
    "locked": "--kiosk",
    "theme": "--theme",
}
_ENV_KEYS = {
    "database_url": "QK_DATABASE_URL",
    "terminal_id": "QK_TERMINAL_ID",
    "idle_timeout_seconds": "QK_IDLE_TIMEOUT",
    "language": "QK_LANGUAGE",
    "locked": "QK_KIOSK_MODE",
    "theme": "QK_THEME",
    "offline_role_days": "QK_OFFLINE_ROLE_DAYS",
}


def _whole(value: object) -> int:
    """A whole number from the command line (int) or a file or the environment (text)."""
    if isinstance(value, int | str):
        return int(value)
    raise TypeError(f"not a whole number: {value!r}")


def _coerce(key: str, value: object, origin: str) -> object:
    if key == "locked":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{origin}: kiosk mode is true or false, got {value!r}")
    if key == "idle_timeout_seconds":
        try:
            seconds = _whole(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{origin}: idle timeout must be whole seconds, got {value!r}"
            ) from exc
        if seconds < 10:
            raise ConfigError(f"{origin}: idle timeout must be at least 10 seconds")
        return seconds
    if key == "offline_role_days":
        try:
            days = _whole(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{origin}: offline_role_days must be whole days") from exc
        if not 1 <= days <= 365:
            raise ConfigError(f"{origin}: offline_role_days must be 1 to 365 days")
        return days
    if key == "language":
        try:
            return normalize_language(str(value))
        except UnknownLanguage as exc:
            raise ConfigError(f"{origin}: {exc}") from exc
    if key == "theme" and str(value).strip() not in THEME_CHOICES:
        raise ConfigError(f"{origin}: theme is one of {', '.join(THEME_CHOICES)}")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{origin}: {key} must be a non-empty string")
    return value.strip()


def load_settings(
    config_path: Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file (if any), then QK_* environment variables."""
    environ = dict(os.environ) if environ is None else environ
    path = config_path or Path(environ.get("QK_CONFIG", default_config_path()))
    values: dict[str, Any] = {}  # each value checked and converted for its field by _coerce
    if path.exists():
        import tomllib  # only with a settings file: not on every kiosk's start-up path

        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        section = document.get("kiosk", document)
        for key in _ENV_KEYS:
            if key in section:
                values[key] = _coerce(key, section[key], str(path))
    for key, env_name in _ENV_KEYS.items():
        if environ.get(env_name):
            values[key] = _coerce(key, environ[env_name], env_name)
    return Settings(**values)


def command_line_user() -> str:
    """Who runs a `kiosk` command on this machine, for the audit row of a CLI action
    (which has no badge): the operating-system user at the host, and who used sudo to."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the id names someone
        user = f"uid {os.getuid()}"
    sudo = os.environ.get("SUDO_USER")
    who = f"{user}@{socket.gethostname()}"
    return f"{who} (sudo by {sudo})" if sudo and sudo != user else who
