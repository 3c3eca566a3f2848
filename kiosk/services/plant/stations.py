"""Scan parsing (signed QR payloads) and station lookup.

Label payload format, version 1 (uppercase, so a QR code can use its compact
alphanumeric mode):

    QK1:S:<station code>:<signature>     a station label
    QK1:B:<badge code>:<signature>       an employee badge

The signature is the first 16 characters of the base32 HMAC-SHA256 of
"QK1:<kind>:<code>" under the plant key. A plain code typed by hand
("L1-S03", "E1001") is accepted too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from peewee import SQL, NodeList

from kiosk.caller import Caller
from kiosk.errors import DatabaseUnavailable, NotFound
from kiosk.i18n import _
from kiosk.services.plant import plant
from kiosk.services.platform import uow
from kiosk.services.platform.text import clean_text, shorten
from models import Defect, Employee, ProductionLine, Station

PAYLOAD_VERSION = "QK1"
MAX_RAW_LENGTH = 512
SIGNATURE_LENGTH = 16
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")


def is_scannable_code(code: str) -> bool:
    """Can a label carry this station or badge code and a USB scanner type it back?
    Upper-case letters, digits, '.', '_' and '-', 1 to 32 characters, starting with a
    letter or digit (the same rule the scan parser applies)."""
    return bool(_CODE.match(code))


@dataclass(frozen=True)
class StationScan:
    code: str
    signed: bool


@dataclass(frozen=True)
class BadgeScan:
    code: str
    signed: bool


@dataclass(frozen=True)
class PlainCode:
    """A code typed by hand: a station or a badge, the screen decides which it expects."""

    code: str


@dataclass(frozen=True)
class ScanError:
    message: str


ScanResult = StationScan | BadgeScan | PlainCode | ScanError


def signature(kind: str, code: str, key: bytes) -> str:
    message = f"{PAYLOAD_VERSION}:{kind}:{code}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:SIGNATURE_LENGTH]


def make_payload(kind: str, code: str, key: bytes) -> str:
    """The text a QR label carries: kind "S" for a station, "B" for a badge."""
    code = code.strip().upper()
    return f"{PAYLOAD_VERSION}:{kind}:{code}:{signature(kind, code, key)}"


def parse_scan(raw: str, key: bytes | Sequence[bytes]) -> ScanResult:
    """Turn whatever a scanner or a person typed into a typed result. Never raises.

    `key` is the plant key, or several: the current one first, then keys that were
    rotated out but whose labels are still valid for a grace period.
    """
    if len(raw) > MAX_RAW_LENGTH:
        return ScanError(
            _(
                "That scan is {count:,} characters long: not a Quality Kiosk label. Scan the QR "
                "label again, or type the code printed under it.",
                count=len(raw),
            )
        )
    text = clean_text(raw)
    if not text:
        return ScanError(_("Nothing was scanned. Scan the QR label or type the code under it."))
    upper = text.upper()
    if upper.startswith("QK") and ":" in upper:
        return _parse_payload(upper, key)
    if _CODE.match(upper):
        return PlainCode(upper)
    return ScanError(
        _(
            "“{text}” is not a Quality Kiosk code. Scan the QR label or type the code printed "
            "under it (for example L1-S01).",
            text=shorten(text),
        )
    )


def _parse_payload(text: str, key: bytes | Sequence[bytes]) -> ScanResult:
    parts = text.split(":")
    version = parts[0]
    if version != PAYLOAD_VERSION:
        return ScanError(
            _(
                "This label uses format {version}, which this kiosk does not read. Ask the "
                "quality office to reprint it.",
                version=shorten(version, 8),
            )
        )
    if len(parts) != 4 or parts[1] not in ("S", "B"):
        return ScanError(
            _("This label is damaged or incomplete. Scan it again, or type the code under it.")
        )
    _version, kind, code, given_signature = parts
    if not _CODE.match(code):
        return ScanError(
            _("This label is damaged or incomplete. Scan it again, or type the code under it.")
        )
    keys = [key] if isinstance(key, bytes) else list(key)
    given = given_signature.encode("utf-8", "replace")
    if not any(hmac.compare_digest(given, signature(kind, code, k).encode()) for k in keys):
        return ScanError(
            _(
                "The label for {code} has an invalid signature: it was not printed by this "
                "plant or has been altered. Report it to the quality office.",
                code=code,
            )
        )
    return StationScan(code, True) if kind == "S" else BadgeScan(code, True)


_last_known_keys: list[bytes] = []


def interpret_scan(caller: Caller, raw: str) -> ScanResult:
    """Parse with this plant's keys (read from the database): the current one, and the
    previous one while its grace period after a rotation lasts.

    A code typed by hand needs no key. While the database is away, signed labels are
    checked with the keys this process read last (an offline kiosk keeps scanning).
    """
    global _last_known_keys
    if not clean_text(raw).upper().startswith("QK"):
        return parse_scan(raw, ())
    try:
        _last_known_keys = plant.valid_signing_keys(caller)
    except DatabaseUnavailable:
        if not _last_known_keys:
            raise
    return parse_scan(raw, _last_known_keys)


@dataclass(frozen=True)
class OpenDefect:
    id: str
    short_id: str
    category: str
    severity: str
    status: str
    description: str
    reported_at: datetime
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class StationView:
    id: int
    code: str
    name: str
    line_id: int
    line_code: str
    line_name: str
    team_id: int
    team_name: str
    open_defects: tuple[OpenDefect, ...]  # the most urgent (at most OPEN_SHOWN)
    open_total: int = 0  # every open defect at the station, counted in SQL


OPEN_SHOWN = 30


@uow.read
def lookup_station(caller: Caller, code: str) -> StationView:
    """A station with its line, responsible team and open defects (overdue by the caller's
    clock)."""
    code = code.strip().upper()
    station = (
        Station.select(Station, ProductionLine)
        .join(ProductionLine)
        .where((Station.code == code) & Station.active)
        .first()
    )
    if station is None:
        owner = (
            Employee.select(Employee.name)
            .where((Employee.badge_code == code) & Employee.active)
            .first()
        )
        if owner is not None:  # a badge scanned where a station is asked for
            raise NotFound(
                _(
                    "That is a badge ({name}): press F10 to sign out first, then scan your badge.",
                    name=owner.name,
                )
            )
        raise NotFound(
            _(
                "Station {code} is not known. Check the code under the QR label, or ask the "
                "quality office to register the station.",
                code=shorten(code),
            )
        )
    team = station.team or station.line.team
    if team is None:
        raise NotFound(
            _("Station {code} has no responsible team yet. Ask the quality office.", code=code)
        )
    now = caller.now()
    # spelled as the partial index of schema step 17 is, so both engines can use it
    still_open = (Defect.station == station) & NodeList(
        (Defect.status, SQL("NOT IN ('verified', 'closed')"))
    )
    open_total = Defect.select().where(still_open).count()
    rows = (
        Defect.select(
            Defect.id,
            Defect.category,
            Defect.severity,
            Defect.status,
            Defect.description,
            Defect.reported_at,
            Defect.due_at,
        )
        .where(still_open)
        .order_by(Defect.due_at, Defect.id)
        .limit(OPEN_SHOWN)
    )
    open_defects = tuple(
        OpenDefect(
            id=str(row.id),
            short_id=str(row.id)[:8],
            category=row.category,
            severity=row.severity,
            status=row.status,
            description=row.description,
            reported_at=row.reported_at,
            due_at=row.due_at,
            overdue=row.due_at < now,
        )
        for row in rows
    )
    return StationView(
        id=station.id,
        code=station.code,
        name=station.name,
        line_id=station.line.id,
        line_code=station.line.code,
        line_name=station.line.name,
        team_id=team.id,
        team_name=team.name,
        open_defects=open_defects,
        open_total=open_total,
    )
