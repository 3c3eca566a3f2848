"""A plant-sized data set on top of the demo plant (`kiosk demo --scale plant|N`).

At scale 1 ("plant"): 2,000 active employees, 4,000 finished assessments, 50,000 defects
in the active campaign and 1,000,000 ledger rows spread over three past campaigns and the
active one; `--scale 0.1` makes a tenth of it. Teams, lines, stations, statuses, dates
inside each campaign, assessments, contests, proposals and anomaly history are spread the
way a plant's are (a fixed random seed: the same scale makes the same plant).

Rows go in with bulk inserts (thousands a statement). Points go through the ledger's bulk
path (ledger.write_awards), so every row is hash-chained and the team totals are kept by
the database: `kiosk ledger verify` passes on the result. The demo's codes (badges,
stations, PINs) still work: the demo plant is seeded first and kept.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from peewee import Field, Model

from kiosk.caller import Caller
from kiosk.errors import ServiceError
from kiosk.i18n import _
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.plant.demo import DEMO_PIN, seed_demo_plant
from kiosk.services.platform import ledger, uow
from kiosk.services.platform.auth import hash_pin
from kiosk.services.platform.uow import transaction
from models import (
    Campaign,
    Defect,
    DefectEvent,
    Employee,
    LedgerEntry,
    ProductionLine,
    Station,
    Supplier,
    Team,
    db,
)
from models.anomalies import AnomalyHistory
from models.assessments import Assessment
from models.contests import Contest, ContestEntry
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES
from models.proposals import Proposal

# the plant at scale 1
PLANT = {
    "employees": 2_000,
    "assessments": 4_000,
    "defects": 50_000,
    "ledger_rows": 1_000_000,
    "teams": 40,
    "proposals": 2_000,
    "contests": 20,
}
PAST_CAMPAIGNS = 3
ACTIVE_SHARE = 0.4  # of the ledger rows, the rest spread evenly over the past campaigns
STATIONS_PER_LINE = 6
ANOMALY_MONTHS = 24
MEMBERS_AT_LEAST = 3  # people in a new team, whatever the scale
BADGE_PREFIX = "P"  # the plant-scale people: P00001...

Progress = Callable[[str, int, int], None]  # (what, done, of)


@dataclass(frozen=True)
class PlantSummary:
    employees: int  # active
    teams: int  # active line teams
    campaigns: int
    defects: int  # in the active campaign
    assessments: int  # finished
    proposals: int
    contests: int
    ledger_rows: int


def parse_scale(text: str) -> float:
    """`plant` is 1; otherwise a positive multiple of the plant (0.01, 0.1, 2...)."""
    if text.strip().lower() == "plant":
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 10:
        raise ServiceError(
            _("--scale is `plant` or a number above 0 and at most 10, not {text!r}.", text=text)
        )
    return scale


def _count(name: str, scale: float, least: int = 1) -> int:
    return max(least, round(PLANT[name] * scale))


def _insert(
    model: type[Model], fields: Sequence[Field[Any]], rows: Sequence[tuple[object, ...]]
) -> None:
    """Insert rows thousands per statement (inside the caller's transaction)."""
    db.insert_rows(model, fields, rows)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _spread(start: datetime, end: datetime, count: int, rng: random.Random) -> Iterator[datetime]:
    """`count` moments from start to end in order, evenly with a little jitter."""
    span = max((end - start).total_seconds(), 60.0)
    step = span / max(count, 1)
    for number in range(count):
        yield start + timedelta(seconds=min(span, (number + rng.random()) * step))


def seed_plant(caller: Caller, scale: float, progress: Progress | None = None) -> PlantSummary:
    """Seed the demo plant, then grow it to `scale` times a plant (see the module). The
    caller is the system's (no actor): its clock places the plant's history.

    Inline transactions, not one unit of work: a plant-scale data set is written in a
    few steps, and its ledger in batches of LEDGER_TRANSACTION rows, each committed on
    its own (one transaction over millions of rows would hold the write lock for
    minutes and keep every row's undo until the end)."""
    report = progress or (lambda what, done, of: None)
    seed_demo_plant(caller)
    if _already_scaled():
        raise ServiceError(
            _(
                "This database already holds a plant-scale data set: give `kiosk demo --scale` "
                "another --db."
            )
        )
    rng = random.Random(16)
    now = caller.now()
    with transaction():
        plant = _Plant.build(scale, now, rng)
    report("people", 1, 1)
    with transaction():
        outcomes = _defects(plant, _count("defects", scale) - plant.demo_defects, report)
    with transaction():
        _assessments(plant, _count("assessments", scale))
        accepted = _proposals(plant, _count("proposals", scale))
        _contests(plant, _count("contests", scale))
        _anomalies(plant)
    _ledger(plant, _count("ledger_rows", scale), outcomes + accepted, report)
    return plant_summary()


@uow.read
def _already_scaled() -> bool:
    return Employee.select().where(Employee.badge_code.startswith(BADGE_PREFIX)).exists()


@uow.read
def plant_summary() -> PlantSummary:
    active = active_campaign_row()
    return PlantSummary(
        employees=Employee.select().where(Employee.active).count(),
        teams=Team.select().where(Team.active & (Team.kind == "line")).count(),
        campaigns=Campaign.select().count(),
        defects=Defect.select().where(Defect.campaign == active).count() if active else 0,
        assessments=Assessment.select().where(Assessment.finished_at.is_null(False)).count(),
        proposals=Proposal.select().count(),
        contests=Contest.select().count(),
        ledger_rows=LedgerEntry.select().count(),
    )


@dataclass
class _Plant:
    rng: random.Random
    now: datetime
    active: Campaign
    active_start: datetime
    past: list[tuple[Campaign, datetime, datetime]]  # (campaign, first moment, last)
    members: dict[int, list[int]]  # line team id -> its active employees
    leaders: dict[int, int]  # line team id -> a leader of it
    supervisors: list[int]
    stations: list[tuple[int, int, int]]  # (station, line, team)
    suppliers: list[int]
    demo_defects: int

    @classmethod
    def build(cls, scale: float, now: datetime, rng: random.Random) -> _Plant:
        active = active_campaign_row()
        assert active is not None, "the demo plant (and its active campaign) comes first"
        pin = hash_pin(DEMO_PIN)
        teams = _count("teams", scale)
        employees = max(  # the demo's people count; each new team has a few people at least
            _count("employees", scale) - Employee.select().where(Employee.active).count(),
            MEMBERS_AT_LEAST * teams,
        )
        _insert(
            Team,
            (Team.code, Team.name),
            [(f"PT{n:03d}", f"Plant team {n:03d}") for n in range(1, teams + 1)],
        )
        new_teams = list(
            db.tuples(Team.select(Team.id).where(Team.code.startswith("PT")).order_by(Team.id))
        )
        lines = [
            (f"PL{n:03d}", f"Plant line {n:03d}", team) for n, (team,) in enumerate(new_teams, 1)
        ]
        _insert(
            ProductionLine, (ProductionLine.code, ProductionLine.name, ProductionLine.team), lines
        )
        _insert(
            Station,
            (Station.code, Station.name, Station.line),
            [
                (f"{code}-S{number:02d}", f"Station {number}", line_id)
                for line_id, code in db.tuples(
                    ProductionLine.select(ProductionLine.id, ProductionLine.code).where(
                        ProductionLine.code.startswith("PL")
                    )
                )
                for number in range(1, STATIONS_PER_LINE + 1)
            ],
        )
        people = []
        for number in range(1, employees + 1):
            team = new_teams[(number - 1) % len(new_teams)][0]
            first_of_team = number <= len(new_teams)
            role = (
                "team_leader" if first_of_team else "supervisor" if number % 97 == 0 else "operator"
            )
            people.append(
                (
                    f"{BADGE_PREFIX}{number:05d}",
                    f"Employee {number:05d}",
                    "Quality" if number % 23 == 0 else "Manufacturing",
                    team,
                    role,
                    pin if role != "operator" else None,
                )
            )
        _insert(
            Employee,
            (
                Employee.badge_code,
                Employee.name,
                Employee.department,
                Employee.team,
                Employee.role,
                Employee.pin_hash,
            ),
            people,
        )
        members: dict[int, list[int]] = {}
        leaders: dict[int, int] = {}
        supervisors = []
        for employee_id, team_id, role in db.tuples(
            Employee.select(Employee.id, Employee.team, Employee.role)
            .join(Team, on=Employee.team == Team.id)
            .where(Employee.active & (Team.kind == "line"))
            .order_by(Employee.id)
        ):
            members.setdefault(team_id, []).append(employee_id)
            if role == "team_leader":
                leaders.setdefault(team_id, employee_id)
            elif role in ("supervisor", "quality_admin"):
                supervisors.append(employee_id)
        for team_id, team_members in members.items():
            leaders.setdefault(team_id, team_members[0])
        stations = list(
            db.tuples(
                Station.select(Station.id, Station.line, ProductionLine.team).join(ProductionLine)
            )
        )
        past = []
        month_start = active.starts_on
        for number in range(PAST_CAMPAIGNS, 0, -1):
            first = month_start
            for _month in range(number * 3):  # a campaign every quarter before the active one
                first = (first - timedelta(days=1)).replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            campaign = Campaign.create(
                name=f"{first.year} campaign {first:%B}",
                starts_on=first,
                ends_on=last,
                active=False,
            )
            past.append((campaign, _utc_midnight(first), _utc_midnight(last) + timedelta(hours=23)))
        return cls(
            rng=rng,
            now=now,
            active=active,
            active_start=min(_utc_midnight(active.starts_on), now - timedelta(hours=1)),
            past=past,
            members=members,
            leaders=leaders,
            supervisors=supervisors or [next(iter(leaders.values()))],
            stations=stations,
            suppliers=[supplier for (supplier,) in db.tuples(Supplier.select(Supplier.id))],
            demo_defects=Defect.select().where(Defect.campaign == active).count(),
        )

    def in_active(self) -> datetime:
        return self.active_start + (self.now - self.active_start) * self.rng.random()

    def member(self, team_id: int) -> int:
        return self.rng.choice(self.members.get(team_id) or [self.leaders[team_id]])

    def anyone(self) -> int:
        return self.member(self.rng.choice(list(self.members)))

    def outside_leader(self, team_id: int) -> int:
        while True:
            other = self.rng.choice(list(self.leaders))
            if other != team_id or len(self.leaders) == 1:
                return self.leaders[other]


STATUS_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("reported", 25),
    ("in_progress", 15),
    ("fixed", 15),
    ("verified", 35),
)
STATUS_WEIGHTS += (("closed", 10),)

