"""The worklist behind F5: defects by state (open, fixed, verified, closed, all), of one team or of
all teams, found by id or station, one page at a time with the count of all that match.

A closed defect is reachable here, so a supervisor can open it and mark it typical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from peewee import SQL, Case, Cast

from kiosk.caller import Caller
from kiosk.errors import ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.defects.defect_states import OPEN_STATUSES
from kiosk.services.platform import uow
from kiosk.services.platform.text import clean_text
from models import Defect, DefectProgress, Station, Team
from models.defects import STATUSES

PAGE_SIZE = 50
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


@dataclass(frozen=True)
class WorkItem:
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
    base = (
        Defect.select(
            Defect.id,
            Station.code,
            Team.name,
            Defect.category,
            Defect.severity,
            Defect.status,
            Defect.description,
            Defect.due_at,
        )
        .join(Station, on=(Defect.station == Station.id))
        .switch(Defect)
        .join(Team, on=(Defect.team == Team.id))
        .where(where)
    )
    # counted from the defects alone unless a station code is searched (every defect has
    # its station and team), so an index answers it without reading the rows
    total = (base if wanted else Defect.select(Defect.id).where(where)).count()
    order = (
        (VERIFIED_LAST, Defect.due_at, Defect.reported_at)
        if state == "open"
        else (Defect.reported_at.desc(), Defect.id)
    )
    defects = list(base.order_by(*order).offset(offset).limit(limit))
    latest: dict[str, DefectProgress] = {}
    if defects:
        posts = (
            DefectProgress.select()
            .where(DefectProgress.defect.in_([d.id for d in defects]))
            .order_by(DefectProgress.at)
        )
        for post in posts:
            latest[str(post.defect_id)] = post
    items = []
    for defect in defects:
        last = latest.get(str(defect.id))
        items.append(
            WorkItem(
                id=str(defect.id),
                short_id=str(defect.id)[:8],
                station_code=defect.station.code,
                team_name=defect.team.name,
                category=defect.category,
                severity=defect.severity,
                status=defect.status,
                description=defect.description,
                due_at=defect.due_at,
                seconds_left=int((defect.due_at - now).total_seconds()),
                last_progress=last.text if last else "",
                last_progress_at=last.at if last else None,
            )
        )
    return WorklistPage(tuple(items), total, offset, limit)
