"""A mid-size plant made fast: bulk inserts on top of the demo plant (a few thousand
employees, assessments, defects and ledger rows, spread over teams, stations, states,
sources, suppliers and the campaign's dates), for the plant-scale read tests and bench/.

Deterministic (a seeded random), the same rows on both engines. Rows go in with
multi-row INSERTs, not through the services: this is data to read, not a workflow.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from models import Campaign, Defect, Employee, LedgerEntry, Station, Supplier, Team, db
from models.assessments import Assessment
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES, STATUSES

BATCH = 500
DEPARTMENTS = ("Manufacturing", "Quality", "R&D", "Purchasing", "PMC", "HR", "Logistics")


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        model.insert_many(rows[start : start + BATCH]).execute()


def grow_plant(
    *,
    employees: int = 600,
    defects: int = 3000,
    ledger: int = 4000,
    seed: int = 16,
    crowded_team: str | None = None,
) -> None:
    """Add this many employees (about half with an assessment), defects and ledger rows to
    the demo plant bound now. `crowded_team` (a team code) gets a third of the defects."""
    rng = random.Random(seed)
    with db.connection() as database, database.atomic():
        campaign = Campaign.get(Campaign.active)
        start = datetime.combine(campaign.starts_on, datetime.min.time(), tzinfo=UTC)
        days = (campaign.ends_on - campaign.starts_on).days + 1
        teams = list(Team.select().where(Team.kind == "line").order_by(Team.id))
        stations = list(Station.select().order_by(Station.id))
        suppliers = [s.id for s in Supplier.select().order_by(Supplier.id)] + [None]
        crowded = next((t for t in teams if t.code == crowded_team), None)

        people = [
            {
                "badge_code": f"P{n:05d}",
                "name": f"Person {rng.choice('ABCDEFGH')}{n:05d}",
                "department": rng.choice(DEPARTMENTS),
                "team": rng.choice([*teams, None]),
                "role": "operator",
                "active": rng.random() > 0.05,
            }
            for n in range(employees)
        ]
        _insert(Employee, people)
        staff = [e.id for e in Employee.select(Employee.id).order_by(Employee.id)]

        attempts = []
        for person in rng.sample(staff, len(staff) // 2):
            for _ in range(rng.choice((1, 1, 2, 3))):
                began = start + timedelta(minutes=rng.randrange(days * 1440))
                finished = rng.random() > 0.1
                score = rng.randrange(0, 11)
                attempts.append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128)),
                        "employee": person,
                        "campaign": campaign.id if rng.random() > 0.1 else None,
                        "item_count": 10,
                        "pass_mark_percent": 80,
                        "started_at": (began),
                        "finished_at": (began + timedelta(minutes=9)) if finished else None,
                        "score": score if finished else None,
                        "passed": (score >= 8) if finished else None,
                    }
                )
        # one unfinished attempt per person at most (a partial unique index)
        seen: set[int] = set()
        for attempt in attempts:
            if attempt["finished_at"] is None:
                if attempt["employee"] in seen:
                    attempt["finished_at"] = attempt["started_at"] + timedelta(minutes=9)
                    attempt["score"], attempt["passed"] = 3, False
                seen.add(attempt["employee"])
        _insert(Assessment, attempts)

        rows = []
        for n in range(defects):
            station = rng.choice(stations)
            team = crowded if crowded is not None and n % 3 == 0 else rng.choice(teams)
            reported = start + timedelta(minutes=rng.randrange(-20 * 1440, days * 1440))
            # most defects of a running plant are closed
            status = rng.choices(STATUSES, weights=(10, 8, 7, 10, 65))[0]
            due = reported + timedelta(hours=rng.choice((4, 24, 48, 72)))
            fixed = reported + timedelta(hours=rng.randrange(1, 60))
            verified = fixed + timedelta(hours=rng.randrange(0, 30))
            source = rng.choice(SOURCES)
            rows.append(
                {
                    "id": uuid.UUID(int=rng.getrandbits(128)),
                    "campaign": campaign.id if rng.random() > 0.1 else None,
                    "station": station.id,
                    "line": station.line_id,
                    "team": team.id,
                    "reporter": rng.choice(staff),
                    "category": rng.choice(CATEGORIES_5M1E),
                    "severity": rng.choice(SEVERITIES),
                    "source": source,
                    "supplier": rng.choice(suppliers) if source == "incoming_material" else None,
                    "lot": f"LOT-{rng.randrange(40):03d}" if rng.random() > 0.3 else None,
                    "description": f"synthetic defect {n}",
                    "status": status,
                    "reported_at": (reported),
                    "due_at": (due),
                    "updated_at": (reported),
                    "fixed_at": (fixed) if status in ("fixed", "verified", "closed") else None,
                    "verified_at": (verified) if status in ("verified", "closed") else None,
                    "closed_at": (verified) if status == "closed" else None,
                }
            )
        _insert(Defect, rows)

        entries = []
        kinds = ("ontime:", "overdue:", "report:", "proposal:")
        for n in range(ledger):
            kind = rng.choice(kinds)
            amount = -rng.randrange(1, 6) if kind == "overdue:" else rng.randrange(1, 11)
            at = start + timedelta(minutes=rng.randrange(-5 * 1440, days * 1440))
            entries.append(
                {
                    "campaign": campaign.id if rng.random() > 0.05 else None,
                    "team": rng.choice(teams).id,
                    "employee": rng.choice(staff) if rng.random() > 0.2 else None,
                    "amount": amount,
                    "reason": "synthetic",
                    "cause_type": "synthetic",
                    "cause_id": str(n),
                    "idempotency_key": f"{kind}synthetic-{seed}-{n}",
                    "created_at": (at),
                }
            )
        _insert(LedgerEntry, entries)