DEFECT_FIELDS = (
    Defect.id,
    Defect.campaign,
    Defect.station,
    Defect.line,
    Defect.team,
    Defect.reporter,
    Defect.category,
    Defect.severity,
    Defect.source,
    Defect.supplier,
    Defect.description,
    Defect.status,
    Defect.reported_at,
    Defect.due_at,
    Defect.updated_at,
    Defect.fixed_by,
    Defect.fixed_at,
    Defect.verified_by,
    Defect.verified_at,
    Defect.closed_at,
    Defect.terminal,
)
EVENT_FIELDS = (
    DefectEvent.defect,
    DefectEvent.actor,
    DefectEvent.at,
    DefectEvent.from_status,
    DefectEvent.to_status,
    DefectEvent.note,
)
DEFECT_CHUNK = 5_000


def _defects(plant: _Plant, count: int, report: Progress) -> list[tuple[ledger.Award, datetime]]:
    """The active campaign's defects, each with its events; returns the on-time and
    overdue awards their outcomes earn (written with the rest of the ledger)."""
    rng, campaign = plant.rng, plant.active
    window = timedelta(hours=campaign.correction_window_hours)
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    outcomes: list[tuple[ledger.Award, datetime]] = []
    done = 0
    while done < count:
        defects: list[tuple[object, ...]] = []
        events: list[tuple[object, ...]] = []
        for _row in range(min(DEFECT_CHUNK, count - done)):
            station, line, team = rng.choice(plant.stations)
            reported = plant.in_active()
            due = reported + window
            status = rng.choice(statuses)
            fixed_at = reported + timedelta(hours=rng.uniform(1, 60))
            verified_at = fixed_at + timedelta(hours=rng.uniform(0.5, 8))
            closed_at = verified_at + timedelta(hours=rng.uniform(1, 24))
            if status in ("fixed", "verified", "closed") and fixed_at > plant.now:
                status = "in_progress"
            if status in ("verified", "closed") and verified_at > plant.now:
                status = "fixed"
            if status == "closed" and closed_at > plant.now:
                status = "verified"
            fixed = status in ("fixed", "verified", "closed")
            verified = status in ("verified", "closed")
            defect_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            source = rng.choice(SOURCES)
            fixer = plant.member(team) if fixed else None
            verifier = plant.outside_leader(team) if verified else None
            updated = closed_at if status == "closed" else verified_at if verified else reported
            defects.append(
                (
                    defect_id,
                    campaign.id,
                    station,
                    line,
                    team,
                    plant.anyone(),
                    rng.choice(CATEGORIES_5M1E),
                    rng.choices(SEVERITIES, (70, 25, 5))[0],
                    source,
                    rng.choice(plant.suppliers) if source == "incoming_material" else None,
                    f"Plant-scale sample defect {done + len(defects) + 1}",
                    status,
                    reported,
                    due,
                    fixed_at if status == "fixed" else updated,
                    fixer,
                    fixed_at if fixed else None,
                    verifier,
                    verified_at if verified else None,
                    closed_at if status == "closed" else None,
                    "scale",
                )
            )
            events.append((defect_id, None, reported, None, "reported", "reported"))
            if fixed:
                events.append((defect_id, fixer, fixed_at, "reported", "fixed", "fixed"))
            if verified:
                events.append((defect_id, verifier, verified_at, "fixed", "verified", "verified"))
            if status == "closed":
                events.append((defect_id, verifier, closed_at, "verified", "closed", "closed"))
            outcome = None
            if verified and verified_at <= due:
                outcome = ("ontime", campaign.ontime_points, "corrected on time", verified_at)
            elif due <= plant.now:
                outcome = ("overdue", campaign.late_points, "not corrected within the window", due)
            if outcome:
                key, amount, said, at = outcome
                on_time = key == "ontime"
                award = ledger.Award(
                    team_id=team,
                    amount=amount,
                    reason=f"defect {str(defect_id)[:8]} {said}",
                    cause_type="defect",
                    cause_id=str(defect_id),
                    idempotency_key=f"{key}:{defect_id}",
                    employee_id=fixer if on_time else None,
                    created_by_id=verifier if on_time else None,
                    campaign_id=campaign.id,
                )
                outcomes.append((award, at))
        _insert(Defect, DEFECT_FIELDS, defects)
        _insert(DefectEvent, EVENT_FIELDS, events)
        done += len(defects)
        report("defects", done, count)
    return outcomes


