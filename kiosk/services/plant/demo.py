"""The demo plant: a charging-pile maker's Quality Month (the current month), ready to try."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from kiosk.caller import Caller
from kiosk.clock import to_local
from kiosk.errors import ServiceError
from kiosk.i18n import _
from kiosk.services.lines.checklists import load_default_checklist
from kiosk.services.plant import plant
from kiosk.services.plant.campaigns import active_campaign_row
from kiosk.services.plant.stations import make_payload
from kiosk.services.platform import ledger, uow
from kiosk.services.platform.auth import hash_pin
from kiosk.services.training.training import load_question_bank
from models import (
    Campaign,
    Defect,
    DefectEvent,
    Department,
    Employee,
    ProductionLine,
    Station,
    Supplier,
    Team,
)
from models.contests import ContestTeamMember

DEMO_PIN = "1234"

TEAMS = [
    ("T1", "Line 1 Team (AC chargers)"),
    ("T2", "Line 2 Team (DC fast chargers)"),
    ("T3", "Line 3 Team (SMT & soldering)"),
    ("T4", "Quality Inspection Team"),
    ("T5", "Production Technology Team"),
    ("T6", "Incoming Material Team"),
]

LINES = [
    (
        "L1",
        "AC Charger Assembly",
        "T1",
        [
            "Cable harness crimping",
            "Main board install",
            "Enclosure sealing",
            "Final function test",
            "Packing",
        ],
    ),
    (
        "L2",
        "DC Fast Charger Assembly",
        "T2",
        [
            "Power module install",
            "Liquid cooling fit",
            "Torque fastening",
            "Hi-pot insulation test",
            "Burn-in",
        ],
    ),
    (
        "L3",
        "Charging Module SMT",
        "T3",
        [
            "Solder paste printing",
            "Pick and place",
            "Reflow oven",
            "AOI inspection",
            "Hand soldering",
        ],
    ),
]

# badge, name, department, team, role
EMPLOYEES = [
    ("E1001", "Zhang Wei", "Manufacturing", "T1", "team_leader"),
    ("E1002", "Li Na", "Manufacturing", "T1", "operator"),
    ("E1003", "Wang Fang", "Manufacturing", "T1", "operator"),
    ("E1004", "Liu Yang", "Manufacturing", "T1", "operator"),
    ("E1005", "Chen Jie", "Manufacturing", "T1", "operator"),
    ("E1006", "Yang Min", "Manufacturing", "T1", "operator"),
    ("E1007", "Zhao Lei", "Manufacturing", "T1", "operator"),
    ("E2001", "Huang Qiang", "Manufacturing", "T2", "team_leader"),
    ("E2002", "Zhou Xiu", "Manufacturing", "T2", "operator"),
    ("E2003", "Wu Hao", "Manufacturing", "T2", "operator"),
    ("E2004", "Xu Jing", "Manufacturing", "T2", "operator"),
    ("E2005", "Sun Tao", "Manufacturing", "T2", "operator"),
    ("E2006", "Ma Lin", "Manufacturing", "T2", "operator"),
    ("E2007", "Zhu Hong", "Manufacturing", "T2", "operator"),
    ("E3001", "Hu Jun", "Manufacturing", "T3", "team_leader"),
    ("E3002", "Guo Mei", "Manufacturing", "T3", "operator"),
    ("E3003", "He Ping", "Manufacturing", "T3", "operator"),
    ("E3004", "Gao Yan", "Manufacturing", "T3", "operator"),
    ("E3005", "Lin Feng", "Manufacturing", "T3", "operator"),
    ("E3006", "Luo Xin", "Manufacturing", "T3", "operator"),
    ("E3007", "Zheng Bo", "Manufacturing", "T3", "operator"),
    ("E4001", "Sun Hongbing", "Quality", "T4", "quality_admin"),
    ("E4002", "Liang Yu", "Quality", "T4", "supervisor"),
    ("E4003", "Song Lei", "Quality", "T4", "team_leader"),
    ("E4004", "Tang Li", "Quality", "T4", "operator"),
    ("E4005", "Han Xue", "Quality", "T4", "operator"),
    ("E4006", "Feng Kai", "Quality", "T4", "operator"),
    ("E5001", "Deng Chao", "Production Technology", "T5", "supervisor"),
    ("E5002", "Cao Ning", "Production Technology", "T5", "team_leader"),
    ("E5003", "Peng Fei", "R&D", "T5", "operator"),
    ("E5004", "Zeng Hui", "R&D", "T5", "operator"),
    ("E5005", "Xiao Ying", "R&D", "T5", "operator"),
    ("E5006", "Tian Rui", "HR", "T5", "operator"),
    ("E6001", "Dong Gang", "Purchasing", "T6", "team_leader"),
    ("E6002", "Yuan Qing", "Purchasing", "T6", "operator"),
    ("E6003", "Pan Lu", "Purchasing", "T6", "operator"),
    ("E6004", "Cai Wen", "PMC", "T6", "operator"),
    ("E6005", "Jiang Tao", "PMC", "T6", "supervisor"),
    ("E6006", "Wei Dan", "HR", "T6", "operator"),
    ("E6007", "Du Shan", "Quality", "T6", "operator"),
]

# code, name: the demo plant's departments (a real plant imports its own)
DEPARTMENTS = [
    ("MFG", "Manufacturing"),
    ("QA", "Quality"),
    ("PT", "Production Technology"),
    ("PUR", "Purchasing"),
    ("RD", "R&D"),
    ("HR", "HR"),
    ("PMC", "PMC"),
]

SUPPLIERS = [
    ("SUP-CN01", "Hunan Copper Terminals Co."),
    ("SUP-CN02", "Shenzhen PCB Works"),
    ("SUP-CN03", "Zhuzhou Enclosure Plastics"),
    ("SUP-CN04", "Changsha Relay & Contactor"),
]

# the plant's September 2025 plan (../shared/reference): (phase, first day, last day);
# None is the month's last day
PHASES = [
    ("Kick-off & awareness", 1, 5),
    ("Implementation & problem-solving", 6, 24),
    ("Culture integration", 1, None),
    ("Summary & standardization", 25, None),
]


# the demo's history (defects, points, proposals) goes back at most this many days
HISTORY_DAYS = 5


def demo_month(today: date) -> tuple[date, date]:
    """The demo's Quality Month: the month of `today`, so a demo tried any day is live.

    Tried in the month's first days it starts HISTORY_DAYS before `today` (in the month
    before), so the demo's history lies inside the campaign whatever the day.
    """
    last = calendar.monthrange(today.year, today.month)[1]
    first = min(today.replace(day=1), today - timedelta(days=HISTORY_DAYS))
    return first, today.replace(day=last)


@dataclass(frozen=True)
class DemoHint:
    """Codes a new user can type at the kiosk to try it."""

    label: str
    code: str


def demo_question_items() -> list[dict[str, object]]:
    text = resources.files("kiosk").joinpath("data/questions.json").read_text(encoding="utf-8")
    items: list[dict[str, object]] = json.loads(text)
    return items


@uow.read
def plant_is_empty() -> bool:
    return not Team.select().exists()


def seed_demo_plant(caller: Caller) -> None:
    """Fill an empty database with the demo plant. Refuses a database that holds a plant.
    The caller is the system's (no actor): its clock places the demo's month."""
    if not plant_is_empty():
        if plant.is_demo_plant():
            _load_demo_data(caller)
            return
        raise ServiceError(
            "This database already holds a plant that is not the demo. "
            "`kiosk demo` only seeds an empty database: give it another --db."
        )
    _seed_plant(caller)
    plant.set_setting(plant.DEMO_PLANT, "1")
    plant.signing_key()
    _load_demo_data(caller)


@uow.write
def _seed_plant(caller: Caller) -> None:
    """The demo plant itself (departments, teams, people, lines, the campaign, defects
    and their points): one write unit."""
    now = caller.now()
    for code, name in DEPARTMENTS:
        Department.create(code=code, name=name)
    teams = {code: Team.create(code=code, name=name) for code, name in TEAMS}
    people = {}
    leader_pin = hash_pin(DEMO_PIN)  # one hash for every demo leader: seeding stays fast
    for badge, name, department, team_code, role in EMPLOYEES:
        people[badge] = Employee.create(
            badge_code=badge,
            name=name,
            department=department,
            team=teams[team_code],
            role=role,
            pin_hash=leader_pin if role != "operator" else None,
        )
    Employee.create(
        badge_code="E9001",
        name="Qian Lost",
        department="Manufacturing",
        team=teams["T1"],
        role="operator",
        active=False,
    )
    stations = {}
    for line_code, line_name, team_code, station_names in LINES:
        line = ProductionLine.create(code=line_code, name=line_name, team=teams[team_code])
        for number, station_name in enumerate(station_names, start=1):
            code = f"{line_code}-S{number:02d}"
            stations[code] = Station.create(code=code, name=station_name, line=line)
    suppliers = {code: Supplier.create(code=code, name=name) for code, name in SUPPLIERS}
    first, last = demo_month(to_local(now).date())
    month = last.replace(day=1)  # the phases' days are the named month's
    campaign = Campaign.create(
        name=f"{last.year} Quality Month: Strive for Zero Defects, Fully Build Reliability",
        starts_on=first,
        ends_on=last,
        active=True,
        phases_json=json.dumps(
            [
                {
                    "name": name,
                    "starts_on": max(first, month.replace(day=start)).isoformat()
                    if start > 1
                    else first.isoformat(),
                    "ends_on": (last if end is None else month.replace(day=end)).isoformat(),
                }
                for name, start, end in PHASES
            ]
        ),
    )
    window = timedelta(hours=campaign.correction_window_hours)

    def defect(
        station: str,
        reporter: str,
        category: str,
        severity: str,
        source: str,
        description: str,
        age: timedelta,
        **extra: object,
    ) -> Defect:
        reported = now - age
        row = Defect.create(
            campaign=campaign,
            station=stations[station],
            line=stations[station].line,
            team=stations[station].line.team,
            reporter=people[reporter],
            category=category,
            severity=severity,
            source=source,
            description=description,
            reported_at=reported,
            due_at=reported + window,
            updated_at=reported,
            terminal="demo",
            **extra,
        )
        DefectEvent.create(
            defect=row,
            actor=people[reporter],
            at=reported,
            to_status="reported",
            note=f"reported at station {station}",
        )
        return row

    defect(
        "L1-S01",
        "E1003",
        "machine",
        "major",
        "inspection",
        "Crimp height out of tolerance on DC+ terminal, 3 of 20 samples.",
        timedelta(hours=5),
    )
    defect(
        "L2-S03",
        "E2004",
        "method",
        "minor",
        "on_site_anomaly",
        "Torque sequence card missing at station; operators tighten from memory.",
        timedelta(hours=20),
    )
    defect(
        "L3-S01",
        "E6002",
        "material",
        "major",
        "incoming_material",
        "Solder paste lot arrived above 10 °C; cold chain label tripped.",
        timedelta(hours=30),
        supplier=suppliers["SUP-CN02"],
        lot="SP-2509-114",
    )
    late = defect(
        "L2-S04",
        "E4004",
        "measurement",
        "critical",
        "inspection",
        "Hi-pot tester calibration sticker expired two weeks ago.",
        timedelta(days=3, hours=4),
    )
    fixed_on_time = [
        defect(
            "L1-S03",
            "E4005",
            "environment",
            "minor",
            "inspection",
            "Sealing area dusty; gasket surfaces contaminated.",
            timedelta(days=2, hours=10),
            status="verified",
            fixed_by=people["E1004"],
            verified_by=people["E2001"],  # a leader from outside Line 1's team
        ),
        defect(
            "L3-S05",
            "E4006",  # Quality took the customer's complaint (not Line 3 about itself)
            "man",
            "major",
            "customer_complaint",
            "Cold solder joints on CP signal connector returned by customer.",
            timedelta(days=4),
            status="verified",
            fixed_by=people["E3004"],
            verified_by=people["E4003"],  # a Quality team leader
        ),
    ]
    for row in fixed_on_time:
        row.fixed_at = row.reported_at + timedelta(hours=20)
        row.verified_at = row.reported_at + timedelta(hours=30)
        row.updated_at = row.verified_at
        row.save()
        DefectEvent.create(
            defect=row,
            actor=row.fixed_by,
            at=row.fixed_at,
            from_status="reported",
            to_status="fixed",
            note="fixed",
        )
        DefectEvent.create(
            defect=row,
            actor=row.verified_by,
            at=row.verified_at,
            from_status="fixed",
            to_status="verified",
            note="verified on time",
        )
        ledger.write_award(
            ledger.Award(
                team_id=row.team_id,
                amount=campaign.ontime_points,
                reason=f"defect {str(row.id)[:8]} corrected on time",
                cause_type="defect",
                cause_id=str(row.id),
                idempotency_key=f"ontime:{row.id}",
                employee_id=row.fixed_by_id,
                created_by_id=row.verified_by_id,
                campaign_id=campaign.id,
            ),
            row.verified_at,
        )
    ledger.write_award(
        ledger.Award(
            team_id=late.team_id,
            amount=campaign.late_points,
            reason=f"defect {str(late.id)[:8]} not corrected within the window",
            cause_type="defect",
            cause_id=str(late.id),
            idempotency_key=f"overdue:{late.id}",
            campaign_id=campaign.id,
        ),
        late.due_at,
    )


def _load_demo_data(caller: Caller) -> None:
    """The demo's data beyond the plant itself; every loader is safe to run again, so a
    `kiosk demo` on an existing demo plant brings it up to date."""
    # imported here: these services import this module's neighbours, not the other way
    from kiosk.services.defects.proposals import seed_demo_proposals
    from kiosk.services.lines.anomalies import load_sample_anomalies
    from kiosk.services.training import skills

    load_question_bank(demo_question_items())
    load_default_checklist()
    skills.load_default_skill_events()
    skills.seed_demo_participants(caller)  # a few participants per skill event
    _seed_demo_contest_teams()  # two contest teams of four from different departments
    seed_demo_proposals(caller)  # one accepted, one rejected, one waiting
    # on-site anomaly history for the year-on-year Pareto: the demo's month so far, the
    # month before and the same months a year before
    load_sample_anomalies(caller, quality_month=_demo_quality_month())


@uow.read
def _demo_quality_month() -> date | None:
    """The month the demo's Quality Month is named after (its last day's month: tried on
    the 1st, the campaign starts a few days before it)."""
    campaign = active_campaign_row()
    return campaign.ends_on.replace(day=1) if campaign else None


def demo_hints() -> list[DemoHint]:
    """A few badges and stations to try (only on the demo plant)."""
    if not plant.is_demo_plant():
        return []
    key = plant.signing_key()
    return [
        DemoHint(_("Operator badge (Line 1)"), "E1002"),
        DemoHint(_("Operator badge (Line 3)"), "E3003"),
        DemoHint(_("Team leader badge, PIN {pin}", pin=DEMO_PIN), "E1001"),
        DemoHint(_("Supervisor badge, PIN {pin}", pin=DEMO_PIN), "E4002"),
        DemoHint(_("Station code (crimping)"), "L1-S01"),
        DemoHint(_("Station code (reflow)"), "L3-S03"),
        DemoHint(_("Signed station QR text"), make_payload("S", "L2-S04", key)),
    ]


# -- knowledge contests --------------------------------------------------------------------

DEMO_CONTEST_TEAMS = [
    ("Zero Defect Eagles", ["E1002", "E4004", "E5003", "E6002"]),
    ("Reliability Builders", ["E2002", "E4005", "E5006", "E6004"]),
]


@uow.write
def _seed_demo_contest_teams() -> None:
    """Two demo contest teams of four, each from four departments (once)."""
    from kiosk.services.training.contests import next_contest_team_code

    if Team.select().where(Team.kind == "contest").exists():
        return
    for name, badges in DEMO_CONTEST_TEAMS:
        team = Team.create(code=next_contest_team_code(), name=name, kind="contest")
        for position, badge in enumerate(badges, start=1):
            ContestTeamMember.create(
                team=team,
                employee=Employee.get(Employee.badge_code == badge),
                position=position,
            )
