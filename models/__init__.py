"""Peewee tables and the database connection. No Textual, no business rules."""

from models.audit import AuditEntry
from models.campaign import Campaign
from models.defects import Defect, DefectEvent
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
    LedgerEntry,
    Question,
    Choice,
    QuizAnswer,
    AuditEntry,
]

__all__ = [
    "ALL_TABLES",
    "AuditEntry",
    "Campaign",
    "Choice",
    "Defect",
    "DefectEvent",
    "Employee",
    "LedgerEntry",
    "PlantSetting",
    "ProductionLine",
    "Question",
    "QuizAnswer",
    "Station",
    "Supplier",
    "Team",
]