def _assessments(plant: _Plant, count: int) -> None:
    campaign, rng = plant.active, plant.rng
    rows = []
    items = campaign.assessment_items
    for started in _spread(plant.active_start, plant.now, count, rng):
        score = min(items, max(0, round(rng.gauss(items * 0.85, items * 0.12))))
        rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                plant.anyone(),
                campaign.id,
                items,
                campaign.pass_mark_percent,
                started,
                min(plant.now, started + timedelta(minutes=rng.uniform(4, 20))),
                score,
                score * 100 >= campaign.pass_mark_percent * items,
                "scale",
            )
        )
    _insert(
        Assessment,
        (
            Assessment.id,
            Assessment.employee,
            Assessment.campaign,
            Assessment.item_count,
            Assessment.pass_mark_percent,
            Assessment.started_at,
            Assessment.finished_at,
            Assessment.score,
            Assessment.passed,
            Assessment.terminal,
        ),
        rows,
    )


def _proposals(plant: _Plant, count: int) -> list[tuple[ledger.Award, datetime]]:
    campaign, rng = plant.active, plant.rng
    rows, awards = [], []
    for number, submitted in enumerate(_spread(plant.active_start, plant.now, count, rng), 1):
        team = rng.choice(list(plant.members))
        submitter = plant.member(team)
        status = rng.choices(("accepted", "rejected", "submitted"), (50, 20, 30))[0]
        reviewed = min(plant.now, submitted + timedelta(hours=rng.uniform(2, 72)))
        reviewer = rng.choice(plant.supervisors) if status != "submitted" else None
        points = rng.randint(campaign.proposal_points_min, campaign.proposal_points_max)
        proposal_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append(
            (
                proposal_id,
                campaign.id,
                submitter,
                team,
                f"Improvement {number}",
                "A recurring problem at the station.",
                "A change to the work instruction.",
                "Fewer defects.",
                status,
                submitted,
                reviewer,
                reviewed if reviewer else None,
                points if status == "accepted" else None,
                "scale",
            )
        )
        if status == "accepted":
            awards.append(
                (
                    ledger.Award(
                        team_id=team,
                        amount=points,
                        reason=f"proposal accepted: Improvement {number}",
                        cause_type="proposal",
                        cause_id=str(proposal_id),
                        idempotency_key=f"proposal:{proposal_id}",
                        employee_id=submitter,
                        created_by_id=reviewer,
                        campaign_id=campaign.id,
                    ),
                    reviewed,
                )
            )
    _insert(
        Proposal,
        (
            Proposal.id,
            Proposal.campaign,
            Proposal.submitter,
            Proposal.team,
            Proposal.title,
            Proposal.problem,
            Proposal.proposal,
            Proposal.benefit,
            Proposal.status,
            Proposal.submitted_at,
            Proposal.reviewed_by,
            Proposal.reviewed_at,
            Proposal.points,
            Proposal.terminal,
        ),
        rows,
    )
    return awards


