"""Plant-wide settings shared through the database (signing key, demo flag)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.caller import Caller
from kiosk.errors import ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from models import PlantSetting

SIGNING_KEY = "label_signing_key"
DEMO_PLANT = "demo_plant"


def _get(key: str) -> str | None:
    row = PlantSetting.get_or_none(PlantSetting.key == key)
    return row.value if row else None


@uow.read
def get_setting(key: str) -> str | None:
    return _get(key)


@uow.write
def set_setting(key: str, value: str) -> None:
    PlantSetting.insert(key=key, value=value).on_conflict(
        conflict_target=[PlantSetting.key], update={PlantSetting.value: value}
    ).execute()


def signing_key() -> bytes:
    """The plant key that signs QR labels, made once and shared by every terminal."""
    existing = get_setting(SIGNING_KEY)
    if existing:
        return bytes.fromhex(existing)
    _create_key(secrets.token_hex(32))  # ignored if another terminal made one first
    return bytes.fromhex(get_setting(SIGNING_KEY) or "")


@uow.write
def _create_key(value: str) -> None:
    PlantSetting.insert(key=SIGNING_KEY, value=value).on_conflict_ignore().execute()


WEB_SESSION_KEY = "web_session_key"


def web_session_key() -> bytes:
    """The key that signs browser sessions (`kiosk serve`), made once, kept over restarts."""
    existing = get_setting(WEB_SESSION_KEY)
    if existing:
        return bytes.fromhex(existing)
    _create_web_session_key(secrets.token_hex(32))  # ignored if another server made one
    return bytes.fromhex(get_setting(WEB_SESSION_KEY) or "")


@uow.write
def _create_web_session_key(value: str) -> None:
    PlantSetting.insert(key=WEB_SESSION_KEY, value=value).on_conflict_ignore().execute()


def is_demo_plant() -> bool:
    return get_setting(DEMO_PLANT) == "1"


PREVIOUS_SIGNING_KEY = "label_signing_key_previous"
PREVIOUS_KEY_VALID_UNTIL = "label_signing_key_previous_until"


@uow.read
def _settings(*keys: str) -> dict[str, str]:
    return {row.key: row.value for row in PlantSetting.select().where(PlantSetting.key.in_(keys))}


def valid_signing_keys(caller: Caller) -> list[bytes]:
    """The current label key, then the previous one while its grace period lasts (by the
    caller's clock)."""
    keys = [signing_key()]
    values = _settings(PREVIOUS_SIGNING_KEY, PREVIOUS_KEY_VALID_UNTIL)
    until = values.get(PREVIOUS_KEY_VALID_UNTIL)
    now = caller.now()
    if values.get(PREVIOUS_SIGNING_KEY) and until and now < datetime.fromisoformat(until):
        keys.append(bytes.fromhex(values[PREVIOUS_SIGNING_KEY]))
    return keys


@dataclass(frozen=True)
class KeyRotation:
    previous_valid_until: datetime


def rotate_signing_key(caller: Caller, grace_days: int) -> KeyRotation:
    """Make a new label key; labels signed with the old one stay valid for `grace_days`.

    Print and put up the new labels within the grace period. A second rotation ends the
    grace of the key before it at once.
    """
    if not 0 <= grace_days <= 365:
        raise ValidationFailed({"grace_days": _("The grace period is 0 to 365 days.")})
    until = caller.now() + timedelta(days=grace_days)
    _rotate(caller, signing_key(), until)
    return KeyRotation(until)


@uow.write
def _rotate(caller: Caller, old: bytes, until: datetime) -> None:
    for key, value in (
        (PREVIOUS_SIGNING_KEY, old.hex()),
        (PREVIOUS_KEY_VALID_UNTIL, until.isoformat()),
        (SIGNING_KEY, secrets.token_hex(32)),
    ):
        set_setting(key, value)  # inside this unit: one transaction
    record_action(
        None,
        "rotate_label_key",
        "label signing key",
        caller.now(),
        detail=f"old labels valid until {until.isoformat()}",
    )
