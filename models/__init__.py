"""Peewee tables and the database connection. No Textual, no business rules."""

from models.audit import AuditEntry
from models.campaign import Campaign
from models.defects import Defect, DefectEvent, DefectProgress
from models.inspections import ChecklistItem, Inspection, InspectionResult
from models.people import Employee, Team
from models.plant import PlantSetting, ProductionLine, Station, Supplier
from models.points import LedgerEntry
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
    "Employee",
    "Inspection",
    "InspectionResult",
    "LedgerEntry",
    "PlantSetting",
    "ProductionLine",
    "Question",
    "QuizAnswer",
    "Station",
    "Supplier",
    "Team",
]