def _contests(plant: _Plant, count: int) -> None:
    """Finished knowledge contests over the past campaigns, between the line teams."""
    rng = plant.rng
    for number in range(1, count + 1):
        campaign, start, end = plant.past[number % len(plant.past)]
        created = start + (end - start) * rng.random()
        host = rng.choice(plant.supervisors)
        contest = Contest.create(
            name=f"Knowledge contest {number}",
            campaign=campaign,
            status="finished",
            correct_points=campaign.contest_correct_points,
            wrong_points=campaign.contest_wrong_points,
            host=host,
            created_at=created,
            finished_at=created + timedelta(hours=1),
            finished_by=host,
        )
        teams = rng.sample(list(plant.members), min(4, len(plant.members)))
        _insert(
            ContestEntry,
            (ContestEntry.contest, ContestEntry.team, ContestEntry.position),
            [(contest.id, team, position) for position, team in enumerate(teams, 1)],
        )


def _anomalies(plant: _Plant) -> None:
    """Monthly on-site anomaly counts for the two years before the active campaign."""
    rng, month = plant.rng, plant.active.starts_on
    rows = []
    for _month in range(ANOMALY_MONTHS):
        month = (month - timedelta(days=1)).replace(day=1)
        for category in CATEGORIES_5M1E:
            rows.append((f"{month:%Y-%m}", category, rng.randint(2, 40), "scale", plant.now))
    fields = (
        AnomalyHistory.month,
        AnomalyHistory.category,
        AnomalyHistory.count,
        AnomalyHistory.source,
        AnomalyHistory.imported_at,
    )
    AnomalyHistory.insert_many(rows, fields=list(fields)).on_conflict_ignore().execute()


