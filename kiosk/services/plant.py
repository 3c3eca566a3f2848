"""Plant-wide settings shared through the database (signing key, demo flag)."""

from __future__ import annotations

import secrets

from kiosk.services.uow import atomic, read_only
from models import PlantSetting

SIGNING_KEY = "label_signing_key"
DEMO_PLANT = "demo_plant"


def _get(key: str) -> str | None:
    row = PlantSetting.get_or_none(PlantSetting.key == key)
    return row.value if row else None


@read_only
def get_setting(key: str) -> str | None:
    return _get(key)


@atomic
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


@atomic
def _create_key(value: str) -> None:
    PlantSetting.insert(key=SIGNING_KEY, value=value).on_conflict_ignore().execute()


def is_demo_plant() -> bool:
    return get_setting(DEMO_PLANT) == "1"
