"""Peewee tables and the database connection. No Textual, no business rules."""

# ruff: noqa: E402  (the driver choice below must run before any table imports Peewee)
from models.drivers import import_peewee_without_postgresql_driver

import_peewee_without_postgresql_driver()  # first: SQLite kiosks never load psycopg

from models.audit import AuditEntry
from models.campaign import Campaign
from models.defects import Defect, DefectEvent, DefectProgress
from models.inspections import ChecklistItem, Inspection, InspectionResult
from models.people import Department, Employee, EnrolmentCode, Team
from models.plant import PlantSetting, ProductionLine, Station, Supplier
from models.points import LedgerChain, LedgerEntry
from models.training import Choice, Question, QuizAnswer

ALL_TABLES = [
    Team,
    Employee,
    ProductionLine,
    Station,
    Supplier,
    PlantSetting,
    Campaign,
    Defect,
    DefectEvent,
    DefectProgress,
    LedgerEntry,
    Question,
    Choice,
    QuizAnswer,
    AuditEntry,
    ChecklistItem,
    Inspection,
    InspectionResult,
]

__all__ = [
    "ALL_TABLES",
    "AuditEntry",
    "Campaign",
    "ChecklistItem",
    "Choice",
    "Defect",
    "DefectEvent",
    "DefectProgress",
    "Department",
    "Employee",
    "EnrolmentCode",
    "Inspection",
    "InspectionResult",
    "LedgerChain",
    "LedgerEntry",
    "PlantSetting",
    "ProductionLine",
    "Question",
    "QuizAnswer",
    "Station",
    "Supplier",
    "Team",
]
