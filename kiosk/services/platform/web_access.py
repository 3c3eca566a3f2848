"""Who may open the supervisor board in a browser, and the web sessions they get.

No web server here (that is `kiosk.web`): the sign-in rule (badge + PIN of a
supervisor or above), the signed session tokens, and the in-memory throttle on
failed sign-ins. The session key lives in the database (`plant.web_session_key`),
so a restarted server keeps its sessions valid.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import (
    ROLE_RANK,
    ROLE_TITLES,
    EmployeeView,
    NoPin,
    PinRequired,
    employee_view,
    hash_pin,
    identify_badge,
    record_refusal,
    require_role,
    sign_in,
    verify_pin,
)
from kiosk.services.platform.text import clean_text
from models import Employee, PlantSetting

WEB_MIN_ROLE = "supervisor"
WEB_ACTION = "open_the_board_in_a_browser"
MAX_BADGE_LENGTH = 40
MAX_PIN_LENGTH = 32
SESSION_LIFETIME_SECONDS = 12 * 3600
NOT_ACCEPTED = N_("Badge or PIN not accepted.")


def web_terminal(client: str) -> str:
    """The `terminal` the audit trail names for a browser sign-in."""
    return f"web {clean_text(client)[:45] or 'unknown'}"


def check_credentials(badge_code: str, pin: str) -> tuple[str, str]:
    """The badge (normalised) and PIN as typed, or ValidationFailed naming what is wrong."""
    problems: dict[str, str] = {}
    badge = clean_text(badge_code).upper()
    pin = pin.strip(" ")
    if not badge:
        problems["badge"] = _("Type your badge code.")
    elif len(badge) > MAX_BADGE_LENGTH:
        problems["badge"] = _(
            "A badge code has at most {MAX_BADGE_LENGTH} characters.",
            MAX_BADGE_LENGTH=MAX_BADGE_LENGTH,
        )
    if not pin:
        problems["pin"] = _("Type your PIN.")
    elif len(pin) > MAX_PIN_LENGTH or clean_text(pin) != pin:
        problems["pin"] = _("That is not a PIN (too long, or it holds control characters).")
    if problems:
        raise ValidationFailed(problems)
    return badge, pin


def web_sign_in(caller: Caller, badge_code: str, pin: str, *, client: str) -> EmployeeView:
    """Sign a supervisor (or above) in for the browser board, with badge and PIN. The
    caller gives the clock (no one is signed in yet); the audit trail names the browser's
    address as the terminal (web_terminal(client)).

    Refusals are audited (by `auth.sign_in` and `require_role`). An unknown badge and
    a wrong PIN give the same message, so the form does not tell which badges exist.
    """
    badge, pin = check_credentials(badge_code, pin)
    caller = replace(caller, terminal=web_terminal(client))
    holder_name = ""
    try:
        holder = identify_badge(badge)
        holder_name = holder.name
    except NotFound:
        # sign_in below audits the unknown badge and refuses it; hash the PIN anyway so
        # an unknown badge takes as long as a wrong PIN (no probing for badges by time)
        verify_pin(pin, _dummy_hash())
    else:  # an operator or leader is refused before any sign-in is recorded
        require_role(caller.acting_as(holder), WEB_MIN_ROLE, WEB_ACTION)
    try:
        employee = sign_in(caller, badge, pin)
    except PinRequired as exc:  # cannot happen with a PIN given; keep the rule explicit
        raise PermissionDenied(NOT_ACCEPTED) from exc
    except NoPin as exc:  # sign_in audited it: a badge alone never opens the board
        raise PermissionDenied(_no_pin_yet(holder_name or badge)) from exc
    except (NotFound, PermissionDenied) as exc:
        raise PermissionDenied(NOT_ACCEPTED) from exc
    require_role(caller.acting_as(employee), WEB_MIN_ROLE, WEB_ACTION)
    if not employee.needs_pin:  # cannot happen (sign_in refuses it); keep the rule explicit
        record_refusal(caller.acting_as(employee), WEB_ACTION, "", "no PIN set")
        raise PermissionDenied(_no_pin_yet(employee.name))
    return employee


def _no_pin_yet(name: str) -> str:
    return _(
        "{name} has no PIN yet: enrol one at a kiosk with an enrolment code from a "
        "supervisor, then open the board in a browser.",
        name=name,
    )


@functools.cache
def _dummy_hash() -> str:
    return hash_pin(secrets.token_hex(8))


@uow.read
def web_user(employee_id: int) -> EmployeeView | None:
    """The employee behind a web session, if they may still open the board."""
    return _web_user(employee_id)


def _web_user(employee_id: int) -> EmployeeView | None:
    employee = Employee.get_or_none(Employee.id == employee_id)
    if employee is None or not employee.active or not employee.pin_hash:
        return None
    if ROLE_RANK.get(employee.role, -1) < ROLE_RANK[WEB_MIN_ROLE]:
        return None
    return employee_view(employee)


# -- sessions: signed tokens in an HttpOnly cookie ----------------------------------------


@dataclass(frozen=True)
class WebSession:
    session_id: str
    employee_id: int
    badge_code: str
    name: str
    role: str
    expires_at: float  # Unix time

    @property
    def role_title(self) -> str:
        return ROLE_TITLES.get(self.role, self.role)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and checks `v1.<payload>.<HMAC-SHA256>` tokens under the plant's web key."""

    PREFIX = "v1"
    MAX_TOKEN_LENGTH = 1024

    def __init__(
        self,
        key: bytes,
        *,
        lifetime_seconds: int = SESSION_LIFETIME_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        if len(key) < 16:
            raise ValueError(_("the web session key is too short"))
        self._key = hashlib.sha256(b"quality-kiosk web session\0" + key).digest()
        self.lifetime_seconds = lifetime_seconds
        self._now = now

    def _mac(self, payload: str) -> str:
        message = f"{self.PREFIX}.{payload}".encode("ascii")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, employee: EmployeeView) -> tuple[str, WebSession]:
        session = WebSession(
            session_id=secrets.token_urlsafe(18),
            employee_id=employee.id,
            badge_code=employee.badge_code,
            name=employee.name,
            role=employee.role,
            expires_at=float(int(self._now()) + self.lifetime_seconds),
        )
        body = {
            "s": session.session_id,
            "e": session.employee_id,
            "b": session.badge_code,
            "n": session.name,
            "r": session.role,
            "x": int(session.expires_at),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{self.PREFIX}.{payload}.{self._mac(payload)}", session

    def read(self, token: str | None) -> WebSession | None:
        """The session a token carries, or None if it is forged, altered, odd or expired."""
        if not token or len(token) > self.MAX_TOKEN_LENGTH:
            return None
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != self.PREFIX:
            return None
        payload, mac = parts[1], parts[2]
        try:
            if not hmac.compare_digest(mac.encode("ascii"), self._mac(payload).encode("ascii")):
                return None
            body = json.loads(_unb64(payload))
            session = WebSession(
                session_id=str(body["s"]),
                employee_id=int(body["e"]),
                badge_code=str(body["b"]),
                name=str(body["n"]),
                role=str(body["r"]),
                expires_at=float(body["x"]),
            )
        except (ValueError, KeyError, TypeError, UnicodeError):
            return None
        if session.expires_at <= self._now():
            return None
        return session


# -- signing out: a revoked session stays revoked across restarts -----------------------

REVOKED_PREFIX = "web_revoked:"


@uow.read
def check_session(session: WebSession) -> EmployeeView | None:
    """The employee behind a web session, or None if it was signed out or they may not."""
    if PlantSetting.get_or_none(PlantSetting.key == REVOKED_PREFIX + session.session_id):
        return None
    return _web_user(session.employee_id)


@uow.write
def end_session(session: WebSession, *, now: float | None = None) -> None:
    """Sign a web session out for good (kept until it would have expired anyway)."""
    now = time.time() if now is None else now
    PlantSetting.insert(
        key=REVOKED_PREFIX + session.session_id, value=str(int(session.expires_at))
    ).on_conflict_ignore().execute()
    expired = [
        row.key
        for row in PlantSetting.select().where(PlantSetting.key.startswith(REVOKED_PREFIX))
        if not row.value.isdigit() or int(row.value) <= now
    ]
    if expired:
        PlantSetting.delete().where(PlantSetting.key.in_(expired)).execute()


# -- the throttle: failed sign-ins lock a badge from an address, and an address -------


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0
    locks: int = 0  # locks so far: each one lasts twice as long as the one before


class SignInThrottle:
    """Counts failed browser sign-ins per badge and client address, and per address, in
    memory (the audit trail keeps its own lock per badge and address: auth.sign_in).

    `badge_limit` failures in a row for a badge from one address lock that badge from that
    address for `lock_seconds` (another computer, and the kiosks, are not locked out);
    `address_limit` failures from one address (any badges) lock that address. Each further
    lock of the same key lasts twice as long, up to `max_lock_seconds` (a rising delay).
    A key quiet for `forget_seconds` after its lock is forgotten. A success clears the
    badge's count from that address.
    """

    MAX_ENTRIES = 10_000

    def __init__(
        self,
        *,
        badge_limit: int = 5,
        address_limit: int = 20,
        lock_seconds: float = 60.0,
        max_lock_seconds: float = 3600.0,
        forget_seconds: float = 900.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.badge_limit = badge_limit
        self.address_limit = address_limit
        self.lock_seconds = lock_seconds
        self.max_lock_seconds = max_lock_seconds
        self.forget_seconds = forget_seconds
        self._now = now
        self._entries: dict[tuple[str, str], _Failures] = {}

    def _entry(self, kind: str, key: str) -> _Failures | None:
        entry = self._entries.get((kind, key))
        if entry is None:
            return None
        now = self._now()
        if entry.locked_until <= now and now - max(entry.last, entry.locked_until) > (
            self.forget_seconds
        ):
            del self._entries[(kind, key)]
            return None
        return entry

    @staticmethod
    def _keys(badge: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("badge", f"{badge} {address}"), ("address", address)

    def locked_for(self, badge: str, address: str) -> tuple[str, int] | None:
        """("badge"|"address", seconds left) if either is locked now, else None."""
        now = self._now()
        for kind, key in self._keys(badge, address):
            entry = self._entry(kind, key)
            if entry is not None and entry.locked_until > now:
                return kind, max(1, int(entry.locked_until - now + 0.999))
        return None

    def failed(self, badge: str, address: str) -> None:
        now = self._now()
        if len(self._entries) >= self.MAX_ENTRIES:
            self._prune(now)
        badge_key, address_key = self._keys(badge, address)
        limits = ((badge_key, self.badge_limit), (address_key, self.address_limit))
        for (kind, key), limit in limits:
            entry = self._entry(kind, key) or self._entries.setdefault((kind, key), _Failures())
            if entry.locked_until and entry.locked_until <= now:
                entry.count, entry.locked_until = 0, 0.0  # the lock ran out: count again
            entry.count += 1
            entry.last = now
            if entry.count >= limit:
                seconds = min(self.lock_seconds * 2 ** min(entry.locks, 16), self.max_lock_seconds)
                entry.locked_until = now + seconds
                entry.locks += 1

    def succeeded(self, badge: str, address: str) -> None:
        self._entries.pop(self._keys(badge, address)[0], None)

    def _prune(self, now: float) -> None:
        for key, entry in list(self._entries.items()):
            if entry.locked_until <= now:
                del self._entries[key]
        while len(self._entries) >= self.MAX_ENTRIES:  # all locked: drop the oldest
            del self._entries[next(iter(self._entries))]
