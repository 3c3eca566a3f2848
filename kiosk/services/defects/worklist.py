"""The worklist behind F5: defects by state (open, fixed, verified, closed, all), of one team or of
all teams, found by id or station, one page at a time with the count of all that match.

A closed defect is reachable here, so a supervisor can open it and mark it typical.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple, cast

from peewee import JOIN, SQL, Case, Cast, Field, Select, fn

from kiosk.caller import Caller
from kiosk.errors import ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.defects.defect_states import OPEN_STATUSES
from kiosk.services.platform import uow
from kiosk.services.platform.text import clean_text
from models import Defect, DefectProgress, Station, Team, db
from models.defects import STATUSES
from models.totals import DefectTeamStatus

PAGE_SIZE = 25  # a tablet screen's rows; the worklist screen asks for the rows it shows
SEARCH_MAX = 32
FILTERS: dict[str, tuple[str, ...]] = {
    "open": (*OPEN_STATUSES, "verified"),  # not closed yet: verified ones await closing
    "fixed": ("fixed",),  # fixed, awaiting verification: what a leader goes to verify
    "verified": ("verified",),
    "closed": ("closed",),
    "all": STATUSES,
}
FILTER_TITLES = {
    "open": N_("open (not closed)"),
    "fixed": N_("fixed (awaiting verification)"),
    "verified": N_("verified"),
    "closed": N_("closed"),
    "all": N_("all states"),
}
_HEX = re.compile(r"^[0-9a-f]{4,8}$")
# written with literals, as in the worklist index of schema step 17 (an engine matches an
# indexed expression only when the query spells it the same way)
VERIFIED_LAST = Case(None, [(Defect.status == SQL("'verified'"), SQL("1"))], SQL("0"))


class WorkItem(NamedTuple):
    """One row of the page (a named tuple: built 25 times a read, at a fifth of the cost of
    a frozen dataclass; as immutable)."""

    id: str
    short_id: str
    station_code: str
    team_name: str
    category: str
    severity: str
    status: str
    description: str
    due_at: datetime
    seconds_left: int
    last_progress: str
    last_progress_at: datetime | None


@dataclass(frozen=True)
class WorklistPage:
    items: tuple[WorkItem, ...]
    total: int  # every defect that matches, counted in SQL
    offset: int
    limit: int

    @property
    def first(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.offset + len(self.items)


def next_filter(current: str) -> str:
    names = list(FILTERS)
    return names[(names.index(current) + 1) % len(names)] if current in FILTERS else "open"


@uow.read
def _newest_post(column: Field) -> Select:
    """`column` of the defect's newest progress post (NULL when it has none), as a
    subquery of the page's own select: an index lookup for each row shown."""
    return (
        DefectProgress.select(column)
        .where(DefectProgress.defect == Defect.id)
        .order_by(DefectProgress.at.desc(), DefectProgress.id.desc())
        .limit(1)
    )


def _newest_post_id() -> Case:
    """The id of the defect's newest post, NULL when it has none (then nothing is sorted)."""
    posts = DefectProgress.alias("posts")
    has_posts = fn.EXISTS(posts.select(SQL("1")).where(posts.defect == Defect.id))
    return Case(None, [(has_posts, _newest_post(DefectProgress.id))])