AMOUNTS = (2, 2, 2, 2, 1, 3, 5, -2, -2, -1)
LEDGER_TRANSACTION = 100_000  # ledger rows per transaction while seeding


@uow.read
def _ledger_rows() -> int:
    return LedgerEntry.select().count()


def _ledger(
    plant: _Plant,
    count: int,
    earned: list[tuple[ledger.Award, datetime]],
    report: Progress,
) -> None:
    """The outcomes and awards the seeded rows earned, then sample points spread over the
    past campaigns and the active one up to `count` ledger rows in all."""
    existing = _ledger_rows()
    earned.sort(key=lambda item: item[1])
    room = max(0, count - existing - len(earned))
    active_rows = max(0, round(count * ACTIVE_SHARE) - existing - len(earned))
    active_rows = min(room, active_rows)
    per_past, extra = divmod(room - active_rows, len(plant.past))
    plan = [
        (campaign, start, end, per_past + (1 if number < extra else 0))
        for number, (campaign, start, end) in enumerate(plant.past)
    ]
    plan.append((plant.active, plant.active_start, plant.now, active_rows))
    total = len(earned) + room
    written = 0

    def rows() -> Iterator[tuple[ledger.Award, datetime]]:
        yield from earned
        for campaign, start, end, number in plan:
            teams = list(plant.members)
            for serial, moment in enumerate(_spread(start, end, number, plant.rng)):
                team = plant.rng.choice(teams)
                yield (
                    ledger.Award(
                        team_id=team,
                        amount=plant.rng.choice(AMOUNTS),
                        reason="plant-scale sample points",
                        cause_type="sample",
                        cause_id=str(serial),
                        idempotency_key=f"sample:{campaign.id}:{serial}",
                        employee_id=plant.member(team),
                        campaign_id=campaign.id,
                    ),
                    moment,
                )

    source = rows()
    while written < total:
        batch = []
        for item in source:
            batch.append(item)
            if len(batch) == LEDGER_TRANSACTION:
                break
        if not batch:
            break
        with transaction():  # a batch: see seed_plant
            ledger.write_awards(batch)
        written += len(batch)
        report("ledger", written, total)