@functools.lru_cache(maxsize=128)
def _page_sql(
    postgresql: bool, state: str, team_id: int | None, wanted: str, offset: int, limit: int
) -> tuple[str, tuple[object, ...], str, tuple[object, ...]]:
    """The count's and the page's SQL and parameters, compiled once per engine and request:
    a kiosk's worklist asks the same again every few seconds, and building the Peewee
    queries cost more than running them (a page of 50 rows read by index)."""
    where = Defect.status.in_(FILTERS[state])
    if state == "open":  # the worklist index's own condition, so both engines can use it
        where &= Defect.status != SQL("'closed'")
    if team_id is not None:
        where &= Defect.team == team_id
    if wanted:
        matches = Station.code.contains(wanted.upper())
        prefix = wanted.lower().replace("-", "")
        if _HEX.match(prefix):
            matches |= Cast(Defect.id, "text").startswith(prefix)
        where &= matches
    # unless searched, the count is read from the defects per team and status that the
    # database keeps (schema step 20): a few rows, however long the team's backlog; a
    # search counts the defects it matches (every defect has its station and team)
    counted: Select
    if wanted:
        counted = Defect.select(fn.COUNT(SQL("*"))).join(Station).where(where)
    else:
        kept = DefectTeamStatus.status.in_(FILTERS[state])
        if team_id is not None:
            kept &= DefectTeamStatus.team_id == team_id
        total = fn.COALESCE(fn.SUM(DefectTeamStatus.defects), 0)
        counted = DefectTeamStatus.select(total).where(kept)
    count_sql, count_params = counted.sql()
    order = (
        (VERIFIED_LAST, Defect.due_at, Defect.reported_at)
        if state == "open"
        else (Defect.reported_at.desc(), Defect.id)
    )
    columns = [
        Defect.id,
        Station.code,
        Team.name,
        Defect.category,
        Defect.severity,
        Defect.status,
        Defect.description,
        Defect.due_at,
    ]
    newest = DefectProgress.alias("newest")
    page = (
        Defect.select(*columns, _newest_post(DefectProgress.text), _newest_post(DefectProgress.at))
        if postgresql
        # SQLite opens a sorter for each subquery and row, posts or none (about 1 µs a row):
        # one finds the newest post's id, only for a defect that has posts (an index probe
        # says so), and the post is read by its key
        else Defect.select(*columns, newest.text, newest.at).join(
            newest, JOIN.LEFT_OUTER, on=(newest.id == _newest_post_id())
        )
    )
    page = (
        page.switch(Defect)
        .join(Station, on=(Defect.station == Station.id))
        .switch(Defect)
        .join(Team, on=(Defect.team == Team.id))
        .where(where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    page_sql, page_params = page.sql()
    return count_sql, tuple(count_params), page_sql, tuple(page_params)


def worklist_page(
    caller: Caller,
    team_id: int | None,
    *,
    state: str = "open",
    search: str = "",
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> WorklistPage:
    """One page of defects of a team (all teams when None) in a state, matching a search
    (a defect id's first characters or part of a station code). Open defects come with the
    least time left first, the others newest first."""
    if state not in FILTERS:
        raise ValidationFailed({"state": _("Choose open, fixed, verified, closed or all.")})
    now = caller.now()
    offset, limit = max(0, offset), max(1, min(limit, 200))
    wanted = clean_text(search or "")[:SEARCH_MAX]
    count_sql, count_params, page_sql, page_params = _page_sql(
        db.is_postgresql(), state, team_id, wanted, offset, limit
    )
    database = db.database_proxy  # Peewee runs it (and logs it: tests read the plans)
    total = int(database.execute_sql(count_sql, count_params).fetchone()[0])
    rows = database.execute_sql(page_sql, page_params).fetchall()
    make, from_text = WorkItem._make, datetime.fromisoformat
    items = []
    for raw, station, team, category, severity, status, text, due, last_text, last in rows:
        item_id = _id_text(raw)
        try:  # SQLite: naive UTC text, as UTCDateTimeField writes it (as _utc reads it)
            due_at = from_text(due + "+00:00") if due.__class__ is str else _utc_due(due)
        except ValueError:
            due_at = _utc_due(due)
        left = int((due_at - now).total_seconds())
        item = (item_id, item_id[:8], station, team, category, severity, status, text, due_at)
        items.append(make(item + (left, last_text or "", None if last is None else _utc(last))))
    return WorklistPage(tuple(items), total, offset, limit)


# Each row's values are made here from the driver's own values rather than through the
# fields' python_value (a page of 25 rows spent most of its time there on SQLite): the
# same values, by the same rules, without Peewee's steps around them.
_AS_ID = Defect.id.python_value
_AS_TIME = Defect.due_at.python_value


def _id_text(value: object) -> str:
    """A defect id as text, as `str(UUIDField.python_value(value))` makes it: SQLite keeps
    the 32 hex digits that UUIDField writes, PostgreSQL hands back a UUID."""
    if isinstance(value, str) and len(value) == 32:
        h = value.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(_AS_ID(value))


def _utc_due(value: object) -> datetime:
    return cast(datetime, _utc(value))  # a due time is never NULL


def _utc(value: object) -> datetime | None:
    """A stored time as UTCDateTimeField.python_value reads it (aware, UTC): PostgreSQL's
    driver hands back a datetime; SQLite keeps text, which Peewee reads first with
    `datetime.fromisoformat` too. Anything else is left to the field itself."""
    if isinstance(value, str):
        try:  # as UTCDateTimeField writes it (naive UTC): read as UTC at once
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
        try:  # with an offset of its own, or a date alone
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return _AS_TIME(value)
    elif isinstance(value, datetime):
        parsed = value
    else:  # None, or what the field must judge
        return None if value is None else _AS_TIME(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
